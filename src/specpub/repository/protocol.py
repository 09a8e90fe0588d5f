"""The small protocol the batch runner uses to talk to any repository.

Two clients implement it: the Zenodo legacy deposit API and the InvenioRDM
records API. The batch engine (:mod:`specpub.batch`) depends only on this
module, never on a concrete client. Record ids are strings for both APIs
(legacy integer ids are converted).

Examples
--------
>>> m = Marker(catalog_number="BR0000013", institution_code="BR")
>>> m.key
'BR|BR0000013'
>>> RemoteFile(key="a.jpg", size=3, md5="0" * 32).md5
'00000000000000000000000000000000'
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from specpub.errors import FieldError

__all__ = [
    "Marker",
    "RateLimitInfo",
    "RemoteFile",
    "RemoteRecord",
    "RepositoryClient",
    "ResponseHook",
    "last_answer",
    "note_answer",
]


@dataclass(frozen=True, order=True)
class Marker:
    """The idempotency marker of one record.

    Set as Darwin Core custom fields (``dwc:catalogNumber`` and, when known,
    ``dwc:institutionCode``) in the very first create request, so that a
    record whose create response was lost can be found again by search.

    Examples
    --------
    >>> Marker("BR0000013").key
    '|BR0000013'
    """

    catalog_number: str
    institution_code: str | None = None

    @property
    def key(self) -> str:
        """A stable string form, unique per marker (``institution|catalog``)."""
        return f"{self.institution_code or ''}|{self.catalog_number}"

    @classmethod
    def from_custom_fields(cls, custom: Mapping[str, Any] | None) -> Marker | None:
        """Read a marker back from a record's custom fields (``None`` if absent).

        Examples
        --------
        >>> Marker.from_custom_fields({"dwc:catalogNumber": ["X1"], "dwc:institutionCode": ["BR"]})
        Marker(catalog_number='X1', institution_code='BR')
        """
        if not custom:
            return None

        def first(name: str) -> str | None:
            value = custom.get(name)
            if isinstance(value, list | tuple):
                value = value[0] if value else None
            return None if value in (None, "") else str(value)

        cat = first("dwc:catalogNumber")
        return None if cat is None else cls(cat, first("dwc:institutionCode"))


@dataclass(frozen=True)
class RemoteFile:
    """A file as the repository reports it.

    ``md5`` is always plain lower-case hex (any ``md5:`` prefix removed);
    ``None`` when the server reported no checksum (e.g. a pending native file).
    ``status`` is ``"completed"`` or ``"pending"`` (legacy files are always completed).
    """

    key: str
    size: int | None = None
    md5: str | None = None
    file_id: str | None = None
    status: str = "completed"
    links: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RemoteRecord:
    """A deposition / draft / published record as the repository reports it.

    Attributes
    ----------
    id
        The record id as a string (legacy ints converted).
    concept_id
        The parent / concept record id, if known.
    state
        ``"draft"`` (never published), ``"published"`` (no open draft),
        ``"edit-draft"`` (published, with an open edit or an unpublished draft).
    is_published
        Whether a published version with this id exists.
    doi, concept_doi
        Minted DOIs (``None`` until published).
    bucket
        Legacy bucket URL (only from a single GET or create, never from lists).
    files
        The files, or ``None`` when the response did not include them
        (search results of drafts never do: do not conclude "no files").
    marker
        The marker read back from the custom fields.
    links
        The ``links`` object of the response.
    raw
        The decoded JSON the server sent.
    errors
        Field messages the server reported while *saving* (the native API
        validates drafts leniently: invalid parts are dropped and listed here).
        Empty for the legacy API, which drops such parts silently.
    """

    id: str
    state: Literal["draft", "published", "edit-draft"]
    is_published: bool
    concept_id: str | None = None
    doi: str | None = None
    concept_doi: str | None = None
    bucket: str | None = None
    title: str | None = None
    created: str | None = None
    files: tuple[RemoteFile, ...] | None = None
    marker: Marker | None = None
    links: Mapping[str, str] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    errors: tuple[FieldError, ...] = ()

    @property
    def html_url(self) -> str | None:
        """The landing page (published) or deposit page (draft), if known."""
        return self.links.get("html") or self.links.get("self_html") or None


@dataclass(frozen=True)
class RateLimitInfo:
    """The rate-limit state the server last announced.

    ``reset`` is an epoch timestamp in seconds; ``retry_after`` in seconds.
    Any field may be ``None`` when the header was absent. ``endpoint`` says
    which limit the response counted against: ``"search"`` for search and
    list requests (30/min on zenodo.org), ``"api"`` for everything else.
    """

    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None
    retry_after: float | None = None
    endpoint: str = "api"


#: Called after every HTTP response (and every 429) so that a shared pacer can
#: learn the server's limits: ``hook(status_code, rate_limit_info)``.
ResponseHook = Callable[[int, RateLimitInfo], None]

_LAST_ANSWER: contextvars.ContextVar[RateLimitInfo | None] = contextvars.ContextVar(
    "specpub_last_answer", default=None
)


def last_answer() -> RateLimitInfo | None:
    """What the last answer received *by this task* announced (``None`` before any).

    Unlike a client's ``rate_limit`` (the last answer of any of the requests
    sharing the client), this is the answer to the request this task just
    sent; an answer without rate-limit headers gives an empty
    :class:`RateLimitInfo`. Clients record it with :func:`note_answer`.

    Examples
    --------
    >>> import asyncio
    >>> async def request():
    ...     note_answer(RateLimitInfo(limit=100, remaining=7))
    ...     return last_answer().remaining
    >>> asyncio.run(request()), last_answer() is None
    (7, True)
    """
    return _LAST_ANSWER.get()


def note_answer(info: RateLimitInfo) -> None:
    """Record the rate-limit state of the answer this task just received."""
    _LAST_ANSWER.set(info)


@runtime_checkable
class RepositoryClient(Protocol):
    """What the batch runner needs from a repository client.

    Every method raises a :class:`specpub.errors.RepositoryError` subclass on
    failure: :class:`~specpub.errors.Transient` (retry), :class:`~specpub.errors.Rejected`
    (do not retry; field messages in ``errors``), :class:`~specpub.errors.Ambiguous`
    (the request was sent; look the state up before anything else),
    :class:`~specpub.errors.ChecksumMismatch` (the server's MD5 differs from the local one).

    ``payload`` is always the API-specific body produced by the records layer:
    for the legacy API ``{"metadata": {...}}``; for the native API the full
    draft body (``{"metadata":..., "custom_fields":..., "access":..., "files":...}``).
    """

    #: ``"legacy"`` or ``"native"``: which payload shape :meth:`create` expects.
    api: str
    #: The last rate-limit state announced by the server (``None`` before any response).
    rate_limit: RateLimitInfo | None

    async def create(self, payload: Mapping[str, Any]) -> RemoteRecord:
        """Create a new draft with full metadata (not idempotent: one POST)."""
        ...

    async def update(self, record_id: str, payload: Mapping[str, Any]) -> RemoteRecord:
        """Replace the draft's whole metadata (idempotent)."""
        ...

    async def upload(
        self,
        record: RemoteRecord,
        path: Path,
        key: str,
        *,
        md5: str | None = None,
        size: int | None = None,
    ) -> RemoteFile:
        """Stream ``path`` from disk as file ``key`` and verify the server's checksum.

        The MD5 is computed while sending; if ``md5`` is given, it must match
        too (the file changed since it was scanned otherwise: ``InputError``).
        Safe to repeat: the legacy bucket PUT replaces, and the native flow
        skips init for an existing key and re-checks committed files.
        """
        ...

    async def list_files(self, record_id: str) -> list[RemoteFile]:
        """The files of the draft (or of the published record if there is no draft)."""
        ...

    async def delete_file(self, record_id: str, key: str) -> None:
        """Delete one file from a draft (404 counts as done)."""
        ...

    async def publish(self, record_id: str) -> RemoteRecord:
        """Publish the draft (not idempotent: a repeat answers 404)."""
        ...

    async def get(self, record_id: str) -> RemoteRecord:
        """The draft if one is open, else the published record (with files)."""
        ...

    async def search(
        self, query: str, *, page: int = 1, size: int = 100, sort: str = "newest"
    ) -> list[RemoteRecord]:
        """Search the caller's own drafts and records (query_string syntax)."""
        ...

    async def find_by_markers(self, markers: Sequence[Marker]) -> dict[Marker, list[RemoteRecord]]:
        """Find own drafts and records carrying each marker (one OR query per chunk).

        Every marker asked for is a key of the result (an empty list when
        nothing was found). Results are the server's view at this instant:
        callers tolerate index lag by asking again.
        """
        ...

    async def delete_draft(self, record_id: str) -> None:
        """Delete/discard a draft (404 counts as done)."""
        ...

    async def edit(self, record_id: str) -> RemoteRecord:
        """Open an edit draft of a published record (idempotent)."""
        ...

    async def new_version(self, record_id: str) -> RemoteRecord:
        """Open a new-version draft of a published record (idempotent); returns the draft."""
        ...

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        ...
