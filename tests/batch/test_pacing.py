"""Pacer with a fake clock: never overflows a moving window, honours Retry-After, adapts."""

from __future__ import annotations

import asyncio
import bisect

import pytest

from specpub.batch.pacing import Limit, Pacer
from specpub.repository.protocol import RateLimitInfo


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def _pacer(t, limits, search=(), **kw):
    return Pacer(limits, search, clock=t.clock, sleep=t.sleep, wall=lambda: 1e9 + t.now, **kw)


def _max_in_window(times, seconds):
    times = sorted(times)
    return max(bisect.bisect_left(times, t + seconds) - i for i, t in enumerate(times))


@pytest.mark.parametrize("workers", [1, 8])
def test_never_exceeds_any_window_and_keeps_busy(workers):
    t = FakeTime()
    limits = [Limit(100, 60.0), Limit(500, 3600.0)]
    pacer = _pacer(t, limits)
    sent: list[float] = []

    async def worker(n):
        for _ in range(n):
            await pacer.acquire()
            sent.append(t.now)

    async def main():
        await asyncio.gather(*(worker(600 // workers) for _ in range(workers)))

    asyncio.run(main())
    assert len(sent) == 600
    assert _max_in_window(sent, 60.0) <= 100
    assert _max_in_window(sent, 3600.0) <= 500
    # busy right up to the hourly limit: request 501 goes one hour (+margin) after the first
    assert 3600.0 <= sent[500] <= 3600.0 * 1.03
    assert pacer.waited > 0


def test_search_limit_is_separate_and_also_counts_globally():
    t = FakeTime()
    pacer = _pacer(t, [Limit(100, 60.0)], [Limit(30, 60.0)])

    async def main():
        for _ in range(31):
            await pacer.acquire("search")
        first = t.now
        await pacer.acquire("api")
        return first

    first = asyncio.run(main())
    assert 60.0 <= first <= 62.5  # the 31st search waited a window
    assert pacer.granted == {"api": 1, "search": 31}


def test_retry_after_pauses_everyone_and_tightens():
    t = FakeTime()
    pauses = []
    pacer = _pacer(t, [Limit(10, 1.0)], on_pause=lambda r, s: pauses.append((r, s)))
    pacer.on_response(429, RateLimitInfo(retry_after=5.0))
    assert pacer.rate_limited == 1
    pacer.note_rate_limited(5.0)  # the same 429 seen again as an exception: not counted twice
    assert pacer.rate_limited == 1

    async def main():
        await pacer.acquire()
        return t.now

    assert asyncio.run(main()) == pytest.approx(5.0)
    assert pauses
    assert pauses[0][0] == "rate_limit"
    assert pacer.summary()["stretch"] == pytest.approx(1.05)
    pacer.note_rate_limited(None)  # no hook, no header: a short default pause
    assert pacer.rate_limited == 2
    assert pacer.paused_for == pytest.approx(1.0)


def test_headers_remaining_zero_pause_until_reset():
    t = FakeTime()
    pacer = _pacer(t, [])
    assert pacer.unlimited
    pacer.on_response(200, RateLimitInfo(limit=100, remaining=3, reset=1e9 + 30))
    assert pacer.paused_for == 0
    pacer.on_response(200, RateLimitInfo(limit=100, remaining=0, reset=1e9 + 30))
    assert pacer.paused_for == pytest.approx(30.0)
    pacer.on_response(200, None)


def test_bound_and_target_defaults():
    p = Pacer.for_target("zenodo")
    assert p.bound(3) == pytest.approx(5000 / 3600 / 3)  # the hourly limit binds
    assert p.search_limits == (Limit(30, 60.0),)
    assert Pacer.for_target("embedded").bound(3) is None
    assert Pacer("100/second;5000/50s").limits == (Limit(100, 1.0), Limit(5000, 50.0))


def test_full_window_we_caused_ourselves_adds_no_pause():
    t = FakeTime()
    pacer = _pacer(t, [Limit(5, 10.0)])

    async def fill():
        for _ in range(5):
            await pacer.acquire()

    asyncio.run(fill())
    own = pacer.delay()
    pacer.on_response(200, RateLimitInfo(limit=5, remaining=0, reset=1e9 + 11))
    assert pacer.paused_for == 0  # our own schedule already waits
    assert pacer.delay() == pytest.approx(own)
    # our requests left the window but the server is still full: someone else
    # shares the quota, so wait for the server's reset
    t.now += 11.0
    pacer.on_response(200, RateLimitInfo(limit=5, remaining=0, reset=1e9 + 30))
    assert pacer.paused_for == pytest.approx(19.0)


def test_unknown_limits_pause_before_in_flight_requests_overflow_the_window():
    """Header-driven pacing (an InvenioRDM whose limits we do not know): when the window
    has no room left for the requests already on their way, pause until it resets
    instead of letting them come back as 429s (measured: 74 → 0 × 429 for 400 records
    at 100/2 s with 8 in flight)."""
    import asyncio

    from specpub.batch.pacing import Pacer
    from specpub.repository.protocol import RateLimitInfo

    wall = 10_000.0
    p = Pacer(clock=lambda: 0.0, wall=lambda: wall)
    tickets = [asyncio.run(p.acquire(track=True)) for _ in range(3)]
    p.on_response(200, RateLimitInfo(limit=100, remaining=3, reset=wall + 5))
    assert p.paused_for == 0  # room for the two others still in flight
    p.on_response(200, RateLimitInfo(limit=100, remaining=2, reset=wall + 5))
    assert p.paused_for == 5.0
    for t in tickets:
        p.release(t)
