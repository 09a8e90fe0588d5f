"""The command line's cold start: median wall time of ``specpub --help`` and ``scan --help``.

Each measure starts a fresh interpreter (the installed ``specpub`` console
script), as a user's shell does; the page cache is warmed first. With
``--before SRC`` (the ``src`` folder of another checkout, e.g. from ``git archive
<commit> src``) the same commands run on that tree too, interleaved with this
one, for a side-by-side ratio. ``python -c pass`` is the floor.

Usage: ``python benchmarks/cli_cold_start.py [--repeat 21] [--before /tmp/old/src]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import write_results

RESULTS = Path(__file__).with_name("results") / "cli_cold_start.json"
COMMANDS = {"specpub --help": ["--help"], "specpub scan --help": ["scan", "--help"]}


def _seconds(argv: list[str], src: str | None) -> float:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src  # ahead of the installed (editable) specpub
    t0 = time.perf_counter()
    subprocess.run(argv, env=env, capture_output=True, check=True)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--before", help="src folder of the tree to compare with")
    args = parser.parse_args()
    script = shutil.which("specpub", path=str(Path(sys.executable).parent)) or "specpub"
    trees = {"now": None} | ({"before": args.before} if args.before else {})
    load_start = [round(x, 2) for x in os.getloadavg()]
    for argv in COMMANDS.values():  # warm the page cache
        for src in trees.values():
            _seconds([script, *argv], src)
    times: dict[tuple[str, str], list[float]] = {(t, c): [] for t in trees for c in COMMANDS}
    floor = []
    for _ in range(args.repeat):
        floor.append(_seconds([sys.executable, "-c", "pass"], None))
        for name, argv in COMMANDS.items():
            for tree, src in trees.items():
                times[(tree, name)].append(_seconds([script, *argv], src))
    result: dict = {"repeat": args.repeat, "load_average_start": load_start,
                    "python_c_pass_s": round(statistics.median(floor), 3)}  # fmt: skip
    for name in COMMANDS:
        row = {tree: round(statistics.median(times[(tree, name)]), 3) for tree in trees}
        if "before" in row:
            row["speedup"] = round(row["before"] / row["now"], 2)
        result[name] = row
        print(f"{name:22s} " + "  ".join(f"{k} {v}" for k, v in row.items()))
    print(f"python -c pass         {result['python_c_pass_s']}")
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    write_results(RESULTS, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
