"""The pieces of the rehearsal's scaled forecast: the trace a pacer records, and its replay.

No clocks are asserted on: the replay is pure arithmetic over given seconds, and
the trace is checked on a pacer driven by a fake clock.
"""

from __future__ import annotations

import asyncio
import math

import pytest

from specpub.batch._replay import Step, Trace, TracingPacer, replay
from specpub.batch.rehearsal import Rehearsal, forecast
from specpub.limits import RateLimit


def _trace(steps_per_record=3, records=1, gap=0.0, duration=0.0, workers=1):
    stream = (Step(gap, duration),) * (steps_per_record * records)
    return Trace(workers=(stream,) * workers, records=records * workers)


def test_replay_matches_the_closed_form_when_the_limit_binds():
    # 997 records x 3 requests at 100 per window: 29 full windows before the last request,
    # each re-opening a request's time after its answers (the pacer counts from answers)
    limit = [RateLimit(100, 1.0)]
    trace = _trace(duration=0.01)
    got = replay(trace, 997, limit, concurrency=8, margin=0.01, slack=0.02)
    closed = forecast(997, 1, limit, request_seconds=0.01)
    assert got == pytest.approx(closed.bounds["100/second"], rel=0.01)
    assert got == pytest.approx(29 * (1.03 + 0.01) + 0.01, rel=0.01)


def test_replay_is_latency_bound_without_limits():
    # 8 workers, 0.05 s per request, 2 ms of the worker's own time before each
    trace = _trace(gap=0.002, duration=0.05)
    got = replay(trace, 800, [], concurrency=8, margin=0, slack=0)
    assert got == pytest.approx(300 * 0.052, rel=1e-6)  # 2400 requests, 300 per worker


def test_a_slot_no_worker_is_ready_for_is_lost_for_good():
    limit = [RateLimit(10, 1.0)]
    quick = Trace(workers=((Step(0.0, 0.0),) * 30,), records=10)
    # the same requests, but the worker waits 0.5 s before its 11th (a back-off, a
    # search waiting for the index): every later window starts 0.5 s later
    stalled = list(quick.workers[0])
    stalled[10] = Step(1.5, 0.0)
    late = Trace(workers=(tuple(stalled),), records=10)
    fast = replay(quick, 10, limit, concurrency=1, margin=0, slack=0)
    slow = replay(late, 10, limit, concurrency=1, margin=0, slack=0)
    assert fast == pytest.approx(2.0)
    assert slow == pytest.approx(2.5)


def test_long_waits_of_some_workers_stretch_the_run_beyond_the_limit():
    # a tenth of the streams wait 2 s somewhere (a lost answer resolved by search):
    # with only 2 workers the limit alone no longer sets the pace
    plain = (Step(0.0, 0.02),) * 30
    waiting = (Step(0.0, 0.02),) * 15 + (Step(2.0, 0.02),) + (Step(0.0, 0.02),) * 14
    trace = Trace(workers=(plain,) * 9 + (waiting,), records=100)
    limit = [RateLimit(100, 1.0)]
    closed = forecast(1000, 1, limit, request_seconds=0.02, margin=0, slack=0)
    many = replay(trace, 1000, limit, concurrency=16, margin=0, slack=0, seed=3)
    two = replay(trace, 1000, limit, concurrency=2, margin=0, slack=0, seed=3)
    assert many == pytest.approx(closed.bounds["100/second"], rel=0.05)
    assert two > 1.5 * many


def test_search_requests_also_meet_the_search_limit():
    trace = Trace(workers=((Step(0.0, 0.0, search=True),) * 3,), records=1)
    api_only = replay(trace, 10, [RateLimit(100, 1.0)], concurrency=1, margin=0, slack=0)
    both = replay(
        trace, 10, [RateLimit(100, 1.0)], [RateLimit(5, 1.0)], concurrency=1, margin=0, slack=0
    )
    assert api_only == 0.0
    assert both == pytest.approx(math.floor(29 / 5))


