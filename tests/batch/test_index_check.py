"""The index check: a second workspace started within the search index's lag publishes
nothing twice (issue 7, failure 2, the part preflight alone cannot see).

Measured before the fix: embedded repository, index lag 8 s, workspace A publishes the
demo table, workspace B (same table, same target) starts ``publish`` about 6 s later:
16 more DOIs, exit 0, no warning. The listing (legacy and native) is search-backed on
Zenodo too, so preflight cannot see what was created within the lag.

The lag is made deterministic with a virtual clock shared by the repository (its index
lag, its timestamps) and the runs (their polls and back-offs): time passes only when a
run waits, so the tests wait for nothing.

Everything is counted independently over HTTP at the end (a fresh client, after an
index refresh): published = planned exactly once per specimen, no duplicate, no draft,
every ledger = the server.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from specpub.batch.ledger import Ledger
from specpub.batch.plan import plan_records
from specpub.batch.runner import RunOptions, run_batch_async
from specpub.repository import open_client
from specpub.workspace import Workspace

from .helpers import make_specs
from .sandbox_tools import check_server_matches_ledger, inventory

LAG = 8.0


class VirtualTime:
    """Epoch seconds that move only when someone sleeps (or the test advances them)."""

    def __init__(self) -> None:
        self.t = time.time()

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += max(0.0, seconds)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def vt():
    return VirtualTime()


@pytest.fixture
def lagging(sandbox_factory, vt):
    """An embedded repository whose search shows changes LAG (virtual) seconds late."""
    return sandbox_factory(index_lag=LAG, clock=vt.now)


async def _publish(ws, sb, api, vt, **kw):
    client = open_client(sb, api=api)
    try:
        return await run_batch_async(ws, client, progress=None, clock=vt.now, sleep=vt.sleep, **kw)
    finally:
        await client.aclose()


async def _server(sb, api):
    client = open_client(sb, api=api)
    try:
        sb.refresh_index()
        return await inventory(client)
    finally:
        await client.aclose()


async def _verify(workspaces, sb, api, n):
    """Counted over HTTP: n published once each, nothing else; every ledger = server."""
    records = await _server(sb, api)
    per_marker = Counter(r.marker for r in records)
    assert [r.id for r in records if not r.is_published] == [], "drafts left"
    assert {m: k for m, k in per_marker.items() if k > 1} == {}, "duplicates"
    assert len(records) == n
    dois = {r.id: r.doi for r in records}
    client = open_client(sb, api=api)
    try:
        for ws in workspaces:
            with Ledger.for_workspace(ws) as led:
                recs = led.records()
                assert dict(zip(recs.remote_id, recs.doi, strict=True)) == dois
                await check_server_matches_ledger(client, led, n, sandbox=sb)
    finally:
        await client.aclose()
    return dois


def _plan(tmp_path, name, specs, api):
    ws = Workspace.create(tmp_path / name)
    plan_records(ws, specs, target="embedded", api=api)
    return ws


@pytest.mark.parametrize("api", ["legacy", "native"])
def test_a_second_workspace_inside_the_lag_publishes_nothing_twice(tmp_path, lagging, vt, api):
    """The measured repro: A publishes, B starts 6 s later with the index 8 s behind."""
    n = 8
    specs = make_specs(tmp_path / "media", n, files=(1, 2))
    a, b = (_plan(tmp_path, name, specs, api) for name in ("a", "b"))

    async def main():
        first = await _publish(a, lagging, api, vt)
        assert first.ok, first.summary()
        # A's own drafts had to show in the search before A published them
        assert first.check_requests >= 2
        assert first.check_searches_behind >= 1
        vt.advance(6.0)  # B starts 6 s after A's last publish: A's publishes are unseen
        second = await _publish(b, lagging, api, vt)
        assert second.ok, second.summary()
        assert second.published_now == 0
        adopted = second.adopted_preflight + second.adopted_check
        assert adopted == n, second.summary()
        await _verify([a, b], lagging, api, n)

    asyncio.run(main())


@pytest.mark.parametrize("api", ["legacy", "native"])
def test_what_an_unchecked_run_published_inside_the_lag_is_adopted_not_duplicated(
    tmp_path, lagging, vt, api
):
    """A published without the check (an older specpub, or the check turned off) moments
    before B starts: B's preflight listing shows nothing; its index check finds them all."""
    n = 8
    specs = make_specs(tmp_path / "media", n, files=(1, 2))
    a, b = (_plan(tmp_path, name, specs, api) for name in ("a", "b"))

    async def main():
        first = await _publish(a, lagging, api, vt, options=RunOptions(index_check=False))
        assert first.ok
        assert first.check_requests == 0
        vt.advance(6.0)
        second = await _publish(b, lagging, api, vt)
        assert second.ok, second.summary()
        assert (second.listed, second.adopted_preflight) == (0, 0)  # the listing lagged
        assert (second.adopted_check, second.adopted_check_published) == (n, n)
        assert second.published_now == 0
        assert second.deleted_drafts == n  # B's own duplicate drafts
        assert "index check: 8 records were already on the server" in second.summary()
        assert "nothing was published twice" in second.summary()
        await _verify([a, b], lagging, api, n)
        with Ledger.for_workspace(b) as led:
            notes = led.events(kind="note")
            adopt = notes[notes.step == "adopt"]
            assert len(adopt) == n
            assert adopt.detail.str.contains('"source": "index_check"').all()
            # B never asked to publish anything
            steps = set(led.events(kind="request").step)
            assert "publish" not in steps
            assert "index_check" in steps

    asyncio.run(main())


