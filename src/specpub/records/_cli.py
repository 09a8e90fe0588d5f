"""``specpub plan``: build the records of a workspace and plan them for a target.

Reads the specimens and media links that ``specpub load`` saved, builds one
record per publishable specimen (:func:`specpub.records.build_records`) and
writes them into the workspace ledger for ``--to TARGET``
(:func:`specpub.batch.plan_records`); ``specpub publish`` then runs them.
Specimens that cannot be published are listed with the reason in
``records/skipped.csv``.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser(prog="specpub")
>>> register(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["plan", "-w", "ws", "--to", "embedded"])
>>> args.api, args.license, args.batch_size
(None, 'cc-by-4.0', 10000)
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from specpub.errors import InputError

__all__ = ["register"]


def _run_plan(args: argparse.Namespace) -> int:
    from specpub.batch import plan_records
    from specpub.records import PayloadOptions, build_records
    from specpub.repository import resolve_target
    from specpub.specimens import MediaLinks, Specimens
    from specpub.workspace import Workspace

    ws = Workspace.open(args.workspace)
    target = args.to.strip()
    if target.lower() == "embedded":
        target, api_default = "embedded", "legacy"
    else:
        resolved = resolve_target(target)
        target, api_default = resolved.name, resolved.api_default
    api = args.api or api_default
    if api not in ("legacy", "native"):
        raise InputError(f"--api {api!r} is not legacy or native", field="--api")
    specimens = Specimens.load(ws)
    links = MediaLinks.load(ws)
    options = PayloadOptions(
        institution_name=args.institution_name,
        license=args.license,
        publication_date=args.publication_date,
        communities=tuple(args.community or ()),
        keywords=tuple(args.keyword or ()),
        publisher=args.publisher,
    )
    records = build_records(specimens, links, options, progress="auto")
    skipped_path = ws.path("records", "skipped.csv")
    records.skipped.to_csv(skipped_path, index=False)
    plan = plan_records(ws, records.specs, target=target, api=api, batch_size=args.batch_size)
    summary = {
        **records.summary(),
        "target": target,
        "api": api,
        "added": plan.added,
        "unchanged": plan.unchanged,
        "batches": plan.batch_ids,
        "skipped_csv": str(skipped_path),
        "left_out_terms": records.left_out_terms,
    }
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
        return 0
    print(
        f"{summary['records']} records with {summary['files']} files planned for {target} "
        f"({api} API): {plan.added} new, {plan.unchanged} already planned; "
        f"batches {', '.join(map(str, plan.batch_ids)) or '-'}."
    )
    if len(records.skipped):
        print(f"{len(records.skipped)} specimens cannot be published (see {skipped_path}):")
        for reason, count in summary["skipped_by_reason"].items():
            print(f"  {count:>7}  {reason}")
    if records.left_out_terms:
        terms = ", ".join(f"{t} ({n})" for t, n in sorted(records.left_out_terms.items()))
        print(f"Values Zenodo's custom fields cannot hold (kept in the table only): {terms}")
    print(f"Next: specpub publish --workspace {ws.root} --to {args.to} [--dry-run | --rehearse]")
    return 0


def register(subparsers: Any) -> None:
    """Add ``specpub plan`` to the ``specpub`` parser.

    Examples
    --------
    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> register(sub)
    >>> "plan" in sub.choices
    True
    """
    p = subparsers.add_parser(
        "plan",
        help="build one record per specimen and plan them for a repository",
        description=(
            "Build the records of the specimens saved by `specpub load` and plan them into "
            "the workspace ledger for TARGET. Planning twice adds nothing."
        ),
    )
    p.add_argument("--workspace", "-w", required=True, metavar="WS", help="workspace folder")
    p.add_argument(
        "--to",
        required=True,
        metavar="TARGET",
        help="zenodo, zenodo-sandbox, embedded, or an InvenioRDM base URL",
    )
    p.add_argument("--api", default=None, help="legacy or native (default: the target's)")
    p.add_argument("--institution-name", default=None, help="creator of every record")
    p.add_argument("--license", default="cc-by-4.0", help="licence id (cc-by-4.0)")
    p.add_argument("--publication-date", default=None, help="YYYY-MM-DD (today)")
    p.add_argument("--community", action="append", help="community slug (repeatable)")
    p.add_argument("--keyword", action="append", help="keyword for every record (repeatable)")
    p.add_argument("--publisher", default=None, help="publisher (the repository's)")
    p.add_argument(
        "--batch-size", type=int, default=10000, metavar="N", help="records per batch (10000)"
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=_run_plan)
