"""The batch ledger: what was planned, asked and answered, record by record (SQLite, WAL).

The ledger is the single source of truth of a workspace's publication
batches. It lives in ``Workspace.ledger_path`` (``ledger.sqlite``), is plain
SQLite readable by pandas without specpub, and never holds a token.

Write-ahead protocol
--------------------
Before each request the runner commits the *intent* (e.g. ``planned → creating``);
right after the answer it commits the *outcome* (``creating → created`` with the
id, bucket and concept id). Each is its own committed transaction, so a crash at
any instant (``kill -9``) leaves a record either before the request (repeat it),
after it (continue), or *in* it (``creating``/``publishing``: the request may or
may not have reached the server). The runner resolves the last case by asking the
server (marker search for ``creating``, GET for ``publishing``) before anything
else; it never repeats a non-idempotent request blindly.

Durability: the database runs in WAL mode with ``synchronous=NORMAL``. In WAL mode
a *process* crash loses no committed transaction (the WAL is in the OS page
cache); only a power loss or kernel crash may lose the last few commits. The
intents of the two non-idempotent steps (create, publish) are therefore committed
with ``durable=True``, which switches that one commit to ``synchronous=FULL``
(fsync of the WAL, which also persists every earlier commit). After a power loss
the ledger may thus miss an *outcome* or some events, never the intent of a
create or publish: resume finds the record in ``creating``/``publishing`` and
reconciles it with the server. Everything else lost that way is an idempotent
step that resume simply redoes.

Schema (``PRAGMA user_version`` = 2; a version-1 ledger is upgraded in place)
------------------------------------------------------------------------------
``batches``
    ``batch_id`` INTEGER PK, ``label``, ``target`` (e.g. ``zenodo``, ``embedded``),
    ``api`` (``legacy``/``native``), ``created`` (ISO-8601 UTC), ``settings`` (JSON,
    never secrets).
``records`` (one row per record *revision*)
    ``record_id`` INTEGER PK (local), ``batch_id`` (the record→batch link),
    ``target``, ``api``, ``marker_key`` (``institution|catalog``, see
    :class:`~specpub.repository.protocol.Marker`), ``catalog_number``,
    ``institution_code``, ``revision`` (0 = first publication, 1, 2… = later edits
    or new versions), ``operation`` (``create`` | ``edit`` | ``new_version``),
    ``base_remote_id`` (the published record an edit/new version starts from),
    ``title``, ``payload`` (JSON of the API-specific body), ``payload_sha256``,
    ``sent_sha256`` (the ``payload_sha256`` the server's draft carries: set when a
    create or metadata update succeeds; ``NULL`` for an adopted draft, whose
    metadata is then sent again before publishing),
    ``state``, ``step`` (the step a ``failed``/``ambiguous`` state refers to),
    ``remote_id``, ``concept_id``, ``bucket``, ``doi``, ``concept_doi``,
    ``html_url``, ``attempts`` (transient failures at the current step; reset
    on reaching ``created``/``uploaded``/``published`` or when a failed record
    is revived),
    ``reason``, ``retryable`` (0/1), ``field_messages`` (JSON list),
    ``planned_at``, ``updated_at``, ``published_at`` (ISO-8601 UTC).
    Unique: ``(target, marker_key, revision)``: the marker is the natural key.
``files`` (one row per file of a record revision)
    ``file_id`` INTEGER PK, ``record_id``, ``key``, ``path``, ``size``, ``mtime``,
    ``md5``, ``sha256`` (as scanned), ``state``, ``server_checksum`` (as the
    server reported it), ``remote_file_id``, ``attempts``, ``updated_at``.
    Unique: ``(record_id, key)``.
``runs`` (one row per publish run, reconciliation or audit)
    ``run_id`` INTEGER PK, ``kind`` (see :data:`RUN_KINDS`), ``batch_ids`` (JSON
    list), ``target``, ``api``, ``started``/``ended`` (ISO-8601 UTC),
    ``ts_start``/``ts_end`` (epoch seconds), ``outcome`` (``running`` until it
    ends; ``ok``, ``incomplete``, ``stopped``, ``failed``; a run killed midway
    stays ``running``), ``message``, ``detail`` (JSON: counts, requests).
``events`` (append-only; one row per request attempt, per pause, per note)
    ``event_id`` INTEGER PK, ``ts`` (epoch seconds, float), ``time`` (ISO-8601
    UTC), ``batch_id``, ``record_id`` (NULL for pauses/probes), ``run_id`` (the
    run that wrote it; NULL for rows written outside a run), ``kind``
    (``request`` | ``pause`` | ``note``), ``step`` (``create``, ``update``,
    ``upload``, ``publish``, ``get``, ``search``, ``list``, ``delete_draft``,
    ``delete_file``, ``list_files``, ``edit``, ``new_version``, ``probe``; for
    pauses :data:`PAUSE_REASONS`; for notes ``adopt``, ``replan``, ``resolve``,
    ``check``…), ``outcome`` (see :data:`OUTCOMES`), ``http_status``,
    ``duration`` (seconds: of the request, or of the pause), ``requests`` (HTTP
    requests the attempt made: a native upload is init + content + commit = 3;
    0 for pauses and notes), ``error``, ``retry`` (0 for a first attempt),
    ``file_key``, ``detail`` (JSON).

Record states
-------------
``planned → creating → created → uploading → uploaded → publishing → published``,
plus ``failed`` (``reason``, ``retryable``, ``field_messages``, ``step``) and
``ambiguous`` (``step``: the request whose outcome is unknown). The legal moves
are in :data:`TRANSITIONS`; anything else raises :class:`IllegalTransition`.
For ``edit``/``new_version`` revisions, ``creating`` means "opening the draft
(edit/newversion) and PUTting the full metadata", both idempotent.

Two *named moves* leave the workflow, each in one transaction together with a
``note`` event saying why (:data:`MOVES`):

``adopt`` (:meth:`Ledger.adopt`)
    The server holds the record: take its id (and DOI). Preflight adopts what
    a second workspace or a lost ledger already published; reconciliation and
    the runner adopt what a lost answer hid.
``replan`` (:meth:`Ledger.replan`)
    Back to work: the files changed since planning (new checksums; the
    server's draft is kept and its files replaced), or a GET by id confirmed
    that the server no longer has the record. Leaving ``published`` needs that
    confirmation (``confirmed=``); the search index is never proof.

File states: ``planned → uploading → uploaded`` (server MD5 verified) or
``mismatch`` (server checksum differs; re-uploaded, bounded).

Python API
----------
``Ledger.open(path)`` (or ``Ledger.for_workspace(ws)``); ``create_batch``,
``batch``, ``batches``; ``add_record`` (used by :mod:`specpub.batch.plan`);
``record``, ``record_by_marker``, ``record_files``; ``records(batch=, state=)``,
``files(...)``, ``events(...)``, ``runs()`` and ``query(sql)`` → DataFrames;
``counts()``; ``transition(...)``, ``adopt(...)``, ``replan(...)``,
``transition_file(...)``, ``bump_attempts(...)``; ``run(kind, ...)`` (a context
that tags every event with its run); ``record_event(...)``, ``record_pause(...)``.

Examples
--------
>>> import tempfile, pathlib
>>> from specpub.repository.protocol import Marker
>>> led = Ledger.open(pathlib.Path(tempfile.mkdtemp()) / "ledger.sqlite")
>>> b = led.create_batch(target="embedded", api="legacy")
>>> rid, added = led.add_record(b, Marker("BR1", "BR"), payload={"metadata": {}})
>>> added
True
>>> led.transition(rid, "creating").state
'creating'
>>> led.transition(rid, "created", remote_id="17", bucket="http://x/files/b").remote_id
'17'
>>> led.counts(batch=b)
{'created': 1}
>>> led.record_event(b, rid, "create", "ok", http_status=201, duration=0.02) > 0
True
>>> led.close()
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from specpub.errors import InputError, SpecpubError
from specpub.repository.protocol import Marker

__all__ = [
    "ACTIVE_STATES",
    "FILE_STATES",
    "FILE_TRANSITIONS",
    "MOVES",
    "OUTCOMES",
    "PAUSE_REASONS",
    "RUN_KINDS",
    "STATES",
    "TRANSITIONS",
    "BatchInfo",
    "IllegalTransition",
    "Ledger",
    "LedgerFile",
    "LedgerRecord",
    "RunHandle",
]

SCHEMA_VERSION = 2

#: Every record state, in workflow order.
STATES = (
    "planned",
    "creating",
    "created",
    "uploading",
    "uploaded",
    "publishing",
    "published",
    "failed",
    "ambiguous",
)
#: States in which a record still has work to do (``failed`` only if retryable).
ACTIVE_STATES = (
    "planned",
    "creating",
    "created",
    "uploading",
    "uploaded",
    "publishing",
    "ambiguous",
)

#: Legal record moves: ``TRANSITIONS[current]`` is the set of allowed next states.
TRANSITIONS: dict[str, frozenset[str]] = {
    "planned": frozenset({"creating", "failed"}),
    # creating -> planned: resolved "was never created"; -> published: adopted a published match.
    "creating": frozenset({"created", "planned", "published", "failed", "ambiguous"}),
    "created": frozenset({"uploading", "uploaded", "failed", "ambiguous"}),
    "uploading": frozenset({"uploaded", "created", "failed", "ambiguous"}),
    "uploaded": frozenset({"publishing", "uploading", "failed", "ambiguous"}),
    "publishing": frozenset({"published", "uploaded", "failed", "ambiguous"}),
    "published": frozenset(),
    # failed -> back to where work resumes (explicit retry of a failed record).
    "failed": frozenset({"planned", "created", "uploaded", "ambiguous"}),
    # ambiguous -> whatever the server says happened.
    "ambiguous": frozenset({"planned", "created", "uploaded", "published", "failed"}),
}

#: The named moves outside the workflow: ``MOVES[move][to]`` is the set of
#: states a record may leave for ``to`` by that move (see :meth:`Ledger.adopt`,
#: :meth:`Ledger.replan`). Each is logged as a ``note`` event named after it.
MOVES: dict[str, dict[str, frozenset[str]]] = {
    # the server holds it: published (with its DOI; also corrects a published row's
    # facts) or a draft to resume
    "adopt": {
        "published": frozenset(STATES),
        "created": frozenset(set(STATES) - {"created"}),
    },
    # back to work: files changed (draft kept: "created") or the record is gone ("planned")
    "replan": {
        "created": frozenset({"created", "uploading", "uploaded", "failed"}),
        "planned": frozenset(set(STATES) - {"planned"}),
    },
}

#: Every file state.
FILE_STATES = ("planned", "uploading", "uploaded", "mismatch")
#: Legal file moves.
FILE_TRANSITIONS: dict[str, frozenset[str]] = {
    "planned": frozenset({"uploading", "uploaded"}),
    "uploading": frozenset({"uploaded", "mismatch", "planned"}),
    "uploaded": frozenset({"uploading", "planned", "mismatch"}),
    "mismatch": frozenset({"uploading", "planned"}),
}

#: Outcomes of an event row (request outcomes as :func:`specpub.errors.classify` names them).
OUTCOMES = (
    "ok",
    "transient",
    "not_found",
    "rejected",
    "ambiguous",
    "rate_limited",
    "mismatch",
    "error",
    "pause",
    "note",
)
#: Request outcomes that are failures (everything but ``ok``, pauses and notes).
FAILED_OUTCOMES = frozenset(OUTCOMES) - {"ok", "pause", "note"}
#: The ``step`` of pause rows: waits for the rate limit, outages (circuit breaker
#: open), and retry back-offs.
PAUSE_REASONS = ("rate_limit", "circuit_open", "backoff")
#: Kinds of runs (rows of the ``runs`` table).
RUN_KINDS = ("publish", "reconcile", "audit", "summary", "dry-run")

_OPERATIONS = ("create", "edit", "new_version")
_SECRET_WORDS = ("token", "password", "secret")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    batch_id   INTEGER PRIMARY KEY,
    label      TEXT,
    target     TEXT NOT NULL,
    api        TEXT NOT NULL,
    created    TEXT NOT NULL,
    settings   TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS records (
    record_id        INTEGER PRIMARY KEY,
    batch_id         INTEGER NOT NULL REFERENCES batches(batch_id),
    target           TEXT NOT NULL,
    api              TEXT NOT NULL,
    marker_key       TEXT NOT NULL,
    catalog_number   TEXT NOT NULL,
    institution_code TEXT,
    revision         INTEGER NOT NULL DEFAULT 0,
    operation        TEXT NOT NULL DEFAULT 'create',
    base_remote_id   TEXT,
    title            TEXT,
    payload          TEXT NOT NULL,
    payload_sha256   TEXT NOT NULL,
    sent_sha256      TEXT,
    state            TEXT NOT NULL DEFAULT 'planned',
    step             TEXT,
    remote_id        TEXT,
    concept_id       TEXT,
    bucket           TEXT,
    doi              TEXT,
    concept_doi      TEXT,
    html_url         TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    reason           TEXT,
    retryable        INTEGER,
    field_messages   TEXT,
    planned_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    published_at     TEXT,
    UNIQUE (target, marker_key, revision)
);
CREATE INDEX IF NOT EXISTS records_batch_state ON records(batch_id, state);
CREATE INDEX IF NOT EXISTS records_remote ON records(remote_id);
CREATE TABLE IF NOT EXISTS files (
    file_id          INTEGER PRIMARY KEY,
    record_id        INTEGER NOT NULL REFERENCES records(record_id),
    key              TEXT NOT NULL,
    path             TEXT NOT NULL,
    size             INTEGER NOT NULL,
    mtime            REAL,
    md5              TEXT NOT NULL,
    sha256           TEXT,
    state            TEXT NOT NULL DEFAULT 'planned',
    server_checksum  TEXT,
    remote_file_id   TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    updated_at       TEXT NOT NULL,
    UNIQUE (record_id, key)
);
CREATE TABLE IF NOT EXISTS events (
    event_id     INTEGER PRIMARY KEY,
    ts           REAL NOT NULL,
    time         TEXT NOT NULL,
    batch_id     INTEGER,
    record_id    INTEGER,
    kind         TEXT NOT NULL DEFAULT 'request',
    step         TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    http_status  INTEGER,
    duration     REAL,
    error        TEXT,
    retry        INTEGER NOT NULL DEFAULT 0,
    file_key     TEXT,
    detail       TEXT,
    run_id       INTEGER,
    requests     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS events_batch_ts ON events(batch_id, ts);
CREATE INDEX IF NOT EXISTS events_record ON events(record_id);
CREATE TABLE IF NOT EXISTS runs (
    run_id     INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    batch_ids  TEXT NOT NULL DEFAULT '[]',
    target     TEXT,
    api        TEXT,
    started    TEXT NOT NULL,
    ts_start   REAL NOT NULL,
    ended      TEXT,
    ts_end     REAL,
    outcome    TEXT NOT NULL DEFAULT 'running',
    message    TEXT,
    detail     TEXT NOT NULL DEFAULT '{}'
);
"""

