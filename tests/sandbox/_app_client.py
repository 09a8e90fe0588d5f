"""Helpers for the sandbox application tests (in-process via httpx's ASGI transport)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from specpub.sandbox.app import create_app
from specpub.sandbox.config import Community, SandboxConfig

BASE = "http://sandbox.test"
NATIVE_JSON = "application/vnd.inveniordm.v1+json"
ALICE = {"Authorization": "Bearer alice-token"}
BOB = {"Authorization": "Bearer bob-token"}
HERB = Community("herbaria", "2b1c0e5a-0000-4000-8000-000000000001", "Herbaria", ("alice",))
OTHER = Community("others", "2b1c0e5a-0000-4000-8000-000000000002", "Others", ("carol",))

LEGACY_MD: dict[str, Any] = {
    "title": "Herbarium specimen BR0000013",
    "upload_type": "image",
    "image_type": "photo",
    "description": "A digitised herbarium sheet.",
    "creators": [{"name": "Doe, Jane", "affiliation": "Meise"}],
    "keywords": ["herbarium"],
    "related_identifiers": [
        {"identifier": "https://example.org/specimen/BR0000013", "relation": "isDerivedFrom"}
    ],
    "custom": {"dwc:catalogNumber": ["BR0000013"], "dwc:institutionCode": ["BR"]},
}

NATIVE: dict[str, Any] = {
    "access": {"record": "public", "files": "public"},
    "files": {"enabled": True},
    "metadata": {
        "resource_type": {"id": "image-photo"},
        "title": "Herbarium specimen BR0000014",
        "publication_date": "2025-03-01",
        "creators": [
            {"person_or_org": {"type": "personal", "family_name": "Doe", "given_name": "Jane"}}
        ],
        "rights": [{"id": "cc-by-4.0"}],
    },
    "custom_fields": {"dwc:catalogNumber": ["BR0000014"], "dwc:eventDate": ["1890-05-01"]},
}


def make_config(tmp_path: Path, **kw: Any) -> SandboxConfig:
    kw.setdefault("tokens", {"alice-token": "alice", "bob-token": "bob"})
    kw.setdefault("communities", (HERB, OTHER))
    kw.setdefault("base_url", BASE)
    return SandboxConfig(data_dir=tmp_path / "sandbox", **kw)


@contextlib.asynccontextmanager
async def client(
    tmp_path: Path, *, clock: Any = None, **kw: Any
) -> AsyncIterator[httpx.AsyncClient]:
    config = make_config(tmp_path, **kw)
    app = create_app(config, **({"clock": clock} if clock else {}))
    transport = httpx.ASGITransport(app=app)
    try:
        # the native shape: plain JSON gets the "Zenodo v1" shape (test_zenodo_v1_json.py)
        headers = {"Accept": NATIVE_JSON}
        async with httpx.AsyncClient(transport=transport, base_url=BASE, headers=headers) as c:
            c.app = app  # type: ignore[attr-defined]
            yield c
    finally:
        app.state.store.close()


def refresh(c: httpx.AsyncClient) -> int:
    """Make every pending change searchable now, as ZRDM's tests refresh the index.

    The sandbox's search, like Zenodo's, shows a change only after the next index refresh
    (``config.index_lag``, 1 s by default).
    """
    return int(c.app.state.store.refresh_index())  # type: ignore[attr-defined]


def path(url: str) -> str:
    """The path of an absolute link of the sandbox."""
    assert url.startswith(BASE), url
    return url[len(BASE) :]


async def legacy_draft(c: httpx.AsyncClient, metadata: dict | None = None, **kw: Any) -> dict:
    md = LEGACY_MD if metadata is None else metadata
    r = await c.post("/api/deposit/depositions", json={"metadata": md}, headers=ALICE, **kw)
    assert r.status_code == 201, r.text
    return r.json()


async def upload(
    c: httpx.AsyncClient, dep: dict, key: str, data: bytes, headers: dict | None = None
) -> httpx.Response:
    return await c.put(
        path(dep["links"]["bucket"]) + "/" + key,
        content=data,
        headers={**ALICE, "Content-Type": "application/octet-stream", **(headers or {})},
    )


async def legacy_published(c: httpx.AsyncClient, metadata: dict | None = None) -> dict:
    dep = await legacy_draft(c, metadata)
    r = await upload(c, dep, "sheet.jpg", b"jpeg bytes")
    assert r.status_code == 201, r.text
    r = await c.post(path(dep["links"]["publish"]), headers=ALICE)
    assert r.status_code == 202, r.text
    return r.json()


async def native_draft(c: httpx.AsyncClient, body: dict | None = None) -> dict:
    r = await c.post("/api/records", json=NATIVE if body is None else body, headers=ALICE)
    assert r.status_code == 201, r.text
    return r.json()


async def native_file(c: httpx.AsyncClient, rid: str, key: str, data: bytes) -> dict:
    r = await c.post(f"/api/records/{rid}/draft/files", json=[{"key": key}], headers=ALICE)
    assert r.status_code == 201, r.text
    r = await c.put(
        f"/api/records/{rid}/draft/files/{key}/content",
        content=data,
        headers={**ALICE, "Content-Type": "application/octet-stream"},
    )
    assert r.status_code == 200, r.text
    r = await c.post(f"/api/records/{rid}/draft/files/{key}/commit", headers=ALICE)
    assert r.status_code == 200, r.text
    return r.json()
