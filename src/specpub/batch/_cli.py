"""``specpub publish | status | reconcile | audit | report | summary | replan``.

Every command works on a workspace (``--workspace WS``) and its ledger.
``publish`` runs what is planned in the ledger (planning happens in the
library: :func:`specpub.batch.plan.plan_records`). ``--to`` names the target:
``zenodo``, ``zenodo-sandbox``, ``embedded`` or an InvenioRDM base URL;
``--url`` says where it runs. ``--to embedded`` without ``--url`` uses the
embedded repository started with ``specpub sandbox serve`` (never a private
one); every command says on stderr which repository it uses. Options are
shared with the other areas (:mod:`specpub._cliopts`).

Exit codes, for every ending:

* 0: every record published and nothing left to resolve / the check found
  nothing serious;
* 3: some records failed, are pending, or left something to resolve (named
  with the command that resolves it; ``specpub status`` lists them), or a
  check found something serious;
* 2: bad input (a wrong option, a workspace without a plan, ...);
* 1: the repository failed us: unreachable at the start (the cause is
  printed at once), unreachable for longer than ``--max-outage`` during a
  run, or the token refused (publish, reconcile and audit stop at the first
  401/403);
* 130: interrupted (Ctrl-C); nothing is lost, run the command again.

A value given to ``--token-env`` is never printed back unless it looks like
a variable's name: a token pasted there by mistake stays out of every message.
Check reports are versioned (``reports/audit-batch-1-<time>.csv``, with
``audit-batch-1.csv`` the latest complete one): a run that stops writes none.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specpub._cliopts import (
    TARGET_HELP,
    Connection,
    add_json,
    add_progress,
    add_target,
    add_workspace,
    connect,
    progress_of,
)
from specpub.errors import InputError
from specpub.progress import ProgressSpec
from specpub.repository._token import describe_token_env

if TYPE_CHECKING:  # pragma: no cover
    from specpub.repository.protocol import RepositoryClient, ResponseHook

_EXIT_OK, _EXIT_REPO, _EXIT_INPUT, _EXIT_FAILED = 0, 1, 2, 3


# ----------------------------------------------------------------- registration
def register(subparsers: Any) -> None:
    """Add the batch commands to the ``specpub`` parser."""
    p = subparsers.add_parser(
        "publish",
        help="publish the records planned in a workspace",
        description="Run the records planned in the workspace ledger to 'published'. "
        "Safe to interrupt and run again: it resumes without duplicates.",
    )
    add_workspace(p)
    add_target(p)
    p.add_argument("--concurrency", type=int, default=8, metavar="N", help="records in flight")
    p.add_argument("--batch", type=int, default=None, metavar="ID", help="only this batch")
    p.add_argument("--dry-run", action="store_true", help="write payloads and plans, send nothing")
    p.add_argument(
        "--rehearse",
        action="store_true",
        help="run a sample against the embedded sandbox at the target's limits "
        "(time-scaled) and forecast the real run",
    )
    p.add_argument("--faults", default="icedig-2019", metavar="PROFILE",
                   help="fault profile for --rehearse (default icedig-2019; 'none')")  # fmt: skip
    p.add_argument("--time-scale", type=float, default=60.0, metavar="X",
                   help="rehearsal time compression (default 60: an hour in a minute)")  # fmt: skip
    p.add_argument("--sample", type=int, default=200, metavar="N",
                   help="records in the rehearsal sample (default 200)")  # fmt: skip
    p.add_argument(
        "--retry-failed",
        choices=("retryable", "all", "none"),
        default="retryable",
        help="which failed records to try again (default: retryable ones)",
    )
    p.add_argument(
        "--max-outage",
        default="4h",
        metavar="DURATION",
        help="stop (exit 1) when the repository stays unreachable this long during a run, "
        "e.g. 30m, 4h, 1d, or seconds; 0 waits for ever (default 4h)",
    )
    add_progress(p)
    add_json(p)
    p.set_defaults(handler=cmd_publish)

    p = subparsers.add_parser(
        "status", help="records per state, per batch", description="Show the ledger's state."
    )
    add_workspace(p)
    p.add_argument("--batch", type=int, default=None, metavar="ID", help="default: all batches")
    add_json(p)
    p.set_defaults(handler=cmd_status)

    p = subparsers.add_parser(
        "reconcile",
        help="compare the ledger with the repository and correct it",
        description="Find every record of a batch on the repository (by marker), adopt what "
        "the server has, mark lost records for a re-run, and report duplicates, orphan "
        "drafts and checksum mismatches.",
    )
    add_workspace(p)
    add_target(p)
    p.add_argument("--batch", type=int, default=None, metavar="ID", help="default: the latest")
    p.add_argument("--delete-orphans", action="store_true", help="delete orphan drafts")
    p.add_argument("--yes", action="store_true", help="do not ask before deleting")
    p.add_argument("--report-only", action="store_true", help="do not correct the ledger")
    add_progress(p)
    add_json(p)
    p.set_defaults(handler=cmd_reconcile)

    p = subparsers.add_parser(
        "audit",
        help="re-check every published file against the ledger",
        description="GET the files of every published record and compare key, size and MD5 "
        "with the local scan.",
    )
    add_workspace(p)
    add_target(p)
    p.add_argument("--batch", type=int, default=None, metavar="ID", help="default: the latest")
    p.add_argument("--verify-local", action="store_true", help="also re-hash the local files")
    add_progress(p)
    add_json(p)
    p.set_defaults(handler=cmd_audit)

    p = subparsers.add_parser(
        "report",
        help="batch report: CSV files and one HTML page",
        description="Counts by state, throughput, errors by HTTP status and step, retries, "
        "pauses, ETA. Written to WS/reports/.",
    )
    add_workspace(p)
    p.add_argument("--batch", type=int, default=None, metavar="ID", help="default: all batches")
    p.add_argument("--html", default=None, metavar="PATH", help="where to write the HTML page")
    add_json(p)
    p.set_defaults(handler=cmd_report)

    p = subparsers.add_parser(
        "summary",
        help="CSV of every published record (and publish it as one dataset)",
        description="Write WS/reports/summary-*.csv listing every published record's DOI and "
        "file links; with --publish, deposit it as one dataset record.",
    )
    add_workspace(p)
    p.add_argument("--batch", type=int, default=None, metavar="ID", help="default: all batches")
    p.add_argument("--publish", action="store_true", help="publish the CSV as a dataset record")
    add_target(p, required=False)
    p.add_argument(
        "--base-url",
        default=None,
        metavar="URL",
        help="repository address for the landing-page and download links (default: the "
        "target's; the embedded repository's own)",
    )
    p.add_argument(
        "--title", default=None, metavar="TEXT", help="title of the summary record (--publish)"
    )
    p.add_argument("--creator", action="append", default=None, metavar="NAME",
                   help="creator of the summary record (repeatable)")  # fmt: skip
    add_json(p)
    p.set_defaults(handler=cmd_summary)

    p = subparsers.add_parser(
        "replan",
        help="plan the new checksums of files that changed after planning",
        description="Re-read the files of records not published yet; where a file changed "
        "since it was planned, plan its new checksums (a record whose draft is on the server "
        "keeps it: the next publish replaces the changed files). Published records and "
        "missing files are reported, not changed.",
    )
    add_workspace(p)
    p.add_argument("--batch", type=int, default=None, metavar="ID", help="default: all batches")
    add_json(p)
    p.set_defaults(handler=cmd_replan)


# ----------------------------------------------------------------- helpers
def _open_workspace(path: str) -> Any:
    from specpub.workspace import Workspace

    return Workspace.open(path)


def _progress(args: argparse.Namespace) -> ProgressSpec:
    return progress_of(args)


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print ``data`` as JSON with ``--json``, else ``text``."""
    if args.json:
        _print_json(data)
    else:
        print(text)


