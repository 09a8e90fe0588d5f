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
→ publish. Every attempt's event row says how many HTTP requests it made.

A run has three phases:

1. **Preflight** (before the first create): one listing of the user's records
   on the server (:mod:`specpub.batch.inventory`, cached in the workspace and
   refreshed incrementally). It proves that the repository answers and
   accepts the token (else the run stops at once, exit 1, with the cause),
   and every planned record whose marker is already on the server is
   *adopted*, not created again: published → the ledger takes its DOI; a
   draft → resumed. A second workspace over the same table, or a lost
   ledger, publishes nothing twice.
2. **Records**, by ``concurrency`` workers.
3. **Settling**: when a create whose answer was lost could not be found
   before the record was created again, that first create may have left a
   draft the search index did not show yet. The run searches the record's
   marker until the index shows the record's own published version (the
   index then holds every earlier write, the lost create included), and
   deletes the drafts no ledger row points at. A draft it cannot account for
   leaves the run *unresolved* (exit 3), named with the command that resolves
   it. A run that ends well leaves no draft of its own on the server.

Guarantees
----------
* **Write-ahead**: the intent is committed to the ledger before each request
  and the outcome right after it, so a ``kill -9`` at any instant can be
  resumed by running again. Records found in ``creating``/``publishing`` (the
  process died *during* the request) become ``ambiguous`` and are resolved
  with the server first: a marker search (tolerating index lag, batched up to
  ``search_chunk`` markers per OR query) for a create, then a refreshed
  inventory; a GET for a publish. Found records are adopted (the policy of
  :mod:`specpub.batch._adoption`) and extra drafts deleted; nothing
  non-idempotent is ever repeated blindly.
* **Files**: before anything is sent for a record, each file must still
  exist with the planned size and mtime (else the record fails, and its
  message names ``specpub replan``, which plans the new checksums); the
  client checks the MD5 while streaming and the server's checksum after; a
  mismatch re-uploads (bounded). Before publish, the server's file list must
  hold exactly the planned keys with the planned MD5s.
* **Errors** are handled by their class (:func:`specpub.errors.classify`):
  transient ones back off with full jitter up to ``max_attempts`` per step
  (then ``failed``, retryable, retried by the next run); rejections fail the
  record with the server's field messages; a refused token stops the whole
  run at once; outage symptoms (5xx, 404, connection errors) in bursts open
  the circuit breaker, which pauses every worker and probes until the
  repository answers again (no attempts are charged meanwhile). The outage
  is shown while it lasts; after ``max_outage`` (default 4 hours) the run
  stops with the cause (exit 1). A 404 on a record's own draft is checked
  with a GET: gone → planned again; published by someone else → adopted.

Exit codes (``BatchResult.exit_code``, the CLI's): 0 every record published
and nothing unresolved; 3 records failed, pending or unresolved; 1 the run
stopped (token refused, repository unreachable at start, outage longer than
``max_outage``).

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
import itertools
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from specpub._display import FrameResult
from specpub.batch._adoption import Choice, as_server_record, choose
from specpub.batch._gate import IndexCheck, planned_checks
from specpub.batch._lock import RunLock
from specpub.batch._lookup import MarkerLookup
from specpub.batch.inventory import Inventory, ServerRecord
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
    classify,
)
from specpub.progress import make_progress
from specpub.repository._http import count_requests
from specpub.repository.protocol import (
    RemoteFile,
    RemoteRecord,
    RepositoryClient,
    last_answer,
)

__all__ = ["DEFAULT_MAX_OUTAGE", "BatchResult", "RunOptions", "run_batch", "run_batch_async"]

#: Default of :attr:`RunOptions.max_outage`: a repository unreachable this long stops a run.
DEFAULT_MAX_OUTAGE = 4 * 3600.0


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
    preflight
        List the server before the first create and adopt what it already
        holds (see the module docstring). Turn off only for a repository you
        know holds none of these records.
    max_outage
        Seconds the repository may stay unreachable during a run before the
        run stops (exit 1); default 4 hours (``DEFAULT_MAX_OUTAGE``); ``0``
        or ``None``: wait for ever.
    settle_timeout
        Seconds the end of a run waits for the search index to catch up with
        the run's own writes when a lost create may have left a draft.
    index_check
        Before publishing a draft it created, wait until a marker search shows
        that draft, and adopt what another workspace or run holds with the
        same marker (see :mod:`specpub.batch._gate`). Turn off only for a
        repository no one else publishes these records to.
    index_timeout
        Seconds a draft may stay unseen by the search index (from the first
        search for it) before the run gives up on publishing it (the record
        fails, retryable; exit 3 with the command that resolves it).

    Examples
    --------
    >>> RunOptions(concurrency=4, retry_failed="all").retry_failed
    'all'
    >>> RunOptions().max_outage / 3600
    4.0
    """

    concurrency: int = 8
    retry_failed: str = "retryable"
    search_chunk: int = 50
    search_linger: float = 0.2
    check_files: bool = True
    preflight: bool = True
    max_outage: float | None = DEFAULT_MAX_OUTAGE
    settle_timeout: float = 120.0
    index_check: bool = True
    index_timeout: float = 300.0


@dataclass
class BatchResult(FrameResult):
    """What a run did (see :meth:`summary`).

    Examples
    --------
    >>> r = BatchResult(batch_ids=[2, 3], total=10, published=7, failed=1)
    >>> r.pending, r.ok, r.exit_code
    (2, False, 3)
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
    adopted_preflight: int = 0
    adopted_published: int = 0
    listed: int = 0
    preflight_requests: int = 0
    adopted_check: int = 0
    adopted_check_published: int = 0
    check_requests: int = 0
    check_searches_behind: int = 0
    check_timed_out: int = 0
    deleted_drafts: int = 0
    mismatches: int = 0
    elapsed: float = 0.0
    stopped: str | None = None
    message: str = ""
    unresolved: list[dict[str, Any]] = field(default_factory=list)
    fix: str = ""
    run_id: int | None = None
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
        """True when every record is published and nothing is left to resolve.

        Examples
        --------
        >>> BatchResult(total=2, published=2).ok
        True
        """
        return self.published == self.total and self.stopped is None and not self.unresolved

    @property
    def exit_code(self) -> int:
        """The command line's exit code: 0 ok, 3 failed/pending/unresolved, 1 stopped.

        Examples
        --------
        >>> BatchResult(total=1, stopped="unreachable").exit_code
        1
        >>> BatchResult(total=1, published=1, unresolved=[{"marker": "|A"}]).exit_code
        3
        """
        if self.stopped:
            return 1
        return 0 if self.ok else 3

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
        if self.adopted_preflight:
            drafts = self.adopted_preflight - self.adopted_published
            text += (
                f"\npreflight: {self.adopted_preflight} planned records were already on the "
                f"server ({self.adopted_published} published: their DOIs adopted; {drafts} "
                "drafts: resumed); none was created again"
            )
        if self.adopted_check:
            drafts = self.adopted_check - self.adopted_check_published
            text += (
                f"\nindex check: {self.adopted_check} records were already on the server "
                "although the first listing did not show them (another workspace or run "
                "created them within the search index's lag): "
                f"{self.adopted_check_published} published (their DOIs adopted), {drafts} "
                "older drafts (resumed); this run's duplicate drafts were deleted, nothing "
                "was published twice"
            )
        if self.check_timed_out:
            text += (
                f"\nNOT PUBLISHED: {self.check_timed_out} records: the repository's search "
                "did not show their new drafts in time, so nothing proves no one else "
                "published them meanwhile (see the failed records for the command to run)"
            )
        if self.unresolved:
            names = ", ".join(str(u.get("marker")) for u in self.unresolved[:10])
            more = "" if len(self.unresolved) <= 10 else f" and {len(self.unresolved) - 10} more"
            text += (
                f"\nUNRESOLVED: {len(self.unresolved)} records may have left a draft on the "
                f"server that its search index does not show yet ({names}{more})."
            )
            if self.fix:
                text += f" Fix: {self.fix}"
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
        out["exit_code"] = self.exit_code
        return out


