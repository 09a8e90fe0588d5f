"""Client for the InvenioRDM records API (``/api/records``), as on zenodo.org.

Every request sends ``Accept: application/vnd.inveniordm.v1+json``: Zenodo
answers ``application/json`` with its own legacy-style shape instead.

Files use the local transfer: init (``POST …/draft/files``), content
(``PUT …/content``), commit (``POST …/commit``); the commit's checksum is
compared with the MD5 computed while sending.

New versions: ``POST /api/records/{id}/versions`` opens a draft **without**
the previous version's files. :meth:`NativeClient.new_version` does not
import them, because a new version usually exists to change files; call
:meth:`NativeClient.import_files` to link the previous files when wanted.

Examples
--------
>>> rec = parse_record({"id": "abc-12", "is_published": False, "is_draft": True,
...                     "parent": {"id": "abc-11"}, "metadata": {"title": "T"},
...                     "custom_fields": {"dwc:catalogNumber": ["X"],
...                                       "dwc:institutionCode": ["BR"]},
...                     "errors": [{"field": "custom_fields.dwc:foo", "messages": ["Unknown"]}]})
>>> rec.state, rec.concept_id, rec.marker.key, rec.errors[0].field
('draft', 'abc-11', 'BR|X', 'custom_fields.dwc:foo')
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from specpub.errors import FieldError, NotFound, Rejected, Transient
from specpub.repository._base import (
    BaseClient,
    as_int,
    path_segment,
    plain_md5,
    str_links,
    trimmed_custom,
)
from specpub.repository._upload import FileSource
from specpub.repository.protocol import Marker, RemoteFile, RemoteRecord

__all__ = ["NativeClient", "parse_native_file", "parse_record"]

logger = logging.getLogger("specpub.repository")

ACCEPT = "application/vnd.inveniordm.v1+json"


def parse_native_file(data: Mapping[str, Any]) -> RemoteFile:
    """A native file entry as a :class:`RemoteFile` (``md5:`` stripped).

    Examples
    --------
    >>> f = parse_native_file({"key": "a.tif", "status": "pending", "size": None})
    >>> f.status, f.md5
    ('pending', None)
    """
    status = data.get("status") or "completed"
    return RemoteFile(
        key=str(data.get("key", "")),
        size=as_int(data.get("size")),
        md5=plain_md5(data.get("checksum")),
        file_id=None if data.get("file_id") is None else str(data.get("file_id")),
        status=str(status),
        links=str_links(data.get("links")),
    )


def _entries(files: Any) -> tuple[RemoteFile, ...] | None:
    """File entries from a files list (``entries`` list) or a record's ``files`` (dict)."""
    if not isinstance(files, Mapping):
        return None
    entries = files.get("entries")
    if isinstance(entries, Mapping):
        return tuple(
            parse_native_file({"key": k, **v}) for k, v in entries.items() if isinstance(v, Mapping)
        )
    if isinstance(entries, list):
        return tuple(parse_native_file(e) for e in entries if isinstance(e, Mapping))
    return None


def _doi(pids: Any) -> str | None:
    if isinstance(pids, Mapping) and isinstance(pids.get("doi"), Mapping):
        return pids["doi"].get("identifier") or None
    return None


def parse_record(data: Mapping[str, Any], *, from_list: bool = False) -> RemoteRecord:
    """A native record or draft JSON as a :class:`RemoteRecord`.

    State: ``is_draft`` and not ``is_published`` → ``"draft"``; a draft of a
    published record, or a published record with ``has_draft`` → ``"edit-draft"``;
    otherwise ``"published"``.

    Examples
    --------
    >>> parse_record({"id": "1", "is_published": True, "is_draft": False,
    ...               "pids": {"doi": {"identifier": "10.5072/zenodo.1"}}}).doi
    '10.5072/zenodo.1'
    """
    is_published = bool(data.get("is_published"))
    is_draft = bool(data.get("is_draft"))
    if is_draft:
        state = "edit-draft" if is_published else "draft"
    else:
        state = "edit-draft" if data.get("has_draft") else "published"
    parent = data.get("parent") if isinstance(data.get("parent"), Mapping) else {}
    metadata = data.get("metadata") if isinstance(data.get("metadata"), Mapping) else {}
    files = _entries(data.get("files"))
    if from_list and is_draft and not files:
        files = None
    custom = data.get("custom_fields")
    return RemoteRecord(
        id=str(data.get("id", "")),
        state=state,  # type: ignore[arg-type]
        is_published=is_published,
        concept_id=None if parent.get("id") is None else str(parent["id"]),
        doi=_doi(data.get("pids")),
        concept_doi=_doi(parent.get("pids")),
        bucket=None,
        title=metadata.get("title") or None,
        created=data.get("created"),
        files=files,
        marker=Marker.from_custom_fields(custom if isinstance(custom, Mapping) else None),
        links=str_links(data.get("links")),
        raw=dict(data),
        errors=FieldError.parse_list(data.get("errors")),
    )


