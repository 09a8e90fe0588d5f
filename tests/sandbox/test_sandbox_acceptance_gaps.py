"""Acceptance items of the sandbox issue that no other test pinned down.

See ``/work/notes/acceptance-audit.md``: each test here closes one GAP row.
"""

from __future__ import annotations

import hashlib

import httpx
import pytest
from _app_client import ALICE, client, legacy_draft, native_draft, native_file, path

from specpub.sandbox.server import running_subprocess


@pytest.mark.anyio
async def test_native_download_carries_md5_headers(tmp_path):
    # zenodo-api.md §2.3: download headers `ETag: "md5:…"` and `Content-MD5`.
    async with client(tmp_path) as c:
        rid = (await native_draft(c))["id"]
        await native_file(c, rid, "a.jpg", b"sheet bytes")
        md5 = hashlib.md5(b"sheet bytes").hexdigest()
        r = await c.get(f"/api/records/{rid}/draft/files/a.jpg/content", headers=ALICE)
        assert r.status_code == 200
        assert r.content == b"sheet bytes"
        assert r.headers["etag"] == f'"md5:{md5}"'
        assert r.headers["content-md5"] == md5


@pytest.mark.anyio
async def test_native_unknown_file_routes_are_json_errors(tmp_path):
    # §2.3 lists a file-metadata PUT the sandbox does not implement: it must say so
    # in the server's JSON error shape (405), not crash or silently accept.
    async with client(tmp_path) as c:
        rid = (await native_draft(c))["id"]
        await native_file(c, rid, "a.jpg", b"x")
        r = await c.put(
            f"/api/records/{rid}/draft/files/a.jpg", json={"metadata": {}}, headers=ALICE
        )
        assert r.status_code == 405
        assert r.json()["status"] == 405


def test_cli_serve_applies_doi_prefix_and_rate_limit(tmp_path):
    # Issue 2: `specpub sandbox serve ... --rate-limit SPEC --doi-prefix P` over a real socket.
    with running_subprocess(
        tmp_path, token="t0k", rate_limit="4/minute", doi_prefix="10.5281"
    ) as proc:
        h = proc.headers
        dep = httpx.post(f"{proc.api_url}/deposit/depositions", json={}, headers=h)
        assert dep.status_code == 201, dep.text
        assert dep.headers["x-ratelimit-limit"] == "4"
        md = {
            "title": "Sheet BR1",
            "upload_type": "image",
            "image_type": "photo",
            "description": "A herbarium sheet.",
            "creators": [{"name": "Doe, Jane"}],
        }
        rid = dep.json()["id"]
        put = httpx.put(f"{proc.api_url}/deposit/depositions/{rid}", json={"metadata": md},
                        headers=h)  # fmt: skip
        assert put.status_code == 200, put.text
        bucket = put.json()["links"]["bucket"]
        assert httpx.put(f"{bucket}/a.jpg", content=b"img", headers=h).status_code == 201
        r = httpx.post(f"{proc.api_url}/deposit/depositions/{rid}/actions/publish", headers=h)
        assert r.status_code == 202, r.text
        assert r.json()["doi"] == f"10.5281/zenodo.{rid}"
        # the fifth request of the minute is refused: the limit is the one given
        r = httpx.get(f"{proc.api_url}/deposit/depositions/{rid}", headers=h)
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) > 0
        assert r.headers["x-ratelimit-remaining"] == "0"


@pytest.mark.anyio
async def test_file_keys_longer_than_255_are_refused_on_both_apis(tmp_path):
    # §1.4: "File names longer than the key limit → 400 'Filename is too long.'" (255).
    async with client(tmp_path) as c:
        dep = await legacy_draft(c)
        bucket = path(dep["links"]["bucket"])
        ok, long = "a" * 251 + ".jpg", "a" * 252 + ".jpg"
        r = await c.put(f"{bucket}/{long}", content=b"x", headers=ALICE)
        assert r.status_code == 400
        assert r.json()["message"] == "Filename is too long."
        assert (await c.put(f"{bucket}/{ok}", content=b"x", headers=ALICE)).status_code == 201
        rid = (await native_draft(c))["id"]
        files = f"/api/records/{rid}/draft/files"
        r = await c.post(files, json=[{"key": long}], headers=ALICE)
        assert r.status_code == 400
        assert r.json()["message"] == "Filename is too long."
        assert (await c.post(files, json=[{"key": ok}], headers=ALICE)).status_code == 201
