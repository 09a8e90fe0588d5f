"""What does the preflight cost when a second workspace meets 10,000 published records?

A first workspace publishes ``--records`` single-file legacy records (default 10,000;
``--quick``: 1,000) on the embedded repository, running in a subprocess with no rate
limits. A second workspace then plans the same table, which is what a colleague with a
copy of the table, or a reinstalled laptop with a lost ledger, does. Measured:

* ``dry run``: the preflight's listing alone (reads only): requests, seconds;
* ``publish``: the second workspace's run: every record adopted, none created;
  requests, seconds, and how the seconds split between listing and adopting;
* ``refresh``: an incremental refresh of the cached inventory (what a later run pays);
* the same listing at Zenodo's documented limits (100/min and 5000/h, the listing
  counting against the global limit), from the measured request count.

Usage: ``.venv/bin/python benchmarks/preflight_cost.py [--quick] [--records N]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from _common import write_results
from batch_efficiency import greedy_optimum, make_records
from specpub.batch import Ledger, plan_records, run_batch_async
from specpub.batch.inventory import Inventory
from specpub.repository import open_client
from specpub.sandbox.server import running_subprocess
from specpub.workspace import Workspace

RESULTS = Path(__file__).with_name("results") / "preflight_cost.json"
ZENODO = [(100, 60.0), (5000, 3600.0)]


def seconds_at_limits(requests: int, limits: list[tuple[int, float]] = ZENODO) -> float:
    """Shortest time to send ``requests`` under moving-window ``limits`` (fresh windows)."""
    lo, hi = 0.0, 1.0
    while greedy_optimum(limits, hi) < requests:
        hi *= 2
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if greedy_optimum(limits, mid) < requests else (lo, mid)
    return hi


async def run(n: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="specpub-preflight-"))
    specs = make_records(tmp / "media", n, "P")
    first, second = Workspace.create(tmp / "first"), Workspace.create(tmp / "second")
    plan_records(first, specs, target="embedded", api="legacy")
    plan_records(second, specs, target="embedded", api="legacy")
    out: dict = {"records": n}
    with running_subprocess(tmp / "sandbox", rate_limit="off", index_lag=0.0) as sb:
        os.environ["SPECPUB_BENCH_TOKEN"] = sb.token

        def client():
            return open_client("embedded", api="legacy", base_url=sb.url,
                               token_env="SPECPUB_BENCH_TOKEN", concurrency=16)  # fmt: skip

        t = time.monotonic()
        c = client()
        try:
            made = await run_batch_async(first, c, concurrency=16, progress="text")
        finally:
            await c.aclose()
        assert made.ok, made.summary()
        out["first_publish_s"] = round(time.monotonic() - t, 1)
        # the second workspace: a dry run (the listing alone), then the real run
        c = client()
        try:
            t = time.monotonic()
            dry = await run_batch_async(second, c, dry_run=True)
            out["dry_run"] = {"requests": dry.preflight_requests, "listed": dry.listed,
                              "would_adopt": dry.adopted_preflight,
                              "seconds": round(time.monotonic() - t, 2)}  # fmt: skip
            for path in second.root.glob("inventory.sqlite*"):
                path.unlink()  # the real run lists again, as a fresh workspace would
            t = time.monotonic()
            result = await run_batch_async(second, c, concurrency=16, progress="text")
            elapsed = time.monotonic() - t
        finally:
            await c.aclose()
        assert result.ok, result.summary()
        assert result.adopted_preflight == n, result.summary()
        with Ledger.for_workspace(second) as led:
            ev = led.events()
        listing = ev[(ev.kind == "request") & (ev.step == "list")]
        listing_s = float(listing.ts.max() + listing.duration.iloc[-1] - listing.ts.min())
        out["second_publish"] = {
            "requests": result.requests,
            "listing_requests": int(listing.requests.sum()),
            "adopted": result.adopted_preflight,
            "created": int(((ev.kind == "request") & (ev.step == "create")).sum()),
            "seconds": round(elapsed, 2),
            "listing_seconds": round(listing_s, 2),
            "adopting_seconds": round(elapsed - listing_s, 2),
        }
        c = client()
        try:
            inv = Inventory.for_workspace(second, sb.url, "legacy")
            t = time.monotonic()

            async def page(q, p, s):
                return await c.list_records(q, page=p, size=s)

            await inv.refresh(page)
            out["incremental_refresh"] = {"requests": inv.requests,
                                          "seconds": round(time.monotonic() - t, 2)}  # fmt: skip
        finally:
            await c.aclose()
    pages = out["second_publish"]["listing_requests"]
    out["at_zenodo_limits"] = {
        "limits": "100/minute;5000/hour (global; the listing is not a public search)",
        "listing_seconds": round(seconds_at_limits(pages), 1),
        "if_the_search_limit_30_per_minute_applied_s": round(
            seconds_at_limits(pages, [(30, 60.0)]), 1
        ),
    }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 records")
    parser.add_argument("--records", type=int, default=None)
    args = parser.parse_args()
    n = args.records or (1_000 if args.quick else 10_000)
    result = asyncio.run(run(n))
    for key, value in result.items():
        print(f"{key:24} {value}")
    write_results(RESULTS, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
