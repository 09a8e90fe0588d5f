"""Server-side CPU cost of the embedded repository per record (robust on a busy machine).

One record = legacy create + one 64 KB bucket PUT + publish (3 requests), sent with raw httpx
at a fixed concurrency to ``specpub sandbox serve`` in a child process (rate limits off).
The child's CPU time (user + system, from ``/proc/<pid>/stat``) divided by the number of
records gives the server's CPU milliseconds per record; ``1000 / that`` is the throughput one
dedicated core could sustain. Wall-clock records/s are reported too, but on a shared 2-core
machine they mostly measure the neighbours.

Usage::

    .venv/bin/python benchmarks/sandbox_app_cpu.py [--quick]

Prints a small table (median of the runs) and writes ``benchmarks/results/sandbox_app_cpu.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from _common import cpu_seconds, write_results
from specpub.sandbox.server import running_subprocess

RESULTS = Path(__file__).parent / "results" / "sandbox_app_cpu.json"
PAYLOAD = os.urandom(64 * 1024)
METADATA = {
    "metadata": {
        "title": "Herbarium specimen",
        "upload_type": "image",
        "image_type": "photo",
        "creators": [{"name": "Doe, Jane"}],
        "custom": {"dwc:catalogNumber": ["BR0"], "dwc:institutionCode": ["BR"]},
    }
}


async def one_record(c: httpx.AsyncClient, i: int) -> None:
    body = json.loads(json.dumps(METADATA))
    body["metadata"]["custom"]["dwc:catalogNumber"] = [f"BR{i:07d}"]
    r = await c.post("/api/deposit/depositions", json=body)
    r.raise_for_status()
    dep = r.json()
    r = await c.put(
        dep["links"]["bucket"] + "/sheet.jpg",
        content=PAYLOAD,
        headers={"Content-Type": "application/octet-stream"},
    )
    r.raise_for_status()
    r = await c.post(dep["links"]["publish"])
    r.raise_for_status()


async def drive(url: str, token: str, n: int, concurrency: int) -> float:
    limits = httpx.Limits(max_connections=concurrency)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as c:
        queue = iter(range(n))

        async def worker() -> None:
            for i in queue:
                await one_record(c, i)

        t = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - t


def run_once(n: int, concurrency: int) -> dict:
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_subprocess(Path(tmp) / "sb", rate_limit="off") as sb,
    ):
        asyncio.run(drive(sb.url, sb.token, 20, concurrency))  # warm-up
        cpu0 = cpu_seconds(sb.process.pid)
        wall = asyncio.run(drive(sb.url, sb.token, n, concurrency))
        cpu = cpu_seconds(sb.process.pid) - cpu0
    return {"wall_records_per_s": n / wall, "server_cpu_ms_per_record": 1000 * cpu / n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer records and runs")
    args = parser.parse_args()
    n, runs, concurrency = (200, 2, 8) if args.quick else (1000, 3, 8)
    results = [run_once(n, concurrency) for _ in range(runs)]
    cpu_ms = statistics.median(r["server_cpu_ms_per_record"] for r in results)
    wall = statistics.median(r["wall_records_per_s"] for r in results)
    summary = {
        "records_per_run": n,
        "runs": runs,
        "concurrency": concurrency,
        "server_cpu_ms_per_record": round(cpu_ms, 2),
        "records_per_s_per_server_core": round(1000 / cpu_ms, 1),
        "wall_records_per_s": round(wall, 1),
        "load_average": os.getloadavg(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    print("sandbox server CPU per record (create + 64 KB PUT + publish)")
    print(f"{'server CPU ms/record':>22} {'records/s per core':>20} {'wall records/s':>15}")
    print(
        f"{summary['server_cpu_ms_per_record']:>22} "
        f"{summary['records_per_s_per_server_core']:>20} {summary['wall_records_per_s']:>15}"
    )
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    write_results(RESULTS, {"summary": summary, "runs": results})
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
