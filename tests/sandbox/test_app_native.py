"""InvenioRDM native API of the sandbox app: rows of zenodo-api.md §2.2 and §2.3."""

from __future__ import annotations

import hashlib

import pytest
from _app_client import ALICE, BOB, HERB, NATIVE, client, native_draft, native_file, refresh

pytestmark = pytest.mark.anyio

OCTET = {**ALICE, "Content-Type": "application/octet-stream"}


async def test_create_201_lenient_with_errors_and_numeric_string_ids(tmp_path):
    async with client(tmp_path) as c:
        body = {
            **NATIVE,
            "metadata": {**NATIVE["metadata"], "title": "ab"},
            "custom_fields": {
                "dwc:catalogNumber": ["BR1"],
                "dwc:eventDate": ["1890"],
                "dwc:recordNumber": ["12"],
                "dwc:decimalLatitude": ["50.9"],
            },
        }
        r = await c.post("/api/records", json=body, headers=ALICE)
        assert r.status_code == 201
        d = r.json()
        assert d["id"].isdigit()
        assert int(d["parent"]["id"]) == int(d["id"]) - 1
        assert d["is_published"] is False
        assert d["is_draft"] is True
        assert d["parent"]["access"]["owned_by"]["user"] == 1
        assert d["versions"]["index"] == 1
        fields = {e["field"] for e in d["errors"]}
        assert "metadata.title" in fields
        assert "custom_fields.dwc:recordNumber" in fields
        assert "custom_fields.dwc:eventDate.0" in fields
        assert "custom_fields.dwc:decimalLatitude.0" not in fields  # "50.9" is a number
        assert d["custom_fields"] == {"dwc:catalogNumber": ["BR1"], "dwc:decimalLatitude": [50.9]}
        assert r.headers["etag"] == f'"{d["revision_id"]}"'
        assert d["links"]["self"].endswith(f"/api/records/{d['id']}/draft")
        assert d["links"]["publish"].endswith("/draft/actions/publish")


async def test_vnd_accept_header_and_406(tmp_path):
    async with client(tmp_path) as c:
        r = await c.post("/api/records", json=NATIVE, headers=ALICE)
        assert r.status_code == 201
        assert r.json()["metadata"]["resource_type"] == {"id": "image-photo"}
        for accept in ("application/json", "application/vnd.zenodo.v1+json", "*/*"):  # §7
            r = await c.post("/api/records", json=NATIVE, headers={**ALICE, "Accept": accept})
            assert r.status_code == 201
            rt = r.json()["metadata"]["resource_type"]
            assert (rt["type"], rt["subtype"]) == ("image", "photo")
        r = await c.post("/api/records", json=NATIVE, headers={**ALICE, "Accept": "text/xml"})
        assert r.status_code == 406


async def test_read_update_if_match_and_delete_draft(tmp_path):
    async with client(tmp_path) as c:
        d = await native_draft(c)
        rid = d["id"]
        r = await c.get(f"/api/records/{rid}/draft", headers=ALICE)
        assert r.status_code == 200
        etag = r.headers["etag"]
        body = {**NATIVE, "metadata": {**NATIVE["metadata"], "title": "Changed title"}}
        r = await c.put(f"/api/records/{rid}/draft", json=body, headers={**ALICE, "If-Match": etag})
        assert r.status_code == 200
        assert r.json()["metadata"]["title"] == "Changed title"
        r = await c.put(f"/api/records/{rid}/draft", json=body, headers={**ALICE, "If-Match": etag})
        assert r.status_code == 412
        assert (await c.get(f"/api/records/{rid}/draft", headers=BOB)).status_code == 403
        assert (await c.delete(f"/api/records/{rid}/draft", headers=ALICE)).status_code == 204
        assert (await c.delete(f"/api/records/{rid}/draft", headers=ALICE)).status_code == 404
        assert (await c.get(f"/api/records/{rid}/draft", headers=ALICE)).status_code == 404


