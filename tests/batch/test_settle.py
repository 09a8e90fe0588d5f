"""The end of a run: no draft of its own left on the server, or a named way out.

Issue 7, failure 3: with a search lag above the runner's ``resolve_timeout``, records
whose create answer was lost were created again; ``publish`` reported "196/196
published" and left 35 drafts on the server. Now the run waits for the index to catch
up with its own last publish and deletes such drafts; when the index does not catch up
in time the exit is non-zero and the record is named with the command that resolves it.
The lost answers and the index lag are the sandbox's deterministic knobs.
"""

from __future__ import annotations

import asyncio
import shlex

import pytest

from specpub.batch.ledger import Ledger
from specpub.batch.plan import plan_records
from specpub.batch.retry import RetryPolicy
from specpub.batch.runner import RunOptions, run_batch
from specpub.cli import main
from specpub.repository import open_client
from specpub.workspace import Workspace

from .helpers import make_specs
from .sandbox_tools import check_server_matches_ledger

QUICK_RESOLVE = RetryPolicy(base=0.01, cap=0.05, resolve_timeout=0.3)
VAR = "SPECPUB_TEST_SETTLE_TOKEN"


def _setup(tmp_path, sandbox_factory, api, lag, n=6):
    ws = Workspace.create(tmp_path / "ws")
    plan_records(ws, make_specs(tmp_path / "media", n, files=(1,)), target="embedded", api=api)
    sb = sandbox_factory(index_lag=lag)
    sb.intercept("create", "drop", count=2)  # two creates commit, their answers are lost
    return ws, sb


def _run(ws, sb, api, monkeypatch, **options):
    return run_batch(
        ws, _client(sb, api, monkeypatch), progress=None, retry=QUICK_RESOLVE,
        options=RunOptions(settle_timeout=60.0, **options),
    )  # fmt: skip


def _client(sb, api, monkeypatch):
    monkeypatch.setenv(VAR, sb.token)
    return open_client("embedded", api=api, base_url=sb.url, token_env=VAR)


def _check(ws, sb, api, monkeypatch, n=6):
    async def go():
        c = _client(sb, api, monkeypatch)
        try:
            with Ledger.for_workspace(ws) as led:
                return await check_server_matches_ledger(c, led, n, sandbox=sb)
        finally:
            await c.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize("api", ["legacy", "native"])
def test_drafts_of_lost_creates_are_found_and_deleted_before_exit_0(
    tmp_path, sandbox_factory, monkeypatch, api
):
    # the index shows changes after 3 s: longer than resolve_timeout (0.3 s), far shorter
    # than the time the end of the run may wait (60 s)
    ws, sb = _setup(tmp_path, sandbox_factory, api, lag=3.0)
    result = _run(ws, sb, api, monkeypatch)
    assert result.ok, result.summary()
    assert result.exit_code == 0
    assert result.deleted_drafts == 2
    assert result.unresolved == []
    _check(ws, sb, api, monkeypatch)  # 6 published, 0 drafts, 0 duplicates
    with Ledger.for_workspace(ws) as led:
        notes = led.events(kind="note")
        assert (notes.step == "recreate").sum() == 2
        assert (notes.step == "settled").sum() == 2


@pytest.mark.parametrize("api", ["legacy", "native"])
def test_a_record_whose_create_was_lost_twice_leaves_neither_draft(
    tmp_path, sandbox_factory, monkeypatch, api
):
    # Found by test_chaos[native] (1 run in 5): two lost creates of one record, then a
    # third create answered. The index check saw the first draft, adopted it (the oldest
    # wins) and deleted the third; it then noted the record settled, and the second
    # lost create's draft stayed on the server, known to no ledger, after exit 0.
    ws, sb = _setup(tmp_path, sandbox_factory, api, lag=3.0, n=1)  # both creates of one
    result = _run(ws, sb, api, monkeypatch)
    assert result.ok, result.summary()
    assert result.deleted_drafts == 2
    assert result.unresolved == []
    _check(ws, sb, api, monkeypatch, n=1)  # 1 published, 0 drafts
    with Ledger.for_workspace(ws) as led:
        assert led.possible_orphans(1) == {}
        notes = led.events(kind="note")
        assert list(notes.step[notes.step.isin(["recreate", "duplicate", "settled"])]) == [
            "recreate", "recreate", "duplicate", "settled",
        ]  # fmt: skip


def test_a_failed_deletion_of_a_lost_creates_draft_is_tried_again_not_called_settled(
    tmp_path, sandbox_factory, monkeypatch
):
    # (Before: the end of the run noted the record settled whether its deletion went
    # through or not, and the draft stayed, known to no ledger.)
    ws, sb = _setup(tmp_path, sandbox_factory, "legacy", lag=2.0, n=1)
    sb.intercept("other", 500, method="DELETE", before=True)  # the first deletion fails
    result = _run(ws, sb, "legacy", monkeypatch, index_check=False)
    assert result.ok, result.summary()
    assert result.deleted_drafts == 2
    _check(ws, sb, "legacy", monkeypatch, n=1)
    with Ledger.for_workspace(ws) as led:
        notes = led.events(kind="note")
        assert list(notes.step[notes.step.isin(["delete_draft_failed", "settled"])]) == [
            "delete_draft_failed", "settled",
        ]  # fmt: skip
        assert (notes.step == "recreate").sum() == 2


def test_a_draft_the_run_cannot_account_for_makes_the_exit_non_zero_and_is_named(
    tmp_path, sandbox_factory, monkeypatch
):
    # the index does not catch up before the end of the run: the run says so. (With the
    # index check on, no draft is published before the index shows it, and its check
    # finds the lost creates' drafts first: see test_index_check.py. Off here, so that
    # the settling that backs it up is tested on its own.)
    ws, sb = _setup(tmp_path, sandbox_factory, "legacy", lag=1000.0)
    result = run_batch(
        ws, _client(sb, "legacy", monkeypatch), progress=None, retry=QUICK_RESOLVE,
        options=RunOptions(settle_timeout=0.5, index_check=False),
    )  # fmt: skip
    assert result.published == 6
    assert result.exit_code == 3
    assert len(result.unresolved) == 2
    text = result.summary()
    assert "UNRESOLVED: 2 records may have left a draft" in text
    for item in result.unresolved:
        assert item["marker"] in text
    command = result.fix[result.fix.index("`") + 1 : result.fix.rindex("`")]
    assert command.startswith("specpub reconcile --workspace")
    assert f"--token-env {VAR}" in command
    # the command the message names resolves it, once the index shows the drafts
    sb.refresh_index()
    assert main([*shlex.split(command)[1:], "--progress", "none"]) == 0
    _check(ws, sb, "legacy", monkeypatch)
    # and a later publish has nothing left to settle
    again = run_batch(ws, _client(sb, "legacy", monkeypatch), progress=None)
    assert again.exit_code == 0
    assert again.unresolved == []