def _batch_api(ledger: Any, batch: int | None) -> str | None:
    ids = [batch] if batch is not None else ledger.batch_ids()
    return ledger.batch(ids[-1]).api if ids else None


def _target_name(to: str) -> str:
    from specpub._connect import target_name

    return target_name(to.strip())


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(text: str, option: str) -> float:
    """``90``, ``30m``, ``4h``, ``1d`` as seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", str(text).lower())
    if not m:
        raise InputError(
            f"{option} {text!r} is not a duration", field=option, fix="give e.g. 30m, 4h or 1d"
        )
    return float(m.group(1)) * _UNITS[m.group(2) or "s"]


@contextlib.asynccontextmanager
async def _session(
    conn: Connection, *, api: str | None, on_response: ResponseHook | None = None
) -> AsyncIterator[RepositoryClient]:
    """A client for the repository of ``--to`` / ``--url`` (see :func:`connect`); says which."""
    from specpub.repository import open_client

    print(f"specpub: using {conn.description}", file=sys.stderr)
    client = open_client(conn.target, api=api, auth=conn.auth, on_response=on_response)
    try:
        yield client
    finally:
        await client.aclose()


# ----------------------------------------------------------------- commands
def cmd_status(args: argparse.Namespace) -> int:
    """``specpub status``: records per state for each batch."""
    from specpub.batch.ledger import Ledger
    from specpub.batch.status import ledger_status

    ws = _open_workspace(args.workspace)
    with Ledger.for_workspace(ws) as led:
        status = ledger_status(led, args.batch)
    status.workspace = str(ws.root)
    _emit(args, status.to_dict(), status.summary())
    return _EXIT_OK if status.ok else _EXIT_FAILED


def cmd_publish(args: argparse.Namespace) -> int:
    """``specpub publish``: run the planned records (or a dry run, or a rehearsal)."""
    import asyncio

    from specpub.batch.ledger import Ledger
    from specpub.batch.runner import RunOptions, run_batch_async

    ws = _open_workspace(args.workspace)
    if args.concurrency < 1:
        raise InputError("--concurrency must be at least 1", field="--concurrency")
    max_outage = _duration(args.max_outage, "--max-outage")
    with Ledger.for_workspace(ws) as led:
        batch_ids = [args.batch] if args.batch is not None else led.batch_ids()
        if not batch_ids:
            raise InputError(
                "nothing is planned in this workspace",
                file=str(led.path),
                fix="plan records first (specpub.batch.plan_records), then publish",
            )
        infos = [led.batch(b) for b in batch_ids]
    if args.rehearse:
        from specpub.batch.rehearsal import rehearse

        reh = rehearse(
            ws,
            batch=args.batch if args.batch is not None else infos[-1].batch_id,
            target=args.to,
            faults=None if args.faults in ("none", "") else args.faults,
            time_scale=args.time_scale,
            sample=args.sample,
            concurrency=args.concurrency,
            progress=_progress(args),
        )
        _emit(args, reh.to_dict(), reh.summary())
        return _EXIT_OK
    target = _target_name(args.to)
    wrong = [i.batch_id for i in infos if i.target != target]
    if wrong:
        raise InputError(
            f"batch {', '.join(map(str, wrong))} was planned for target "
            f"{infos[0].target!r}, not {target!r}",
            field="--to",
            fix="publish to the target the batch was planned for, pass --batch, or use "
            "--rehearse to try it on the embedded sandbox",
        )
    api = args.api or infos[-1].api
    if args.dry_run:
        return _dry_run(args, ws, target, api)
    options = RunOptions(max_outage=max_outage)
    conn = connect(args)

    async def go() -> Any:
        from specpub.batch.pacing import Pacer

        pacer = Pacer.for_target(conn.target)
        async with _session(conn, api=api, on_response=pacer.on_response) as client:
            return await run_batch_async(
                ws,
                client,
                batch=args.batch,
                concurrency=args.concurrency,
                pacer=pacer,
                progress=_progress(args),
                retry_failed=args.retry_failed,
                options=options,
            )

    result = asyncio.run(go())
    _emit(args, result.to_dict(), result.summary())
    if result.failed and not args.json:
        _print_failed(ws, result.batch_ids)
    if result.stopped and not args.json:
        print(f"specpub: {result.message}", file=sys.stderr)
    return result.exit_code


def _print_failed(ws: Any, batch_ids: list[int], shown: int = 5) -> None:
    """The first failed records of a run, each with its reason and fix (stderr)."""
    from specpub.batch.ledger import Ledger
    from specpub.batch.status import ledger_status

    with Ledger.for_workspace(ws) as led:
        failed = [f for b in batch_ids for f in ledger_status(led, b).batches[0].failed]
    for f in failed[:shown]:
        print(f"failed {f['marker']} at {f['step']}: {f['reason']}", file=sys.stderr)
    more = f"the other {len(failed) - shown} and " if len(failed) > shown else ""
    print(
        f"specpub: {more}every record's state: specpub status --workspace {ws.root}",
        file=sys.stderr,
    )


def _dry_run(args: argparse.Namespace, ws: Any, target: str, api: str) -> int:
    """Every payload and request plan; reads the server's inventory when a token is at hand."""
    import asyncio

    from specpub.batch.runner import run_batch_async

    try:  # a dry run reads the repository when it can: never an error when it cannot
        conn: Connection | None = connect(args)
    except InputError:
        conn = None
    can_read = conn is not None

    async def go() -> Any:
        if conn is None:
            return await run_batch_async(ws, None, batch=args.batch, dry_run=True)
        async with _session(conn, api=api) as client:
            return await run_batch_async(ws, client, batch=args.batch, dry_run=True)

    result = asyncio.run(go())
    text = result.message or result.summary()
    if not can_read:
        how = (
            "start `specpub sandbox serve` (or pass --url)"
            if target == "embedded" and not args.url
            else f"set {describe_token_env(args.token_env)}"
        )
        text += f" ({how} to have the dry run list the repository too: reads only)"
    _emit(args, result.to_dict(), text)
    return _EXIT_REPO if result.stopped else _EXIT_OK


