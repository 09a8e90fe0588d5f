"""One contract suite, run against both clients over real sockets on the embedded sandbox."""

from __future__ import annotations

import hashlib
import os

import pytest

from specpub.errors import (
    Ambiguous,
    AuthenticationError,
    NotFound,
    RateLimited,
    Rejected,
    Transient,
)
from specpub.repository import Marker, RepositoryClient, open_client

from ._support import TOKEN_ENV

pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("api", ["legacy", "native"])]


def payload(api: str, catalog: str, *, institution: str = "BR", valid: bool = True) -> dict:
    """A minimal, publishable payload carrying the marker (title dropped if not valid)."""
    custom = {
        "dwc:catalogNumber": [catalog],
        "dwc:institutionCode": [institution],
        "dwc:basisOfRecord": ["PreservedSpecimen"],
    }
    title = f"Herbarium specimen {institution} {catalog}"
    if api == "legacy":
        metadata = {
            "upload_type": "image",
            "image_type": "photo",
            "creators": [{"name": "Doe, Jane", "affiliation": "Meise Botanic Garden"}],
            "description": "<p>Digitised herbarium sheet.</p>",
            "publication_date": "2025-03-01",
            "access_right": "open",
            "license": "cc-by-4.0",
            "custom": custom,
        }
        if valid:
            metadata["title"] = title
        return {"metadata": metadata}
    metadata = {
        "resource_type": {"id": "image-photo"},
        "publication_date": "2025-03-01",
        "creators": [
            {"person_or_org": {"type": "personal", "family_name": "Doe", "given_name": "Jane"}}
        ],
        "description": "<p>Digitised herbarium sheet.</p>",
        "rights": [{"id": "cc-by-4.0"}],
    }
    if valid:
        metadata["title"] = title
    return {
        "access": {"record": "public", "files": "public"},
        "files": {"enabled": True},
        "metadata": metadata,
        "custom_fields": custom,
    }


@pytest.fixture
def files(tmp_path):
    """Three files: a 1.5 MiB 'image' (several chunks), a small one, a tiny one."""
    out = {}
    for name, size in (
        ("BR0000013_a.tif", 1_572_864 + 7),
        ("BR0000013_b.jpg", 4096),
        ("notes.txt", 5),
    ):
        data = os.urandom(size)
        path = tmp_path / name
        path.write_bytes(data)
        out[name] = (path, hashlib.md5(data).hexdigest(), size)
    return out


def client_for(handle, api: str, monkeypatch, *, token: str | None = None, **kwargs):
    monkeypatch.setenv(TOKEN_ENV, token or handle.token)
    client = open_client("embedded", api=api, base_url=handle.url, token_env=TOKEN_ENV, **kwargs)
    assert isinstance(client, RepositoryClient)
    return client


async def test_publish_multi_file_record(sandbox, api, monkeypatch, files):
    async with client_for(sandbox, api, monkeypatch) as client:
        draft = await client.create(payload(api, "BR0000013"))
        assert draft.state == "draft"
        assert not draft.is_published
        assert draft.marker == Marker("BR0000013", "BR")
        if api == "legacy":
            assert draft.bucket
            assert draft.id.isdigit()
        for key, (path, md5, size) in files.items():
            remote = await client.upload(draft, path, key, md5=md5, size=size)
            assert (remote.key, remote.md5, remote.size) == (key, md5, size)
        # Repeating an upload is safe and leaves one file per key.
        path, md5, size = files["notes.txt"]
        assert (await client.upload(draft, path, "notes.txt", md5=md5, size=size)).md5 == md5
        listed = {f.key: (f.md5, f.size) for f in await client.list_files(draft.id)}
        assert listed == {k: (m, s) for k, (_, m, s) in files.items()}

        published = await client.publish(draft.id)
        assert published.state == "published"
        assert published.is_published
        assert published.doi
        assert published.doi.startswith("10.5072/")
        again = await client.get(draft.id)
        assert again.doi == published.doi
        assert again.state == "published"
        assert {f.key: f.md5 for f in again.files} == {k: m for k, (_, m, _) in files.items()}

        with pytest.raises(NotFound) as info:  # publish is not idempotent: the draft is gone
            await client.publish(draft.id)
        assert info.value.step == "publish"


