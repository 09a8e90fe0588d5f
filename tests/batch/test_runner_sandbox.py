"""The runner with the real clients against the real embedded sandbox (both APIs)."""

from __future__ import annotations

import asyncio

import pytest

from specpub.batch.ledger import Ledger
from specpub.batch.plan import plan_records
from specpub.batch.retry import RetryPolicy
from specpub.batch.runner import RunOptions, run_batch_async
from specpub.sandbox.faults import FaultPlan
from specpub.workspace import Workspace

from .helpers import make_specs
from .sandbox_tools import check_server_matches_ledger, client_for

pytestmark = pytest.mark.slow


@pytest.fixture
def ws(tmp_path):
    return Workspace.create(tmp_path / "ws")


@pytest.mark.parametrize("api", ["legacy", "native"])
def test_small_batch_both_apis(ws, tmp_path, sandbox, monkeypatch, api):
    specs = make_specs(tmp_path / "media", 30, files=(1, 2, 3))
    plan_records(ws, specs, target="embedded", api=api)

    async def main():
        client = client_for(sandbox, api, monkeypatch)
        try:
            result = await run_batch_async(ws, client, progress=None)
            assert result.ok, result.summary()
            per_file = 3 if api == "native" else 1
            n_files = sum(len(s.files) for s in specs)
            # HTTP requests: one preflight listing page, then 2 + F (legacy) or 2 + 3F (native),
            # and the index check: one marker search for the 30 records, one more each
            # time it found the index behind
            assert result.check_requests == 1 + result.check_searches_behind
            assert result.requests == 1 + 2 * 30 + per_file * n_files + result.check_requests
            with Ledger.for_workspace(ws) as led:
                return await check_server_matches_ledger(client, led, 30, sandbox=sandbox), per_file
        finally:
            await client.aclose()

    stats, _ = asyncio.run(main())
    assert stats["files_checked"] == sum(len(s.files) for s in specs)
    # the token never reaches the workspace (ledger, WAL, reports)
    token = sandbox.token.encode()
    for path in ws.root.rglob("*"):
        if path.is_file():
            assert token not in path.read_bytes(), path


def test_resume_after_interrupted_run(ws, tmp_path, sandbox, monkeypatch):
    specs = make_specs(tmp_path / "media", 30, files=(1, 2))
    plan_records(ws, specs, target="embedded", api="legacy")

    async def interrupted():
        client = client_for(sandbox, "legacy", monkeypatch)
        try:
            task = asyncio.create_task(run_batch_async(ws, client, progress=None, concurrency=4))
            with Ledger.for_workspace(ws) as watch:
                while watch.counts().get("published", 0) < 3:
                    await asyncio.sleep(0.005)
            task.cancel()  # like Ctrl-C in a notebook: in-flight requests are abandoned
            with pytest.raises(asyncio.CancelledError):
                await task
        finally:
            await client.aclose()

    asyncio.run(interrupted())
    with Ledger.for_workspace(ws) as led:
        before = led.counts()
    assert before.get("published", 0) < 30, before

    async def resume():
        client = client_for(sandbox, "legacy", monkeypatch)
        try:
            # records caught in 'creating' are looked up first (through the index lag)
            result = await run_batch_async(
                ws, client, progress=None, retry=RetryPolicy(resolve_timeout=1.0)
            )
            assert result.ok, result.summary()
            with Ledger.for_workspace(ws) as led:
                await check_server_matches_ledger(client, led, 30, sandbox=sandbox)
        finally:
            await client.aclose()

    asyncio.run(resume())


@pytest.mark.parametrize("api", ["legacy", "native"])
def test_ambiguous_creates_resolved_by_marker_with_index_lag(
    ws, tmp_path, sandbox_factory, monkeypatch, api
):
    sandbox = sandbox_factory(
        index_lag=1.0,
        faults=FaultPlan(commit_then_drop={"create": 0.3, "publish": 0.2}, seed=3),
    )
    specs = make_specs(tmp_path / "media", 20, files=(1, 2))
    plan_records(ws, specs, target="embedded", api=api)

    async def main():
        client = client_for(sandbox, api, monkeypatch)
        try:
            result = await run_batch_async(
                ws,
                client,
                progress=None,
                retry=RetryPolicy(base=0.05, cap=0.5, resolve_timeout=6.0),
                options=RunOptions(search_linger=0.1),
            )
            assert result.ok, result.summary()
            assert result.adopted >= 1
            with Ledger.for_workspace(ws) as led:
                ev = led.events()
                assert (ev.outcome == "ambiguous").sum() >= 2
                await check_server_matches_ledger(client, led, 20, sandbox=sandbox)
        finally:
            await client.aclose()

    asyncio.run(main())
    assert sandbox.fault_stats()


@pytest.mark.parametrize("api", ["legacy", "native"])
def test_edit_and_new_version_against_sandbox(ws, tmp_path, sandbox, monkeypatch, api):
    from specpub.batch.plan import FileSpec, RecordSpec, plan_edits, plan_new_versions

    from .helpers import legacy_payload, native_payload

    specs = make_specs(tmp_path / "media", 2, files=(2,))
    plan_records(ws, specs, target="embedded", api=api)

    def payload(cat, title):
        return {
            "legacy": legacy_payload(cat, title=title) if api == "legacy" else None,
            "native": native_payload(cat, title=title) if api == "native" else None,
        }

    async def main():
        client = client_for(sandbox, api, monkeypatch)
        try:
            assert (await run_batch_async(ws, client, progress=None)).ok
            # an edit of record 0's metadata
            cat0 = specs[0].marker.catalog_number
            edited = RecordSpec(specs[0].marker, files=specs[0].files, **payload(cat0, "Edited"))
            assert plan_edits(ws, [edited], target="embedded", api=api).added == 1
            # a new version of record 1: file 0 kept, file 1 replaced by a new file
            cat1 = specs[1].marker.catalog_number
            extra = tmp_path / "media" / "extra.jpg"
            extra.write_bytes(b"a new image for the new version")
            nv = RecordSpec(
                specs[1].marker,
                files=(specs[1].files[0], FileSpec.from_path(extra)),
                **payload(cat1, "Version 2"),
            )
            assert plan_new_versions(ws, [nv], target="embedded", api=api).added == 1
            result = await run_batch_async(ws, client, progress=None)
            assert result.counts == {"published": 4}, result.summary()
            with Ledger.for_workspace(ws) as led:
                e = led.record_by_marker("embedded", specs[0].marker)
                got = await client.get(e.remote_id)
                assert got.is_published
                assert got.title.startswith("Edited")
                assert got.doi == e.doi
                v = led.record_by_marker("embedded", specs[1].marker)
                new = await client.get(v.remote_id)
                old = await client.get(v.base_remote_id)
                assert new.is_published
                assert new.id != old.id
                assert new.concept_id == old.concept_id
                assert {f.key: f.md5 for f in new.files} == {
                    f.key: f.md5 for f in led.record_files(v.record_id)
                }
                assert len(old.files) == 2  # the old version is untouched
        finally:
            await client.aclose()

    asyncio.run(main())
