"""Publish built records on the embedded repository and read them back, as a stranger would.

``publish`` runs the real batch engine with a real client over a socket; ``read_back``
fetches each published record (legacy: ``/api/deposit/depositions/{id}``; native:
``/api/records/{id}`` in the InvenioRDM shape) and downloads its sidecar. The ``same_*``
functions compare what was sent with what came back, allowing exactly the changes the
repository documents (``docs/zenodo-api.md`` §1.6, §7): legacy licence aliases, grant ids
with the funder prefix, date types in lower case, the detected identifier scheme, the
default publisher, and community membership (a separate request).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from specpub.batch.ledger import Ledger
from specpub.batch.plan import plan_records
from specpub.batch.runner import run_batch_async
from specpub.repository import open_client

TOKEN_ENV = "SPECPUB_TEST_RECORDS_TOKEN"
NATIVE = "application/vnd.inveniordm.v1+json"


def publish(ws, specs, sandbox, monkeypatch, api: str) -> Any:
    """Plan ``specs`` and run them to published on ``sandbox``; returns the batch result."""
    plan_records(ws, specs, target="embedded", api=api)
    monkeypatch.setenv(TOKEN_ENV, sandbox.token)

    async def main():
        client = open_client("embedded", api=api, base_url=sandbox.url, token_env=TOKEN_ENV)
        try:
            return await run_batch_async(ws, client, progress=None, concurrency=8)
        finally:
            await client.aclose()

    return asyncio.run(main())


def read_back(ws, sandbox, api: str) -> dict[str, dict[str, Any]]:
    """Marker key → ``{"record": JSON as read back, "files": {key: bytes}}``."""
    with Ledger.for_workspace(ws) as led:
        rows = led.records(state="published")
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    out = {}
    with httpx.Client(base_url=sandbox.url, headers=headers, timeout=60) as http:
        for row in rows.itertuples():
            native = None
            if api == "legacy":
                rec = http.get(f"/api/deposit/depositions/{row.remote_id}")
                native = http.get(
                    f"/api/records/{row.remote_id}", headers={"Accept": NATIVE}
                ).json()
            else:
                rec = http.get(f"/api/records/{row.remote_id}", headers={"Accept": NATIVE})
            assert rec.status_code == 200, (row.marker_key, rec.status_code, rec.text[:300])
            body = rec.json()
            files = {}
            if api == "legacy":
                # Zenodo hard-codes links.download to the *draft* files path, which a
                # published record no longer has (zenodo-api.md §7): read the record's files.
                for f in body["files"]:
                    got = http.get(f"/api/records/{row.remote_id}/files/{f['filename']}/content")
                    assert got.status_code == 200, (row.marker_key, f["filename"], got.status_code)
                    files[f["filename"]] = got.content
            else:
                listing = http.get(
                    f"/api/records/{row.remote_id}/files", headers={"Accept": NATIVE}
                )
                for entry in listing.json()["entries"]:
                    content = http.get(f"/api/records/{row.remote_id}/files/{entry['key']}/content")
                    files[entry["key"]] = content.content
            out[row.marker_key] = {
                "record": body,
                "native": native,
                "files": files,
                "doi": row.doi,
            }
    return out


def _norm_license(value: Any) -> str:
    value = value.get("id") if isinstance(value, dict) else value
    return {"cc-zero": "cc0-1.0", "cc-by": "cc-by-4.0"}.get(str(value).lower(), str(value).lower())


def _norm_grant(grant: dict) -> str:
    return str(grant["id"]).rpartition("::")[2]


def _norm_date(d: dict) -> tuple:
    start = d.get("start") or d.get("end")
    end = d.get("end") or d.get("start")
    if start == end:
        # Zenodo's legacy serializer reads a single date (start = end) back with
        # neither start nor end (zenodo-api.md §7); the native read holds it.
        start = end = None
    return (start, end, str(d.get("type", "")).lower(), d.get("description"))


def _native_dates(native: dict) -> list[tuple]:
    """The native record's dates in the legacy shape's normal form (the stored truth)."""
    out = []
    for d in native.get("metadata", {}).get("dates", []):
        start, _, end = str(d["date"]).partition("/")
        out.append((start, end or start, d["type"]["id"], d.get("description")))
    return out


def same_legacy(sent: dict, got: dict, native: dict | None = None) -> list[str]:
    """Differences between the legacy metadata sent and read back (``[]`` if the same).

    ``native`` is the same record read through the native API: what the legacy
    read-back cannot show (a single date) is checked there.
    """
    problems = []
    for key, value in sent.items():
        if key == "communities":
            continue  # requested at publish; membership is the community's decision
        if key not in got:
            problems.append(f"{key}: sent {value!r}, not read back")
            continue
        back = got[key]
        if key == "license":
            ok = _norm_license(value) == _norm_license(back)
        elif key == "grants":
            ok = [_norm_grant(g) for g in value] == [_norm_grant(g) for g in back]
        elif key == "related_identifiers":
            ok = [(r["identifier"], r["relation"]) for r in value] == [
                (r["identifier"], r["relation"]) for r in back
            ]
        elif key == "dates":
            ok = [_norm_date(d) for d in value] == [_norm_date(d) for d in back]
            if ok and native is not None:
                full = [
                    (
                        d.get("start") or d.get("end"),
                        d.get("end") or d.get("start"),
                        str(d["type"]).lower(),
                        d.get("description"),
                    )
                    for d in value
                ]
                ok = full == _native_dates(native)
        else:
            ok = value == back
        if not ok:
            problems.append(f"{key}: sent {value!r}, read back {back!r}")
    added = set(got) - set(sent) - {"doi", "prereserve_doi", "imprint_publisher", "communities"}
    if added:
        problems.append(f"read back with extra keys {sorted(added)}")
    if "imprint_publisher" not in sent and got.get("imprint_publisher") not in (None, "Zenodo"):
        problems.append(f"imprint_publisher {got.get('imprint_publisher')!r}")
    return problems


def same_native(sent: dict, got: dict) -> list[str]:
    """Differences between the native body sent and the record read back."""
    problems = []
    md_sent, md_got = sent["metadata"], got["metadata"]
    for key, value in md_sent.items():
        if md_got.get(key) != value:
            problems.append(f"metadata.{key}: sent {value!r}, read back {md_got.get(key)!r}")
    extra = set(md_got) - set(md_sent) - {"publisher"}
    if extra:
        problems.append(f"metadata read back with extra keys {sorted(extra)}")
    if got.get("custom_fields") != sent["custom_fields"]:
        problems.append(
            f"custom_fields: sent {json.dumps(sent['custom_fields'])[:300]}, "
            f"read back {json.dumps(got.get('custom_fields'))[:300]}"
        )
    access = got.get("access", {})
    for key in ("record", "files"):
        if access.get(key) != sent["access"][key]:
            problems.append(f"access.{key}: {access.get(key)!r}")
    return problems
