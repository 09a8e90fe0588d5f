"""Search in the sandbox app: query subset, aliases, limits, merging, index lag (§1.10, §2.5)."""

from __future__ import annotations

import pytest
from _app_client import (
    ALICE,
    HERB,
    LEGACY_MD,
    NATIVE,
    client,
    legacy_draft,
    legacy_published,
    native_draft,
    native_file,
    refresh,
)

from specpub.sandbox._errors import ApiError
from specpub.sandbox._search import parse

pytestmark = pytest.mark.anyio
DEP = "/api/deposit/depositions"


def md(cat: str, **extra) -> dict:
    return {**LEGACY_MD, "custom": {"dwc:catalogNumber": [cat]}, **extra}


async def ids(c, url: str, *, refreshed: bool = True, **params) -> list[int]:
    """The ids a search finds, after an index refresh unless ``refreshed=False``."""
    if refreshed:
        refresh(c)
    r = await c.get(url, params=params, headers=ALICE)
    assert r.status_code == 200, r.text
    body = r.json()
    hits = body if isinstance(body, list) else body["hits"]["hits"]
    return [int(h["id"]) for h in hits]


async def test_marker_queries_through_both_apis(tmp_path):
    async with client(tmp_path) as c:
        a = await legacy_draft(c, md("BR0000013"))
        b = await legacy_draft(c, md("BR0000014"))
        await legacy_draft(c, md("BR0000015"))
        q = 'custom_fields.dwc\\:catalogNumber:"BR0000013"'
        assert await ids(c, DEP, q=q) == [a["id"]]
        assert await ids(c, "/api/user/records", q=q) == [a["id"]]
        q = 'custom_fields.dwc\\:catalogNumber:("BR0000013" OR "BR0000014")'
        assert sorted(await ids(c, "/api/user/records", q=q, size=100)) == [a["id"], b["id"]]
        q = "custom_fields.dwc\\:catalogNumber:BR0000013 OR "
        q += "custom_fields.dwc\\:catalogNumber:BR0000015"
        assert len(await ids(c, DEP, q=q)) == 2
        q = 'NOT custom_fields.dwc\\:catalogNumber:"BR0000013"'
        assert a["id"] not in await ids(c, DEP, q=q)
        # juxtaposition is OR (OpenSearch's default operator); + must, - must not
        cat = "custom_fields.dwc\\:catalogNumber:"
        assert len(await ids(c, DEP, q=f"{cat}BR0000013 {cat}BR0000014")) == 2
        assert await ids(c, DEP, q=f"+{cat}BR0000013 {cat}BR0000014") == [a["id"]]
        assert await ids(c, DEP, q=f"+type:image -{cat}BR0000013 -{cat}BR0000015") == [b["id"]]
        assert len(await ids(c, DEP, q=f"-{cat}BR0000013")) == 2
        q = 'related.identifier:"https://example.org/specimen/BR0000013"'
        assert len(await ids(c, DEP, q=q)) == 3
        assert await ids(c, DEP, q='custom_fields.dwc\\:catalogNumber:"BR00000"') == []


async def test_is_published_title_keywords_and_aliases(tmp_path):
    async with client(tmp_path) as c:
        draft = await legacy_draft(c, md("A", title="Quercus robur sheet", keywords=["batch:7"]))
        pub = await legacy_published(c, md("B", title="Fagus sylvatica sheet"))
        assert await ids(c, DEP, q="is_published:false") == [draft["id"]]
        assert await ids(c, DEP, q="is_published:true") == [pub["id"]]
        assert await ids(c, DEP, q='title:"quercus robur"') == [draft["id"]]
        assert await ids(c, DEP, q='keywords:"batch:7"') == [draft["id"]]
        assert await ids(c, DEP, q=f"recid:{pub['id']}") == [pub["id"]]
        assert await ids(c, DEP, q=f"conceptrecid:{pub['conceptrecid']}") == [pub["id"]]
        assert await ids(c, "/api/records", q=f'doi:"{pub["doi"]}"') == [pub["id"]]
        assert await ids(c, "/api/records", q="filename:sheet.jpg") == [pub["id"]]
        checksum = pub["files"][0]["checksum"]
        assert await ids(c, "/api/records", q=f'_files.checksum:"md5:{checksum}"') == [pub["id"]]
        # drafts have no indexed files
        d2 = await legacy_draft(c, md("C"))
        from _app_client import upload

        await upload(c, d2, "draftfile.jpg", b"x")
        assert await ids(c, DEP, q="filename:draftfile.jpg") == []
        assert await ids(c, DEP, q="type:image") != []
        assert await ids(c, DEP, q="quercus") == [draft["id"]]  # free text
        assert await ids(c, DEP, q="created:[2000-01-01 TO *]") != []
        assert await ids(c, DEP, q="created:[* TO 2000-01-01]") == []


async def test_communities_alias_resolves_slug(tmp_path):
    async with client(tmp_path) as c:
        pub = await legacy_published(c, md("A", communities=[{"identifier": HERB.slug}]))
        assert await ids(c, "/api/records", q=f"communities:{HERB.slug}") == [pub["id"]]
        assert await ids(c, "/api/records", communities=HERB.slug) == [pub["id"]]


async def test_published_record_with_open_draft_appears_once(tmp_path):
    async with client(tmp_path) as c:
        pub = await legacy_published(c)
        await c.post(f"{DEP}/{pub['id']}/actions/edit", headers=ALICE)
        refresh(c)
        items = (await c.get(DEP, headers=ALICE)).json()
        assert [i["id"] for i in items] == [pub["id"]]
        assert items[0]["state"] == "inprogress"
        r = await c.get("/api/user/records", headers=ALICE)
        assert r.json()["hits"]["total"] == 1


