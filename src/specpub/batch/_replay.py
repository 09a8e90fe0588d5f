"""Replay a rehearsal's measured request streams through the pacer's moving windows.

Why a replay and not only a formula: at a time-compressed scale the rate
limit is not the only thing that sets the pace. Each of the runner's workers
spends time that the limits do not see (its own bookkeeping between requests,
the answers' latency, retry back-offs, marker searches that wait out the
index lag after a lost answer); the pacer counts a short window from each
request's *answer*, so a window re-opens a request's latency after it; and a
slot that no worker is ready to take is lost for good, because the next
window is counted from the late request. A closed formula gets the first
two right (:func:`specpub.batch.rehearsal.forecast`) but not the third, which
depends on how the workers' waits fall together.

So the rehearsal records, per asyncio task of the runner (a
:class:`TracingPacer` sees every request), what each request cost: the
seconds its task spent *before* asking the pacer (``gap``), how long it took
from grant to answer (``duration``), and whether it counts against the search
limits. :func:`replay` then plays ``concurrency`` workers, each drawing whole
measured worker streams at random, through the same moving windows the pacer
keeps (short windows from the answer times, long ones from the grant times,
stretched by the same margin and slack, first come first served), until the
batch's requests are spent. The runner's background requests (inventory
listings, breaker probes) are replayed as one extra stream at their measured
pace; the preflight and the settling at the end are added as measured.

Examples
--------
>>> from specpub.limits import RateLimit
>>> trace = Trace(workers=((Step(0.0, 0.0),) * 3,), records=1)
>>> replay(trace, 7, [RateLimit(3, 1.0)], concurrency=1, margin=0, slack=0)  # 21 requests
6.0
"""

from __future__ import annotations

import asyncio
import heapq
import math
import random
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from specpub.batch.pacing import EXACT_UP_TO, Pacer, Ticket
from specpub.limits import RateLimit

__all__ = ["Step", "Trace", "TracingPacer", "replay"]


class Step(NamedTuple):
    """One request of a stream: the worker's seconds before it, its duration, its kind.

    Examples
    --------
    >>> Step(0.002, 0.02).search
    False
    """

    gap: float
    duration: float
    search: bool = False


@dataclass(frozen=True)
class Trace:
    """What a rehearsal's requests cost, per task of the runner.

    Attributes
    ----------
    workers
        One stream of :class:`Step` per worker task, in the order sent.
    background
        The requests of the runner's other tasks (inventory listings, probes),
        merged in the order sent; a step's ``gap`` is the time since the
        previous background request was answered (the first: since the start).
    records
        Records the streams published (the sample).
    startup, tail
        Seconds before the first worker request (preflight) and after the
        last worker request was answered (settling).

    Examples
    --------
    >>> Trace(workers=((Step(0.0, 0.01),) * 3,), records=1).requests_per_record
    3.0
    """

    workers: tuple[tuple[Step, ...], ...]
    records: int
    background: tuple[Step, ...] = ()
    startup: float = 0.0
    tail: float = 0.0

    @property
    def requests_per_record(self) -> float:
        """Worker requests per record (background requests left out)."""
        return sum(len(s) for s in self.workers) / self.records if self.records else 0.0

    @property
    def background_per_record(self) -> float:
        """Background requests per record."""
        return len(self.background) / self.records if self.records else 0.0


@dataclass
class _Sent:
    task: int
    asked: float
    endpoint: str
    ticket: Ticket


