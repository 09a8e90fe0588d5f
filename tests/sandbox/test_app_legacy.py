"""Legacy deposition API of the sandbox app: every row of zenodo-api.md §1.2."""

from __future__ import annotations

import hashlib

import pytest
from _app_client import ALICE, BOB, client, legacy_draft, legacy_published, path, refresh, upload

pytestmark = pytest.mark.anyio

DEP = "/api/deposit/depositions"


async def test_create_returns_new_draft_each_time_with_ids_and_links(tmp_path):
    async with client(tmp_path) as c:
        a = await legacy_draft(c)
        b = await legacy_draft(c)
        assert a["id"] != b["id"]
        assert isinstance(a["id"], int)
        assert a["record_id"] == a["id"]
        assert isinstance(a["conceptrecid"], str)
        assert int(a["conceptrecid"]) < a["id"]  # parent allocated first
        assert a["state"] == "unsubmitted"
        assert a["submitted"] is False
        assert a["files"] == []
        assert "doi" not in a
        assert a["metadata"]["prereserve_doi"] == {
            "doi": f"10.5281/zenodo.{a['id']}",
            "recid": a["id"],
        }
        assert a["created"].endswith("+00:00")
        links = a["links"]
        assert links["self"].endswith(f"{DEP}/{a['id']}")
        assert links["bucket"].startswith("http://sandbox.test/api/files/")
        for action in ("publish", "edit", "discard", "newversion"):
            assert links[action].endswith(f"/actions/{action}")
        assert c.app.state.store.count_drafts("alice") == 2


async def test_create_with_empty_body_and_metadata_round_trip(tmp_path):
    async with client(tmp_path) as c:
        r = await c.post(DEP, headers=ALICE)
        assert r.status_code == 201
        assert r.json()["title"] == ""
        dep = await legacy_draft(c)
        md = dep["metadata"]
        assert md["title"] == "Herbarium specimen BR0000013"
        assert md["upload_type"] == "image"
        assert md["image_type"] == "photo"
        assert md["creators"] == [{"name": "Doe, Jane", "affiliation": "Meise"}]
        assert md["license"] == "cc-by-4.0"
        assert md["access_right"] == "open"
        assert md["custom"]["dwc:catalogNumber"] == ["BR0000013"]
        assert md["related_identifiers"][0]["relation"] == "isDerivedFrom"
        assert md["related_identifiers"][0]["scheme"] == "url"
        assert len(md["publication_date"]) == 10  # defaults to today


async def test_unknown_top_level_key_400_unknown_metadata_key_dropped(tmp_path):
    async with client(tmp_path) as c:
        r = await c.post(DEP, json={"metadata": {}, "foo": 1}, headers=ALICE)
        assert r.status_code == 400
        assert r.json()["errors"][0]["field"] == "foo"
        r = await c.post(DEP, json={"metadata": {"title": "abc", "nonsense": 1}}, headers=ALICE)
        assert r.status_code == 201
        assert "nonsense" not in r.json()["metadata"]


async def test_retrieve_update_and_fall_back_to_published(tmp_path):
    async with client(tmp_path) as c:
        dep = await legacy_draft(c)
        r = await c.get(f"{DEP}/{dep['id']}", headers=ALICE)
        assert r.status_code == 200
        assert r.json()["links"]["bucket"] == dep["links"]["bucket"]
        r = await c.put(f"{DEP}/{dep['id']}", json={"metadata": {"title": "New"}}, headers=ALICE)
        assert r.status_code == 200
        md = r.json()["metadata"]
        assert md["title"] == "New"
        assert "creators" not in md  # full replace
        pub = await legacy_published(c)
        r = await c.get(f"{DEP}/{pub['id']}", headers=ALICE)
        assert r.status_code == 200
        assert r.json()["state"] == "done"
        r = await c.put(f"{DEP}/{pub['id']}", json={"metadata": {"title": "x"}}, headers=ALICE)
        assert r.status_code == 404
        assert (await c.get(f"{DEP}/999999", headers=ALICE)).status_code == 404
        assert (await c.get(f"{DEP}/abc", headers=ALICE)).status_code == 404


