"""Benchmark: link 300,000 image files (one folder tree) to 100,000 specimens.

Creates 300,000 empty files once under ``benchmarks/.work/media_300k/`` (100,000 in one
flat folder, the rest in 20 sub-folders of 10,000; three files per specimen: JPEG access
copy, TIFF master, ``_lab`` label image, with 1 % strays), then times ``link_media`` with
the default prefix rule: median of 3 runs in this process (the first run is reported too;
the file-system cache is warm after the creation).

Usage::

    .venv/bin/python benchmarks/media_link.py [--quick]

Target: ≤ 30 s for 300,000 files.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

from _common import write_results

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from specpub.specimens import Specimens, link_media  # noqa: E402

WORK = HERE / ".work"
RESULTS = HERE / "results"


def catalogue(i: int) -> str:
    number = f"BR{10**12 + i * 7919:013d}"
    return number[:2] + " " + number[2:] if i % 50 == 0 else number  # some with spaces


def create_tree(root: Path, specimens: int) -> int:
    marker = root / ".complete"
    if marker.exists():
        return int(marker.read_text())
    flat = root / "flat"
    flat.mkdir(parents=True, exist_ok=True)
    count = 0
    for i in range(specimens):
        number = catalogue(i).replace(" ", "")
        folder = flat if i < specimens // 3 else root / f"batch_{i % 20:02d}"
        folder.mkdir(exist_ok=True)
        for name in (f"{number}.jpg", f"{number}.tif", f"{number}_lab.jpg"):
            with open(folder / name, "wb"):
                pass
            count += 1
    for j in range(specimens // 100):
        with open(root / f"batch_{j % 20:02d}" / f"IMG_{j:06d}.jpg", "wb"):
            pass
        count += 1
    marker.write_text(str(count))
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3,000 files, one run")
    args = parser.parse_args()
    n_specimens = 1_000 if args.quick else 100_000
    root = WORK / ("media_quick" if args.quick else "media_300k")
    t0 = time.perf_counter()
    n_files = create_tree(root, n_specimens)
    created = time.perf_counter() - t0
    frame = pd.DataFrame({"catalogNumber": [catalogue(i) for i in range(n_specimens)]})
    frame["_row"] = range(2, n_specimens + 2)
    frame["_source"] = "bench.csv"
    sp = Specimens(frame, mapping=pd.DataFrame(), flags=pd.DataFrame())
    runs, cpu = [], []
    for _ in range(1 if args.quick else 3):
        t0, c0 = time.perf_counter(), time.process_time()
        links = link_media(sp, [root], progress=None)
        runs.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    s = links.summary()
    assert s["files_linked"] == 3 * n_specimens, s
    assert s["files_without_specimen"] == n_specimens // 100, s
    result = {
        "benchmark": "media_link",
        "files": n_files,
        "largest_folder_files": n_specimens,
        "specimens": n_specimens,
        "repeats": len(runs),
        "median_seconds": round(statistics.median(runs), 2),
        "seconds": [round(r, 2) for r in runs],
        "cpu_seconds": [round(c, 2) for c in cpu],
        "files_per_second": round(n_files / statistics.median(runs)),
        "linked": s["files_linked"],
        "unlinked_files": s["files_without_specimen"],
        "tree_creation_seconds": round(created, 1),
        "target_seconds": 30,
        "machine": f"{platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs shared with other jobs",
    }
    print(f"{'files':>8} {'specimens':>10} {'median s':>9} {'runs s':>20} {'files/s':>9}")
    print(
        f"{n_files:>8} {n_specimens:>10} {result['median_seconds']:>9} "
        f"{result['seconds']!s:>20} {result['files_per_second']:>9}"
    )
    if not args.quick:
        write_results(RESULTS / "media_link.json", result)


if __name__ == "__main__":
    main()