async def test_files_init_content_commit_states_and_errors(tmp_path):
    async with client(tmp_path) as c:
        rid = (await native_draft(c))["id"]
        files = f"/api/records/{rid}/draft/files"
        r = await c.post(files, json=[{"key": "a.tif"}, {"key": "dir/b.tif"}], headers=ALICE)
        assert r.status_code == 201
        entries = {e["key"]: e for e in r.json()["entries"]}
        assert entries["a.tif"]["status"] == "pending"
        assert entries["a.tif"]["links"]["content"].endswith("/draft/files/a.tif/content")
        r = await c.post(files, json=[{"key": "a.tif"}], headers=ALICE)
        assert r.status_code == 400
        assert r.json()["message"] == "File with key a.tif already exists."
        r = await c.put(
            f"{files}/a.tif/content", content=b"x", headers={**ALICE, "Content-Type": "text/plain"}
        )
        assert r.status_code == 415
        r = await c.put(f"{files}/a.tif/content", content=b"first", headers=OCTET)
        assert r.status_code == 200
        assert r.json()["status"] == "pending"
        r = await c.put(f"{files}/a.tif/content", content=b"second", headers=OCTET)
        assert r.status_code == 200
        r = await c.post(f"{files}/a.tif/commit", headers=ALICE)
        assert r.status_code == 200
        e = r.json()
        assert e["status"] == "completed"
        assert e["checksum"] == "md5:" + hashlib.md5(b"second").hexdigest()
        assert e["size"] == 6
        r = await c.put(f"{files}/a.tif/content", content=b"third", headers=OCTET)
        assert r.status_code == 400
        assert r.json()["message"] == 'File with key "a.tif" is already committed.'
        r = await c.get(f"{files}/a.tif/content", headers=ALICE)
        assert r.content == b"second"
        assert r.headers["etag"] == f'"{e["checksum"]}"'
        # publish refuses the pending file
        r = await c.post(f"/api/records/{rid}/draft/actions/publish", headers=ALICE)
        assert r.status_code == 400
        assert "have not completed" in r.text
        # zero bytes cannot be committed
        await c.put(f"{files}/dir/b.tif/content", content=b"", headers=OCTET)
        r = await c.post(f"{files}/dir/b.tif/commit", headers=ALICE)
        assert r.status_code == 400
        assert r.json()["message"] == "Empty files are not accepted."
        assert (await c.get(f"{files}/dir/b.tif", headers=ALICE)).json()["status"] == "pending"
        assert (await c.delete(f"{files}/dir/b.tif", headers=ALICE)).status_code == 204
        r = await c.get(files, headers=ALICE)
        assert [e["key"] for e in r.json()["entries"]] == ["a.tif"]
        assert (await c.get(f"{files}/missing", headers=ALICE)).status_code == 404
        r = await c.post(f"/api/records/{rid}/draft/actions/publish", headers=ALICE)
        assert r.status_code == 202
        pub = r.json()
        assert pub["is_published"] is True
        assert pub["is_draft"] is False
        assert pub["pids"]["doi"]["identifier"] == f"10.5072/zenodo.{rid}"
        assert pub["parent"]["pids"]["doi"]["identifier"] == f"10.5072/zenodo.{pub['parent']['id']}"
        assert pub["files"]["count"] == 1
        r = await c.post(f"/api/records/{rid}/draft/actions/publish", headers=ALICE)
        assert r.status_code == 404


async def test_delete_all_files(tmp_path):
    async with client(tmp_path) as c:
        rid = (await native_draft(c))["id"]
        await native_file(c, rid, "a.jpg", b"1")
        await native_file(c, rid, "b.jpg", b"2")
        assert (await c.delete(f"/api/records/{rid}/draft/files", headers=ALICE)).status_code == 204
        r = await c.get(f"/api/records/{rid}/draft/files", headers=ALICE)
        assert r.json()["entries"] == []


async def test_publish_strict_validation_paths(tmp_path):
    async with client(tmp_path) as c:
        body = {
            "metadata": {
                "title": "A proper title",
                "creators": [{"person_or_org": {"type": "personal", "given_name": "Jane"}}],
                "publication_date": "not a date",
            }
        }
        rid = (await native_draft(c, body))["id"]
        r = await c.post(f"/api/records/{rid}/draft/actions/publish", headers=ALICE)
        assert r.status_code == 400
        fields = {e["field"] for e in r.json()["errors"]}
        assert fields == {
            "metadata.resource_type",
            "metadata.publication_date",
            "metadata.creators.0.person_or_org.family_name",
            "files.enabled",
        }