async def test_delete_204_then_404_and_published_404(tmp_path):
    async with client(tmp_path) as c:
        dep = await legacy_draft(c)
        await upload(c, dep, "a.jpg", b"abc")
        r = await c.delete(f"{DEP}/{dep['id']}", headers=ALICE)
        assert r.status_code == 204
        assert r.content == b""
        assert (await c.delete(f"{DEP}/{dep['id']}", headers=ALICE)).status_code == 404
        assert (await c.get(f"{DEP}/{dep['id']}", headers=ALICE)).status_code == 404
        pub = await legacy_published(c)
        assert (await c.delete(f"{DEP}/{pub['id']}", headers=ALICE)).status_code == 404
        # the deleted draft's file content is gone; only the published record's remains
        blobs = [p for p in (tmp_path / "sandbox" / "files").rglob("*") if p.is_file()]
        assert [p.read_bytes() for p in blobs] == [b"jpeg bytes"]


async def test_other_users_drafts_are_forbidden(tmp_path):
    async with client(tmp_path) as c:
        dep = await legacy_draft(c)
        assert (await c.get(f"{DEP}/{dep['id']}", headers=BOB)).status_code == 403
        assert (await c.delete(f"{DEP}/{dep['id']}", headers=BOB)).status_code == 403
        assert (await upload(c, dep, "x.jpg", b"1", headers=BOB)).status_code == 403
        r = await c.get(DEP, headers=BOB)
        assert r.json() == []


async def test_files_list_get_delete_and_sort_rename_405(tmp_path):
    async with client(tmp_path) as c:
        dep = await legacy_draft(c)
        data = b"some image bytes"
        await upload(c, dep, "a.jpg", data)
        r = await c.get(f"{DEP}/{dep['id']}/files", headers=ALICE)
        assert r.status_code == 200
        (f,) = r.json()
        assert f["filename"] == "a.jpg"
        assert f["filesize"] == len(data)
        assert f["checksum"] == hashlib.md5(data).hexdigest()  # no md5: prefix
        r = await c.get(f"{DEP}/{dep['id']}/files/{f['id']}", headers=ALICE)
        assert r.status_code == 200
        assert r.json()["id"] == f["id"]
        assert (await c.get(f"{DEP}/{dep['id']}/files/nope", headers=ALICE)).status_code == 404
        r = await c.put(f"{DEP}/{dep['id']}/files", json=[{"id": f["id"]}], headers=ALICE)
        assert r.status_code == 405
        assert r.json()["status"] == 405
        r = await c.put(f"{DEP}/{dep['id']}/files/{f['id']}", json={"name": "b"}, headers=ALICE)
        assert r.status_code == 405
        r = await c.delete(f"{DEP}/{dep['id']}/files/{f['id']}", headers=ALICE)
        assert r.status_code == 204
        assert (await c.get(f"{DEP}/{dep['id']}/files", headers=ALICE)).json() == []


async def test_delete_file_on_published_is_403(tmp_path):
    async with client(tmp_path) as c:
        pub = await legacy_published(c)
        (f,) = (await c.get(f"{DEP}/{pub['id']}/files", headers=ALICE)).json()
        r = await c.delete(f"{DEP}/{pub['id']}/files/{f['id']}", headers=ALICE)
        assert r.status_code == 403


async def test_old_multipart_upload_secures_the_name(tmp_path):
    async with client(tmp_path) as c:
        dep = await legacy_draft(c)
        data = b"\x89PNG" + bytes(range(256)) * 40
        r = await c.post(
            f"{DEP}/{dep['id']}/files",
            data={"name": "my sheet é.png"},
            files={"file": ("ignored.png", data, "image/png")},
            headers=ALICE,
        )
        assert r.status_code == 201, r.text
        f = r.json()
        assert f["filename"] == "my_sheet_e.png"
        assert f["filesize"] == len(data)
        assert f["checksum"] == hashlib.md5(data).hexdigest()
        r = await c.post(
            f"{DEP}/{dep['id']}/files",
            files={"file": ("../../evil name.txt", b"abc", "text/plain")},
            headers=ALICE,
        )
        assert r.status_code == 201
        assert r.json()["filename"] == "evil_name.txt"
        pub = await legacy_published(c)
        r = await c.post(
            f"{DEP}/{pub['id']}/files", files={"file": ("a.txt", b"abc")}, headers=ALICE
        )
        assert r.status_code == 404


