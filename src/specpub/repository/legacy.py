"""Client for the Zenodo legacy deposit API (``/api/deposit/depositions``).

Files go through the bucket API (``PUT {links.bucket}/{key}``), which replaces
an existing key and is therefore safe to repeat. Deposition ids are integers
on the wire and strings in :class:`~specpub.repository.protocol.RemoteRecord`.

Examples
--------
>>> rec = parse_deposition({"id": 7, "conceptrecid": "6", "state": "done", "submitted": True,
...                         "doi": "10.5072/zenodo.7",
...                         "files": [{"id": "f1", "filename": "a.jpg", "filesize": 3.0,
...                                    "checksum": "900150983cd24fb0d6963f7d28e17f72"}],
...                         "metadata": {"custom": {"dwc:catalogNumber": ["BR1"]}}})
>>> rec.id, rec.state, rec.doi, rec.files[0].size, rec.marker
('7', 'published', '10.5072/zenodo.7', 3, Marker(catalog_number='BR1', institution_code=None))
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from specpub.errors import InputError, NotFound, Rejected
from specpub.repository._base import (
    BaseClient,
    as_int,
    path_segment,
    plain_md5,
    str_links,
    trimmed_custom,
)
from specpub.repository.protocol import Marker, RemoteFile, RemoteRecord

__all__ = ["LegacyClient", "parse_deposition", "parse_legacy_file"]

logger = logging.getLogger("specpub.repository")

_STATES = {"unsubmitted": "draft", "inprogress": "edit-draft", "done": "published"}
_SORTS = {"newest": "mostrecent", "oldest": "-mostrecent"}
_DEPOSITIONS = "/api/deposit/depositions"


def parse_legacy_file(data: Mapping[str, Any]) -> RemoteFile:
    """A legacy deposit file object, or a bucket object, as a :class:`RemoteFile`.

    Examples
    --------
    >>> parse_legacy_file({"key": "a.jpg", "size": 3, "checksum": "md5:ABC"}).md5
    'abc'
    """
    key = data.get("filename") or data.get("key") or ""
    return RemoteFile(
        key=str(key),
        size=as_int(data.get("filesize", data.get("size"))),
        md5=plain_md5(data.get("checksum")),
        file_id=None if data.get("id") is None else str(data.get("id")),
        status="completed",
        links=str_links(data.get("links")),
    )


def parse_deposition(data: Mapping[str, Any], *, from_list: bool = False) -> RemoteRecord:
    """A legacy deposition JSON as a :class:`RemoteRecord`.

    ``from_list``: the object came from a list/search result, where drafts
    show ``files: []`` (files are not indexed for drafts) and there is no
    ``links.bucket``; ``files`` is then ``None`` unless the list is non-empty.

    Examples
    --------
    >>> parse_deposition({"id": 5, "state": "unsubmitted", "submitted": False,
    ...                   "files": []}, from_list=True).files is None
    True
    """
    submitted = bool(data.get("submitted"))
    state = _STATES.get(str(data.get("state")), "published" if submitted else "draft")
    links = str_links(data.get("links"))
    metadata = data.get("metadata") if isinstance(data.get("metadata"), Mapping) else {}
    files_raw = data.get("files")
    files: tuple[RemoteFile, ...] | None = None
    if isinstance(files_raw, list) and (files_raw or not from_list):
        files = tuple(parse_legacy_file(f) for f in files_raw if isinstance(f, Mapping))
    title = data.get("title") or metadata.get("title") or None
    concept = data.get("conceptrecid")
    return RemoteRecord(
        id=str(data.get("id", data.get("record_id", ""))),
        state=state,  # type: ignore[arg-type]
        is_published=submitted or state != "draft",
        concept_id=None if concept in (None, "") else str(concept),
        doi=data.get("doi") or None,
        concept_doi=data.get("conceptdoi") or None,
        bucket=links.get("bucket"),
        title=title,
        created=data.get("created"),
        files=files,
        marker=Marker.from_custom_fields(metadata.get("custom")),
        links=links,
        raw=dict(data),
    )


#: Legacy metadata that crashes Zenodo's deserializer (an HTTP 500, not a 400): the list,
#: and the key each of its items must have (``docs/zenodo-api.md`` §7).
_REQUIRED_ITEM_KEYS = (
    ("locations", "place"),
    ("related_identifiers", "relation"),
    ("related_identifiers", "identifier"),
    ("dates", "type"),
    ("grants", "id"),
)


def legacy_body(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The body to send for a legacy create/update: checked and with custom values trimmed.

    Raises
    ------
    InputError
        For metadata that Zenodo cannot load at all (it answers 500, which a client could
        retry forever): the field and what to add.

    Examples
    --------
    >>> legacy_body({"metadata": {"custom": {"dwc:catalogNumber": [" BR9 "]}}})
    {'metadata': {'custom': {'dwc:catalogNumber': ['BR9']}}}
    >>> legacy_body({"metadata": {"locations": [{"lat": 50.9, "lon": 4.3}]}})
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: field 'metadata.locations.0.place': ...
    """
    body = dict(payload)
    metadata = body.get("metadata")
    if not isinstance(metadata, Mapping):
        return body
    for key, required in _REQUIRED_ITEM_KEYS:
        items = metadata.get(key)
        for i, item in enumerate(items if isinstance(items, list) else ()):
            if not isinstance(item, Mapping) or required not in item:
                raise InputError(
                    f"every entry of {key} needs {required!r} (Zenodo's legacy API fails "
                    "with HTTP 500 without it)",
                    field=f"metadata.{key}.{i}.{required}",
                    fix=f"add {required!r} to the entry, or leave the entry out",
                )
    if "custom" in metadata:
        body["metadata"] = {**metadata, "custom": trimmed_custom(metadata["custom"])}
    return body


