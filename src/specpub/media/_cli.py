"""``specpub scan`` and ``specpub inspect``: read media files once for fixity and metadata."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from specpub.media.analysers import ANALYSERS

_INSPECT_FIELDS = (
    ("format", "format"),
    ("puid", "PRONOM"),
    ("mime", "MIME"),
    ("size", "bytes"),
    ("md5", "MD5"),
    ("sha256", "SHA-256"),
    ("width", "width"),
    ("height", "height"),
    ("bits_per_sample", "bits/sample"),
    ("samples_per_pixel", "samples/pixel"),
    ("photometric", "photometric"),
    ("colour_mode", "colour mode"),
    ("compression", "compression"),
    ("planar_config", "planar"),
    ("pages", "pages"),
    ("tiled", "tiled"),
    ("ppi", "ppi"),
    ("resolution_unit", "resolution unit"),
    ("icc_description", "ICC profile"),
    ("icc_colour_space", "ICC colour space"),
    ("exif_make", "Make"),
    ("exif_model", "Model"),
    ("exif_software", "Software"),
    ("exif_datetime_original", "DateTimeOriginal"),
    ("exif_datetime", "DateTime"),
    ("exif_artist", "Artist"),
    ("exif_copyright", "Copyright"),
    ("exif_orientation", "Orientation"),
    ("xmp_identifier", "XMP dc:identifier"),
    ("xmp_rights", "XMP dc:rights"),
    ("xmp_usage_terms", "XMP UsageTerms"),
    ("xmp_web_statement", "XMP WebStatement"),
    ("iptc_byline", "IPTC By-line"),
    ("iptc_copyright", "IPTC Copyright"),
)


def _progress(args: argparse.Namespace) -> Any:
    progress = None if args.progress == "none" else args.progress
    if getattr(args, "json", False) and progress == "auto":
        progress = None
    return progress


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``scan`` and ``inspect`` sub-commands."""
    scan = subparsers.add_parser(
        "scan",
        help="read every media file once: fixity, format, technical facts, metadata",
        description=(
            "Read each media file once: MD5 and SHA-256, format by signature (PRONOM), "
            "dimensions, bit depth, colour, compression, resolution, ICC profile, Exif/XMP/IPTC, "
            "and any registered analyser's checks. Scans the folders `specpub load --media` "
            "linked (and the media cache of `specpub fetch-media`), or the DIRs given. A re-scan "
            "reads only new or changed files. Saves WS/media/manifest.parquet."
        ),
    )
    scan.add_argument("dirs", nargs="*", metavar="DIR", help="folders or files to scan")
    scan.add_argument("--workspace", "-w", required=True, metavar="WS", help="workspace folder")
    scan.add_argument(
        "--workers", type=int, metavar="N", help="worker processes (default: one per core)"
    )
    scan.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask cluster: the scheduler's address, e.g. tcp://10.0.0.5:8786",
    )
    scan.add_argument(
        "--analyser",
        action="append",
        default=[],
        metavar="NAME",
        help=f"also run this analyser (repeatable; registered: {', '.join(sorted(ANALYSERS))})",
    )
    scan.add_argument(
        "--full", action="store_true", help="read every file again (no incremental re-scan)"
    )
    scan.add_argument(
        "--all-files", action="store_true", help="scan every file, not only media extensions"
    )
    scan.add_argument("--chunk-size", type=int, metavar="N", help="files per task")
    scan.add_argument(
        "--no-fixity",
        action="store_true",
        help="metadata only: skip MD5/SHA-256 (a quick look; a later scan computes them)",
    )
    scan.add_argument(
        "--file-timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="abandon a file (a 'timeout' row) that takes longer than this plus 1 s per 4 MiB "
        "(default 120; 0: no limit)",
    )
    scan.add_argument("--json", action="store_true", help="print the summary as JSON")
    scan.add_argument(
        "--progress", default="auto", choices=["auto", "text", "none"], help="progress display"
    )
    scan.set_defaults(handler=run_scan)

    inspect = subparsers.add_parser(
        "inspect",
        help="show the format, fixity and metadata of image files (no workspace)",
        description=(
            "Read each FILE once and print its format (by signature), checksums, technical "
            "facts, ICC profile and embedded metadata: one JSON object per line with --json."
        ),
    )
    inspect.add_argument("files", nargs="+", metavar="FILE", help="image files")
    inspect.add_argument("--json", action="store_true", help="one JSON object per file and line")
    inspect.add_argument(
        "--analyser", action="append", default=[], metavar="NAME", help="also run this analyser"
    )
    inspect.set_defaults(handler=run_inspect)

    fetch = subparsers.add_parser(
        "fetch-media",
        help="download the media a table names by URL into the workspace (resumable)",
        description=(
            "Download every image the workspace's media links name by URL (a Darwin Core "
            "Archive's multimedia extension, or --column) into WS/media/cache/, checksummed and "
            "scanned as the bytes arrive; the links then point at the local files. Bounded per "
            "host, paced, retried, resumable: run it again after a failure. Exit 0 when every "
            "URL is fetched, 3 when some failed (see WS/media/fetch.csv), 2 on bad input."
        ),
    )
    fetch.add_argument("--workspace", "-w", required=True, metavar="WS", help="workspace folder")
    fetch.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="NAME",
        help="a table column of image URLs (associatedMedia, jpegURL …; repeatable)",
    )
    fetch.add_argument(
        "--concurrency", type=int, default=8, metavar="N", help="downloads at once (default 8)"
    )
    fetch.add_argument(
        "--per-host", type=int, default=4, metavar="N", help="connections to one host (default 4)"
    )
    fetch.add_argument(
        "--rate", type=float, metavar="R", help="requests per second to one host (default: unpaced)"
    )
    fetch.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="seconds per request (default 60)",
    )
    fetch.add_argument(
        "--retries",
        type=int,
        default=5,
        metavar="N",
        help="retries of timeouts, 429 and 5xx (default 5)",
    )
    fetch.add_argument(
        "--max-size",
        type=int,
        default=4 << 30,
        metavar="BYTES",
        help="refuse larger files (default 4 GiB)",
    )
    fetch.add_argument(
        "--mirror",
        action="append",
        default=[],
        metavar="PREFIX=REPLACEMENT",
        help="fetch URLs starting with PREFIX from REPLACEMENT instead (a local mirror)",
    )
    fetch.add_argument("--json", action="store_true", help="print the summary as JSON")
    fetch.add_argument(
        "--progress", default="auto", choices=["auto", "text", "none"], help="progress display"
    )
    fetch.set_defaults(handler=run_fetch)