async def test_bucket_put_201_replace_and_list_get_delete(tmp_path):
    async with client(tmp_path) as c:
        dep = await legacy_draft(c)
        r = await upload(c, dep, "data.csv", b"a,b\n1,2\n")
        assert r.status_code == 201
        obj = r.json()
        assert obj["key"] == "data.csv"
        assert obj["mimetype"] == "text/csv"
        assert obj["checksum"] == "md5:" + hashlib.md5(b"a,b\n1,2\n").hexdigest()
        assert obj["size"] == 8
        assert obj["is_head"] is True
        r = await upload(c, dep, "data.csv", b"replaced")
        assert r.status_code == 201
        assert r.json()["size"] == 8
        files = (await c.get(f"{DEP}/{dep['id']}/files", headers=ALICE)).json()
        assert len(files) == 1
        assert files[0]["checksum"] == hashlib.md5(b"replaced").hexdigest()
        bucket = path(dep["links"]["bucket"])
        r = await c.get(bucket, headers=ALICE)  # listing a bucket crashes Zenodo (§7)
        assert r.status_code == 500
        assert r.json()["message"] == "Internal server error."
        assert len(r.json()["error_id"]) == 32
        r = await c.get(bucket + "/data.csv", headers=ALICE)
        assert r.content == b"replaced"
        assert (await c.delete(bucket + "/data.csv", headers=ALICE)).status_code == 204
        assert (await c.get(bucket + "/data.csv", headers=ALICE)).status_code == 404
        # no content type is fine, a wrong one is 415
        r = await c.put(bucket + "/x.bin", content=b"1", headers=ALICE)
        assert r.status_code == 201
        r = await c.put(
            bucket + "/y.bin", content=b"1", headers={**ALICE, "Content-Type": "image/jpeg"}
        )
        assert r.status_code == 415
        assert r.json()["message"] == (
            "Invalid 'Content-Type' header. Expected one of: application/octet-stream"
        )
        assert (await c.put("/api/files/nope/x", content=b"1", headers=ALICE)).status_code == 404


async def test_publish_202_then_404_with_dois(tmp_path):
    async with client(tmp_path) as c:
        dep = await legacy_draft(c)
        await upload(c, dep, "a.jpg", b"1")
        await upload(c, dep, "b.jpg", b"22")
        r = await c.post(path(dep["links"]["publish"]), headers=ALICE)
        assert r.status_code == 202
        pub = r.json()
        assert pub["state"] == "done"
        assert pub["submitted"] is True
        assert pub["doi"] == f"10.5072/zenodo.{pub['id']}"
        assert pub["conceptdoi"] == f"10.5072/zenodo.{pub['conceptrecid']}"
        assert pub["doi_url"] == f"https://doi.org/{pub['doi']}"
        assert pub["metadata"]["prereserve_doi"]["doi"] == f"10.5281/zenodo.{pub['id']}"
        assert sorted(f["filename"] for f in pub["files"]) == ["a.jpg", "b.jpg"]
        assert pub["links"]["self"].endswith(f"/api/records/{pub['id']}")
        assert pub["links"]["files"].endswith(f"/api/records/{pub['id']}/files")
        assert (await c.post(path(dep["links"]["publish"]), headers=ALICE)).status_code == 404
        r = await c.get(f"/api/records/{pub['id']}")
        assert r.status_code == 200
        assert r.json()["pids"]["doi"]["identifier"] == pub["doi"]


async def test_publish_with_production_prefix(tmp_path):
    async with client(tmp_path, doi_prefix="10.5281") as c:
        pub = await legacy_published(c)
        assert pub["doi"] == f"10.5281/zenodo.{pub['id']}"


async def test_edit_is_idempotent_and_discard_keeps_the_record(tmp_path):
    async with client(tmp_path) as c:
        pub = await legacy_published(c)
        edit = f"{DEP}/{pub['id']}/actions/edit"
        r1 = await c.post(edit, headers=ALICE)
        r2 = await c.post(edit, headers=ALICE)
        assert r1.status_code == r2.status_code == 201
        assert r1.json()["state"] == "inprogress"
        assert r1.json()["id"] == r2.json()["id"] == pub["id"]
        md = dict(pub["metadata"], title="Edited title")
        r = await c.put(f"{DEP}/{pub['id']}", json={"metadata": md}, headers=ALICE)
        assert r.status_code == 200
        # files are locked on an edit draft
        bucket = path(r.json()["links"]["bucket"])
        assert (await c.put(bucket + "/new.jpg", content=b"1", headers=ALICE)).status_code == 403
        r = await c.post(f"{DEP}/{pub['id']}/actions/discard", headers=ALICE)
        assert r.status_code == 204
        r = await c.get(f"{DEP}/{pub['id']}", headers=ALICE)
        assert r.json()["state"] == "done"
        assert r.json()["title"] == "Herbarium specimen BR0000013"
        # edit again and publish the change
        await c.post(edit, headers=ALICE)
        await c.put(f"{DEP}/{pub['id']}", json={"metadata": md}, headers=ALICE)
        r = await c.post(f"{DEP}/{pub['id']}/actions/publish", headers=ALICE)
        assert r.status_code == 202
        assert r.json()["title"] == "Edited title"
        assert r.json()["doi"] == pub["doi"]


