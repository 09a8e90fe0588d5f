"""HTTP behaviour of the sandbox app: auth, bad input, limits, files, landing page, restart."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from _app_client import (
    ALICE,
    BASE,
    LEGACY_MD,
    NATIVE_JSON,
    client,
    legacy_draft,
    legacy_published,
    make_config,
    path,
    upload,
)

from specpub.sandbox.app import create_app

pytestmark = pytest.mark.anyio
DEP = "/api/deposit/depositions"


async def test_no_token_403_unknown_token_401_query_token_works(tmp_path):
    async with client(tmp_path) as c:
        for method, url in (("GET", DEP), ("POST", DEP), ("GET", "/api/user/records")):
            r = await c.request(method, url)
            assert r.status_code == 403
            assert r.json()["status"] == 403
            r = await c.request(method, url, headers={"Authorization": "Bearer wrong"})
            assert r.status_code == 401
            assert r.json()["status"] == 401
        r = await c.post(DEP, params={"access_token": "alice-token"}, json={})
        assert r.status_code == 201
        assert "access_token" not in r.text
        r = await c.get(DEP, headers={"Authorization": "Basic abc"})
        assert r.status_code == 401


async def test_bad_json_bodies_are_json_400_413_415(tmp_path):
    async with client(tmp_path, max_json_body=1000) as c:
        h = {**ALICE, "Content-Type": "application/json"}
        r = await c.post(DEP, content=b"{not json", headers=h)
        assert r.status_code == 400
        assert r.json()["status"] == 400
        r = await c.post(DEP, content=b"\xff\xfe", headers=h)
        assert r.status_code == 400
        for bad in (b"NaN", b"Infinity", b"-Infinity", b"1e400"):
            body = b'{"metadata": {"locations": [{"lat": %s, "lon": 1, "place": "x"}]}}' % bad
            r = await c.post(DEP, content=body, headers=h)
            assert r.status_code == 400, bad
            body = b'{"metadata": {"rights": [{"id": "cc-by-4.0", "title": {"en": %s}}]}}' % bad
            r = await c.post("/api/records", content=body, headers=h)
            assert r.status_code == 400, bad
        r = await c.post(DEP, json={"metadata": ["a list"]}, headers=ALICE)
        assert r.status_code == 400
        assert r.json()["errors"][0]["field"] == "metadata"
        r = await c.post(DEP, json=[1, 2], headers=ALICE)
        assert r.status_code == 400
        r = await c.post("/api/records", json="string", headers=ALICE)
        assert r.status_code == 400
        r = await c.post(
            "/api/records", json={"metadata": {"title": 5, "creators": {}}}, headers=ALICE
        )
        assert r.status_code == 201
        assert {e["field"] for e in r.json()["errors"]} >= {"metadata.title", "metadata.creators"}
        r = await c.post(DEP, json={"metadata": {"title": "x" * 2000}}, headers=ALICE)
        assert r.status_code == 413
        assert r.json()["status"] == 413
        r = await c.post(DEP, content=b"{}", headers={**ALICE, "Content-Type": "text/plain"})
        assert r.status_code == 415
        assert r.json()["message"] == (
            "Invalid 'Content-Type' header. Expected one of: application/json"
        )
        r = await c.post(DEP, content=b"{}", headers=ALICE)  # no content type: parsed as JSON
        assert r.status_code == 201


async def test_long_query_unknown_route_wrong_method_are_json(tmp_path):
    async with client(tmp_path, max_query_length=100) as c:
        r = await c.get(DEP, params={"q": "a" * 200}, headers=ALICE)
        assert r.status_code == 414
        assert r.json()["status"] == 414
        r = await c.get("/api/nothing/here")
        assert r.status_code == 404
        assert r.json() == {
            "status": 404,
            "message": "The requested URL was not found on the server.",
        }
        for odd in ("\u00b2", "\u0661", "1" * 30, "-1", "1.5"):
            r = await c.get(f"{DEP}/{odd}", headers=ALICE)
            assert r.status_code == 404, odd
            assert (await c.get(f"/api/records/{odd}")).status_code == 404
        r = await c.patch(DEP, headers=ALICE)
        assert r.status_code == 405
        assert r.json()["status"] == 405


async def test_unexpected_errors_are_json_500_with_error_id(tmp_path, monkeypatch, caplog):
    async with client(tmp_path) as c:
        store = c.app.state.store

        def boom(*args, **kwargs):
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(store, "create_draft", boom)
        r = await c.post(DEP, json={}, headers=ALICE)
        assert r.status_code == 500
        body = r.json()
        assert body["status"] == 500
        assert len(body["error_id"]) == 32
        assert "disk on fire" not in r.text
        assert body["error_id"] in caplog.text


async def test_file_limits_count_quota_size_empty(tmp_path):
    async with client(tmp_path, max_files_per_record=2, quota_bytes=10, max_file_bytes=6) as c:
        dep = await legacy_draft(c)
        assert (await upload(c, dep, "a", b"12345")).status_code == 201
        r = await upload(c, dep, "b", b"1234567")
        assert r.status_code == 400
        assert r.json()["message"] == "Maximum file size exceeded."
        r = await upload(c, dep, "b", b"123456")
        assert r.status_code == 400
        assert r.json()["message"] == "Bucket quota exceeded."
        assert (await upload(c, dep, "a", b"123456")).status_code == 201  # replace: same key
        assert (await upload(c, dep, "b", b"1")).status_code == 201
        r = await upload(c, dep, "c", b"1")
        assert r.status_code == 400
        assert r.json()["message"] == (
            "Uploading selected files will result in exceeding the max amount per record."
        )
        r = await c.post(
            f"/api/records/{dep['id']}/draft/files", json=[{"key": "c"}], headers=ALICE
        )
        assert r.status_code == 400
        dep2 = await legacy_draft(c)
        r = await upload(c, dep2, "empty", b"")
        assert r.status_code == 400
        assert r.json()["message"] == "Empty files are not accepted."
        assert (await c.get(f"{DEP}/{dep2['id']}/files", headers=ALICE)).json() == []
        # nothing is left in the temp folder
        assert list((tmp_path / "sandbox" / "tmp").iterdir()) == []


@pytest.mark.parametrize(
    "key",
    ["..", ".", "a%0Ab", "a%1Fb", "a%7Fb", "x" * 256, "%2E%2E", "..%2Fx", "a%2Fb", "a%00b"],
)
async def test_hostile_bucket_keys_rejected(tmp_path, key):
    async with client(tmp_path) as c:
        dep = await legacy_draft(c)
        url = path(dep["links"]["bucket"]) + "/" + key
        r = await c.put(url, content=b"evil", headers=ALICE)
        assert r.status_code in (400, 404, 405), (key, r.status_code)  # "." is normalised away
        assert r.json()["status"] == r.status_code
        assert (await c.get(f"{DEP}/{dep['id']}/files", headers=ALICE)).json() == []


@pytest.mark.parametrize("key", ["../x", "a/../../b", "/abs", "a\x00", "a\tb", "a//b"])
async def test_hostile_native_keys_rejected(tmp_path, key):
    async with client(tmp_path) as c:
        r = await c.post("/api/records", json={}, headers=ALICE)
        rid = r.json()["id"]
        r = await c.post(f"/api/records/{rid}/draft/files", json=[{"key": key}], headers=ALICE)
        assert r.status_code == 400
        r = await c.get(f"/api/records/{rid}/draft/files", headers=ALICE)
        assert r.json()["entries"] == []


async def test_stored_blobs_never_use_the_key(tmp_path):
    async with client(tmp_path) as c:
        dep = await legacy_draft(c)
        await upload(c, dep, "sheet name.jpg", b"abc")
        files = [p for p in (tmp_path / "sandbox" / "files").rglob("*") if p.is_file()]
        assert len(files) == 1
        assert "sheet" not in str(files[0])
        assert files[0].read_bytes() == b"abc"


async def test_landing_page_escapes_and_serves_files(tmp_path):
    async with client(tmp_path) as c:
        md = {
            **LEGACY_MD,
            "title": "<script>alert(1)</script> & co",
            "creators": [{"name": "O'Brien, <b>Pat</b>"}],
            "description": "<img src=x onerror=alert(2)>Herbarium sheet",
        }
        dep = await legacy_draft(c, md)
        await upload(c, dep, "<evil>.jpg", b"pixels")
        r = await c.post(path(dep["links"]["publish"]), headers=ALICE)
        assert r.status_code == 202
        r = await c.get(f"/records/{dep['id']}")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/html")
        html = r.text
        assert "<script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
        assert "<img" not in html
        assert "Herbarium sheet" in html
        assert "<b>" not in html
        assert "<evil>" not in html
        assert f"10.5072/zenodo.{dep['id']}" in html
        assert "%3Cevil%3E.jpg" in html
        r = await c.get(f"/records/{dep['id']}/files/<evil>.jpg")
        assert r.content == b"pixels"
        assert (await c.get(f"/records/{dep['id'] + 99}")).status_code == 404
        draft = await legacy_draft(c)
        assert (await c.get(f"/records/{draft['id']}")).status_code == 404


async def test_restricted_files_need_the_owner(tmp_path):
    async with client(tmp_path) as c:
        pub = await legacy_published(c, {**LEGACY_MD, "access_right": "restricted"})
        url = f"/api/records/{pub['id']}/files/sheet.jpg/content"
        assert (await c.get(url)).status_code == 403
        assert (await c.get(url, headers=ALICE)).content == b"jpeg bytes"
        assert (await c.get(f"/records/{pub['id']}/files/sheet.jpg")).status_code == 403


async def test_state_survives_a_restart(tmp_path):
    config = make_config(tmp_path)
    app = create_app(config)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        pub = await legacy_published(c)
        draft = await legacy_draft(c)
    app.state.store.close()
    app2 = create_app(make_config(tmp_path))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app2), base_url=BASE) as c:
        r = await c.get(f"{DEP}/{pub['id']}", headers=ALICE)
        assert r.status_code == 200
        assert r.json()["doi"] == pub["doi"]
        r = await c.get(f"/api/records/{pub['id']}/files/sheet.jpg/content")
        assert r.content == b"jpeg bytes"
        r = await c.get(f"{DEP}/{draft['id']}", headers=ALICE)
        assert r.json()["owner"] == draft["owner"]
        new = await legacy_draft(c)
        assert new["id"] > draft["id"]
        app2.state.store.refresh_index()
        items = (await c.get(DEP, headers=ALICE)).json()
        assert {i["id"] for i in items} == {pub["id"], draft["id"], new["id"]}
    assert app2.state.store.count_records("alice") == 3
    app2.state.store.close()


async def test_links_follow_base_url_changes(tmp_path):
    async with client(tmp_path) as c:
        c.app.state.config.base_url = "http://127.0.0.1:5555/"
        r = await c.post(DEP, json={}, headers=ALICE)
        assert r.json()["links"]["self"].startswith("http://127.0.0.1:5555/api/deposit/")


async def test_md5_of_a_large_streamed_upload(tmp_path):
    async with client(tmp_path) as c:
        dep = await legacy_draft(c)
        data = hashlib.sha256(b"seed").digest() * 40_000  # 1.28 MB

        async def gen():
            for i in range(0, len(data), 65536):
                yield data[i : i + 65536]

        r = await c.put(
            path(dep["links"]["bucket"]) + "/big.bin",
            content=gen(),
            headers={**ALICE, "Content-Type": "application/octet-stream"},
        )
        assert r.status_code == 201
        assert r.json()["checksum"] == "md5:" + hashlib.md5(data).hexdigest()
        assert r.json()["size"] == len(data)


async def test_an_older_data_folder_is_upgraded_and_reindexed(tmp_path):
    import sqlite3

    config = make_config(tmp_path)
    app = create_app(config)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        pub = await legacy_published(c)
        draft = await legacy_draft(c)
    app.state.store.close()
    db = sqlite3.connect(config.data_dir / "sandbox.sqlite3")
    db.execute("PRAGMA user_version=0")
    db.execute("DROP TABLE docs")
    db.execute("DELETE FROM terms")
    db.execute("ALTER TABLE parents DROP COLUMN newest_id")
    db.commit()
    db.close()
    app2 = create_app(make_config(tmp_path))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app2), base_url=BASE) as c:
        q = 'custom_fields.dwc\\:catalogNumber:"BR0000013"'
        items = (await c.get(DEP, params={"q": q}, headers=ALICE)).json()
        assert {i["id"] for i in items} == {pub["id"], draft["id"]}
        r = await c.get(f"/api/records/{pub['id']}", headers={"Accept": NATIVE_JSON})
        assert r.json()["versions"]["is_latest_draft"] is True
    app2.state.store.close()


async def test_draft_deleted_during_a_streamed_upload_leaves_nothing(tmp_path):
    async with client(tmp_path) as c:
        dep = await legacy_draft(c)

        async def body():
            yield b"first chunk "
            r = await c.delete(f"{DEP}/{dep['id']}", headers=ALICE)  # meanwhile...
            assert r.status_code == 204
            yield b"second chunk"

        r = await c.put(path(dep["links"]["bucket"]) + "/a.bin", content=body(), headers=ALICE)
        assert r.status_code == 404
        data = tmp_path / "sandbox"
        assert [p for p in (data / "files").rglob("*") if p.is_file()] == []
        assert list((data / "tmp").iterdir()) == []
        assert c.app.state.store.count_records() == 0


async def test_links_use_the_request_address_while_base_url_has_port_0(tmp_path):
    async with client(tmp_path, base_url="http://127.0.0.1:0") as c:
        r = await c.post(DEP, json={}, headers={**ALICE, "Host": "127.0.0.1:8123"})
        assert r.json()["links"]["self"].startswith("http://127.0.0.1:8123/api/deposit/")
