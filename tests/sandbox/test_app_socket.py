"""The sandbox app over a real socket (uvicorn via specpub.sandbox.server.running)."""

from __future__ import annotations

import hashlib
import socket
import time

import httpx

from specpub.sandbox.server import running

DEP = "/api/deposit/depositions"


def _md(cat: str) -> dict:
    return {
        "title": f"Herbarium specimen {cat}",
        "upload_type": "image",
        "image_type": "photo",
        "creators": [{"name": "Doe, Jane"}],
        "custom": {"dwc:catalogNumber": [cat]},
    }


def _client(sb) -> httpx.Client:
    headers = {**sb.headers, "Accept": "application/vnd.inveniordm.v1+json"}
    return httpx.Client(base_url=sb.url, headers=headers, timeout=30)


def test_multi_file_flows_through_both_apis_over_a_socket(tmp_path):
    data_dir = tmp_path / "sb"
    big = hashlib.sha256(b"x").digest() * 100_000  # 3.2 MB, streamed in chunks

    def chunks():
        for i in range(0, len(big), 256 * 1024):
            yield big[i : i + 256 * 1024]

    with running(data_dir, rate_limit="off") as sb, _client(sb) as c:
        # legacy: create, two bucket uploads (one streamed), one form upload, publish
        r = c.post(DEP, json={"metadata": _md("S1")})
        assert r.status_code == 201
        dep = r.json()
        assert dep["links"]["self"].startswith(sb.url)
        bucket = dep["links"]["bucket"]
        r = c.put(f"{bucket}/big.tif", content=chunks())
        assert r.status_code == 201
        assert r.json()["checksum"] == "md5:" + hashlib.md5(big).hexdigest()
        r = c.put(f"{bucket}/small.jpg", content=b"small")
        assert r.status_code == 201
        r = c.post(f"{DEP}/{dep['id']}/files", files={"file": ("notes.txt", b"notes")})
        assert r.status_code == 201
        r = c.post(dep["links"]["publish"])
        assert r.status_code == 202
        pub = r.json()
        assert sorted(f["filename"] for f in pub["files"]) == ["big.tif", "notes.txt", "small.jpg"]
        r = httpx.get(f"{sb.url}/api/records/{dep['id']}/files/big.tif/content")
        assert hashlib.md5(r.content).hexdigest() == hashlib.md5(big).hexdigest()
        r = httpx.get(f"{sb.url}/records/{dep['id']}")
        assert "Herbarium specimen S1" in r.text
        # native: create, init two files, content, commit, publish
        r = c.post(
            "/api/records",
            json={
                "metadata": {
                    "title": "Native record",
                    "resource_type": {"id": "image-photo"},
                    "publication_date": "2025",
                    "creators": [{"person_or_org": {"type": "organizational", "name": "Meise"}}],
                }
            },
        )
        assert r.status_code == 201
        rid = r.json()["id"]
        r = c.post(f"/api/records/{rid}/draft/files", json=[{"key": "a.tif"}, {"key": "b.tif"}])
        assert r.status_code == 201
        for key, body in (("a.tif", chunks()), ("b.tif", b"bee")):
            r = c.put(
                f"/api/records/{rid}/draft/files/{key}/content",
                content=body,
                headers={"Content-Type": "application/octet-stream"},
            )
            assert r.status_code == 200
            assert c.post(f"/api/records/{rid}/draft/files/{key}/commit").status_code == 200
        r = c.post(f"/api/records/{rid}/draft/actions/publish")
        assert r.status_code == 202
        assert r.json()["files"]["count"] == 2
        q = 'custom_fields.dwc\\:catalogNumber:"S1"'
        assert c.get(DEP, params={"q": q}).json() == []  # not indexed yet (1 s lag)
        assert sb.refresh_index() > 0
        assert [d["id"] for d in c.get(DEP, params={"q": q}).json()] == [dep["id"]]
    # every byte written lives under the data folder
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and data_dir not in p.parents]
    assert outside == []


def _raw(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(request)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    return out


def test_hostile_raw_paths_never_write_outside_data_dir(tmp_path):
    data_dir = tmp_path / "sb"
    with running(data_dir, rate_limit="off") as sb, _client(sb) as c:
        dep = c.post(DEP, json={}).json()
        bucket_path = dep["links"]["bucket"].removeprefix(sb.url)
        for key in (
            b"..%2F..%2F..%2Fescape",
            b"../../../escape",
            b"%2E%2E%2Fescape",
            b"a%00b",
            b"a%0D%0Ab",
            b"..\\..\\escape",
            b"x" * 300,
        ):
            req = (
                b"PUT " + bucket_path.encode() + b"/" + key + b" HTTP/1.1\r\n"
                b"Host: 127.0.0.1\r\nAuthorization: Bearer " + sb.token.encode() + b"\r\n"
                b"Content-Length: 4\r\nConnection: close\r\n\r\nevil"
            )
            status = _raw(sb.url, req).split(b" ", 2)[1]
            assert status in (b"201", b"400", b"404"), (key, status)
        files = c.get(f"{DEP}/{dep['id']}/files").json()
        for f in files:  # whatever was accepted has a plain key
            assert "/" not in f["filename"]
            assert f["filename"] != ".."
    assert not (tmp_path / "escape").exists()
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and data_dir not in p.parents]
    assert outside == []


def test_records_survive_a_server_restart(tmp_path):
    data_dir = tmp_path / "sb"
    with running(data_dir, rate_limit="off", token="tok") as sb, _client(sb) as c:
        dep = c.post(DEP, json={"metadata": _md("R1")}).json()
        c.put(f"{dep['links']['bucket']}/a.jpg", content=b"abc")
        pub = c.post(dep["links"]["publish"]).json()
        draft = c.post(DEP, json={"metadata": _md("R2")}).json()
    with running(data_dir, rate_limit="off", token="tok") as sb, _client(sb) as c:
        r = c.get(f"{DEP}/{pub['id']}")
        assert r.status_code == 200
        assert r.json()["doi"] == pub["doi"]
        assert r.json()["links"]["self"].startswith(sb.url)
        assert c.get(f"{DEP}/{draft['id']}").json()["title"] == "Herbarium specimen R2"
        content = httpx.get(f"{sb.url}/api/records/{pub['id']}/files/a.jpg/content").content
        assert content == b"abc"


def test_an_upload_cut_short_leaves_no_file_and_no_error(tmp_path, caplog):
    data_dir = tmp_path / "sb"
    with running(data_dir, rate_limit="off") as sb, _client(sb) as c:
        dep = c.post(DEP, json={}).json()
        bucket_path = dep["links"]["bucket"].removeprefix(sb.url)
        host, port = sb.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall(
                b"PUT " + bucket_path.encode() + b"/cut.bin HTTP/1.1\r\nHost: x\r\n"
                b"Authorization: Bearer " + sb.token.encode() + b"\r\n"
                b"Content-Length: 100000\r\n\r\n" + b"x" * 1000
            )
        deadline = time.monotonic() + 15  # the server notices the disconnect (slow under load)
        while list((data_dir / "tmp").iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list((data_dir / "tmp").iterdir()) == []
        assert c.get(f"{DEP}/{dep['id']}/files").json() == []
        assert c.put(f"{dep['links']['bucket']}/ok.bin", content=b"fine").status_code == 201
    assert "unhandled error" not in caplog.text
