"""Marker queries (escaping, chunking, paging, exact matching), parsing, targets."""

from __future__ import annotations

import re

import httpx
import pytest

from specpub.errors import InputError
from specpub.repository import (
    LegacyClient,
    Marker,
    NativeClient,
    Target,
    open_client,
    register_target,
    resolve_target,
)
from specpub.repository._query import marker_queries, quote_value
from specpub.repository.legacy import parse_deposition
from specpub.repository.native import parse_record
from specpub.repository.targets import unregister_target


def hit(api: str, rid: int, cat: str, inst: str | None) -> dict:
    custom = {"dwc:catalogNumber": [cat]}
    if inst:
        custom["dwc:institutionCode"] = [inst]
    if api == "legacy":
        return {
            "id": rid,
            "state": "unsubmitted",
            "submitted": False,
            "files": [],
            "metadata": {"custom": custom},
        }
    return {"id": str(rid), "is_draft": True, "is_published": False, "custom_fields": custom}


_VALUE = re.compile(r'"((?:[^"\\]|\\.)*)"')


def catalog_numbers_in(query: str) -> list[str]:
    return [re.sub(r"\\(.)", r"\1", v) for v in _VALUE.findall(query)]


class Index:
    """Answers searches from a list of records, honouring q, page and size."""

    def __init__(self, api: str, records: list[dict]) -> None:
        self.api = api
        self.records = records
        self.queries: list[tuple[str, int, int]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        q = request.url.params["q"]
        page, size = int(request.url.params["page"]), int(request.url.params["size"])
        self.queries.append((q, page, size))
        wanted = set(catalog_numbers_in(q))
        key = "custom" if self.api == "legacy" else "custom_fields"

        def cat(r):
            return (r.get("metadata", {}).get(key) or r.get(key))["dwc:catalogNumber"][0]

        matches = [r for r in self.records if cat(r) in wanted]
        window = matches[(page - 1) * size : page * size]
        if self.api == "legacy":
            return httpx.Response(200, json=window)
        return httpx.Response(200, json={"hits": {"hits": window, "total": len(matches)}})


def test_quote_value_escapes_quotes_and_backslashes():
    assert quote_value('A"B\\C') == '"A\\"B\\\\C"'
    assert catalog_numbers_in(quote_value('A"B\\C')) == ['A"B\\C']


def test_marker_queries_fit_the_length_limit():
    values = [f"BR{i:07d}" for i in range(300)]
    queries = marker_queries(values, max_length=500)
    from urllib.parse import quote_plus

    assert len(queries) > 1
    assert all(len(quote_plus(q)) <= 500 for q in queries)
    assert [v for q in queries for v in catalog_numbers_in(q)] == values
    assert queries[0].startswith("custom_fields.dwc\\:catalogNumber:(")


@pytest.mark.anyio
@pytest.mark.parametrize("api", ["legacy", "native"])
async def test_find_by_markers_chunks_pages_and_filters_exactly(make_client, api):
    records = [hit(api, i, f"BR{i:04d}", "BR") for i in range(1, 151)]
    records.append(hit(api, 500, "BR0001", "MEISE"))  # same number, other institution
    records.append(hit(api, 501, "BR0002", None))  # same number, no institution
    records += [hit(api, 600 + i, "DUP", "BR") for i in range(130)]  # > one page
    index = Index(api, records)
    client = make_client(api, index, max_query_length=400)
    markers = [Marker(f"BR{i:04d}", "BR") for i in range(1, 121)]
    markers += [Marker("DUP", "BR"), Marker("NONE", "BR"), Marker('q"uo\\te', "BR")]
    found = await client.find_by_markers(markers)
    assert set(found) == set(markers)
    assert [r.id for r in found[Marker("BR0001", "BR")]] == ["1"]
    assert found[Marker("NONE", "BR")] == []
    assert len(found[Marker("DUP", "BR")]) == 130
    assert all(len(v) == 1 for m, v in found.items() if m.catalog_number.startswith("BR0"))
    assert len({q for q, _, _ in index.queries}) > 1  # chunked
    assert any(page == 2 for _, page, _ in index.queries)  # paged
    assert all(size == 100 for _, _, size in index.queries)
    assert all(r.files is None for r in found[Marker("DUP", "BR")])  # drafts: files unknown


@pytest.mark.anyio
@pytest.mark.parametrize("api", ["legacy", "native"])
async def test_search_page_limits(make_client, api):
    client = make_client(api, lambda r: httpx.Response(200, json=[]))
    with pytest.raises(InputError):
        await client.search("x", size=101)
    with pytest.raises(InputError):
        await client.search("x", page=101, size=100)


@pytest.mark.parametrize(
    ("state", "submitted", "expected"),
    [
        ("unsubmitted", False, "draft"),
        ("inprogress", True, "edit-draft"),
        ("done", True, "published"),
    ],
)
def test_legacy_states(state, submitted, expected):
    rec = parse_deposition(
        {
            "id": 3,
            "state": state,
            "submitted": submitted,
            "conceptrecid": "2",
            "links": {"bucket": "https://x/api/files/b"},
        }
    )
    assert rec.state == expected
    assert rec.id == "3"
    assert rec.concept_id == "2"
    assert rec.is_published is submitted
    assert rec.bucket == "https://x/api/files/b"


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"is_draft": True, "is_published": False}, "draft"),
        ({"is_draft": True, "is_published": True}, "edit-draft"),
        ({"is_draft": False, "is_published": True}, "published"),
        ({"is_draft": False, "is_published": True, "has_draft": True}, "edit-draft"),
    ],
)
def test_native_states(flags, expected):
    rec = parse_record(
        {
            "id": "ab-1",
            **flags,
            "files": {"enabled": True, "entries": {"a.jpg": {"checksum": "md5:AB", "size": 2}}},
        }
    )
    assert rec.state == expected
    assert rec.files[0].key == "a.jpg"
    assert rec.files[0].md5 == "ab"


