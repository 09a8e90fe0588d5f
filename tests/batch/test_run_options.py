"""``RunOptions.concurrency`` and ``retry_failed`` are honoured when passed through ``options=``.

Issue 8: they were ignored there (the keyword defaults won). Keywords still win over
the options' values; through :func:`specpub.publish` the same holds.
"""

from __future__ import annotations

import asyncio

import pytest

import specpub
from specpub.batch.plan import plan_records
from specpub.batch.retry import CircuitBreaker, RetryPolicy
from specpub.batch.runner import RunOptions, run_batch
from specpub.workspace import Workspace

from .fakes import FakeClient
from .helpers import make_specs

FAST = RetryPolicy(base=0.001, cap=0.005, max_attempts=4, resolve_timeout=0.3)


class CountingClient(FakeClient):
    """Keeps the largest number of creates in flight at once."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.in_flight = self.peak = 0

    async def create(self, payload):
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(0.02)  # let the other records in flight reach create
            return await super().create(payload)
        finally:
            self.in_flight -= 1


@pytest.fixture
def ws(tmp_path):
    ws = Workspace.create(tmp_path / "ws")
    plan_records(ws, make_specs(tmp_path / "media", 6, files=(1,)), target="embedded",
                 api="legacy")  # fmt: skip
    return ws


def _run(ws, client, **kw):
    return run_batch(ws, client, retry=FAST, progress=None,
                     breaker=CircuitBreaker(probe_initial=0.01, probe_max=0.05), **kw)  # fmt: skip


@pytest.mark.parametrize("limit", [1, 2])
def test_options_concurrency_bounds_the_records_in_flight(ws, limit):
    client = CountingClient()
    result = _run(ws, client, options=RunOptions(concurrency=limit, search_linger=0.01))
    assert result.published == 6
    assert client.peak == limit  # the default (8) would let all six in at once


def test_the_keyword_wins_over_the_options(ws):
    client = CountingClient()
    _run(ws, client, concurrency=1, options=RunOptions(concurrency=4, search_linger=0.01))
    assert client.peak == 1


@pytest.mark.parametrize(("mode", "published"), [("none", 0), ("retryable", 0), ("all", 1)])
def test_options_retry_failed(tmp_path, mode, published):
    ws = Workspace.create(tmp_path / "one")
    plan_records(ws, make_specs(tmp_path / "m", 1), target="embedded", api="legacy")
    client = FakeClient()
    client.fail("create", "rejected")
    assert _run(ws, client, options=RunOptions(search_linger=0.01)).failed == 1
    again = _run(ws, client, options=RunOptions(retry_failed=mode, search_linger=0.01))
    assert again.published == published


def test_options_reach_the_runner_through_specpub_publish(ws, monkeypatch):
    seen = {}

    async def fake_run(workspace, client, **kw):
        seen.update(kw)
        raise RuntimeError("stop here")

    monkeypatch.setattr("specpub.batch.runner.run_batch_async", fake_run)
    with specpub.running(rate_limit="off") as sb, pytest.raises(RuntimeError, match="stop here"):
        specpub.publish(ws, to=sb, options=RunOptions(concurrency=3, retry_failed="all"),
                        progress=None)  # fmt: skip
    opts = seen["options"]
    assert (opts.concurrency, opts.retry_failed) == (3, "all")
    assert seen.get("concurrency") in (None, 3)
    assert seen.get("retry_failed") in (None, "all")