def test_a_lost_ledger_inside_the_lag_publishes_nothing_twice(tmp_path, lagging, vt):
    n = 6
    specs = make_specs(tmp_path / "media", n)
    ws = _plan(tmp_path, "ws", specs, "legacy")

    async def main():
        first = await _publish(ws, lagging, "legacy", vt, options=RunOptions(index_check=False))
        assert first.ok
        for path in ws.root.glob("ledger.sqlite*"):
            path.unlink()  # the ledger is lost (the workspace's inventory cache is kept)
        plan_records(ws, specs, target="embedded", api="legacy")
        vt.advance(3.0)
        again = await _publish(ws, lagging, "legacy", vt)
        assert again.ok, again.summary()
        assert again.adopted_check_published == n
        assert again.published_now == 0
        await _verify([ws], lagging, "legacy", n)

    asyncio.run(main())


@pytest.mark.parametrize("api", ["legacy", "native"])
def test_two_workspaces_publishing_at_the_same_time_publish_each_specimen_once(
    tmp_path, lagging, vt, api
):
    """Both started together: neither listing shows the other's drafts. The oldest draft
    of a marker wins in both workspaces; the other run adopts it and deletes its own."""
    n = 8
    specs = make_specs(tmp_path / "media", n, files=(1, 2))
    a, b = (_plan(tmp_path, name, specs, api) for name in ("a", "b"))

    async def main():
        ra, rb = await asyncio.gather(_publish(a, lagging, api, vt), _publish(b, lagging, api, vt))
        assert ra.ok, ra.summary()
        assert rb.ok, rb.summary()
        # each specimen was created by one run and adopted by the other
        assert ra.adopted_check + rb.adopted_check == n
        assert ra.deleted_drafts + rb.deleted_drafts == n
        await _verify([a, b], lagging, api, n)

    asyncio.run(main())


def test_an_index_that_never_catches_up_ends_clearly_and_publishes_nothing(
    tmp_path, sandbox_factory, vt
):
    sb = sandbox_factory(index_lag=1e6, clock=vt.now)
    ws = _plan(tmp_path, "ws", make_specs(tmp_path / "media", 3), "legacy")

    async def main():
        result = await _publish(ws, sb, "legacy", vt, options=RunOptions(index_timeout=120))
        assert result.exit_code == 3
        assert result.check_timed_out == 3
        assert result.failed == 3
        assert "NOT PUBLISHED: 3 records" in result.summary()
        with Ledger.for_workspace(ws) as led:
            assert "publish" not in set(led.events(kind="request").step)
            failed = led.records(state="failed")
            assert len(failed) == 3
            reason = failed.reason.iloc[0]
            assert "did not show this record's draft" in reason
            assert f"specpub publish --workspace {ws.root} --to embedded --url {sb.url}" in reason
            assert bool(failed.retryable.all())
        # bounded by index_timeout in the run's own time, not longer
        assert vt.now() - t0 < 120 + 30
        # the fix the message names: once the search catches up, publish again
        sb.refresh_index()
        again = await _publish(ws, sb, "legacy", vt)
        assert again.ok, again.summary()
        await _verify([ws], sb, "legacy", 3)

    t0 = vt.now()
    asyncio.run(main())