async def test_published_record_read_versions_and_public_files(tmp_path):
    async with client(tmp_path) as c:
        rid = (await native_draft(c))["id"]
        assert (await c.get(f"/api/records/{rid}")).status_code == 404  # never published
        await native_file(c, rid, "a.jpg", b"img")
        await c.post(f"/api/records/{rid}/draft/actions/publish", headers=ALICE)
        r = await c.get(f"/api/records/{rid}")  # public, no token
        assert r.status_code == 200
        assert r.json()["links"]["self"].endswith(f"/api/records/{rid}")
        r = await c.get(f"/api/records/{rid}/files")
        assert [e["key"] for e in r.json()["entries"]] == ["a.jpg"]
        assert (await c.get(f"/api/records/{rid}/files/a.jpg")).json()["size"] == 3
        assert (await c.get(f"/api/records/{rid}/files/a.jpg/content")).content == b"img"
        r = await c.get(f"/api/records/{rid}/versions")
        assert r.json()["hits"]["total"] == 1
        r = await c.get(f"/api/records/{rid}/versions/latest")
        assert r.status_code == 302  # a redirect to the latest version (§7)
        assert r.headers["location"].endswith(f"/api/records/{rid}")


async def test_edit_idempotent_files_locked_and_new_version_without_files(tmp_path):
    async with client(tmp_path) as c:
        body = {**NATIVE, "metadata": {**NATIVE["metadata"], "version": "v1"}}
        rid = (await native_draft(c, body))["id"]
        await native_file(c, rid, "a.jpg", b"img")
        await c.post(f"/api/records/{rid}/draft/actions/publish", headers=ALICE)
        r1 = await c.post(f"/api/records/{rid}/draft", headers=ALICE)
        r2 = await c.post(f"/api/records/{rid}/draft", headers=ALICE)
        assert r1.status_code == r2.status_code == 201
        assert r1.json()["is_published"] is True
        assert r1.json()["is_draft"] is True
        r = await c.post(f"/api/records/{rid}/draft/files", json=[{"key": "b"}], headers=ALICE)
        assert r.status_code == 403
        assert (await c.delete(f"/api/records/{rid}/draft", headers=ALICE)).status_code == 204
        assert (await c.get(f"/api/records/{rid}")).status_code == 200
        r = await c.post(f"/api/records/{rid}/versions", headers=ALICE)
        assert r.status_code == 201
        new = r.json()
        assert new["id"] != rid
        assert new["versions"]["index"] == 2
        assert "publication_date" not in new["metadata"]
        assert "version" not in new["metadata"]
        assert new["files"]["entries"] == {}
        again = await c.post(f"/api/records/{rid}/versions", headers=ALICE)
        assert again.json()["id"] == new["id"]
        r = await c.post(f"/api/records/{new['id']}/draft/actions/files-import", headers=ALICE)
        assert r.status_code == 201
        assert [e["key"] for e in r.json()["entries"]] == ["a.jpg"]
        assert r.json()["entries"][0]["status"] == "completed"
        body = {**NATIVE, "metadata": {**NATIVE["metadata"], "version": "v2"}}
        await c.put(f"/api/records/{new['id']}/draft", json=body, headers=ALICE)
        r = await c.post(f"/api/records/{new['id']}/draft/actions/publish", headers=ALICE)
        assert r.status_code == 202
        r = await c.get(f"/api/records/{rid}/versions")
        assert r.json()["hits"]["total"] == 2
        assert (await c.get(f"/api/records/{rid}")).json()["versions"]["is_latest"] is False
        # versions of a never-published draft
        d = await native_draft(c)
        assert (await c.post(f"/api/records/{d['id']}/versions", headers=ALICE)).status_code == 404