def _confirm(question: str) -> bool:
    if not sys.stdin or not sys.stdin.isatty():
        return False
    try:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def _check_batch(args: argparse.Namespace, check: Any) -> tuple[Any, Any]:
    """Run ``check(ledger, client, batch, pacer)`` on ``--batch`` (default: the latest).

    The preamble is the Python API's (:func:`specpub.reconcile`, :func:`specpub.audit`):
    the target checked against the batch's, a client speaking the batch's api (or
    ``--api``) and one pacer with the target's limits. Returns the workspace and the
    check's result.
    """
    import asyncio

    from specpub._api import _connection
    from specpub.batch.ledger import Ledger

    ws = _open_workspace(args.workspace)
    conn = connect(args)

    async def go() -> Any:
        with Ledger.for_workspace(ws) as led:
            batch = led.latest_batch(args.batch)
        print(f"specpub: using {conn.description}", file=sys.stderr)
        async with _connection(
            ws, conn.target, batch=batch, url=None, api=args.api, token_env=args.token_env,
            auth=conn.auth,
        ) as (led, _target, client, pacer):  # fmt: skip
            return await check(led, client, batch, pacer)

    return ws, asyncio.run(go())


def _write_check(args: argparse.Namespace, ws: Any, res: Any, name: str, what: str) -> int:
    """Write a check's rows beside the earlier ones, print it, and exit by ``ok``.

    Each run gets its own ``WS/reports/NAME-batch-N-<UTC time>.csv``; ``NAME-batch-N.csv``
    is then replaced by a copy of it (the latest complete check). A check that stopped
    (token refused) raised before this: it writes nothing and overwrites nothing.
    """
    from specpub.workspace import atomic_write_text

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = ws.path("reports", f"{name}-batch-{res.batch}-{stamp}.csv")
    atomic_write_text(path, res.to_frame().to_csv(index=False))
    latest = ws.path("reports", f"{name}-batch-{res.batch}.csv")
    tmp = latest.with_suffix(".csv.tmp")
    shutil.copyfile(path, tmp)
    os.replace(tmp, latest)
    _emit(args, {**res.to_json(), "csv": str(path)}, f"{res.summary()}\n{what} written to {path}")
    return _EXIT_OK if res.ok else _EXIT_FAILED


