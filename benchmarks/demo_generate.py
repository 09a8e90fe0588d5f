"""Time to generate demo collections (specpub.demo.generate_collection).

Cases: 12 specimens at the default size (target < 5 s), 200 specimens at a
small size (300x430) and, unless ``--quick``, 200 specimens at the default
size. Also reports the share of time spent drawing versus encoding/writing,
measured side by side in the same run (drawing alone for the same sheets).

Usage::

    .venv/bin/python benchmarks/demo_generate.py [--quick] [--repeat N]

Prints a table (median of the runs) and writes
``benchmarks/results/demo_generate.json``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import write_results
from specpub.demo import generate_collection
from specpub.demo._sheets import SheetText, draw_sheet

RESULTS = Path(__file__).parent / "results" / "demo_generate.json"
TARGET_12_DEFAULT_S = 5.0


def _generate(specimens: int, size: tuple[int, int]) -> tuple[float, int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        demo = generate_collection(tmp, specimens=specimens, image_size=size, seed=0)
        elapsed = time.perf_counter() - t0
        total = sum(f.bytes for f in demo.files)
        return elapsed, len(demo.files), total


def _draw_only(specimens: int, size: tuple[int, int]) -> float:
    text = SheetText(
        "DEMO0001234",
        "DEMO",
        "Melochia parvifolia Kunth",
        "Malvaceae",
        "Luke W.R.Q. & Luke P.A.",
        "1234",
        "2 July 1935",
        "Rutshuru, plaine de lave, Kivu",
        "Congo, Democratic Republic of the",
        "Robyns, W.",
    )
    t0 = time.perf_counter()
    for i in range(specimens):
        draw_sheet(text, size, np.random.default_rng([0, i, 7]))
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 200 x default-size case")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (median reported)")
    args = parser.parse_args(argv)

    cases = [(12, (900, 1300)), (200, (300, 430))]
    if not args.quick:
        cases.append((200, (900, 1300)))
    repeat = 1 if args.quick else args.repeat
    rows = []
    print(
        f"{'specimens':>9} {'size':>9} {'runs':>4} {'median s':>9} {'sheets/s':>9} "
        f"{'draw share':>10} {'files':>6} {'MB':>7}"
    )
    for specimens, size in cases:
        runs = []
        draws = []
        files = total = 0
        for _ in range(max(1, repeat if specimens <= 12 else min(repeat, 2))):
            elapsed, files, total = _generate(specimens, size)
            runs.append(elapsed)
            draws.append(_draw_only(specimens, size))
        median = statistics.median(runs)
        draw_share = statistics.median(draws) / median if median else 0.0
        row = {
            "specimens": specimens,
            "image_size": list(size),
            "runs": len(runs),
            "seconds_median": median,
            "seconds_all": runs,
            "sheets_per_s": specimens / median,
            "draw_seconds_median": statistics.median(draws),
            "draw_share": draw_share,
            "files": files,
            "bytes": total,
        }
        rows.append(row)
        print(
            f"{specimens:>9} {size[0]:>4}x{size[1]:<4} {len(runs):>4} {median:>9.2f} "
            f"{specimens / median:>9.1f} {draw_share:>10.0%} {files:>6} {total / 1e6:>7.1f}"
        )
    first = rows[0]["seconds_median"]
    verdict = "meets" if first < TARGET_12_DEFAULT_S else "MISSES"
    print(
        f"12 specimens at 900x1300: {first:.2f} s ({verdict} the < {TARGET_12_DEFAULT_S:.0f} s "
        "target)"
    )
    result = {
        "benchmark": "demo_generate",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "quick": args.quick,
        "target_12_default_s": TARGET_12_DEFAULT_S,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_end": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "rows": rows,
    }
    write_results(RESULTS, result)
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
