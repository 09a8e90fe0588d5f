"""specpub.inventory: the user's records and drafts on a repository, from a notebook cell.

A records panel (widgets) lists what the server holds for the user; these
tests call the public entry point the way a cell does (inside a running event
loop), against the embedded repository over a socket, on both APIs.
"""

from __future__ import annotations

import asyncio

import pytest

import specpub
from specpub.batch.plan import plan_records
from specpub.repository import open_client

from .helpers import legacy_payload, make_specs, native_payload


@pytest.mark.parametrize("api", ["legacy", "native"])
def test_inventory_lists_published_records_and_drafts_inside_a_running_loop(tmp_path, api):
    with specpub.running(tmp_path / "repo", index_lag=0) as sb:
        ws = specpub.Workspace.create(tmp_path / "ws")
        plan_records(ws, make_specs(tmp_path / "media", 3, prefix="C"), target="embedded", api=api)
        assert specpub.publish(ws, to=sb, progress=None).published == 3
        # a draft of the user's that no ledger knows (another tool, a lost workspace)
        client = open_client(sb, api=api)
        stray = (legacy_payload if api == "legacy" else native_payload)("X1", "BR")

        async def cell():
            asyncio.get_running_loop()  # as in Jupyter
            await client.create(stray)
            await client.aclose()
            inv = specpub.inventory(ws, to=sb)  # a plain call in a cell
            cached = specpub.inventory(ws, refresh=False)  # no request: the workspace's cache
            awaited = await specpub.inventory_async(ws, to=sb)
            return inv, cached, awaited

        inv, cached, awaited = asyncio.run(cell())
    assert inv.counts() == {"draft": 1, "published": 3}
    frame = inv.to_frame()
    published = frame[frame["is_published"]]
    assert sorted(published["catalog_number"]) == ["C000000", "C000001", "C000002"]
    assert published["doi"].str.startswith("10.").all()
    assert len(inv.find(published["marker_key"].iloc[0])) == 1
    assert cached.fetched_at == inv.fetched_at
    assert len(cached) == 4
    assert awaited.requests == 1  # only what changed since the first listing
    html = inv._repr_html_()
    assert "3 published, 1 drafts" in html
    assert sb.token not in html


def test_inventory_of_an_unplanned_workspace_needs_a_target(tmp_path):
    ws = specpub.Workspace.create(tmp_path / "ws")
    with pytest.raises(specpub.InputError, match="no repository given"):
        specpub.inventory(ws)
    assert specpub.inventory(ws, "zenodo", refresh=False).fetched_at is None


def test_inventory_of_an_unreachable_repository_keeps_the_cache(tmp_path):
    ws = specpub.Workspace.create(tmp_path / "ws")
    with pytest.raises(specpub.RepositoryError):
        specpub.inventory(ws, "http://127.0.0.1:9", token_env="SPECPUB_TEST_NO_SUCH_TOKEN")
    assert not (ws.root / "inventory.sqlite").exists()
