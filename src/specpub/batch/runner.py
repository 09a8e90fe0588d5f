"""The batch runner: drive every planned record to ``published``, safely and fast.

:func:`run_batch_async` (and its sync wrapper :func:`run_batch`) takes the
records of one or more ledger batches and moves each one along
``planned → creating → created → uploading → uploaded → publishing → published``
through any :class:`~specpub.repository.protocol.RepositoryClient`, with
``concurrency`` workers sharing one :class:`~specpub.batch.pacing.Pacer` and one
:class:`~specpub.batch.retry.CircuitBreaker`.

Per record (legacy API, happy path): one create with the full metadata, one
bucket PUT per file, one publish: exactly ``2 + F`` requests. The native API
uses the client's init/content/commit per file (``2 + 3F``). Edits: edit →
PUT → publish; new versions: newversion → PUT → delete/upload changed files
→ publish.

Guarantees
----------
* **Write-ahead**: the intent is committed to the ledger before each request
  and the outcome right after it, so a ``kill -9`` at any instant can be
  resumed by running again. Records found in ``creating``/``publishing`` (the
  process died *during* the request) become ``ambiguous`` and are resolved
  with the server first: a marker search (tolerating index lag, batched up to
  ``search_chunk`` markers per OR query) for a create, a GET for a publish.
  Found drafts are adopted (the newest published match, else the newest
  draft) and extra drafts deleted; nothing non-idempotent is ever repeated
  blindly.
* **Files**: before anything is sent for a record, each file must still
  exist with the scanned size and mtime (else the record fails with "file X
  changed since it was scanned"); the client checks the MD5 while streaming
  and the server's checksum after; a mismatch re-uploads (bounded). Before
  publish, the server's file list must hold exactly the planned keys with
  the planned MD5s (taken from this run's upload answers; one GET of the
  file list when the record was resumed, adopted or ambiguous).
* **Errors**: transient failures back off with full jitter up to
  ``max_attempts`` per step (then ``failed``, retryable, retried by the next
  run); rejections fail the record with the server's field messages; an
  :class:`~specpub.errors.AuthenticationError` stops the whole batch at once;
  bursts of 5xx/404/connection errors open the circuit breaker, which pauses
  every worker and probes until the repository answers again (no attempts
  are charged meanwhile).

Examples
--------
>>> RunOptions().concurrency
8
>>> print(BatchResult(batch_ids=[1], total=3, published=3, elapsed=1.5).summary())
batch 1: 3/3 published, 0 failed, 0 pending in 1.5 s (0 requests, 0 retries, 0 × 429)
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from specpub._display import FrameResult
from specpub.batch._lock import RunLock
from specpub.batch._lookup import MarkerLookup
from specpub.batch.ledger import TRANSITIONS, Ledger, LedgerFile, LedgerRecord
from specpub.batch.pacing import Pacer
from specpub.batch.retry import CircuitBreaker, RetryPolicy
from specpub.errors import (
    Ambiguous,
    AuthenticationError,
    ChecksumMismatch,
    InputError,
    NotFound,
    RateLimited,
    Rejected,
    RepositoryError,
    Transient,
)
from specpub.progress import make_progress
from specpub.repository.protocol import RemoteFile, RemoteRecord, RepositoryClient

__all__ = ["BatchResult", "RunOptions", "run_batch", "run_batch_async"]


@dataclass(frozen=True)
class RunOptions:
    """Tunables of a run (all have sensible defaults).

    Parameters
    ----------
    concurrency
        Records in flight at once.
    retry_failed
        Put retryable ``failed`` records back to work (``"retryable"``, the
        default), all failed records (``"all"``), or none (``"none"``).
    search_chunk
        Markers per OR search when resolving ambiguous creates.
    search_linger
        Seconds a marker lookup waits for others to share its query.
    check_files
        Check size and mtime of every file before sending a record.

    Examples
    --------
    >>> RunOptions(concurrency=4, retry_failed="all").retry_failed
    'all'
    """

    concurrency: int = 8
    retry_failed: str = "retryable"
    search_chunk: int = 50
    search_linger: float = 0.2
    check_files: bool = True


@dataclass
class BatchResult(FrameResult):
    """What a run did (see :meth:`summary`).

    Examples
    --------
    >>> r = BatchResult(batch_ids=[2, 3], total=10, published=7, failed=1)
    >>> r.pending, r.ok
    (2, False)
    """

    batch_ids: list[int] = field(default_factory=list)
    total: int = 0
    published: int = 0
    failed: int = 0
    published_now: int = 0
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    paused_rate_limit: float = 0.0
    paused_outage: float = 0.0
    breaker_opened: int = 0
    adopted: int = 0
    deleted_drafts: int = 0
    mismatches: int = 0
    elapsed: float = 0.0
    stopped: str | None = None
    message: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def pending(self) -> int:
        """Records neither published nor failed.

        Examples
        --------
        >>> BatchResult(total=5, published=3).pending
        2
        """
        return self.total - self.published - self.failed

    @property
    def ok(self) -> bool:
        """True when every record is published.

        Examples
        --------
        >>> BatchResult(total=2, published=2).ok
        True
        """
        return self.published == self.total and self.stopped is None

    def summary(self) -> str:
        """A short text summary.

        Examples
        --------
        >>> BatchResult(batch_ids=[1], total=1, published=1).summary().startswith("batch 1: 1/1")
        True
        """
        batches = ", ".join(map(str, self.batch_ids)) or "none"
        text = (
            f"batch {batches}: {self.published}/{self.total} published, {self.failed} failed, "
            f"{self.pending} pending in {self.elapsed:.1f} s ({self.requests} requests, "
            f"{self.retries} retries, {self.rate_limited} × 429)"
        )
        if self.paused_rate_limit >= 1 or self.paused_outage >= 1:
            text += (
                f"; paused {self.paused_rate_limit:.0f} s for rate limits, "
                f"{self.paused_outage:.0f} s for outages"
            )
        if self.stopped:
            text += f"\nSTOPPED: {self.message}"
        return text

    def __str__(self) -> str:
        return self.summary()

    def to_frame(self) -> pd.DataFrame:
        """Records per state after the run (``state``, ``records``).

        Examples
        --------
        >>> BatchResult(counts={"published": 3, "failed": 1}).to_frame().values.tolist()
        [['published', 3], ['failed', 1]]
        """
        return pd.DataFrame({"state": list(self.counts), "records": list(self.counts.values())})

    def to_dict(self) -> dict[str, Any]:
        """All fields as a plain dict (JSON-friendly).

        Examples
        --------
        >>> BatchResult(total=1).to_dict()["pending"]
        1
        """
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["pending"] = self.pending
        return out


class _StopBatch(Exception):
    """Stop every worker (authentication refused)."""


class _Retry(Exception):
    """The step should be tried again after a pause (already counted)."""


class _Run:
    """State shared by the workers of one run."""

    def __init__(
        self,
        ledger: Ledger,
        client: RepositoryClient,
        *,
        batch_ids: list[int],
        opts: RunOptions,
        pacer: Pacer,
        breaker: CircuitBreaker,
        policy: RetryPolicy,
        progress: Any,
        rng: random.Random,
        sleep: Any = asyncio.sleep,
    ) -> None:
        self.ledger = ledger
        self.client = client
        self.batch_ids = batch_ids
        self.opts = opts
        self.pacer = pacer
        self.breaker = breaker
        self.policy = policy
        self.progress = progress
        self.rng = rng
        self.sleep = sleep
        self.result = BatchResult(batch_ids=list(batch_ids))
        self.lookup = MarkerLookup(self)
        self.background: set[asyncio.Task[Any]] = set()
        self.remote: dict[int, RemoteRecord] = {}
        self.server_files: dict[int, dict[str, str | None]] = {}
        self.needs_check: set[int] = set()
        self.stop: str | None = None
        self._probe_task: asyncio.Task[None] | None = None
        self.known_remote_id: str | None = None
        pacer.on_pause = self._on_pause

    # -- bookkeeping ------------------------------------------------------------------
    def _on_pause(self, reason: str, seconds: float) -> None:
        if reason == "rate_limit":
            self.result.paused_rate_limit += seconds
        self.ledger.record_pause(self.batch_ids[0] if self.batch_ids else None, reason, seconds)
        self._status()

    def _status(self) -> None:
        parts = []
        if self.breaker.is_open:
            parts.append(f"paused: repository outage ({self.breaker.open_for:.0f} s)")
        elif self.pacer.paused_for > 0.5:
            parts.append(f"paused: rate limit ({self.pacer.paused_for:.0f} s)")
        if self.result.failed:
            parts.append(f"{self.result.failed} failed")
        self.progress.set_status(", ".join(parts))

    def note(self, rec: LedgerRecord | None, step: str, **detail: Any) -> None:
        self.ledger.record_event(
            rec.batch_id if rec else (self.batch_ids[0] if self.batch_ids else None),
            rec.record_id if rec else None,
            step,
            "note",
            kind="note",
            detail=detail,
        )

    # -- one request ------------------------------------------------------------------
    async def request(
        self,
        rec: LedgerRecord | None,
        step: str,
        call: Any,
        *,
        endpoint: str = "api",
        cost: int = 1,
        file_key: str | None = None,
        detail: dict[str, Any] | None = None,
        probe: bool = False,
    ) -> Any:
        """Send one request: breaker, pacer, timing, event row, breaker feedback."""
        if self.stop:
            raise _StopBatch(self.stop)
        if not probe:
            await self.breaker.wait_closed()
        tickets = [await self.pacer.acquire(endpoint, track=True) for _ in range(cost)]
        retry = rec.attempts if rec is not None else 0
        batch_id = rec.batch_id if rec else (self.batch_ids[0] if self.batch_ids else None)
        rid = rec.record_id if rec else None
        t0 = time.monotonic()
        self.result.requests += 1
        try:
            out = await call()
        except RepositoryError as err:
            duration = time.monotonic() - t0
            outcome = _outcome(err)
            if isinstance(err, RateLimited):
                self.result.rate_limited += 1
                self.pacer.note_rate_limited(err.retry_after)
            elif _outage_like(err) and not probe:
                opened = self.breaker.record_failure(rid if rid is not None else step)
                if opened:
                    self._open_breaker()
            self.ledger.record_event(
                batch_id,
                rid,
                step,
                outcome,
                http_status=err.status,
                duration=duration,
                error=str(err),
                retry=retry,
                file_key=file_key,
                detail=detail,
            )
            raise
        finally:
            for ticket in tickets:
                self.pacer.release(ticket)
        duration = time.monotonic() - t0
        if not probe:
            self.breaker.record_success()
        info = getattr(self.client, "rate_limit", None)
        if info is not None:
            self.pacer.on_response(200, info)
        self.ledger.record_event(
            batch_id,
            rid,
            step,
            "ok",
            duration=duration,
            retry=retry,
            file_key=file_key,
            detail=detail,
        )
        return out

    # -- circuit breaker --------------------------------------------------------------
    def _open_breaker(self) -> None:
        self.result.breaker_opened += 1
        self.note(None, "circuit_open", failures=self.breaker.min_failures)
        self._status()
        if self._probe_task is None or self._probe_task.done():
            self._probe_task = asyncio.create_task(self._probe_loop())
            self.background.add(self._probe_task)
            self._probe_task.add_done_callback(self.background.discard)

    async def _probe_loop(self) -> None:
        started = time.monotonic()
        interval = self.breaker.probe_initial
        while self.breaker.is_open and not self.stop:
            await self.sleep(interval)
            self.breaker.probes += 1
            self._status()
            try:
                if self.known_remote_id is not None:
                    known = self.known_remote_id
                    await self.request(
                        None, "probe", lambda k=known: self.client.get(k), probe=True
                    )
                else:
                    await self.request(
                        None,
                        "probe",
                        lambda: self.client.search("*", size=1),
                        endpoint="search",
                        probe=True,
                    )
            except AuthenticationError as err:
                self.stop = str(err)
                self.breaker.probe_succeeded()
                break
            except RepositoryError:
                # still down (a known record answering 404 is the outage itself, May 2019)
                interval = min(self.breaker.probe_max, interval * 2)
                continue
            self.breaker.probe_succeeded()
        seconds = time.monotonic() - started
        self.result.paused_outage += seconds
        self.ledger.record_pause(
            self.batch_ids[0] if self.batch_ids else None,
            "circuit_open",
            seconds,
            detail={"probes": self.breaker.probes},
        )
        self._status()

    # -- failures ---------------------------------------------------------------------
    async def transient(self, rec: LedgerRecord, step: str, err: Exception) -> None:
        """Count a transient failure and wait, or fail the record when exhausted."""
        if self.breaker.is_open or isinstance(err, RateLimited):
            # not the record's fault: wait without charging an attempt
            if isinstance(err, RateLimited):
                return
            await self.breaker.wait_closed()
            return
        attempts = self.ledger.bump_attempts(rec.record_id)
        self.result.retries += 1
        if self.policy.exhausted(attempts):
            self.fail(
                rec.record_id,
                step,
                f"{step} failed {attempts} times; last error: {err}",
                retryable=True,
            )
            raise _Retry from err
        delay = self.policy.backoff(attempts, self.rng)
        await self.sleep(delay)
        # one pause row per back-off, so the report can show the time spent backing off
        self.ledger.record_pause(
            rec.batch_id, "backoff", delay, detail={"record": rec.record_id, "step": step}
        )

    def _charge(self, rec: LedgerRecord, step: str, what: str) -> None:
        """Count a step that had to be repeated; fail the record when it keeps happening."""
        attempts = self.ledger.bump_attempts(rec.record_id)
        if self.policy.exhausted(attempts):
            self.fail(
                rec.record_id,
                step,
                f"{what} {attempts} times (answers lost each time)",
                retryable=True,
            )

    def fail(
        self,
        record_id: int,
        step: str,
        reason: str,
        *,
        retryable: bool,
        field_messages: Sequence[str] = (),
    ) -> None:
        self.ledger.transition(
            record_id,
            "failed",
            step=step,
            reason=reason,
            retryable=retryable,
            field_messages=list(field_messages),
        )
        self.result.failed += 1
        self.progress.update(1)
        self._status()

    def unexpected(self, record_id: int, err: Exception) -> None:
        """Fail one record after an unexpected error, keeping the others going."""
        rec = self.ledger.record(record_id)
        self.note(rec, "error", error=f"{type(err).__name__}: {err}", state=rec.state)
        if rec.state in ("creating", "publishing"):
            rec = self.ledger.transition(
                record_id, "ambiguous", step="create" if rec.state == "creating" else "publish"
            )
        if "failed" in TRANSITIONS[rec.state]:
            self.fail(
                record_id,
                f"resolve-{rec.step}" if rec.state == "ambiguous" else rec.state,
                f"unexpected error: {type(err).__name__}: {err}",
                retryable=True,
            )

    # -- the record workflow ----------------------------------------------------------
    async def drive(self, record_id: int) -> None:
        """Move one record as far as it can go."""
        while not self.stop:
            rec = self.ledger.record(record_id)
            try:
                if rec.state == "published":
                    self.result.published += 1
                    self.result.published_now += 1
                    self.progress.update(1)
                    return
                if rec.state == "failed":
                    return
                if rec.state == "planned":
                    await self.create(rec)
                elif rec.state == "creating":
                    self.ledger.transition(record_id, "ambiguous", step="create")
                elif rec.state == "publishing":
                    self.ledger.transition(record_id, "ambiguous", step="publish")
                elif rec.state == "ambiguous":
                    await self.resolve(rec)
                elif rec.state in ("created", "uploading"):
                    await self.upload(rec)
                elif rec.state == "uploaded":
                    await self.publish(rec)
            except _Retry:
                continue

    def _check_files(self, rec: LedgerRecord, files: Sequence[LedgerFile]) -> bool:
        if not self.opts.check_files:
            return True
        for f in files:
            if f.state == "uploaded":
                continue
            path = Path(f.path)
            try:
                st = path.stat()
            except OSError:
                self.fail(
                    rec.record_id,
                    "check",
                    f"file {f.key} ({f.path}) vanished since it was scanned; rescan the "
                    "media folder",
                    retryable=False,
                )
                return False
            changed = st.st_size != f.size or (
                f.mtime is not None and abs(st.st_mtime - f.mtime) > 1e-3
            )
            if changed:
                self.fail(
                    rec.record_id,
                    "check",
                    f"file {f.key} ({f.path}) changed since it was scanned (size or time "
                    "differs); rescan the media folder",
                    retryable=False,
                )
                return False
        return True

    def _adopt_remote(self, rec: LedgerRecord, remote: RemoteRecord) -> None:
        self.remote[rec.record_id] = remote
        self.known_remote_id = remote.id

    async def create(self, rec: LedgerRecord) -> None:
        files = self.ledger.record_files(rec.record_id)
        if not self._check_files(rec, files):
            return
        payload = self.ledger.payload(rec.record_id)
        if rec.operation == "create":
            self.ledger.transition(rec.record_id, "creating", expected="planned", durable=True)
            try:
                remote = await self.request(rec, "create", lambda: self.client.create(payload))
            except Ambiguous:
                self.ledger.transition(rec.record_id, "ambiguous", step="create", durable=True)
                return
            except (RepositoryError, InputError, _StopBatch) as err:
                # definitely not created: undo the intent before handling the error
                self.ledger.transition(rec.record_id, "planned", expected="creating")
                await self.handle(rec, "create", err)
                return
            except Exception:
                # unknown: the request may have been sent
                self.ledger.transition(rec.record_id, "ambiguous", step="create", durable=True)
                raise
            self._record_created(rec, remote)
            return
        # edit / new version: both idempotent, then a full-metadata PUT
        self.ledger.transition(rec.record_id, "creating", expected="planned")
        try:
            draft = await self._open_change_draft(rec, payload)
        except (RepositoryError, InputError, _StopBatch) as err:
            self.ledger.transition(rec.record_id, "planned", expected="creating")
            await self.handle(rec, rec.operation, err)
            return
        self._record_created(rec, draft)

    async def _open_change_draft(self, rec: LedgerRecord, payload: dict[str, Any]) -> Any:
        base = rec.base_remote_id
        if base is None:
            raise InputError(f"record {rec.marker_key}: an {rec.operation} needs the record id")
        if rec.operation == "edit":
            draft = await self.request(rec, "edit", lambda: self.client.edit(base))
        else:
            draft = await self.request(rec, "new_version", lambda: self.client.new_version(base))
        did = draft.id
        updated = await self.request(rec, "update", lambda: self.client.update(did, payload))
        if updated.bucket is None and draft.bucket is not None:
            return _with(updated, bucket=draft.bucket, files=draft.files)
        return updated

    def _record_created(self, rec: LedgerRecord, remote: RemoteRecord) -> None:
        self.ledger.transition(
            rec.record_id,
            "created",
            expected="creating",
            remote_id=remote.id,
            concept_id=remote.concept_id,
            bucket=remote.bucket,
            html_url=remote.html_url,
        )
        self.ledger.reset_files(rec.record_id)
        self._adopt_remote(rec, remote)
        self.server_files[rec.record_id] = {}
        if remote.errors:
            self.note(
                rec,
                "validation",
                messages=[e.text for e in remote.errors],
            )
        if rec.operation == "new_version":
            self.needs_check.add(rec.record_id)

    async def handle(self, rec: LedgerRecord, step: str, err: BaseException) -> None:
        """Route an error of ``step`` (the record's intent was already undone)."""
        if isinstance(err, AuthenticationError):
            self.stop = (
                f"the repository refused the token ({err}); nothing was lost: fix the token "
                f"(environment variable {getattr(self.client, 'token_env', 'ZENODO_TOKEN')}) "
                "and run again"
            )
            raise _StopBatch(self.stop) from err
        if isinstance(err, InputError):
            self.fail(rec.record_id, step, str(err), retryable=False)
            return
        if isinstance(err, NotFound | Transient):
            await self.transient(self.ledger.record(rec.record_id), step, err)
            return
        if isinstance(err, Rejected):
            self.fail(
                rec.record_id,
                step,
                f"the repository rejected {step}: {err.message}",
                retryable=False,
                field_messages=err.field_messages,
            )
            return
        if isinstance(err, RepositoryError):  # Ambiguous on an idempotent step, mismatch
            await self.transient(self.ledger.record(rec.record_id), step, err)
            return
        raise err

    async def _remote(self, rec: LedgerRecord) -> RemoteRecord:
        remote = self.remote.get(rec.record_id)
        if remote is not None and (remote.bucket or self.client.api != "legacy"):
            return remote
        if remote is None and (rec.bucket or self.client.api != "legacy"):
            remote = RemoteRecord(
                id=str(rec.remote_id), state="draft", is_published=False, bucket=rec.bucket
            )
            self.remote[rec.record_id] = remote
            return remote
        rid = str(rec.remote_id)
        remote = await self.request(rec, "get", lambda: self.client.get(rid))
        self._adopt_remote(rec, remote)
        return remote

    async def upload(self, rec: LedgerRecord) -> None:
        rid = rec.record_id
        if rec.state == "created":
            rec = self.ledger.transition(rid, "uploading", expected="created")
        if rid not in self.server_files:
            self.server_files[rid] = {}
            self.needs_check.add(rid)  # resumed: verify against the server before publish
        files = self.ledger.record_files(rid)
        if not self._check_files(rec, files):
            return
        try:
            remote = await self._remote(rec)
            if rec.operation == "new_version" and rid in self.needs_check:
                await self._sync_version_files(rec, files)
                files = self.ledger.record_files(rid)
            for f in files:
                if f.state == "uploaded":
                    continue
                await self._upload_one(rec, remote, f)
            if rec.operation != "edit" and (
                rid in self.needs_check or rec.operation == "new_version"
            ):
                await self._verify_server_files(rec)
        except _Retry:
            raise
        except (RepositoryError, InputError, _StopBatch) as err:
            if isinstance(err, RepositoryError):
                # something went wrong mid-upload: check the server's list before publishing
                self.needs_check.add(rid)
            await self.handle(self.ledger.record(rid), "upload", err)
            return
        self.ledger.transition(rid, "uploaded", expected="uploading")

    async def _upload_one(self, rec: LedgerRecord, remote: RemoteRecord, f: LedgerFile) -> None:
        if f.state != "uploading":
            f = self.ledger.transition_file(f.file_id, "uploading")
        cost = 3 if self.client.api == "native" else 1
        try:
            got: RemoteFile = await self.request(
                rec,
                "upload",
                lambda: self.client.upload(remote, Path(f.path), f.key, md5=f.md5, size=f.size),
                cost=cost,
                file_key=f.key,
            )
        except ChecksumMismatch as err:
            self.result.mismatches += 1
            f = self.ledger.transition_file(
                f.file_id, "mismatch", server_checksum=err.remote_checksum
            )
            if f.attempts > self.policy.max_reuploads:
                self.fail(
                    rec.record_id,
                    "upload",
                    f"file {f.key}: the repository's checksum ({err.remote_checksum}) differs "
                    f"from the local MD5 ({f.md5}) after {f.attempts} uploads",
                    retryable=True,
                )
                raise _Retry from err
            return await self._upload_one(rec, remote, f)
        if got.md5 is None or got.md5.lower() != f.md5:
            # the client verifies; this is a second line of defence
            self.result.mismatches += 1
            self.ledger.transition_file(f.file_id, "mismatch", server_checksum=got.md5)
            raise ChecksumMismatch(
                f"file {f.key}: server checksum {got.md5} differs from {f.md5}",
                key=f.key,
                local_md5=f.md5,
                remote_checksum=got.md5,
            )
        self.ledger.transition_file(
            f.file_id, "uploaded", server_checksum=got.md5, remote_file_id=got.file_id
        )
        self.server_files.setdefault(rec.record_id, {})[f.key] = got.md5

    async def _sync_version_files(self, rec: LedgerRecord, files: Sequence[LedgerFile]) -> None:
        """New version: drop imported files that changed or were removed; keep equal ones."""
        rid = str(rec.remote_id)
        listed = await self.request(rec, "list_files", lambda: self.client.list_files(rid))
        importer = getattr(self.client, "import_files", None)
        if not listed and importer is not None:
            # InvenioRDM: a new-version draft starts without files; link the previous
            # version's files instead of uploading unchanged ones again
            try:
                await self.request(rec, "import_files", lambda: importer(rid))
            except (Ambiguous, Rejected) as err:
                if isinstance(err, AuthenticationError):
                    raise
                self.note(rec, "import_files", error=str(err))
            listed = await self.request(rec, "list_files", lambda: self.client.list_files(rid))
        planned = {f.key: f for f in files}
        for rf in listed:
            want = planned.get(rf.key)
            if want is not None and rf.md5 and rf.md5.lower() == want.md5:
                if want.state != "uploaded":
                    self.ledger.transition_file(want.file_id, "uploaded", server_checksum=rf.md5)
                continue
            key = rf.key
            await self.request(
                rec, "delete_file", lambda k=key: self.client.delete_file(rid, k), file_key=key
            )
            if want is not None and want.state == "uploaded":
                self.ledger.transition_file(want.file_id, "planned")

    async def _verify_server_files(self, rec: LedgerRecord) -> None:
        """The draft must hold exactly the planned keys with the planned MD5s."""
        rid = str(rec.remote_id)
        files = self.ledger.record_files(rec.record_id)
        listed = await self.request(rec, "list_files", lambda: self.client.list_files(rid))
        have = {f.key: (f.md5 or "").lower() for f in listed}
        planned = {f.key: f for f in files}
        bad = False
        for key in have:
            if key not in planned:
                await self.request(
                    rec, "delete_file", lambda k=key: self.client.delete_file(rid, k), file_key=key
                )
                self.note(rec, "check", extra_file=key)
        for key, f in planned.items():
            if have.get(key) != f.md5:
                bad = True
                self.note(rec, "check", missing_or_different=key, server=have.get(key))
                if f.state == "uploaded":
                    self.ledger.transition_file(f.file_id, "planned")
        if bad:
            self.needs_check.add(rec.record_id)
            attempts = self.ledger.bump_attempts(rec.record_id)
            if self.policy.exhausted(attempts):
                self.fail(
                    rec.record_id,
                    "check",
                    "the repository's file list still differs from the plan after "
                    f"{attempts} uploads",
                    retryable=True,
                )
                raise _Retry()
            raise _RetryFiles()
        self.needs_check.discard(rec.record_id)

    async def publish(self, rec: LedgerRecord) -> None:
        rid = rec.record_id
        if rid in self.needs_check and rec.operation != "edit":
            # resumed at 'uploaded' without having seen the upload answers in this run
            try:
                await self._verify_server_files(rec)
            except _RetryFiles:
                self.ledger.transition(rid, "uploading", expected="uploaded")
                return
            except (RepositoryError, InputError, _StopBatch) as err:
                await self.handle(rec, "check", err)
                return
        elif rid not in self.server_files and rec.operation != "edit":
            self.needs_check.add(rid)
            return await self.publish(rec)
        self.ledger.transition(rid, "publishing", expected="uploaded", durable=True)
        remote_id = str(rec.remote_id)
        try:
            pub = await self.request(rec, "publish", lambda: self.client.publish(remote_id))
        except (Ambiguous, NotFound):
            # NotFound: an earlier publish may have gone through (a repeat answers 404)
            self.ledger.transition(rid, "ambiguous", step="publish", durable=True)
            return
        except (RepositoryError, InputError, _StopBatch) as err:
            self.ledger.transition(rid, "uploaded", expected="publishing")
            await self.handle(rec, "publish", err)
            return
        except Exception:
            self.ledger.transition(rid, "ambiguous", step="publish", durable=True)
            raise
        self._record_published(rec, pub)

    def _record_published(self, rec: LedgerRecord, pub: RemoteRecord) -> None:
        self.ledger.transition(
            rec.record_id,
            "published",
            remote_id=pub.id,
            concept_id=pub.concept_id,
            doi=pub.doi,
            concept_doi=pub.concept_doi,
            html_url=pub.html_url,
        )
        self.known_remote_id = pub.id

    # -- resolving ambiguous outcomes -------------------------------------------------
    async def resolve(self, rec: LedgerRecord) -> None:
        if rec.step == "publish":
            await self._resolve_publish(rec)
        elif rec.operation != "create":
            # edit/newversion/PUT are idempotent: simply do them again
            self.ledger.transition(rec.record_id, "planned")
        else:
            await self._resolve_create(rec)

    async def _resolve_publish(self, rec: LedgerRecord) -> None:
        remote_id = str(rec.remote_id)
        try:
            got = await self.request(rec, "get", lambda: self.client.get(remote_id))
        except AuthenticationError as err:
            await self.handle(rec, "publish", err)
            return
        except RepositoryError as err:
            await self.transient(rec, "publish", err)
            return
        if got.state == "published" and got.is_published:
            self.note(rec, "resolve", for_step="publish", found="published", id=got.id)
            self._record_published(rec, got)
        else:
            self.note(rec, "resolve", for_step="publish", found=got.state, id=got.id)
            self.remote[rec.record_id] = got
            self.ledger.transition(rec.record_id, "uploaded")
            self.needs_check.add(rec.record_id)
            self._charge(rec, "publish", "the publish did not take effect")

    async def _resolve_create(self, rec: LedgerRecord) -> None:
        deadline = time.monotonic() + self.policy.resolve_timeout
        wait = 1.0
        while True:
            try:
                matches = await self.lookup.find(rec.marker)
            except AuthenticationError as err:
                await self.handle(rec, "create", err)
                return
            except RepositoryError as err:
                await self.transient(self.ledger.record(rec.record_id), "search", err)
                continue
            if matches or time.monotonic() >= deadline:
                break
            await self.sleep(min(wait, max(0.0, deadline - time.monotonic())))
            wait = min(wait * 2, 8.0)
        if not matches:
            self.note(rec, "resolve", for_step="create", found="nothing")
            self.ledger.transition(rec.record_id, "planned", reset_remote=True)
            self._charge(rec, "create", "the create did not take effect")
            return
        published = [m for m in matches if m.is_published]
        pool = published or matches
        chosen = max(pool, key=lambda m: (m.created or "", _num(m.id)))
        extras = [m for m in matches if m.id != chosen.id and not m.is_published]
        self.result.adopted += 1
        self.note(
            rec,
            "adopt",
            adopted=chosen.id,
            state=chosen.state,
            candidates=[m.id for m in matches],
            duplicates_published=[m.id for m in published if m.id != chosen.id],
        )
        for extra in extras:
            xid = extra.id
            try:
                await self.request(
                    rec,
                    "delete_draft",
                    lambda x=xid: self.client.delete_draft(x),
                    detail={"id": xid},
                )
                self.result.deleted_drafts += 1
            except RepositoryError as err:
                self.note(rec, "delete_draft_failed", id=xid, error=str(err))
        if chosen.is_published and chosen.state == "published":
            self._record_published(rec, chosen)
            return
        self.ledger.transition(
            rec.record_id,
            "created",
            remote_id=chosen.id,
            concept_id=chosen.concept_id,
            bucket=chosen.bucket,
            html_url=chosen.html_url,
        )
        self.ledger.reset_files(rec.record_id)
        self.needs_check.add(rec.record_id)
        if chosen.bucket:
            self.remote[rec.record_id] = chosen
        else:
            self.remote.pop(rec.record_id, None)


class _RetryFiles(_Retry):
    """The server's file list differs from the plan: upload again."""


def _with(remote: RemoteRecord, **changes: Any) -> RemoteRecord:
    return dataclasses.replace(remote, **changes)


def _num(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _outcome(err: RepositoryError) -> str:
    if isinstance(err, RateLimited):
        return "rate_limited"
    if isinstance(err, ChecksumMismatch):
        return "mismatch"
    if isinstance(err, Ambiguous):
        return "ambiguous"
    if isinstance(err, Transient):
        return "transient"
    return "rejected"


def _outage_like(err: RepositoryError) -> bool:
    if isinstance(err, RateLimited | AuthenticationError | ChecksumMismatch):
        return False
    if isinstance(err, NotFound):
        return True
    return isinstance(err, Transient | Ambiguous)


def _revive(ledger: Ledger, batch_ids: Sequence[int], mode: str) -> int:
    """Put failed records back to work (see :attr:`RunOptions.retry_failed`)."""
    if mode == "none":
        return 0
    n = 0
    for bid in batch_ids:
        for rid in ledger.record_ids(batch=bid, state="failed"):
            rec = ledger.record(rid)
            if mode != "all" and not rec.retryable:
                continue
            if rec.remote_id is None:
                if rec.operation == "create" and rec.step not in ("create", "check"):
                    # failed while resolving, or after an unexpected error: the create
                    # may have reached the server, so look before sending it again
                    ledger.transition(rid, "ambiguous", step="create")
                else:
                    # "create": a transient error or a rejection, nothing was created
                    ledger.transition(rid, "planned")
            elif rec.step in ("publish", "resolve-publish"):
                ledger.transition(rid, "ambiguous", step="publish")
            elif all(f.state == "uploaded" for f in ledger.record_files(rid)):
                ledger.transition(rid, "uploaded")
            else:
                ledger.transition(rid, "created")
            n += 1
    return n


async def run_batch_async(
    workspace: Any,
    client: RepositoryClient | None,
    *,
    batch: int | Sequence[int] | None = None,
    concurrency: int = 8,
    pacer: Pacer | None = None,
    breaker: CircuitBreaker | None = None,
    retry: RetryPolicy | None = None,
    progress: Any = "auto",
    retry_failed: str = "retryable",
    dry_run: bool = False,
    options: RunOptions | None = None,
    seed: int | None = None,
) -> BatchResult:
    """Publish the planned records of a workspace (async).

    Parameters
    ----------
    workspace
        A :class:`~specpub.workspace.Workspace`, a :class:`Ledger` or a ledger path.
    client
        Any :class:`~specpub.repository.protocol.RepositoryClient` (wire
        ``on_response=pacer.on_response`` when creating it so that the pacer
        sees every rate-limit header). Not needed for ``dry_run``.
    batch
        One batch id, several, or ``None`` for every batch with work left.
    concurrency
        Records in flight at once.
    pacer
        The shared rate limiter (default: the documented limits of the
        batch's target, see :meth:`Pacer.for_target`).
    breaker, retry
        Circuit breaker and retry policy (defaults as documented in
        :mod:`specpub.batch.retry`).
    progress
        ``"auto"``, ``"text"``, ``None`` or a tqdm-like object.
    retry_failed
        ``"retryable"`` (default), ``"all"`` or ``"none"``.
    dry_run
        Write every payload and request plan to ``reports/dry-run/`` and send nothing.
    options
        Further :class:`RunOptions` (``concurrency`` here wins).
    seed
        Seed of the backoff jitter.

    Returns
    -------
    BatchResult
        Counts, requests, retries, pauses; ``stopped`` is set when the run
        stopped early (authentication refused).

    Examples
    --------
    >>> import asyncio, tempfile
    >>> from specpub.workspace import Workspace
    >>> ws = Workspace.create(tempfile.mkdtemp())
    >>> asyncio.run(run_batch_async(ws, None, dry_run=True)).total
    0
    """
    opts = options or RunOptions()
    opts = RunOptions(
        concurrency=concurrency,
        retry_failed=retry_failed,
        search_chunk=opts.search_chunk,
        search_linger=opts.search_linger,
        check_files=opts.check_files,
    )
    if concurrency < 1:
        raise InputError("concurrency must be at least 1", field="concurrency", fix="use e.g. 8")
    if retry_failed not in ("retryable", "all", "none"):
        raise InputError(
            f"retry_failed={retry_failed!r} is not one of retryable, all, none",
            field="retry_failed",
        )
    owned = not isinstance(workspace, Ledger)
    if isinstance(workspace, Ledger):
        ledger = workspace
    elif hasattr(workspace, "ledger_path"):
        ledger = Ledger.open(workspace.ledger_path)
    else:
        ledger = Ledger.open(Path(workspace))
    try:
        if batch is None:
            batch_ids = ledger.batch_ids()
        elif isinstance(batch, int):
            batch_ids = [batch]
        else:
            batch_ids = [int(b) for b in batch]
        for bid in batch_ids:
            ledger.batch(bid)  # raises a clear error for unknown ids
        if dry_run:
            from specpub.batch._dryrun import write_dry_run

            path = write_dry_run(ledger, batch_ids, workspace if owned else None)
            total = sum(len(ledger.record_ids(batch=b)) for b in batch_ids)
            return BatchResult(
                batch_ids=batch_ids, total=total, message=f"dry run written to {path}"
            )
        if client is None:
            raise InputError("a repository client is needed to publish", fix="pass client=")
        with RunLock(ledger.path):
            return await _run(
                ledger, client, batch_ids, opts, pacer, breaker, retry, progress, seed
            )
    finally:
        if owned:
            ledger.close()


async def _run(
    ledger: Ledger,
    client: RepositoryClient,
    batch_ids: list[int],
    opts: RunOptions,
    pacer: Pacer | None,
    breaker: CircuitBreaker | None,
    retry: RetryPolicy | None,
    progress: Any,
    seed: int | None,
) -> BatchResult:
    start = time.monotonic()
    targets = sorted({ledger.batch(bid).target for bid in batch_ids})
    if len(targets) > 1:
        # one client speaks to one repository: records planned for another target
        # would be published there and then count as published for their own
        raise InputError(
            f"batches {', '.join(map(str, batch_ids))} were planned for different targets "
            f"({', '.join(targets)}); a run publishes to one",
            fix="pass batch= with the batches of the client's target",
        )
    for bid in batch_ids:
        info = ledger.batch(bid)
        if info.api != client.api:
            raise InputError(
                f"batch {bid} was planned for the {info.api} api, but the client speaks "
                f"{client.api}",
                fix=f"open the client with api={info.api!r}",
            )
    if pacer is None:
        target = ledger.batch(batch_ids[0]).target if batch_ids else "embedded"
        pacer = Pacer.for_target(target)
    _revive(ledger, batch_ids, opts.retry_failed)
    todo: list[int] = []
    total = published = failed = 0
    for bid in batch_ids:
        counts = ledger.counts(batch=bid)
        total += sum(counts.values())
        published += counts.get("published", 0)
        failed += counts.get("failed", 0)
        # records caught mid-request are reconciled first, then work already
        # started (closest to published first), then new records
        for states in (
            ("creating", "publishing", "ambiguous"),
            ("uploaded",),
            ("created", "uploading"),
            ("planned",),
        ):
            todo += ledger.record_ids(batch=bid, state=states)
    done = published + failed
    description = f"publish ({done} of {total} done before)" if done else "publish"
    bar = make_progress(progress, total=len(todo), description=description, unit="rec")
    run = _Run(
        ledger,
        client,
        batch_ids=batch_ids,
        opts=opts,
        pacer=pacer,
        breaker=breaker or CircuitBreaker(),
        policy=retry or RetryPolicy(),
        progress=bar,
        rng=random.Random(seed),
    )
    run.result.total = total
    run.result.published = published
    run.result.failed = failed
    queue: asyncio.Queue[int] = asyncio.Queue()
    for rid in todo:
        queue.put_nowait(rid)

    async def worker() -> None:
        while not run.stop:
            try:
                rid = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                await run.drive(rid)
            except _StopBatch:
                return
            except Exception as err:  # a bug or an unexpected error: fail this record only
                run.unexpected(rid, err)

    workers = [asyncio.create_task(worker()) for _ in range(min(opts.concurrency, len(todo)) or 1)]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in (*workers, *run.background):
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*workers, *run.background, return_exceptions=True)
        bar.close()
    result = run.result
    result.published_now = max(0, result.published - published)
    result.elapsed = time.monotonic() - start
    result.counts = {}
    for bid in batch_ids:
        for state, n in ledger.counts(batch=bid).items():
            result.counts[state] = result.counts.get(state, 0) + n
    result.published = result.counts.get("published", 0)
    result.failed = result.counts.get("failed", 0)
    if run.stop:
        result.stopped = "authentication"
        result.message = run.stop
    return result


def run_batch(workspace: Any, client: RepositoryClient | None, **kwargs: Any) -> BatchResult:
    """Synchronous :func:`run_batch_async`, for scripts, the CLI and notebooks.

    In a notebook (an event loop is already running) the run happens in a
    helper thread with its own loop (:func:`specpub._sync.run_sync`). Note
    that an async client is bound to the loop it first runs on: create it
    inside the same kind of call (or use :func:`specpub.publish`, which does).

    Examples
    --------
    >>> import tempfile
    >>> from specpub.workspace import Workspace
    >>> ws = Workspace.create(tempfile.mkdtemp())
    >>> run_batch(ws, None, dry_run=True).total
    0
    """
    from specpub._sync import run_sync

    return run_sync(lambda: run_batch_async(workspace, client, **kwargs), name="specpub-run-batch")