async def test_find_by_markers(sandbox, api, monkeypatch):
    # A short query limit forces several OR queries over the real server.
    async with client_for(sandbox, api, monkeypatch) as client:
        client.max_query_length = 120
        created = {}
        for i in range(3):
            rec = await client.create(payload(api, f"MK{i:03d}"))
            created[rec.marker] = rec.id
        other = await client.create(payload(api, "MK000", institution="MEISE"))
        assert (await client.find_by_markers([Marker("MK001", "BR")]))[Marker("MK001", "BR")] == []
        sandbox.refresh_index()  # new drafts show in search after the next index refresh
        wanted = [*created, Marker("MK999", "BR"), Marker('we"ird\\', "BR")]
        found = await client.find_by_markers(wanted)
        assert set(found) == set(wanted)
        for marker, rid in created.items():
            assert [r.id for r in found[marker]] == [rid]
        assert found[Marker("MK999", "BR")] == []
        assert other.id not in {r.id for r in found[Marker("MK000", "BR")]}
        hits = await client.search(r'custom_fields.dwc\:catalogNumber:"MK001"')
        assert [r.id for r in hits] == [created[Marker("MK001", "BR")]]


async def test_lost_create_answer_is_ambiguous_then_found(sandbox_factory, api, monkeypatch):
    from specpub.sandbox import FaultPlan

    handle = sandbox_factory(faults=FaultPlan(commit_then_drop={"create": 1.0}, seed=1))
    async with client_for(handle, api, monkeypatch) as client:
        with pytest.raises(Ambiguous) as info:
            await client.create(payload(api, "LOST0001"))
        assert info.value.step == "create"
        assert info.value.method == "POST"
        handle.set_faults(None)
        handle.refresh_index()
        found = await client.find_by_markers([Marker("LOST0001", "BR")])
        assert len(found[Marker("LOST0001", "BR")]) == 1


async def test_lost_publish_answer_is_ambiguous_and_get_tells(
    sandbox_factory, api, monkeypatch, files
):
    from specpub.sandbox import FaultPlan

    handle = sandbox_factory()
    async with client_for(handle, api, monkeypatch) as client:
        draft = await client.create(payload(api, "PUB504"))
        path, md5, size = files["notes.txt"]
        await client.upload(draft, path, "notes.txt", md5=md5, size=size)
        handle.set_faults(FaultPlan(commit_then_504={"publish": 1.0}, seed=1))
        with pytest.raises(Ambiguous) as info:
            await client.publish(draft.id)
        assert info.value.status == 504
        handle.set_faults(None)
        record = await client.get(draft.id)
        assert record.state == "published"
        assert record.doi


async def test_server_errors_are_transient(sandbox_factory, api, monkeypatch):
    from specpub.sandbox import FaultPlan

    handle = sandbox_factory(faults=FaultPlan(errors={503: 1.0}, seed=1))
    async with client_for(handle, api, monkeypatch) as client:
        with pytest.raises(Transient) as info:
            await client.search("x")
        assert info.value.status == 503
        assert info.value.error_id
        assert info.value.url.startswith(handle.url)


async def test_rate_limit_is_reported(sandbox_factory, api, monkeypatch):
    handle = sandbox_factory(rate_limit="3/minute")
    seen = []
    async with client_for(
        handle, api, monkeypatch, on_response=lambda s, i: seen.append((s, i))
    ) as client:
        for _ in range(3):
            await client.create(payload(api, "RL0001"))
        assert client.rate_limit.remaining == 0
        with pytest.raises(RateLimited) as info:
            await client.create(payload(api, "RL0001"))
        assert info.value.retry_after is not None
        assert 0 < info.value.retry_after <= 60
        assert client.rate_limit.limit is not None
        assert client.rate_limit.remaining == 0
        assert seen[-1][0] == 429