def cmd_reconcile(args: argparse.Namespace) -> int:
    """``specpub reconcile``: compare the ledger with the repository; correct; clean up."""
    from specpub.batch.reconcile import delete_orphan_drafts, reconcile

    async def check(led: Any, client: Any, batch: int, pacer: Any) -> Any:
        res = await reconcile(
            led,
            client,
            batch,
            delete_orphans=args.delete_orphans and args.yes,
            correct_ledger=not args.report_only,
            progress=_progress(args),
            pacer=pacer,
        )
        orphans = [f for f in res.findings if f.cleanable and f.action != "deleted"]
        if args.delete_orphans and not args.yes and orphans:
            ids = ", ".join(f.remote_id or "?" for f in orphans[:20])
            if _confirm(f"Delete {len(orphans)} orphan drafts ({ids})?"):
                await delete_orphan_drafts(led, client, res, pacer=pacer)
            else:
                print(
                    "specpub: orphan drafts NOT deleted (answer y, or pass --yes)",
                    file=sys.stderr,
                )
        return res

    ws, res = _check_batch(args, check)
    return _write_check(args, ws, res, "reconcile", "findings")


def cmd_audit(args: argparse.Namespace) -> int:
    """``specpub audit``: re-check every published file."""
    from specpub.batch.audit import audit

    async def check(led: Any, client: Any, batch: int, pacer: Any) -> Any:
        return await audit(
            led, client, batch, verify_local=args.verify_local, progress=_progress(args),
            pacer=pacer,
        )  # fmt: skip

    ws, res = _check_batch(args, check)
    return _write_check(args, ws, res, "audit", "audit")


