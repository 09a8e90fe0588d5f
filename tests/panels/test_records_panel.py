"""The records panel driven from Python: the user's records and drafts on a real repository."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from specpub_widgets import RecordsPanel, TargetPanel

import specpub

TOKEN = "records-panel-token-0123456789"
BOB = "records-panel-bob-0123456789"


@pytest.fixture
def published(loaded_workspace: Path, sandbox_factory):
    """A workspace whose records are published on an embedded repository, plus a hostile draft."""
    repo = sandbox_factory(token=TOKEN, tokens={BOB: "bob"}, index_lag=0)
    specpub.plan(loaded_workspace, to=repo, progress=None)
    assert specpub.publish(loaded_workspace, to=repo, progress=None).ok
    for token, title in ((TOKEN, "<script>alert(1)</script> draft"), (BOB, "bob's draft")):
        answer = httpx.post(
            f"{repo.url}/api/deposit/depositions",
            json={"metadata": {"title": title}},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
    repo.refresh_index()
    return loaded_workspace, repo


def test_refresh_lists_records_and_drafts_with_links(published) -> None:
    ws, repo = published
    n = specpub.status(ws).counts["published"]
    panel = RecordsPanel(ws, repo, page_size=4)
    panel.refresh_button.click()
    assert panel.refresh_button.disabled  # the listing runs behind; the notebook stays usable
    panel.wait(60)
    assert panel.errors == []
    assert panel.inventory.counts() == {"draft": 1, "published": n}  # not bob's draft
    assert f"{n + 1} records and drafts listed" in panel.message
    assert "https://doi.org/10.5072/" in panel._table.value
    assert f"{repo.url}/records/" in panel._table.value
    assert "<script>" not in panel._table.value
    assert "&lt;script&gt;" in panel._table.value  # the draft's title, escaped
    assert panel.pager.label.value == f"page 1 of {-(-(n + 1) // 4)} · {n + 1} records"
    panel.pager.next_button.click()
    assert panel.pager.page == 1


def test_search_and_state_filter(published) -> None:
    ws, repo = published
    panel = RecordsPanel(ws, repo)
    panel.refresh()
    frame = panel.inventory.to_frame()
    number = frame.loc[frame["is_published"], "catalog_number"].iloc[0]
    panel.search.value = number.lower()  # case does not matter
    shown = panel.records()
    assert shown["catalog_number"].tolist() == [number]
    assert number in panel._table.value
    panel.search.value = ""
    panel.state_filter.value = "draft"
    assert panel.records()["state"].tolist() == ["draft"]
    assert "No record to show" not in panel._table.value
    panel.search.value = "no such thing anywhere"
    assert "No record to show" in panel._table.value


def test_the_cache_shows_at_once_and_a_wrong_token_keeps_it(published, monkeypatch) -> None:
    ws, repo = published
    first = RecordsPanel(ws, repo)
    first.refresh()
    listed = len(first.inventory)
    monkeypatch.setenv("RECORDS_TOKEN", "wrong-0123456789abcdef")
    target = TargetPanel("embedded", url=repo.url, token_env="RECORDS_TOKEN")
    again = RecordsPanel(ws, target=target)  # a restarted kernel: the cache, no request
    assert len(again.inventory) == listed
    assert "Listed" in again._summary.value
    again.refresh_button.click()
    again.wait(60)
    assert isinstance(again.errors[-1], specpub.AuthenticationError)
    assert "wrong-0123456789abcdef" not in again.message
    assert len(again.inventory) == listed  # what was listed stays on screen


def test_a_workspace_never_listed_says_so(tmp_path: Path) -> None:
    panel = RecordsPanel(specpub.Workspace.create(tmp_path / "ws"), "zenodo")
    assert panel.inventory.fetched_at is None
    assert "not listed yet" in panel._summary.value
    assert "No record to show" in panel._table.value
