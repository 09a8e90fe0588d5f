"""The sandbox is as strict as Zenodo: one test per point of docs/zenodo-api.md §7.

Each point was read from zenodo-rdm's (and invenio-*'s) code: a client that passes
against the sandbox must not fail on zenodo.org for any of these reasons.
"""

from __future__ import annotations

import pytest
from _app_client import (
    ALICE,
    LEGACY_MD,
    NATIVE,
    NATIVE_JSON,
    client,
    legacy_draft,
    legacy_published,
    native_draft,
    native_file,
    path,
    refresh,
    upload,
)

from specpub.sandbox import _vocabularies as vocab

pytestmark = pytest.mark.anyio
DEP = "/api/deposit/depositions"


async def _create(c, **metadata):
    return await c.post(DEP, json={"metadata": {**LEGACY_MD, **metadata}}, headers=ALICE)


async def test_repeated_legacy_newversion_is_400_once_the_draft_has_files(tmp_path):
    async with client(tmp_path) as c:
        pub = await legacy_published(c)
        url = f"{DEP}/{pub['id']}/actions/newversion"
        first = await c.post(url, headers=ALICE)
        assert first.status_code == 201
        again = await c.post(url, headers=ALICE)
        assert (again.status_code, again.json()["message"]) == (
            400,
            "Please remove all files first.",
        )
        # the published record's latest_draft link finds the draft without repeating
        record = (await c.get(f"{DEP}/{pub['id']}", headers=ALICE)).json()
        assert record["links"]["latest_draft"].endswith(f"{DEP}/{first.json()['id']}")


async def test_bucket_listing_is_500(tmp_path):
    async with client(tmp_path) as c:
        dep = await legacy_draft(c)
        r = await c.get(path(dep["links"]["bucket"]), headers=ALICE)
        assert r.status_code == 500
        assert set(r.json()) == {"status", "message", "error_id"}


async def test_form_upload_of_an_existing_name_is_400_not_a_replace(tmp_path):
    async with client(tmp_path) as c:
        dep = await legacy_draft(c)
        url = f"{DEP}/{dep['id']}/files"
        first = await c.post(url, files={"file": ("a.jpg", b"one")}, headers=ALICE)
        assert first.status_code == 201
        again = await c.post(url, files={"file": ("a.jpg", b"two")}, headers=ALICE)
        assert again.status_code == 400
        assert again.json()["message"] == "File with key a.jpg already exists."
        files = (await c.get(url, headers=ALICE)).json()
        assert [f["filesize"] for f in files] == [3.0]  # the first one is kept


async def test_files_of_a_published_deposition_link_as_on_zenodo(tmp_path):
    async with client(tmp_path) as c:
        pub = await legacy_published(c)
        f = pub["files"][0]
        base = "http://sandbox.test/api/records"
        assert f["links"]["self"] == f"{base}/{pub['id']}/files/{f['id']}"
        # hard-coded to the draft's content (which no longer exists once published)
        assert f["links"]["download"] == f"{base}/{pub['id']}/draft/files/sheet.jpg/content"


async def test_files_endpoint_filesize_is_a_float(tmp_path):
    async with client(tmp_path) as c:
        dep = await legacy_draft(c)
        await upload(c, dep, "a.jpg", b"12345")
        (entry,) = (await c.get(f"{DEP}/{dep['id']}/files", headers=ALICE)).json()
        assert entry["filesize"] == 5.0
        assert isinstance(entry["filesize"], float)
        dep = (await c.get(f"{DEP}/{dep['id']}", headers=ALICE)).json()
        assert dep["files"][0]["filesize"] == 5  # the deposition's own list: as stored


async def test_dates_read_back_in_zenodos_shape(tmp_path):
    dates = [
        {"start": "1890-05-01", "end": "1890-05-03", "type": "Collected", "description": "trip"},
        {"start": "1890-06-01", "end": "1890-06-01", "type": "Valid"},
        {"end": "1901", "type": "Withdrawn"},
    ]
    async with client(tmp_path) as c:
        r = await _create(c, dates=dates)
        assert r.status_code == 201
        assert r.json()["metadata"]["dates"] == [
            {
                "type": "collected",
                "start": "1890-05-01",
                "end": "1890-05-03",
                "description": "trip",
            },
            {"type": "valid"},  # start == end: a single date, no start/end
            {"type": "withdrawn"},
        ]