def run_scan(args: argparse.Namespace) -> int:
    """Handle ``specpub scan``."""
    from specpub.errors import InputError
    from specpub.media import _pool
    from specpub.media._scan import scan

    if args.workers is not None and args.workers < 0:
        raise InputError("--workers must be 0 or more", fix="pass --workers 2, or omit it")
    if args.chunk_size is not None and args.chunk_size < 1:
        raise InputError("--chunk-size must be at least 1", fix="omit it for the default")
    try:
        manifest = scan(
            args.dirs,
            workspace=args.workspace,
            analysers=("facts", *args.analyser),
            workers=args.workers,
            scheduler=args.scheduler,
            chunk_size=args.chunk_size,
            incremental=not args.full,
            extensions=["*"] if args.all_files else None,
            progress=_progress(args),
            file_timeout=args.file_timeout or None,
            fixity=not args.no_fixity,
        )
    except KeyboardInterrupt:
        print(
            "\nInterrupted: the files read so far are saved in the manifest; run the same "
            "command again to read the rest.",
            file=sys.stderr,
        )
        return 130
    finally:
        _pool.shutdown(wait=False)
    summary = manifest.summary()
    if args.json:
        json.dump(summary, sys.stdout, indent=2, ensure_ascii=False, default=str)
        print()
        return 0
    run = summary.get("scan", {})
    print(
        f"Scanned {summary['files']} files ({summary['bytes'] / 1e6:,.1f} MB): "
        f"{run.get('files_read', 0)} read, {run.get('files_unchanged', 0)} unchanged, "
        f"{run.get('files_removed', 0)} removed since the last scan "
        f"({run.get('seconds', 0):.1f} s, {run.get('workers', 0)} workers)"
    )
    print("Formats: " + ", ".join(f"{k} {v}" for k, v in summary["formats"].items()))
    print(f"Linked to specimens: {summary['linked_files']}")
    if summary["errors"]:
        print(
            f"Unreadable: {summary['errors']} ("
            + ", ".join(f"{k} {v}" for k, v in summary["errors_by_code"].items())
            + ") — see media/findings.csv"
        )
    if summary.get("duplicate_files"):
        print(
            f"Duplicates: {summary['duplicate_files']} files have the same content as another "
            "(MEDIA-DUPLICATE in media/findings.csv)"
        )
    if summary["findings_by_severity"]:
        print(
            "Findings (worst per file): "
            + ", ".join(f"{k} {v}" for k, v in summary["findings_by_severity"].items())
        )
    print(f"Saved to {args.workspace}/media/manifest.parquet")
    return 0


