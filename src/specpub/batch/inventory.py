"""The server inventory: every record and draft the user owns on a repository.

The ledger says what *this workspace* asked for; the inventory says what the
*server* holds. It is one paged listing of the caller's own records (legacy
``GET /api/deposit/depositions``, native ``GET /api/user/records``; drafts and
published records, every version), oldest first, 100 per page. Past the
10,000 results a query may page through (``page × size ≤ 10 000`` on Zenodo),
the listing goes on in slices: ``created:["<last created seen>" TO *]``. The
requests go through the caller's pacer, so a listing never overflows the
server's windows; on Zenodo the listing counts against the global limit
(100/min, 5000/h), not the 30/min of the public search (``docs/zenodo-api.md``
§1.9, per code).

It is cached in the workspace (``WS/inventory.sqlite``, plain SQLite, one row
per server record, indexed by marker) with the time it was fetched. A later
refresh lists only what changed since (``updated:["<newest update seen − 15
min>" TO *]``; the margin covers the search index's lag), so a re-run of a
281,372-record collection does not list the whole account again.

What it is used for (see :mod:`specpub.batch.runner`, :mod:`specpub.batch.reconcile`):

* **preflight**: before a batch's first create, records whose marker is
  already on the server are adopted, never created twice (a second
  workspace, a lost ledger); the first listing also proves that the
  repository answers and accepts the token;
* **the runner**: an ambiguous create that no marker search found within
  ``resolve_timeout`` is looked up in a refreshed inventory before the record
  is created again, and the end of a run checks that no draft of its own is
  left behind;
* **reconcile**: the server's side of the comparison (a listing is never the
  proof that a record is missing: only a GET by id is).

A listing is a search: it has the index's lag. A record created a moment ago
may be missing from it, and a record published a moment ago may still show as
a draft. Users of an inventory treat an *absence* as "not seen yet", never as
"gone".

Examples
--------
>>> from specpub.repository.protocol import Marker, RemoteRecord
>>> inv = Inventory("http://127.0.0.1:1|legacy")
>>> inv.merge([RemoteRecord("7", "published", True, doi="10.5072/zenodo.7",
...                         created="2026-01-01T00:00:00+00:00",
...                         marker=Marker("BR1", "BR"))], full=True)
>>> [r.remote_id for r in inv.find(Marker("BR1", "BR"))]
['7']
>>> inv.summary()  # doctest: +ELLIPSIS
'1 records on http://127.0.0.1:1 (legacy API): 1 published, 0 drafts; listed 20...'
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from specpub._display import FrameResult
from specpub.repository.protocol import Marker, RemoteRecord

__all__ = [
    "INDEX_MARGIN",
    "INVENTORY_FILE",
    "Inventory",
    "ServerRecord",
    "list_all",
    "listing_cost",
]

#: The inventory's file in a workspace.
INVENTORY_FILE = "inventory.sqlite"
#: Seconds subtracted from the newest update seen when refreshing (search index lag).
INDEX_MARGIN = 900.0
#: Page size of the listing (the largest the servers accept) and the deepest page.
PAGE_SIZE = 100
MAX_WINDOW = 10_000

#: Sends one listing request: ``list_page(query, page, size) -> records``.
ListPage = Callable[[str, int, int], Awaitable[list[RemoteRecord]]]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    origin      TEXT PRIMARY KEY,
    fetched_at  REAL,
    fetched     TEXT,
    high_water  TEXT,
    complete    INTEGER NOT NULL DEFAULT 0,
    requests    INTEGER NOT NULL DEFAULT 0,
    owner       TEXT
);
CREATE TABLE IF NOT EXISTS records (
    origin           TEXT NOT NULL,
    remote_id        TEXT NOT NULL,
    marker_key       TEXT,
    catalog_number   TEXT,
    institution_code TEXT,
    state            TEXT NOT NULL,
    is_published     INTEGER NOT NULL,
    concept_id       TEXT,
    doi              TEXT,
    concept_doi      TEXT,
    created          TEXT,
    updated          TEXT,
    html_url         TEXT,
    title            TEXT,
    owner            TEXT,
    files            TEXT,
    PRIMARY KEY (origin, remote_id)
);
CREATE INDEX IF NOT EXISTS records_marker ON records(origin, marker_key);
"""