class _StopBatch(Exception):
    """Stop every worker (token refused, repository unreachable, outage too long)."""


class _Retry(Exception):
    """The step should be tried again after a pause (already counted)."""


class _RetryFiles(_Retry):
    """The server's file list differs from the plan: upload again."""


def _clock_text(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%H:%M:%S UTC")


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def _token_env(client: Any) -> str | None:
    """The NAME of the environment variable the client's token came from, if any."""
    source = str(getattr(client, "token_source", "") or "")
    return source[4:] if source.startswith("env:") else getattr(client, "token_env", None)


def _token_where(client: Any) -> str:
    from specpub.repository._token import describe_token_env

    env = _token_env(client)
    if env:
        return describe_token_env(env)
    source = str(getattr(client, "token_source", "") or "")
    return f"from {source}" if source else "the token variable"


def _cause(err: BaseException) -> str:
    """A short, token-free description of why a request failed."""
    status = getattr(err, "status", None)
    text = getattr(err, "message", None) or str(err)
    text = " ".join(str(text).split())
    if len(text) > 160:
        text = text[:157] + "..."
    return f"HTTP {status}: {text}" if status else text


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
        clock: Any = time.monotonic,
        inventory: Inventory | None = None,
        fix_command: str = "",
        publish_command: str = "",
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
        self.clock = clock
        self.inventory = inventory
        self.fix_command = fix_command
        self.publish_command = publish_command or "specpub publish"
        self.result = BatchResult(batch_ids=list(batch_ids))
        #: HTTP requests sent, by event step (e.g. ``index_check``)
        self.sent_by_step: dict[str, int] = {}
        self.gate = IndexCheck(self)
        self.lookup = MarkerLookup(self)
        self.background: set[asyncio.Task[Any]] = set()
        self.remote: dict[int, RemoteRecord] = {}
        self.server_files: dict[int, dict[str, str | None]] = {}
        self.needs_check: set[int] = set()
        self.stop: str | None = None
        self.stop_reason: str | None = None
        self._probe_task: asyncio.Task[None] | None = None
        self.known_remote_id: str | None = None
        # exact HTTP counts when the client sends through specpub's HTTP layer
        self._exact_counts = hasattr(client, "_http")
        # outage display
        self.outage_since: float | None = None
        self.outage_cause: str = ""
        # records created again without proof that the lost create left nothing:
        # record id -> why; the end of the run accounts for their drafts
        self.possible_orphans: dict[int, str] = {}
        self._inventory_task: asyncio.Task[Inventory] | None = None
        self._inventory_at: float | None = None
        pacer.on_pause = self._on_pause

    # -- bookkeeping ------------------------------------------------------------------
    def _on_pause(self, reason: str, seconds: float) -> None:
        if reason == "rate_limit":
            self.result.paused_rate_limit += seconds
        self.ledger.record_pause(self.batch_ids[0] if self.batch_ids else None, reason, seconds)
        self._status()

    def _outage_text(self) -> str:
        since = "" if self.outage_since is None else f" since {_clock_text(self.outage_since)}"
        cause = f" ({self.outage_cause})" if self.outage_cause else ""
        return f"repository unreachable{since}{cause}"

    def _status(self) -> None:
        parts = []
        if self.breaker.is_open:
            parts.append(f"paused: {self._outage_text()}")
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
        outage_key: Any = None,
    ) -> Any:
        """Send one request: breaker, pacer, timing, event row, breaker feedback.

        The breaker opens on outage symptoms from enough distinct records; a
        request for no record counts under ``outage_key`` (default: its step),
        so that requests of one step that are independent of each other (the
        index check's searches) count as distinct.
        """
        if self.stop:
            raise _StopBatch(self.stop)
        if not probe:
            await self.breaker.wait_closed()
            if self.stop:
                raise _StopBatch(self.stop)
        tickets = [await self.pacer.acquire(endpoint, track=True) for _ in range(cost)]
        retry = rec.attempts if rec is not None else 0
        batch_id = rec.batch_id if rec else (self.batch_ids[0] if self.batch_ids else None)
        rid = rec.record_id if rec else None
        t0 = time.monotonic()
        with count_requests() as sent:
            try:
                out = await call()
            except RepositoryError as err:
                n = sent[0] if self._exact_counts else 1
                self.result.requests += n
                self.sent_by_step[step] = self.sent_by_step.get(step, 0) + n
                kind = classify(err)
                if isinstance(err, RateLimited):
                    self.result.rate_limited += 1
                    self.pacer.note_rate_limited(err.retry_after)
                elif kind.outage and not probe:
                    self.outage_cause = _cause(err)
                    key = rid if rid is not None else (outage_key or step)
                    if self.breaker.record_failure(key):
                        self._open_breaker()
                self.ledger.record_event(
                    batch_id, rid, step, kind.outcome, http_status=err.status,
                    duration=time.monotonic() - t0, error=str(err), retry=retry,
                    file_key=file_key, detail=detail, requests=n,
                )  # fmt: skip
                raise
            finally:
                for ticket in tickets:
                    self.pacer.release(ticket)
        n = sent[0] if self._exact_counts else 1
        self.result.requests += n
        self.sent_by_step[step] = self.sent_by_step.get(step, 0) + n
        if not probe:
            self.breaker.record_success()
        # this request's own answer (the client's rate_limit is the last of any request)
        info = last_answer() or getattr(self.client, "rate_limit", None)
        if info is not None:
            self.pacer.on_response(200, info)
        self.ledger.record_event(
            batch_id, rid, step, "ok", duration=time.monotonic() - t0, retry=retry,
            file_key=file_key, detail=detail, requests=n,
        )  # fmt: skip
        return out

    # -- circuit breaker: outages shown while they last, bounded by max_outage -----------
    def _open_breaker(self) -> None:
        self.result.breaker_opened += 1
        self.outage_since = time.time()
        self.note(None, "circuit_open", failures=self.breaker.min_failures, cause=self.outage_cause)
        self.progress.message(
            f"{self._outage_text()}; pausing every record and probing every "
            f"{self.breaker.probe_initial:g}-{self.breaker.probe_max:g} s; Ctrl-C stops, "
            "nothing is lost"
        )
        self._status()
        if self._probe_task is None or self._probe_task.done():
            self._probe_task = asyncio.create_task(self._probe_loop())
            self.background.add(self._probe_task)
            self._probe_task.add_done_callback(self.background.discard)

    async def _probe(self) -> None:
        if self.known_remote_id is not None:
            known = self.known_remote_id
            await self.request(None, "probe", lambda k=known: self.client.get(k), probe=True)
        else:
            await self.request(
                None, "probe", lambda: self.client.search("*", size=1), endpoint="search",
                probe=True,
            )  # fmt: skip

    async def _probe_loop(self) -> None:
        started = self.clock()
        interval = self.breaker.probe_initial
        limit = self.opts.max_outage or None
        while self.breaker.is_open and not self.stop:
            waited = self.clock() - started
            if limit is not None and waited >= limit:
                self._stop_outage(waited)
                break
            await self.sleep(interval if limit is None else min(interval, limit - waited))
            if limit is not None and self.clock() - started >= limit:
                continue  # the loop head stops the run
            self.breaker.probes += 1
            try:
                await self._probe()
            except AuthenticationError as err:
                self.stop, self.stop_reason = self._token_refused(err), "authentication"
                self.breaker.probe_succeeded()
                break
            except RepositoryError as err:
                # still down (a known record answering 404 is the outage itself, May 2019)
                self.outage_cause = _cause(err)
                interval = min(self.breaker.probe_max, interval * 2)
                self.progress.message(
                    f"{self._outage_text()}; next probe in {interval:g} s; Ctrl-C stops, "
                    "nothing is lost"
                )
                self._status()
                continue
            self.breaker.probe_succeeded()
        seconds = self.clock() - started
        self.result.paused_outage += seconds
        self.ledger.record_pause(
            self.batch_ids[0] if self.batch_ids else None,
            "circuit_open",
            seconds,
            detail={"probes": self.breaker.probes, "cause": self.outage_cause},
        )
        if not self.stop:
            self.progress.message(f"the repository answers again after {_duration(seconds)}")
        self.outage_since = None
        self._status()

    def _stop_outage(self, waited: float) -> None:
        since = "" if self.outage_since is None else f" since {_clock_text(self.outage_since)}"
        self.stop = (
            f"the repository has been unreachable for {_duration(waited)}{since} (last error: "
            f"{self.outage_cause or 'none recorded'}), longer than max_outage "
            f"({_duration(self.opts.max_outage or 0)}). Nothing is lost: run publish again "
            "when the repository answers"
        )
        self.stop_reason = "outage"
        self.progress.message(self.stop)
        self.breaker.probe_succeeded()  # wake the waiting workers: they see the stop

    def _token_refused(self, err: BaseException) -> str:
        return (
            f"the repository refused the token ({_cause(err)}); nothing was lost: fix the "
            f"token ({_token_where(self.client)}) and run again"
        )

    # -- the server inventory ---------------------------------------------------------
    async def list_page(self, query: str, page: int, size: int, *, probe: bool = False) -> Any:
        """One page of the user's records (``client.list_records``), paced and recorded."""
        lister = self.client.list_records  # type: ignore[attr-defined]
        return await self.request(
            None, "list", lambda: lister(query, page=page, size=size), endpoint="list",
            detail={"page": page, "query": query[:200]}, probe=probe,
        )  # fmt: skip

    @property
    def can_list(self) -> bool:
        return self.inventory is not None and hasattr(self.client, "list_records")

    async def refresh_inventory(self, *, max_age: float = 0.0, probe: bool = False) -> Inventory:
        """Refresh the inventory (incrementally); concurrent callers share one refresh."""
        assert self.inventory is not None
        task = self._inventory_task
        if task is None or task.done():
            if self._inventory_at is not None and self.clock() - self._inventory_at < max_age:
                return self.inventory

            async def go() -> Inventory:
                assert self.inventory is not None
                try:
                    return await self.inventory.refresh(
                        lambda q, p, s: self.list_page(q, p, s, probe=probe)
                    )
                finally:
                    self._inventory_at = self.clock()

            task = self._inventory_task = asyncio.create_task(go())
            self.background.add(task)
            task.add_done_callback(self.background.discard)
        return await asyncio.shield(task)

    def _known_ids(self, rec: LedgerRecord) -> set[str]:
        """Ids and concept ids that the marker's *other* ledger rows point at (versions)."""
        rows = self.ledger.query(
            "SELECT remote_id, concept_id FROM records WHERE target=? AND marker_key=? "
            "AND record_id!=?",
            [rec.target, rec.marker_key, rec.record_id],
        )
        return {str(v) for v in rows.to_numpy().ravel() if v is not None and v == v}

    async def _adopt(
        self,
        rec: LedgerRecord,
        candidates: Sequence[ServerRecord | RemoteRecord],
        *,
        source: str,
        confirmed: set[str] = frozenset(),  # type: ignore[assignment]
        delete_extras: bool = False,
    ) -> bool:
        """Adopt the record :func:`choose` picks among the server's ``candidates``.

        A published record seen by a listing of this moment (``confirmed``) is
        adopted as listed; anything else is fetched by id first (a cached
        entry may be stale, a draft needs its bucket). False if the chosen
        record is gone.
        """
        choice: Choice = choose(candidates, current=rec.remote_id, known=self._known_ids(rec))
        keep = choice.keep
        if keep is None:
            return False
        remote: RemoteRecord | None = None
        listed_enough = keep.is_published and keep.doi and keep.files is not None
        if not (listed_enough and keep.remote_id in confirmed):
            kid = keep.remote_id
            try:
                remote = await self.request(
                    rec, "get", lambda: self.client.get(kid), detail={"purpose": source}
                )
            except NotFound:
                if self.inventory is not None:
                    self.inventory.forget(kid)
                return False
        published = remote.is_published if remote is not None else keep.is_published
        reason = (
            f"the server holds {'published record' if published else 'draft'} {keep.remote_id} "
            f"with this marker ({source})"
        )
        detail = {
            "candidates": choice.ids,
            "duplicates_published": [d.remote_id for d in choice.duplicates],
        }
        if published:
            doi = (remote.doi if remote is not None else None) or keep.doi
            concept_id = remote.concept_id if remote is not None else keep.concept_id
            concept_doi = remote.concept_doi if remote is not None else keep.concept_doi
            html = remote.html_url if remote is not None else keep.html_url
            if not doi:
                return False
            files = as_server_record(remote).files if remote is not None else keep.files
            self.ledger.adopt(
                rec.record_id, "published", remote_id=keep.remote_id, concept_id=concept_id,
                doi=doi, concept_doi=concept_doi, html_url=html, source=source, reason=reason,
                files=files, detail=detail,
            )  # fmt: skip
            self.result.adopted_published += source == "preflight"
            self.known_remote_id = keep.remote_id
        else:
            assert remote is not None
            self.ledger.adopt(
                rec.record_id, "created", remote_id=remote.id, concept_id=remote.concept_id,
                bucket=remote.bucket, html_url=remote.html_url, source=source, reason=reason,
                detail=detail,
            )  # fmt: skip
            self.remote[rec.record_id] = remote
            self.server_files.pop(rec.record_id, None)
            self.needs_check.add(rec.record_id)
        self.result.adopted += 1
        if delete_extras and choice.extra_drafts:
            extras = [d.remote_id for d in choice.extra_drafts]
            await self.delete_duplicates(rec, extras, of=keep.remote_id)
        return True

    async def delete_duplicates(self, rec: LedgerRecord, ids: Sequence[str], *, of: str) -> bool:
        """Delete drafts ``ids`` that duplicate ``rec``'s record ``of``; True if all went.

        Write-ahead: the ``duplicate`` note comes first, so a crash before the
        deletions leaves the record among the possible orphans (the next run's
        settle finds the drafts by marker). ``settled`` is noted after them only
        when nothing else was open for the record: drafts of earlier lost
        creates (``recreate``) may still be behind the index, and only settle's
        search after the publish proves them found.
        """
        ids = list(ids)
        if not ids:
            return True
        open_before = rec.record_id in self.possible_orphans
        why = f"duplicate draft{'s' if len(ids) > 1 else ''} {', '.join(ids)} of record {of}"
        self.note(rec, "duplicate", why=why, duplicate=ids[0] if len(ids) == 1 else ids)
        self.possible_orphans.setdefault(rec.record_id, why)
        if await self._delete_drafts(rec, ids):
            return False
        if not open_before:
            self.possible_orphans.pop(rec.record_id, None)
            self.note(rec, "settled", deleted=ids)
        return True

    async def _delete_drafts(self, rec: LedgerRecord, ids: Sequence[str]) -> list[str]:
        """Delete the drafts ``ids``; returns those that could not be deleted (noted)."""
        failed = []
        for xid in ids:
            try:
                await self.request(
                    rec, "delete_draft", lambda x=xid: self.client.delete_draft(x),
                    detail={"id": xid},
                )  # fmt: skip
                self.result.deleted_drafts += 1
                if self.inventory is not None:
                    self.inventory.forget(xid)
            except RepositoryError as err:
                failed.append(xid)
                self.note(rec, "delete_draft_failed", id=xid, error=str(err))
                self.possible_orphans.setdefault(rec.record_id, f"deleting draft {xid} failed")
        return failed

    # -- preflight --------------------------------------------------------------------
    async def preflight(self, todo: Sequence[int]) -> None:
        """Before the first create: prove the repository answers, adopt what it holds."""
        planned = [
            rec
            for rec in (self.ledger.record(rid) for rid in todo)
            if rec.state == "planned" and rec.operation == "create"
        ]
        if not planned:
            return
        if not self.opts.preflight:
            self.note(None, "preflight", skipped=True, planned=len(planned))
            return
        attempt = 0
        while True:
            attempt += 1
            try:
                candidates = await self._preflight_listing(planned)
                break
            except AuthenticationError as err:
                self.stop, self.stop_reason = self._token_refused(err), "authentication"
                raise _StopBatch(self.stop) from err
            except RepositoryError as err:
                if attempt >= 3 or not (classify(err).retry or classify(err).outage):
                    base = getattr(self.client, "base_url", "the repository")
                    self.stop = (
                        f"cannot use the repository at {base}: {_cause(err)}. Nothing was sent. "
                        "Check the address (--to, --url), the network and the repository's "
                        "status, then run again"
                    )
                    self.stop_reason = "unreachable"
                    raise _StopBatch(self.stop) from err
                await self.sleep(0.5 * 3 ** (attempt - 1))
        fresh = self.inventory.fresh if self.inventory is not None and self.can_list else set()
        adopted = 0
        for rec in planned:
            found = candidates(rec)
            if found and await self._adopt(rec, found, source="preflight", confirmed=fresh):
                adopted += 1
        self.result.adopted_preflight = adopted
        self.note(
            None, "preflight", listed=self.result.listed, requests=self.result.preflight_requests,
            planned=len(planned), adopted=adopted, adopted_published=self.result.adopted_published,
        )  # fmt: skip
        if adopted:
            self.progress.message(
                f"preflight: {adopted} of {len(planned)} planned records are already on the "
                f"server ({self.result.adopted_published} published, "
                f"{adopted - self.result.adopted_published} drafts): adopted, not created again"
            )

    async def _preflight_listing(self, planned: Sequence[LedgerRecord]) -> Any:
        """The server's records for each planned record: from the inventory, or marker searches."""
        before = self.result.requests
        if self.can_list:
            inv = await self.refresh_inventory(probe=True)
            self.result.listed = len(inv.fresh)
            self.result.preflight_requests = self.result.requests - before
            return lambda rec: inv.find(rec.marker)
        found: dict[Any, list[RemoteRecord]] = {}
        markers = [r.marker for r in planned]
        step = max(1, self.opts.search_chunk)
        for i in range(0, len(markers), step):
            chunk = markers[i : i + step]
            hits = await self.request(
                None, "search", lambda c=chunk: self.client.find_by_markers(c),
                endpoint="search", detail={"markers": len(chunk), "purpose": "preflight"},
                probe=True,
            )  # fmt: skip
            found.update(hits)
        self.result.listed = sum(len(v) for v in found.values())
        self.result.preflight_requests = self.result.requests - before
        return lambda rec: found.get(rec.marker, [])

    # -- settling: no draft of this run's own left behind -------------------------------
    def _load_possible_orphans(self) -> None:
        """Records of these batches created again after a lost create, not settled yet."""
        for bid in self.batch_ids:
            self.possible_orphans.update(self.ledger.possible_orphans(bid))

    async def settle(self) -> None:
        """Find and delete drafts that lost creates left; name what cannot be accounted for.

        For each record created again after a lost create, a marker search is fresh
        enough once it shows the record's own *published* version: the index then
        holds every earlier write, the lost create included. Drafts carrying the
        marker that no ledger row points at are then deleted.
        """
        pending = dict(self.possible_orphans)
        if not pending:
            return
        deadline = self.clock() + max(0.0, self.opts.settle_timeout)
        wait = 1.0
        while pending:
            recs = {rid: self.ledger.record(rid) for rid in pending}
            waiting = {rid: r for rid, r in recs.items() if r.state == "published"}
            if not waiting:
                break  # failed records: nothing proves the index caught up
            markers = sorted({r.marker for r in waiting.values()})
            try:
                hits = await self.request(
                    None, "search", lambda m=markers: self.client.find_by_markers(m),
                    endpoint="search", detail={"markers": len(markers), "purpose": "settle"},
                )  # fmt: skip
            except (RepositoryError, _StopBatch) as err:
                self.note(None, "settle", error=str(err))
                break
            pointed = self._pointed_ids()
            for rid, rec in waiting.items():
                found = hits.get(rec.marker, [])
                if not any(r.id == rec.remote_id and r.is_published for r in found):
                    continue  # the index has not caught up with this record yet
                orphans = [r.id for r in found if r.state == "draft" and r.id not in pointed]
                if orphans and await self._delete_drafts(rec, orphans):
                    continue  # a deletion failed: the record stays open, searched again
                self.note(rec, "settled", deleted=orphans)
                pending.pop(rid, None)
                self.possible_orphans.pop(rid, None)
            if not pending or self.clock() >= deadline:
                break
            await self.sleep(min(wait, max(0.0, deadline - self.clock())))
            wait = min(wait * 2, 15.0)
        for rid, why in pending.items():
            rec = self.ledger.record(rid)
            self.result.unresolved.append(
                {"marker": rec.marker_key, "record_id": rid, "remote_id": rec.remote_id,
                 "why": why or "a create whose answer was lost was never found"}
            )  # fmt: skip
        if pending:
            self.result.fix = (
                "once the repository's search shows recent records (usually within minutes), "
                f"run `{self.fix_command}`: it finds such drafts by marker and deletes every "
                "draft no ledger record points at"
            )

    def _pointed_ids(self) -> set[str]:
        rows = self.ledger.query(
            "SELECT DISTINCT remote_id FROM records WHERE remote_id IS NOT NULL"
        )
        return set(rows["remote_id"].astype(str))

    # -- a draft that vanished, or was published elsewhere ------------------------------
    async def _recheck(self, rec: LedgerRecord, step: str, err: BaseException) -> bool:
        """A step on the record's draft failed as if the draft were gone: ask the server.

        GET by id: gone (404 while the repository answers normally) → planned
        again, after a marker search; published (by another run or workspace)
        → adopted. Anything else: False (the usual retry rules apply).
        """
        if rec.remote_id is None or rec.operation != "create" or self.breaker.is_open:
            return False
        if self.breaker.in_burst():
            return False
        rid = str(rec.remote_id)
        try:
            got = await self.request(
                rec, "get", lambda: self.client.get(rid), detail={"purpose": "recheck"}
            )
        except NotFound:
            if self.breaker.is_open or self.breaker.in_burst():
                return False
            self.ledger.replan(
                rec.record_id, source="runner",
                reason=f"{step} failed ({_cause(err)}); the draft is gone",
                confirmed=f"GET {rid} -> 404 while the repository answered other requests",
            )  # fmt: skip
            self.remote.pop(rec.record_id, None)
            self.server_files.pop(rec.record_id, None)
            self.needs_check.discard(rec.record_id)
            rec = self.ledger.record(rec.record_id)
            try:
                matches = await self.lookup.find(rec.marker)
            except RepositoryError:
                matches = []
            if matches:
                await self._adopt(rec, matches, source="runner")
            return True
        except RepositoryError:
            return False
        if got.is_published and got.state == "published" and got.doi:
            self.ledger.adopt(
                rec.record_id, "published", remote_id=got.id, concept_id=got.concept_id,
                doi=got.doi, concept_doi=got.concept_doi, html_url=got.html_url, source="runner",
                reason=f"{step} failed ({_cause(err)}); the server holds it published",
                files=as_server_record(got).files,
            )  # fmt: skip
            self.result.adopted += 1
            return True
        return False

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
    async def drive(self, record_id: int) -> bool:
        """Move one record as far as it can go; True when it was parked at the index check."""
        while not self.stop:
            rec = self.ledger.record(record_id)
            try:
                if rec.state == "published":
                    self.result.published += 1
                    self.result.published_now += 1
                    self.progress.update(1)
                    return False
                if rec.state == "failed":
                    return False
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
                    if self.gate.needs(rec):
                        self.gate.park(rec)
                        return True
                    await self.publish(rec)
            except _Retry:
                continue
        return False

    def _check_files(self, rec: LedgerRecord, files: Sequence[LedgerFile]) -> bool:
        if not self.opts.check_files:
            return True
        where = self.ledger.path.parent
        for f in files:
            if f.state == "uploaded":
                continue
            try:
                st = Path(f.path).stat()
            except OSError:
                self.fail(
                    rec.record_id,
                    "check",
                    f"file {f.key} ({f.path}) is missing. Fix: put it back and run publish "
                    f"again, or re-plan the record without it (`specpub plan --workspace "
                    f"{where} ...` after `specpub load`)",
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
                    f"file {f.key} ({f.path}) changed since it was planned (size or time "
                    f"differs). Fix: `specpub replan --workspace {where}` (plans the new "
                    "checksums, keeping the record's draft), then publish again",
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
            sent=True,
        )
        self.ledger.reset_files(rec.record_id)
        if rec.operation == "create":
            self.gate.created(rec.record_id, self.clock())
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
        """Route an error of ``step`` by its class (the record's intent was already undone)."""
        if isinstance(err, _StopBatch):
            raise err
        if isinstance(err, InputError):
            self.fail(rec.record_id, step, str(err), retryable=False)
            return
        if not isinstance(err, RepositoryError):
            raise err
        kind = classify(err)
        if kind.stop:
            self.stop, self.stop_reason = self._token_refused(err), "authentication"
            raise _StopBatch(self.stop) from err
        rec = self.ledger.record(rec.record_id)
        gone_like = isinstance(err, NotFound) or (
            isinstance(err, Rejected) and err.status in (403, 410)
        )
        steps_on_draft = ("upload", "update", "check", "publish-update")
        if gone_like and step in steps_on_draft and await self._recheck(rec, step, err):
            return
        if kind.retry or isinstance(err, Ambiguous):
            # transient, 404 (never proof of absence), or a lost answer of an idempotent step
            await self.transient(rec, step, err)
            return
        self.fail(
            rec.record_id,
            step,
            f"the repository rejected {step}: {err.message}",
            retryable=False,
            field_messages=err.field_messages,
        )

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
        except InputError as err:
            # a file changed while it was sent: fail with the fix that works (replan)
            if self._check_files(self.ledger.record(rid), self.ledger.record_files(rid)):
                await self.handle(self.ledger.record(rid), "upload", err)
            return
        except (RepositoryError, _StopBatch) as err:
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
            if not err.retryable or f.attempts > self.policy.max_reuploads:
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
            except (Ambiguous, Rejected, NotFound) as err:
                if classify(err).stop:
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
        remote_id = str(rec.remote_id)
        if rec.operation == "create" and rec.sent_sha256 != rec.payload_sha256:
            # an adopted draft, or a plan changed since the create: send the metadata
            payload = self.ledger.payload(rid)
            try:
                await self.request(rec, "update", lambda: self.client.update(remote_id, payload))
            except (RepositoryError, InputError, _StopBatch) as err:
                await self.handle(rec, "publish-update", err)
                return
            self.ledger.mark_sent(rid)
        self.ledger.transition(rid, "publishing", expected="uploaded", durable=True)
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
        except RepositoryError as err:
            if classify(err).stop:
                await self.handle(rec, "publish", err)
                return
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
        """Find what a create whose answer was lost did: search, then the inventory."""
        deadline = self.clock() + self.policy.resolve_timeout
        wait = 1.0
        while True:
            try:
                matches = await self.lookup.find(rec.marker)
            except RepositoryError as err:
                if classify(err).stop:
                    await self.handle(rec, "create", err)
                    return
                await self.transient(self.ledger.record(rec.record_id), "search", err)
                continue
            if matches or self.clock() >= deadline:
                break
            await self.sleep(min(wait, max(0.0, deadline - self.clock())))
            wait = min(wait * 2, 8.0)
        source = "search"
        if not matches and self.can_list:
            # not in the search within resolve_timeout: ask a refreshed inventory
            try:
                inv = await self.refresh_inventory(max_age=min(5.0, self.policy.resolve_timeout))
            except RepositoryError as err:
                if classify(err).stop:
                    await self.handle(rec, "create", err)
                    return
                await self.transient(self.ledger.record(rec.record_id), "search", err)
                return
            matches = inv.find(rec.marker)  # type: ignore[assignment]
            source = "inventory"
        if matches:
            self.note(rec, "resolve", for_step="create", found=len(matches), source=source)
            if await self._adopt(rec, matches, source="runner", delete_extras=True):
                return
        self.note(rec, "resolve", for_step="create", found="nothing")
        why = (
            f"its first create's answer was lost and neither the search nor the inventory "
            f"showed it within {self.policy.resolve_timeout:g} s"
        )
        # noted before the record is planned again: a crash between the two leaves it
        # open (the next run settles it), never planned with its first draft forgotten
        self.note(rec, "recreate", why=why)
        self.possible_orphans[rec.record_id] = why
        self.ledger.transition(rec.record_id, "planned", reset_remote=True)
        self._charge(rec, "create", "the create did not take effect")