@pytest.mark.parametrize("api", ["legacy", "native"])
def test_the_dry_run_plans_the_index_checks_and_the_run_makes_exactly_those(
    tmp_path, sandbox_factory, api
):
    """With an index that keeps up, requests = per-record plan + listing + planned checks;
    with a lag, the extra searches are counted and reported, and the server agrees."""
    import json

    sb = sandbox_factory(index_lag=0.0)
    sb.add_outage(1.0, 503, start_in=1e9)  # the sandbox counts requests under a fault layer

    def served() -> int:
        return sum(v for k, v in sb.fault_stats().items() if k.startswith("requests:"))

    n = 60  # two chunks of search_chunk=50
    ws = _plan(tmp_path, "ws", make_specs(tmp_path / "media", n), api)
    client = open_client(sb, api=api)
    dry = asyncio.run(run_batch_async(ws, client, dry_run=True))
    lines = (ws.root / "reports" / "dry-run" / "batch-1.jsonl").read_text().splitlines()
    per_record = sum(len(json.loads(line)["requests"]) for line in lines)
    assert dry.check_requests == 2
    assert "2 marker searches check that the search index shows the new drafts" in dry.message
    before = served()
    vt = VirtualTime()
    result = asyncio.run(_publish(ws, sb, api, vt))
    assert result.ok, result.summary()
    assert result.check_requests == dry.check_requests
    assert result.requests == per_record + dry.preflight_requests + dry.check_requests
    assert result.requests == served() - before

    # with a lag, each search that found the index behind is one more request, reported
    sb.set_index_lag(3.0)
    ws2 = _plan(tmp_path, "ws2", make_specs(tmp_path / "media2", 5, prefix="U"), api)
    before = served()
    lagged = asyncio.run(
        run_batch_async(ws2, open_client(sb, api=api), progress=None, sleep=_fast_sleep)
    )
    assert lagged.ok, lagged.summary()
    assert lagged.check_searches_behind >= 1
    assert lagged.check_requests == 1 + lagged.check_searches_behind
    assert lagged.requests == 5 * (3 if api == "legacy" else 5) + 1 + lagged.check_requests
    assert lagged.requests == served() - before


async def _fast_sleep(seconds: float) -> None:
    """Real time, but the polls never wait much more than the real lag."""
    await asyncio.sleep(min(seconds, 0.5))


def test_checked_records_are_published_as_the_run_goes_not_after_every_create(
    tmp_path, sandbox_factory
):
    # A record the check cleared goes ahead of records not started yet: a long run does
    # not create (and leave) thousands of drafts before publishing the first one.
    sb = sandbox_factory(index_lag=0.0)
    ws = _plan(tmp_path, "ws", make_specs(tmp_path / "media", 60), "legacy")
    vt = VirtualTime()
    result = asyncio.run(
        _publish(ws, sb, "legacy", vt, concurrency=2, options=RunOptions(search_chunk=10))
    )
    assert result.ok, result.summary()
    with Ledger.for_workspace(ws) as led:
        steps = list(led.events(kind="request").step)
    first_publish = steps.index("publish")
    last_create = len(steps) - 1 - steps[::-1].index("create")
    assert first_publish < last_create / 2, (first_publish, last_create)


def test_an_outage_while_records_wait_for_the_index_pauses_the_run_and_times_nothing_out(
    tmp_path, sandbox_factory, vt
):
    # Records wait at the check (the index lags) when the repository goes down for longer
    # than index_timeout; only the check's searches are in flight. Each search counts as
    # its own request for the circuit breaker, so the outage opens it (before: they all
    # counted as one, the breaker never opened, and every waiting record failed after
    # index_timeout). The time paused for the outage does not count against the wait of
    # the records searched after the first one (one per search here).
    from specpub.batch.retry import CircuitBreaker

    sb = sandbox_factory(index_lag=LAG, clock=vt.now)
    n = 3
    ws = _plan(tmp_path, "ws", make_specs(tmp_path / "media", n), "legacy")
    sb.add_outage(400.0, 503, start_in=1.0)  # the creates and uploads finish first

    async def main():
        result = await _publish(
            ws, sb, "legacy", vt, options=RunOptions(index_timeout=120, search_chunk=1),
            breaker=CircuitBreaker(clock=vt.now),
        )  # fmt: skip
        assert result.ok, result.summary()
        assert result.breaker_opened >= 1
        assert result.check_timed_out == 0
        assert result.paused_outage >= 300
        with Ledger.for_workspace(ws) as led:
            assert "circuit_open" in set(led.events(kind="note").step)
            assert set(led.events(kind="request").step) >= {"create", "index_check", "publish"}
        await _verify([ws], sb, "legacy", n)

    asyncio.run(main())
