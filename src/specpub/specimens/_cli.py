"""``specpub load``: load, map, flag and link a specimen table into a workspace."""

from __future__ import annotations

import argparse
import json
import sys

from specpub._cliopts import add_workspace


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``load`` sub-command."""
    parser = subparsers.add_parser(
        "load",
        help="read a specimen table, map it to Darwin Core, flag it, link media",
        description=(
            "Read a specimen table (CSV/TSV, XLSX or Darwin Core Archive), map its columns to "
            "Darwin Core terms, flag data-quality issues, optionally link image files, and save "
            "everything to the workspace's specimens/ folder."
        ),
    )
    parser.add_argument("table", help="the table: .csv/.tsv/.txt, .xlsx, or a DwC-A .zip/folder")
    add_workspace(parser, help="the workspace folder (created if needed)")
    parser.add_argument(
        "--mapping", metavar="FILE", help='TOML/JSON file of column = "term" overrides'
    )
    parser.add_argument(
        "--media",
        action="append",
        default=[],
        metavar="DIR",
        help="folder of image files to link by catalogue number (repeatable)",
    )
    parser.add_argument(
        "--sheet", metavar="NAME", help="Excel sheet name (default: the first sheet)"
    )
    parser.add_argument(
        "--encoding", metavar="NAME", help="force the text encoding (default: detected)"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument(
        "--progress",
        default="auto",
        choices=["auto", "text", "none"],
        help="progress display (default: auto)",
    )
    parser.set_defaults(handler=run_load)


def run_load(args: argparse.Namespace) -> int:
    """Handle ``specpub load``."""
    from specpub.specimens.linking import MediaLinks, link_media
    from specpub.specimens.load import load_specimens
    from specpub.workspace import Workspace

    progress = None if args.progress == "none" else args.progress
    if args.json and progress == "auto":
        progress = None
    specimens = load_specimens(
        args.table,
        mapping=args.mapping,
        sheet=args.sheet,
        progress=progress,
        encoding=args.encoding,
    )
    links = None
    if args.media or any(k.endswith("Multimedia") for k in specimens.extensions):
        links = link_media(specimens, args.media, progress=progress)
    ws = Workspace.open_or_create(args.workspace)
    folder = specimens.save(ws)
    if links is not None:
        links.save(ws)
    else:  # links made for an earlier load of a table would not match its rows
        MediaLinks.discard(ws)
    summary = specimens.summary()
    if links is not None:
        summary["links"] = links.summary()
    summary["saved_to"] = str(folder)
    if args.json:
        json.dump(summary, sys.stdout, indent=2, ensure_ascii=False, default=str)
        print()
        return 0
    print(_render(specimens, summary))
    return 0


def _render(specimens, summary: dict) -> str:
    src = summary["source"]
    lines = [
        f"Loaded {summary['rows']} specimens from {src.get('file')} "
        f"({src.get('format')}"
        + (f", {src.get('encoding')}" if src.get("encoding") else "")
        + (f", sheet {src.get('sheet')!r}" if src.get("sheet") else "")
        + ")",
        f"Columns: {summary['columns']}; mapped to Darwin Core terms: "
        f"{len(summary['mapped_terms'])}; kept as is: {len(summary['unmapped_columns'])}",
    ]
    for name, n in summary["extensions"].items():
        lines.append(f"Extension {name}: {n} rows")
    table = specimens.flag_summary()
    if len(table):
        lines.append("Flags:")
        width = max(len(f) for f in table["flag"])
        for row in table.itertuples():
            lines.append(f"  {row.flag:<{width}}  {row.severity:<7}  {row.count:>7}")
        lines.append(f"Rows with errors: {summary['rows_with_errors']}")
    else:
        lines.append("Flags: none")
    if "links" in summary:
        ln = summary["links"]
        lines.append(
            f"Media: {ln['files_linked']} files linked"
            + (f" + {ln['online_media_linked']} online media" if ln["online_media_linked"] else "")
            + f" to {ln['specimens_with_files']} specimens; "
            f"{ln['specimens_without_files']} specimens without files; "
            f"{ln['files_without_specimen']} files without specimen; "
            f"{ln['ambiguous_files']} ambiguous"
        )
    for w in summary["warnings"]:
        lines.append(f"Warning: {w}")
    lines.append(f"Saved to {summary['saved_to']}")
    return "\n".join(lines)
