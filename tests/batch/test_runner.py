"""Runner against the in-memory fake: happy paths, every error class, ambiguity, crashes."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from specpub.batch.ledger import Ledger
from specpub.batch.pacing import Pacer
from specpub.batch.plan import RecordSpec, plan_edits, plan_new_versions, plan_records
from specpub.batch.retry import CircuitBreaker, RetryPolicy
from specpub.batch.runner import RunOptions, run_batch, run_batch_async
from specpub.errors import InputError
from specpub.workspace import Workspace

from .fakes import FakeClient, FakeServer, SimulatedCrash
from .helpers import legacy_payload, make_specs

FAST = RetryPolicy(base=0.001, cap=0.005, max_attempts=4, resolve_timeout=0.3)
QUICK = RunOptions(search_linger=0.01)


@pytest.fixture
def ws(tmp_path):
    return Workspace.create(tmp_path / "ws")


def _setup(ws, tmp_path, n=6, files=(1, 2, 3), api="legacy"):
    specs = make_specs(tmp_path / "media", n, files=files)
    plan_records(ws, specs, target="embedded", api=api)
    return specs


def _run(ws, client, **kw):
    kw.setdefault("retry", FAST)
    kw.setdefault("progress", None)
    kw.setdefault("options", QUICK)
    kw.setdefault("breaker", CircuitBreaker(probe_initial=0.01, probe_max=0.05))
    return run_batch(ws, client, **kw)


def _assert_consistent(ws, server, n):
    """Server and ledger agree record by record; no duplicates, no drafts."""
    pubs = server.published()
    assert len(pubs) == n
    assert server.drafts() == []
    per_marker = Counter(r.marker for r in server.records.values())
    assert max(per_marker.values()) == 1
    with Ledger.for_workspace(ws) as led:
        recs = led.records()
        assert set(recs.state) == {"published"}
        by_id = {r.id: r for r in pubs}
        for row in recs.itertuples():
            srv = by_id[row.remote_id]
            assert srv.doi == row.doi
            assert srv.marker.key == row.marker_key
            files = {f.key: f.md5 for f in led.record_files(row.record_id)}
            assert srv.published == files
        assert set(led.files().state) == {"uploaded"}


@pytest.mark.parametrize("api", ["legacy", "native"])
def test_happy_path_exactly_two_plus_f_requests(ws, tmp_path, api):
    specs = _setup(ws, tmp_path, n=6, api=api)
    client = FakeClient(api=api)
    result = _run(ws, client)
    assert result.ok, result.summary()
    assert result.published == 6
    n_files = sum(len(s.files) for s in specs)
    # one preflight listing of the server, exactly 2 + F per record, and one index check
    # (a marker search for the 6 records) before publishing them
    assert client.calls == Counter(
        {"list_records": 1, "create": 6, "upload": n_files, "find_by_markers": 1, "publish": 6}
    )
    _assert_consistent(ws, client.server, 6)
    with Ledger.for_workspace(ws) as led:
        ev = led.events(kind="request")
        assert len(ev) == 1 + 12 + n_files + 1
        assert set(ev.outcome) == {"ok"}
    # running again sends nothing
    again = _run(ws, client)
    assert again.requests == 0
    assert again.published == 6


def test_transient_and_notfound_are_retried(ws, tmp_path):
    _setup(ws, tmp_path, n=3)
    client = FakeClient()
    client.fail("create", "transient", "notfound")
    client.fail("upload", "transient")
    client.fail("publish", "transient")
    result = _run(ws, client)
    assert result.published == 3
    assert result.retries == 4
    _assert_consistent(ws, client.server, 3)
    with Ledger.for_workspace(ws) as led:
        ev = led.events(kind="request")
        assert (ev.outcome == "transient").sum() == 3
        assert (ev.outcome == "not_found").sum() == 1  # the 404: never proof, retried
        assert ev.retry.max() >= 1


def test_attempt_cap_fails_retryable_then_next_run_retries(ws, tmp_path):
    _setup(ws, tmp_path, n=1)
    client = FakeClient()
    client.fail("create", *["transient"] * 4)
    result = _run(ws, client)
    assert result.failed == 1
    with Ledger.for_workspace(ws) as led:
        rec = led.record(led.record_ids()[0])
        assert rec.state == "failed"
        assert rec.retryable is True
        assert "4 times" in rec.reason
    assert _run(ws, client).published == 1
    _assert_consistent(ws, client.server, 1)


def test_rejected_fails_with_field_messages_and_is_not_retried(ws, tmp_path):
    _setup(ws, tmp_path, n=2)
    client = FakeClient()
    client.fail("create", "rejected")
    result = _run(ws, client)
    assert result.published == 1
    assert result.failed == 1
    with Ledger.for_workspace(ws) as led:
        (rid,) = led.record_ids(state="failed")
        rec = led.record(rid)
        assert rec.retryable is False
        assert rec.field_messages == ("metadata.title: Missing data for required field.",)
    # a later run does not retry a rejected record
    assert _run(ws, client).failed == 1
    assert client.calls["create"] == 2


def test_authentication_error_stops_everything_and_loses_nothing(ws, tmp_path):
    _setup(ws, tmp_path, n=5)
    client = FakeClient()
    client.fail("create", "auth")
    result = _run(ws, client, concurrency=1)
    assert result.stopped == "authentication"
    assert "ZENODO_TOKEN" in result.message
    assert client.calls["create"] == 1
    with Ledger.for_workspace(ws) as led:
        assert led.counts() == {"planned": 5}
    assert _run(ws, client).published == 5
    _assert_consistent(ws, client.server, 5)


def test_rate_limited_pauses_and_retries_without_charging(ws, tmp_path):
    _setup(ws, tmp_path, n=2)
    client = FakeClient()
    client.fail("create", "rate", "rate")
    pacer = Pacer()
    result = _run(ws, client, pacer=pacer)
    assert result.published == 2
    assert result.rate_limited == 2
    assert pacer.rate_limited == 2
    with Ledger.for_workspace(ws) as led:
        assert (led.events().outcome == "rate_limited").sum() == 2
        assert led.records().attempts.max() == 0


def test_checksum_mismatch_reuploads_and_is_recorded(ws, tmp_path):
    _setup(ws, tmp_path, n=1, files=(2,))
    client = FakeClient()
    client.fail("upload", "mismatch")
    result = _run(ws, client)
    assert result.published == 1
    assert result.mismatches == 1
    assert client.calls["upload"] == 3
    _assert_consistent(ws, client.server, 1)
    with Ledger.for_workspace(ws) as led:
        assert (led.events().outcome == "mismatch").sum() == 1


def test_persistent_mismatch_fails_record(ws, tmp_path):
    _setup(ws, tmp_path, n=1, files=(1,))
    client = FakeClient()
    client.fail("upload", *["mismatch"] * 10)
    result = _run(ws, client)
    assert result.failed == 1
    with Ledger.for_workspace(ws) as led:
        rec = led.record(led.record_ids()[0])
        assert "checksum" in rec.reason
    assert client.calls["publish"] == 0


def test_changed_or_vanished_file_fails_without_sending(ws, tmp_path):
    specs = _setup(ws, tmp_path, n=2, files=(1,))
    specs[0].files[0].path.write_bytes(b"edited after the scan, longer")
    specs[1].files[0].path.unlink()
    client = FakeClient()
    result = _run(ws, client)
    assert result.failed == 2
    assert client.calls == Counter({"list_records": 1})  # the preflight reads; nothing sent
    with Ledger.for_workspace(ws) as led:
        reasons = sorted(led.records().reason)
    assert "changed since it was planned" in reasons[0]
    assert "specpub replan --workspace" in reasons[0]
    assert "is missing" in reasons[1]


@pytest.mark.parametrize("lag", [0.0, 0.15])
def test_ambiguous_create_is_adopted_by_marker(ws, tmp_path, lag):
    _setup(ws, tmp_path, n=3)
    client = FakeClient(FakeServer(index_lag=lag))
    client.fail("create", "ambiguous", "ambiguous")
    result = _run(ws, client, retry=RetryPolicy(base=0.001, cap=0.005, resolve_timeout=2.0))
    assert result.published == 3
    assert result.adopted == 2
    assert client.calls["create"] == 3  # never re-sent
    _assert_consistent(ws, client.server, 3)


def test_ambiguous_create_that_did_not_happen_is_sent_again(ws, tmp_path):
    _setup(ws, tmp_path, n=1)
    client = FakeClient()
    client.fail("create", "ambiguous_before")
    result = _run(ws, client)
    assert result.published == 1
    assert client.calls["create"] == 2
    assert client.calls["find_by_markers"] >= 1
    _assert_consistent(ws, client.server, 1)


def test_extra_drafts_are_deleted_and_newest_adopted(ws, tmp_path):
    specs = _setup(ws, tmp_path, n=1)
    client = FakeClient()
    # an orphan draft from an earlier tool run with the same marker
    asyncio.run(client.create(specs[0].legacy))
    client.fail("create", "ambiguous")
    # without preflight (which would adopt that draft), the lost create is resolved
    result = _run(ws, client, options=RunOptions(search_linger=0.01, preflight=False))
    assert result.published == 1
    assert result.deleted_drafts == 1
    _assert_consistent(ws, client.server, 1)
    with Ledger.for_workspace(ws) as led:
        assert (led.events().step == "delete_draft").sum() == 1
        assert led.records().remote_id[0] == "101"  # the newest


def test_search_batches_markers(ws, tmp_path):
    _setup(ws, tmp_path, n=8)
    client = FakeClient()
    client.fail("create", *["ambiguous"] * 8)
    result = _run(ws, client, concurrency=8, options=RunOptions(search_linger=0.05))
    assert result.published == 8
    assert client.calls["find_by_markers"] <= 2
    _assert_consistent(ws, client.server, 8)


@pytest.mark.parametrize("kind", ["ambiguous", "ambiguous_before", "notfound"])
def test_ambiguous_publish_resolved_by_get(ws, tmp_path, kind):
    _setup(ws, tmp_path, n=1)
    client = FakeClient()
    client.fail("publish", kind)
    result = _run(ws, client)
    assert result.published == 1
    assert client.calls["get"] >= 1
    assert client.calls["publish"] == (1 if kind == "ambiguous" else 2)
    _assert_consistent(ws, client.server, 1)


@pytest.mark.parametrize("op", ["create", "upload", "publish"])
@pytest.mark.parametrize("kind", ["crash_before", "crash_after"])
def test_crash_at_every_step_resumes_without_duplicates(ws, tmp_path, op, kind):
    _setup(ws, tmp_path, n=5, files=(1, 2))
    server = FakeServer()
    client = FakeClient(server)
    client.fail(op, "ok", kind)  # the second call of that step dies
    with pytest.raises(SimulatedCrash):
        _run(ws, client, concurrency=3)
    # "restart": a fresh client on the same server, the same ledger file
    client2 = FakeClient(server)
    result = _run(ws, client2, concurrency=3)
    assert result.published == 5, result.summary()
    _assert_consistent(ws, server, 5)
    # no create was ever repeated blindly: no duplicate had to be cleaned up
    assert result.deleted_drafts == 0
    assert len(server.records) == 5


def test_circuit_breaker_pauses_batch_without_charging_attempts(ws, tmp_path):
    _setup(ws, tmp_path, n=12, files=(1,))
    client = FakeClient()
    client.outage(0.4, status=404)
    breaker = CircuitBreaker(min_failures=6, min_records=3, probe_initial=0.05, probe_max=0.1)
    result = _run(
        ws,
        client,
        breaker=breaker,
        concurrency=8,
        retry=RetryPolicy(base=0.01, cap=0.02, max_attempts=4),
        options=RunOptions(search_linger=0.01, preflight=False),  # the outage hits the records
    )
    assert result.published == 12, result.summary()
    assert result.failed == 0
    assert result.breaker_opened >= 1
    assert result.paused_outage > 0
    with Ledger.for_workspace(ws) as led:
        pauses = led.events(kind="pause")
        assert "circuit_open" in set(pauses.step)
    _assert_consistent(ws, client.server, 12)


def test_edit_and_new_version_runs(ws, tmp_path):
    specs = _setup(ws, tmp_path, n=2, files=(2,))
    client = FakeClient()
    assert _run(ws, client).published == 2
    edited = RecordSpec(
        specs[0].marker,
        legacy=legacy_payload(specs[0].marker.catalog_number, title="Edited"),
        files=specs[0].files,
    )
    plan_edits(ws, [edited], target="embedded")
    before = Counter(client.calls)
    client.fail("publish", "ambiguous")
    res = _run(ws, client)
    assert res.counts == {"published": 3}
    delta = client.calls - before
    assert delta["edit"] == 1
    assert delta["update"] == 1
    assert delta["upload"] == 0
    rec0 = client.server.records[client.server.published()[0].id]
    assert rec0.metadata["metadata"]["title"].startswith("Edited")
    # new version: keep file 0, change file 1, add file 2
    f0, f1 = specs[1].files
    f1.path.write_bytes(b"changed image bytes")
    extra = tmp_path / "media" / "extra.jpg"
    extra.write_bytes(b"extra image")
    from specpub.batch.plan import FileSpec

    nv = RecordSpec(
        specs[1].marker,
        legacy=specs[1].legacy,
        files=(f0, FileSpec.from_path(f1.path), FileSpec.from_path(extra)),
    )
    plan_new_versions(ws, [nv], target="embedded")
    before = Counter(client.calls)
    res = _run(ws, client)
    assert res.counts == {"published": 4}
    delta = client.calls - before
    assert delta["new_version"] == 1
    assert delta["upload"] == 2  # only the changed and the new file
    assert delta["delete_file"] == 1
    with Ledger.for_workspace(ws) as led:
        latest = led.record_by_marker("embedded", specs[1].marker)
        assert latest.revision == 1
        srv = client.server.records[latest.remote_id]
        assert srv.published == {f.key: f.md5 for f in led.record_files(latest.record_id)}
        assert srv.concept_id == client.server.records[latest.base_remote_id].concept_id


def test_resume_in_uploading_verifies_server_files(ws, tmp_path):
    _setup(ws, tmp_path, n=1, files=(3,))
    server = FakeServer()
    client = FakeClient(server)
    client.fail("upload", "ok", "crash_after")
    with pytest.raises(SimulatedCrash):
        _run(ws, client)
    client2 = FakeClient(server)
    assert _run(ws, client2).published == 1
    assert client2.calls["list_files"] == 1
    _assert_consistent(ws, server, 1)


def test_dry_run_writes_plans_and_sends_nothing(ws, tmp_path):
    specs = _setup(ws, tmp_path, n=3, files=(2,))
    result = run_batch(ws, None, dry_run=True)
    assert result.total == 3
    lines = (ws.root / "reports" / "dry-run" / "batch-1.jsonl").read_text().splitlines()
    assert len(lines) == 3
    import json

    first = json.loads(lines[0])
    assert [r["method"] for r in first["requests"]] == ["POST", "PUT", "PUT", "POST"]
    assert first["payload"] == specs[0].legacy
    assert first["requests"][1]["body_bytes"] == specs[0].files[0].size


def test_api_mismatch_and_lock(ws, tmp_path):
    _setup(ws, tmp_path, n=1)
    with pytest.raises(InputError, match="legacy api"):
        _run(ws, FakeClient(api="native"))

    async def two_at_once():
        client = FakeClient()
        client.fail("create", "rate")  # slow the first run down a little
        first = asyncio.create_task(run_batch_async(ws, client, progress=None, retry=FAST))
        await asyncio.sleep(0)
        with pytest.raises(InputError, match="another specpub run"):
            await run_batch_async(ws, FakeClient(), progress=None)
        return await first

    assert asyncio.run(two_at_once()).published == 1


def test_unexpected_error_fails_one_record_and_revival_looks_first(ws, tmp_path):
    _setup(ws, tmp_path, n=3)
    client = FakeClient()
    client.fail("create", "bug")  # the create took effect, then something broke
    result = _run(ws, client)
    assert result.published == 2
    assert result.failed == 1
    with Ledger.for_workspace(ws) as led:
        rec = led.record(led.record_ids(state="failed")[0])
        assert "unexpected error: RuntimeError" in rec.reason
        assert rec.retryable is True
    # the next run searches by marker before creating again: no duplicate
    assert _run(ws, client).published == 3
    _assert_consistent(ws, client.server, 3)
    assert client.calls["create"] == 3


def test_search_failures_while_resolving_never_lead_to_blind_create(ws, tmp_path):
    _setup(ws, tmp_path, n=1)
    client = FakeClient()
    client.fail("create", "ambiguous")
    client.fail("find_by_markers", *["transient"] * 4)
    result = _run(ws, client)
    assert result.failed == 1
    with Ledger.for_workspace(ws) as led:
        assert led.record(led.record_ids()[0]).step == "search"
    assert _run(ws, client).published == 1
    assert client.calls["create"] == 1
    _assert_consistent(ws, client.server, 1)


@pytest.mark.parametrize(("mode", "published"), [("none", 0), ("retryable", 0), ("all", 1)])
def test_retry_failed_modes(ws, tmp_path, mode, published):
    _setup(ws, tmp_path, n=1)
    client = FakeClient()
    client.fail("create", "rejected")
    assert _run(ws, client).failed == 1
    assert _run(ws, client, retry_failed=mode).published == published


def test_content_changed_with_same_size_and_time_is_caught_by_md5(ws, tmp_path):
    import os

    specs = _setup(ws, tmp_path, n=1, files=(1,))
    f = specs[0].files[0]
    st = f.path.stat()
    f.path.write_bytes(b"X" * st.st_size)  # same size ...
    os.utime(f.path, ns=(st.st_atime_ns, st.st_mtime_ns))  # ... and same time
    client = FakeClient()
    result = _run(ws, client)
    assert result.failed == 1
    assert client.calls["publish"] == 0
    with Ledger.for_workspace(ws) as led:
        rec = led.record(led.record_ids()[0])
        assert rec.retryable is False
        assert "changed since it was scanned" in rec.reason


def test_lost_publish_that_never_takes_effect_is_bounded(ws, tmp_path):
    _setup(ws, tmp_path, n=1)
    client = FakeClient()
    client.fail("publish", *["ambiguous_before"] * FAST.max_attempts)
    result = _run(ws, client)
    assert result.failed == 1
    assert client.calls["publish"] == FAST.max_attempts
    with Ledger.for_workspace(ws) as led:
        rec = led.record(led.record_ids()[0])
        assert rec.retryable is True
        assert rec.step == "publish"
    assert _run(ws, client).published == 1  # revived via a GET first
    _assert_consistent(ws, client.server, 1)


@pytest.mark.parametrize("op", ["edit", "update", "new_version", "delete_file", "publish"])
def test_crash_during_edits_and_versions_resumes_cleanly(ws, tmp_path, op):
    from specpub.batch.plan import FileSpec

    specs = _setup(ws, tmp_path, n=2, files=(2,))
    server = FakeServer()
    client = FakeClient(server)
    assert _run(ws, client).published == 2
    edited = RecordSpec(
        specs[0].marker,
        legacy=legacy_payload(specs[0].marker.catalog_number, title="E"),
        files=specs[0].files,
    )
    plan_edits(ws, [edited], target="embedded")
    extra = tmp_path / "media" / "v2.jpg"
    extra.write_bytes(b"version two")
    nv = RecordSpec(
        specs[1].marker,
        legacy=specs[1].legacy,
        files=(specs[1].files[0], FileSpec.from_path(extra)),
    )
    plan_new_versions(ws, [nv], target="embedded")
    client.fail(op, "crash_after")
    with pytest.raises(SimulatedCrash):
        _run(ws, client, concurrency=1)
    client2 = FakeClient(server)
    result = _run(ws, client2)
    assert result.counts == {"published": 4}, result.summary()
    assert server.drafts() == []
    # one published record per marker version chain: 2 originals + 1 new version
    assert len(server.records) == 3
    with Ledger.for_workspace(ws) as led:
        v = led.record_by_marker("embedded", specs[1].marker)
        assert server.records[v.remote_id].published == {
            f.key: f.md5 for f in led.record_files(v.record_id)
        }
        e = led.record_by_marker("embedded", specs[0].marker)
        assert server.records[e.remote_id].metadata["metadata"]["title"] == "E " + (
            specs[0].marker.catalog_number
        )


def test_batches_of_two_targets_are_never_sent_through_one_client(ws, tmp_path):
    specs = make_specs(tmp_path / "media", 2, files=(1,))
    plan_records(ws, specs[:1], target="embedded")
    plan_records(ws, specs[1:], target="zenodo")
    server = FakeServer()
    with pytest.raises(InputError, match="different targets"):
        _run(ws, FakeClient(server))
    assert server.records == {}  # nothing was sent
    with Ledger.for_workspace(ws) as led:
        first = led.batch_ids()[0]
        assert set(led.records().state) == {"planned"}
    assert _run(ws, FakeClient(server), batch=first).published == 1