async def test_unknown_token_is_an_authentication_error(sandbox, api, monkeypatch):
    async with client_for(sandbox, api, monkeypatch, token="not-a-valid-token-123") as client:
        with pytest.raises(AuthenticationError) as info:
            await client.create(payload(api, "AUTH01"))
        assert "not-a-valid-token-123" not in str(info.value)
        assert info.value.status in (401, 403)


async def test_validation_error_at_publish(sandbox, api, monkeypatch, files):
    async with client_for(sandbox, api, monkeypatch) as client:
        draft = await client.create(payload(api, "BAD0001", valid=False))
        path, md5, size = files["notes.txt"]
        await client.upload(draft, path, "notes.txt", md5=md5, size=size)
        with pytest.raises(Rejected) as info:
            await client.publish(draft.id)
        err = info.value
        assert type(err) is Rejected
        assert err.status == 400
        assert any("title" in (e.field or "") for e in err.errors), err.field_messages


async def test_delete_draft_and_files(sandbox, api, monkeypatch, files):
    async with client_for(sandbox, api, monkeypatch) as client:
        draft = await client.create(payload(api, "DEL0001"))
        for key in ("notes.txt", "BR0000013_b.jpg"):
            path, md5, size = files[key]
            await client.upload(draft, path, key, md5=md5, size=size)
        await client.delete_file(draft.id, "notes.txt")
        await client.delete_file(draft.id, "notes.txt")  # already gone: done
        assert [f.key for f in await client.list_files(draft.id)] == ["BR0000013_b.jpg"]
        await client.delete_draft(draft.id)
        await client.delete_draft(draft.id)  # 404 counts as done
        with pytest.raises(NotFound):
            await client.get(draft.id)


async def test_edit_and_new_version(sandbox, api, monkeypatch, files):
    async with client_for(sandbox, api, monkeypatch) as client:
        draft = await client.create(payload(api, "VER0001"))
        path, md5, size = files["notes.txt"]
        await client.upload(draft, path, "notes.txt", md5=md5, size=size)
        published = await client.publish(draft.id)

        edit = await client.edit(published.id)
        assert edit.id == published.id
        assert edit.state == "edit-draft"
        assert (await client.edit(published.id)).id == edit.id  # idempotent
        await client.update(published.id, payload(api, "VER0001"))
        await client.delete_draft(published.id)  # discards the edit draft only
        assert (await client.get(published.id)).state == "published"

        new = await client.new_version(published.id)
        assert new.id != published.id
        assert new.state == "draft"
        assert (await client.new_version(published.id)).id == new.id  # idempotent
        if api == "native":
            assert await client.list_files(new.id) == []
            imported = await client.import_files(new.id)
            assert [f.md5 for f in imported] == [md5]
        keys = {f.key: f.md5 for f in await client.list_files(new.id)}
        assert keys == {"notes.txt": md5}
        await client.delete_draft(new.id)


async def test_lost_upload_answer_then_repeat(sandbox_factory, api, monkeypatch, files):
    from specpub.sandbox import FaultPlan

    handle = sandbox_factory()
    async with client_for(handle, api, monkeypatch) as client:
        draft = await client.create(payload(api, "UPL0001"))
        path, md5, size = files["BR0000013_b.jpg"]
        handle.set_faults(FaultPlan(commit_then_drop={"upload": 1.0}, seed=1))
        # Legacy: the bucket PUT replaces, so a lost answer is safe to repeat (Transient);
        # native: the lost request is the file init, which is not (Ambiguous).
        expected = Transient if api == "legacy" else Ambiguous
        with pytest.raises(expected) as info:
            await client.upload(draft, path, "BR0000013_b.jpg", md5=md5, size=size)
        assert type(info.value) is expected
        handle.set_faults(None)
        remote = await client.upload(draft, path, "BR0000013_b.jpg", md5=md5, size=size)
        assert (remote.md5, remote.size) == (md5, size)
        assert [(f.key, f.md5) for f in await client.list_files(draft.id)] == [
            ("BR0000013_b.jpg", md5)
        ]