_COLUMNS = (
    "remote_id",
    "marker_key",
    "catalog_number",
    "institution_code",
    "state",
    "is_published",
    "concept_id",
    "doi",
    "concept_doi",
    "created",
    "updated",
    "html_url",
    "title",
    "owner",
    "files",
)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")


def _owner(raw: Any) -> str | None:
    """The owner id of a listed record (legacy ``owner``; native ``parent.access.owned_by``)."""
    if not isinstance(raw, dict):
        return None
    if raw.get("owner") is not None:
        return str(raw["owner"])
    access = (raw.get("parent") or {}).get("access") if isinstance(raw.get("parent"), dict) else {}
    owned = (access or {}).get("owned_by")
    if isinstance(owned, list):
        owned = owned[0] if owned else None
    if isinstance(owned, dict) and owned.get("user") is not None:
        return str(owned["user"])
    return None


@dataclass(frozen=True, slots=True)
class ServerRecord:
    """One record or draft of the user's, as the listing showed it.

    ``files`` is ``None`` when the listing does not show them (drafts never
    have their files indexed: never conclude "no files" from it), else
    ``(key, size, md5)`` triples.

    Examples
    --------
    >>> r = ServerRecord("7", "BR|BR1", "draft", False)
    >>> r.marker, r.is_draft
    (Marker(catalog_number='BR1', institution_code='BR'), True)
    """

    remote_id: str
    marker_key: str | None
    state: str
    is_published: bool
    concept_id: str | None = None
    doi: str | None = None
    concept_doi: str | None = None
    created: str | None = None
    updated: str | None = None
    html_url: str | None = None
    title: str | None = None
    owner: str | None = None
    files: tuple[tuple[str, int | None, str | None], ...] | None = None

    @property
    def marker(self) -> Marker | None:
        """The marker, or ``None`` for a record without one."""
        if not self.marker_key:
            return None
        inst, _, cat = self.marker_key.partition("|")
        return Marker(cat, inst or None)

    @property
    def is_draft(self) -> bool:
        """Never published (an unpublished deposition / draft)."""
        return not self.is_published

    @classmethod
    def from_remote(cls, rec: RemoteRecord) -> ServerRecord:
        """Keep what the inventory needs of a listed :class:`RemoteRecord`.

        Examples
        --------
        >>> ServerRecord.from_remote(RemoteRecord("3", "draft", False)).state
        'draft'
        """
        raw = rec.raw if isinstance(rec.raw, dict) else {}
        files = None
        if rec.files is not None:
            files = tuple((f.key, f.size, f.md5) for f in rec.files)
        return cls(
            remote_id=str(rec.id),
            marker_key=rec.marker.key if rec.marker else None,
            state=rec.state,
            is_published=bool(rec.is_published),
            concept_id=rec.concept_id,
            doi=rec.doi,
            concept_doi=rec.concept_doi,
            created=rec.created,
            updated=raw.get("updated") or raw.get("modified") or None,
            html_url=rec.html_url,
            title=rec.title,
            owner=_owner(raw),
            files=files,
        )

    def _row(self) -> tuple[Any, ...]:
        m = self.marker
        return (
            self.remote_id,
            self.marker_key,
            m.catalog_number if m else None,
            m.institution_code if m else None,
            self.state,
            int(self.is_published),
            self.concept_id,
            self.doi,
            self.concept_doi,
            self.created,
            self.updated,
            self.html_url,
            self.title,
            self.owner,
            None if self.files is None else json.dumps(self.files),
        )

    @classmethod
    def _from_row(cls, row: Sequence[Any]) -> ServerRecord:
        values = list(row)
        files = json.loads(values[14]) if values[14] else None
        return cls(
            remote_id=values[0],
            marker_key=values[1],
            state=values[4],
            is_published=bool(values[5]),
            concept_id=values[6],
            doi=values[7],
            concept_doi=values[8],
            created=values[9],
            updated=values[10],
            html_url=values[11],
            title=values[12],
            owner=values[13],
            files=None if files is None else tuple(tuple(f) for f in files),
        )


