"""What both clients share above the HTTP layer: construction, paging, markers, checks."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx

from specpub.errors import ChecksumMismatch, InputError, NotFound
from specpub.repository._http import DEFAULT_TIMEOUT, HttpSession
from specpub.repository._query import DEFAULT_MAX_QUERY_LENGTH, marker_queries
from specpub.repository._token import DEFAULT_TOKEN_ENV, TokenProvider
from specpub.repository._upload import FileSource
from specpub.repository.protocol import (
    Marker,
    RateLimitInfo,
    RemoteFile,
    RemoteRecord,
    ResponseHook,
)

logger = logging.getLogger("specpub.repository")

#: Largest page the servers accept (authenticated) and the deepest result reachable.
MAX_PAGE_SIZE = 100
MAX_RESULT_WINDOW = 10_000


def plain_md5(checksum: Any) -> str | None:
    """A checksum as plain lower-case MD5 hex (``md5:`` stripped), else ``None``.

    Examples
    --------
    >>> plain_md5("md5:ABC")
    'abc'
    >>> plain_md5("sha256:00") is None
    True
    """
    if not isinstance(checksum, str) or not checksum:
        return None
    text = checksum.strip().lower()
    if ":" in text:
        algo, _, text = text.partition(":")
        if algo != "md5":
            return None
    return text or None


def as_int(value: Any) -> int | None:
    """``value`` as an int (the legacy API may send ``7.0``), else ``None``.

    Examples
    --------
    >>> as_int(7.0), as_int("12"), as_int(None)
    (7, 12, None)
    """
    try:
        return None if value is None or isinstance(value, bool) else int(float(value))
    except (TypeError, ValueError):
        return None


def str_links(links: Any) -> dict[str, str]:
    """The string-valued entries of a ``links`` object."""
    if not isinstance(links, Mapping):
        return {}
    return {str(k): v for k, v in links.items() if isinstance(v, str)}


def trimmed(marker: Marker) -> Marker:
    """``marker`` as a repository stores it: Zenodo trims custom-field strings.

    Examples
    --------
    >>> trimmed(Marker(" BR9 ", "BR "))
    Marker(catalog_number='BR9', institution_code='BR')
    """
    institution = (marker.institution_code or "").strip() or None
    return Marker(marker.catalog_number.strip(), institution)


def trimmed_custom(custom: Any) -> Any:
    """Custom fields with their string values trimmed, as the server will store them.

    Sending them trimmed keeps what is stored equal to what the ledger searches for.

    Examples
    --------
    >>> trimmed_custom({"dwc:catalogNumber": [" BR9 "], "dwc:decimalLatitude": [50.9]})
    {'dwc:catalogNumber': ['BR9'], 'dwc:decimalLatitude': [50.9]}
    """
    if not isinstance(custom, Mapping):
        return custom
    return {
        term: [v.strip() if isinstance(v, str) else v for v in values]
        if isinstance(values, list)
        else values
        for term, values in custom.items()
    }


def path_segment(value: str, *, what: str, allow_slash: bool = False) -> str:
    """``value`` URL-quoted for one path segment (``/`` kept if ``allow_slash``)."""
    if not isinstance(value, str) or not value or value in (".", ".."):
        raise InputError(f"{what} {value!r} is not usable in a URL")
    return quote(value, safe="/" if allow_slash else "")


class BaseClient:
    """Construction, context management and marker search for both clients."""

    api: str = ""
    _accept: str = "application/json"
    #: Turns a record's JSON into a :class:`RemoteRecord` (set by each client).
    _parse_record: Callable[[Mapping[str, Any]], RemoteRecord]

    def __init__(
        self,
        base_url: str,
        *,
        token_env: str = DEFAULT_TOKEN_ENV,
        token: TokenProvider | None = None,
        concurrency: int = 8,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        on_response: ResponseHook | None = None,
        max_query_length: int = DEFAULT_MAX_QUERY_LENGTH,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = HttpSession(
            base_url,
            token_env=token_env,
            token=token,
            accept=self._accept,
            concurrency=concurrency,
            timeout=timeout,
            on_response=on_response,
            transport=transport,
        )
        self.max_query_length = max_query_length
        self.concurrency = concurrency

    @property
    def base_url(self) -> str:
        """The repository's base URL (no trailing slash)."""
        return self._http.base_url

    @property
    def token_source(self) -> str:
        """Where the token came from (``env:ZENODO_TOKEN``, ``served:URL``...), never the token."""
        return self._http.token_source

    @property
    def rate_limit(self) -> RateLimitInfo | None:
        """The last rate-limit state the server announced."""
        return self._http.rate_limit

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r}, token from {self.token_source})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()

    # -- requests ------------------------------------------------------------------

    async def _record(
        self,
        method: str,
        url: str,
        *,
        step: str,
        idempotent: bool,
        resource: bool = True,
        json_body: Any = None,
        ok: tuple[int, ...] = (200, 201, 202),
    ) -> RemoteRecord:
        """One request whose answer is a record object, parsed by the client's parser."""
        data = await self._http.json(
            method,
            url,
            step=step,
            idempotent=idempotent,
            resource=resource,
            json_body=json_body,
            ok=ok,
            expect=dict,
        )
        return self._parse_record(data)

    async def _delete(self, method: str, url: str, *, step: str, ok: tuple[int, ...]) -> bool:
        """Send a deleting request; ``False`` if the server answered 404 (already gone)."""
        try:
            await self._http.send(method, url, step=step, idempotent=True, resource=True, ok=ok)
        except NotFound:
            return False
        return True

    async def me(self) -> dict[str, Any]:
        """The token's user: ``GET /api/me`` (InvenioRDM, Zenodo, the embedded repository).

        Raises :class:`~specpub.errors.AuthenticationError` for a refused
        token (401, or 403 when the token may not read its profile) and
        :class:`~specpub.errors.NotFound` on a server without the endpoint.
        See :func:`specpub.whoami`, which turns this into a token check.
        """
        return await self._http.json(
            "GET", "/api/me", step="whoami", idempotent=True, ok=(200,), expect=dict
        )

    # -- searching -----------------------------------------------------------------

    @staticmethod
    def _check_page(page: int, size: int) -> None:
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise InputError(f"search page size must be 1..{MAX_PAGE_SIZE}, not {size}")
        if page < 1 or page * size > MAX_RESULT_WINDOW:
            raise InputError(
                f"page {page} of size {size} is beyond the first {MAX_RESULT_WINDOW} results",
                fix="narrow the query (e.g. by created:[A TO B] ranges)",
            )

    async def _search_page(
        self,
        url: str,
        query: str,
        *,
        page: int,
        size: int,
        sort: str,
        expect: type,
        extra: Mapping[str, Any] | None = None,
        step: str = "search",
        endpoint: str = "search",
    ) -> Any:
        """One page of a search (``GET url?q=&page=&size=&sort=``) after checking the window."""
        self._check_page(page, size)
        return await self._http.json(
            "GET",
            url,
            step=step,
            idempotent=True,
            params={"q": query, "page": page, "size": size, "sort": sort, **(extra or {})},
            ok=(200,),
            expect=expect,
            endpoint=endpoint,
        )

    async def search(
        self, query: str, *, page: int = 1, size: int = 100, sort: str = "newest"
    ) -> list[RemoteRecord]:
        raise NotImplementedError

    async def find_by_markers(self, markers: Sequence[Marker]) -> dict[Marker, list[RemoteRecord]]:
        """Own drafts and records carrying each marker (exact catalogue number AND institution).

        One OR query per chunk of catalogue numbers that fits ``max_query_length``,
        paged through (100 per page); the hits are then matched client-side by
        the exact marker. Every marker asked for is a key of the result.
        """
        result: dict[Marker, list[RemoteRecord]] = {m: [] for m in markers}
        # the server stores trimmed values: match (and ask) for those
        asked: dict[Marker, list[Marker]] = {}
        for m in markers:
            asked.setdefault(trimmed(m), []).append(m)
        seen: dict[Marker, set[str]] = {m: set() for m in asked}
        queries = marker_queries(
            (m.catalog_number for m in asked), max_length=self.max_query_length
        )
        for query in queries:
            page = 1
            while True:
                hits = await self.search(query, page=page, size=MAX_PAGE_SIZE)
                for record in hits:
                    marker = None if record.marker is None else trimmed(record.marker)
                    if marker in asked and record.id not in seen[marker]:
                        seen[marker].add(record.id)
                        for original in asked[marker]:
                            result[original].append(record)
                if len(hits) < MAX_PAGE_SIZE:
                    break
                if (page + 1) * MAX_PAGE_SIZE > MAX_RESULT_WINDOW:
                    logger.warning(
                        "marker query hit the %d-result window; results may be incomplete",
                        MAX_RESULT_WINDOW,
                    )
                    break
                page += 1
        return result

    # -- uploading -----------------------------------------------------------------

    @staticmethod
    def _source(path: Path | str, key: str, md5: str | None, size: int | None) -> FileSource:
        if not isinstance(key, str) or not key.strip():
            raise InputError("the file key is empty", file=str(path))
        return FileSource(path, key=key, md5=md5, size=size)

    @staticmethod
    def _verify(
        src: FileSource, remote: RemoteFile, *, step: str, method: str, url: str
    ) -> RemoteFile:
        """Compare the server's checksum and size with what was sent."""
        assert src.md5 is not None
        if remote.md5 != src.md5 or (remote.size is not None and remote.size != src.size):
            raise ChecksumMismatch(
                f"the repository stored {remote.key!r} with checksum {remote.md5} and size "
                f"{remote.size}, but {src.md5} ({src.size} bytes) was sent",
                key=remote.key,
                local_md5=src.md5,
                remote_checksum=remote.md5,
                step=step,
                method=method,
                url=url,
            )
        return remote
