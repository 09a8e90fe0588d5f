"""Throughput of the embedded repository: records/s on loopback (legacy API).

One record = create (small metadata) + one 64 KB file via the bucket PUT +
publish, with raw httpx (not specpub.repository), at concurrency 1, 8 and 32,
rate limits off, no faults. Each run gets a fresh sandbox. By default the
sandbox runs in a child process (``specpub sandbox serve``) so that the client
and the server do not share one interpreter; ``--server thread`` runs it in a
background thread of this process instead.

Usage::

    .venv/bin/python benchmarks/sandbox_throughput.py [--quick] [--server process|thread]

Prints a table (median of the runs) and writes
``benchmarks/results/sandbox_throughput.json``. Target: >= 100 records/s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from contextlib import AbstractContextManager
from pathlib import Path

import httpx

from _common import cpu_seconds, write_results
from specpub.sandbox import running, running_subprocess

RESULTS = Path(__file__).parent / "results" / "sandbox_throughput.json"
FILE_BYTES = 64 * 1024
TARGET = 100.0


def _metadata(i: int) -> dict:
    return {
        "metadata": {
            "title": f"Herbarium specimen BR{i:010d}",
            "upload_type": "image",
            "image_type": "photo",
            "description": "<p>Benchmark specimen.</p>",
            "creators": [{"name": "Doe, Jane", "affiliation": "Meise Botanic Garden"}],
            "publication_date": "2024-01-15",
            "access_right": "open",
            "license": "cc-by-4.0",
            "keywords": ["herbarium", "benchmark"],
        }
    }


async def _one_record(client: httpx.AsyncClient, i: int, payload: bytes, steps: dict) -> None:
    t0 = time.perf_counter()
    r = await client.post("/deposit/depositions", json=_metadata(i))
    r.raise_for_status()
    dep = r.json()
    t1 = time.perf_counter()
    r = await client.put(
        f"{dep['links']['bucket']}/BR{i:010d}.jpg",
        content=payload,
        headers={"Content-Type": "application/octet-stream"},
    )
    r.raise_for_status()
    t2 = time.perf_counter()
    r = await client.post(f"/deposit/depositions/{dep['id']}/actions/publish")
    if r.status_code != 202:
        raise RuntimeError(f"publish answered {r.status_code}: {r.text[:500]}")
    t3 = time.perf_counter()
    steps["create"].append(t1 - t0)
    steps["upload"].append(t2 - t1)
    steps["publish"].append(t3 - t2)


async def _run(url: str, token: str, records: int, concurrency: int) -> dict:
    payload = os.urandom(FILE_BYTES)
    steps: dict[str, list[float]] = {"create": [], "upload": [], "publish": []}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(records):
        queue.put_nowait(i)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=url + "/api",
        headers={"Authorization": f"Bearer {token}", "User-Agent": "specpub-benchmark"},
        limits=limits,
        timeout=120,
    ) as client:
        # Warm up (connections, imports, SQLite pages) outside the measurement.
        await asyncio.gather(
            *(
                _one_record(client, 10**9 + k, payload, {"create": [], "upload": [], "publish": []})
                for k in range(min(concurrency, 4))
            )
        )

        async def worker() -> None:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                await _one_record(client, i, payload, steps)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    return {
        "records": records,
        "seconds": elapsed,
        "records_per_s": records / elapsed,
        "median_ms": {k: 1000 * statistics.median(v) for k, v in steps.items()},
    }


def _cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process (Linux /proc), or of this process if ``pid`` is None."""
    if pid is None:
        return time.process_time()
    try:
        return cpu_seconds(pid)
    except OSError:
        return None


def _sandbox(kind: str, data_dir: Path) -> AbstractContextManager:
    if kind == "process":
        return running_subprocess(data_dir, rate_limit="off", search_rate_limit="off")
    return running(data_dir, rate_limit=None, search_rate_limit=None)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _median(results: list[dict], key: str) -> float | None:
    values = [r[key] for r in results if r.get(key) is not None]
    return statistics.median(values) if values else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer records, one run each")
    parser.add_argument("--server", choices=("process", "thread"), default="process")
    parser.add_argument("--concurrency", type=int, nargs="*", default=[1, 8, 32])
    args = parser.parse_args(argv)
    runs = 1 if args.quick else 3
    per_run = {1: 60, 8: 200, 32: 300} if not args.quick else {1: 20, 8: 60, 32: 100}

    rows = []
    for conc in args.concurrency:
        results = []
        for _ in range(runs):
            with (
                tempfile.TemporaryDirectory(prefix="specpub-bench-") as tmp,
                _sandbox(args.server, Path(tmp)) as sb,
            ):
                n = per_run.get(conc, 10 * conc)
                pid = sb.process.pid if args.server == "process" else None
                server_cpu0, client_cpu0 = _cpu_seconds(pid), time.process_time()
                result = asyncio.run(_run(sb.url, sb.token, n, conc))
                server_cpu1, client_cpu1 = _cpu_seconds(pid), time.process_time()
                # Warm-up records are included in the CPU time; negligible next to n.
                if server_cpu0 is not None and server_cpu1 is not None:
                    result["server_cpu_ms_per_record"] = 1000 * (server_cpu1 - server_cpu0) / n
                result["client_cpu_ms_per_record"] = 1000 * (client_cpu1 - client_cpu0) / n
                results.append(result)
        rates = [r["records_per_s"] for r in results]
        best = results[rates.index(statistics.median(rates))] if runs % 2 else results[0]
        rows.append(
            {
                "concurrency": conc,
                "records_per_run": results[0]["records"],
                "runs": runs,
                "records_per_s_median": statistics.median(rates),
                "records_per_s_all": rates,
                "step_median_ms": best["median_ms"],
                # In process mode: CPU the server spent per record, and the records/s
                # one core could sustain at that cost (independent of machine load).
                "server_cpu_ms_per_record": _median(results, "server_cpu_ms_per_record"),
                "client_cpu_ms_per_record": _median(results, "client_cpu_ms_per_record"),
            }
        )

    print(f"\nsandbox throughput ({args.server} server, legacy API, 64 KB file, rate limits off)")
    print(
        f"{'concurrency':>11}  {'records/s':>9}  {'create ms':>9}  {'upload ms':>9}  "
        f"{'publish ms':>10}  {'vs target':>9}  {'srv cpu ms/rec':>14}  {'cli cpu ms/rec':>14}"
    )
    for row in rows:
        ms = row["step_median_ms"]
        print(
            f"{row['concurrency']:>11}  {row['records_per_s_median']:>9.1f}  "
            f"{ms['create']:>9.1f}  {ms['upload']:>9.1f}  {ms['publish']:>10.1f}  "
            f"{row['records_per_s_median'] / TARGET:>8.2f}x  "
            f"{_fmt(row['server_cpu_ms_per_record']):>14}  "
            f"{_fmt(row['client_cpu_ms_per_record']):>14}"
        )
    print(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    write_results(
        RESULTS,
        {
            "benchmark": "sandbox_throughput",
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "quick": args.quick,
            "server": args.server,
            "file_bytes": FILE_BYTES,
            "target_records_per_s": TARGET,
            "python": sys.version.split()[0],
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "load_average_end": os.getloadavg()[0],
            "rows": rows,
        },
    )
    print(f"\nwrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
