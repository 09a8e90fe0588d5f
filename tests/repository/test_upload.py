"""Streaming uploads: MD5 while sending, checksum verification, changed files."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from specpub.errors import ChecksumMismatch, InputError
from specpub.repository import RemoteRecord

pytestmark = pytest.mark.anyio

DRAFT = RemoteRecord(id="12", state="draft", is_published=False)
BUCKET = "https://repo.example.org/api/files/bucket-1"


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


class LegacyBucket:
    """A bucket that stores what it receives, counting body chunks."""

    def __init__(self, checksum_override: str | None = None) -> None:
        self.objects: dict[str, bytes] = {}
        self.chunks = 0
        self.requests: list[httpx.Request] = []
        self.override = checksum_override

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.method == "GET":
            return httpx.Response(200, json={"id": 12, "links": {"bucket": BUCKET}})
        assert request.method == "PUT"
        assert request.headers["content-type"] == "application/octet-stream"
        body = b""
        async for chunk in request.stream:
            self.chunks += 1
            body += chunk
        assert int(request.headers["content-length"]) == len(body)
        key = request.url.path.rsplit("/", 1)[1]
        self.objects[key] = body
        checksum = self.override or f"md5:{md5(body)}"
        return httpx.Response(
            201, json={"key": key, "size": len(body), "checksum": checksum, "version_id": "v"}
        )


def draft_with_bucket() -> RemoteRecord:
    return RemoteRecord(id="12", state="draft", is_published=False, bucket=BUCKET)


async def test_legacy_upload_verifies_and_strips_prefix(make_client, tmp_path):
    data = bytes(range(256)) * 1024  # 256 KiB
    path = tmp_path / "BR0000013_a.jpg"
    path.write_bytes(data)
    server = LegacyBucket()
    client = make_client("legacy", server)
    remote = await client.upload(
        draft_with_bucket(), path, "BR0000013_a.jpg", md5=md5(data), size=len(data)
    )
    assert remote.md5 == md5(data)  # "md5:" stripped
    assert remote.size == len(data)
    assert remote.key == "BR0000013_a.jpg"
    assert server.objects["BR0000013_a.jpg"] == data


async def test_file_shrinking_while_sent_is_an_input_error(tmp_path):
    from specpub.repository._upload import FileSource

    path = tmp_path / "a.bin"
    path.write_bytes(b"0123456789")
    src = FileSource(path, key="a.bin", size=10)
    path.write_bytes(b"01234")
    with pytest.raises(InputError, match="changed since it was scanned"):
        async for _ in src.stream():
            pass


async def test_file_is_read_in_chunks_never_whole(tmp_path):
    from specpub.repository._upload import CHUNK_SIZE, FileSource

    data = b"x" * (3 * CHUNK_SIZE + 5)
    path = tmp_path / "big.tif"
    path.write_bytes(data)
    src = FileSource(path, key="big.tif")
    sizes = [len(chunk) async for chunk in src.stream()]
    assert sizes == [CHUNK_SIZE, CHUNK_SIZE, CHUNK_SIZE, 5]
    assert src.md5 == md5(data)
    assert src.headers["Content-Length"] == str(len(data))


async def test_legacy_upload_fetches_bucket_when_missing(make_client, tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"abc")
    server = LegacyBucket()
    client = make_client("legacy", server)
    await client.upload(DRAFT, path, "a.txt")
    assert [r.method for r in server.requests] == ["GET", "PUT"]
    assert server.requests[1].url.path == "/api/files/bucket-1/a.txt"


async def test_key_is_url_encoded(make_client, tmp_path):
    path = tmp_path / "a b.txt"
    path.write_bytes(b"abc")
    server = LegacyBucket()
    client = make_client("legacy", server)
    await client.upload(draft_with_bucket(), path, "a b#1?.txt")
    assert server.requests[0].url.raw_path.endswith(b"/a%20b%231%3F.txt")


async def test_checksum_mismatch(make_client, tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"abc")
    client = make_client("legacy", LegacyBucket(checksum_override="md5:" + "0" * 32))
    with pytest.raises(ChecksumMismatch) as info:
        await client.upload(draft_with_bucket(), path, "a.txt")
    err = info.value
    assert err.key == "a.txt"
    assert err.local_md5 == md5(b"abc")
    assert err.remote_checksum == "0" * 32
    assert err.step == "upload"
    assert err.retryable


@pytest.mark.parametrize("api", ["legacy", "native"])
async def test_size_changed_since_scan_fails_before_sending(make_client, tmp_path, api):
    path = tmp_path / "sheet.jpg"
    path.write_bytes(b"abcd")
    sent = []
    client = make_client(api, lambda r: sent.append(r) or httpx.Response(500))
    with pytest.raises(InputError) as info:
        await client.upload(draft_with_bucket(), path, "sheet.jpg", size=3)
    assert "sheet.jpg" in str(info.value)
    assert "changed since it was scanned" in str(info.value)
    assert "rescan" in str(info.value)
    assert sent == []


async def test_md5_changed_since_scan_legacy(make_client, tmp_path):
    path = tmp_path / "sheet.jpg"
    path.write_bytes(b"abcd")
    client = make_client("legacy", LegacyBucket())
    with pytest.raises(InputError, match="changed since it was scanned") as info:
        await client.upload(draft_with_bucket(), path, "sheet.jpg", md5=md5(b"abce"), size=4)
    assert str(path) in str(info.value)


async def test_missing_file_is_an_input_error(make_client, tmp_path):
    client = make_client("legacy", LegacyBucket())
    with pytest.raises(InputError, match="does not exist"):
        await client.upload(draft_with_bucket(), tmp_path / "nope.jpg", "nope.jpg")


async def test_legacy_key_with_slash_is_refused(make_client, tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"abc")
    client = make_client("legacy", LegacyBucket())
    with pytest.raises(InputError, match="contains '/'"):
        await client.upload(draft_with_bucket(), path, "dir/a.txt")


class NativeFiles:
    """A draft's files with InvenioRDM's init / content / commit states."""

    def __init__(self) -> None:
        self.entries: dict[str, dict] = {}
        self.log: list[str] = []
        self.corrupt_commit = False

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        prefix = "/api/records/12/draft/files"
        assert path.startswith(prefix), path
        rest = path[len(prefix) :].lstrip("/")
        method = request.method
        if rest == "" and method == "POST":
            self.log.append("init")
            items = json.loads(await request.aread())
            for item in items:
                if item["key"] in self.entries:
                    return httpx.Response(
                        400,
                        json={
                            "status": 400,
                            "message": f"File with key {item['key']} already exists.",
                        },
                    )
            for item in items:
                self.entries[item["key"]] = {"key": item["key"], "status": "pending"}
            return httpx.Response(201, json={"entries": list(self.entries.values())})
        key, _, action = rest.partition("/")
        entry = self.entries.get(key)
        if entry is None:
            return httpx.Response(404, json={"status": 404, "message": "not found"})
        if action == "content" and method == "PUT":
            self.log.append("content")
            if entry["status"] == "completed":
                return httpx.Response(400, json={"message": "already committed"})
            entry["_data"] = b"".join([c async for c in request.stream])
            return httpx.Response(200, json={k: v for k, v in entry.items() if k != "_data"})
        if action == "commit" and method == "POST":
            self.log.append("commit")
            data = entry.get("_data", b"")
            digest = md5(data + (b"!" if self.corrupt_commit else b""))
            entry.update(status="completed", checksum=f"md5:{digest}", size=len(data))
            return httpx.Response(200, json={k: v for k, v in entry.items() if k != "_data"})
        if action == "" and method == "GET":
            self.log.append("get")
            return httpx.Response(200, json={k: v for k, v in entry.items() if k != "_data"})
        if action == "" and method == "DELETE":
            self.log.append("delete")
            del self.entries[key]
            return httpx.Response(204)
        raise AssertionError((method, path))


async def test_native_upload_flow(make_client, tmp_path):
    path = tmp_path / "a.tif"
    path.write_bytes(b"tiff-bytes")
    server = NativeFiles()
    client = make_client("native", server)
    remote = await client.upload(DRAFT, path, "a.tif", md5=md5(b"tiff-bytes"), size=10)
    assert server.log == ["init", "content", "commit"]
    assert remote.md5 == md5(b"tiff-bytes")
    assert remote.status == "completed"


async def test_native_repeat_of_completed_upload_sends_nothing(make_client, tmp_path):
    path = tmp_path / "a.tif"
    path.write_bytes(b"tiff-bytes")
    server = NativeFiles()
    client = make_client("native", server)
    await client.upload(DRAFT, path, "a.tif")
    server.log.clear()
    remote = await client.upload(DRAFT, path, "a.tif")
    assert server.log == ["init", "get"]
    assert remote.md5 == md5(b"tiff-bytes")


async def test_native_pending_entry_is_completed(make_client, tmp_path):
    path = tmp_path / "a.tif"
    path.write_bytes(b"tiff-bytes")
    server = NativeFiles()
    server.entries["a.tif"] = {"key": "a.tif", "status": "pending"}
    client = make_client("native", server)
    await client.upload(DRAFT, path, "a.tif")
    assert server.log == ["init", "get", "content", "commit"]


async def test_native_different_completed_entry_is_replaced(make_client, tmp_path):
    path = tmp_path / "a.tif"
    path.write_bytes(b"new-bytes")
    server = NativeFiles()
    server.entries["a.tif"] = {
        "key": "a.tif",
        "status": "completed",
        "size": 3,
        "checksum": "md5:" + md5(b"old"),
    }
    client = make_client("native", server)
    remote = await client.upload(DRAFT, path, "a.tif")
    assert server.log == ["init", "get", "delete", "init", "content", "commit"]
    assert remote.md5 == md5(b"new-bytes")


async def test_native_commit_checksum_mismatch(make_client, tmp_path):
    path = tmp_path / "a.tif"
    path.write_bytes(b"tiff-bytes")
    server = NativeFiles()
    server.corrupt_commit = True
    client = make_client("native", server)
    with pytest.raises(ChecksumMismatch):
        await client.upload(DRAFT, path, "a.tif")


async def test_native_changed_md5_is_not_committed(make_client, tmp_path):
    path = tmp_path / "a.tif"
    path.write_bytes(b"tiff-bytes")
    server = NativeFiles()
    client = make_client("native", server)
    with pytest.raises(InputError, match="changed since it was scanned"):
        await client.upload(DRAFT, path, "a.tif", md5=md5(b"other"), size=10)
    assert "commit" not in server.log
    assert server.entries["a.tif"]["status"] == "pending"