def cmd_report(args: argparse.Namespace) -> int:
    """``specpub report``: CSV files and one HTML page in WS/reports/."""
    from specpub.batch.ledger import Ledger
    from specpub.batch.report import batch_report

    ws = _open_workspace(args.workspace)
    with Ledger.for_workspace(ws) as led:
        if args.batch is not None:
            led.batch(args.batch)
        rep = batch_report(
            led,
            args.batch,
            write_to=ws,
            html_path=Path(args.html) if args.html else None,
        )
    files = {k: str(v) for k, v in rep.files.items()}
    _emit(args, {**rep.to_json(), "files": files}, f"{rep.summary()}\nHTML report: {files['html']}")
    return _EXIT_OK


def cmd_summary(args: argparse.Namespace) -> int:
    """``specpub summary``: the summary CSV, optionally published as one record."""
    import asyncio

    from specpub.batch.ledger import Ledger
    from specpub.batch.summary import publish_summary, write_summary

    ws = _open_workspace(args.workspace)
    if not args.publish:
        path, table = write_summary(ws, args.batch, base_url=args.base_url)
        out = {"csv": str(path), "rows": len(table), "records": int(table["record_id"].nunique())}
        text = f"{out['records']} published records, {out['rows']} files listed in {path}"
        _emit(args, out, text)
        return _EXIT_OK
    if not args.to:
        raise InputError("--publish needs --to TARGET", field="--to", fix=f"use {TARGET_HELP}")
    with Ledger.for_workspace(ws) as led:
        api = args.api or _batch_api(led, args.batch) or "legacy"

    conn = connect(args)

    async def go() -> Any:
        async with _session(conn, api=api) as client:
            base = args.base_url or (client.base_url if args.to == "embedded" else None)
            return await publish_summary(
                ws,
                client,
                args.batch,
                title=args.title,
                creators=[{"name": n} for n in args.creator] if args.creator else None,
                base_url=base,
            )

    dep = asyncio.run(go())
    out = {
        "csv": str(dep.csv_path),
        "rows": len(dep.table),
        "record_id": dep.record.id if dep.record else None,
        "doi": dep.doi,
    }
    _emit(args, out, f"summary of {out['rows']} files published as record "
                     f"{out['record_id']}, DOI {out['doi']} ({dep.csv_path})")  # fmt: skip
    return _EXIT_OK


def cmd_replan(args: argparse.Namespace) -> int:
    """``specpub replan``: plan the new checksums of files changed since planning."""
    from specpub.batch.replan import replan_changed_files

    ws = _open_workspace(args.workspace)
    res = replan_changed_files(ws, args.batch)
    text = res.summary()
    if res.replanned:
        text += "\nNext: specpub publish (the changed files replace the ones in the drafts)"
    _emit(args, {"ok": res.ok, "rows": res.to_frame().to_dict("records")}, text)
    return _EXIT_OK if res.ok else _EXIT_FAILED
