"""How long would the ICEDIG pilot's 281,372 records take at Zenodo's documented limits?

Two parts, side by side in one run:

1. The pure model (:func:`specpub.batch.rehearsal.forecast`) for 281,372
   single-file records at zenodo.org's documented limits for authenticated
   users (100/min AND 5000/h), legacy path (create + 1 bucket PUT + publish =
   3 requests per record, the same count as the pilot's own uploader,
   ``lnielsen/zenodo-uploader`` app.py: POST create with metadata, PUT to the
   bucket, POST publish) and native path (2 + 3F = 5), next to the pilot's
   measured ~12 days.
2. A rehearsal (:func:`specpub.batch.rehearsal.rehearse`): a sample of
   single-file records published by the real runner and client to the
   embedded sandbox, at Zenodo's limits compressed ``--time-scale`` times, with
   the ``icedig-2019`` fault profile (the pilot's 4 % failure mix). Its
   measured requests per record, retry/reconcile overhead and failure rate
   then feed the forecast for the full 281,372.

Usage::

    .venv/bin/python benchmarks/forecast.py [--quick] [--sample N] [--time-scale X]

Prints a table and writes ``benchmarks/results/forecast.json``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from _common import write_results
from specpub.batch.plan import FileSpec, RecordSpec, plan_records
from specpub.batch.rehearsal import forecast, rehearse
from specpub.records import PayloadOptions, build_payloads
from specpub.repository import Marker
from specpub.workspace import Workspace

RESULTS = Path(__file__).parent / "results" / "forecast.json"
PILOT_RECORDS = 281_372
PILOT_DAYS = 12.0
PILOT_FAILURE = 0.04


def _workspace(root: Path, n: int) -> Workspace:
    ws = Workspace.create(root / "ws")
    media = root / "media"
    media.mkdir()
    specs = []
    opts = PayloadOptions(publication_date="2026-01-01")
    for i in range(n):
        cat = f"BR{i:010d}"
        img = media / f"{cat}.jpg"
        img.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(2048))
        row = {"catalogNumber": cat, "institutionCode": "BR", "scientificName": "Quercus robur"}
        specs.append(
            RecordSpec(
                Marker(cat, "BR"),
                legacy=build_payloads(row, opts).legacy,
                files=[FileSpec.from_path(img)],
            )
        )
    plan_records(ws, specs, target="zenodo", api="legacy")
    return ws


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller rehearsal sample")
    parser.add_argument("--sample", type=int, default=None, help="rehearsal sample size")
    parser.add_argument("--time-scale", type=float, default=60.0)
    parser.add_argument("--faults", default="icedig-2019")
    args = parser.parse_args(argv)
    sample = args.sample or (100 if args.quick else 400)

    pilot_hours = PILOT_DAYS * 24
    pilot_pace = PILOT_RECORDS / pilot_hours
    model = {
        "legacy (2+F = 3 req/record)": forecast(PILOT_RECORDS, 1, "zenodo", api="legacy"),
        "legacy + pilot's 4 % re-run": forecast(
            PILOT_RECORDS, 1, "zenodo", api="legacy", failure_rate=PILOT_FAILURE
        ),
        "native (2+3F = 5 req/record)": forecast(PILOT_RECORDS, 1, "zenodo", api="native"),
        "legacy, 2 files/record": forecast(PILOT_RECORDS, 2, "zenodo", api="legacy"),
    }

    with tempfile.TemporaryDirectory(prefix="specpub-forecast-") as tmp:
        ws = _workspace(Path(tmp), sample)
        t0 = time.perf_counter()
        reh = rehearse(
            ws, sample=sample, target="zenodo", faults=args.faults,
            time_scale=args.time_scale, concurrency=8, seed=0,
        )  # fmt: skip
        wall = time.perf_counter() - t0
    measured = forecast(
        PILOT_RECORDS,
        1,
        "zenodo",
        overhead=reh.overhead,
        failure_rate=reh.failure_rate,
    )
    model[f"rehearsed ({args.faults}): measured overhead"] = measured

    print(f"ICEDIG pilot: {PILOT_RECORDS:,} records in ~{PILOT_DAYS:g} days = "
          f"{pilot_pace:,.0f} records/h = {3 * pilot_pace:,.0f} requests/h "
          "at 3 requests/record")  # fmt: skip
    print("Zenodo documented limits (authenticated): 100/min AND 5000/h; search 30/min\n")
    head = f"{'case':<42} {'req/rec':>8} {'requests':>10} {'rec/h':>7} {'hours':>7} {'days':>6}"
    print(head)
    print("-" * len(head))
    for name, f in model.items():
        print(f"{name:<42} {f.effective_requests_per_record:>8.3f} {f.total_requests:>10,} "
              f"{f.records_per_hour:>7,.0f} {f.hours:>7.1f} {f.days:>6.2f}")  # fmt: skip
    print(f"{'pilot (measured, 2019)':<42} {'3':>8} {3 * PILOT_RECORDS:>10,} "
          f"{pilot_pace:>7,.0f} {pilot_hours:>7.1f} {PILOT_DAYS:>6.2f}")  # fmt: skip
    print(
        f"\nrehearsal: {reh.sample} records, faults {args.faults}, limits x{args.time_scale:g}: "
        f"{reh.published} published, {reh.failed} failed, {reh.pending} pending; "
        f"{reh.requests} requests = {reh.requests_per_record:.3f}/record "
        f"(overhead {100 * reh.overhead:.2f} %), {reh.elapsed:.1f} s "
        f"({reh.rate_limit_wait:.1f} s rate-limit waits), wall {wall:.1f} s"
    )
    bound = reh.scaled_forecast(reh.sample)
    print(f"rehearsal pace scaled back to real time: {reh.measured_records_per_hour:,.0f} "
          f"records/h; the model's bound for this sample at the scaled limits is "
          f"{bound.seconds:.1f} s ({bound.bottleneck}) vs {reh.elapsed:.1f} s measured "
          f"(latency, retries and start-up make up the rest)")  # fmt: skip
    base = model["legacy (2+F = 3 req/record)"]
    print(
        f"\nAt the documented limits the hourly window dominates: 5000/h / 3 = "
        f"{base.records_per_hour:,.0f} records/h, so {PILOT_RECORDS:,} records need "
        f"{base.hours:.0f} h = {base.days:.1f} days: {PILOT_DAYS / base.days:.2f}x faster than "
        f"the pilot's {PILOT_DAYS:g} days, but never faster than that; the pilot ran at "
        f"{3 * pilot_pace / 5000:.0%} of today's hourly budget."
    )
    out = {
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "pilot": {"records": PILOT_RECORDS, "days": PILOT_DAYS, "records_per_hour": pilot_pace},
        "model": {name: f.to_dict() for name, f in model.items()},
        "rehearsal": reh.to_dict(),
        "rehearsal_wall_s": wall,
        "rehearsal_model_bound_s": bound.seconds,
    }
    write_results(RESULTS, out)
    print(f"\nwrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