async def test_public_search_shows_latest_version_unless_allversions(tmp_path):
    async with client(tmp_path) as c:
        pub = await legacy_published(c)
        new = (await c.post(f"{DEP}/{pub['id']}/actions/newversion", headers=ALICE)).json()
        # the new version has no publication_date: publish is refused until it is PUT back
        r = await c.post(f"{DEP}/{new['id']}/actions/publish", headers=ALICE)
        assert r.status_code == 400
        assert r.json()["errors"][0]["field"] == "metadata.publication_date"
        await c.put(f"{DEP}/{new['id']}", json={"metadata": LEGACY_MD}, headers=ALICE)
        r = await c.post(f"{DEP}/{new['id']}/actions/publish", headers=ALICE)
        assert r.status_code == 202
        assert await ids(c, "/api/records") == [new["id"]]
        assert sorted(await ids(c, "/api/records", allversions="true")) == [pub["id"], new["id"]]


async def test_sort_pagination_and_errors(tmp_path):
    async with client(tmp_path) as c:
        created = [(await legacy_draft(c, md(f"X{i}")))["id"] for i in range(5)]
        assert await ids(c, DEP, sort="mostrecent") == created[::-1]
        assert await ids(c, DEP, sort="-mostrecent") == created
        assert await ids(c, DEP, sort="oldest", size=2, page=2) == created[2:4]
        assert await ids(c, "/api/user/records", sort="newest") == created[::-1]
        assert await ids(c, DEP, sort="bestmatch") == created[::-1]
        refresh(c)
        r = await c.get("/api/user/records", headers=ALICE)
        assert r.json()["hits"]["total"] == 5
        for params, message in (
            ({"sort": "x"}, "Invalid sort option 'x'."),
            ({"size": 101}, None),
            ({"size": 100, "page": 101}, "Invalid pagination parameters."),
            ({"page": 0}, "Invalid pagination parameters."),
            ({"size": "abc"}, "Invalid pagination parameters."),
            ({"q": 'title:"unclosed'}, "Invalid query string syntax."),
            ({"q": "(a OR b"}, "Invalid query string syntax."),
        ):
            for url in (DEP, "/api/user/records", "/api/records"):
                r = await c.get(url, params=params, headers=ALICE)
                assert r.status_code == 400, (url, params)
                if message:
                    assert r.json()["message"] == message
        assert (await c.get("/api/records", params={"size": 30})).status_code == 400  # guest


async def test_index_lag_hides_new_and_changed_records(tmp_path):
    now = [1_700_000_000.0]
    async with client(tmp_path, clock=lambda: now[0], index_lag=5.0) as c:
        dep = await legacy_draft(c, md("LAG1"))
        q = 'custom_fields.dwc\\:catalogNumber:"LAG1"'
        assert await ids(c, DEP, refreshed=False, q=q) == []
        assert (await c.get(f"{DEP}/{dep['id']}", headers=ALICE)).status_code == 200
        now[0] += 5.1
        assert await ids(c, DEP, refreshed=False, q=q) == [dep["id"]]
        # a change: the old version stays searchable until the new one is indexed
        await c.put(f"{DEP}/{dep['id']}", json={"metadata": md("LAG2")}, headers=ALICE)
        assert await ids(c, DEP, refreshed=False, q=q) == [dep["id"]]
        assert (
            await ids(c, DEP, refreshed=False, q='custom_fields.dwc\\:catalogNumber:"LAG2"') == []
        )
        now[0] += 5.1
        assert await ids(c, DEP, refreshed=False, q=q) == []
        assert await ids(c, DEP, refreshed=False, q='custom_fields.dwc\\:catalogNumber:"LAG2"') == [
            dep["id"]
        ]
        # an explicit refresh shows a change at once
        await c.put(f"{DEP}/{dep['id']}", json={"metadata": md("LAG3")}, headers=ALICE)
        assert (
            await ids(c, DEP, refreshed=False, q='custom_fields.dwc\\:catalogNumber:"LAG3"') == []
        )
        assert refresh(c) == 2  # the new version shown, the old one hidden
        assert await ids(c, DEP, refreshed=False, q='custom_fields.dwc\\:catalogNumber:"LAG3"') == [
            dep["id"]
        ]
        assert (
            await ids(c, DEP, refreshed=False, q='custom_fields.dwc\\:catalogNumber:"LAG2"') == []
        )


async def test_native_search_by_custom_field_and_checksum_prefix(tmp_path):
    async with client(tmp_path) as c:
        rid = (await native_draft(c))["id"]
        e = await native_file(c, rid, "a.jpg", b"payload")
        await c.post(f"/api/records/{rid}/draft/actions/publish", headers=ALICE)
        q = 'custom_fields.dwc\\:eventDate:"1890-05-01"'
        assert await ids(c, "/api/records", q=q) == [int(rid)]
        assert await ids(c, "/api/records", q=f'_files.checksum:"{e["checksum"]}"') == [int(rid)]
        assert NATIVE["custom_fields"]["dwc:catalogNumber"] == ["BR0000014"]


def test_parser_rejects_bad_syntax_and_accepts_the_subset():
    for good in (
        "a:b",
        'a:"b c"',
        "a\\:b:c",
        "(a:1 OR a:2) AND NOT b:3",
        "a:[1 TO 2}",
        "x:* && !y:z",
        "-a:b +c:d",
        "",
    ):
        parse(good)
    for bad in ("a:", '"x', "(a", "a)", "AND", "a OR", "a:[1 2]", "a:b:", "\\"):
        with pytest.raises(ApiError):
            parse(bad)
