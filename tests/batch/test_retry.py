"""Backoff bounds and the circuit breaker's open / probe / close cycle."""

from __future__ import annotations

import asyncio
import random

import pytest

from specpub.batch.retry import CircuitBreaker, RetryPolicy


def test_full_jitter_bounds():
    policy = RetryPolicy(base=0.5, cap=30.0)
    rng = random.Random(7)
    for attempt in range(12):
        draws = [policy.backoff(attempt, rng) for _ in range(200)]
        high = min(30.0, 0.5 * 2**attempt)
        assert all(0.0 <= d <= high for d in draws)
        assert max(draws) > 0.5 * high  # really spread over the range
    assert not policy.exhausted(7)
    assert policy.exhausted(8)


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_breaker_needs_many_records_and_few_successes():
    c = Clock()
    cb = CircuitBreaker(min_failures=10, min_records=5, window=30.0, clock=c)
    for _ in range(20):  # one record failing over and over: not an outage
        assert not cb.record_failure("same")
    assert not cb.is_open
    cb = CircuitBreaker(clock=c)
    for i in range(10):
        cb.record_success()
        cb.record_success()
        cb.record_success()
        cb.record_success()
        cb.record_success()
        cb.record_failure(i)  # 1 in 6 fails: scattered failures, not an outage
    assert not cb.is_open
    cb = CircuitBreaker(clock=c)
    opened = [cb.record_failure(i % 6) for i in range(10)]
    assert opened == [False] * 9 + [True]
    assert cb.is_open
    assert cb.opened == 1


def test_outage_after_long_success_trips_at_once():
    c = Clock()
    cb = CircuitBreaker(clock=c)
    for _ in range(500):  # a healthy stretch
        cb.record_success()
    c.now = 1.0
    opened = [cb.record_failure(i) for i in range(10)]
    assert opened[-1] is True


def test_old_failures_leave_the_window():
    c = Clock()
    cb = CircuitBreaker(min_failures=4, min_records=2, window=10.0, clock=c)
    for i in range(3):
        cb.record_failure(i)
    c.now = 20.0
    assert not cb.record_failure(9)
    assert not cb.in_burst()


def test_wait_closed_blocks_until_probe_succeeds():
    c = Clock()
    cb = CircuitBreaker(min_failures=2, min_records=2, clock=c)

    async def main():
        await cb.wait_closed()  # closed: returns at once
        cb.record_failure("a")
        cb.record_failure("b")
        assert cb.is_open
        waiter = asyncio.create_task(cb.wait_closed())
        await asyncio.sleep(0.01)
        assert not waiter.done()
        c.now = 12.5
        cb.probe_succeeded()
        await asyncio.wait_for(waiter, 1)

    asyncio.run(main())
    assert not cb.is_open
    assert cb.open_seconds == pytest.approx(12.5)
    assert cb.probe_intervals()[:4] == [1.0, 2.0, 4.0, 8.0]
