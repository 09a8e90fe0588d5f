"""Does the rehearsal's forecast agree with a real run? (target: within ±15 %)

Plans ``--records`` single-file records (default 997), rehearses a sample of
them (``specpub.rehearse``: a private embedded repository at Zenodo's limits
compressed ``--time-scale`` times, with the ``--faults`` profile), and takes
the rehearsal's forecast for the whole batch at the *same* scaled limits
(``Rehearsal.scaled_forecast()``). Then it publishes all the records for real
to an embedded repository with exactly those scaled limits and faults, paced
by the target's limits (``to=`` the running handle), with client-side waits
compressed the same way (``scaled_policies``), and compares.

Usage: ``python benchmarks/rehearsal_accuracy.py [--quick] [--records 997] [--time-scale 60]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import specpub
from _common import write_results
from batch_efficiency import make_records
from specpub.batch import plan_records, run_batch_async
from specpub.batch.pacing import Pacer
from specpub.batch.rehearsal import scaled_policies
from specpub.limits import format_rate_limits, scale_rate_limits
from specpub.repository import open_client
from specpub.repository.targets import ZENODO_LIMITS, ZENODO_SEARCH_LIMITS

RESULTS = Path(__file__).with_name("results") / "rehearsal_accuracy.json"


async def real_run(ws: specpub.Workspace, folder: Path, args: argparse.Namespace) -> dict:
    retry, breaker = scaled_policies(args.time_scale)
    with specpub.running(
        folder,
        rate_limit=scale_rate_limits(ZENODO_LIMITS, args.time_scale),
        search_rate_limit=scale_rate_limits(ZENODO_SEARCH_LIMITS, args.time_scale),
        faults=args.faults,
        seed=args.seed + 1,  # not the rehearsal's own draw of faults
    ) as sb:
        pacer = Pacer.for_target(sb)
        client = open_client(sb, on_response=pacer.on_response, concurrency=args.concurrency)
        t0 = time.monotonic()
        try:
            result = await run_batch_async(
                ws, client, concurrency=args.concurrency, pacer=pacer, retry=retry,
                breaker=breaker, progress=None, seed=args.seed,
            )  # fmt: skip
        finally:
            await client.aclose()
        elapsed = time.monotonic() - t0
    return {"elapsed_s": round(elapsed, 2), "published": result.published,
            "failed": result.failed, "requests": result.requests,
            "rate_limited": result.rate_limited}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="400 records, sample 100")
    parser.add_argument("--records", type=int, default=997)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--time-scale", type=float, default=60.0)
    parser.add_argument("--faults", default="icedig-2019")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=RESULTS.name, help="results file under results/")
    args = parser.parse_args()
    load_start = [round(x, 2) for x in os.getloadavg()]
    if args.quick:
        args.records, args.sample = 400, 100
    tmp = Path(tempfile.mkdtemp(prefix="specpub-reh-"))
    ws = specpub.Workspace.create(tmp / "ws")
    plan_records(ws, make_records(tmp / "media", args.records, "R"), target="embedded")
    t0 = time.monotonic()
    reh = specpub.rehearse(
        ws, to="zenodo", sample=args.sample, faults=args.faults, time_scale=args.time_scale,
        concurrency=args.concurrency, seed=args.seed,
    )  # fmt: skip
    rehearsal_wall = time.monotonic() - t0
    predicted = reh.scaled_forecast()
    real = asyncio.run(real_run(ws, tmp / "repository", args))
    error = real["elapsed_s"] / predicted.seconds - 1.0 if predicted.seconds else None
    result = {
        "records": args.records,
        "sample": args.sample,
        "time_scale": args.time_scale,
        "limits_scaled": format_rate_limits(scale_rate_limits(ZENODO_LIMITS, args.time_scale)),
        "faults": args.faults,
        "concurrency": args.concurrency,
        "load_average_start": load_start,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "rehearsal": {
            "wall_s": round(rehearsal_wall, 1),
            "requests_per_record": round(reh.requests_per_record, 3),
            "overhead": round(reh.overhead, 4),
            "failure_rate": round(reh.failure_rate, 4),
        },
        "forecast_scaled_s": round(predicted.seconds, 2),
        # the closed form alone (rate-limit windows, latency), without the replay of the trace
        "forecast_closed_form_s": round(
            max((v for k, v in predicted.bounds.items() if k != "replay"), default=0.0), 2
        ),
        "forecast_bottleneck": predicted.bottleneck,
        "forecast_real_hours": round(reh.forecast.hours, 2),
        "real_run": real,
        "error": None if error is None else round(error, 3),
        "within_15_percent": error is not None and abs(error) <= 0.15,
    }
    print(reh.summary())
    print(
        f"forecast at the scaled limits: {predicted.seconds:.1f} s for {args.records} records; "
        f"real run: {real['elapsed_s']:.1f} s ({real['published']} published, "
        f"{real['failed']} failed, {real['rate_limited']} x 429): error {100 * error:+.1f} %"
    )
    write_results(RESULTS.parent / args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