def native_body(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The body to send for a native create/update, custom-field values trimmed.

    Examples
    --------
    >>> native_body({"custom_fields": {"dwc:catalogNumber": ["BR9 "]}})
    {'custom_fields': {'dwc:catalogNumber': ['BR9']}}
    """
    body = dict(payload)
    if "custom_fields" in body:
        body["custom_fields"] = trimmed_custom(body["custom_fields"])
    return body


def _already_exists(err: Rejected) -> bool:
    return err.status == 409 or (err.status == 400 and "already exist" in err.message.lower())


class NativeClient(BaseClient):
    """Async client for the InvenioRDM records API.

    Parameters are those of :class:`~specpub.repository.legacy.LegacyClient`.

    Examples
    --------
    >>> import os
    >>> os.environ["SPECPUB_DOCTEST_TOKEN"] = "secret-value"
    >>> client = NativeClient("https://inveniordm.example.org", token_env="SPECPUB_DOCTEST_TOKEN")
    >>> client.api, "secret-value" in repr(client)
    ('native', False)
    >>> del os.environ["SPECPUB_DOCTEST_TOKEN"]
    """

    api = "native"
    _parse_record = staticmethod(parse_record)
    _accept = ACCEPT

    @staticmethod
    def _rec(record_id: str, suffix: str = "") -> str:
        return "/api/records/" + path_segment(str(record_id), what="record id") + suffix

    async def create(self, payload: Mapping[str, Any]) -> RemoteRecord:
        """Create a draft with the full native body: one POST (not idempotent).

        The server validates leniently: dropped parts are listed in
        :attr:`RemoteRecord.errors`.
        """
        return await self._record(
            "POST",
            "/api/records",
            step="create",
            idempotent=False,
            resource=False,
            json_body=native_body(payload),
            ok=(200, 201),
        )

    async def update(self, record_id: str, payload: Mapping[str, Any]) -> RemoteRecord:
        """Replace the whole draft (``PUT …/draft``)."""
        return await self._record(
            "PUT",
            self._rec(record_id, "/draft"),
            step="update",
            idempotent=True,
            json_body=native_body(payload),
            ok=(200,),
        )

    async def get(self, record_id: str) -> RemoteRecord:
        """The open draft, else the published record; with its files (one extra request)."""
        try:
            record = await self._record(
                "GET", self._rec(record_id, "/draft"), step="get", idempotent=True, ok=(200,)
            )
            files_url = self._rec(record_id, "/draft/files")
        except NotFound:
            record = await self._record(
                "GET", self._rec(record_id), step="get", idempotent=True, ok=(200,)
            )
            files_url = self._rec(record_id, "/files")
        if record.files is None:
            try:
                files = await self._files(files_url, step="get")
            except NotFound:
                files = None
            if files is not None:
                record = replace(record, files=tuple(files))
        return record

    async def publish(self, record_id: str) -> RemoteRecord:
        """Publish the draft; returns the published record with its DOI (not idempotent)."""
        return await self._record(
            "POST",
            self._rec(record_id, "/draft/actions/publish"),
            step="publish",
            idempotent=False,
        )

    async def edit(self, record_id: str) -> RemoteRecord:
        """Open an edit draft of a published record (``POST …/draft``; idempotent)."""
        return await self._record(
            "POST", self._rec(record_id, "/draft"), step="edit", idempotent=True
        )

    async def new_version(self, record_id: str) -> RemoteRecord:
        """Open a new-version draft (``POST …/versions``) and return it, **without files**.

        Call :meth:`import_files` on the new draft's id to link the previous
        version's files, or upload the new ones.
        """
        return await self._record(
            "POST", self._rec(record_id, "/versions"), step="new_version", idempotent=True
        )

    async def import_files(self, record_id: str) -> list[RemoteFile]:
        """Link the previous version's files into the new-version draft ``record_id``."""
        data = await self._http.json(
            "POST",
            self._rec(record_id, "/draft/actions/files-import"),
            step="import_files",
            idempotent=False,
            resource=True,
            ok=(200, 201),
        )
        return list(_entries(data) or ())

    async def delete_draft(self, record_id: str) -> None:
        """Delete the draft (``DELETE …/draft``); a 404 counts as done."""
        await self._delete(
            "DELETE", self._rec(record_id, "/draft"), step="delete_draft", ok=(200, 202, 204)
        )

    async def _files(self, url: str, *, step: str) -> list[RemoteFile]:
        data = await self._http.json(
            "GET", url, step=step, idempotent=True, resource=True, ok=(200,), expect=dict
        )
        return list(_entries(data) or ())

    async def list_files(self, record_id: str) -> list[RemoteFile]:
        """The draft's files, or the published record's if there is no draft."""
        try:
            return await self._files(self._rec(record_id, "/draft/files"), step="list_files")
        except NotFound:
            return await self._files(self._rec(record_id, "/files"), step="list_files")

    def _file(self, record_id: str, key: str, suffix: str = "") -> str:
        return self._rec(
            record_id,
            "/draft/files/" + path_segment(key, what="file key", allow_slash=True) + suffix,
        )

    async def delete_file(self, record_id: str, key: str) -> None:
        """Delete file ``key`` from the draft; a 404 counts as done."""
        await self._delete("DELETE", self._file(record_id, key), step="delete_file", ok=(200, 204))

    async def search(
        self, query: str, *, page: int = 1, size: int = 100, sort: str = "newest"
    ) -> list[RemoteRecord]:
        """Search own drafts and records (``GET /api/user/records``)."""
        data = await self._search_page(
            "/api/user/records", query, page=page, size=size, sort=sort, expect=dict
        )
        hits = data.get("hits")
        hits = hits.get("hits") if isinstance(hits, Mapping) else None
        if not isinstance(hits, list):
            return []
        return [parse_record(h, from_list=True) for h in hits if isinstance(h, Mapping)]

    async def list_records(
        self, query: str = "", *, page: int = 1, size: int = 100, sort: str = "oldest"
    ) -> list[RemoteRecord]:
        """One page of the caller's own records, every version, drafts and published.

        ``GET /api/user/records?allversions=true`` (counted against the global
        rate limit, not the public search's). Oldest first by default. See
        :mod:`specpub.batch.inventory`.
        """
        data = await self._search_page(
            "/api/user/records", query, page=page, size=size, sort=sort, expect=dict,
            extra={"allversions": "true"}, step="list", endpoint="list",
        )  # fmt: skip
        hits = data.get("hits")
        hits = hits.get("hits") if isinstance(hits, Mapping) else None
        if not isinstance(hits, list):
            return []
        return [parse_record(h, from_list=True) for h in hits if isinstance(h, Mapping)]

    async def _init(self, record_id: str, src: FileSource) -> None:
        await self._http.json(
            "POST",
            self._rec(record_id, "/draft/files"),
            step="upload",
            idempotent=False,
            resource=True,
            json_body=[{"key": src.key, "size": src.size}],
            ok=(200, 201),
        )

    async def _entry(self, record_id: str, key: str) -> RemoteFile:
        data = await self._http.json(
            "GET",
            self._file(record_id, key),
            step="upload",
            idempotent=True,
            resource=True,
            ok=(200,),
            expect=dict,
        )
        return parse_native_file({"key": key, **data})

    async def upload(
        self,
        record: RemoteRecord,
        path: Path,
        key: str,
        *,
        md5: str | None = None,
        size: int | None = None,
    ) -> RemoteFile:
        """Init, stream the content, commit, and verify the commit's checksum.

        Safe to repeat. If init answers "already exists", the entry is read:
        completed with the same MD5 → done (nothing sent); pending → content
        and commit; completed with another MD5 → deleted and uploaded again.
        The local MD5 is the scanned ``md5`` if given, else it is computed.

        Raises
        ------
        InputError
            The file differs from the scan (``md5``/``size``): not committed.
        ChecksumMismatch
            The committed checksum or size differs from what was sent.
        """
        src = self._source(path, key, md5, size)
        record_id = record.id
        try:
            await self._init(record_id, src)
        except Rejected as err:
            if not _already_exists(err):
                raise
            entry = await self._entry(record_id, key)
            if entry.status == "completed":
                local = src.scanned_md5 or await src.compute_md5()
                if entry.md5 == local and (entry.size is None or entry.size == src.size):
                    logger.debug(
                        "file %s of %s already committed with the same MD5", key, record_id
                    )
                    return entry
                logger.info("file %s of %s differs on the server: replacing it", key, record_id)
                await self.delete_file(record_id, key)
                await self._init(record_id, src)
        content_url = self._file(record_id, key, "/content")
        await self._http.send(
            "PUT",
            content_url,
            step="upload",
            idempotent=True,
            resource=True,
            content=src.stream(),
            headers=src.headers,
            ok=(200, 201),
        )
        src.check_scanned_md5()
        commit_url = self._file(record_id, key, "/commit")
        data = await self._http.json(
            "POST",
            commit_url,
            step="upload",
            idempotent=True,
            resource=True,
            ok=(200, 201),
            expect=dict,
        )
        remote = parse_native_file({"key": key, **data})
        if remote.md5 is None:  # some servers fill the checksum in a moment later
            remote = await self._entry(record_id, key)
        if remote.status != "completed":
            raise Transient(
                f"the server did not complete file {key!r} after commit (status {remote.status!r})",
                step="upload",
                method="POST",
                url=self._http.url(commit_url),
            )
        return self._verify(
            src, remote, step="upload", method="POST", url=self._http.url(commit_url)
        )