async def test_grants_read_back_with_funder_and_unknown_awards_rejected(tmp_path):
    async with client(tmp_path) as c:
        r = await _create(c, grants=[{"id": "777483"}, {"id": "312848"}])
        assert r.json()["metadata"]["grants"] == [
            {"id": "10.13039/501100000780::777483"},  # H2020: with the funder DOI
            {"id": "312848"},  # FP7: the plain code
        ]
        r = await _create(c, grants=[{"id": "10.13039/501100000780::999999999"}])
        assert (r.status_code, r.json()) == (400, {"status": 400, "message": "Not a valid value."})
    async with client(tmp_path / "own", awards={"10.13039/501100000780::999999999"}) as c:
        r = await _create(c, grants=[{"id": "10.13039/501100000780::999999999"}])
        assert r.status_code == 201  # a configured award vocabulary


@pytest.mark.parametrize(
    "metadata",
    [
        {"locations": [{"lat": 50.9, "lon": 4.3}]},
        {"related_identifiers": [{"identifier": "https://x.org/a"}]},
        {"related_identifiers": [{"relation": "cites"}]},
        {"dates": [{"start": "1890"}]},
        {"grants": [{"code": "777483"}]},
    ],
    ids=["place", "relation", "identifier", "date type", "grant id"],
)
async def test_malformed_legacy_input_is_a_500_as_on_zenodo(tmp_path, metadata):
    async with client(tmp_path) as c:
        r = await _create(c, **metadata)
        assert r.status_code == 500
        assert r.json()["message"] == "Internal server error."
        assert r.json()["error_id"]
        assert c.app.state.store.count_records() == 0


async def test_related_identifier_scheme_is_detected_and_normalised(tmp_path):
    related = [
        {"identifier": "https://doi.org/10.1234/ABC", "relation": "cites", "scheme": "url"},
        {"identifier": "urn:lsid:ipni.org:names:30000-1", "relation": "isDerivedFrom"},
        {"identifier": "https://www.botanicalcollections.be/specimen/BR1", "relation": "cites"},
    ]
    async with client(tmp_path) as c:
        dep = (await _create(c, related_identifiers=related)).json()
        got = [(r["identifier"], r["scheme"]) for r in dep["metadata"]["related_identifiers"]]
        assert got == [
            ("10.1234/ABC", "doi"),  # the sent scheme is ignored
            ("urn:lsid:ipni.org:names:30000-1", "lsid"),
            ("https://www.botanicalcollections.be/specimen/BR1", "url"),
        ]
        r = await _create(c, related_identifiers=[{"identifier": "BR0000013", "relation": "cites"}])
        assert r.status_code == 400
        assert r.json()["errors"] == [
            {
                "field": "metadata.related_identifiers.0.scheme",
                "messages": ["No valid scheme recognized for identifier."],
            }
        ]


async def test_orcid_check_digit_is_validated_at_publish(tmp_path):
    bad = "0000-0002-1825-0098"  # the last digit is wrong (0097 is right)
    async with client(tmp_path) as c:
        dep = (await _create(c, creators=[{"name": "Doe, Jane", "orcid": bad}])).json()
        await upload(c, dep, "a.jpg", b"x")
        r = await c.post(f"{DEP}/{dep['id']}/actions/publish", headers=ALICE)
        assert r.status_code == 400
        assert {
            "field": "metadata.creators.0.person_or_org.identifiers.0.identifier",
            "messages": ["Invalid ORCID identifier."],
        } in r.json()["errors"]
        good = (await _create(c, creators=[{"name": "Doe, J", "orcid": bad[:-1] + "7"}])).json()
        await upload(c, good, "a.jpg", b"x")
        r = await c.post(f"{DEP}/{good['id']}/actions/publish", headers=ALICE)
        assert r.status_code == 202
        assert r.json()["metadata"]["creators"][0]["orcid"] == "0000-0002-1825-0097"