async def test_discard_deletes_a_never_published_deposit(tmp_path):
    async with client(tmp_path) as c:
        dep = await legacy_draft(c)
        r = await c.post(f"{DEP}/{dep['id']}/actions/discard", headers=ALICE)
        assert r.status_code == 204
        assert (await c.get(f"{DEP}/{dep['id']}", headers=ALICE)).status_code == 404
        assert c.app.state.store.count_records("alice") == 0


async def test_newversion_returns_new_draft_with_files_and_is_idempotent(tmp_path):
    async with client(tmp_path) as c:
        md = {**_md(), "version": "1.0"}
        pub = await legacy_published(c, md)
        nv = f"{DEP}/{pub['id']}/actions/newversion"
        r = await c.post(nv, headers=ALICE)
        assert r.status_code == 201
        new = r.json()
        assert new["id"] != pub["id"]
        assert new["conceptrecid"] == pub["conceptrecid"]
        assert new["state"] == "unsubmitted"
        assert new["links"]["latest_draft"].endswith(f"{DEP}/{new['id']}")
        assert "version" not in new["metadata"]
        assert [f["filename"] for f in new["files"]] == ["sheet.jpg"]
        assert new["files"][0]["checksum"] == pub["files"][0]["checksum"]
        # not repeatable once the draft has files: ZRDM always imports them again (§7)
        r2 = await c.post(nv, headers=ALICE)
        assert r2.status_code == 400
        assert r2.json()["message"] == "Please remove all files first."
        assert c.app.state.store.count_drafts("alice") == 1  # no second draft either
        # with the files removed, the same draft comes back (and the files again)
        await c.delete(f"{DEP}/{new['id']}/files/{new['files'][0]['id']}", headers=ALICE)
        r2 = await c.post(nv, headers=ALICE)
        assert r2.status_code == 201
        assert r2.json()["id"] == new["id"]
        assert [f["filename"] for f in r2.json()["files"]] == ["sheet.jpg"]
        # replace the file in the new version; the old version keeps its file
        await upload(c, new, "sheet.jpg", b"version two")
        r = await c.put(
            f"{DEP}/{new['id']}", json={"metadata": {**md, "version": "2.0"}}, headers=ALICE
        )
        assert r.status_code == 200
        r = await c.post(f"{DEP}/{new['id']}/actions/publish", headers=ALICE)
        assert r.status_code == 202
        assert r.json()["doi"] == f"10.5072/zenodo.{new['id']}"
        old = await c.get(f"/api/records/{pub['id']}/files/sheet.jpg/content")
        assert old.content == b"jpeg bytes"
        latest = await c.get(f"/api/records/{pub['id']}/versions/latest")
        assert latest.headers["location"].endswith(f"/api/records/{new['id']}")
        # newversion on a never-published deposit
        dep = await legacy_draft(c)
        assert (
            await c.post(f"{DEP}/{dep['id']}/actions/newversion", headers=ALICE)
        ).status_code == 404


async def test_unknown_action_404(tmp_path):
    async with client(tmp_path) as c:
        dep = await legacy_draft(c)
        r = await c.post(f"{DEP}/{dep['id']}/actions/explode", headers=ALICE)
        assert r.status_code == 404


async def test_list_is_a_top_level_array_without_bucket_and_with_draft_files_empty(tmp_path):
    async with client(tmp_path) as c:
        dep = await legacy_draft(c)
        await upload(c, dep, "a.jpg", b"1")
        pub = await legacy_published(c)
        refresh(c)
        r = await c.get(DEP, headers=ALICE)
        assert r.status_code == 200
        items = r.json()
        assert isinstance(items, list)
        assert {i["id"] for i in items} == {dep["id"], pub["id"]}
        for item in items:
            assert "bucket" not in item["links"]
        by_id = {i["id"]: i for i in items}
        assert by_id[dep["id"]]["files"] == []
        assert [f["filename"] for f in by_id[pub["id"]]["files"]] == ["sheet.jpg"]
        assert (await c.get(DEP + "?size=101", headers=ALICE)).status_code == 400
        r = await c.get(DEP + "?size=1&page=2&sort=mostrecent", headers=ALICE)
        assert [i["id"] for i in r.json()] == [dep["id"]]


def _md() -> dict:
    from _app_client import LEGACY_MD

    return dict(LEGACY_MD)
