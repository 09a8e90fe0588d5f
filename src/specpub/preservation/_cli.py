"""``specpub validate``: preservation format validation, JHOVE-style exit codes.

Exit codes (as scripts use JHOVE-like tools): **0** no file fails, **1** at least
one file fails, **2** usage or input error (unknown profile, bad profile file,
no path and no workspace …).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from specpub.errors import InputError
from specpub.preservation.profiles import DEFAULT_PROFILE, get_profile, profiles

if TYPE_CHECKING:  # pragma: no cover - the report imports pandas: only when it runs
    from specpub.preservation.report import ValidationReport


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``validate`` sub-command."""
    parser = subparsers.add_parser(
        "validate",
        help="check image files' formats for preservation (structure + policy profile)",
        description=(
            "Identify each file by its signature, check its structure (TIFF IFDs and strips, "
            "JPEG markers, PNG chunks and CRCs, JPEG 2000 boxes with jpylyzer) and judge it "
            "under a policy profile. Folders are walked recursively. Exit code 0: no file "
            "fails; 1: a file fails; 2: usage error."
        ),
        epilog=(
            "profiles: structure (structure only), master (default), master-strict, access, "
            "herbarium-master, or a .toml file; see --list-profiles and --show-profile."
        ),
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to validate")
    parser.add_argument(
        "--profile",
        "-p",
        metavar="NAME|FILE",
        default=None,
        help=f"policy profile (default: {DEFAULT_PROFILE})",
    )
    parser.add_argument(
        "--access-profile",
        metavar="NAME|FILE",
        default="access",
        help="with --workspace: profile for files linked as access copies (default: access)",
    )
    parser.add_argument(
        "--workspace",
        "-w",
        metavar="WS",
        help="validate the workspace's linked files (or PATHs) and save the "
        "report in WS/preservation/",
    )
    parser.add_argument(
        "--decode",
        action="store_true",
        help="also decode every image fully (slower; truncated-image loading off)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the report as JSON (profiles, summary, one object per file)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="validate N files at a time in worker processes (default: 1)",
    )
    parser.add_argument(
        "--list-profiles", action="store_true", help="list the profiles that can be named, and exit"
    )
    parser.add_argument(
        "--show-profile",
        metavar="NAME|FILE",
        help="print a profile as TOML (a starting point for your own), and exit",
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="print only failing files and the summary line"
    )
    parser.add_argument(
        "--progress",
        default="auto",
        choices=["auto", "text", "none"],
        help="progress display on stderr (default: auto)",
    )
    parser.set_defaults(handler=run_validate)


def run_validate(args: argparse.Namespace) -> int:
    """Handle ``specpub validate``."""
    from specpub.preservation.validation import validate, validate_workspace

    if args.list_profiles:
        for name, source in sorted(profiles(args.workspace).items()):
            desc = get_profile(name, workspace=args.workspace).description
            print(f"{name:18} {desc}  [{source}]")
        return 0
    if args.show_profile:
        print(get_profile(args.show_profile, workspace=args.workspace).to_toml(), end="")
        return 0
    if args.workers < 1:
        raise InputError(
            f"--workers must be at least 1, not {args.workers}",
            fix="give a positive number of worker processes",
        )
    profile = get_profile(args.profile, workspace=args.workspace)
    progress: Any = None if args.progress == "none" or args.json else args.progress
    paths = list(args.paths)
    if not paths and not args.workspace:
        raise InputError("nothing to validate", fix="give files or folders, or --workspace WS")
    executor = None
    if args.workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        executor = ProcessPoolExecutor(args.workers)
    saved = ""
    try:
        if args.workspace:
            from specpub.workspace import Workspace

            ws = Workspace.open(args.workspace)
            report = validate_workspace(
                ws,
                paths,
                profile=profile,
                access_profile=args.access_profile,
                decode=args.decode,
                progress=progress,
                executor=executor,
            )
            if not len(report):
                raise InputError(
                    "the workspace has no scanned or linked files to validate",
                    file=str(ws.root),
                    fix="run `specpub load TABLE --workspace WS --media DIR` (and "
                    "`specpub scan --workspace WS --analyser structure`), or give "
                    "the files or folders to validate",
                )
            saved = str(ws.stage_dir("preservation"))
        else:
            report = validate(
                paths, profile=profile, decode=args.decode, progress=progress, executor=executor
            )
    finally:
        if executor is not None:
            executor.shutdown()
    if args.json:
        sys.stdout.write(report.to_json() + "\n")
    else:
        print(_render(report, quiet=args.quiet, saved=saved))
    return report.exit_code


def _render(report: ValidationReport, *, quiet: bool, saved: str) -> str:
    lines = []
    for r in report:
        if quiet and r.verdict != "fail":
            continue
        rules = r.rules("fail") or r.rules("warn")
        lines.append(
            f"{r.verdict.upper():4}  {r.path}  [{r.format or '?'}, {r.profile}]"
            + (f"  {' '.join(rules)}" if rules else "")
        )
        for f in r.findings:
            if f.severity in ("fail", "warn") and (not quiet or f.severity == "fail"):
                at = f" (byte {f.offset})" if f.offset is not None else ""
                lines.append(f"      {f.severity:4} {f.id}: {f.message}{at}")
    s = report.summary()
    v = s["by_verdict"]
    lines.append(
        f"{s['files']} files: {v.get('pass', 0)} pass, {v.get('warn', 0)} warn, "
        f"{v.get('fail', 0)} fail"
    )
    if saved:
        lines.append(f"report saved in {saved} (report.html, report.parquet, findings.csv)")
    return "\n".join(lines)
