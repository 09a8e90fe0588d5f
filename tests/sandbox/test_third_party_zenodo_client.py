"""A client written for zenodo.org, from PyPI, against the embedded repository.

cthoyt's ``zenodo-client`` (``zenodo_client.Zenodo``) uploads through the legacy deposit
API and the bucket API, makes new versions through ``actions/newversion`` and
``links.latest_draft``, and downloads through ``GET /api/records/{id}`` in Zenodo's
"Zenodo v1" JSON (``conceptrecid``, ``metadata.version``, ``files[].key``,
``files[].links.self``). It is pointed at the sandbox by its base URL alone; it keeps its
downloads (pystow) inside the test's temporary folder.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import requests

zenodo_client = pytest.importorskip("zenodo_client", reason="zenodo-client (the test extra)")

pytestmark = pytest.mark.slow  # the client sleeps 1 s before each action, by design


def _at(base_url: str, token: str) -> zenodo_client.Zenodo:
    """A ``Zenodo`` client whose base URL is the sandbox's (the URLs its __init__ derives)."""
    client = zenodo_client.Zenodo(access_token=token)
    client.base = base_url
    client.api_base = base_url + "/api"
    client.depositions_base = client.api_base + "/deposit/depositions"
    return client


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _files(folder: Path, contents: dict[str, bytes]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, data in contents.items():
        path = folder / name
        path.write_bytes(data)
        out.append(path)
    return out


def test_zenodo_client_uploads_publishes_versions_and_downloads(sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("PYSTOW_HOME", str(tmp_path / "pystow"))
    client = _at(sandbox.url, sandbox.token)
    data = {
        "metadata": {
            "title": "Herbarium sheets of Quercus robur, Meise",
            "upload_type": "dataset",
            "description": "Digitised herbarium sheets.",
            "creators": [{"name": "Doe, Jane", "affiliation": "Meise Botanic Garden"}],
            "version": "1.0",
            "keywords": ["herbarium"],
        }
    }
    v1_files = _files(
        tmp_path / "v1", {"BR0000013.tif": b"\x49\x49*\x00" + b"1" * 70_000, "notes.txt": b"v1"}
    )
    published = client.create(data, v1_files).json()
    assert published["submitted"] is True
    v1_id = str(published["id"])
    assert published["doi"] == f"10.5072/zenodo.{v1_id}"

    # a new version: newversion, latest_draft, metadata PUT, bucket uploads, publish
    v2_files = _files(tmp_path / "v2", {"notes.txt": b"v2 notes", "BR0000014.tif": b"II*\x00" * 9})
    v2 = client.update(v1_id, v2_files).json()
    v2_id = str(v2["id"])
    assert v2_id != v1_id
    assert v2["conceptrecid"] == published["conceptrecid"]

    # every file back, with matching checksums, through the "Zenodo v1" record JSON
    expected = {
        v1_id: {p.name: _md5(p) for p in v1_files},
        v2_id: {
            "BR0000013.tif": _md5(v1_files[0]),  # imported from the previous version
            **{p.name: _md5(p) for p in v2_files},
        },
    }
    for record_id, want in expected.items():
        paths = client.download_all(record_id)
        assert {Path(p).name: _md5(Path(p)) for p in paths} == want
        record = client.get_record(record_id).json()
        assert {f["key"]: f["checksum"] for f in record["files"]} == {
            k: f"md5:{m}" for k, m in want.items()
        }

    # the concept id (and versions/latest) resolve to the latest version
    r = requests.get(f"{sandbox.api_url}/records/{published['conceptrecid']}", timeout=30)
    assert r.history[0].status_code == 302
    assert str(r.json()["id"]) == v2_id
    r = requests.get(f"{sandbox.api_url}/records/{v1_id}/versions/latest", timeout=30)
    assert str(r.json()["id"]) == v2_id
    me = requests.get(f"{sandbox.api_url}/me", params={"access_token": sandbox.token}, timeout=30)
    assert me.status_code == 200