# Upgrades from older schema versions: (version reached, statements).
_MIGRATIONS = (
    (
        2,
        (
            "ALTER TABLE records ADD COLUMN sent_sha256 TEXT",
            "ALTER TABLE events ADD COLUMN run_id INTEGER",
            "ALTER TABLE events ADD COLUMN requests INTEGER NOT NULL DEFAULT 1",
            # pauses and notes are not requests
            "UPDATE events SET requests=0 WHERE kind!='request'",
        ),
    ),
)

_RECORD_COLUMNS = (
    "record_id, batch_id, target, api, marker_key, catalog_number, institution_code, revision, "
    "operation, base_remote_id, title, payload_sha256, state, step, remote_id, concept_id, "
    "bucket, doi, concept_doi, html_url, attempts, reason, retryable, field_messages, "
    "planned_at, updated_at, published_at, sent_sha256"
)


# What a record knows about its server copy (cleared when it is planned again).
_REMOTE_COLUMNS = (
    "remote_id", "concept_id", "bucket", "doi", "concept_doi", "html_url", "sent_sha256",
    "step", "reason", "retryable", "field_messages",
)  # fmt: skip


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _payload_text(payload: Mapping[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _resets_attempts(current: str, to: str) -> bool:
    """An outcome that is progress, or a revived failure, starts a fresh attempt budget.

    Intents (``planned → creating``) and going back after a transient error
    (``creating → planned``, ``publishing → uploaded``, ``ambiguous → uploaded``)
    keep the count.
    """
    if current == "failed":
        return to != "failed"
    return (current, to) in _PROGRESS


# The moves that are progress (an outcome of the step, not a step back).
_PROGRESS = frozenset(
    {
        ("creating", "created"),
        ("creating", "published"),
        ("uploading", "uploaded"),
        ("created", "uploaded"),
        ("publishing", "published"),
        ("ambiguous", "created"),
        ("ambiguous", "published"),
    }
)


class IllegalTransition(SpecpubError, RuntimeError):
    """A state change the ledger's state machine does not allow.

    Examples
    --------
    >>> str(IllegalTransition("record 3: published -> creating is not allowed"))
    'record 3: published -> creating is not allowed'
    """


@dataclass(frozen=True)
class BatchInfo:
    """One row of the ``batches`` table.

    Examples
    --------
    >>> BatchInfo(1, None, "embedded", "legacy", "2026-01-01T00:00:00+00:00", {}).api
    'legacy'
    """

    batch_id: int
    label: str | None
    target: str
    api: str
    created: str
    settings: dict[str, Any]


@dataclass(frozen=True)
class LedgerFile:
    """One row of the ``files`` table.

    Examples
    --------
    >>> LedgerFile(1, 1, "a.jpg", "/m/a.jpg", 3, 0.0, "0" * 32, None, "planned", None, None, 0).key
    'a.jpg'
    """

    file_id: int
    record_id: int
    key: str
    path: str
    size: int
    mtime: float | None
    md5: str
    sha256: str | None
    state: str
    server_checksum: str | None
    remote_file_id: str | None
    attempts: int


@dataclass(frozen=True)
class LedgerRecord:
    """One row of the ``records`` table (without the payload; see :meth:`Ledger.payload`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> led = Ledger.open(pathlib.Path(tempfile.mkdtemp()) / "l.sqlite")
    >>> b = led.create_batch(target="embedded", api="native")
    >>> rid, _ = led.add_record(b, Marker("X1"), payload={"custom_fields": {}})
    >>> rec = led.record(rid)
    >>> rec.marker, rec.state, rec.is_done
    (Marker(catalog_number='X1', institution_code=None), 'planned', False)
    >>> led.close()
    """

    record_id: int
    batch_id: int
    target: str
    api: str
    marker_key: str
    catalog_number: str
    institution_code: str | None
    revision: int
    operation: str
    base_remote_id: str | None
    title: str | None
    payload_sha256: str
    state: str
    step: str | None
    remote_id: str | None
    concept_id: str | None
    bucket: str | None
    doi: str | None
    concept_doi: str | None
    html_url: str | None
    attempts: int
    reason: str | None
    retryable: bool | None
    field_messages: tuple[str, ...]
    planned_at: str
    updated_at: str
    published_at: str | None
    sent_sha256: str | None = None

    @property
    def marker(self) -> Marker:
        """The record's idempotency marker.

        Examples
        --------
        >>> row = [1, 1, "t", "legacy", "BR|X", "X", "BR", 0, "create", None, None, ""]
        >>> row += ["planned"] + [None] * 7 + [0] + [None] * 3 + ["", "", None]
        >>> LedgerRecord._from_row(row).marker
        Marker(catalog_number='X', institution_code='BR')
        """
        return Marker(self.catalog_number, self.institution_code)

    @property
    def is_done(self) -> bool:
        """Whether the record is published.

        Examples
        --------
        >>> row = [1, 1, "t", "legacy", "|X", "X", None, 0, "create", None, None, ""]
        >>> row += ["published", None, "5"] + [None] * 5 + [0] + [None] * 3 + ["", "", None]
        >>> LedgerRecord._from_row(row).is_done
        True
        """
        return self.state == "published"

    @classmethod
    def _from_row(cls, row: Sequence[Any]) -> LedgerRecord:
        values = list(row)
        values[22] = None if values[22] is None else bool(values[22])
        values[23] = tuple(json.loads(values[23])) if values[23] else ()
        return cls(*values)


class Ledger:
    """The SQLite ledger of a workspace's batches (see the module docstring for the schema).

    One ``Ledger`` object wraps one connection; it may be used from several
    threads (calls are serialised by a lock) and several processes may open
    the same file (WAL; writers wait up to ``timeout`` seconds for the lock).

    Parameters
    ----------
    path
        The ``ledger.sqlite`` file (created with its tables when missing).
    timeout
        Seconds to wait for another process's write lock.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "ledger.sqlite"
    >>> with Ledger.open(path) as led:
    ...     led.create_batch(target="embedded", api="legacy", label="pilot")
    1
    >>> import sqlite3, pandas as pd
    >>> pd.read_sql("SELECT batch_id, label FROM batches", sqlite3.connect(path)).label[0]
    'pilot'
    """

    def __init__(self, path: Path | str, *, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            self.path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        with self._tx():
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise InputError(
                    f"the ledger has schema version {version}, newer than this specpub "
                    f"understands ({SCHEMA_VERSION})",
                    file=str(self.path),
                    fix="upgrade specpub",
                )
            fresh = not self._conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='records'"
            ).fetchone()
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._conn.execute(statement)
            if not fresh:
                for reached, statements in _MIGRATIONS:
                    if version < reached:
                        for statement in statements:
                            self._conn.execute(statement)
            self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        #: The run whose events are being written (see :meth:`run`).
        self.current_run: int | None = None

    # -- lifecycle --------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str, *, timeout: float = 30.0) -> Ledger:
        """Open (or create) the ledger at ``path``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> led = Ledger.open(pathlib.Path(tempfile.mkdtemp()) / "x.sqlite")
        >>> led.counts()
        {}
        >>> led.close()
        """
        return cls(path, timeout=timeout)

    @classmethod
    def for_workspace(cls, workspace: Any) -> Ledger:
        """Open the ledger of a :class:`~specpub.workspace.Workspace`.

        Examples
        --------
        >>> import tempfile
        >>> from specpub.workspace import Workspace
        >>> ws = Workspace.create(tempfile.mkdtemp())
        >>> with Ledger.for_workspace(ws) as led:
        ...     led.path.name
        'ledger.sqlite'
        """
        return cls.open(workspace.ledger_path)

    def close(self) -> None:
        """Close the connection (safe to call twice).

        Examples
        --------
        >>> import tempfile
        >>> led = Ledger.open(Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="t", api="legacy")
        >>> rid, _ = led.add_record(b, Marker("A1"), payload={"metadata": {}},
        ...     files=[{"key": "a.jpg", "path": "/m/a.jpg", "size": 3, "md5": "0" * 32}])
        >>> led.close(); led.close()
        """
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None  # type: ignore[assignment]

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    @contextmanager
    def _tx(self, *, durable: bool = False) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._conn
            if conn is None:
                raise RuntimeError("the ledger is closed")
            if durable:
                conn.execute("PRAGMA synchronous=FULL")
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            finally:
                if durable:
                    conn.execute("PRAGMA synchronous=NORMAL")

    # -- batches ----------------------------------------------------------------------
    def create_batch(
        self,
        *,
        target: str,
        api: str,
        settings: Mapping[str, Any] | None = None,
        label: str | None = None,
    ) -> int:
        """Add a batch and return its id.

        ``settings`` is saved as JSON; keys that look like secrets are refused.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> led = Ledger.open(pathlib.Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> led.create_batch(target="zenodo", api="legacy", settings={"concurrency": 8})
        1
        >>> led.batch(1).settings
        {'concurrency': 8}
        >>> led.close()
        """
        if api not in ("legacy", "native"):
            raise InputError(f"unknown api {api!r}", field="api", fix="use 'legacy' or 'native'")
        settings = dict(settings or {})
        for key in settings:
            low = str(key).lower()
            if any(w in low for w in _SECRET_WORDS) and not low.endswith("_env"):
                raise InputError(
                    f"refusing to store setting {key!r} in the ledger: it looks like a secret",
                    field=str(key),
                    fix="store the name of an environment variable instead (e.g. token_env)",
                )
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO batches (label, target, api, created, settings) VALUES (?,?,?,?,?)",
                (label, target, api, _now_iso(), json.dumps(settings, default=str)),
            )
            return int(cur.lastrowid)

    def batch(self, batch_id: int) -> BatchInfo:
        """One batch; raises :class:`InputError` if there is no such batch.

        Examples
        --------
        >>> import tempfile
        >>> led = Ledger.open(Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="t", api="legacy")
        >>> rid, _ = led.add_record(b, Marker("A1"), payload={"metadata": {}},
        ...     files=[{"key": "a.jpg", "path": "/m/a.jpg", "size": 3, "md5": "0" * 32}])
        >>> led.batch(b).target
        't'
        >>> led.close()
        """
        with self._lock:
            row = self._conn.execute(
                "SELECT batch_id, label, target, api, created, settings FROM batches "
                "WHERE batch_id=?",
                (int(batch_id),),
            ).fetchone()
        if row is None:
            raise InputError(
                f"the ledger has no batch {batch_id}",
                file=str(self.path),
                fix="list the batches with `specpub status`",
            )
        return BatchInfo(*row[:5], json.loads(row[5] or "{}"))

    def latest_batch(self, batch: int | None = None) -> int:
        """``batch`` if given (checked to exist), else the newest batch.

        Raises :class:`InputError` when nothing is planned yet.

        Examples
        --------
        >>> import tempfile
        >>> led = Ledger.open(Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> led.latest_batch()
        Traceback (most recent call last):
        ...
        specpub.errors.InputError: ...nothing is planned in this workspace...
        >>> b = led.create_batch(target="t", api="legacy")
        >>> led.latest_batch() == b
        True
        >>> led.close()
        """
        if batch is not None:
            self.batch(batch)
            return int(batch)
        ids = self.batch_ids()
        if not ids:
            raise InputError(
                "nothing is planned in this workspace",
                file=str(self.path),
                fix="plan records first (`specpub plan`, or specpub.batch.plan_records)",
            )
        return ids[-1]

    def batch_ids(self) -> list[int]:
        """All batch ids, oldest first.

        Examples
        --------
        >>> import tempfile
        >>> led = Ledger.open(Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="t", api="legacy")
        >>> rid, _ = led.add_record(b, Marker("A1"), payload={"metadata": {}},
        ...     files=[{"key": "a.jpg", "path": "/m/a.jpg", "size": 3, "md5": "0" * 32}])
        >>> led.batch_ids()
        [1]
        >>> led.close()
        """
        with self._lock:
            return [r[0] for r in self._conn.execute("SELECT batch_id FROM batches ORDER BY 1")]

    def batches(self) -> pd.DataFrame:
        """The ``batches`` table with a record count per batch, as a DataFrame.

        Examples
        --------
        >>> import tempfile
        >>> led = Ledger.open(Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="t", api="legacy")
        >>> rid, _ = led.add_record(b, Marker("A1"), payload={"metadata": {}},
        ...     files=[{"key": "a.jpg", "path": "/m/a.jpg", "size": 3, "md5": "0" * 32}])
        >>> led.batches()[['batch_id', 'records']].values.tolist()
        [[1, 1]]
        >>> led.close()
        """
        return self.query(
            "SELECT b.*, (SELECT COUNT(*) FROM records r WHERE r.batch_id=b.batch_id) AS records "
            "FROM batches b ORDER BY b.batch_id"
        )

    # -- records ----------------------------------------------------------------------
    def add_record(
        self,
        batch_id: int,
        marker: Marker,
        *,
        payload: Mapping[str, Any],
        files: Iterable[Mapping[str, Any]] = (),
        title: str | None = None,
        revision: int = 0,
        operation: str = "create",
        base_remote_id: str | None = None,
    ) -> tuple[int, bool]:
        """Add a planned record (and its files) or update an unsent plan.

        The marker (with the batch's target and ``revision``) is the natural
        key: planning the same record twice adds nothing. A record that is not
        published yet follows a changed plan:

        * the server never saw it (``planned``, or ``failed`` before a create
          succeeded): the plan is replaced (a failed record is ``planned`` again);
        * the server holds its draft (``created``, ``uploading``, ``uploaded``,
          or ``failed`` after the create): files whose key, size or MD5 changed
          are planned again with their new checksums (the runner replaces them
          in the draft and deletes files no longer planned), unchanged files keep
          their state, and a changed payload is sent to the draft before
          publishing. This is the logged move ``replan`` (see :meth:`replan`).

        A record caught mid-request (``creating``, ``publishing``, ``ambiguous``)
        or already published is left alone (publish resolves the first; a new
        version changes the second, see :func:`specpub.batch.plan.plan_new_versions`).

        ``files`` are mappings with ``key``, ``path``, ``size``, ``mtime``,
        ``md5`` and optionally ``sha256``.

        Returns
        -------
        (record_id, changed)
            ``changed`` is True when a row was added or its plan updated.

        Examples
        --------
        >>> import tempfile
        >>> led = Ledger.open(Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="t", api="legacy")
        >>> rid, _ = led.add_record(b, Marker("A1"), payload={"metadata": {}},
        ...     files=[{"key": "a.jpg", "path": "/m/a.jpg", "size": 3, "md5": "0" * 32}])
        >>> led.add_record(b, Marker("A1"), payload={"metadata": {}},
        ...     files=[{"key": "a.jpg", "path": "/m/a.jpg", "size": 3, "md5": "0" * 32}])
        (1, False)
        >>> led.close()
        """
        if operation not in _OPERATIONS:
            raise ValueError(f"operation must be one of {_OPERATIONS}, not {operation!r}")
        info = self.batch(batch_id)
        text = _payload_text(payload)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        file_rows = [
            (
                str(f["key"]),
                str(f["path"]),
                int(f["size"]),
                None if f.get("mtime") is None else float(f["mtime"]),
                str(f["md5"]).lower(),
                f.get("sha256"),
            )
            for f in files
        ]
        now = _now_iso()
        with self._tx() as conn:
            row = conn.execute(
                "SELECT record_id, state, payload_sha256, remote_id FROM records "
                "WHERE target=? AND marker_key=? AND revision=?",
                (info.target, marker.key, revision),
            ).fetchone()
            if row is None:
                cur = conn.execute(
                    "INSERT INTO records (batch_id, target, api, marker_key, catalog_number, "
                    "institution_code, revision, operation, base_remote_id, title, payload, "
                    "payload_sha256, state, planned_at, updated_at) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,'planned',?,?)",
                    (
                        batch_id,
                        info.target,
                        info.api,
                        marker.key,
                        marker.catalog_number,
                        marker.institution_code,
                        revision,
                        operation,
                        base_remote_id,
                        title,
                        text,
                        digest,
                        now,
                        now,
                    ),
                )
                rid = int(cur.lastrowid)
                self._insert_files(conn, rid, file_rows, now)
                return rid, True
            rid, state, old_digest, stored_id = row
            old_files = {
                k: (m, sz)
                for k, m, sz in conn.execute(
                    "SELECT key, md5, size FROM files WHERE record_id=?", (rid,)
                )
            }
            new_files = {r[0]: (r[4], r[2]) for r in file_rows}
            if old_digest == digest and old_files == new_files:
                return int(rid), False
            if state == "planned" or (state == "failed" and stored_id is None):
                # the server never saw it: the new plan replaces the old one
                conn.execute(
                    "UPDATE records SET payload=?, payload_sha256=?, title=?, base_remote_id=?, "
                    "state='planned', step=NULL, reason=NULL, retryable=NULL, "
                    "field_messages=NULL, attempts=0, updated_at=? WHERE record_id=?",
                    (text, digest, title, base_remote_id, now, rid),
                )
                conn.execute("DELETE FROM files WHERE record_id=?", (rid,))
                self._insert_files(conn, rid, file_rows, now)
                return int(rid), True
            if state not in MOVES["replan"]["created"] or stored_id is None:
                return int(rid), False
            # the server holds the draft: keep it, replace what changed
            changed = sorted(k for k in set(old_files) | set(new_files)
                             if old_files.get(k) != new_files.get(k))  # fmt: skip
            for row_ in file_rows:
                if row_[0] in changed:
                    conn.execute("DELETE FROM files WHERE record_id=? AND key=?", (rid, row_[0]))
                    self._insert_files(conn, rid, [row_], now)
            for key in set(old_files) - set(new_files):
                conn.execute("DELETE FROM files WHERE record_id=? AND key=?", (rid, key))
            to = "created" if changed else state
            if to == "failed":  # only the payload changed on a failed draft
                to = "created"
            conn.execute(
                "UPDATE records SET payload=?, payload_sha256=?, title=?, state=?, step=NULL, "
                "reason=NULL, retryable=NULL, field_messages=NULL, attempts=0, updated_at=? "
                "WHERE record_id=?",
                (text, digest, title, to, now, rid),
            )
            self._log_move(
                conn, rid, "replan", state, to, source="plan",
                reason="the plan changed: " + (
                    f"files {', '.join(changed)}" if changed else "metadata only"
                ),
            )  # fmt: skip
            return int(rid), True

    @staticmethod
    def _insert_files(
        conn: sqlite3.Connection, rid: int, rows: list[tuple[Any, ...]], now: str
    ) -> None:
        conn.executemany(
            "INSERT INTO files (record_id, key, path, size, mtime, md5, sha256, state, updated_at) "
            "VALUES (?,?,?,?,?,?,?,'planned',?)",
            [(rid, *r, now) for r in rows],
        )

    def record(self, record_id: int) -> LedgerRecord:
        """One record by its local id (``KeyError`` if absent).

        Examples
        --------
        >>> import tempfile
        >>> led = Ledger.open(Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="t", api="legacy")
        >>> rid, _ = led.add_record(b, Marker("A1"), payload={"metadata": {}},
        ...     files=[{"key": "a.jpg", "path": "/m/a.jpg", "size": 3, "md5": "0" * 32}])
        >>> led.record(rid).marker_key
        '|A1'
        >>> led.close()
        """
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_RECORD_COLUMNS} FROM records WHERE record_id=?", (int(record_id),)
            ).fetchone()
        if row is None:
            raise KeyError(f"the ledger has no record {record_id}")
        return LedgerRecord._from_row(row)

    def record_by_marker(
        self, target: str, marker: Marker, *, revision: int | None = None
    ) -> LedgerRecord | None:
        """The record with ``marker`` on ``target`` (latest revision unless given).

        Examples
        --------
        >>> import tempfile
        >>> led = Ledger.open(Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="t", api="legacy")
        >>> rid, _ = led.add_record(b, Marker("A1"), payload={"metadata": {}},
        ...     files=[{"key": "a.jpg", "path": "/m/a.jpg", "size": 3, "md5": "0" * 32}])
        >>> led.record_by_marker("t", Marker("A1")).record_id == rid
        True
        >>> led.record_by_marker("t", Marker("B2")) is None
        True
        >>> led.close()
        """
        sql = f"SELECT {_RECORD_COLUMNS} FROM records WHERE target=? AND marker_key=?"
        params: list[Any] = [target, marker.key]
        if revision is not None:
            sql += " AND revision=?"
            params.append(revision)
        sql += " ORDER BY revision DESC LIMIT 1"
        with self._lock:
            row = self._conn.execute(sql, params).fetchone()
        return None if row is None else LedgerRecord._from_row(row)

    def record_ids(
        self, *, batch: int | None = None, state: str | Sequence[str] | None = None
    ) -> list[int]:
        """Local ids of the records matching ``batch`` and ``state``, in id order.

        Examples
        --------
        >>> import tempfile
        >>> led = Ledger.open(Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="t", api="legacy")
        >>> rid, _ = led.add_record(b, Marker("A1"), payload={"metadata": {}},
        ...     files=[{"key": "a.jpg", "path": "/m/a.jpg", "size": 3, "md5": "0" * 32}])
        >>> led.record_ids(batch=b, state="planned")
        [1]
        >>> led.close()
        """
        where, params = self._where(batch=batch, state=state)
        with self._lock:
            return [
                r[0]
                for r in self._conn.execute(
                    f"SELECT record_id FROM records{where} ORDER BY record_id", params
                )
            ]

    def payload(self, record_id: int) -> dict[str, Any]:
        """The planned API body of a record (decoded JSON).

        Examples
        --------
        >>> import tempfile
        >>> led = Ledger.open(Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="t", api="legacy")
        >>> rid, _ = led.add_record(b, Marker("A1"), payload={"metadata": {}},
        ...     files=[{"key": "a.jpg", "path": "/m/a.jpg", "size": 3, "md5": "0" * 32}])
        >>> led.payload(rid)
        {'metadata': {}}
        >>> led.close()
        """
        with self._lock:
            row = self._conn.execute(
                "SELECT payload FROM records WHERE record_id=?", (int(record_id),)
            ).fetchone()
        if row is None:
            raise KeyError(f"the ledger has no record {record_id}")
        return json.loads(row[0])

    def record_files(self, record_id: int) -> list[LedgerFile]:
        """The file rows of a record, in key order.

        Examples
        --------
        >>> import tempfile
        >>> led = Ledger.open(Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="t", api="legacy")
        >>> rid, _ = led.add_record(b, Marker("A1"), payload={"metadata": {}},
        ...     files=[{"key": "a.jpg", "path": "/m/a.jpg", "size": 3, "md5": "0" * 32}])
        >>> [(f.key, f.state) for f in led.record_files(rid)]
        [('a.jpg', 'planned')]
        >>> led.close()
        """
        with self._lock:
            rows = self._conn.execute(
                "SELECT file_id, record_id, key, path, size, mtime, md5, sha256, state, "
                "server_checksum, remote_file_id, attempts FROM files WHERE record_id=? "
                "ORDER BY key",
                (int(record_id),),
            ).fetchall()
        return [LedgerFile(*r) for r in rows]

    @staticmethod
    def _where(
        *, batch: int | None = None, state: str | Sequence[str] | None = None, alias: str = ""
    ) -> tuple[str, list[Any]]:
        clauses, params = [], []
        if batch is not None:
            clauses.append(f"{alias}batch_id=?")
            params.append(int(batch))
        if state is not None:
            states = [state] if isinstance(state, str) else list(state)
            clauses.append(f"{alias}state IN ({','.join('?' * len(states))})")
            params.extend(states)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    def records(
        self,
        batch: int | None = None,
        state: str | Sequence[str] | None = None,
        *,
        payload: bool = False,
    ) -> pd.DataFrame:
        """The ``records`` table (optionally filtered) as a DataFrame.

        The JSON payload is left out unless ``payload=True``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> led = Ledger.open(pathlib.Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="embedded", api="legacy")
        >>> _ = led.add_record(b, Marker("A1"), payload={})
        >>> led.records(batch=b)[["catalog_number", "state"]].values.tolist()
        [['A1', 'planned']]
        >>> led.close()
        """
        where, params = self._where(batch=batch, state=state)
        cols = _RECORD_COLUMNS + (", payload" if payload else "")
        return self.query(f"SELECT {cols} FROM records{where} ORDER BY record_id", params)

    def files(
        self,
        batch: int | None = None,
        state: str | Sequence[str] | None = None,
        *,
        record: int | None = None,
    ) -> pd.DataFrame:
        """The ``files`` table joined with the record's batch, marker and state.

        Examples
        --------
        >>> import tempfile
        >>> led = Ledger.open(Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="t", api="legacy")
        >>> rid, _ = led.add_record(b, Marker("A1"), payload={"metadata": {}},
        ...     files=[{"key": "a.jpg", "path": "/m/a.jpg", "size": 3, "md5": "0" * 32}])
        >>> led.files(batch=b)[['key', 'state', 'marker_key']].values.tolist()
        [['a.jpg', 'planned', '|A1']]
        >>> led.close()
        """
        clauses, params = [], []
        if batch is not None:
            clauses.append("r.batch_id=?")
            params.append(int(batch))
        if state is not None:
            states = [state] if isinstance(state, str) else list(state)
            clauses.append(f"f.state IN ({','.join('?' * len(states))})")
            params.extend(states)
        if record is not None:
            clauses.append("f.record_id=?")
            params.append(int(record))
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        return self.query(
            "SELECT f.*, r.batch_id, r.marker_key, r.remote_id, r.state AS record_state "
            f"FROM files f JOIN records r USING (record_id){where} ORDER BY f.file_id",
            params,
        )

    def events(
        self,
        batch: int | None = None,
        *,
        record: int | None = None,
        kind: str | None = None,
        since: float | None = None,
    ) -> pd.DataFrame:
        """The ``events`` table (optionally filtered) as a DataFrame, in time order.

        Examples
        --------
        >>> import tempfile
        >>> led = Ledger.open(Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="t", api="legacy")
        >>> rid, _ = led.add_record(b, Marker("A1"), payload={"metadata": {}},
        ...     files=[{"key": "a.jpg", "path": "/m/a.jpg", "size": 3, "md5": "0" * 32}])
        >>> _ = led.record_event(b, rid, "create", "transient", http_status=502)
        >>> led.events(record=rid)[['step', 'outcome', 'http_status']].values.tolist()
        [['create', 'transient', 502]]
        >>> led.close()
        """
        clauses, params = [], []
        for col, value in (("batch_id", batch), ("record_id", record), ("kind", kind)):
            if value is not None:
                clauses.append(f"{col}=?")
                params.append(value)
        if since is not None:
            clauses.append("ts>=?")
            params.append(float(since))
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        return self.query(f"SELECT * FROM events{where} ORDER BY event_id", params)

    def counts(self, batch: int | None = None) -> dict[str, int]:
        """Number of records per state (states with no record are left out).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> led = Ledger.open(pathlib.Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="embedded", api="legacy")
        >>> for c in ("A", "B"):
        ...     _ = led.add_record(b, Marker(c), payload={})
        >>> led.counts()
        {'planned': 2}
        >>> led.close()
        """
        where, params = self._where(batch=batch)
        with self._lock:
            rows = self._conn.execute(
                f"SELECT state, COUNT(*) FROM records{where} GROUP BY state", params
            ).fetchall()
        order = {s: i for i, s in enumerate(STATES)}
        return {s: n for s, n in sorted(rows, key=lambda r: order.get(r[0], 99))}

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """Run a read-only SQL query and return a DataFrame.

        Examples
        --------
        >>> import tempfile
        >>> led = Ledger.open(Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="t", api="legacy")
        >>> rid, _ = led.add_record(b, Marker("A1"), payload={"metadata": {}},
        ...     files=[{"key": "a.jpg", "path": "/m/a.jpg", "size": 3, "md5": "0" * 32}])
        >>> int(led.query("SELECT COUNT(*) AS n FROM files").n[0])
        1
        >>> led.close()
        """
        with self._lock:
            cur = self._conn.execute(sql, list(params))
            cols = [d[0] for d in cur.description] if cur.description else []
            rows = cur.fetchall()
        return pd.DataFrame.from_records(rows, columns=cols)

    # -- state changes ----------------------------------------------------------------
    def transition(
        self,
        record_id: int,
        to: str,
        *,
        expected: str | Sequence[str] | None = None,
        step: str | None = None,
        remote_id: str | None = None,
        concept_id: str | None = None,
        bucket: str | None = None,
        doi: str | None = None,
        concept_doi: str | None = None,
        html_url: str | None = None,
        reason: str | None = None,
        retryable: bool | None = None,
        field_messages: Sequence[str] | None = None,
        reset_remote: bool = False,
        sent: bool = False,
        durable: bool = False,
    ) -> LedgerRecord:
        """Move a record to state ``to`` in one committed transaction.

        Parameters
        ----------
        record_id
            The local record id.
        to
            The new state; must be in ``TRANSITIONS[current]``.
        expected
            If given, the current state must be (one of) this, else
            :class:`IllegalTransition` (guards against a stale view).
        step
            The step a ``failed``/``ambiguous`` state refers to (required for
            ``ambiguous``; kept for ``failed``).
        remote_id, concept_id, bucket, doi, concept_doi, html_url
            Server facts learnt with this move (``None`` keeps the stored value).
            ``created`` and ``published`` need a ``remote_id`` (given or stored).
        reason, retryable, field_messages
            Why a record ``failed`` (``reason`` required for ``failed``).
        reset_remote
            Clear the remote facts (used for ``creating → planned`` when the
            server has no such record).
        sent
            The server's draft now carries this plan's metadata (a create or a
            metadata update succeeded): ``sent_sha256`` becomes ``payload_sha256``.
        durable
            Commit with ``synchronous=FULL`` (intents of non-idempotent requests).

        Raises
        ------
        IllegalTransition
            When the move is not allowed or a required value is missing.

        Examples
        --------
        >>> import tempfile
        >>> led = Ledger.open(Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="t", api="legacy")
        >>> rid, _ = led.add_record(b, Marker("A1"), payload={"metadata": {}},
        ...     files=[{"key": "a.jpg", "path": "/m/a.jpg", "size": 3, "md5": "0" * 32}])
        >>> led.transition(rid, "creating", durable=True).state
        'creating'
        >>> led.transition(rid, "published")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        specpub.batch.ledger.IllegalTransition: record 1: published needs a remote_id
        >>> led.close()
        """
        if to not in TRANSITIONS:
            raise IllegalTransition(f"record {record_id}: unknown state {to!r}")
        now = _now_iso()
        with self._tx(durable=durable) as conn:
            row = conn.execute(
                "SELECT state, remote_id FROM records WHERE record_id=?", (int(record_id),)
            ).fetchone()
            if row is None:
                raise KeyError(f"the ledger has no record {record_id}")
            current, stored_id = row
            if expected is not None:
                allowed = [expected] if isinstance(expected, str) else list(expected)
                if current not in allowed:
                    raise IllegalTransition(
                        f"record {record_id}: expected state {' or '.join(allowed)}, "
                        f"found {current}"
                    )
            if to not in TRANSITIONS[current]:
                raise IllegalTransition(
                    f"record {record_id}: {current} -> {to} is not allowed "
                    f"(allowed: {', '.join(sorted(TRANSITIONS[current])) or 'none'})"
                )
            have_id = remote_id or (None if reset_remote else stored_id)
            needs_id = ("created", "uploading", "uploaded", "publishing", "published")
            if to in needs_id and not have_id:
                raise IllegalTransition(f"record {record_id}: {to} needs a remote_id")
            if to == "ambiguous" and not step:
                raise IllegalTransition(f"record {record_id}: ambiguous needs the step")
            if to == "failed" and not reason:
                raise IllegalTransition(f"record {record_id}: failed needs a reason")
            sets = ["state=?", "updated_at=?"]
            params: list[Any] = [to, now]
            if reset_remote:
                sets += [f"{c}=NULL" for c in _REMOTE_COLUMNS[:7]]
            if sent:
                sets.append("sent_sha256=payload_sha256")
            for col, value in (
                ("remote_id", remote_id),
                ("concept_id", concept_id),
                ("bucket", bucket),
                ("doi", doi),
                ("concept_doi", concept_doi),
                ("html_url", html_url),
            ):
                if value is not None:
                    sets.append(f"{col}=?")
                    params.append(str(value))
            if to in ("failed", "ambiguous"):
                sets += ["step=?", "reason=?", "retryable=?", "field_messages=?"]
                params += [
                    step,
                    reason,
                    None if retryable is None else int(bool(retryable)),
                    json.dumps(list(field_messages or [])),
                ]
            else:
                sets += ["step=NULL", "reason=NULL", "retryable=NULL", "field_messages=NULL"]
            if _resets_attempts(current, to):
                sets.append("attempts=0")
            if to == "published":
                sets.append("published_at=?")
                params.append(now)
            params.append(int(record_id))
            conn.execute(f"UPDATE records SET {', '.join(sets)} WHERE record_id=?", params)
        return self.record(record_id)

    def _log_move(
        self,
        conn: sqlite3.Connection,
        record_id: int,
        move: str,
        before: str,
        after: str,
        *,
        source: str,
        reason: str,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """The ``note`` event of a named move, written in the move's transaction."""
        batch_id = conn.execute(
            "SELECT batch_id FROM records WHERE record_id=?", (int(record_id),)
        ).fetchone()[0]
        info = {"from": before, "to": after, "source": source, "reason": reason, **(detail or {})}
        self._insert_event(
            conn, batch_id, record_id, move, "note", kind="note", requests=0, detail=info
        )

    def adopt(
        self,
        record_id: int,
        to: str,
        *,
        remote_id: str,
        source: str,
        reason: str,
        concept_id: str | None = None,
        bucket: str | None = None,
        doi: str | None = None,
        concept_doi: str | None = None,
        html_url: str | None = None,
        files: Iterable[tuple[str, int | None, str | None]] | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> LedgerRecord:
        """Take the server's record as this one's: the named move ``adopt``.

        ``to`` is ``"published"`` (the server published it; needs the ``doi``)
        or ``"created"`` (a draft to resume: its files are checked against the
        server and its metadata sent again before publishing). One transaction
        with a ``note`` event (step ``adopt``) recording ``source`` (``preflight``,
        ``reconcile``, ``runner``) and ``reason``.

        ``files`` (``(key, size, md5)`` as the server reports them) verify a
        published record's files against the plan: a file whose MD5 matches is
        ``uploaded`` with that checksum, any other is ``mismatch`` (reported in
        the note's ``files_differ``; ``specpub audit`` shows them).

        Examples
        --------
        >>> import tempfile
        >>> led = Ledger.open(Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="t", api="legacy")
        >>> rid, _ = led.add_record(b, Marker("A1"), payload={"metadata": {}})
        >>> rec = led.adopt(rid, "published", remote_id="17", doi="10.5072/zenodo.17",
        ...                 source="preflight", reason="published by another workspace")
        >>> rec.state, rec.doi
        ('published', '10.5072/zenodo.17')
        >>> led.events(kind="note")[["step", "outcome"]].values.tolist()
        [['adopt', 'note']]
        >>> led.close()
        """
        if to not in MOVES["adopt"]:
            raise IllegalTransition(f"record {record_id}: adopt leads to published or created")
        if not remote_id:
            raise IllegalTransition(f"record {record_id}: adopt needs the server's record id")
        if to == "published" and not doi:
            raise IllegalTransition(
                f"record {record_id}: adopting a published record needs its DOI"
            )
        now = _now_iso()
        # not durable: a move lost to a power cut is made again by the next preflight or
        # reconcile (it is read from the server, not decided here)
        with self._tx() as conn:
            current = self._state(conn, record_id)
            if current not in MOVES["adopt"][to]:
                raise IllegalTransition(f"record {record_id}: cannot adopt {current} -> {to}")
            sets = {
                "state": to, "remote_id": str(remote_id), "concept_id": concept_id,
                "bucket": bucket, "doi": doi, "concept_doi": concept_doi, "html_url": html_url,
                "step": None, "reason": None, "retryable": None, "field_messages": None,
                "attempts": 0, "updated_at": now, "sent_sha256": None,
                "published_at": now if to == "published" else None,
            }  # fmt: skip
            self._update(conn, record_id, sets)
            conn.execute(
                "UPDATE files SET state='planned', server_checksum=NULL, remote_file_id=NULL, "
                "updated_at=? WHERE record_id=? AND ?='created'",
                (now, int(record_id), to),
            )
            differ = []
            if to == "published" and files is not None:
                server = {str(k): (m or "").lower().removeprefix("md5:") for k, _, m in files}
                for fid, key, md5 in conn.execute(
                    "SELECT file_id, key, md5 FROM files WHERE record_id=?", (int(record_id),)
                ).fetchall():
                    got = server.get(key)
                    ok = got == md5
                    if not ok:
                        differ.append(key)
                    conn.execute(
                        "UPDATE files SET state=?, server_checksum=?, updated_at=? WHERE file_id=?",
                        ("uploaded" if ok else "mismatch", got or None, now, fid),
                    )
                differ += sorted(set(server) - {k for _, k, _ in conn.execute(
                    "SELECT file_id, key, md5 FROM files WHERE record_id=?", (int(record_id),)
                )})  # fmt: skip
            info = {"remote_id": str(remote_id), "doi": doi, **(detail or {})}
            if differ:
                info["files_differ"] = differ
            self._log_move(
                conn, record_id, "adopt", current, to, source=source, reason=reason, detail=info
            )
        return self.record(record_id)

    def replan(
        self,
        record_id: int,
        *,
        source: str,
        reason: str,
        confirmed: str | None = None,
    ) -> LedgerRecord:
        """Put a record back to ``planned``: the named move ``replan``.

        Used when the server no longer has the record (its draft was deleted,
        or it was never published after all). The remote facts are cleared and
        every file is planned again. Leaving ``published`` needs ``confirmed``:
        how the server confirmed it (e.g. ``"GET 17 -> 404 twice, repository
        healthy"``); a search result is never enough.

        Examples
        --------
        >>> import tempfile
        >>> led = Ledger.open(Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="t", api="legacy")
        >>> rid, _ = led.add_record(b, Marker("A1"), payload={"metadata": {}})
        >>> _ = led.adopt(rid, "published", remote_id="9", doi="10.5072/zenodo.9",
        ...               source="test", reason="test")
        >>> led.replan(rid, source="reconcile", reason="gone")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        specpub.batch.ledger.IllegalTransition: record 1: a published record is replanned only...
        >>> led.replan(rid, source="reconcile", reason="gone", confirmed="GET 9 -> 404").state
        'planned'
        >>> led.close()
        """
        now = _now_iso()
        with self._tx() as conn:
            current = self._state(conn, record_id)
            if current not in MOVES["replan"]["planned"]:
                raise IllegalTransition(f"record {record_id}: cannot replan {current}")
            if current == "published" and not confirmed:
                raise IllegalTransition(
                    f"record {record_id}: a published record is replanned only when the server "
                    "confirmed it is gone (confirmed=)"
                )
            sets = {c: None for c in _REMOTE_COLUMNS}
            sets.update(state="planned", attempts=0, updated_at=now, published_at=None)
            self._update(conn, record_id, sets)
            conn.execute(
                "UPDATE files SET state='planned', server_checksum=NULL, remote_file_id=NULL, "
                "updated_at=? WHERE record_id=?",
                (now, int(record_id)),
            )
            self._log_move(
                conn, record_id, "replan", current, "planned", source=source, reason=reason,
                detail={"confirmed": confirmed} if confirmed else None,
            )  # fmt: skip
        return self.record(record_id)

    @staticmethod
    def _state(conn: sqlite3.Connection, record_id: int) -> str:
        row = conn.execute(
            "SELECT state FROM records WHERE record_id=?", (int(record_id),)
        ).fetchone()
        if row is None:
            raise KeyError(f"the ledger has no record {record_id}")
        return str(row[0])

    @staticmethod
    def _update(conn: sqlite3.Connection, record_id: int, values: Mapping[str, Any]) -> None:
        cols = list(values)
        conn.execute(
            f"UPDATE records SET {', '.join(f'{c}=?' for c in cols)} WHERE record_id=?",
            [values[c] for c in cols] + [int(record_id)],
        )

    def mark_sent(self, record_id: int) -> None:
        """The server's draft now carries the planned metadata (a metadata update succeeded).

        Examples
        --------
        >>> import tempfile
        >>> led = Ledger.open(Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="t", api="legacy")
        >>> rid, _ = led.add_record(b, Marker("A1"), payload={"metadata": {}})
        >>> led.mark_sent(rid); led.record(rid).sent_sha256 == led.record(rid).payload_sha256
        True
        >>> led.close()
        """
        with self._tx() as conn:
            conn.execute(
                "UPDATE records SET sent_sha256=payload_sha256, updated_at=? WHERE record_id=?",
                (_now_iso(), int(record_id)),
            )

    def bump_attempts(self, record_id: int) -> int:
        """Count one more failed attempt at the record's current step; return the total.

        Examples
        --------
        >>> import tempfile
        >>> led = Ledger.open(Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="t", api="legacy")
        >>> rid, _ = led.add_record(b, Marker("A1"), payload={"metadata": {}},
        ...     files=[{"key": "a.jpg", "path": "/m/a.jpg", "size": 3, "md5": "0" * 32}])
        >>> led.bump_attempts(rid), led.bump_attempts(rid)
        (1, 2)
        >>> led.close()
        """
        with self._tx() as conn:
            conn.execute(
                "UPDATE records SET attempts=attempts+1, updated_at=? WHERE record_id=?",
                (_now_iso(), int(record_id)),
            )
            return int(
                conn.execute(
                    "SELECT attempts FROM records WHERE record_id=?", (int(record_id),)
                ).fetchone()[0]
            )

    def transition_file(
        self,
        file_id: int,
        to: str,
        *,
        server_checksum: str | None = None,
        remote_file_id: str | None = None,
    ) -> LedgerFile:
        """Move one file to state ``to`` (see :data:`FILE_TRANSITIONS`).

        ``uploaded`` requires a ``server_checksum`` equal to the planned MD5
        (an ``md5:`` prefix is accepted); ``mismatch`` records the differing one.
        Moving to ``uploading`` or ``mismatch`` counts an attempt.

        Examples
        --------
        >>> import tempfile
        >>> led = Ledger.open(Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="t", api="legacy")
        >>> rid, _ = led.add_record(b, Marker("A1"), payload={"metadata": {}},
        ...     files=[{"key": "a.jpg", "path": "/m/a.jpg", "size": 3, "md5": "0" * 32}])
        >>> f = led.record_files(rid)[0]
        >>> led.transition_file(f.file_id, "uploading").attempts
        1
        >>> led.transition_file(f.file_id, "uploaded", server_checksum="md5:" + "0" * 32).state
        'uploaded'
        >>> led.close()
        """
        if to not in FILE_TRANSITIONS:
            raise IllegalTransition(f"file {file_id}: unknown state {to!r}")
        with self._tx() as conn:
            row = conn.execute(
                "SELECT state, md5 FROM files WHERE file_id=?", (int(file_id),)
            ).fetchone()
            if row is None:
                raise KeyError(f"the ledger has no file {file_id}")
            current, md5 = row
            if to != current and to not in FILE_TRANSITIONS[current]:
                raise IllegalTransition(f"file {file_id}: {current} -> {to} is not allowed")
            if to == "uploaded":
                got = (server_checksum or "").lower().removeprefix("md5:")
                if got != md5:
                    raise IllegalTransition(
                        f"file {file_id}: uploaded needs the server checksum to equal the "
                        f"planned md5 {md5} (got {server_checksum!r})"
                    )
            sets = ["state=?", "updated_at=?"]
            params: list[Any] = [to, _now_iso()]
            if to in ("uploading", "mismatch") and to != current:
                sets.append("attempts=attempts+1")
            if server_checksum is not None:
                sets.append("server_checksum=?")
                params.append(server_checksum)
            if remote_file_id is not None:
                sets.append("remote_file_id=?")
                params.append(remote_file_id)
            params.append(int(file_id))
            conn.execute(f"UPDATE files SET {', '.join(sets)} WHERE file_id=?", params)
            r = conn.execute(
                "SELECT file_id, record_id, key, path, size, mtime, md5, sha256, state, "
                "server_checksum, remote_file_id, attempts FROM files WHERE file_id=?",
                (int(file_id),),
            ).fetchone()
        return LedgerFile(*r)

    def reset_files(self, record_id: int) -> None:
        """Put every file of a record back to ``planned`` (a new draft has none of them).

        Examples
        --------
        >>> import tempfile
        >>> led = Ledger.open(Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="t", api="legacy")
        >>> rid, _ = led.add_record(b, Marker("A1"), payload={"metadata": {}},
        ...     files=[{"key": "a.jpg", "path": "/m/a.jpg", "size": 3, "md5": "0" * 32}])
        >>> f = led.record_files(rid)[0]
        >>> _ = led.transition_file(f.file_id, "uploaded", server_checksum="0" * 32)
        >>> led.reset_files(rid); led.record_files(rid)[0].state
        'planned'
        >>> led.close()
        """
        with self._tx() as conn:
            conn.execute(
                "UPDATE files SET state='planned', server_checksum=NULL, remote_file_id=NULL, "
                "updated_at=? WHERE record_id=?",
                (_now_iso(), int(record_id)),
            )

    # -- events -----------------------------------------------------------------------
    def record_event(
        self,
        batch_id: int | None,
        record_id: int | None,
        step: str,
        outcome: str,
        *,
        kind: str = "request",
        http_status: int | None = None,
        duration: float | None = None,
        error: str | None = None,
        retry: int = 0,
        file_key: str | None = None,
        detail: Mapping[str, Any] | None = None,
        ts: float | None = None,
        requests: int | None = None,
        run_id: int | None = None,
    ) -> int:
        """Append one event row and return its id.

        ``outcome`` is one of :data:`OUTCOMES`; ``kind`` one of ``request``,
        ``pause``, ``note``. ``requests`` is the number of HTTP requests the
        attempt made (default 1 for a request, 0 otherwise); ``run_id``
        defaults to the run in progress (:meth:`run`).

        Examples
        --------
        >>> import tempfile
        >>> led = Ledger.open(Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="t", api="legacy")
        >>> rid, _ = led.add_record(b, Marker("A1"), payload={"metadata": {}},
        ...     files=[{"key": "a.jpg", "path": "/m/a.jpg", "size": 3, "md5": "0" * 32}])
        >>> led.record_event(b, rid, "upload", "ok", duration=0.2, file_key="a.jpg")
        1
        >>> led.close()
        """
        with self._tx() as conn:
            return self._insert_event(
                conn, batch_id, record_id, step, outcome, kind=kind, http_status=http_status,
                duration=duration, error=error, retry=retry, file_key=file_key, detail=detail,
                ts=ts, requests=requests, run_id=run_id,
            )  # fmt: skip

    def _insert_event(
        self,
        conn: sqlite3.Connection,
        batch_id: int | None,
        record_id: int | None,
        step: str,
        outcome: str,
        *,
        kind: str = "request",
        http_status: int | None = None,
        duration: float | None = None,
        error: str | None = None,
        retry: int = 0,
        file_key: str | None = None,
        detail: Mapping[str, Any] | None = None,
        ts: float | None = None,
        requests: int | None = None,
        run_id: int | None = None,
    ) -> int:
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
        if kind not in ("request", "pause", "note"):
            raise ValueError(f"kind must be request, pause or note, not {kind!r}")
        ts = time.time() if ts is None else ts
        iso = datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")
        if requests is None:
            requests = 1 if kind == "request" else 0
        cur = conn.execute(
            "INSERT INTO events (ts, time, batch_id, record_id, kind, step, outcome, "
            "http_status, duration, error, retry, file_key, detail, run_id, requests) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                ts,
                iso,
                batch_id,
                record_id,
                kind,
                step,
                outcome,
                http_status,
                duration,
                None if error is None else str(error)[:2000],
                int(retry),
                file_key,
                None if detail is None else json.dumps(dict(detail), default=str),
                self.current_run if run_id is None else run_id,
                int(requests),
            ),
        )
        return int(cur.lastrowid)

    def record_pause(
        self,
        batch_id: int | None,
        reason: str,
        duration: float,
        *,
        detail: Mapping[str, Any] | None = None,
        ts: float | None = None,
    ) -> int:
        """Append a pause row (``reason``: ``rate_limit``, ``circuit_open`` or ``backoff``).

        ``ts`` is when the pause started (default: now minus ``duration``).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> led = Ledger.open(pathlib.Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> _ = led.record_pause(None, "rate_limit", 1.5)
        >>> led.events(kind="pause")[["step", "duration"]].values.tolist()
        [['rate_limit', 1.5]]
        >>> led.close()
        """
        start = (time.time() - duration) if ts is None else ts
        return self.record_event(
            batch_id,
            None,
            reason,
            "pause",
            kind="pause",
            duration=duration,
            detail=detail,
            ts=start,
        )

    def possible_orphans(self, batch: int) -> dict[int, str]:
        """Records created again after a lost create whose first draft is not accounted for.

        The runner notes ``recreate`` when it creates a record again without
        proof that the lost create left nothing (``duplicate`` when its index
        check is about to delete a draft of its own that duplicates an older
        record), and ``settled`` once the search
        index showed the record's published version (and the drafts no ledger
        row points at were deleted). Returns record id → why, for the open ones.

        Examples
        --------
        >>> import tempfile
        >>> led = Ledger.open(Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> b = led.create_batch(target="t", api="legacy")
        >>> rid, _ = led.add_record(b, Marker("A1"), payload={})
        >>> _ = led.record_event(b, rid, "recreate", "note", kind="note", detail={"why": "lost"})
        >>> list(led.possible_orphans(b))
        [1]
        >>> _ = led.record_event(b, rid, "settled", "note", kind="note")
        >>> led.possible_orphans(b)
        {}
        """
        notes = self.query(
            "SELECT record_id, step, detail FROM events WHERE batch_id=? AND kind='note' "
            "AND step IN ('recreate', 'duplicate', 'settled') AND record_id IS NOT NULL "
            "ORDER BY event_id",
            [int(batch)],
        )
        out: dict[int, str] = {}
        for rid, step, detail in notes.itertuples(index=False):
            if step in ("recreate", "duplicate"):
                out[int(rid)] = str(json.loads(detail or "{}").get("why", ""))
            else:
                out.pop(int(rid), None)
        return out

    # -- runs -------------------------------------------------------------------------
    def start_run(
        self,
        kind: str,
        *,
        batch_ids: Sequence[int] = (),
        target: str | None = None,
        api: str | None = None,
        ts: float | None = None,
    ) -> int:
        """Add a ``runs`` row (outcome ``running``) and make it the current run.

        Every event written until :meth:`end_run` carries its id. Prefer the
        :meth:`run` context manager.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> led = Ledger.open(pathlib.Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> led.start_run("audit", batch_ids=[1])
        1
        >>> led.runs()[["kind", "outcome"]].values.tolist()
        [['audit', 'running']]
        >>> led.close()
        """
        if kind not in RUN_KINDS:
            raise ValueError(f"kind must be one of {RUN_KINDS}, not {kind!r}")
        ts = time.time() if ts is None else ts
        iso = datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO runs (kind, batch_ids, target, api, started, ts_start) "
                "VALUES (?,?,?,?,?,?)",
                (kind, json.dumps([int(b) for b in batch_ids]), target, api, iso, ts),
            )
            run_id = int(cur.lastrowid)
        self.current_run = run_id
        return run_id

    def end_run(
        self,
        run_id: int,
        outcome: str,
        *,
        message: str | None = None,
        detail: Mapping[str, Any] | None = None,
        ts: float | None = None,
    ) -> None:
        """Close a run: its outcome (``ok``, ``incomplete``, ``stopped``, ``failed``) and counts.

        The run's request count (HTTP requests of its events) is added to ``detail``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> led = Ledger.open(pathlib.Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> run = led.start_run("reconcile")
        >>> _ = led.record_event(None, None, "list", "ok")
        >>> led.end_run(run, "ok")
        >>> json.loads(led.runs().detail[0])["requests"]
        1
        """
        ts = time.time() if ts is None else ts
        iso = datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")
        with self._tx() as conn:
            (requests,) = conn.execute(
                "SELECT COALESCE(SUM(requests), 0) FROM events WHERE run_id=?", (int(run_id),)
            ).fetchone()
            info = {**(detail or {}), "requests": int(requests)}
            conn.execute(
                "UPDATE runs SET ended=?, ts_end=?, outcome=?, message=?, detail=? WHERE run_id=?",
                (iso, ts, outcome, message, json.dumps(info, default=str), int(run_id)),
            )
        if self.current_run == run_id:
            self.current_run = None

    @contextmanager
    def run(
        self,
        kind: str,
        *,
        batch_ids: Sequence[int] = (),
        target: str | None = None,
        api: str | None = None,
    ) -> Iterator[RunHandle]:
        """A run in progress: every event written inside carries its id.

        The handle's ``outcome``, ``message`` and ``detail`` are saved at the
        end; an exception ends the run as ``failed`` (with the error's
        message) unless the handle says otherwise. A process killed inside
        leaves the run ``running`` (the report shows it as interrupted).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> led = Ledger.open(pathlib.Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> with led.run("audit", batch_ids=[1]) as run:
        ...     _ = led.record_event(1, None, "list_files", "ok")
        ...     run.outcome = "ok"
        >>> led.events().run_id.tolist() == [run.run_id]
        True
        >>> led.runs().outcome.tolist()
        ['ok']
        """
        previous = self.current_run
        handle = RunHandle(self.start_run(kind, batch_ids=batch_ids, target=target, api=api))
        try:
            yield handle
        except BaseException as err:
            if handle.outcome in (None, "ok"):
                handle.outcome = "failed"
                handle.message = handle.message or f"{type(err).__name__}: {err}"
            raise
        finally:
            with contextlib.suppress(sqlite3.Error, RuntimeError):
                self.end_run(
                    handle.run_id,
                    handle.outcome or "ok",
                    message=handle.message,
                    detail=handle.detail,
                )
            self.current_run = previous

    def runs(self, kind: str | None = None) -> pd.DataFrame:
        """The ``runs`` table (optionally of one kind) as a DataFrame, oldest first.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> led = Ledger.open(pathlib.Path(tempfile.mkdtemp()) / "l.sqlite")
        >>> led.runs().empty
        True
        """
        if kind is None:
            return self.query("SELECT * FROM runs ORDER BY run_id")
        return self.query("SELECT * FROM runs WHERE kind=? ORDER BY run_id", [kind])


@dataclass
class RunHandle:
    """The run in progress inside :meth:`Ledger.run` (set ``outcome``/``message``/``detail``).

    Examples
    --------
    >>> RunHandle(3).outcome is None
    True
    """

    run_id: int
    outcome: str | None = None
    message: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
