"""The index check: no new draft is published before the search index has caught up with it.

Preflight lists the server once, before the first create; but a listing is a
search and has the index's lag. Records that another workspace (or a lost
ledger's run, or a run going on right now) created or published within that
lag are not in it, and a run that trusts it publishes them all a second time
(issue 7, failure 2: 16 more DOIs for 16 specimens, exit 0).

So a record created by this run (``operation == "create"``) waits here after its
files are uploaded, before its publish. One marker search per chunk of up to
``search_chunk`` waiting records (:meth:`RepositoryClient.find_by_markers`)
returns every record the user holds with those markers. A marker's result is
*fresh enough* once it shows the record's own draft: the index then holds every
write made before that draft was created, so any record another run made
earlier with the same marker is in the same result. Then, per record:

* nobody else holds the marker: publish (the common case);
* the server holds it **published** (another workspace, a lost ledger): adopt
  that record and its DOI (the named move ``adopt``) and delete our draft;
* the server holds an **older draft**: the oldest draft wins, in every
  workspace that looks (each sees the same order), so ours is the duplicate:
  adopt the older draft (its files are checked and its metadata sent before
  it is published) and delete ours.

A record whose draft the index does not show yet is polled again after 0.5 s,
1 s, then every 2 s (:func:`backoff`). The lag is learnt: a draft not seen
``a`` seconds after its create proves the lag exceeds ``a``, and later drafts
are first searched for only a quarter more than that after their create
(:func:`first_poll`), so that a steady run needs about one search per chunk.
Records wait parked, not holding a worker, so creates and uploads go on
meanwhile. A chunk is searched when ``search_chunk`` records are
due, or when nothing else is in flight (so that, with an index that keeps up,
a run makes exactly ``ceil(n / search_chunk)`` searches; the dry run plans
them). A record the index has not shown ``index_timeout`` seconds after its
first poll (outage pauses not counted) is not published: it fails (retryable)
with the command that resolves it, and the run exits 3. Nothing is ever
published blindly.

Examples
--------
>>> backoff(1), backoff(3), backoff(10)
(0.5, 2.0, 2.0)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from specpub.batch._adoption import as_server_record
from specpub.batch.ledger import LedgerRecord
from specpub.errors import RepositoryError, classify
from specpub.repository.protocol import Marker, RemoteRecord

__all__ = ["IndexCheck", "backoff", "planned_checks"]

#: Seconds a due record may wait for its chunk to fill while other records are in flight.
LINGER = 30.0


def backoff(polls: int, lag_floor: float = 0.0) -> float:
    """Seconds before the next poll of a record the index has not shown after ``polls`` polls.

    Doubles from 0.5 s up to 2 s, so that a draft is published at most 2 s after
    the index shows it; when the lag is known to be long (``lag_floor``), up
    to a quarter of it (at most 8 s), so that a slow index is not searched
    needlessly often.

    Examples
    --------
    >>> [backoff(n) for n in range(1, 6)]
    [0.5, 1.0, 2.0, 2.0, 2.0]
    >>> backoff(9, lag_floor=60.0)
    8.0
    """
    cap = max(2.0, min(8.0, lag_floor / 4))
    return min(cap, 0.5 * 2 ** max(0, polls - 1))


def first_poll(created: float, lag_floor: float) -> float:
    """When to search first for a draft created at ``created``, the lag being over ``lag_floor``.

    A quarter more than the longest lag seen so far (plus 0.1 s), so that in a
    steady run each chunk takes one search.

    Examples
    --------
    >>> first_poll(100.0, 0.0), first_poll(100.0, 8.0)
    (100.0, 110.1)
    """
    return created if lag_floor <= 0 else created + 1.25 * lag_floor + 0.1


def planned_checks(
    markers: Sequence[Marker], chunk: int, queries: Callable[[list[str]], int]
) -> int:
    """Searches an index check makes for ``markers`` when the index keeps up.

    ``queries(catalog_numbers)`` says how many queries one chunk needs (a
    client splits a long OR query, see :func:`specpub.repository._query.marker_queries`).

    Examples
    --------
    >>> planned_checks([Marker(str(i)) for i in range(120)], 50, lambda c: 1)
    3
    """
    step = max(1, chunk)
    items = list(markers)
    return sum(
        queries([m.catalog_number for m in items[i : i + step]]) for i in range(0, len(items), step)
    )


def _age(r: Any) -> tuple[str, int, str]:
    s = as_server_record(r)
    rid = s.remote_id
    return (s.created or "", int(rid) if rid.isdigit() else 0, rid)


@dataclass
class _Waiting:
    record_id: int
    marker: Marker
    remote_id: str
    created_at: float | None
    due: float
    since: float
    first_poll: float | None = None
    polls: int = 0
    #: the run's outage pauses (seconds) before the first poll
    outage_before: float = 0.0

    def waited(self, now: float, paused_outage: float) -> float:
        """Seconds since the first poll, outage pauses left out (0 before it)."""
        if self.first_poll is None:
            return 0.0
        return now - self.first_poll - max(0.0, paused_outage - self.outage_before)

    def again(self, now: float, lag_floor: float) -> None:
        """Count a poll that did not settle the record and set when to search again."""
        self.polls += 1
        self.due = now + backoff(self.polls, lag_floor)


class IndexCheck:
    """Parks records before their publish until a marker search proves them unique.

    Owned by one run (``run``: the runner's ``_Run``, for its requests, ledger,
    adoption and clock). Workers :meth:`park` records; :meth:`serve` runs as a
    task, searches chunks and hands records back with ``release(record_id)``
    (to be driven on: published, or adopted) or ``finish(record_id)`` (given up).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> run = NS(opts=NS(index_check=True))
    >>> check = IndexCheck(run)
    >>> rec = NS(operation="create", record_id=1, remote_id="7")
    >>> check.needs(rec)
    True
    >>> check.cleared[1] = "7"
    >>> check.needs(rec)
    False
    """

    def __init__(self, run: Any) -> None:
        self.run = run
        self.waiting: dict[int, _Waiting] = {}
        #: record id -> remote id proven unique in this run (publish it)
        self.cleared: dict[int, str] = {}
        #: record id -> run clock when this run's create of it was answered
        self.created_at: dict[int, float] = {}
        #: the index lag is known to exceed this (seconds)
        self.lag_floor = 0.0
        self.wake = asyncio.Event()
        self.searches = 0
        #: searches sent, answered or not (each one its own key for the circuit breaker)
        self.attempts = 0
        self.searches_behind = 0
        self.adopted = 0
        self.adopted_published = 0
        self.deleted = 0
        self.timed_out: list[int] = []
        self.broken: str | None = None

    # -- the workers' side ----------------------------------------------------------
    def needs(self, rec: LedgerRecord) -> bool:
        """Whether ``rec`` must wait for the check before its publish."""
        if not getattr(self.run.opts, "index_check", True) or rec.operation != "create":
            return False
        return self.cleared.get(rec.record_id) != str(rec.remote_id)

    def created(self, record_id: int, when: float) -> None:
        """Note that this run's create of ``record_id`` was answered at ``when``."""
        self.created_at[record_id] = when
        self.cleared.pop(record_id, None)

    def park(self, rec: LedgerRecord) -> None:
        """Hold ``rec`` (state ``uploaded``) until the index shows its draft."""
        now = self.run.clock()
        created = self.created_at.get(rec.record_id)
        due = now if created is None else max(now, first_poll(created, self.lag_floor))
        self.waiting[rec.record_id] = _Waiting(
            rec.record_id, rec.marker, str(rec.remote_id), created, due, now
        )
        self.wake.set()

    # -- the check's own task --------------------------------------------------------
    async def serve(
        self,
        idle: Callable[[], bool],
        release: Callable[[int], None],
        finish: Callable[[int], None],
    ) -> None:
        """Search chunks of parked records until cancelled (the run ends it)."""
        run = self.run
        while True:
            try:
                await self._step(idle, release, finish)
            except Exception as err:  # a bug: publish nothing unchecked, end the waits
                self.broken = f"{type(err).__name__}: {err}"
                run.note(None, "index_check", error=self.broken)

    async def _step(
        self,
        idle: Callable[[], bool],
        release: Callable[[int], None],
        finish: Callable[[int], None],
    ) -> None:
        run = self.run
        chunk = max(1, run.opts.search_chunk)
        self.wake.clear()
        if run.stop or self.broken:
            for rid in list(self.waiting):
                del self.waiting[rid]
                finish(rid)  # stays 'uploaded': the next run checks it again
            await self.wake.wait()
            return
        now = run.clock()
        for w in list(self.waiting.values()):
            if w.waited(now, run.result.paused_outage) >= run.opts.index_timeout:
                del self.waiting[w.record_id]
                self._give_up(w)
                finish(w.record_id)
        due = sorted((w for w in self.waiting.values() if w.due <= now), key=lambda w: w.due)
        quiet = idle()
        lingered = bool(due) and now - min(w.since for w in due) >= LINGER
        if due and (len(due) >= chunk or quiet or lingered):
            await self._search(due[:chunk], release)
            return
        pending = [w.due for w in self.waiting.values() if w.due > now]
        if quiet and pending:
            await run.sleep(min(pending) - now)
        elif pending:
            await self._nap(min(pending) - now)
        else:
            await self.wake.wait()

    async def _nap(self, seconds: float) -> None:
        """Wait ``seconds`` or until a worker parks or finishes a record."""
        waker = asyncio.ensure_future(self.wake.wait())
        sleeper = asyncio.ensure_future(self.run.sleep(max(0.0, seconds)))
        try:
            await asyncio.wait({waker, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (waker, sleeper):
                task.cancel()

    async def _search(self, batch: list[_Waiting], release: Callable[[int], None]) -> None:
        run = self.run
        now = run.clock()
        for w in batch:
            if w.first_poll is None:
                w.first_poll, w.outage_before = now, run.result.paused_outage
        markers = list(dict.fromkeys(w.marker for w in batch))
        self.attempts += 1
        try:
            hits = await run.request(
                None, "index_check", lambda: run.client.find_by_markers(markers),
                endpoint="search", detail={"markers": len(markers), "purpose": "index_check"},
                outage_key=("index_check", self.attempts),
            )  # fmt: skip
        except RepositoryError as err:
            if classify(err).stop:
                run.stop, run.stop_reason = run._token_refused(err), "authentication"
                return
            for w in batch:
                w.again(now, self.lag_floor)
            return
        except Exception as err:  # the run's stop (_StopBatch) or a bug: leave them parked
            if not run.stop:
                run.note(None, "index_check", error=f"{type(err).__name__}: {err}")
                for w in batch:
                    w.again(now, self.lag_floor)
            return
        self.searches += 1
        now = run.clock()
        behind = False
        for w in batch:
            found: list[RemoteRecord] = list(hits.get(w.marker, []))
            if not any(r.id == w.remote_id for r in found):
                behind = True
                if w.created_at is not None:
                    self.lag_floor = min(
                        run.opts.index_timeout, max(self.lag_floor, now - w.created_at)
                    )
                w.again(now, self.lag_floor)
                continue
            if await self._decide(w, found):
                del self.waiting[w.record_id]
                release(w.record_id)
            else:
                w.again(now, self.lag_floor)
        self.searches_behind += behind
        run.note(
            None, "index_check", markers=len(markers), behind=behind,
            lag_floor=round(self.lag_floor, 3),
        )  # fmt: skip

    async def _decide(self, w: _Waiting, found: list[RemoteRecord]) -> bool:
        """The index shows our draft: publish it, or adopt what was there first."""
        run = self.run
        rec = run.ledger.record(w.record_id)
        if rec.state != "uploaded" or str(rec.remote_id) != w.remote_id:
            return True  # moved on meanwhile: the worker sees its state
        known = run._known_ids(rec)
        own = next(r for r in found if r.id == w.remote_id)
        others = [
            r
            for r in found
            if r.id != w.remote_id
            and r.id not in known
            and (r.concept_id is None or r.concept_id not in known)
        ]
        published = [r for r in (own, *others) if r.is_published]
        older = [r for r in others if not r.is_published and _age(r) < _age(own)]
        if not published and not older:
            self.cleared[w.record_id] = w.remote_id
            return True
        candidates: Sequence[RemoteRecord] = published or [min(older, key=_age)]
        adopted = await run._adopt(
            rec, candidates, source="index_check", confirmed={r.id for r in found}
        )
        if not adopted:
            return False  # the chosen record is gone: look again
        after = run.ledger.record(w.record_id)
        self.adopted += 1
        self.adopted_published += after.state == "published"
        if after.state != "published":
            self.cleared[w.record_id] = str(after.remote_id)
        # ours is the duplicate (noted before it is deleted: a crash leaves it to settle)
        ours_extra = str(after.remote_id) != w.remote_id
        if ours_extra and await run.delete_duplicates(rec, [w.remote_id], of=str(after.remote_id)):
            self.deleted += 1
        return True

    def _give_up(self, w: _Waiting) -> None:
        run = self.run
        self.timed_out.append(w.record_id)
        run.fail(
            w.record_id,
            "index_check",
            f"the repository's search did not show this record's draft {w.remote_id} within "
            f"{run.opts.index_timeout:g} s, so nothing proves that no other workspace or run "
            "published the same specimen meanwhile; it was not published. Fix: once the "
            f"search shows recent records, run `{run.publish_command}` again (it checks "
            "before publishing)",
            retryable=True,
        )