class TracingPacer(Pacer):
    """A :class:`~specpub.batch.pacing.Pacer` that remembers every request it let go.

    Call :meth:`trace` after the run to get the measured :class:`Trace`.

    Examples
    --------
    >>> TracingPacer("10/second").sent
    []
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: list[_Sent] = []

    async def acquire(self, endpoint: str = "api", *, track: bool = False) -> Ticket:
        """As :meth:`Pacer.acquire`, noting the task, when it asked and the ticket."""
        asked = self._clock()
        ticket = await super().acquire(endpoint, track=track)
        task = asyncio.current_task()
        self.sent.append(_Sent(id(task), asked, endpoint, ticket))
        return ticket

    def trace(
        self, *, main_task: int, start: float, end: float, records: int, workers: int
    ) -> Trace:
        """The measured :class:`Trace` of a run of ``records`` records by ``workers`` workers.

        ``main_task`` ran the preflight and the settling (timed as ``startup``
        and ``tail``, not replayed); ``start`` and ``end`` bound the run
        (this pacer's clock). The ``workers`` tasks that sent the most
        requests are the workers (each drives a share of the records); the
        others are the runner's background tasks (an inventory listing, a
        probe: a few requests each).
        """
        by_task: dict[int, list[_Sent]] = {}
        for s in self.sent:
            if s.ticket.end is None:  # never answered (the run was stopped): not a cost
                continue
            by_task.setdefault(s.task, []).append(s)
        by_task.pop(main_task, None)
        ranked = sorted(by_task.values(), key=len, reverse=True)
        drivers = sorted(ranked[:workers], key=lambda sent: sent[0].asked)
        others = ranked[workers:]
        first = min((w[0].asked for w in drivers), default=end)
        last = max((s.ticket.end or s.ticket.grant for w in drivers for s in w), default=first)
        background = sorted((s for o in others for s in o), key=lambda s: s.ticket.grant)
        return Trace(
            workers=tuple(_stream(w, first) for w in drivers),
            records=records,
            background=_stream(background, first),
            startup=max(0.0, first - start),
            tail=max(0.0, end - last),
        )


def _stream(sent: Sequence[_Sent], start: float) -> tuple[Step, ...]:
    steps = []
    free = start
    for s in sent:
        t = s.ticket
        end = t.end if t.end is not None else t.grant
        gap, duration = max(0.0, s.asked - free), max(0.0, end - t.grant)
        steps.append(Step(gap, duration, s.endpoint == "search"))
        free = max(free, end)
    return tuple(steps)


class _Window:
    """One moving-window limit as the pacer keeps it (see ``Pacer.delay``)."""

    def __init__(self, limit: RateLimit, margin: float, slack: float) -> None:
        self.count = limit.count
        self.seconds = limit.seconds * (1.0 + margin) + slack
        self.exact = limit.count <= EXACT_UP_TO
        self._ends: list[float] = []  # exact: min-heap of the count latest answer times
        self._grants: deque[float] = deque(maxlen=limit.count)

    def earliest(self) -> float:
        if self.exact:
            return self._ends[0] + self.seconds if len(self._ends) >= self.count else -math.inf
        return self._grants[0] + self.seconds if len(self._grants) >= self.count else -math.inf

    def add(self, grant: float, end: float) -> None:
        if not self.exact:
            self._grants.append(grant)
        elif len(self._ends) < self.count:
            heapq.heappush(self._ends, end)
        elif end > self._ends[0]:
            heapq.heapreplace(self._ends, end)


def _draw(streams: Sequence[Sequence[Step]], rng: random.Random) -> Iterator[Step]:
    while True:
        yield from streams[rng.randrange(len(streams))]


def replay(
    trace: Trace,
    n_records: int,
    limits: Sequence[RateLimit],
    search_limits: Sequence[RateLimit] = (),
    *,
    concurrency: int,
    margin: float,
    slack: float,
    seed: int = 0,
) -> float:
    """Seconds from the first worker request to the last answer, for ``n_records``.

    ``concurrency`` workers each draw whole measured worker streams at random
    (with replacement) and send their steps through the moving windows, first
    come first served, until ``n_records * trace.requests_per_record``
    requests are sent; the background stream is repeated at its measured pace
    alongside. The start-up and tail of the trace are not included.

    Examples
    --------
    >>> trace = Trace(workers=((Step(0.0, 0.1),) * 3,), records=1)
    >>> replay(trace, 4, [], concurrency=2, margin=0, slack=0)  # 12 requests, 2 at a time
    0.6
    """
    streams = [s for s in trace.workers if s]
    total = math.ceil(n_records * trace.requests_per_record - 1e-9)
    if total <= 0 or not streams:
        return 0.0
    rng = random.Random(seed)
    api = [_Window(lim, margin, slack) for lim in limits]
    search = api + [_Window(lim, margin, slack) for lim in search_limits]
    sources: list[Iterator[Step]] = [_draw(streams, rng) for _ in range(max(1, concurrency))]
    if trace.background:
        copies = math.ceil(n_records / trace.records) if trace.records else 1
        sources.append(iter(list(trace.background) * copies))
    background = len(sources) - 1 if trace.background else -1
    current: list[Step | None] = []
    ready: list[tuple[float, int]] = []
    for i, source in enumerate(sources):
        step = next(source, None)
        current.append(step)
        if step is not None:
            heapq.heappush(ready, (step.gap, i))
    sent = last_grant = finish = 0.0
    while ready and sent < total:
        at, i = heapq.heappop(ready)
        step = current[i]
        assert step is not None
        windows = search if step.search else api
        grant = max(at, last_grant, *(w.earliest() for w in windows))
        end = grant + step.duration
        for w in windows:
            w.add(grant, end)
        last_grant = grant
        if i != background:
            sent += 1
            finish = max(finish, end)
        nxt = next(sources[i], None)
        current[i] = nxt
        if nxt is not None:
            heapq.heappush(ready, (end + nxt.gap, i))
    return round(finish, 6)