async def test_reserve_doi(tmp_path):
    async with client(tmp_path) as c:
        rid = (await native_draft(c))["id"]
        r = await c.post(f"/api/records/{rid}/draft/pids/doi", headers=ALICE)
        assert r.status_code == 201
        assert r.json()["pids"]["doi"]["identifier"] == f"10.5072/zenodo.{rid}"
        r = await c.post(f"/api/records/{rid}/draft/pids/doi", headers=ALICE)
        assert r.status_code == 400
        assert r.json()["errors"][0]["field"] == "pids.doi"


async def test_user_records_list_and_public_search_shapes(tmp_path):
    async with client(tmp_path) as c:
        draft = await native_draft(c)
        pub = await native_draft(c)
        await native_file(c, pub["id"], "a.jpg", b"1")
        await c.post(f"/api/records/{pub['id']}/draft/actions/publish", headers=ALICE)
        refresh(c)
        r = await c.get("/api/user/records", headers=ALICE)
        assert r.status_code == 200
        assert r.json()["hits"]["total"] == 2
        assert {h["id"] for h in r.json()["hits"]["hits"]} == {draft["id"], pub["id"]}
        assert (await c.get("/api/user/records", headers=BOB)).json()["hits"]["total"] == 0
        assert (await c.get("/api/user/records")).status_code == 403
        r = await c.get("/api/records")
        assert [h["id"] for h in r.json()["hits"]["hits"]] == [pub["id"]]


async def test_communities_endpoint(tmp_path):
    async with client(tmp_path) as c:
        r = await c.get(f"/api/communities/{HERB.slug}")
        assert r.status_code == 200
        assert r.json()["id"] == HERB.id
        assert r.json()["slug"] == HERB.slug
        assert (await c.get(f"/api/communities/{HERB.id}")).json()["slug"] == HERB.slug
        assert (await c.get("/api/communities/nope")).status_code == 404


async def test_add_published_record_to_communities(tmp_path):
    from _app_client import OTHER

    async with client(tmp_path) as c:
        rid = (await native_draft(c))["id"]
        await native_file(c, rid, "a.jpg", b"1")
        await c.post(f"/api/records/{rid}/draft/actions/publish", headers=ALICE)
        url = f"/api/records/{rid}/communities"
        assert (await c.get(url)).json()["hits"]["total"] == 0
        body = {"communities": [{"id": HERB.slug}, {"id": OTHER.id}, {"id": "nope"}]}
        r = await c.post(url, json=body, headers=ALICE)
        assert r.status_code == 200
        processed = {p["community_id"]: p for p in r.json()["processed"]}
        assert processed[HERB.id]["status"] == "accepted"  # alice owns it
        assert processed[OTHER.id]["request_id"]  # pending review
        assert r.json()["errors"] == [{"community": "nope", "message": "Community not found."}]
        r = await c.post(
            url, json={"communities": [{"id": HERB.id}, {"id": OTHER.id}]}, headers=ALICE
        )
        assert r.status_code == 400
        messages = {e["community"]: e["message"] for e in r.json()["errors"]}
        assert messages[HERB.id] == "Community already included."
        assert "open inclusion request" in messages[OTHER.id]
        assert [h["slug"] for h in (await c.get(url)).json()["hits"]["hits"]] == [HERB.slug]
        assert (await c.post(url, json=body, headers=BOB)).status_code == 403
        q = f"communities:{HERB.slug}"
        refresh(c)
        assert [
            h["id"] for h in (await c.get("/api/records", params={"q": q})).json()["hits"]["hits"]
        ] == [rid]


async def _publishable_draft(c) -> str:
    rid = (await native_draft(c))["id"]
    await native_file(c, rid, "a.jpg", b"1")
    return rid


