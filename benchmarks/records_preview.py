"""Benchmark: the preview of 1,000 records (a page per record and the paged gallery).

Generates once under ``benchmarks/.work/`` a specimen table (the messy Meise-like generator
of ``specimens_load.py``) with a 16-bit TIFF master and a JPEG access copy per specimen
(distinct pixels, so every thumbnail is its own), builds the records (``minimal`` preset,
not timed; the table has 5 % more rows than records wanted, as some of its messy rows make
no record), then times ``specpub.records.preview.preview`` of the first 1,000 records twice
into fresh output folders: cold (every thumbnail rendered, TIFF masters included) and warm
(thumbnails cached in the workspace), in one process.

Usage::

    .venv/bin/python benchmarks/records_preview.py [--quick] [--records N]

Target: the gallery of 1,000 records renders in <= 5 s with thumbnails cached.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image

from _common import write_results

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "records_preview"
RESULTS = HERE / "results" / "records_preview.json"


def prepare(n: int) -> Path:
    """A workspace with ``n`` specimens, their images linked and their records built."""
    from specimens_load import generate
    from specpub.records import build_workspace_records
    from specpub.specimens import link_media, load_specimens
    from specpub.workspace import Workspace

    root = WORK / f"ws-{n}"
    if (root / "records" / "records.parquet").is_file():
        return root
    shutil.rmtree(WORK / f"media-{n}", ignore_errors=True)
    media = WORK / f"media-{n}"
    media.mkdir(parents=True)
    table = WORK / f"table-{n}.csv"
    generate(table, n)
    specimens = load_specimens(table, progress=None)
    rng = np.random.default_rng(7)
    for cat in specimens.frame["catalogNumber"]:
        if not cat:
            continue
        base = rng.integers(60, 200, 3)
        noise = rng.integers(0, 40, (900, 600, 3))
        Image.fromarray((base + noise).astype("uint8")).save(media / f"{cat}.jpg", quality=85)
        tifffile.imwrite(
            media / f"{cat}.tif",
            ((base + noise[::2, ::2]) * 257).astype("uint16"),
            photometric="rgb",
        )
    ws = Workspace.create(root)
    specimens.save(ws)
    link_media(specimens, [media], progress=None).save(ws)
    build_workspace_records(ws, "minimal", workers=1)
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 records")
    parser.add_argument("--records", type=int, default=None)
    args = parser.parse_args(argv)
    n = args.records or (200 if args.quick else 1000)

    from specpub.records import Records
    from specpub.records.preview import preview
    from specpub.workspace import Workspace

    ws = Workspace.open(prepare(n + n // 20 + 10))
    shutil.rmtree(ws.root / "records" / "thumbnails", ignore_errors=True)
    records = list(Records.load(ws))[:n]
    if len(records) < n:
        raise SystemExit(f"the generated table made {len(records)} records, fewer than {n}")
    runs = {}
    for label in ("cold", "warm"):
        out = WORK / f"out-{label}"
        shutil.rmtree(out, ignore_errors=True)
        start = time.perf_counter()
        result = preview(records, out, workspace=ws, progress=None)
        seconds = time.perf_counter() - start
        runs[label] = {"seconds": round(seconds, 2), **result.summary()}
        print(
            f"{label}: {seconds:.2f} s for {len(records)} records "
            f"({result.thumbnails_made} thumbnails made, {result.thumbnails_cached} cached)"
        )
    write_results(
        RESULTS,
        {
            "benchmark": "records_preview",
            "target": "gallery of 1,000 records in <= 5 s with thumbnails cached",
            "records": len(records),
            "runs": runs,
            "load_average": os.getloadavg(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
