"""Run every benchmark, one after the other, and print where the results went.

Usage: ``python benchmarks/run_all.py [--quick] [NAME ...]`` (``make bench``).
Benchmarks compete for the CPU with anything else running: run them on an
otherwise idle machine and quote medians and ratios from one run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: In the order of the pipeline; each is ``benchmarks/NAME.py``.
BENCHMARKS = (
    "demo_generate",
    "specimens_load",
    "media_link",
    "media_scan",
    "preservation_validate",
    "sandbox_throughput",
    "sandbox_app_cpu",
    "batch_throughput",
    "batch_efficiency",
    "forecast",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the quick variant of each")
    parser.add_argument("names", nargs="*", choices=[*BENCHMARKS, []], metavar="NAME")
    args = parser.parse_args(argv)
    failed = []
    for name in args.names or BENCHMARKS:
        cmd = [sys.executable, str(HERE / f"{name}.py"), *(["--quick"] if args.quick else [])]
        print(f"=== {name} ({time.strftime('%H:%M:%S')})", flush=True)
        if subprocess.run(cmd, check=False).returncode != 0:
            failed.append(name)
    print(f"results: {HERE / 'results'}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