def run_inspect(args: argparse.Namespace) -> int:
    """Handle ``specpub inspect``; exit 1 when a file could not be read."""
    from specpub.media._inspect import inspect

    rows = inspect(args.files, analysers=("facts", *args.analyser))
    for row in rows:
        if args.json:
            print(json.dumps(row, ensure_ascii=False, default=str))
            continue
        print(row["path"])
        if row.get("error"):
            print(f"  error: {row['error']}")
            continue
        for key, label in _INSPECT_FIELDS:
            value = row.get(key)
            if value not in (None, ""):
                print(f"  {label:<18} {value}")
        for f in row.get("findings", []):
            print(f"  [{f.get('severity')}] {f.get('id')}: {f.get('message')}")
    return 1 if any(r.get("error") for r in rows) else 0


def run_fetch(args: argparse.Namespace) -> int:
    """Handle ``specpub fetch-media``."""
    from specpub.errors import InputError
    from specpub.media.fetch import fetch_media

    mirror = {}
    for item in args.mirror:
        prefix, sep, replacement = item.partition("=")
        if not sep or not prefix or not replacement:
            raise InputError(
                f"--mirror {item!r} is not PREFIX=REPLACEMENT",
                fix="e.g. --mirror https://images.example.org/=http://127.0.0.1:8000/",
            )
        mirror[prefix] = replacement
    for name in ("concurrency", "per_host"):
        if getattr(args, name) < 1:
            raise InputError(f"--{name.replace('_', '-')} must be at least 1", fix="omit it")
    result = fetch_media(
        args.workspace,
        columns=args.column,
        concurrency=args.concurrency,
        per_host=args.per_host,
        rate=args.rate,
        timeout=args.timeout,
        retries=args.retries,
        max_bytes=args.max_size,
        mirror=mirror,
        progress=_progress(args),
    )
    summary = result.summary()
    if args.json:
        json.dump(summary, sys.stdout, indent=2, ensure_ascii=False, default=str)
        print()
    else:
        print(
            f"{summary['urls']} media URLs: {summary['fetched']} fetched, "
            f"{summary['cached']} already in the cache, {summary['failed']} failed "
            f"({summary.get('bytes_downloaded', 0) / 1e6:,.1f} MB in "
            f"{summary.get('seconds', 0):.1f} s)"
        )
        failed = result.frame[result.frame["status"] == "failed"]
        for row in failed.head(10).itertuples():
            print(f"  {row.url}: {row.error} — {row.fix}")
        if len(failed) > 10:
            print(f"  … and {len(failed) - 10} more: see {args.workspace}/media/fetch.csv")
        print(f"Saved to {args.workspace}/media/fetch.csv; the files are in media/cache/")
    return 3 if summary["failed"] else 0
