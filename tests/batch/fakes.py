"""An in-memory repository client implementing the RepositoryClient protocol, with faults.

Used by the unit tests of the runner (the integration tests use the real
sandbox and clients). Faults are queued per operation with :meth:`FakeClient.fail`:

``transient``        raise Transient(503) before any effect
``notfound``         raise NotFound(404) before any effect
``rejected``         raise Rejected(400) with a field message
``auth``             raise AuthenticationError(401)
``rate``             raise RateLimited(retry_after=0.01)
``ambiguous``        apply the effect, then raise Ambiguous (lost answer)
``ambiguous_before`` raise Ambiguous, no effect
``mismatch``         (upload) store a corrupted checksum and raise ChecksumMismatch
``bug``              apply the effect, then raise RuntimeError (an unexpected error)
``crash_before``     raise SimulatedCrash (a BaseException, like kill -9) before the effect
``crash_after``      apply the effect, then raise SimulatedCrash
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specpub.errors import (
    Ambiguous,
    AuthenticationError,
    ChecksumMismatch,
    FieldError,
    InputError,
    NotFound,
    RateLimited,
    Rejected,
    Transient,
)
from specpub.repository.protocol import Marker, RemoteFile, RemoteRecord


class SimulatedCrash(BaseException):
    """Stands for kill -9: nothing in the runner may catch it."""


@dataclass
class _Rec:
    id: str
    concept_id: str
    marker: Marker | None
    metadata: dict[str, Any]
    created: int
    visible_at: float
    draft: dict[str, str] | None = field(default_factory=dict)  # key -> md5 (None: no draft)
    published: dict[str, str] | None = None
    doi: str | None = None
    is_new_version_of: str | None = None


class FakeServer:
    """The repository state, shared by clients (so a 'restarted runner' sees the same server)."""

    def __init__(self, *, index_lag: float = 0.0) -> None:
        self.records: dict[str, _Rec] = {}
        self.ids = itertools.count(100)
        self.order = itertools.count()
        self.index_lag = index_lag

    def published(self) -> list[_Rec]:
        return [r for r in self.records.values() if r.published is not None]

    def drafts(self) -> list[_Rec]:
        return [r for r in self.records.values() if r.draft is not None]

    def by_marker(self) -> dict[Marker | None, list[_Rec]]:
        out: dict[Marker | None, list[_Rec]] = {}
        for r in self.records.values():
            out.setdefault(r.marker, []).append(r)
        return out


def _marker_of(payload: dict[str, Any], api: str) -> Marker | None:
    custom = (payload.get("metadata") or {}).get("custom") if api == "legacy" else None
    if api != "legacy":
        custom = payload.get("custom_fields")
    return Marker.from_custom_fields(custom)


class FakeClient:
    """In-memory RepositoryClient with injectable faults and a request log."""

    def __init__(self, server: FakeServer | None = None, *, api: str = "legacy") -> None:
        self.server = server or FakeServer()
        self.api = api
        self.base_url = "http://fake.invalid"
        self.rate_limit = None
        self.token_env = "ZENODO_TOKEN"
        self.faults: dict[str, list[str]] = {}
        self.calls: Counter[str] = Counter()
        self.log: list[tuple[str, str | None]] = []
        self.outage_until = 0.0
        self.outage_status = 404

    def outage(self, seconds: float, status: int = 404, *, at: str | None = None) -> None:
        """Every request fails with ``status`` for ``seconds`` (like Zenodo in May 2019).

        ``at``: the outage begins with the first call of that operation (e.g. ``"create"``,
        after the preflight listing), not now.
        """
        if at is not None:
            self.outage_at = (at, seconds, status)
            return
        self.outage_until = time.monotonic() + seconds
        self.outage_status = status

    # -- fault control ---------------------------------------------------------
    def fail(self, op: str, *kinds: str) -> None:
        """Queue faults for the next calls of ``op`` (one per call, in order)."""
        self.faults.setdefault(op, []).extend(kinds)

    async def _enter(self, op: str, ident: str | None = None) -> str | None:
        self.calls[op] += 1
        self.log.append((op, ident))
        await asyncio.sleep(0)
        pending = getattr(self, "outage_at", None)
        if pending is not None and pending[0] == op:
            self.outage_at = None
            self.outage(pending[1], pending[2])
        if time.monotonic() < self.outage_until:
            if self.outage_status == 404:
                raise NotFound("Not Found (outage)", status=404, step=op)
            raise Transient("Service Unavailable (outage)", status=503, step=op)
        queue = self.faults.get(op)
        kind = queue.pop(0) if queue else None
        if kind == "transient":
            raise Transient("Service Unavailable", status=503, step=op)
        if kind == "notfound":
            raise NotFound("Not Found", status=404, step=op)
        if kind == "rejected":
            raise Rejected(
                "A validation error occurred.",
                status=400,
                step=op,
                errors=[FieldError("metadata.title", ("Missing data for required field.",))],
            )
        if kind == "auth":
            raise AuthenticationError("token refused", status=401, step=op)
        if kind == "rate":
            raise RateLimited("Too Many Requests", status=429, retry_after=0.01, step=op)
        if kind == "ambiguous_before":
            raise Ambiguous("read timeout", step=op)
        if kind == "crash_before":
            raise SimulatedCrash(op)
        return kind

    @staticmethod
    def _exit(kind: str | None, op: str) -> None:
        if kind == "ambiguous":
            raise Ambiguous("connection dropped after sending", status=None, step=op)
        if kind == "crash_after":
            raise SimulatedCrash(op)
        if kind == "bug":
            raise RuntimeError(f"unexpected failure in {op}")

    def _get(self, record_id: str) -> _Rec:
        rec = self.server.records.get(str(record_id))
        if rec is None:
            raise NotFound(f"record {record_id} not found", status=404)
        return rec

    def _view(self, rec: _Rec, *, listing: bool = False) -> RemoteRecord:
        if rec.draft is not None:
            state = "edit-draft" if rec.published is not None else "draft"
            files = rec.draft
        else:
            state = "published"
            files = rec.published or {}
        return RemoteRecord(
            id=rec.id,
            state=state,  # type: ignore[arg-type]
            is_published=rec.published is not None,
            concept_id=rec.concept_id,
            doi=rec.doi,
            bucket=None if listing else f"http://fake/files/{rec.id}",
            created=f"{rec.created:09d}",
            files=None
            if listing
            else tuple(RemoteFile(key=k, size=1, md5=m) for k, m in sorted(files.items())),
            marker=rec.marker,
            links={"html": f"http://fake/records/{rec.id}"},
        )

    # -- protocol --------------------------------------------------------------
    async def create(self, payload: dict[str, Any]) -> RemoteRecord:
        kind = await self._enter("create")
        rid = str(next(self.server.ids))
        rec = _Rec(
            id=rid,
            concept_id=str(int(rid) * 1000),
            marker=_marker_of(payload, self.api),
            metadata=dict(payload),
            created=next(self.server.order),
            visible_at=time.monotonic() + self.server.index_lag,
        )
        self.server.records[rid] = rec
        self._exit(kind, "create")
        return self._view(rec)

    async def update(self, record_id: str, payload: dict[str, Any]) -> RemoteRecord:
        kind = await self._enter("update", record_id)
        rec = self._get(record_id)
        if rec.draft is None:
            raise NotFound("no draft", status=404)
        rec.metadata = dict(payload)
        self._exit(kind, "update")
        return self._view(rec)

    async def upload(
        self,
        record: RemoteRecord,
        path: Path,
        key: str,
        *,
        md5: str | None = None,
        size: int | None = None,
    ) -> RemoteFile:
        kind = await self._enter("upload", record.id)
        data = Path(path).read_bytes()
        local = hashlib.md5(data).hexdigest()
        if md5 is not None and local != md5:
            raise InputError(f"file {key} changed since it was scanned", file=str(path))
        rec = self._get(record.id)
        if rec.draft is None:
            raise NotFound("no draft", status=404)
        if kind == "mismatch":
            rec.draft[key] = "f" * 32
            raise ChecksumMismatch(
                "checksum differs", key=key, local_md5=local, remote_checksum="f" * 32
            )
        rec.draft[key] = local
        self._exit(kind, "upload")
        return RemoteFile(key=key, size=len(data), md5=local, file_id=f"{record.id}/{key}")

    async def list_files(self, record_id: str) -> list[RemoteFile]:
        kind = await self._enter("list_files", record_id)
        rec = self._get(record_id)
        files = rec.draft if rec.draft is not None else (rec.published or {})
        self._exit(kind, "list_files")
        return [RemoteFile(key=k, size=1, md5=m) for k, m in sorted(files.items())]

    async def delete_file(self, record_id: str, key: str) -> None:
        kind = await self._enter("delete_file", record_id)
        rec = self._get(record_id)
        if rec.draft is not None:
            rec.draft.pop(key, None)
        self._exit(kind, "delete_file")

    async def publish(self, record_id: str) -> RemoteRecord:
        kind = await self._enter("publish", record_id)
        rec = self._get(record_id)
        if rec.draft is None:
            raise NotFound("no draft to publish", status=404)
        if not rec.draft:
            raise Rejected(
                "A validation error occurred.",
                status=400,
                errors=[FieldError("files.enabled", ("Missing uploaded files.",))],
            )
        rec.published = dict(rec.draft)
        rec.draft = None
        rec.doi = f"10.5072/fake.{rec.id}"
        self._exit(kind, "publish")
        return self._view(rec)

    async def get(self, record_id: str) -> RemoteRecord:
        kind = await self._enter("get", record_id)
        rec = self._get(record_id)
        self._exit(kind, "get")
        return self._view(rec)

    async def search(
        self, query: str, *, page: int = 1, size: int = 100, sort: str = "newest"
    ) -> list[RemoteRecord]:
        kind = await self._enter("search")
        now = time.monotonic()
        hits = [r for r in self.server.records.values() if r.visible_at <= now]
        self._exit(kind, "search")
        return [self._view(r, listing=True) for r in hits[:size]]

    async def list_records(
        self, query: str = "", *, page: int = 1, size: int = 100, sort: str = "oldest"
    ) -> list[RemoteRecord]:
        """The user's records, oldest first, as the lagging index shows them (query ignored)."""
        kind = await self._enter("list_records")
        now = time.monotonic()
        hits = sorted(
            (r for r in self.server.records.values() if r.visible_at <= now),
            key=lambda r: r.created,
        )
        self._exit(kind, "list_records")
        return [self._view(r, listing=True) for r in hits[(page - 1) * size : page * size]]

    async def find_by_markers(self, markers: list[Marker]) -> dict[Marker, list[RemoteRecord]]:
        kind = await self._enter("find_by_markers")
        now = time.monotonic()
        out: dict[Marker, list[RemoteRecord]] = {m: [] for m in markers}
        for r in self.server.records.values():
            if r.marker in out and r.visible_at <= now:
                out[r.marker].append(self._view(r, listing=True))
        self._exit(kind, "find_by_markers")
        return out

    async def delete_draft(self, record_id: str) -> None:
        kind = await self._enter("delete_draft", record_id)
        rec = self.server.records.get(str(record_id))
        if rec is not None and rec.draft is not None:
            if rec.published is None:
                del self.server.records[rec.id]
            else:
                rec.draft = None
        self._exit(kind, "delete_draft")

    async def edit(self, record_id: str) -> RemoteRecord:
        kind = await self._enter("edit", record_id)
        rec = self._get(record_id)
        if rec.published is None:
            raise NotFound("not published", status=404)
        if rec.draft is None:
            rec.draft = dict(rec.published)
        self._exit(kind, "edit")
        return self._view(rec)

    async def new_version(self, record_id: str) -> RemoteRecord:
        kind = await self._enter("new_version", record_id)
        base = self._get(record_id)
        if base.published is None:
            raise NotFound("not published", status=404)
        for r in self.server.records.values():
            if r.is_new_version_of == base.id and r.published is None:
                self._exit(kind, "new_version")
                return self._view(r)
        rid = str(next(self.server.ids))
        rec = _Rec(
            id=rid,
            concept_id=base.concept_id,
            marker=base.marker,
            metadata=dict(base.metadata),
            created=next(self.server.order),
            visible_at=time.monotonic() + self.server.index_lag,
            draft=dict(base.published),
            is_new_version_of=base.id,
        )
        self.server.records[rid] = rec
        self._exit(kind, "new_version")
        return self._view(rec)

    async def aclose(self) -> None:
        return None