async def test_custom_fields_trimmed_numbers_lenient_lists_keep_valid_items(tmp_path):
    custom = {
        "dwc:catalogNumber": [" BR9 "],
        "dwc:decimalLatitude": ["50.93", "north", 51],
        "ac:digitizationDate": ["2024-11-05T14:03:00Z", "2024-11", "yesterday"],
        "dwc:eventDate": ["1890-05-01T10:00:00"],
    }
    async with client(tmp_path) as c:
        r = await c.post("/api/records", json={**NATIVE, "custom_fields": custom}, headers=ALICE)
        body = r.json()
        assert body["custom_fields"] == {
            "dwc:catalogNumber": ["BR9"],
            "dwc:decimalLatitude": [50.93, 51.0],
            "ac:digitizationDate": ["2024-11-05T14:03:00Z", "2024-11"],
        }
        fields = {e["field"] for e in body["errors"]}
        assert fields == {
            "custom_fields.dwc:decimalLatitude.1",
            "custom_fields.ac:digitizationDate.2",
            "custom_fields.dwc:eventDate.0",  # full ISO dates only
        }
        refresh(c)
        q = 'custom_fields.dwc\\:catalogNumber:"BR9"'  # the trimmed marker is what matches
        hits = (await c.get("/api/user/records", params={"q": q}, headers=ALICE)).json()
        assert hits["hits"]["total"] == 1


async def test_legacy_sort_options_and_page_size(tmp_path):
    async with client(tmp_path) as c:
        ids = []
        for date in ("2001-01-01", "2003-01-01", "2002-01-01"):
            ids.append((await _create(c, publication_date=date)).json()["id"])
        for _ in range(24):
            await _create(c)
        refresh(c)

        async def listed(**params):
            r = await c.get(
                DEP, params={"q": "publication_date:[2000 TO 2004]", **params}, headers=ALICE
            )
            assert r.status_code == 200, r.text
            return [d["id"] for d in r.json()]

        assert await listed(sort="publication_date") == [ids[1], ids[2], ids[0]]  # newest first
        assert await listed(sort="-publication_date") == [ids[0], ids[2], ids[1]]
        for option in ("-bestmatch", "-version", "journal", "mostrecent", "-mostrecent"):
            assert len(await listed(sort=option)) == 3
        assert len((await c.get(DEP, headers=ALICE)).json()) == 25  # the default page size
        r = await c.get(DEP, params={"size": 101}, headers=ALICE)
        assert (r.status_code, r.json()["message"]) == (
            400,
            "Page size cannot be greater than 100.",
        )


async def test_thesis_custom_field(tmp_path):
    async with client(tmp_path) as c:
        dep = (await _create(c, thesis_university="Université de Liège")).json()
        native = (await c.get(f"/api/records/{dep['id']}/draft", headers=ALICE)).json()
        assert native["custom_fields"]["thesis:thesis"] == {"university": "Université de Liège"}
        assert dep["metadata"]["thesis_university"] == "Université de Liège"


@pytest.mark.parametrize("access_right", ["restricted", "closed"])
async def test_restricted_and_closed_records_get_no_default_licence(tmp_path, access_right):
    async with client(tmp_path) as c:
        md = {k: v for k, v in LEGACY_MD.items() if k != "license"}
        dep = (
            await c.post(
                DEP, json={"metadata": {**md, "access_right": access_right}}, headers=ALICE
            )
        ).json()
        assert "license" not in dep["metadata"]
        native = (await c.get(f"/api/records/{dep['id']}/draft", headers=ALICE)).json()
        assert "rights" not in native["metadata"]
        open_dep = (await c.post(DEP, json={"metadata": md}, headers=ALICE)).json()
        assert open_dep["metadata"]["license"] == "cc-by-4.0"


@pytest.mark.parametrize(
    "accept", [None, "application/json", "*/*", "application/vnd.zenodo.v1+json"]
)
async def test_records_answer_the_zenodo_v1_json_to_plain_json(tmp_path, accept):
    async with client(tmp_path) as c:
        pub = await legacy_published(c, {**LEGACY_MD, "version": "1.0"})
        headers = {} if accept is None else {"Accept": accept}
        if accept is None:
            c.headers.pop("Accept")
        r = await c.get(f"/api/records/{pub['id']}", headers=headers)
        body = r.json()
        assert body["conceptrecid"] == pub["conceptrecid"]
        assert body["recid"] == str(pub["id"])
        assert body["metadata"]["version"] == "1.0"
        assert body["metadata"]["resource_type"]["type"] == "image"
        assert body["status"] == "published"
        (f,) = body["files"]
        assert (f["key"], f["size"], f["checksum"]) == (
            "sheet.jpg",
            10,
            "md5:" + pub["files"][0]["checksum"],
        )
        assert f["links"]["self"].endswith(f"/api/records/{pub['id']}/files/sheet.jpg/content")
        assert (await c.get(path(f["links"]["self"]))).content == b"jpeg bytes"
        r = await c.get(f"/api/records/{pub['id']}", headers={"Accept": NATIVE_JSON})
        assert r.json()["files"]["entries"]["sheet.jpg"]["key"] == "sheet.jpg"  # native shape
        r = await c.get(f"/api/records/{pub['id']}", headers={"Accept": "text/html"})
        assert r.status_code == 406