async def test_review_submission_auto_accepted_for_a_community_owner(tmp_path):
    async with client(tmp_path) as c:
        rid = await _publishable_draft(c)
        review = {"receiver": {"community": HERB.slug}, "type": "community-submission"}
        r = await c.put(f"/api/records/{rid}/draft/review", json=review, headers=ALICE)
        assert r.status_code == 200
        assert r.json()["receiver"] == {"community": HERB.id}
        assert r.json()["status"] == "created"
        r = await c.get(f"/api/records/{rid}/draft", headers=ALICE)
        assert r.json()["parent"]["review"]["status"] == "created"
        r = await c.post(f"/api/records/{rid}/draft/actions/submit-review", json={}, headers=ALICE)
        assert r.status_code == 202
        assert r.json()["status"] == "accepted"
        rec = (await c.get(f"/api/records/{rid}")).json()
        assert rec["is_published"] is True
        assert rec["parent"]["communities"]["ids"] == [HERB.id]
        assert "review" not in rec["parent"]
        r = await c.get(f"/api/requests/{r.json()['id']}", headers=ALICE)
        assert r.json()["status"] == "accepted"


async def test_review_waits_for_a_curator_then_accept_or_decline(tmp_path):
    from _app_client import OTHER

    async with client(tmp_path, tokens={"alice-token": "alice", "carol-token": "carol"}) as c:
        carol = {"Authorization": "Bearer carol-token"}
        rid = await _publishable_draft(c)
        review = {"receiver": {"community": OTHER.id}, "type": "community-submission"}
        assert (
            await c.put(f"/api/records/{rid}/draft/review", json=review, headers=ALICE)
        ).status_code == 200
        r = await c.post(f"/api/records/{rid}/draft/actions/submit-review", headers=ALICE)
        assert r.status_code == 202
        req = r.json()
        assert req["status"] == "submitted"
        assert (await c.get(f"/api/records/{rid}")).status_code == 404  # not published yet
        r = await c.post(f"/api/records/{rid}/draft/actions/publish", headers=ALICE)
        assert r.status_code == 400  # locked while under review
        accept = f"/api/requests/{req['id']}/actions/accept"
        assert (await c.post(accept, headers=ALICE)).status_code == 403  # not a curator
        r = await c.post(accept, headers=carol)
        assert r.status_code == 200
        assert r.json()["status"] == "accepted"
        rec = (await c.get(f"/api/records/{rid}")).json()
        assert rec["parent"]["communities"]["ids"] == [OTHER.id]
        assert (await c.post(accept, headers=carol)).status_code == 400  # closed
        # a second draft is declined and stays a draft
        rid2 = await _publishable_draft(c)
        await c.put(f"/api/records/{rid2}/draft/review", json=review, headers=ALICE)
        req2 = (
            await c.post(f"/api/records/{rid2}/draft/actions/submit-review", headers=ALICE)
        ).json()
        r = await c.post(f"/api/requests/{req2['id']}/actions/decline", headers=carol)
        assert r.json()["status"] == "declined"
        assert (await c.get(f"/api/records/{rid2}")).status_code == 404
        r = await c.post(f"/api/records/{rid2}/draft/actions/publish", headers=ALICE)
        assert r.status_code == 202
        assert r.json()["parent"]["communities"]["ids"] == []


async def test_review_errors(tmp_path):
    async with client(tmp_path) as c:
        rid = (await native_draft(c))["id"]
        url = f"/api/records/{rid}/draft/review"
        assert (await c.get(url, headers=ALICE)).status_code == 404
        bad = {"receiver": {"community": "nope"}, "type": "community-submission"}
        assert (await c.put(url, json=bad, headers=ALICE)).status_code == 400
        bad = {"receiver": {"community": HERB.id}, "type": "other"}
        assert (await c.put(url, json=bad, headers=ALICE)).status_code == 400
        ok = {"receiver": {"community": HERB.id}, "type": "community-submission"}
        assert (await c.put(url, json=ok, headers=ALICE)).status_code == 200
        r = await c.post(f"/api/records/{rid}/draft/actions/submit-review", headers=ALICE)
        assert r.status_code == 400  # not publishable: no files
        assert (await c.delete(url, headers=ALICE)).status_code == 204
        assert (await c.get(url, headers=ALICE)).status_code == 404
        r = await c.post(f"/api/records/{rid}/draft/actions/submit-review", headers=ALICE)
        assert r.status_code == 400
        assert (await c.post("/api/requests/nope/actions/accept", headers=ALICE)).status_code == 404