def test_background_requests_take_slots_but_no_worker():
    workers = ((Step(0.0, 0.0),) * 30,)
    alone = Trace(workers=workers, records=10)
    listed = Trace(workers=workers, records=10, background=(Step(0.0, 0.0),) * 10)
    limit = [RateLimit(10, 1.0)]
    assert replay(alone, 10, limit, concurrency=1, margin=0, slack=0) == pytest.approx(2.0)
    # 10 listings sent at once take the first window: the 30 requests need 3 more
    assert replay(listed, 10, limit, concurrency=1, margin=0, slack=0) == pytest.approx(3.0)


def test_the_tracing_pacer_measures_gaps_durations_startup_and_tail():
    now = [0.0]

    async def sleep(seconds):
        now[0] += seconds

    pacer = TracingPacer([RateLimit(100, 1.0)], clock=lambda: now[0], sleep=sleep)

    async def worker(gap, duration, n):
        for _ in range(n):
            now[0] += gap
            ticket = await pacer.acquire(track=True)
            now[0] += duration
            pacer.release(ticket)

    async def main():
        now[0] = 1.0  # preflight
        await asyncio.gather(
            asyncio.create_task(worker(0.0, 0.1, 2)), asyncio.create_task(worker(0.0, 0.2, 2))
        )
        now[0] += 0.5  # settling
        background = asyncio.create_task(worker(0.3, 0.1, 1))
        await background
        return id(asyncio.current_task())

    main_task = asyncio.run(main())
    trace = pacer.trace(main_task=main_task, start=0.0, end=now[0], records=3, workers=2)
    assert len(trace.workers) == 2
    assert trace.records == 3
    assert trace.startup == pytest.approx(1.0)
    assert trace.tail == pytest.approx(0.9)  # the settling, after the last worker's answer
    # the first worker: two requests of 0.1 s with no time of its own in between
    assert [s.duration for s in trace.workers[0]] == pytest.approx([0.1, 0.1])
    assert [s.gap for s in trace.workers[0]] == pytest.approx([0.0, 0.0])
    assert trace.requests_per_record == pytest.approx(4 / 3)
    # the task with fewer requests than the workers is background
    assert len(trace.background) == 1
    assert trace.background_per_record == pytest.approx(1 / 3)


def test_scaled_forecast_replays_the_trace_and_adds_startup_and_tail():
    reh = Rehearsal.__new__(Rehearsal)
    reh.limits, reh.search_limits, reh.time_scale = (RateLimit(100, 60.0),), (), 60
    reh.files_per_record, reh.population, reh.api = 1, 997, "legacy"
    reh.overhead, reh.failure_rate, reh.request_seconds, reh.concurrency = 0.0, 0.0, 0.01, 8
    reh.trace = None
    closed = reh.scaled_forecast()
    assert "replay" not in closed.bounds
    reh.trace = Trace(workers=((Step(0.0, 0.01),) * 30,) * 8, records=80, startup=0.2, tail=1.0)
    f = reh.scaled_forecast()
    assert f.bounds["replay"] == pytest.approx(closed.bounds["100/second"], rel=0.01)
    assert f.seconds == pytest.approx(0.2 + f.bounds["replay"] + 1.0)
    assert f.bottleneck == "100/second"


def test_forecast_adds_fixed_seconds_and_the_last_answer():
    base = forecast(997, 1, "100/second", margin=0, slack=0)
    assert base.seconds == pytest.approx(29.0)
    f = forecast(997, 1, "100/second", margin=0, slack=0, request_seconds=0.1, fixed_seconds=2)
    # each window re-opens 0.1 s after its answers; the last answer comes 0.1 s late
    assert f.seconds == pytest.approx(29 * 1.1 + 0.1 + 2)
    with pytest.raises(ValueError, match="fixed_seconds"):
        forecast(10, fixed_seconds=-1)
