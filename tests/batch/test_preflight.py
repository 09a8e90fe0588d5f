"""Preflight: what the server already holds is adopted, never created twice.

Issue 7, failure 2: the same table published from a second workspace (or after the
ledger was lost) published every record again (1,800 more DOIs for the ICEDIG table,
588 published for 196 specimens with three workspaces), every run exiting 0.
"""

from __future__ import annotations

import asyncio
import shutil

import pytest

from specpub.batch.ledger import Ledger
from specpub.batch.plan import plan_records
from specpub.batch.runner import RunOptions, run_batch
from specpub.repository import open_client
from specpub.workspace import Workspace

from .helpers import make_specs
from .sandbox_tools import check_server_matches_ledger, inventory


def _publish(ws, sb, api, **kw):
    kw.setdefault("progress", None)
    return run_batch(ws, open_client(sb, api=api), **kw)


def _server(sb, api):
    async def go():
        c = open_client(sb, api=api)
        try:
            sb.refresh_index()
            return await inventory(c)
        finally:
            await c.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize("api", ["legacy", "native"])
def test_a_second_workspace_and_a_lost_ledger_publish_nothing_twice(sandbox, tmp_path, api):
    specs = make_specs(tmp_path / "media", 6, files=(1, 2))
    first = Workspace.create(tmp_path / "first")
    plan_records(first, specs, target="embedded", api=api)
    assert _publish(first, sandbox, api).ok
    dois = {r.id: r.doi for r in _server(sandbox, api)}
    assert len(dois) == 6
    # a colleague plans the same table in a workspace of their own
    second = Workspace.create(tmp_path / "second")
    plan_records(second, specs, target="embedded", api=api)
    result = _publish(second, sandbox, api)
    assert result.ok, result.summary()
    assert (result.adopted_preflight, result.adopted_published, result.published_now) == (6, 6, 0)
    assert "none was created again" in result.summary()
    # the inventory is cached in each workspace, with its time
    for ws in (first, second):
        assert (ws.root / "inventory.sqlite").is_file()
    # a lost ledger: the first workspace's ledger is deleted and the table planned again
    for path in first.root.glob("ledger.sqlite*"):
        path.unlink()
    plan_records(first, specs, target="embedded", api=api)
    again = _publish(first, sandbox, api)
    assert again.ok
    assert again.adopted_preflight == 6
    server = _server(sandbox, api)
    assert {r.id: r.doi for r in server} == dois  # no new record, no new DOI
    for ws in (first, second):
        with Ledger.for_workspace(ws) as led:
            assert dict(zip(led.records().remote_id, led.records().doi, strict=True)) == dois
            adopted = led.events(kind="note").query("step == 'adopt'")
            assert len(adopted) == 6
            assert set(adopted.detail.str.contains('"source": "preflight"')) == {True}


def test_a_draft_left_by_another_workspace_is_resumed_not_duplicated(sandbox, tmp_path):
    specs = make_specs(tmp_path / "media", 3, files=(1,))
    first = Workspace.create(tmp_path / "first")
    plan_records(first, specs, target="embedded", api="legacy")
    # the first workspace's run stops after its creates (every publish refused)
    sandbox.intercept("publish", 400, before=True, count=3)
    stopped = _publish(first, sandbox, "legacy")
    assert stopped.failed == 3
    second = Workspace.create(tmp_path / "second")
    plan_records(second, specs, target="embedded", api="legacy")
    sandbox.refresh_index()
    result = _publish(second, sandbox, "legacy")
    assert result.ok, result.summary()
    assert (result.adopted_preflight, result.adopted_published) == (3, 0)
    with Ledger.for_workspace(second) as led:

        async def check():
            c = open_client(sandbox, api="legacy")
            try:
                return await check_server_matches_ledger(c, led, 3, sandbox=sandbox)
            finally:
                await c.aclose()

        assert asyncio.run(check())["published"] == 3


def test_preflight_proves_the_token_before_any_record_is_touched(sandbox, tmp_path, monkeypatch):
    ws = Workspace.create(tmp_path / "ws")
    plan_records(ws, make_specs(tmp_path / "media", 2), target="embedded", api="legacy")
    monkeypatch.setenv("SPECPUB_TEST_WRONG_TOKEN", "not-the-token")
    client = open_client(
        "embedded", base_url=sandbox.url, token_env="SPECPUB_TEST_WRONG_TOKEN", api="legacy"
    )
    result = run_batch(ws, client, progress=None)
    assert result.stopped == "authentication"
    assert result.exit_code == 1
    assert "refused the token" in result.message
    assert "not-the-token" not in result.summary()
    with Ledger.for_workspace(ws) as led:
        assert led.counts() == {"planned": 2}
        assert len(led.events(kind="request")) == 1  # one listing, refused


def test_the_dry_run_reports_the_preflight_reading_only(sandbox, tmp_path):
    specs = make_specs(tmp_path / "media", 4)
    first = Workspace.create(tmp_path / "first")
    plan_records(first, specs[:3], target="embedded", api="legacy")
    assert _publish(first, sandbox, "legacy").ok
    second = Workspace.create(tmp_path / "second")
    plan_records(second, specs, target="embedded", api="legacy")
    sandbox.refresh_index()
    dry = run_batch(second, open_client(sandbox, api="legacy"), dry_run=True)
    assert dry.adopted_preflight == 3
    assert "3 of 4 planned records are already on it" in dry.message
    assert (dry.listed, dry.preflight_requests) == (3, 1)
    with Ledger.for_workspace(second) as led:
        assert led.counts() == {"planned": 4}  # a dry run changes nothing
    assert len(_server(sandbox, "legacy")) == 3


def test_preflight_can_be_turned_off_for_an_empty_repository(sandbox, tmp_path):
    ws = Workspace.create(tmp_path / "ws")
    plan_records(ws, make_specs(tmp_path / "media", 2), target="embedded", api="legacy")
    result = _publish(ws, sandbox, "legacy", options=RunOptions(preflight=False))
    assert result.ok
    # create, one file, publish: no listing; the index check still searches before publishing
    assert result.preflight_requests == 0
    assert result.check_requests >= 1
    assert result.requests == 2 * 3 + result.check_requests
    shutil.rmtree(tmp_path / "media")