def test_targets(token_env):
    zen = resolve_target("zenodo")
    assert (zen.base_url, zen.doi_prefix, zen.api_default) == (
        "https://zenodo.org",
        "10.5281",
        "legacy",
    )
    assert [(r.count, r.seconds) for r in zen.rate_limits] == [(100, 60.0), (5000, 3600.0)]
    assert [(r.count, r.seconds) for r in zen.search_rate_limits] == [(30, 60.0)]
    sandbox = resolve_target("zenodo-sandbox")
    assert sandbox.doi_prefix == "10.5072"
    assert sandbox.rate_limits == zen.rate_limits
    rdm = resolve_target("https://rdm.example.org/")
    assert (rdm.base_url, rdm.api_default) == ("https://rdm.example.org", "native")
    with pytest.raises(InputError, match="needs a base URL"):
        resolve_target("embedded")
    assert resolve_target("embedded", base_url="http://127.0.0.1:9").base_url == (
        "http://127.0.0.1:9"
    )
    with pytest.raises(InputError, match="unknown repository target"):
        resolve_target("zenodoo")
    with pytest.raises(InputError, match="plain http"):
        resolve_target("http://rdm.example.org")
    with pytest.raises(InputError, match="plain http"):
        open_client("embedded", base_url="http://192.168.1.4:5000", token_env=token_env)


def test_open_client_and_registry(token_env):
    assert isinstance(open_client("zenodo", token_env=token_env), LegacyClient)
    assert isinstance(open_client("zenodo", api="native", token_env=token_env), NativeClient)
    assert isinstance(open_client("https://rdm.example.org", token_env=token_env), NativeClient)
    client = open_client(
        "embedded", base_url="http://127.0.0.1:5000", token_env=token_env, concurrency=3
    )
    assert client.base_url == "http://127.0.0.1:5000"
    assert client.concurrency == 3
    register_target(
        "test-rdm",
        lambda base: Target(
            "test-rdm", base or "https://t.example.org", "native", doi_prefix="10.1234"
        ),
    )
    try:
        assert open_client("test-rdm", token_env=token_env).base_url == "https://t.example.org"
        assert resolve_target("TEST-RDM").doi_prefix == "10.1234"
    finally:
        unregister_target("test-rdm")
    with pytest.raises(InputError, match="unknown API"):
        open_client("zenodo", api="graphql", token_env=token_env)
