"""Command-line sub-commands of the demo area: ``specpub demo`` and ``specpub demo-data``.

Each command is added by its own ``_add_*`` function, so more commands (such
as ``specpub demo``) can join :func:`register` with one line.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser(prog="specpub")
>>> register(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["demo-data", "out", "--size", "300x420"])
>>> args.size, args.specimens
((300, 420), 12)
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from specpub._cliopts import add_progress
from specpub.errors import InputError

__all__ = ["register"]


def _size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 900x1300, got {text!r}")
    return int(match.group(1)), int(match.group(2))


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number between 0 and 1, got {text!r}"
        ) from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}")
    return value


def _run_demo_data(args: argparse.Namespace) -> int:
    from specpub.demo.collection import generate_collection

    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    if not formats:
        raise InputError("--formats is empty", field="--formats", fix="pass e.g. tiff,jpeg,png")
    demo = generate_collection(
        args.folder,
        specimens=args.specimens,
        seed=args.seed,
        messiness=args.messiness,
        image_size=args.size,
        broken=args.broken,
        formats=formats,
        institution=args.institution,
        overwrite=args.overwrite,
        progress=None if args.quiet else "auto",
    )
    print(demo.summary())
    return 0


def _add_demo_data(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo-data",
        help="write a demo collection (Darwin Core table + herbarium-sheet images)",
        description=(
            "Write a realistic, deterministic demo collection: specimens.csv (Darwin Core, "
            "with a share of real-world defects), TIFF masters, JPEG access copies, PNG "
            "label masks, deliberately broken files, and manifest.json recording every "
            "defect and broken file."
        ),
    )
    parser.add_argument("folder", metavar="DIR", help="output folder (new or empty)")
    parser.add_argument("--specimens", type=int, default=12, metavar="N", help="rows (12)")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (0)")
    parser.add_argument(
        "--messiness",
        type=_share,
        default=0.2,
        metavar="F",
        help="share of rows with defects, 0-1 (0.2)",
    )
    parser.add_argument(
        "--size",
        type=_size,
        default=(900, 1300),
        metavar="WxH",
        help="sheet image size in pixels (900x1300)",
    )
    parser.add_argument(
        "--no-broken",
        dest="broken",
        action="store_false",
        help="do not write the deliberately broken files",
    )
    parser.add_argument(
        "--formats",
        default="tiff,jpeg,png",
        metavar="LIST",
        help="comma-separated subset of tiff,jpeg,png (all)",
    )
    parser.add_argument(
        "--institution",
        default="DEMO",
        metavar="CODE",
        help="institution code, prefixes catalogue numbers (DEMO)",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an earlier demo collection in DIR"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.set_defaults(handler=_run_demo_data)


def _run_demo(args: argparse.Namespace) -> int:
    from specpub.demo.pipeline import run_demo

    run = run_demo(
        args.folder,
        specimens=args.specimens,
        seed=args.seed,
        api=args.api,
        concurrency=args.concurrency,
        port=args.port,
        serve=args.serve,
        progress=args.progress if args.progress != "none" else None,
    )
    return 0 if run.result is not None and run.result.ok else 3


def _add_demo(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="publish a generated collection on the embedded repository (offline, no token)",
        description=(
            "Generate a demo collection, load and check its table, link its images, build "
            "one record per specimen, and publish them on the embedded Zenodo-compatible "
            "repository started on 127.0.0.1; prints the DOIs and landing pages. Running "
            "it again resumes from the ledger and publishes nothing twice."
        ),
    )
    parser.add_argument(
        "folder", nargs="?", default=".demo", metavar="DIR", help="demo folder (.demo)"
    )
    parser.add_argument("--specimens", type=int, default=8, metavar="N", help="rows (8)")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (0)")
    parser.add_argument(
        "--api",
        default="legacy",
        choices=("legacy", "native"),
        help="Zenodo's deposit API (legacy, the default) or InvenioRDM's records API (native)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=4, metavar="N", help="records in flight (4)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        metavar="PORT",
        help="port of the embedded repository (0, the default: a free one)",
    )
    parser.add_argument(
        "--serve", action="store_true", help="keep the repository running until Ctrl-C"
    )
    add_progress(parser)
    parser.set_defaults(handler=_run_demo)


def register(subparsers: Any) -> None:
    """Add the demo area's sub-commands to the ``specpub`` parser.

    Examples
    --------
    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> register(sub)
    >>> "demo-data" in sub.choices and "demo" in sub.choices
    True
    """
    _add_demo(subparsers)
    _add_demo_data(subparsers)
