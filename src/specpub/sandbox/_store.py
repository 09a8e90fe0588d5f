"""SQLite (WAL) + file store of the sandbox: records, drafts, parents, files, search docs.

One connection guarded by a lock; every call is short. File contents live under
``data_dir/files/`` with server-chosen names (never derived from a user's key).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import _render
from ._customfields import keyword_values
from ._errors import ApiError
from ._search import TEXT_COLUMNS

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS pid_seq(id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS parents(
    id INTEGER PRIMARY KEY, owner INTEGER NOT NULL, latest_id INTEGER, newest_id INTEGER,
    communities TEXT NOT NULL DEFAULT '[]', requests TEXT NOT NULL DEFAULT '[]', doi TEXT);
CREATE TABLE IF NOT EXISTS records(
    id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL, owner INTEGER NOT NULL,
    bucket_id TEXT UNIQUE NOT NULL, version_index INTEGER NOT NULL, created TEXT NOT NULL,
    draft TEXT, record TEXT);
CREATE INDEX IF NOT EXISTS records_parent ON records(parent_id);
CREATE TABLE IF NOT EXISTS review_requests(
    id TEXT PRIMARY KEY, record_id INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files(
    record_id INTEGER NOT NULL, key TEXT NOT NULL, file_id TEXT NOT NULL,
    version_id TEXT NOT NULL, size INTEGER, checksum TEXT, mimetype TEXT, status TEXT NOT NULL,
    blob TEXT, created TEXT NOT NULL, updated TEXT NOT NULL, PRIMARY KEY(record_id, key));
"""
#: The search index; rebuilt from the records when its version changes.
_INDEX_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs(
    doc_id INTEGER PRIMARY KEY AUTOINCREMENT, record_id INTEGER NOT NULL,
    in_user INTEGER NOT NULL, in_public INTEGER NOT NULL,
    owner INTEGER NOT NULL, parent_id INTEGER NOT NULL, is_published INTEGER NOT NULL,
    is_latest INTEGER NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL,
    publication_date TEXT, visible_from REAL NOT NULL, visible_until REAL, body TEXT NOT NULL,
    text_id INTEGER, text_key TEXT);