def _with(remote: RemoteRecord, **changes: Any) -> RemoteRecord:
    return dataclasses.replace(remote, **changes)


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
    concurrency: int | None = None,
    pacer: Pacer | None = None,
    breaker: CircuitBreaker | None = None,
    retry: RetryPolicy | None = None,
    progress: Any = "auto",
    retry_failed: str | None = None,
    dry_run: bool = False,
    options: RunOptions | None = None,
    seed: int | None = None,
    clock: Any = None,
    sleep: Any = None,
) -> BatchResult:
    """Publish the planned records of a workspace (async).

    Parameters
    ----------
    workspace
        A :class:`~specpub.workspace.Workspace`, a :class:`Ledger` or a ledger path.
    client
        Any :class:`~specpub.repository.protocol.RepositoryClient` (wire
        ``on_response=pacer.on_response`` when creating it so that the pacer
        sees every rate-limit header). Not needed for ``dry_run``; given to a
        dry run, it lists the server (reads only) to report the preflight.
    batch
        One batch id, several, or ``None`` for every batch with work left.
    concurrency
        Records in flight at once (default: ``options.concurrency``, 8).
    pacer
        The shared rate limiter (default: the documented limits of the
        batch's target, see :meth:`Pacer.for_target`).
    breaker, retry
        Circuit breaker and retry policy (defaults as documented in
        :mod:`specpub.batch.retry`).
    progress
        ``"auto"``, ``"text"``, ``None`` or a tqdm-like object.
    retry_failed
        ``"retryable"``, ``"all"`` or ``"none"`` (default: ``options.retry_failed``).
    dry_run
        Write every payload and request plan to ``reports/dry-run/`` and send nothing.
    options
        Further :class:`RunOptions`; ``concurrency`` and ``retry_failed``
        given here win over the options' values.
    seed
        Seed of the backoff jitter.
    clock, sleep
        The run's time source (monotonic seconds) and its ``async`` sleep, for
        the index check's polls, back-offs and the settling phase (default
        :func:`time.monotonic` and :func:`asyncio.sleep`; tests pass a virtual
        clock shared with the embedded repository, whose index lag then
        passes without waiting).

    Returns
    -------
    BatchResult
        Counts, requests, retries, pauses; ``stopped`` is set when the run
        stopped early (``authentication``, ``unreachable``, ``outage``) and
        ``unresolved`` lists drafts a run could not account for; ``exit_code``
        is the command line's.

    Examples
    --------
    >>> import asyncio, tempfile
    >>> from specpub.workspace import Workspace
    >>> ws = Workspace.create(tempfile.mkdtemp())
    >>> asyncio.run(run_batch_async(ws, None, dry_run=True)).total
    0
    """
    base = options or RunOptions()
    opts = dataclasses.replace(
        base,
        concurrency=base.concurrency if concurrency is None else concurrency,
        retry_failed=base.retry_failed if retry_failed is None else retry_failed,
    )
    if opts.concurrency < 1:
        raise InputError("concurrency must be at least 1", field="concurrency", fix="use e.g. 8")
    if opts.retry_failed not in ("retryable", "all", "none"):
        raise InputError(
            f"retry_failed={opts.retry_failed!r} is not one of retryable, all, none",
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
            return await _dry_run(ledger, batch_ids, workspace if owned else None, client, opts)
        if client is None:
            raise InputError("a repository client is needed to publish", fix="pass client=")
        with RunLock(ledger.path):
            return await _run(
                ledger, client, batch_ids, opts, pacer, breaker, retry, progress, seed,
                clock=clock or time.monotonic, sleep=sleep or asyncio.sleep,
            )  # fmt: skip
    finally:
        if owned:
            ledger.close()


async def _dry_run(
    ledger: Ledger,
    batch_ids: list[int],
    workspace: Any,
    client: RepositoryClient | None,
    opts: RunOptions,
) -> BatchResult:
    """Write the plans; with a client, list the server to report what preflight would adopt."""
    from specpub.batch._dryrun import write_dry_run

    path = write_dry_run(ledger, batch_ids, workspace)
    total = sum(len(ledger.record_ids(batch=b)) for b in batch_ids)
    result = BatchResult(batch_ids=batch_ids, total=total)
    planned = [
        rid
        for b in batch_ids
        for rid in ledger.record_ids(batch=b, state="planned")
        if ledger.record(rid).operation == "create"
    ]
    note = ""
    adoptable: set[int] = set()
    if client is not None and planned and opts.preflight:
        run = _Run(
            ledger, client, batch_ids=batch_ids, opts=opts, pacer=Pacer(), breaker=CircuitBreaker(),
            policy=RetryPolicy(), progress=make_progress(None, total=0, description="dry run"),
            rng=random.Random(0), inventory=_inventory_for(ledger, client),
        )  # fmt: skip
        info = ledger.batch(batch_ids[0])
        try:
            with ledger.run("dry-run", batch_ids=batch_ids, target=info.target, api=info.api):
                candidates = await run._preflight_listing([ledger.record(r) for r in planned])
        except RepositoryError as err:
            raise_for = classify(err)
            result.stopped = "authentication" if raise_for.stop else "unreachable"
            result.message = (
                run._token_refused(err)
                if raise_for.stop
                else f"cannot use the repository at {getattr(client, 'base_url', '?')}: "
                f"{_cause(err)}"
            )
            return result
        found = [r for r in planned if candidates(ledger.record(r))]
        adoptable = {
            r for r in found if any(as_server_record(c).is_published
                                    for c in candidates(ledger.record(r)))
        }  # fmt: skip
        result.listed = run.result.listed
        result.preflight_requests = run.result.requests
        result.adopted_preflight = len(found)
        note = (
            f"; preflight: the repository answers and accepts the token; {len(found)} of "
            f"{len(planned)} planned records are already on it and would be adopted "
            f"({run.result.requests} listing requests)"
        )
    elif planned:
        note = "; preflight not run (no repository client): a real run lists the server first"
    if opts.index_check:
        waiting = ("planned", "creating", "created", "uploading", "uploaded", "ambiguous", "failed")
        checked = [
            ledger.record(rid).marker
            for b in batch_ids
            for rid in ledger.record_ids(batch=b, state=waiting)
            if ledger.record(rid).operation == "create" and rid not in adoptable
        ]
        result.check_requests = planned_checks(checked, opts.search_chunk, _query_count(client))
        if result.check_requests:
            note += (
                f"; before publishing, {result.check_requests} marker searches check that the "
                "search index shows the new drafts and nothing published meanwhile by another "
                "workspace (one more per search while the index lags behind)"
            )
    result.message = f"dry run written to {path}{note}"
    return result


def _query_count(client: RepositoryClient | None) -> Any:
    """How many marker queries a client needs for a chunk of catalogue numbers."""
    from specpub.repository._query import DEFAULT_MAX_QUERY_LENGTH, marker_queries

    limit = getattr(client, "max_query_length", DEFAULT_MAX_QUERY_LENGTH)
    return lambda numbers: len(marker_queries(numbers, max_length=limit))


def _inventory_for(ledger: Ledger, client: RepositoryClient) -> Inventory | None:
    base = getattr(client, "base_url", None)
    if not base or not hasattr(client, "list_records"):
        return None
    return Inventory.for_workspace(ledger.path.parent, str(base), client.api)


def _command(verb: str, ledger: Ledger, client: RepositoryClient, target: str) -> str:
    from specpub.repository._token import DEFAULT_TOKEN_ENV, shown_name

    cmd = f"specpub {verb} --workspace {ledger.path.parent} --to {target}"
    if target == "embedded" and getattr(client, "base_url", None):
        cmd += f" --url {client.base_url}"  # type: ignore[attr-defined]
    env = shown_name(_token_env(client))
    if env and env != DEFAULT_TOKEN_ENV:
        cmd += f" --token-env {env}"
    return cmd


def _fix_command(ledger: Ledger, client: RepositoryClient, target: str) -> str:
    return _command("reconcile", ledger, client, target) + " --delete-orphans --yes"


def _publish_command(ledger: Ledger, client: RepositoryClient, target: str) -> str:
    return _command("publish", ledger, client, target)


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
    *,
    clock: Any = time.monotonic,
    sleep: Any = asyncio.sleep,
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
    target = targets[0] if targets else "embedded"
    if pacer is None:
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
        inventory=_inventory_for(ledger, client),
        fix_command=_fix_command(ledger, client, target),
        publish_command=_publish_command(ledger, client, target),
        clock=clock,
        sleep=sleep,
    )
    run.result.total = total
    run.result.published = published
    run.result.failed = failed
    run._load_possible_orphans()
    if not todo and not run.possible_orphans:
        bar.close()
        run.result.counts = _counts(ledger, batch_ids)
        return run.result
    with ledger.run("publish", batch_ids=batch_ids, target=target, api=client.api) as handle:
        run.result.run_id = handle.run_id
        try:
            await _phases(run, todo)
        finally:
            for task in run.background:
                task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.gather(*run.background, return_exceptions=True)
            bar.close()
        result = run.result
        result.elapsed = time.monotonic() - start
        result.counts = _counts(ledger, batch_ids)
        result.published = result.counts.get("published", 0)
        result.failed = result.counts.get("failed", 0)
        result.published_now = max(
            0,
            result.published
            - published
            - result.adopted_published
            - result.adopted_check_published,
        )
        if run.stop:
            result.stopped = run.stop_reason or "stopped"
            result.message = run.stop
        handle.outcome = "stopped" if result.stopped else ("ok" if result.ok else "incomplete")
        handle.message = result.message or None
        handle.detail = {
            k: result.to_dict()[k]
            for k in ("total", "published", "failed", "published_now", "adopted",
                      "adopted_preflight", "adopted_check", "adopted_check_published",
                      "check_requests", "retries", "rate_limited", "paused_rate_limit",
                      "paused_outage", "elapsed", "stopped", "unresolved")
        }  # fmt: skip
    return result