def listing_cost(records: int, *, page_size: int = PAGE_SIZE) -> int:
    """Requests a full listing of ``records`` server records takes.

    Examples
    --------
    >>> listing_cost(281_372)
    2814
    >>> listing_cost(0)
    1
    """
    return max(1, -(-int(records) // page_size))


async def list_all(
    list_page: ListPage,
    query: str = "",
    *,
    page_size: int = PAGE_SIZE,
    max_window: int = MAX_WINDOW,
    on_page: Callable[[int], None] | None = None,
) -> tuple[list[RemoteRecord], int]:
    """Every record ``query`` matches, oldest first: pages, sliced by ``created`` past the window.

    ``list_page(query, page, size)`` sends one request (paced and recorded by
    the caller). Returns the records (each id once) and the requests sent.

    Examples
    --------
    >>> import asyncio
    >>> recs = [RemoteRecord(str(i), "draft", False, created=f"2026-01-01T00:00:{i:02d}")
    ...         for i in range(25)]
    >>> async def page_of(query, page, size):   # a server whose window is 10 results
    ...     low = query.split('"')[1] if "created" in query else ""
    ...     hits = [r for r in recs if (r.created or "") >= low]
    ...     return hits[(page - 1) * size: page * size]
    >>> found, sent = asyncio.run(list_all(page_of, page_size=5, max_window=10))
    >>> len(found), sent
    (25, 6)
    """
    out: dict[str, RemoteRecord] = {}
    sent = 0
    lower: str | None = None
    while True:
        q = query
        if lower is not None:
            slice_ = f'created:["{lower}" TO *]'
            q = f"({query}) AND {slice_}" if query else slice_
        page = 1
        while True:
            hits = await list_page(q, page, page_size)
            sent += 1
            for rec in hits:
                out.setdefault(str(rec.id), rec)
            if on_page is not None:
                on_page(len(hits))
            if len(hits) < page_size:
                return list(out.values()), sent
            if (page + 1) * page_size > max_window:
                newest = max((r.created for r in hits if r.created), default=None)
                if newest is None or newest == lower:
                    # more records share one creation time than a window holds
                    raise RuntimeError(
                        f"cannot list past {max_window} results: {max_window} records were "
                        f"created at {newest}"
                    )
                lower = newest
                break
            page += 1


class Inventory(FrameResult):
    """The user's records and drafts on one repository, as the last listing saw them.

    Parameters
    ----------
    origin
        ``"<base URL>|<api>"``: which server and API the entries come from.
    path
        The cache file (``WS/inventory.sqlite``), or ``None`` (memory only).

    Attributes
    ----------
    fetched_at
        Epoch seconds of the last refresh (``None`` before any).
    complete
        Whether a full listing has been merged (an incremental refresh keeps it).
    requests
        Requests the last refresh sent.
    fresh
        Ids seen by the last refresh (the others come from the cache).

    Examples
    --------
    >>> inv = Inventory("https://zenodo.org|legacy")
    >>> len(inv), inv.complete
    (0, False)
    """

    def __init__(self, origin: str, *, path: Path | str | None = None) -> None:
        self.origin = origin
        self.path = None if path is None else Path(path)
        self._by_id: dict[str, ServerRecord] = {}
        self._by_marker: dict[str, list[str]] = {}
        self.fetched_at: float | None = None
        self.high_water: str | None = None
        self.complete = False
        self.requests = 0
        self.owner: str | None = None
        self.fresh: set[str] = set()

    # -- reading ----------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """The repository's base URL."""
        return self.origin.rsplit("|", 1)[0]

    @property
    def api(self) -> str:
        """``legacy`` or ``native``."""
        return self.origin.rsplit("|", 1)[-1]

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[ServerRecord]:
        return iter(self._by_id.values())

    def __repr__(self) -> str:
        when = "never fetched" if self.fetched_at is None else f"fetched {_iso(self.fetched_at)}"
        return f"<Inventory {self.origin}: {len(self)} records, {when}>"

    def get(self, remote_id: str) -> ServerRecord | None:
        """The entry with this id, if listed.

        Examples
        --------
        >>> Inventory("x|legacy").get("1") is None
        True
        """
        return self._by_id.get(str(remote_id))

    def find(self, marker: Marker | str) -> list[ServerRecord]:
        """The entries carrying ``marker`` (exact), oldest first.

        Examples
        --------
        >>> Inventory("x|legacy").find(Marker("A"))
        []
        """
        key = marker if isinstance(marker, str) else marker.key
        entries = [self._by_id[i] for i in self._by_marker.get(key, ())]
        return sorted(entries, key=_age_key)

    def age(self, now: float | None = None) -> float | None:
        """Seconds since the last refresh (``None`` if never fetched)."""
        if self.fetched_at is None:
            return None
        return (time.time() if now is None else now) - self.fetched_at

    def counts(self) -> dict[str, int]:
        """Entries per state (``draft``, ``published``, ``edit-draft``).

        Examples
        --------
        >>> Inventory("x|legacy").counts()
        {}
        """
        out: dict[str, int] = {}
        for e in self._by_id.values():
            out[e.state] = out.get(e.state, 0) + 1
        return dict(sorted(out.items()))

    def to_frame(self) -> pd.DataFrame:
        """One row per server record (for notebooks: the "records on the server" panel).

        Examples
        --------
        >>> list(Inventory("x|legacy").to_frame().columns)[:4]
        ['remote_id', 'marker_key', 'catalog_number', 'institution_code']
        """
        rows = [(*e._row()[:-1], None if e.files is None else len(e.files)) for e in self]
        cols = [*_COLUMNS[:-1], "files"]
        frame = pd.DataFrame.from_records(rows, columns=cols)
        frame["is_published"] = frame["is_published"].astype(bool)
        return frame

    def summary(self) -> str:
        """One line: how many records, how many published, when fetched."""
        if not self.base_url:
            return "no listing of a repository in this workspace yet"
        published = sum(1 for e in self if e.is_published)
        text = (
            f"{len(self)} records on {self.base_url} ({self.api} API): {published} published, "
            f"{len(self) - published} drafts"
        )
        if self.fetched_at is not None:
            text += f"; listed {_iso(self.fetched_at)}"
        return text

    # -- refreshing -------------------------------------------------------------------
    def merge(self, records: Iterable[RemoteRecord], *, full: bool) -> None:
        """Take a listing's records: a ``full`` listing replaces everything.

        Examples
        --------
        >>> inv = Inventory("x|legacy")
        >>> inv.merge([RemoteRecord("1", "draft", False)], full=True)
        >>> inv.merge([RemoteRecord("1", "published", True)], full=False)
        >>> inv.get("1").state, sorted(inv.fresh)
        ('published', ['1'])
        """
        entries = [ServerRecord.from_remote(r) for r in records]
        if full:
            self._by_id.clear()
            self._by_marker.clear()
            self.complete = True
        self.fresh = {e.remote_id for e in entries}
        for e in entries:
            old = self._by_id.get(e.remote_id)
            if old is not None and old.marker_key and old.marker_key != e.marker_key:
                ids = self._by_marker.get(old.marker_key, [])
                if e.remote_id in ids:
                    ids.remove(e.remote_id)
            self._by_id[e.remote_id] = e
            if e.marker_key:
                ids = self._by_marker.setdefault(e.marker_key, [])
                if e.remote_id not in ids:
                    ids.append(e.remote_id)
            if e.updated and (self.high_water is None or e.updated > self.high_water):
                self.high_water = e.updated
            if e.owner and self.owner is None:
                self.owner = e.owner
        self.fetched_at = time.time()

    def forget(self, remote_id: str) -> None:
        """Drop an entry the server confirmed gone (a GET answered 404).

        Examples
        --------
        >>> inv = Inventory("x|legacy"); inv.merge([RemoteRecord("1", "draft", False)], full=True)
        >>> inv.forget("1"); len(inv)
        0
        """
        e = self._by_id.pop(str(remote_id), None)
        if e is not None and e.marker_key:
            ids = self._by_marker.get(e.marker_key, [])
            if e.remote_id in ids:
                ids.remove(e.remote_id)

    def refresh_query(self, *, full: bool = False, margin: float = INDEX_MARGIN) -> str | None:
        """The query of the next refresh: ``None`` for a full listing.

        Examples
        --------
        >>> inv = Inventory("x|legacy")
        >>> inv.refresh_query() is None
        True
        >>> inv.merge([RemoteRecord("1", "draft", False, raw={
        ...     "modified": "2026-01-01T01:00:00+00:00"})], full=True)
        >>> inv.refresh_query()
        'updated:["2026-01-01T00:45:00+00:00" TO *]'
        """
        if full or not self.complete or self.high_water is None:
            return None
        try:
            newest = datetime.fromisoformat(self.high_water.replace("Z", "+00:00"))
        except ValueError:
            return None
        if newest.tzinfo is None:
            newest = newest.replace(tzinfo=UTC)
        since = (newest - timedelta(seconds=margin)).astimezone(UTC).isoformat()
        return f'updated:["{since}" TO *]'

    async def refresh(
        self,
        list_page: ListPage,
        *,
        full: bool = False,
        margin: float = INDEX_MARGIN,
        on_page: Callable[[int], None] | None = None,
    ) -> Inventory:
        """List the server again (all of it, or what changed since) and save the cache.

        An incremental refresh that meets another owner's records (another
        token) starts over with a full listing.
        """
        query = self.refresh_query(full=full, margin=margin)
        records, sent = await list_all(list_page, query or "", on_page=on_page)
        owners = {o for o in (_owner(r.raw) for r in records) if o}
        if query is not None and self.owner is not None and owners - {self.owner}:
            more, extra = await list_all(list_page, "", on_page=on_page)
            records, sent, query = more, sent + extra, None
        if query is None:
            self.high_water = None
            self.owner = None
        self.merge(records, full=query is None)
        self.requests = sent
        if self.path is not None:
            self.save()
        return self

    async def refresh_with(
        self,
        client: Any,
        *,
        pacer: Any = None,
        full: bool = False,
        margin: float = INDEX_MARGIN,
        on_page: Callable[[int], None] | None = None,
    ) -> Inventory:
        """:meth:`refresh` through a repository client's ``list_records``, paced by ``pacer``.

        The one call a notebook panel or a script needs (:func:`specpub.inventory`
        wraps it with the workspace, the target and the token). ``pacer`` is a
        :class:`~specpub.batch.pacing.Pacer` (every page waits for its window);
        ``None`` sends the pages as fast as the server answers.

        Raises
        ------
        specpub.errors.RepositoryError
            As the client raises it (an unreachable repository, a refused
            token); the cache is left as it was.

        Examples
        --------
        >>> import asyncio
        >>> class Client:                           # any object with list_records
        ...     async def list_records(self, query="", *, page=1, size=100):
        ...         return [RemoteRecord("1", "draft", False)] if page == 1 else []
        >>> inv = asyncio.run(Inventory("x|legacy").refresh_with(Client()))
        >>> inv.counts(), inv.requests
        ({'draft': 1}, 1)
        """
        lister = getattr(client, "list_records", None)
        if lister is None:
            raise TypeError(f"{type(client).__name__} cannot list the user's records")

        async def page(query: str, number: int, size: int) -> list[RemoteRecord]:
            ticket = None if pacer is None else await pacer.acquire("api", track=True)
            try:
                return await lister(query, page=number, size=size)
            finally:
                if ticket is not None:
                    pacer.release(ticket)

        return await self.refresh(page, full=full, margin=margin, on_page=on_page)

    # -- the cache --------------------------------------------------------------------
    def save(self, path: Path | str | None = None) -> Path:
        """Write the inventory to its SQLite cache (one transaction).

        Examples
        --------
        >>> import tempfile
        >>> inv = Inventory("x|legacy"); inv.merge([RemoteRecord("1", "draft", False)], full=True)
        >>> p = inv.save(Path(tempfile.mkdtemp()) / "inventory.sqlite")
        >>> len(Inventory.load(p, "x|legacy"))
        1
        """
        path = Path(path or self.path or INVENTORY_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM records WHERE origin=?", (self.origin,))
            conn.executemany(
                f"INSERT INTO records (origin, {', '.join(_COLUMNS)}) "
                f"VALUES (?{', ?' * len(_COLUMNS)})",
                [(self.origin, *e._row()) for e in self._by_id.values()],
            )
            conn.execute(
                "INSERT OR REPLACE INTO meta (origin, fetched_at, fetched, high_water, complete, "
                "requests, owner) VALUES (?,?,?,?,?,?,?)",
                (
                    self.origin,
                    self.fetched_at,
                    None if self.fetched_at is None else _iso(self.fetched_at),
                    self.high_water,
                    int(self.complete),
                    self.requests,
                    self.owner,
                ),
            )
            conn.execute("COMMIT")
        finally:
            conn.close()
        return path

    @classmethod
    def load(cls, path: Path | str, origin: str) -> Inventory:
        """The cached inventory of ``origin`` (empty when there is none).

        Examples
        --------
        >>> import tempfile
        >>> len(Inventory.load(Path(tempfile.mkdtemp()) / "none.sqlite", "x|legacy"))
        0
        """
        inv = cls(origin, path=path)
        path = Path(path)
        if not path.exists():
            return inv
        conn = sqlite3.connect(path, timeout=30.0)
        try:
            meta = conn.execute(
                "SELECT fetched_at, high_water, complete, requests, owner FROM meta WHERE origin=?",
                (origin,),
            ).fetchone()
            if meta is None:
                return inv
            rows = conn.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM records WHERE origin=?", (origin,)
            ).fetchall()
        except sqlite3.Error:
            return inv  # an unreadable cache is only a cache: list again
        finally:
            conn.close()
        inv.fetched_at, inv.high_water, complete, inv.requests, inv.owner = meta
        inv.complete = bool(complete)
        for row in rows:
            e = ServerRecord._from_row(row)
            inv._by_id[e.remote_id] = e
            if e.marker_key:
                inv._by_marker.setdefault(e.marker_key, []).append(e.remote_id)
        return inv

    @classmethod
    def latest(cls, workspace: Any, *, api: str | None = None) -> Inventory:
        """The workspace's most recent listing (of any repository; of ``api`` if given).

        No request and no token: what a panel shows before anything is listed
        again. An empty inventory (``fetched_at`` ``None``) when nothing was listed.

        Examples
        --------
        >>> import tempfile
        >>> Inventory.latest(tempfile.mkdtemp()).fetched_at is None
        True
        """
        path = _workspace_root(workspace) / INVENTORY_FILE
        origin = None
        if path.exists():
            conn = sqlite3.connect(path, timeout=30.0)
            try:
                rows = conn.execute(
                    "SELECT origin FROM meta WHERE fetched_at IS NOT NULL ORDER BY fetched_at DESC"
                ).fetchall()
            except sqlite3.Error:
                rows = []
            finally:
                conn.close()
            origin = next((o for (o,) in rows if api is None or o.endswith(f"|{api}")), None)
        if origin is None:
            return cls(f"|{api or 'legacy'}", path=path)
        return cls.load(path, origin)

    @classmethod
    def for_workspace(cls, workspace: Any, base_url: str, api: str) -> Inventory:
        """The cached inventory of a repository in a workspace (``WS/inventory.sqlite``).

        ``workspace`` is a :class:`~specpub.workspace.Workspace`, its folder, or
        a ledger path (its folder is the workspace).

        Examples
        --------
        >>> import tempfile
        >>> from specpub.workspace import Workspace
        >>> ws = Workspace.create(tempfile.mkdtemp())
        >>> inv = Inventory.for_workspace(ws, "https://zenodo.org", "legacy")
        >>> inv.path == ws.root / INVENTORY_FILE
        True
        >>> Inventory.for_workspace(ws.ledger_path, "x", "legacy").path == inv.path
        True
        """
        root = _workspace_root(workspace)
        return cls.load(root / INVENTORY_FILE, f"{base_url.rstrip('/')}|{api}")


def _workspace_root(workspace: Any) -> Path:
    """A workspace's folder, from a Workspace, its folder, or its ledger's path."""
    # a folder or a ledger file (a path's own .root is "/"), else a Workspace
    path_like = isinstance(workspace, str | os.PathLike)
    root = Path(workspace) if path_like else Path(workspace.root)
    return root.parent if root.suffix == ".sqlite" else root


def _age_key(e: ServerRecord) -> tuple[str, int, str]:
    rid = e.remote_id
    return (e.created or "", int(rid) if rid.isdigit() else 0, rid)
