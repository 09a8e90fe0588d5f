"""Records per second of the batch runner with rate limits off, by concurrency.

The embedded sandbox runs in a subprocess (its CPU is not counted); the
runner publishes small single-file legacy records (3 requests each) at
concurrency 1, 4, 8, 16 and 32. Reported per level: records/s, requests/s,
and the client process's CPU time per record (``time.process_time``), which
covers the runner, the ledger writes and the HTTP client.

Usage: ``.venv/bin/python benchmarks/batch_throughput.py [--quick]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from specpub.batch import Ledger, Pacer, plan_records, run_batch_async
from specpub.repository import open_client
from specpub.sandbox.server import running_subprocess
from specpub.workspace import Workspace

sys.path.insert(0, str(Path(__file__).parent))
from _common import write_results
from batch_efficiency import make_records

RESULTS = Path(__file__).with_name("results") / "batch_throughput.json"


async def one_level(sb, tmp: Path, concurrency: int, n: int) -> dict:
    ws = Workspace.create(tmp / f"ws-{concurrency}")
    specs = make_records(tmp / f"media-{concurrency}", n, f"C{concurrency}x")
    plan_records(ws, specs, target="embedded", api="legacy")
    client = open_client(
        "embedded",
        api="legacy",
        base_url=sb.url,
        token_env="SPECPUB_BENCH_TOKEN",
        concurrency=concurrency,
    )
    try:
        cpu0, t0 = time.process_time(), time.monotonic()
        result = await run_batch_async(
            ws, client, concurrency=concurrency, pacer=Pacer(), progress=None
        )
        elapsed, cpu = time.monotonic() - t0, time.process_time() - cpu0
    finally:
        await client.aclose()
    assert result.ok, result.summary()
    with Ledger.for_workspace(ws) as led:
        requests = int((led.events().kind == "request").sum())
    return {
        "concurrency": concurrency,
        "records": n,
        "elapsed_s": round(elapsed, 2),
        "records_per_s": round(n / elapsed, 2),
        "requests_per_s": round(requests / elapsed, 1),
        "client_cpu_ms_per_record": round(1000 * cpu / n, 2),
    }


async def run(args: argparse.Namespace) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="specpub-thr-"))
    levels = [1, 4, 8, 16, 32]
    rows = []
    with running_subprocess(tmp / "sandbox", rate_limit="off") as sb:
        os.environ["SPECPUB_BENCH_TOKEN"] = sb.token
        for c in levels:
            n = args.records or (40 if args.quick else 200) * (1 if c == 1 else 2)
            rows.append(await one_level(sb, tmp, c, n))
            print(rows[-1], flush=True)
    return {"levels": rows, "files_per_record": 1, "file_bytes": 38}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--records", type=int, default=None, help="records per level")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(f"{'concurrency':>11} {'records/s':>10} {'requests/s':>11} {'cpu ms/rec':>11}")
    for row in result["levels"]:
        print(
            f"{row['concurrency']:>11} {row['records_per_s']:>10} {row['requests_per_s']:>11} "
            f"{row['client_cpu_ms_per_record']:>11}"
        )
    write_results(RESULTS, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