async def _phases(run: _Run, todo: list[int]) -> None:
    """Preflight, the records (by ``concurrency`` workers), then settling."""
    try:
        await run.preflight(todo)
    except _StopBatch:
        return
    # records wait parked at the index check (not holding a worker) before their
    # publish; the check hands them back, ahead of records not started yet (a run
    # publishes as it goes, not every create first)
    queue: asyncio.PriorityQueue[tuple[int, int, int | None]] = asyncio.PriorityQueue()
    order = itertools.count()
    for rid in todo:
        queue.put_nowait((1, next(order), rid))
    n = min(run.opts.concurrency, len(todo)) or 1
    outstanding = len(todo)
    busy = 0

    def finish(rid: int) -> None:
        nonlocal outstanding
        outstanding -= 1
        run.gate.wake.set()
        if outstanding <= 0:
            for _ in range(n):
                queue.put_nowait((2, next(order), None))

    def release(rid: int) -> None:
        queue.put_nowait((0, next(order), rid))

    def idle() -> bool:
        return busy == 0 and queue.empty()

    async def worker() -> None:
        nonlocal busy
        while True:
            _, _, rid = await queue.get()
            if rid is None:
                return
            if run.stop:
                finish(rid)
                continue
            busy += 1
            parked = False
            try:
                parked = await run.drive(rid)
            except _StopBatch:
                pass
            except Exception as err:  # a bug or an unexpected error: fail this record only
                run.unexpected(rid, err)
            finally:
                busy -= 1
            if parked:
                run.gate.wake.set()
            else:
                finish(rid)

    workers = [asyncio.create_task(worker()) for _ in range(n)]
    gate = asyncio.create_task(run.gate.serve(idle, release, finish))
    try:
        await asyncio.gather(*workers)
    finally:
        for task in (*workers, gate):
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*workers, gate, return_exceptions=True)
        _check_counts(run)
    if not run.stop:
        await run.settle()


def _check_counts(run: _Run) -> None:
    """Copy the index check's counts into the result."""
    g, r = run.gate, run.result
    r.adopted_check, r.adopted_check_published = g.adopted, g.adopted_published
    r.check_requests = run.sent_by_step.get("index_check", 0)
    r.check_searches_behind = g.searches_behind
    r.check_timed_out = len(g.timed_out)


def _counts(ledger: Ledger, batch_ids: Sequence[int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for bid in batch_ids:
        for state, n in ledger.counts(batch=bid).items():
            out[state] = out.get(state, 0) + n
    return out


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
