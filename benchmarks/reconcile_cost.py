"""What does a reconciliation cost, measured on the embedded repository and forecast at
the pilot's scale (281,372 records) at Zenodo's documented limits?

Measured: one workspace publishes ``--records`` single-file legacy records (default
5,000; ``--quick``: 1,000) on the embedded repository (subprocess, no limits). Then
the ledger is damaged the way the pilot's log was: 2 % of the records lose their
outcome (back to ``creating``, no id: "published but not logged", the pilot's +701),
and 1 % point at a record the server does not have ("logged but not published").
Reconcile is run; its requests are compared with the model

    requests = ceil(server records / 100)   listing pages
             + GETs of records the listing cannot prove (here: the 1 % "gone", twice,
               and up to 3 health probes; adopting a listed published record whose
               files the listing shows costs nothing)

Forecast: the model at 281,372 records with the pilot's damage (701 unlogged) and a
consistent ledger, in time at Zenodo's limits (100/min and 5000/h; the user listing
counts against the global limit per zenodo-rdm's code), beside the conservative reading
(30/min, if the search limit applied to the listing) and today's marker searches (40
markers per query at 30/min).

Usage: ``.venv/bin/python benchmarks/reconcile_cost.py [--quick] [--records N]``
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from _common import write_results
from batch_efficiency import make_records
from preflight_cost import ZENODO, seconds_at_limits
from specpub.batch import Ledger, plan_records, run_batch_async
from specpub.batch.reconcile import reconcile
from specpub.repository import open_client
from specpub.sandbox.server import running_subprocess
from specpub.workspace import Workspace

RESULTS = Path(__file__).with_name("results") / "reconcile_cost.json"
PILOT = 281_372
PILOT_UNLOGGED = 701


def model(records: int, gone: int = 0, adopted_unlisted_files: int = 0, probes: int = 3) -> int:
    """Requests of a reconciliation: listing pages + confirmed-gone GETs (twice) + probes,
    + one GET per adopted published record whose files the listing does not show."""
    return math.ceil(records / 100) + 2 * gone + (probes if gone else 0) + adopted_unlisted_files


def damage(ledger_path: Path, n: int) -> tuple[int, int]:
    """Lose 2 % of the outcomes and point 1 % at records the server never had."""
    unlogged, gone = max(1, n * 2 // 100), max(1, n // 100)
    conn = sqlite3.connect(ledger_path)
    with conn:
        ids = [r[0] for r in conn.execute("SELECT record_id FROM records ORDER BY record_id")]
        conn.executemany(
            "UPDATE records SET state='creating', remote_id=NULL, concept_id=NULL, "
            "bucket=NULL, doi=NULL, concept_doi=NULL, html_url=NULL, published_at=NULL "
            "WHERE record_id=?",
            [(i,) for i in ids[:unlogged]],
        )
        conn.executemany(
            "UPDATE records SET remote_id=?, doi=? WHERE record_id=?",
            [
                (str(9_000_000 + i), f"10.5072/zenodo.{9_000_000 + i}", i)
                for i in ids[unlogged : unlogged + gone]
            ],
        )
    conn.close()
    return unlogged, gone


async def measure(n: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="specpub-reconcile-"))
    ws = Workspace.create(tmp / "ws")
    plan_records(ws, make_records(tmp / "media", n, "R"), target="embedded", api="legacy")
    with running_subprocess(tmp / "sandbox", rate_limit="off", index_lag=0.0) as sb:
        os.environ["SPECPUB_BENCH_TOKEN"] = sb.token
        c = open_client("embedded", api="legacy", base_url=sb.url,
                        token_env="SPECPUB_BENCH_TOKEN", concurrency=16)  # fmt: skip
        try:
            assert (await run_batch_async(ws, c, concurrency=16, progress="text")).ok
            unlogged, gone = damage(ws.ledger_path, n)
            with Ledger.for_workspace(ws) as led:
                t = time.monotonic()
                res = await reconcile(led, c, confirm_delay=0.1, limits=())
                elapsed = time.monotonic() - t
                counts = res.counts()
        finally:
            await c.aclose()
    return {
        "records": n,
        "damaged": {"unlogged": unlogged, "gone": gone},
        "findings": counts,
        "corrected": res.corrected,
        "requests": res.requests,
        "listing_requests": res.searches,
        "gets": res.gets,
        "model_requests": model(n, gone),
        "seconds": round(elapsed, 2),
    }


def forecast() -> dict:
    out = {}
    scenarios = (
        ("consistent ledger", 0),
        ("the pilot's damage: 701 unlogged, each adopted after a GET", PILOT_UNLOGGED),
    )
    for name, unlogged in scenarios:
        requests = model(PILOT, 0, unlogged)
        out[name] = {
            "records": PILOT,
            "unlogged_adopted": unlogged,
            "requests": requests,
            "minutes_at_zenodo_limits": round(seconds_at_limits(requests, ZENODO) / 60, 1),
            "minutes_if_30_per_minute": round(seconds_at_limits(requests, [(30, 60.0)]) / 60, 1),
        }
    searches = math.ceil(PILOT / 40)
    out["marker searches (before issue 7)"] = {
        "requests": searches,
        "minutes_at_30_per_minute": round(seconds_at_limits(searches, [(30, 60.0)]) / 60, 1),
    }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 records")
    parser.add_argument("--records", type=int, default=None)
    args = parser.parse_args()
    n = args.records or (1_000 if args.quick else 5_000)
    result = {"measured_on_the_embedded_repository": asyncio.run(measure(n)),
              "forecast_281372": forecast()}  # fmt: skip
    for key, value in result.items():
        print(f"{key}:")
        for k, v in value.items():
            print(f"  {k:36} {v}")
    write_results(RESULTS, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
