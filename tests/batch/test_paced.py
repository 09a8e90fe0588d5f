"""The checking passes' request helper: the shared Pacer and a RetryPolicy."""

from __future__ import annotations

import asyncio

import pytest

from specpub.batch._paced import check_pacer, paced_call
from specpub.batch.pacing import Pacer
from specpub.batch.retry import RetryPolicy
from specpub.errors import NotFound, RateLimited, Transient
from specpub.limits import RateLimit

FAST = RetryPolicy(max_attempts=3, base=0.001, cap=0.002)


class Flaky:
    def __init__(self, *errors):
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self, value):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return value


def test_rate_limited_pauses_the_pacer_and_retries():
    pacer = Pacer()
    func = Flaky(RateLimited("slow down", status=429, retry_after=0.05))
    assert asyncio.run(paced_call(pacer, func, "x", retry=FAST)) == "x"
    assert func.calls == 2
    assert pacer.rate_limited == 1
    assert pacer.waited >= 0.04  # the second attempt waited for Retry-After
    assert pacer.granted["api"] == 2


def test_transient_is_retried_until_the_budget_is_spent():
    func = Flaky(*(Transient("503", status=503) for _ in range(3)))
    with pytest.raises(Transient):
        asyncio.run(paced_call(Pacer(), func, "x", retry=FAST))
    assert func.calls == 3
    func = Flaky(Transient("503", status=503), Transient("502", status=502))
    assert asyncio.run(paced_call(Pacer(), func, "y", retry=FAST)) == "y"


def test_not_found_is_not_retried_and_searches_count_as_search():
    pacer = Pacer()
    func = Flaky(NotFound("gone", status=404))
    with pytest.raises(NotFound):
        asyncio.run(paced_call(pacer, func, "x", retry=FAST, endpoint="search"))
    assert func.calls == 1
    assert pacer.granted == {"api": 0, "search": 1}


def test_check_pacer_uses_the_targets_limits_unless_told_otherwise():
    assert check_pacer("zenodo").limits == (RateLimit(100, 60.0), RateLimit(5000, 3600.0))
    assert check_pacer("zenodo").search_limits == (RateLimit(30, 60.0),)
    assert check_pacer("zenodo", search_limits=()).search_limits == ()
    assert check_pacer("zenodo", limits=[RateLimit(5, 1.0)]).limits == (RateLimit(5, 1.0),)
    # the embedded repository by name: its defaults (Zenodo's), learnt from its headers
    embedded = check_pacer("embedded")
    assert embedded.learn
    assert embedded.limits == (RateLimit(100, 60.0), RateLimit(5000, 3600.0))
    mine = Pacer("1/second")
    assert check_pacer("zenodo", mine, limits=()) is mine
