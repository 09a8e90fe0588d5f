"""``specpub records``, ``specpub plan`` and ``specpub preview``.

``records`` builds and checks the records of a workspace under a preset and
saves them (``records/``); ``preview`` writes a page per record and a paged
gallery; ``plan`` writes the publishable records into the ledger for a
target — the records saved by ``records`` when they are up to date, else it
builds them itself (with the preset used before, or the default preset).

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser(prog="specpub")
>>> register(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["plan", "-w", "ws", "--to", "embedded"])
>>> args.api, args.license, args.batch_size, args.preset
(None, None, 10000, None)
>>> parser.parse_args(["records", "-w", "ws", "--preset", "icedig-benchmark"]).preset
'icedig-benchmark'
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from specpub._cliopts import add_api, add_json, add_progress, add_workspace
from specpub.errors import InputError

__all__ = ["register"]


def _institution_names(values: list[str] | None) -> str | dict[str, str] | None:
    """``--institution-name NAME`` or, repeatable, ``CODE=NAME``."""
    if not values:
        return None
    coded = [v for v in values if "=" in v]
    if coded and len(coded) != len(values):
        raise InputError(
            "--institution-name mixes a plain name with CODE=NAME entries",
            field="--institution-name",
            fix="give one plain name (a table of one institution) or CODE=NAME for every code",
        )
    if not coded:
        if len(values) > 1:
            raise InputError(
                "--institution-name was given several plain names",
                field="--institution-name",
                fix="write CODE=NAME for each institution code of the table",
            )
        return values[0]
    out = {}
    for item in coded:
        code, _, name = item.partition("=")
        if not code.strip() or not name.strip():
            raise InputError(
                f"--institution-name {item!r} is not CODE=NAME",
                field="--institution-name",
                fix='write e.g. --institution-name "BR=Meise Botanic Garden"',
            )
        out[code.strip()] = name.strip()
    return out


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    names = _institution_names(getattr(args, "institution_name", None))
    if names is not None:
        out["institution_name"] = names
    for key in ("license", "publication_date", "publisher"):
        if getattr(args, key, None) is not None:
            out[key] = getattr(args, key)
    if getattr(args, "community", None):
        out["communities"] = tuple(args.community)
    if getattr(args, "keyword", None):
        out["keywords"] = tuple(args.keyword)
    if getattr(args, "allow_rule", None):
        out["allow_rules"] = tuple(args.allow_rule)
    return out


def _progress(args: argparse.Namespace) -> Any:
    if getattr(args, "json", False):
        return None
    value = getattr(args, "progress", "auto")
    return None if value == "none" else value


def _obtain_records(ws: Any, args: argparse.Namespace, *, say: Any) -> Any:
    from specpub.records.build import workspace_records

    return workspace_records(
        ws,
        getattr(args, "preset", None),
        overrides=_overrides(args) or None,
        progress=_progress(args),
        say=say,
    )


def _print_records(records: Any, ws: Any) -> None:
    s = records.summary()
    folder = ws.root / "records"
    print(
        f"Built {s['built']} records of {s['specimens']} specimens with preset "
        f"{s['preset']!r} ({folder}):"
    )
    print(
        f"  {s['ready']} ready, {s['warned']} with warnings, {s['blocked']} blocked; "
        f"{s['not_built']} specimens without a record"
    )
    print(
        f"  publishable: {s['publishable']['legacy']} on the legacy API, "
        f"{s['publishable']['native']} on the native API"
    )
    if s["skipped"]:
        print(f"Not publishable ({s['skipped']}; reasons in {folder / 'skipped.csv'}):")
        for reason, count in list(s["skipped_by_reason"].items())[:15]:
            print(f"  {count:>7}  {reason}")
    if s["findings_by_code"]:
        print(f"Findings (details in {folder / 'findings.csv'}):")
        for code, count in list(s["findings_by_code"].items())[:15]:
            print(f"  {count:>7}  {code}")
    if s["corrections"]:
        print(f"{s['corrections']} values corrected or withheld (originals in the sidecars).")
    if s["left_out_terms"]:
        terms = ", ".join(f"{t} ({n})" for t, n in s["left_out_terms"].items())
        print(f"Kept in the JSON-LD sidecars only (no Zenodo field holds them): {terms}")
    for warning in s["warnings"]:
        print(f"Note: {warning}")


def _run_records(args: argparse.Namespace) -> int:
    from specpub.records.build import build_workspace_records
    from specpub.records.presets import DEFAULT_PRESET, list_presets
    from specpub.workspace import Workspace

    if args.list_presets:
        frame = list_presets(args.workspace)
        if args.json:
            print(json.dumps(frame.to_dict("records"), indent=2, ensure_ascii=False))
        else:
            for row in frame.itertuples():
                print(f"{row.name:<28} {row.summary}\n{'':<28} {row.source}")
        return 0
    if args.workspace is None:
        raise InputError("--workspace is required", field="--workspace", fix="give --workspace WS")
    ws = Workspace.open(args.workspace)
    records = build_workspace_records(
        ws, args.preset or DEFAULT_PRESET, overrides=_overrides(args), progress=_progress(args)
    )
    if args.json:
        print(json.dumps(records.summary(), indent=2, ensure_ascii=False, default=str))
    else:
        _print_records(records, ws)
        print(
            f"Next: specpub preview --workspace {ws.root} --out {ws.root / 'preview'}   "
            f"then: specpub plan --workspace {ws.root} --to TARGET"
        )
    if args.strict and records.summary()["skipped"]:
        return 3
    return 0


def _run_plan(args: argparse.Namespace) -> int:
    from specpub._api import plan as specpub_plan
    from specpub.repository import resolve_target
    from specpub.workspace import Workspace

    ws = Workspace.open(args.workspace)
    resolved = resolve_target(args.to.strip(), need_url=False)
    target, api = resolved.name, args.api or resolved.api_default
    notes: list[str] = []
    records = _obtain_records(ws, args, say=notes.append)
    specs = records.specs_for(api)
    # a step that produces nothing stops with the reason (exit 2), never "Next: publish"
    plan = specpub_plan(ws, args.to.strip(), records=records, api=api,
                        batch_size=args.batch_size)  # fmt: skip
    s = records.summary()
    summary = {
        **s,
        "records": len(specs),
        "files": sum(len(x.files) for x in specs),
        "target": target,
        "api": api,
        "added": plan.added,
        "updated": plan.updated,
        "unchanged": plan.unchanged,
        "batches": plan.batch_ids,
        "skipped_csv": str(ws.root / "records" / "skipped.csv"),
        "notes": notes,
    }
    if args.json:
        print(json.dumps(summary, indent=2, default=str, ensure_ascii=False))
        return 0
    for note in notes:
        print(note)
    print(
        f"{summary['records']} records with {summary['files']} files planned for {target} "
        f"({api} API): {plan.added} new, {plan.updated} changed, {plan.unchanged} already "
        f"planned; batches {', '.join(map(str, plan.batch_ids)) or '-'}."
    )
    blocked_here = len(records.built) - len(specs)
    if blocked_here or s["not_built"]:
        print(
            f"{blocked_here + s['not_built']} specimens cannot be published on the {api} API "
            f"(see {summary['skipped_csv']} and `specpub preview`):"
        )
        for reason, count in list(s["skipped_by_reason"].items())[:15]:
            print(f"  {count:>7}  {reason}")
    if s["left_out_terms"]:
        terms = ", ".join(f"{t} ({n})" for t, n in s["left_out_terms"].items())
        print(f"Kept in the JSON-LD sidecars only (no Zenodo field holds them): {terms}")
    print(f"Next: specpub publish --workspace {ws.root} --to {args.to} [--dry-run | --rehearse]")
    if target == "embedded":
        print("  (publish uses the embedded repository `specpub sandbox serve --data DIR` runs "
              "in another terminal, or the one at --url)")  # fmt: skip
    return 0


def _run_preview(args: argparse.Namespace) -> int:
    from specpub._api import preview

    notes: list[str] = []
    result = preview(
        args.workspace,
        Path(args.out),
        record=args.record or None,
        page_size=args.page_size,
        api=args.api,
        target=args.target,
        progress=_progress(args),
        say=notes.append,
    )
    if args.json:
        print(json.dumps({**result.summary(), "notes": notes}, indent=2))
        return 0
    for note in notes:
        print(note)
    s = result.summary()
    print(
        f"Wrote {s['record_pages']} record pages and {s['gallery_pages']} gallery pages; "
        f"thumbnails: {s['thumbnails_made']} made, {s['thumbnails_cached']} from the cache."
    )
    for key, why in list(result.missing_thumbnails.items())[:10]:
        print(f"  no thumbnail for {key}: {why}")
    target = result.record_pages[0] if args.record and result.record_pages else result.index
    print(f"Open {target.resolve().as_uri()}")
    return 0


def _add_overrides(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--preset",
        default=None,
        metavar="NAME|FILE",
        help="records preset by name (see `specpub records --list-presets`) or a .toml file",
    )
    p.add_argument(
        "--institution-name",
        action="append",
        metavar="NAME|CODE=NAME",
        help="creator name of a one-institution table, or CODE=NAME per code (repeatable)",
    )
    p.add_argument(
        "--license", default=None, metavar="ID", help="licence for rows without one (cc-by-4.0)"
    )
    p.add_argument(
        "--publication-date", default=None, metavar="DATE", help="YYYY-MM-DD (default: today)"
    )
    p.add_argument(
        "--community", action="append", metavar="SLUG", help="community slug (repeatable)"
    )
    p.add_argument(
        "--keyword", action="append", metavar="WORD", help="keyword for every record (repeatable)"
    )
    p.add_argument(
        "--publisher", default=None, metavar="NAME", help="publisher (default: the repository's)"
    )
    p.add_argument(
        "--allow-rule",
        action="append",
        metavar="RULE",
        help="a preservation rule whose failure does not block a master (repeatable)",
    )


def register(subparsers: Any) -> None:
    """Add ``specpub records``, ``plan`` and ``preview`` to the ``specpub`` parser.

    Examples
    --------
    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> register(sub)
    >>> sorted(k for k in sub.choices)
    ['plan', 'preview', 'records']
    """
    r = subparsers.add_parser(
        "records",
        help="build and check one record per specimen under a preset",
        description=(
            "Build the records of the specimens saved by `specpub load` under a preset, with "
            "their JSON-LD sidecars, and check them as Zenodo would (both APIs). Saves them in "
            "the workspace's records/ folder; prints counts of built, blocked and warned records."
        ),
    )
    add_workspace(r, required=False)
    _add_overrides(r)
    r.add_argument("--list-presets", action="store_true", help="list the presets and exit")
    r.add_argument(
        "--strict", action="store_true", help="exit 3 when a specimen gets no publishable record"
    )
    add_json(r)
    add_progress(r)
    r.set_defaults(handler=_run_records)

    p = subparsers.add_parser(
        "plan",
        help="plan the workspace's records for a repository",
        description=(
            "Plan the records of the workspace into its ledger for TARGET: the ones `specpub "
            "records` built if they are up to date, else built now (with the preset used before, "
            "or the default preset). Planning twice adds nothing."
        ),
    )
    add_workspace(p)
    p.add_argument(
        "--to",
        required=True,
        metavar="TARGET",
        help="zenodo, zenodo-sandbox, embedded, or an InvenioRDM base URL",
    )
    add_api(p, default_help="the target's")
    _add_overrides(p)
    p.add_argument(
        "--batch-size", type=int, default=10000, metavar="N", help="records per batch (10000)"
    )
    add_json(p)
    add_progress(p)
    p.set_defaults(handler=_run_plan)

    v = subparsers.add_parser(
        "preview",
        help="write HTML previews of the records and a gallery",
        description=(
            "Write one page per record, close to its Zenodo landing page (with thumbnails, the "
            "Darwin Core table, corrections, check findings and the payload), and a paged "
            "gallery of all records, into DIR. Edits and new versions show a diff against the "
            "published metadata."
        ),
    )
    add_workspace(v)
    v.add_argument("--out", "-o", required=True, metavar="DIR", help="output folder")
    v.add_argument(
        "--record",
        action="append",
        metavar="CATALOGNUMBER",
        help="only this record (repeatable)",
    )
    v.add_argument("--page-size", type=int, default=60, metavar="N", help="cards per page (60)")
    v.add_argument(
        "--api", default="native", choices=["legacy", "native"], help="payload shown (native)"
    )
    v.add_argument(
        "--target", default=None, metavar="TARGET", help="diff against records published to it"
    )
    add_json(v)
    add_progress(v)
    v.set_defaults(handler=_run_preview, preset=None)