async def test_api_me_tells_whose_token_it_is(tmp_path):
    async with client(tmp_path) as c:
        r = await c.get("/api/me", headers=ALICE)
        assert (r.status_code, r.json()["username"]) == (200, "alice")
        assert (await c.get("/api/me")).status_code == 403
        r = await c.get("/api/me", headers={"Authorization": "Bearer nope"})
        assert r.status_code == 401


async def test_versions_latest_and_a_concept_id_redirect_to_the_latest_version(tmp_path):
    async with client(tmp_path) as c:
        rid = (await native_draft(c))["id"]
        await native_file(c, rid, "a.jpg", b"1")
        await c.post(f"/api/records/{rid}/draft/actions/publish", headers=ALICE)
        concept = (await c.get(f"/api/records/{rid}")).json()["parent"]["id"]
        new = (await c.post(f"/api/records/{rid}/versions", headers=ALICE)).json()["id"]
        await c.post(f"/api/records/{new}/draft/actions/files-import", headers=ALICE)
        draft = (await c.get(f"/api/records/{new}/draft", headers=ALICE)).json()
        draft["metadata"]["publication_date"] = "2026-01-01"
        await c.put(f"/api/records/{new}/draft", json=draft, headers=ALICE)
        assert (
            await c.post(f"/api/records/{new}/draft/actions/publish", headers=ALICE)
        ).status_code == 202
        for url in (
            f"/api/records/{rid}/versions/latest",
            f"/api/records/{concept}",
            f"/api/records/{concept}/versions/latest",
        ):
            r = await c.get(url)
            assert r.status_code == 302, url
            assert r.headers["location"] == f"http://sandbox.test/api/records/{new}"


async def test_new_drafts_show_in_search_only_after_an_index_refresh(tmp_path):
    async with client(tmp_path) as c:  # the default index lag: 1 s, as on Zenodo
        dep = await legacy_draft(c)
        assert (await c.get(DEP, headers=ALICE)).json() == []
        refresh(c)
        assert [d["id"] for d in (await c.get(DEP, headers=ALICE)).json()] == [dep["id"]]


async def test_search_is_analysed_full_text(tmp_path):
    async with client(tmp_path) as c:
        dep = (await _create(c, title="Quercus robur L. — herbarium sheet BR0000013")).json()
        refresh(c)

        async def found(q: str) -> bool:
            r = await c.get(DEP, params={"q": q}, headers=ALICE)
            assert r.status_code == 200, r.text
            return [d["id"] for d in r.json()] == [dep["id"]]

        assert await found('title:"robur"')
        assert await found('title:"quercus robur"')  # a phrase: adjacent words
        assert await found("title:herb*")  # a prefix of a word
        assert await found("QUERCUS")  # free text, any case
        assert not await found('title:"robur quercus"')  # words out of order
        assert not await found("title:erbari")  # not a substring match
        assert not await found('title:"BR00000"')
        # a publish re-indexes the same words; a change of title replaces them
        await upload(c, dep, "a.jpg", b"x")
        await c.post(f"{DEP}/{dep['id']}/actions/publish", headers=ALICE)
        refresh(c)
        assert await found('title:"quercus robur"')
        await c.post(f"{DEP}/{dep['id']}/actions/edit", headers=ALICE)
        await c.put(
            f"{DEP}/{dep['id']}",
            json={"metadata": {**LEGACY_MD, "title": "Fagus sylvatica"}},
            headers=ALICE,
        )
        refresh(c)
        assert await found("title:fagus")  # the edit draft
        r = await c.get("/api/records", params={"q": "title:quercus"})
        assert r.json()["hits"]["total"] == 1  # the published version keeps its words


def test_the_licence_vocabulary_is_spdx_sized():
    assert len(vocab.LICENSES) > 445  # Zenodo's: an older SPDX snapshot plus other-*
    assert {"cc-by-4.0", "cc0-1.0", "mit", "gpl-3.0-or-later", "other-open"} <= vocab.LICENSES
    assert "cc-by" not in vocab.LICENSES  # a legacy alias, not an id
