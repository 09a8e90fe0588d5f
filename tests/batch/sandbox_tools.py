"""Helpers for tests that run the batch engine against the real embedded sandbox."""

from __future__ import annotations

import asyncio
from collections import Counter

from specpub.batch.ledger import Ledger
from specpub.repository import open_client

TOKEN_ENV = "SPECPUB_TEST_SANDBOX_TOKEN"


def client_for(sandbox, api: str, monkeypatch=None, **kw):
    """A real client for ``sandbox`` (the token travels in an environment variable)."""
    import os

    if monkeypatch is not None:
        monkeypatch.setenv(TOKEN_ENV, sandbox.token)
    else:
        os.environ[TOKEN_ENV] = sandbox.token
    return open_client("embedded", api=api, base_url=sandbox.url, token_env=TOKEN_ENV, **kw)


async def inventory(client) -> list:
    """Every own record and draft on the server (paged search)."""
    out, page = [], 1
    while True:
        hits = await client.search("", page=page, size=100)
        out.extend(hits)
        if len(hits) < 100:
            return out
        page += 1


async def check_server_matches_ledger(client, ledger: Ledger, expected: int, *, sandbox) -> dict:
    """Assert: ``expected`` published, no duplicates, no drafts; ledger == server; checksums.

    ``sandbox`` (a sandbox handle) gets its search index refreshed first, so that the
    inventory sees every change (the sandbox, like Zenodo, indexes with a lag).
    """
    sandbox.refresh_index()
    records = await inventory(client)
    published = [r for r in records if r.is_published]
    drafts = [r for r in records if r.state != "published"]
    per_marker = Counter(r.marker for r in records)
    dupes = {m: n for m, n in per_marker.items() if n > 1}
    assert not drafts, f"{len(drafts)} drafts left on the server: {[d.id for d in drafts[:10]]}"
    assert not dupes, f"duplicate records on the server: {list(dupes.items())[:10]}"
    assert len(published) == expected, f"{len(published)} published, expected {expected}"
    recs = ledger.records()
    assert set(recs.state) == {"published"}, ledger.counts()
    by_id = {r.id: r for r in published}
    assert set(recs.remote_id) == set(by_id)
    sem = asyncio.Semaphore(16)

    async def full(rid):
        async with sem:
            return await client.get(rid)

    fulls = await asyncio.gather(*(full(rid) for rid in recs.remote_id))
    checked = 0
    for row, srv in zip(recs.itertuples(), fulls, strict=True):
        assert srv.doi == row.doi
        assert srv.marker is not None
        assert srv.marker.key == row.marker_key
        want = {f.key: f.md5 for f in ledger.record_files(row.record_id)}
        got = {f.key: f.md5 for f in srv.files or ()}
        assert got == want, (row.marker_key, got, want)
        checked += len(want)
    files = ledger.files()
    assert set(files.state) == {"uploaded"}
    assert (files.server_checksum.str.removeprefix("md5:") == files.md5).all()
    return {"published": len(published), "files_checked": checked}