async def test_file_changed_during_send_over_sockets(sandbox, api, monkeypatch, files, caplog):
    from specpub.errors import InputError
    from specpub.repository import _upload

    original = _upload.FileSource.stream

    async def shrinking(self):
        first = True
        async for chunk in original(self):
            yield chunk
            if first:
                first = False
                self.path.write_bytes(b"short")

    monkeypatch.setattr(_upload.FileSource, "stream", shrinking)
    path, md5, size = files["BR0000013_a.tif"]
    async with client_for(sandbox, api, monkeypatch) as client:
        draft = await client.create(payload(api, "CHG0001"))
        with pytest.raises(InputError) as info:
            await client.upload(draft, path, "BR0000013_a.tif", md5=md5, size=size)
        assert str(path) in str(info.value)
        assert "rescan" in str(info.value)
        assert sandbox.token not in caplog.text
        # The client still works afterwards, and nothing half-sent was committed
        # (native: the entry stays pending; legacy: the bucket PUT never completed).
        remaining = {f.key: f.status for f in await client.list_files(draft.id)}
        assert remaining.get("BR0000013_a.tif") in (None, "pending")


async def test_new_version_after_a_lost_answer_is_found_not_repeated(
    sandbox, api, monkeypatch, files
):
    async with client_for(sandbox, api, monkeypatch) as client:
        draft = await client.create(payload(api, "NV0001"))
        path, md5, size = files["notes.txt"]
        await client.upload(draft, path, "notes.txt", md5=md5, size=size)
        published = await client.publish(draft.id)
        sandbox.intercept("other", "drop", path=r"/(actions/newversion|versions)$")
        with pytest.raises((Ambiguous, Transient)):  # native: POST /versions is idempotent
            await client.new_version(published.id)
        again = await client.new_version(published.id)  # finds the draft the server made
        assert again.state == "draft"
        assert again.concept_id == published.concept_id
        stats = sandbox.fault_stats()
        assert sum(v for k, v in stats.items() if k.startswith("intercept:")) == 1
        sandbox.refresh_index()
        assert [r.id for r in await client.search("is_published:false")] == [again.id]
        if api == "legacy":  # the files were imported once; asking again is still safe
            assert [f.key for f in await client.list_files(again.id)] == ["notes.txt"]
            assert (await client.new_version(published.id)).id == again.id


async def test_markers_are_trimmed_so_that_they_match_online(sandbox, api, monkeypatch):
    async with client_for(sandbox, api, monkeypatch) as client:
        rec = await client.create(payload(api, " TRIM01 ", institution=" BR "))
        assert rec.marker == Marker("TRIM01", "BR")  # stored trimmed, as Zenodo stores it
        sandbox.refresh_index()
        asked = Marker(" TRIM01 ", " BR ")
        found = await client.find_by_markers([asked])
        assert [r.id for r in found[asked]] == [rec.id]


async def test_a_repeated_500_on_the_same_payload_stops_being_retried(sandbox, api, monkeypatch):
    from specpub.errors import InputError

    async with client_for(sandbox, api, monkeypatch) as client:
        # the payload Zenodo's legacy API cannot load is refused before it is sent
        if api == "legacy":
            bad = payload(api, "BAD500")
            bad["metadata"]["locations"] = [{"lat": 50.9, "lon": 4.3}]
            with pytest.raises(InputError) as info:
                await client.create(bad)
            assert "metadata.locations.0.place" in str(info.value)
        # a server that keeps failing on one payload while answering others
        sandbox.intercept("create", 500, before=True, count=3, method="POST")
        good = payload(api, "OK500")
        for _ in range(2):
            with pytest.raises(Transient):
                await client.create(good)
            await client.search("*", size=1)  # the server answers other requests
        with pytest.raises(Rejected) as info:
            await client.create(good)
        assert info.value.status == 500
        assert "cannot process this payload" in info.value.message


async def test_a_500_outage_is_not_mistaken_for_a_bad_payload(sandbox, api, monkeypatch):
    async with client_for(sandbox, api, monkeypatch) as client:
        sandbox.intercept("create", 500, before=True, count=5)
        for _ in range(5):  # nothing succeeds in between: an outage, still transient
            with pytest.raises(Transient):
                await client.create(payload(api, "OUT500"))
        assert (await client.create(payload(api, "OUT500"))).marker == Marker("OUT500", "BR")
