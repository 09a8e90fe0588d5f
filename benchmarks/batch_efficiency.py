"""How close does the batch runner get to the repository's rate limits?

Zenodo allows 100 requests/minute and 5000/hour. This benchmark scales both
in time by ``--scale`` (default 30: 100 per 2 s and 5000 per 120 s), runs the
embedded sandbox in a subprocess with exactly those moving-window limits,
and publishes single-file legacy records (3 requests each) with the runner's
pacer configured from the same documented limits.

It reports the achieved records/s against two bounds:

* ``steady bound``: the tightest limit's rate / 3 requests per record;
* ``greedy optimum``: the records a perfect scheduler could publish in the
  same elapsed time (simulated exactly: both windows, sending whenever allowed),
  which accounts for the allowed initial burst of a fresh hourly window.

``efficiency`` = achieved / greedy optimum (target >= 0.95), plus the number
of 429 answers (target: a handful at most).

Usage: ``.venv/bin/python benchmarks/batch_efficiency.py [--quick] [--scale 30]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import os
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

from _common import write_results
from specpub.batch import FileSpec, Ledger, Pacer, RecordSpec, plan_records, run_batch_async
from specpub.repository import open_client
from specpub.repository.protocol import Marker
from specpub.sandbox.server import running_subprocess
from specpub.workspace import Workspace

RESULTS = Path(__file__).with_name("results") / "batch_efficiency.json"


def make_records(folder: Path, n: int, prefix: str) -> list[RecordSpec]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        cat = f"{prefix}{i:06d}"
        path = folder / f"{cat}.jpg"
        data = f"{cat}:".encode() + os.urandom(32)
        path.write_bytes(data)
        st = path.stat()
        spec = FileSpec(
            path=path,
            key=path.name,
            size=st.st_size,
            md5=hashlib.md5(data).hexdigest(),
            mtime=st.st_mtime,
        )
        meta = {
            "upload_type": "image",
            "image_type": "photo",
            "title": f"Specimen {cat}",
            "description": "benchmark record",
            "creators": [{"name": "Benchmark"}],
            "access_right": "open",
            "license": "cc-by-4.0",
            "publication_date": "2026-01-01",
            "custom": {"dwc:catalogNumber": [cat], "dwc:institutionCode": ["BM"]},
        }
        out.append(RecordSpec(Marker(cat, "BM"), legacy={"metadata": meta}, files=(spec,)))
    return out


def greedy_optimum(limits: list[tuple[int, float]], elapsed: float) -> int:
    """Requests a perfect scheduler can send in ``elapsed`` seconds from a fresh start."""
    sent: list[deque[float]] = [deque() for _ in limits]
    t, n = 0.0, 0
    while True:
        ready = t
        for (count, seconds), dq in zip(limits, sent, strict=True):
            while dq and dq[0] <= ready - seconds:
                dq.popleft()
            if len(dq) >= count:
                ready = max(ready, dq[-count] + seconds)
        if ready > elapsed:
            return n
        t = ready
        for dq in sent:
            dq.append(t)
        n += 1


async def run(args: argparse.Namespace) -> dict:
    scale = args.scale
    minute, hour = 60.0 / scale, 3600.0 / scale
    spec = f"100/{minute:g}s;5000/{hour:g}s"
    search_spec = f"30/{minute:g}s"
    limits = [(100, minute), (5000, hour)]
    steady_req_per_s = min(c / s for c, s in limits)
    bound = steady_req_per_s / 3
    duration = args.duration or (hour * (0.75 if args.quick else 2.5))
    n = int(bound * duration * 1.6) + 50  # more than can be done in the time
    tmp = Path(tempfile.mkdtemp(prefix="specpub-eff-"))
    ws = Workspace.create(tmp / "ws")
    plan_records(ws, make_records(tmp / "media", n, "E"), target="embedded", api="legacy")
    with running_subprocess(tmp / "sandbox", rate_limit=spec, search_rate_limit=search_spec) as sb:
        os.environ["SPECPUB_BENCH_TOKEN"] = sb.token
        pacer = Pacer(spec, search_spec)
        client = open_client(
            "embedded",
            api="legacy",
            base_url=sb.url,
            token_env="SPECPUB_BENCH_TOKEN",
            on_response=pacer.on_response,
            concurrency=args.concurrency,
        )
        try:
            task = asyncio.create_task(
                run_batch_async(
                    ws, client, concurrency=args.concurrency, pacer=pacer, progress="text"
                )
            )
            t0 = time.monotonic()
            await asyncio.sleep(duration)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            elapsed = time.monotonic() - t0
        finally:
            await client.aclose()
    with Ledger.for_workspace(ws) as led:
        published = led.counts().get("published", 0)
        ev = led.events()
    requests = int((ev.kind == "request").sum())
    latency = ev[ev.kind == "request"].duration.median()
    n429 = int((ev.outcome == "rate_limited").sum())
    optimum_requests = greedy_optimum(limits, elapsed)
    optimum_records = optimum_requests / 3
    return {
        "scale": scale,
        "limits": spec,
        "concurrency": args.concurrency,
        "elapsed_s": round(elapsed, 2),
        "published": published,
        "requests": requests,
        "records_per_s": round(published / elapsed, 3),
        "steady_bound_records_per_s": round(bound, 3),
        "greedy_optimum_records": round(optimum_records, 1),
        "efficiency": round(published / optimum_records, 3),
        "efficiency_vs_steady_bound": round(published / elapsed / bound, 3),
        "http_429": n429,
        "median_request_s": round(float(latency), 4),
        "pacer": pacer.summary(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="run 0.75 scaled hours")
    parser.add_argument("--scale", type=float, default=30.0, help="time scale factor")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=None, help="seconds to run")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(f"{'metric':32} value")
    for key in (
        "limits",
        "elapsed_s",
        "published",
        "records_per_s",
        "steady_bound_records_per_s",
        "greedy_optimum_records",
        "efficiency",
        "efficiency_vs_steady_bound",
        "http_429",
        "median_request_s",
    ):
        print(f"{key:32} {result[key]}")
    write_results(RESULTS, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