def _legacy_id(record_id: str | int) -> str:
    text = str(record_id).strip()
    if not text.isdigit():
        raise InputError(
            f"{record_id!r} is not a Zenodo deposition id (legacy ids are numbers)",
            fix="pass the numeric id the repository returned",
        )
    return text


class LegacyClient(BaseClient):
    """Async client for the Zenodo legacy deposit API.

    Parameters
    ----------
    base_url
        ``https://zenodo.org``, ``https://sandbox.zenodo.org`` or the embedded
        sandbox's ``http://127.0.0.1:PORT``.
    token_env
        NAME of the environment variable with the token (keyring fallback).
    concurrency
        Size of the connection pool (match the batch concurrency).
    timeout
        Seconds, or an ``httpx.Timeout``.
    on_response
        ``hook(status, RateLimitInfo)`` called after every response.
    max_query_length
        Longest marker query sent at once.
    transport
        An httpx transport (for tests).

    Examples
    --------
    >>> import os
    >>> os.environ["SPECPUB_DOCTEST_TOKEN"] = "secret-value"
    >>> client = LegacyClient("https://sandbox.zenodo.org", token_env="SPECPUB_DOCTEST_TOKEN")
    >>> client
    LegacyClient('https://sandbox.zenodo.org', token from env:SPECPUB_DOCTEST_TOKEN)
    >>> client.api
    'legacy'
    >>> del os.environ["SPECPUB_DOCTEST_TOKEN"]
    """

    api = "legacy"
    _parse_record = staticmethod(parse_deposition)
    _accept = "application/json"

    def _dep(self, record_id: str | int, suffix: str = "") -> str:
        return f"{_DEPOSITIONS}/{_legacy_id(record_id)}{suffix}"

    async def create(self, payload: Mapping[str, Any]) -> RemoteRecord:
        """Create a deposition with its full metadata (``{"metadata": {...}}``): one POST.

        Not idempotent: a lost answer raises :class:`~specpub.errors.Ambiguous`
        and the caller must look the marker up before creating again.
        """
        return await self._record(
            "POST",
            _DEPOSITIONS,
            step="create",
            idempotent=False,
            resource=False,
            json_body=legacy_body(payload),
            ok=(200, 201),
        )

    async def update(self, record_id: str, payload: Mapping[str, Any]) -> RemoteRecord:
        """Replace the draft's whole metadata (send all of it)."""
        return await self._record(
            "PUT",
            self._dep(record_id),
            step="update",
            idempotent=True,
            json_body=legacy_body(payload),
            ok=(200,),
        )

    async def get(self, record_id: str) -> RemoteRecord:
        """The deposition: its draft if one is open, else the published record; with files."""
        return await self._record(
            "GET", self._dep(record_id), step="get", idempotent=True, ok=(200,)
        )

    async def publish(self, record_id: str) -> RemoteRecord:
        """Publish; returns the published deposition with its DOI.

        Not idempotent: a repeat answers 404 (:class:`~specpub.errors.NotFound`).
        """
        return await self._record(
            "POST", self._dep(record_id, "/actions/publish"), step="publish", idempotent=False
        )

    async def edit(self, record_id: str) -> RemoteRecord:
        """Open an edit draft of a published deposition (returns the open one if any)."""
        return await self._record(
            "POST", self._dep(record_id, "/actions/edit"), step="edit", idempotent=True
        )

    async def new_version(self, record_id: str) -> RemoteRecord:
        """The new-version draft of a published deposition: the open one, else a new one.

        Safe to call again after a lost answer, without repeating the server call: Zenodo's
        legacy ``actions/newversion`` is not repeatable (once the draft has files it answers
        400 "Please remove all files first.", ``docs/zenodo-api.md`` §7). So an open
        new-version draft is looked up first (the deposition's ``links.latest_draft``), and
        ``newversion`` is sent only when there is none; if the server still says the draft
        exists, it is found among the user's drafts. The files of the previous version are
        imported by the server. A lost answer raises :class:`~specpub.errors.Ambiguous`:
        call this method again.
        """
        open_draft = await self._open_new_version(record_id)
        if open_draft is not None:
            return open_draft
        try:
            record = await self._record(
                "POST",
                self._dep(record_id, "/actions/newversion"),
                step="new_version",
                idempotent=False,
            )
        except Rejected as err:
            if err.status != 400 or "remove all files" not in err.message.lower():
                raise
            found = await self._draft_of_concept(record_id)
            if found is None:
                raise
            return found
        # old Zenodo answered with the original and a links.latest_draft
        if record.id == _legacy_id(record_id):
            return await self._open_new_version(record_id) or record
        return record

    async def _open_new_version(self, record_id: str) -> RemoteRecord | None:
        """The unpublished draft ``links.latest_draft`` of the deposition points to, if any."""
        record = await self.get(record_id)
        latest = record.links.get("latest_draft", "").rstrip("/").rsplit("/", 1)[-1]
        if not latest.isdigit() or latest == record.id:
            return None
        draft = await self.get(latest)
        return draft if draft.state == "draft" else None

    async def _draft_of_concept(self, record_id: str) -> RemoteRecord | None:
        """An unpublished draft of the same concept among the user's depositions."""
        concept = (await self.get(record_id)).concept_id
        if not concept:
            return None
        hits = await self.search(f"conceptrecid:{concept} AND is_published:false", size=10)
        return await self.get(hits[0].id) if hits else None

    async def delete_draft(self, record_id: str) -> None:
        """Delete a never-published deposition, or discard the open draft of a published one.

        A 404 counts as done. ``DELETE`` is tried first; if it answers 404 the
        deposition is read, and an open edit draft (``state: inprogress``) is
        discarded with ``actions/discard``.
        """
        done = (200, 201, 202, 204)
        if await self._delete("DELETE", self._dep(record_id), step="delete_draft", ok=done):
            return
        try:
            record = await self.get(record_id)
        except NotFound:
            return
        if record.state == "edit-draft":
            await self._delete(
                "POST", self._dep(record_id, "/actions/discard"), step="delete_draft", ok=done
            )

    async def list_files(self, record_id: str) -> list[RemoteFile]:
        """The deposition's files (``GET …/files``), checksums as plain MD5 hex."""
        data = await self._http.json(
            "GET",
            self._dep(record_id, "/files"),
            step="list_files",
            idempotent=True,
            resource=True,
            ok=(200,),
            expect=list,
        )
        return [parse_legacy_file(f) for f in data if isinstance(f, Mapping)]

    async def delete_file(self, record_id: str, key: str) -> None:
        """Delete file ``key`` from the draft (absent or 404 counts as done)."""
        try:
            files = await self.list_files(record_id)
        except NotFound:
            return
        for f in files:
            if f.key == key and f.file_id:
                url = self._dep(record_id, "/files/" + path_segment(f.file_id, what="file id"))
                await self._delete("DELETE", url, step="delete_file", ok=(200, 204))

    async def search(
        self, query: str, *, page: int = 1, size: int = 100, sort: str = "newest"
    ) -> list[RemoteRecord]:
        """Search own depositions (drafts and published) with a query_string query.

        ``sort`` ``"newest"``/``"oldest"`` are sent as the legacy
        ``mostrecent``/``-mostrecent``; other values are passed through.
        """
        data = await self._search_page(
            _DEPOSITIONS, query, page=page, size=size, sort=_SORTS.get(sort, sort), expect=list
        )
        return [parse_deposition(d, from_list=True) for d in data if isinstance(d, Mapping)]

    async def list_records(
        self, query: str = "", *, page: int = 1, size: int = 100, sort: str = "oldest"
    ) -> list[RemoteRecord]:
        """One page of the caller's own depositions, every version, drafts and published.

        ``GET /api/deposit/depositions?all_versions=true`` (the server's listing
        of its user's records; on Zenodo it counts against the global rate
        limit, not the 30/min of the public search). Oldest first by default,
        so that new records land on the last pages while a listing runs.
        See :mod:`specpub.batch.inventory`.
        """
        data = await self._search_page(
            _DEPOSITIONS, query, page=page, size=size, sort=_SORTS.get(sort, sort), expect=list,
            extra={"all_versions": "true"}, step="list", endpoint="list",
        )  # fmt: skip
        return [parse_deposition(d, from_list=True) for d in data if isinstance(d, Mapping)]

    async def upload(
        self,
        record: RemoteRecord,
        path: Path,
        key: str,
        *,
        md5: str | None = None,
        size: int | None = None,
    ) -> RemoteFile:
        """Stream ``path`` into the deposition's bucket as ``key`` and verify the MD5.

        ``PUT {bucket}/{key}`` with ``application/octet-stream``; the bucket
        comes from ``record.bucket`` or, if missing, from a GET of the
        deposition. The PUT replaces an existing key, so it is safe to repeat.

        Raises
        ------
        InputError
            The file differs from the scan (``md5``/``size``), or ``key`` has a ``/``.
        ChecksumMismatch
            The server's MD5 or size differs from what was sent.
        """
        if "/" in key:
            raise InputError(
                f"file key {key!r} contains '/', which the legacy bucket API cannot store",
                file=str(path),
                fix="use a flat file name, or the native API",
            )
        src = self._source(path, key, md5, size)
        bucket = record.bucket
        if not bucket:
            bucket = (await self.get(record.id)).bucket
        if not bucket:
            raise InputError(
                f"deposition {record.id} has no bucket link (is it published without an "
                "open draft?)",
                fix="open an edit or new-version draft first",
            )
        url = bucket.rstrip("/") + "/" + path_segment(key, what="file key")
        data = await self._http.json(
            "PUT",
            url,
            step="upload",
            idempotent=True,
            resource=True,
            content=src.stream(),
            headers=src.headers,
            ok=(200, 201),
            expect=dict,
        )
        src.check_scanned_md5()
        remote = parse_legacy_file({**data, "key": data.get("key") or key})
        return self._verify(src, remote, step="upload", method="PUT", url=self._http.url(url))
