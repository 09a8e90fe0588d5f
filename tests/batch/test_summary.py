"""Summary CSV contents and the summary deposition (fake client)."""

from __future__ import annotations

import asyncio
import hashlib

import pandas as pd
import pytest

from specpub.batch.ledger import Ledger
from specpub.batch.summary import SUMMARY_COLUMNS, publish_summary, write_summary
from specpub.errors import InputError
from specpub.repository.protocol import Marker, RemoteFile, RemoteRecord
from specpub.workspace import Workspace


def _workspace(tmp_path) -> Workspace:
    ws = Workspace.create(tmp_path / "ws")
    with Ledger.for_workspace(ws) as led:
        b = led.create_batch(target="zenodo", api="legacy")
        payload = {"metadata": {"creators": [{"name": "Meise Botanic Garden"}]}}
        for i, cat in enumerate(["BR1", "BR2", "BR3"]):
            files = [
                {
                    "key": f"{cat}_{s}.jpg",
                    "path": f"/m/{cat}_{s}.jpg",
                    "size": 10 + i,
                    "md5": f"{i}" * 32,
                }
                for s in ("a", "b")
            ]
            rid, _ = led.add_record(b, Marker(cat, "BR"), payload=payload, files=files)
            if cat == "BR3":
                continue  # planned, not published: not in the summary
            for st in ("creating", "created", "uploaded", "publishing"):
                led.transition(rid, st, remote_id=str(100 + i))
            led.transition(rid, "published", doi=f"10.5281/zenodo.{100 + i}")
    return ws


def test_summary_csv_lists_every_published_file(tmp_path):
    ws = _workspace(tmp_path)
    path, _ = write_summary(ws, 1)
    assert path == ws.root / "reports" / "summary-batch-1.csv"
    again = pd.read_csv(path, dtype=str)
    assert tuple(again.columns) == SUMMARY_COLUMNS
    assert len(again) == 4
    assert set(again["catalogNumber"]) == {"BR1", "BR2"}
    row = again[again["file_key"] == "BR2_b.jpg"].iloc[0].to_dict()
    assert row == {
        "catalogNumber": "BR2",
        "institutionCode": "BR",
        "record_id": "101",
        "doi": "10.5281/zenodo.101",
        "doi_url": "https://doi.org/10.5281/zenodo.101",
        "landing_page": "https://zenodo.org/records/101",
        "file_key": "BR2_b.jpg",
        "file_size": "11",
        "file_md5": "1" * 32,
        "download_url": "https://zenodo.org/records/101/files/BR2_b.jpg?download=1",
    }
    _, custom = write_summary(ws, 1, base_url="http://127.0.0.1:9/")
    assert custom["landing_page"].iloc[0] == "http://127.0.0.1:9/records/100"


class FakeDepositClient:
    api = "legacy"
    rate_limit = None

    def __init__(self):
        self.records = {}
        self.calls = []

    async def create(self, payload):
        self.calls.append("create")
        rid = str(500 + len(self.records))
        self.records[rid] = {"payload": payload, "files": {}, "published": False}
        return RemoteRecord(id=rid, state="draft", is_published=False)

    async def get(self, rid):
        self.calls.append("get")
        r = self.records[rid]
        return RemoteRecord(
            id=rid,
            state="published" if r["published"] else "draft",
            is_published=r["published"],
            doi=f"10.5072/zenodo.{rid}" if r["published"] else None,
        )

    async def upload(self, record, path, key, *, md5=None, size=None):
        self.calls.append("upload")
        data = path.read_bytes()
        assert hashlib.md5(data).hexdigest() == md5
        self.records[record.id]["files"][key] = data
        return RemoteFile(key=key, size=len(data), md5=md5)

    async def publish(self, rid):
        self.calls.append("publish")
        self.records[rid]["published"] = True
        return await self.get(rid)


def test_publish_summary_once_and_resume(tmp_path):
    ws = _workspace(tmp_path)
    client = FakeDepositClient()
    dep = asyncio.run(publish_summary(ws, client, 1, publication_date="2026-01-01"))
    assert dep.doi == "10.5072/zenodo.500"
    (rec,) = client.records.values()
    meta = rec["payload"]["metadata"]
    assert meta["upload_type"] == "dataset"
    assert meta["creators"] == [{"name": "Meise Botanic Garden"}]
    assert "2 published specimen records" in meta["title"]
    assert rec["files"]["summary-batch-1.csv"] == dep.csv_path.read_bytes()
    # a repeat with the same CSV creates nothing new
    again = asyncio.run(publish_summary(ws, client, 1))
    assert again.doi == dep.doi
    assert client.calls.count("create") == 1


def test_publish_summary_resumes_a_draft(tmp_path):
    ws = _workspace(tmp_path)
    client = FakeDepositClient()

    async def crash_before_publish():
        original = client.publish

        async def boom(rid):
            raise RuntimeError("killed")

        client.publish = boom
        with pytest.raises(RuntimeError):
            await publish_summary(ws, client, 1)
        client.publish = original
        return await publish_summary(ws, client, 1)

    dep = asyncio.run(crash_before_publish())
    assert client.calls.count("create") == 1
    assert dep.record.is_published


def test_publish_summary_needs_published_records(tmp_path):
    ws = Workspace.create(tmp_path / "empty")
    with pytest.raises(InputError, match="no published records"):
        asyncio.run(publish_summary(ws, FakeDepositClient()))