CREATE INDEX IF NOT EXISTS docs_text ON docs(text_id);
CREATE INDEX IF NOT EXISTS docs_user ON docs(in_user, owner, created);
CREATE INDEX IF NOT EXISTS docs_public ON docs(in_public, created);
CREATE INDEX IF NOT EXISTS docs_record ON docs(record_id);
CREATE TABLE IF NOT EXISTS terms(doc_id INTEGER NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS terms_field_value ON terms(field, value);
CREATE INDEX IF NOT EXISTS terms_doc ON terms(doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS texts USING fts5(
    title, description, creators, identifiers, tokenize='unicode61 remove_diacritics 2',
    columnsize=0);
"""
#: Merge full-text segments 16 at a time (FTS5's default 4 costs ~40 % more per insert;
#: every change is its own transaction here).
_TEXT_AUTOMERGE = 16
_INDEX_VERSION = 5

_ID_START = 1000


@dataclass
class FileRow:
    """One file of a record (draft or published)."""

    record_id: int
    key: str
    file_id: str
    version_id: str
    size: int | None
    checksum: str | None
    mimetype: str | None
    status: str
    blob: str | None
    created: str
    updated: str


@dataclass
class RecordRow:
    """A record id with its open draft and/or published version (stored dicts)."""

    id: int
    parent_id: int
    owner: int
    bucket_id: str
    version_index: int
    created: str
    draft: dict | None
    record: dict | None

    @property
    def published(self) -> bool:
        return self.record is not None


@dataclass
class ParentRow:
    id: int
    owner: int
    latest_id: int | None
    newest_id: int | None
    communities: list[str]
    requests: list[dict]
    doi: str | None


def _rec(row: tuple) -> RecordRow:
    return RecordRow(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        json.loads(row[6]) if row[6] else None,
        json.loads(row[7]) if row[7] else None,
    )


_REC_COLS = "id, parent_id, owner, bucket_id, version_index, created, draft, record"
_FILE_COLS = (
    "record_id, key, file_id, version_id, size, checksum, mimetype, status, blob, created, updated"
)


class Store:
    """The sandbox's state. Read-only helpers for tests: :meth:`count_records`,
    :meth:`count_drafts`, :meth:`user_id`.
    """

    def __init__(self, data_dir: Path, *, clock: Callable[[], float], config: Any) -> None:
        self.data_dir = Path(data_dir)
        self.files_dir = self.data_dir / "files"
        self.tmp_dir = self.data_dir / "tmp"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        for leftover in self.tmp_dir.iterdir():
            with contextlib.suppress(OSError):
                leftover.unlink()
        self.clock = clock
        self.config = config
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            self.data_dir / "sandbox.sqlite3", check_same_thread=False, isolation_level=None
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA wal_autocheckpoint=20000")
        self._conn.execute("PRAGMA foreign_keys=OFF")
        self._conn.executescript(_SCHEMA)
        self._migrate()
        seq = "SELECT 1 FROM sqlite_sequence WHERE name='pid_seq'"
        if self._conn.execute(seq).fetchone() is None:
            self._conn.execute(
                "INSERT INTO sqlite_sequence(name, seq) VALUES ('pid_seq', ?)",
                (_ID_START,),
            )
        self._writes = 0
        # a (re)started server begins with a refreshed index: what was pending when it
        # stopped has long been visible on a real server
        self.refresh_index()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _migrate(self) -> None:
        """Bring an older data folder up to date; rebuild the search index if it changed."""
        c = self._conn
        columns = {r[1] for r in c.execute("PRAGMA table_info(parents)")}
        if "newest_id" not in columns:
            c.execute("ALTER TABLE parents ADD COLUMN newest_id INTEGER")
            c.execute(
                "UPDATE parents SET newest_id=(SELECT MAX(id) FROM records"
                " WHERE records.parent_id=parents.id)"
            )
        if c.execute("PRAGMA user_version").fetchone()[0] == _INDEX_VERSION:
            c.executescript(_INDEX_SCHEMA)
            return
        c.executescript(
            "DROP TABLE IF EXISTS docs; DROP TABLE IF EXISTS terms; DROP TABLE IF EXISTS texts;"
        )
        c.executescript(_INDEX_SCHEMA)
        c.execute("INSERT INTO texts(texts, rank) VALUES ('automerge', ?)", (_TEXT_AUTOMERGE,))
        with self._tx() as tx:
            for (record_id,) in tx.execute("SELECT id FROM records").fetchall():
                self._index(tx, record_id, lag=0.0)
        c.execute(f"PRAGMA user_version={_INDEX_VERSION}")

    # ------------------------------------------------------------------ plumbing

    @contextlib.contextmanager
    def _tx(self):
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def now(self) -> str:
        return _render.iso(self.clock())

    def _next_id(self, c: sqlite3.Connection, kind: str) -> int:
        return int(c.execute("INSERT INTO pid_seq(kind) VALUES (?)", (kind,)).lastrowid)

    # ------------------------------------------------------------------ users

    def user_id(self, name: str) -> int:
        """The numeric owner id of a user name (stable across restarts)."""
        with self._lock:
            row = self._conn.execute("SELECT id FROM users WHERE name=?", (name,)).fetchone()
            if row:
                return int(row[0])
            with self._tx() as c:
                return int(c.execute("INSERT INTO users(name) VALUES (?)", (name,)).lastrowid)

    # ------------------------------------------------------------------ reads

    def get(self, record_id: int) -> RecordRow | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_REC_COLS} FROM records WHERE id=?", (record_id,)
            ).fetchone()
        return _rec(row) if row else None

    def concept_latest(self, parent_id: int) -> int | None:
        """The latest published version of concept ``parent_id`` (``None``: not a concept id,
        or nothing published)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT latest_id FROM parents WHERE id=?", (parent_id,)
            ).fetchone()
        return int(row[0]) if row and row[0] else None

    def open_new_version(self, rec: RecordRow) -> int | None:
        """The id of the concept's open, never-published new-version draft (if any)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT id FROM records WHERE parent_id=? AND record IS NULL AND draft IS NOT NULL"
                " AND version_index>1 ORDER BY id DESC LIMIT 1",
                (rec.parent_id,),
            ).fetchone()
        return int(row[0]) if row else None

    def reload(self, rec: RecordRow) -> RecordRow:
        """``rec`` as stored now (it must still exist)."""
        out = self.get(rec.id)
        assert out is not None
        return out

    def by_bucket(self, bucket_id: str) -> RecordRow | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_REC_COLS} FROM records WHERE bucket_id=?", (bucket_id,)
            ).fetchone()
        return _rec(row) if row else None

    def parent(self, parent_id: int) -> ParentRow:
        with self._lock:
            row = self._conn.execute(
                "SELECT id, owner, latest_id, newest_id, communities, requests, doi FROM parents"
                " WHERE id=?",
                (parent_id,),
            ).fetchone()
        return ParentRow(
            row[0], row[1], row[2], row[3], json.loads(row[4]), json.loads(row[5]), row[6]
        )

    def versions(self, parent_id: int) -> list[RecordRow]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_REC_COLS} FROM records WHERE parent_id=? ORDER BY version_index",
                (parent_id,),
            ).fetchall()
        return [_rec(r) for r in rows]

    def files(self, record_id: int) -> list[FileRow]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_FILE_COLS} FROM files WHERE record_id=? ORDER BY created, key",
                (record_id,),
            ).fetchall()
        return [FileRow(*r) for r in rows]

    def file(self, record_id: int, key: str) -> FileRow | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_FILE_COLS} FROM files WHERE record_id=? AND key=?", (record_id, key)
            ).fetchone()
        return FileRow(*row) if row else None

    def _written_file(self, record_id: int, key: str) -> FileRow:
        """The row of a file this store has just written (it must exist)."""
        out = self.file(record_id, key)
        assert out is not None
        return out

    def file_by_id(self, record_id: int, file_id: str) -> FileRow | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_FILE_COLS} FROM files WHERE record_id=? AND file_id=?",
                (record_id, file_id),
            ).fetchone()
        return FileRow(*row) if row else None

    def blob_path(self, f: FileRow) -> Path:
        assert f.blob is not None
        return self.files_dir / f.blob

    def count_records(self, owner: str | None = None, *, published: bool | None = None) -> int:
        """Number of record ids (drafts and published), optionally of one user name."""
        sql, params = "SELECT COUNT(*) FROM records WHERE 1=1", []
        if owner is not None:
            sql += " AND owner=?"
            params.append(self.user_id(owner))
        if published is not None:
            sql += " AND record IS NOT NULL" if published else " AND record IS NULL"
        with self._lock:
            return int(self._conn.execute(sql, params).fetchone()[0])

    def count_drafts(self, owner: str | None = None) -> int:
        """Number of open drafts (new, edit or new-version), optionally of one user name."""
        sql, params = "SELECT COUNT(*) FROM records WHERE draft IS NOT NULL", []
        if owner is not None:
            sql += " AND owner=?"
            params.append(self.user_id(owner))
        with self._lock:
            return int(self._conn.execute(sql, params).fetchone()[0])

    # ------------------------------------------------------------------ bodies

    def body(self, rec: RecordRow, which: str, *, entries: bool = True) -> dict:
        """The native JSON (without links) of the draft or the published version."""
        state = rec.draft if which == "draft" else rec.record
        assert state is not None
        parent = self.parent(rec.parent_id)
        newest = parent.newest_id
        parent_json: dict[str, Any] = {
            "id": str(parent.id),
            "access": {"owned_by": {"user": parent.owner}},
            "communities": {
                "ids": list(parent.communities),
                **({"default": parent.communities[0]} if parent.communities else {}),
            },
            "pids": {},
        }
        if parent.doi:
            parent_json["pids"] = {"doi": {"identifier": parent.doi, "provider": "datacite"}}
        if parent.requests:
            parent_json["community_requests"] = parent.requests
        if state.get("review"):
            parent_json["review"] = state["review"]
        files: dict[str, Any] = {"enabled": True}
        if entries:
            rows = self.files(rec.id)
            files.update(
                {
                    "count": len(rows),
                    "total_bytes": sum(f.size or 0 for f in rows),
                    "order": [],
                    "default_preview": None,
                    "entries": [_render.native_file_entry(f, rec.id, rec.bucket_id) for f in rows],
                }
            )
        return {
            "id": str(rec.id),
            "created": rec.created,
            "updated": state["updated"],
            "revision_id": state["revision_id"],
            "is_published": rec.published,
            "is_draft": which == "draft",
            "status": "draft" if which == "draft" else "published",
            "parent": parent_json,
            "pids": state.get("pids", {}),
            "metadata": state["metadata"],
            "custom_fields": state["custom_fields"],
            "access": state["access"],
            "files": files,
            "versions": {
                "index": rec.version_index,
                "is_latest": parent.latest_id == rec.id,
                "is_latest_draft": newest == rec.id,
            },
        }

    def slugs(self, rec: RecordRow, which: str) -> list[str]:
        """Community slugs shown in legacy metadata (accepted, or requested on a draft)."""
        by_id = {c.id: c.slug for c in self.config.communities}
        slugs = [by_id.get(i, i) for i in self.parent(rec.parent_id).communities]
        state = rec.draft if which == "draft" else rec.record
        for s in (state or {}).get("custom_fields", {}).get("legacy:communities", []):
            if s not in slugs and which == "draft":
                slugs.append(s)
        return slugs

    # ------------------------------------------------------------------ drafts

    def create_draft(self, owner: int, data: dict) -> RecordRow:
        now = self.now()
        with self._tx() as c:
            parent_id = self._next_id(c, "parent")
            record_id = self._next_id(c, "record")
            c.execute(
                "INSERT INTO parents(id, owner, newest_id) VALUES (?, ?, ?)",
                (parent_id, owner, record_id),
            )
            draft = {**data, "created": now, "updated": now, "revision_id": 1}
            c.execute(
                "INSERT INTO records(id, parent_id, owner, bucket_id, version_index, created,"
                " draft) VALUES (?, ?, ?, ?, 1, ?, ?)",
                (record_id, parent_id, owner, str(uuid.uuid4()), now, json.dumps(draft)),
            )
            self._index(c, record_id)
        rec = self.get(record_id)
        assert rec is not None
        return rec

    def update_draft(self, rec: RecordRow, data: dict, *, if_match: int | None = None) -> RecordRow:
        with self._tx() as c:
            row = c.execute("SELECT draft FROM records WHERE id=?", (rec.id,)).fetchone()
            if not row or not row[0]:
                raise ApiError(404)
            current = json.loads(row[0])
            if if_match is not None and if_match != current["revision_id"]:
                raise ApiError(412, "The record revision does not match.")
            draft = {
                **data,
                "created": current["created"],
                "updated": self.now(),
                "revision_id": current["revision_id"] + 1,
            }
            if "pids" not in data or (not data["pids"] and current.get("pids")):
                draft["pids"] = current.get("pids", {})
            if current.get("review"):
                draft["review"] = current["review"]
            c.execute("UPDATE records SET draft=? WHERE id=?", (json.dumps(draft), rec.id))
            self._index(c, rec.id)
        out = self.get(rec.id)
        assert out is not None
        return out

    def delete_draft(self, rec: RecordRow) -> None:
        """Discard the draft; a never-published record disappears with its files."""
        blobs: list[str] = []
        with self._tx() as c:
            row = c.execute("SELECT draft, record FROM records WHERE id=?", (rec.id,)).fetchone()
            if not row or not row[0]:
                raise ApiError(404)
            if row[1]:
                c.execute("UPDATE records SET draft=NULL WHERE id=?", (rec.id,))
                self._index(c, rec.id)
            else:
                blobs = [
                    b for (b,) in c.execute("SELECT blob FROM files WHERE record_id=?", (rec.id,))
                ]
                c.execute("DELETE FROM files WHERE record_id=?", (rec.id,))
                c.execute("DELETE FROM records WHERE id=?", (rec.id,))
                left = c.execute(
                    "SELECT COUNT(*) FROM records WHERE parent_id=?", (rec.parent_id,)
                ).fetchone()[0]
                if not left:
                    c.execute("DELETE FROM parents WHERE id=?", (rec.parent_id,))
                else:
                    c.execute(
                        "UPDATE parents SET newest_id=(SELECT MAX(id) FROM records"
                        " WHERE parent_id=?) WHERE id=?",
                        (rec.parent_id, rec.parent_id),
                    )
                    for (other,) in c.execute(
                        "SELECT id FROM records WHERE parent_id=?", (rec.parent_id,)
                    ).fetchall():
                        self._index(c, other)
                self._index(c, rec.id)
        self._unlink(blobs)

    def edit(self, rec: RecordRow) -> RecordRow:
        """Open (or return) the edit draft of a published record."""
        with self._tx() as c:
            row = c.execute("SELECT draft, record FROM records WHERE id=?", (rec.id,)).fetchone()
            if not row or not row[1]:
                raise ApiError(404)
            if not row[0]:
                record = json.loads(row[1])
                draft = {
                    k: record[k]
                    for k in ("metadata", "custom_fields", "access", "files", "pids", "created")
                }
                draft.update(updated=self.now(), revision_id=record["revision_id"] + 1)
                c.execute("UPDATE records SET draft=? WHERE id=?", (json.dumps(draft), rec.id))
                self._index(c, rec.id)
        out = self.get(rec.id)
        assert out is not None
        return out

    def new_version(self, rec: RecordRow, *, import_files: bool) -> RecordRow:
        """Create (or return the open) new-version draft of a published record."""
        with self._tx() as c:
            if rec.record is None:
                raise ApiError(404)
            row = c.execute(
                "SELECT id FROM records WHERE parent_id=? AND record IS NULL AND draft IS NOT NULL",
                (rec.parent_id,),
            ).fetchone()
            if row:
                new_id = int(row[0])
            else:
                parent = c.execute(
                    "SELECT latest_id FROM parents WHERE id=?", (rec.parent_id,)
                ).fetchone()
                latest = json.loads(
                    c.execute(
                        "SELECT record FROM records WHERE id=?", (parent[0] or rec.id,)
                    ).fetchone()[0]
                )
                index = c.execute(
                    "SELECT MAX(version_index) FROM records WHERE parent_id=?", (rec.parent_id,)
                ).fetchone()[0]
                new_id = self._next_id(c, "record")
                now = self.now()
                metadata = {
                    k: v
                    for k, v in latest["metadata"].items()
                    if k not in ("publication_date", "version")
                }
                draft = {
                    "metadata": metadata,
                    "custom_fields": latest["custom_fields"],
                    "access": latest["access"],
                    "files": {"enabled": True},
                    "pids": {},
                    "created": now,
                    "updated": now,
                    "revision_id": 1,
                }
                c.execute(
                    "INSERT INTO records(id, parent_id, owner, bucket_id, version_index, created,"
                    " draft) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        new_id,
                        rec.parent_id,
                        rec.owner,
                        str(uuid.uuid4()),
                        index + 1,
                        now,
                        json.dumps(draft),
                    ),
                )
                c.execute("UPDATE parents SET newest_id=? WHERE id=?", (new_id, rec.parent_id))
                if import_files:
                    self._import_files(c, parent[0] or rec.id, new_id)
                self._index(c, new_id)
                # the previous versions are no longer the latest draft
                for (other,) in c.execute(
                    "SELECT id FROM records WHERE parent_id=? AND id<>?", (rec.parent_id, new_id)
                ).fetchall():
                    self._index(c, other)
        out = self.get(new_id)
        assert out is not None
        return out

    def import_files(self, rec: RecordRow) -> None:
        """Link the files of the latest published version into this new-version draft."""
        with self._tx() as c:
            latest = c.execute(
                "SELECT latest_id FROM parents WHERE id=?", (rec.parent_id,)
            ).fetchone()[0]
            if rec.record is not None or rec.draft is None or latest is None:
                raise ApiError(404)
            if c.execute("SELECT COUNT(*) FROM files WHERE record_id=?", (rec.id,)).fetchone()[0]:
                raise ApiError(400, "Please remove all files first.")
            self._import_files(c, latest, rec.id)
            self._index_files(c, rec)

    def _import_files(self, c: sqlite3.Connection, source: int, target: int) -> None:
        now = self.now()
        for f in c.execute(
            f"SELECT {_FILE_COLS} FROM files WHERE record_id=? AND status='completed'", (source,)
        ).fetchall():
            row = FileRow(*f)
            blob = self._new_blob_name()
            dest = self.files_dir / blob
            dest.parent.mkdir(exist_ok=True)
            try:
                os.link(self.files_dir / str(row.blob), dest)
            except OSError:
                import shutil

                shutil.copyfile(self.files_dir / str(row.blob), dest)
            c.execute(
                f"INSERT INTO files({_FILE_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    target,
                    row.key,
                    row.file_id,
                    str(uuid.uuid4()),
                    row.size,
                    row.checksum,
                    row.mimetype,
                    "completed",
                    blob,
                    now,
                    now,
                ),
            )

    def publish(
        self,
        rec: RecordRow,
        *,
        doi_prefix: str,
        user_name: str,
        include: tuple[str, ...] = (),
    ) -> RecordRow:
        with self._tx() as c:
            row = c.execute("SELECT draft, record FROM records WHERE id=?", (rec.id,)).fetchone()
            if not row or not row[0]:
                raise ApiError(404)
            draft = json.loads(row[0])
            now = self.now()
            pids = dict(draft.get("pids") or {})
            if not pids.get("doi") or pids["doi"].get("provider") == "datacite":
                pids["doi"] = {
                    "identifier": f"{doi_prefix}/zenodo.{rec.id}",
                    "provider": "datacite",
                    "client": "datacite",
                }
            previous = json.loads(row[1]) if row[1] else None
            draft.pop("review", None)
            record = {
                **draft,
                "pids": pids,
                "updated": now,
                "revision_id": draft["revision_id"] + 1,
                "publication_time": (previous or {}).get("publication_time", now),
            }
            c.execute(
                "UPDATE records SET draft=NULL, record=? WHERE id=?", (json.dumps(record), rec.id)
            )
            prow = c.execute(
                "SELECT latest_id, communities, requests, doi FROM parents WHERE id=?",
                (rec.parent_id,),
            ).fetchone()
            latest = prow[0] if prow[0] and prow[0] > rec.id else rec.id
            communities, requests = json.loads(prow[1]), json.loads(prow[2])
            communities += [cid for cid in include if cid not in communities]
            self._include_communities(
                draft.get("custom_fields", {}).get("legacy:communities", []),
                user_name,
                communities,
                requests,
            )
            c.execute(
                "UPDATE parents SET latest_id=?, communities=?, requests=?, doi=? WHERE id=?",
                (
                    latest,
                    json.dumps(communities),
                    json.dumps(requests),
                    prow[3] or f"{doi_prefix}/zenodo.{rec.parent_id}",
                    rec.parent_id,
                ),
            )
            for (rid,) in c.execute(
                "SELECT id FROM records WHERE parent_id=?", (rec.parent_id,)
            ).fetchall():
                self._index(c, rid)
        out = self.get(rec.id)
        assert out is not None
        return out

    def _include_communities(
        self, slugs: Iterable[str], user_name: str, accepted: list[str], requests: list[dict]
    ) -> None:
        known = {c.slug: c for c in self.config.communities}
        for slug in slugs:
            community = known.get(slug)
            if community is None:
                continue  # silently ignored, as on Zenodo's legacy publish
            if community.id in accepted or any(r["community"] == community.id for r in requests):
                continue
            if user_name in community.owners:
                accepted.append(community.id)
            else:
                requests.append(
                    {
                        "id": str(uuid.uuid4()),
                        "type": "community-inclusion",
                        "community": community.id,
                        "slug": community.slug,
                        "status": "submitted",
                    }
                )

    def set_review(self, rec: RecordRow, review: dict | None) -> RecordRow:
        """Store (or remove) the community-submission request of a draft."""
        with self._tx() as c:
            row = c.execute("SELECT draft FROM records WHERE id=?", (rec.id,)).fetchone()
            if not row or not row[0]:
                raise ApiError(404)
            draft = json.loads(row[0])
            old = draft.pop("review", None)
            if old and (review is None or review["id"] != old["id"]):
                c.execute("DELETE FROM review_requests WHERE id=?", (old["id"],))
            if review is not None:
                draft["review"] = review
                c.execute(
                    "INSERT OR REPLACE INTO review_requests(id, record_id, body) VALUES (?, ?, ?)",
                    (review["id"], rec.id, json.dumps(review)),
                )
            c.execute("UPDATE records SET draft=? WHERE id=?", (json.dumps(draft), rec.id))
        out = self.get(rec.id)
        assert out is not None
        return out

    def review_request(self, request_id: str) -> tuple[dict, RecordRow | None] | None:
        """A community-submission request and the record it belongs to."""
        with self._lock:
            row = self._conn.execute(
                "SELECT record_id, body FROM review_requests WHERE id=?", (request_id,)
            ).fetchone()
        return (json.loads(row[1]), self.get(int(row[0]))) if row else None

    def close_review(self, request_id: str, status: str) -> None:
        """Record the final status of a request whose draft is gone (published)."""
        with self._tx() as c:
            row = c.execute("SELECT body FROM review_requests WHERE id=?", (request_id,)).fetchone()
            if row:
                body = json.loads(row[0])
                body.update(status=status, is_open=False, is_closed=True)
                c.execute(
                    "UPDATE review_requests SET body=? WHERE id=?", (json.dumps(body), request_id)
                )

    def add_communities(
        self, rec: RecordRow, requested: list[str], user_name: str
    ) -> tuple[list[dict], list[dict]]:
        """``POST /api/records/{id}/communities``: ``(processed, errors)`` per community."""
        known = {c.slug: c for c in self.config.communities}
        known.update({c.id: c for c in self.config.communities})
        processed: list[dict] = []
        errors: list[dict] = []
        with self._tx() as c:
            row = c.execute(
                "SELECT communities, requests FROM parents WHERE id=?", (rec.parent_id,)
            ).fetchone()
            accepted, requests = json.loads(row[0]), json.loads(row[1])
            for ident in requested:
                community = known.get(ident)
                if community is None:
                    errors.append({"community": ident, "message": "Community not found."})
                elif community.id in accepted:
                    errors.append(
                        {"community": community.id, "message": "Community already included."}
                    )
                elif open_request := next(
                    (r for r in requests if r["community"] == community.id), None
                ):
                    errors.append(
                        {
                            "community": community.id,
                            "message": "There is already an open inclusion request for this "
                            "community.",
                            "request_id": open_request["id"],
                        }
                    )
                else:
                    before = len(requests)
                    self._include_communities([community.slug], user_name, accepted, requests)
                    request_id = requests[-1]["id"] if len(requests) > before else None
                    processed.append(
                        {
                            "community_id": community.id,
                            "request_id": request_id,
                            "status": "submitted" if request_id else "accepted",
                        }
                    )
            c.execute(
                "UPDATE parents SET communities=?, requests=? WHERE id=?",
                (json.dumps(accepted), json.dumps(requests), rec.parent_id),
            )
            for (rid,) in c.execute(
                "SELECT id FROM records WHERE parent_id=?", (rec.parent_id,)
            ).fetchall():
                self._index(c, rid)
        return processed, errors

    # ------------------------------------------------------------------ files

    def _new_blob_name(self) -> str:
        name = uuid.uuid4().hex
        return f"{name[:2]}/{name}"

    def new_temp_path(self) -> Path:
        return self.tmp_dir / f"upload-{uuid.uuid4().hex}"

    def _unlink(self, blobs: Iterable[str | None]) -> None:
        for b in blobs:
            if b:
                with contextlib.suppress(OSError):
                    (self.files_dir / b).unlink()

    def _check_new_files(self, c: sqlite3.Connection, record_id: int, new_keys: int) -> None:
        count = c.execute("SELECT COUNT(*) FROM files WHERE record_id=?", (record_id,)).fetchone()[
            0
        ]
        if count + new_keys > self.config.max_files_per_record:
            raise ApiError(
                400, "Uploading selected files will result in exceeding the max amount per record."
            )

    def check_size(self, record_id: int, key: str, size: int) -> None:
        """Raise 400 when ``size`` more bytes for ``key`` break the file or quota limits."""
        if size > self.config.max_file_bytes:
            raise ApiError(400, "Maximum file size exceeded.")
        with self._lock:
            used = self._conn.execute(
                "SELECT COALESCE(SUM(size), 0) FROM files WHERE record_id=? AND key<>?",
                (record_id, key),
            ).fetchone()[0]
        if used + size > self.config.quota_bytes:
            raise ApiError(400, "Bucket quota exceeded.")

    def _check_writable(self, c: sqlite3.Connection, record_id: int) -> None:
        """Inside a transaction: the draft still exists and its files are not locked.

        (An upload streams for a while; the draft may have been deleted or published since.)
        """
        row = c.execute("SELECT draft, record FROM records WHERE id=?", (record_id,)).fetchone()
        if row is None or row[0] is None:
            raise ApiError(404)
        if row[1] is not None:
            raise ApiError(403, "Permission denied. The files of a published record are locked.")

    def init_files(self, rec: RecordRow, keys: list[str]) -> None:
        now = self.now()
        with self._tx() as c:
            self._check_writable(c, rec.id)
            for key in keys:
                if c.execute(
                    "SELECT 1 FROM files WHERE record_id=? AND key=?", (rec.id, key)
                ).fetchone():
                    raise ApiError(400, f"File with key {key} already exists.")
            self._check_new_files(c, rec.id, len(keys))
            for key in keys:
                c.execute(
                    f"INSERT INTO files({_FILE_COLS}) VALUES (?,?,?,?,NULL,NULL,NULL,'pending',"
                    "NULL,?,?)",
                    (rec.id, key, str(uuid.uuid4()), str(uuid.uuid4()), now, now),
                )

    def _place(self, tmp: Path) -> str:
        blob = self._new_blob_name()
        dest = self.files_dir / blob
        dest.parent.mkdir(exist_ok=True)
        os.replace(tmp, dest)
        return blob

    def set_content(
        self, rec: RecordRow, key: str, tmp: Path, size: int, md5: str, mimetype: str
    ) -> FileRow:
        """Native content PUT: attach the uploaded temp file to a pending entry."""
        old: str | None = None
        with self._tx() as c:
            self._check_writable(c, rec.id)
            row = c.execute(
                "SELECT status, blob FROM files WHERE record_id=? AND key=?", (rec.id, key)
            ).fetchone()
            if row is None:
                raise ApiError(404, "File not found.")
            if row[0] == "completed":
                raise ApiError(400, f'File with key "{key}" is already committed.')
            old = row[1]
            blob = self._place(tmp)
            c.execute(
                "UPDATE files SET size=?, checksum=?, mimetype=?, blob=?, updated=?"
                " WHERE record_id=? AND key=?",
                (size, md5, mimetype, blob, self.now(), rec.id, key),
            )
        self._unlink([old])
        return self._written_file(rec.id, key)

    def commit_file(self, rec: RecordRow, key: str) -> FileRow:
        with self._tx() as c:
            row = c.execute(
                "SELECT status, blob, size FROM files WHERE record_id=? AND key=?", (rec.id, key)
            ).fetchone()
            if row is None:
                raise ApiError(404, "File not found.")
            if row[0] != "completed":
                if row[1] is None:
                    raise ApiError(400, "The file upload transfer failed, please try again.")
                if not row[2]:
                    raise ApiError(400, "Empty files are not accepted.")
                c.execute(
                    "UPDATE files SET status='completed', updated=? WHERE record_id=? AND key=?",
                    (self.now(), rec.id, key),
                )
                self._index_files(c, rec)
        return self._written_file(rec.id, key)

    def put_object(
        self,
        rec: RecordRow,
        key: str,
        tmp: Path,
        size: int,
        md5: str,
        mimetype: str,
        *,
        replace: bool = True,
    ) -> FileRow:
        """Store a completed file as ``key`` in one transaction.

        ``replace``: an existing ``key`` is replaced (bucket PUT); otherwise it is a 400
        "File with key X already exists." (the legacy form upload, IRR ``init_files``).
        """
        now = self.now()
        old: str | None = None
        with self._tx() as c:
            self._check_writable(c, rec.id)
            row = c.execute(
                "SELECT blob FROM files WHERE record_id=? AND key=?", (rec.id, key)
            ).fetchone()
            if row and not replace:
                raise ApiError(400, f"File with key {key} already exists.")
            if row:
                old = row[0]
                c.execute("DELETE FROM files WHERE record_id=? AND key=?", (rec.id, key))
            else:
                self._check_new_files(c, rec.id, 1)
            blob = self._place(tmp)
            c.execute(
                f"INSERT INTO files({_FILE_COLS}) VALUES (?,?,?,?,?,?,?,'completed',?,?,?)",
                (
                    rec.id,
                    key,
                    str(uuid.uuid4()),
                    str(uuid.uuid4()),
                    size,
                    md5,
                    mimetype,
                    blob,
                    now,
                    now,
                ),
            )
            self._index_files(c, rec)
        self._unlink([old])
        return self._written_file(rec.id, key)

    def delete_file(self, rec: RecordRow, key: str) -> None:
        with self._tx() as c:
            row = c.execute(
                "SELECT blob FROM files WHERE record_id=? AND key=?", (rec.id, key)
            ).fetchone()
            if row is None:
                raise ApiError(404, "File not found.")
            c.execute("DELETE FROM files WHERE record_id=? AND key=?", (rec.id, key))
            self._index_files(c, rec)
        self._unlink([row[0]])

    def delete_all_files(self, rec: RecordRow) -> None:
        with self._tx() as c:
            blobs = [b for (b,) in c.execute("SELECT blob FROM files WHERE record_id=?", (rec.id,))]
            c.execute("DELETE FROM files WHERE record_id=?", (rec.id,))
            self._index_files(c, rec)
        self._unlink(blobs)

    # ------------------------------------------------------------------ search index

    def _index(self, c: sqlite3.Connection, record_id: int, lag: float | None = None) -> None:
        """Re-index one record id: the old docs stay visible until the new ones appear."""
        now = self.clock()
        if lag is None:
            lag = float(self.config.index_lag or 0.0)
        old = []
        if lag <= 0:  # dropped after the new docs are in (they may share the full text)
            old = [
                d for (d,) in c.execute("SELECT doc_id FROM docs WHERE record_id=?", (record_id,))
            ]
        else:
            c.execute(
                "UPDATE docs SET visible_until=? WHERE record_id=? AND visible_until IS NULL",
                (now + lag, record_id),
            )
            self._writes += 1
            if self._writes % 500 == 0:
                self._collect(c, now)
        self._add_docs(c, record_id, now + lag)
        for doc_id in old:
            self._drop_doc(c, doc_id)

    def _add_docs(self, c: sqlite3.Connection, record_id: int, visible: float) -> None:
        """Index the draft and/or the published version of one record id."""
        row = c.execute(f"SELECT {_REC_COLS} FROM records WHERE id=?", (record_id,)).fetchone()
        if row is None:
            return
        rec = _rec(row)
        record_body = self.body(rec, "record") if rec.record is not None else None
        if rec.draft is not None:
            draft_body = self.body(rec, "draft", entries=False)
            self._add_doc(c, rec, draft_body, visible, in_user=True, in_public=False)
            if record_body is not None:
                self._add_doc(c, rec, record_body, visible, in_user=False, in_public=True)
        elif record_body is not None:
            self._add_doc(c, rec, record_body, visible, in_user=True, in_public=True)

    def refresh_index(self) -> int:
        """Make every pending change visible to search now (OpenSearch's index refresh).

        Returns how many documents changed visibility.
        """
        now = self.clock()
        with self._tx() as c:
            shown = c.execute(
                "UPDATE docs SET visible_from=? WHERE visible_from>?", (now, now)
            ).rowcount
            hidden = c.execute(
                "UPDATE docs SET visible_until=? WHERE visible_until>?", (now, now)
            ).rowcount
        return int(shown) + int(hidden)

    def _index_files(self, c: sqlite3.Connection, rec: RecordRow) -> None:
        """File changes only show in search for published records (drafts index no files)."""
        if rec.record is not None:
            self._index(c, rec.id)

    def _collect(self, c: sqlite3.Connection, now: float) -> None:
        old = [
            d
            for (d,) in c.execute(
                "SELECT doc_id FROM docs WHERE visible_until IS NOT NULL AND visible_until < ?",
                (now - 1,),
            )
        ]
        for doc_id in old:
            self._drop_doc(c, doc_id)

    @staticmethod
    def _drop_doc(c: sqlite3.Connection, doc_id: int) -> None:
        row = c.execute("SELECT text_id FROM docs WHERE doc_id=?", (doc_id,)).fetchone()
        c.execute("DELETE FROM terms WHERE doc_id=?", (doc_id,))
        c.execute("DELETE FROM docs WHERE doc_id=?", (doc_id,))
        text_id = row[0] if row else None
        if (
            text_id is not None
            and not c.execute("SELECT 1 FROM docs WHERE text_id=? LIMIT 1", (text_id,)).fetchone()
        ):
            c.execute("DELETE FROM texts WHERE rowid=?", (text_id,))

    @staticmethod
    def _text_id(
        c: sqlite3.Connection, record_id: int, texts: tuple[str, ...]
    ) -> tuple[int, str] | None:
        """The full-text row for ``texts``: the record's existing one when unchanged (a
        publish or a file change re-indexes the same words), else a new one."""
        if not any(texts):
            return None
        key = hashlib.sha1("\x00".join(texts).encode()).hexdigest()  # noqa: S324 - a key
        row = c.execute(
            "SELECT text_id FROM docs WHERE record_id=? AND text_key=? LIMIT 1", (record_id, key)
        ).fetchone()
        if row is not None:
            return int(row[0]), key
        inserted = c.execute(
            "INSERT INTO texts(title, description, creators, identifiers) VALUES (?,?,?,?)", texts
        )
        return int(inserted.lastrowid), key

    def _add_doc(
        self,
        c: sqlite3.Connection,
        rec: RecordRow,
        body: dict,
        visible: float,
        *,
        in_user: bool,
        in_public: bool,
    ) -> None:
        md = body["metadata"]
        doc_id = c.execute(
            "INSERT INTO docs(record_id, in_user, in_public, owner, parent_id, is_published,"
            " is_latest, created, updated, publication_date, visible_from, body)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                rec.id,
                int(in_user),
                int(in_public),
                rec.owner,
                rec.parent_id,
                int(body["is_published"]),
                int(body["versions"]["is_latest"]),
                body["created"],
                body["updated"],
                md.get("publication_date"),
                visible,
                json.dumps(body),
            ),
        ).lastrowid
        texts: dict[str, list[str]] = {column: [] for column in TEXT_COLUMNS.values()}
        keywords = []
        for field, value in _terms(body):
            column = TEXT_COLUMNS.get(field)
            if column is None:
                keywords.append((doc_id, field, value))
            else:
                texts[column].append(value)
        c.executemany("INSERT INTO terms(doc_id, field, value) VALUES (?, ?, ?)", keywords)
        joined = tuple("\n".join(texts[col]) for col in TEXT_COLUMNS.values())
        text = self._text_id(c, rec.id, joined)
        if text is not None:
            c.execute("UPDATE docs SET text_id=?, text_key=? WHERE doc_id=?", (*text, doc_id))

    def search(
        self,
        *,
        kind: str,
        owner: int | None,
        where: str,
        params: list[Any],
        order: str,
        size: int,
        page: int,
        latest_only: bool = False,
    ) -> tuple[int, list[dict]]:
        """Run a compiled query; returns ``(total, bodies)`` of the docs visible now."""
        now = self.clock()
        sql = (
            f" FROM docs d WHERE d.{'in_public' if kind == 'public' else 'in_user'}=1"
            " AND d.visible_from<=? AND (d.visible_until IS NULL OR d.visible_until>?)"
        )
        args: list[Any] = [now, now]
        if owner is not None:
            sql += " AND d.owner=?"
            args.append(owner)
        if latest_only:
            sql += " AND d.is_latest=1"
        if where:
            sql += f" AND ({where})"
            args.extend(params)
        with self._lock:
            total = self._conn.execute("SELECT COUNT(*)" + sql, args).fetchone()[0]
            rows = self._conn.execute(
                f"SELECT d.body{sql} ORDER BY {order} LIMIT ? OFFSET ?",
                [*args, size, (page - 1) * size],
            ).fetchall()
        return int(total), [json.loads(r[0]) for r in rows]


def _terms(body: dict) -> list[tuple[str, str]]:
    md = body["metadata"]
    out: list[tuple[str, str]] = []
    if isinstance(md.get("title"), str):
        out.append(("metadata.title", md["title"]))
    if isinstance(md.get("description"), str):
        out.append(("metadata.description", md["description"]))
    rt = (md.get("resource_type") or {}).get("id")
    if isinstance(rt, str):
        main, _, sub = rt.partition("-")
        out += [("metadata.resource_type.id", rt), ("metadata.resource_type.props.type", main)]
        if sub:
            out.append(("metadata.resource_type.props.subtype", sub))
    for s in md.get("subjects", []):
        if isinstance(s.get("subject"), str):
            out.append(("metadata.subjects.subject", s["subject"]))
    for r in md.get("related_identifiers", []):
        if isinstance(r.get("identifier"), str):
            out.append(("metadata.related_identifiers.identifier", r["identifier"]))
    for r in md.get("identifiers", []):
        if isinstance(r.get("identifier"), str):
            out.append(("metadata.identifiers.identifier", r["identifier"]))
    for cr in md.get("creators", []):
        po = cr.get("person_or_org") or {}
        name = po.get("name") or ", ".join(
            x for x in (po.get("family_name"), po.get("given_name")) if isinstance(x, str) and x
        )
        if name:
            out.append(("metadata.creators.person_or_org.name", name))
    for lang in md.get("languages", []):
        if isinstance(lang.get("id"), str):
            out.append(("metadata.languages.id", lang["id"]))
    doi = body.get("pids", {}).get("doi", {}).get("identifier")
    if doi:
        out.append(("pids.doi.identifier", doi))
    parent_doi = body["parent"].get("pids", {}).get("doi", {}).get("identifier")
    if parent_doi:
        out.append(("parent.pids.doi.identifier", parent_doi))
    for cid in body["parent"]["communities"]["ids"]:
        out.append(("parent.communities.ids", cid))
    for e in body["files"].get("entries", []):
        out.append(("files.entries.key", e["key"]))
        if e.get("checksum"):
            out.append(("files.entries.checksum", e["checksum"]))
    out += keyword_values(body.get("custom_fields", {}))
    return out
