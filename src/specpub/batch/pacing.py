"""One shared request scheduler that keeps a repository busy right up to its rate limits.

Zenodo counts requests in *moving windows* (Flask-Limiter): at most 100 in any
60 seconds and 5000 in any hour for an authenticated user, and 30 per minute
for search (``docs/zenodo-api.md`` §1.9). A :class:`Pacer` keeps the send
times of its own recent requests and lets a request go only when it fits in
every window, so the server's window never overflows; all workers of a batch
share one pacer, and wait in FIFO order.

Its limits come from the target (:meth:`Pacer.for_target`): documented ones
(zenodo.org), the exact ones of an embedded repository this process started,
or, for any other InvenioRDM, conservative defaults that the pacer replaces by
what the server announces (``learn=True``, see "Learning limits" below).

It also listens to the server (wire :meth:`Pacer.on_response` as the client's
``on_response`` hook): ``X-RateLimit-Remaining: 0`` pauses until
``X-RateLimit-Reset`` when the server counts requests the pacer did not send
(another client sharing the quota, or limits other than the configured
ones); a 429 pauses *everyone* until ``Retry-After`` (or the reset, or a
short default) and tightens the pacing by 5 % (up to 50 %), in
case the server's limits are stricter than the documented ones or another
client shares the quota. Every wait of the scheduler is reported through
``on_pause(reason, seconds)`` so that the runner can record pause events.

Small safety margins absorb the difference between the moment a request is
let go and the moment the server counts it (event-loop and disk stalls in
between): windows are stretched by ``margin`` (1 % by default) plus ``slack``
(20 ms), and requests the runner tracks count from their *answer* time, the
latest moment the server can have counted them.

Learning limits
---------------
Flask-Limiter announces, on every answer, the limit closest to exhaustion:
its ``count`` (``X-RateLimit-Limit``), what ``remaining`` of it, and when its
oldest counted request leaves the window (``X-RateLimit-Reset``, epoch seconds
*rounded up*). The window's length is not announced. With ``learn=True`` the
pacer bounds it from above on every answer: the server's window held
``count - remaining`` requests, so the oldest of them was sent no earlier than
our request ``count - remaining - 1 + k`` places before this one (``k`` =
requests still unanswered when this one went out), and ``reset - (its send
time)`` is at least the window. The smallest bound seen is the learnt window: at most the true one
plus a request's spacing, never less (unless another client shares the
quota; then a 429 stretches it). The first announced limit replaces the
conservative defaults; each further ``count`` adds a limit. Pacing by this
schedule, not by the rounded reset, keeps a short window (``100/second``) full
instead of idling up to a second per window. A server whose answers carry no
rate-limit header at all (three in a row) is taken to have no limits.

Examples
--------
>>> p = Pacer([RateLimit(2, 10.0)], clock=lambda: 0.0)
>>> p.delay()
0.0
>>> _ = p._grant("api", 0.0, track=False), p._grant("api", 0.0, track=False)
>>> round(p.delay(), 3)
10.12
>>> Pacer.for_target("zenodo").limits
(RateLimit(count=100, seconds=60.0), RateLimit(count=5000, seconds=3600.0))
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from specpub.limits import RateLimit, RateLimitSpec, as_rate_limits
from specpub.repository.protocol import RateLimitInfo

if TYPE_CHECKING:  # pragma: no cover
    from specpub.repository.targets import Target

__all__ = ["DEFAULT_MARGIN", "DEFAULT_SLACK", "EXACT_UP_TO", "Pacer", "Ticket"]

#: How much the pacer stretches every window: relatively, and by a fixed number of seconds.
DEFAULT_MARGIN = 0.01
DEFAULT_SLACK = 0.02


PauseHook = Callable[[str, float], None]

# Windows of up to this many requests are tracked by answer time (exact, O(count) per
# request); longer ones (5000/hour) by send time, where a second of skew is negligible.
EXACT_UP_TO = 1000
# Extra entries looked at, for requests answered out of order.
_TAIL = 256


# Send times (epoch seconds) kept for learning windows: enough to look back past the
# largest announced count plus the requests in flight.
_HISTORY = 20_000
# Answers without rate-limit headers after which assumed limits are dropped (learn=True).
_SILENT = 3
# The ticket of the request a task is sending: the client's on_response hook runs in
# the same task, so the answer's headers are matched with the request they describe.
_CURRENT: contextvars.ContextVar[Ticket | None] = contextvars.ContextVar(
    "specpub_pacer_ticket", default=None
)


class Ticket:
    """One granted request: when it was let go and, once known, when it was answered.

    Examples
    --------
    >>> Ticket(1.0, None).end is None
    True
    """

    __slots__ = ("ahead", "end", "grant", "observed", "seq", "waited", "wall")

    def __init__(
        self, grant: float, end: float | None, *, seq: int = -1, wall: float = 0.0, ahead: int = 0
    ) -> None:
        self.grant = grant
        self.end = end
        self.waited = 0.0
        #: Order of grant, the epoch time of the grant, and how many tracked requests
        #: were still unanswered when it was granted (for learning windows).
        self.seq = seq
        self.wall = wall
        self.ahead = ahead
        self.observed = False

    def __repr__(self) -> str:
        return f"Ticket(grant={self.grant:.3f}, end={self.end})"


class Pacer:
    """A moving-window request scheduler shared by all workers of a batch.

    Parameters
    ----------
    limits
        General limits (every request counts): limits, a spec such as
        ``"100/minute;5000/hour"``, or ``(count, seconds)`` pairs.
    search_limits
        Extra limits for search requests (which also count against ``limits``).
    learn
        Treat the limits as conservative defaults and replace them by what the
        server's headers announce (see "Learning limits" above).
    margin, slack
        Relative and absolute (seconds) stretch of every window.
    on_pause
        Called as ``on_pause(reason, seconds)`` after each wait of the
        scheduler (``reason``: ``"rate_limit"``); waits shorter than
        ``min_report`` seconds are added up and reported with the next longer one.
    clock, sleep, wall
        Monotonic clock, async sleep and epoch clock (injectable for tests).

    Examples
    --------
    >>> import asyncio
    >>> t = [0.0]
    >>> async def fake_sleep(s):
    ...     t[0] += s
    >>> p = Pacer([RateLimit(3, 1.0)], clock=lambda: t[0], sleep=fake_sleep, margin=0,
    ...           slack=0.005)
    >>> async def go():
    ...     for _ in range(7):
    ...         await p.acquire()
    >>> asyncio.run(go())
    >>> round(t[0], 2)  # 7 requests at 3/s: two full windows of waiting
    2.01
    """

    def __init__(
        self,
        limits: RateLimitSpec = (),
        search_limits: RateLimitSpec = (),
        *,
        learn: bool = False,
        margin: float = DEFAULT_MARGIN,
        slack: float = DEFAULT_SLACK,
        on_pause: PauseHook | None = None,
        min_report: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.limits = as_rate_limits(limits)
        self.search_limits = as_rate_limits(search_limits)
        self.learn = bool(learn)
        #: Windows learnt from the headers: (endpoint, count) -> seconds (``learn=True``).
        self.learned: dict[tuple[str, int], float] = {}
        self._seq = 0
        self._outstanding = 0
        self._history: deque[float] = deque(maxlen=_HISTORY)
        self._silent: dict[str, int] = {}
        self.margin = float(margin)
        self.slack = float(slack)
        self.on_pause = on_pause
        self.min_report = min_report
        self._clock = clock
        self._sleep = sleep
        self._wall = wall
        self._sent: dict[str, deque[Ticket]] = {"api": deque(), "search": deque()}
        self._paused_until = float("-inf")
        self._pause_reason = "rate_limit"
        self._stretch = 1.0
        self._lock: asyncio.Lock | None = None
        self._unreported = 0.0
        self._unclaimed_429 = 0
        #: How many 429 answers the pacer was told about.
        self.rate_limited = 0
        #: Total seconds the scheduler waited (all reasons).
        self.waited = 0.0
        #: Requests let through, per endpoint.
        self.granted = {"api": 0, "search": 0}

    # -- configuration ----------------------------------------------------------------
    @classmethod
    def for_target(cls, target: Target | str, **kwargs: Any) -> Pacer:
        """A pacer with the limits ``target`` carries.

        Documented limits (zenodo.org) and the exact limits of a running
        embedded repository are kept; assumed ones (any other InvenioRDM, the
        embedded repository given by name) are conservative defaults the
        pacer replaces by what the server announces (``learn=True``).

        Examples
        --------
        >>> Pacer.for_target("zenodo").learn, Pacer.for_target("https://rdm.example.org").learn
        (False, True)
        """
        from specpub.repository.targets import resolve_target

        resolved = resolve_target(target, need_url=False)
        kwargs.setdefault("learn", not resolved.limits_documented)
        return cls(resolved.rate_limits, resolved.search_rate_limits, **kwargs)

    @property
    def unlimited(self) -> bool:
        """True when no limit is configured (the pacer still honours 429s).

        Examples
        --------
        >>> Pacer().unlimited, Pacer("100/minute").unlimited
        (True, False)
        """
        return not self.limits and not self.search_limits

    def bound(self, requests_per_record: float) -> float | None:
        """The most records per second the limits allow at ``requests_per_record``.

        Examples
        --------
        >>> Pacer([RateLimit(100, 60.0), RateLimit(5000, 3600.0)]).bound(3)
        0.46296296296296297
        """
        if not self.limits:
            return None
        rate = min(lim.count / lim.seconds for lim in self.limits)
        return rate / requests_per_record

    # -- scheduling -------------------------------------------------------------------
    def _windows(self, endpoint: str) -> list[tuple[RateLimit, deque[Ticket]]]:
        out = [(lim, self._sent["api"]) for lim in self.limits]
        if endpoint == "search":
            out += [(lim, self._sent["search"]) for lim in self.search_limits]
        return out

    def delay(self, endpoint: str = "api") -> float:
        """Seconds until a request to ``endpoint`` may be sent (0.0 if now).

        Examples
        --------
        >>> Pacer("1/minute").delay()
        0.0
        """
        now = self._clock()
        ready = max(now, self._paused_until)
        for lim, sent in self._windows(endpoint):
            if len(sent) < lim.count:
                continue
            window = lim.seconds * (1.0 + self.margin) * self._stretch + self.slack
            if lim.count > EXACT_UP_TO:
                # long windows: the send time is precise enough
                ready = max(ready, sent[-lim.count].grant + window)
                continue
            # The server counts a request somewhere between its send and its answer:
            # count answered requests at their answer time and unanswered ones as
            # "in the window" (conservative), so server-side delays cannot overflow it.
            tail = itertools.islice(reversed(sent), lim.count + _TAIL)
            ends = sorted(math.inf if t.end is None else t.end for t in tail)
            kth = ends[-lim.count]
            ready = max(ready, now + 0.01 if kth == math.inf else kth + window)
        return max(0.0, ready - now)

    def _grant(self, endpoint: str, now: float, *, track: bool) -> Ticket:
        wall = self._wall()
        ticket = Ticket(now, None if track else now, seq=self._seq, wall=wall,
                        ahead=self._outstanding)  # fmt: skip
        self._seq += 1
        if track:
            self._outstanding += 1
        if self.learn:
            self._history.append(wall)
        self._sent["api"].append(ticket)
        if endpoint == "search":
            self._sent["search"].append(ticket)
        self.granted[endpoint] = self.granted.get(endpoint, 0) + 1
        # forget what no window can see any more
        longest = {
            "api": max((lim.seconds for lim in self.limits), default=0.0),
            "search": max((lim.seconds for lim in self.search_limits), default=0.0),
        }
        for name, sent in self._sent.items():
            if self.learn:  # a window learnt later must see what was sent before
                while len(sent) > _HISTORY:
                    sent.popleft()
                continue
            keep = max(
                (lim.count for lim in (self.limits if name == "api" else self.search_limits)),
                default=0,
            )
            horizon = now - 2.0 * longest[name] * self._stretch - 1.0
            while sent and (len(sent) > keep + _TAIL or sent[0].grant < horizon):
                sent.popleft()
        return ticket

    async def acquire(self, endpoint: str = "api", *, track: bool = False) -> Ticket:
        """Wait until a request to ``endpoint`` may go and count it.

        ``endpoint`` is ``"api"`` or ``"search"``. Waiters are served in order.
        With ``track=True`` the returned :class:`Ticket` must be passed to
        :meth:`release` when the answer arrives (the request then counts at
        its answer time, which bounds when the server counted it); untracked
        requests count at their send time.

        Examples
        --------
        >>> import asyncio
        >>> p = Pacer("10/second")
        >>> ticket = asyncio.run(p.acquire(track=True))
        >>> p.release(ticket); ticket.end >= ticket.grant
        True
        """
        if self._lock is None:
            self._lock = asyncio.Lock()
        start = self._clock()
        async with self._lock:
            while True:
                wait = self.delay(endpoint)
                if wait <= 0:
                    break
                reason = self._pause_reason if self._paused_until > self._clock() else "rate_limit"
                await self._sleep(wait)
                self._report(reason, wait)
            ticket = self._grant(endpoint, self._clock(), track=track)
        ticket.waited = self._clock() - start
        _CURRENT.set(ticket)
        return ticket

    def release(self, ticket: Ticket) -> None:
        """Mark a tracked request as answered (or failed): it now counts at this time.

        Examples
        --------
        >>> import asyncio
        >>> p = Pacer()
        >>> t = asyncio.run(p.acquire(track=True)); t.end is None
        True
        >>> p.release(t); t.end is not None
        True
        """
        if ticket.end is None:
            ticket.end = max(self._clock(), ticket.grant)
            self._outstanding = max(0, self._outstanding - 1)

    def _report(self, reason: str, seconds: float) -> None:
        self.waited += seconds
        self._unreported += seconds
        if self._unreported >= self.min_report and self.on_pause is not None:
            total, self._unreported = self._unreported, 0.0
            self.on_pause(reason, total)

    def pause_for(self, seconds: float, *, reason: str = "rate_limit") -> None:
        """Hold every request back for ``seconds`` from now (longest pause wins).

        Examples
        --------
        >>> p = Pacer(clock=lambda: 0.0)
        >>> p.pause_for(3.0); p.pause_for(1.0); p.paused_for
        3.0
        """
        until = self._clock() + max(0.0, seconds)
        if until > self._paused_until:
            self._paused_until = until
            self._pause_reason = reason

    @property
    def paused_for(self) -> float:
        """Seconds left of the current pause (0.0 when not paused).

        Examples
        --------
        >>> Pacer().paused_for
        0.0
        """
        return max(0.0, self._paused_until - self._clock())

    # -- feedback ---------------------------------------------------------------------
    def on_response(self, status: int, info: RateLimitInfo | None) -> None:
        """The client's ``on_response`` hook: learn from rate-limit headers and 429s.

        Examples
        --------
        >>> t = [100.0]
        >>> p = Pacer([RateLimit(100, 60.0)], clock=lambda: t[0], wall=lambda: 5000.0)
        >>> p.on_response(429, RateLimitInfo(retry_after=7))
        >>> p.paused_for, p.rate_limited
        (7.0, 1)
        >>> p.on_response(200, RateLimitInfo(limit=100, remaining=0, reset=5012.0))
        >>> p.paused_for
        12.0
        """
        if info is None:
            info = RateLimitInfo()
        discovered = self._learn(info) if self.learn else False
        if status == 429:
            self._unclaimed_429 += 1
            # a limit the server reveals only once exhausted is news, not a sign that
            # our pacing is too loose: pause, but do not tighten
            self._count_429(info, tighten=not discovered)
            return
        if info.remaining is None or info.reset is None:
            return
        # Requests already on their way will use up what remains of the window
        # (this answer's own request is among them): only a window that cannot
        # hold them all needs a pause, and then before they all come back as 429.
        if info.remaining > max(0, self._in_flight(info.endpoint) - 1):
            return
        # The server's window is full. If it is one of our limits and our own
        # window says the same, our schedule already waits exactly as long (the
        # header's reset is rounded up to whole seconds: waiting for it would
        # waste up to a second per window). Pause only for usage we cannot see.
        if not self._foreign_usage(info):
            return
        self.pause_for(min(info.reset - self._wall(), 3600.0))

    def _learn(self, info: RateLimitInfo) -> bool:
        """Bound the window of the announced limit from this answer (see "Learning limits").

        Returns whether the answer announced a limit not known before.
        """
        ticket = _CURRENT.get()
        if ticket is None or ticket.observed or ticket.seq < 0:
            return False
        ticket.observed = True  # a later call for the same request may carry another's headers
        endpoint = "search" if info.endpoint == "search" else "api"
        if info.limit is None and info.remaining is None and info.reset is None:
            self._silent_answers(endpoint)
            return False
        if info.limit is None or info.remaining is None or info.reset is None or info.limit < 1:
            return False
        count, remaining = int(info.limit), int(info.remaining)
        # The window held count - remaining requests (this one among them unless it was
        # refused): every send after its oldest is one of them but the oldest, or was
        # unanswered when this one went out (ahead), or went out after this one.
        back = max(0, count - remaining - 1) + ticket.ahead + (1 if info.retry_after else 0)
        first = self._seq - len(self._history)  # seq of the oldest send time kept
        seq = ticket.seq - back
        if seq < first:
            if first > 0:  # the send we need was forgotten: no bound from this answer
                return False
            seq = 0  # every request so far is in the window: our first one bounds it
        bound = info.reset - self._history[seq - first]
        if bound <= 0:
            return False
        key = (endpoint, count)
        new = key not in self.learned
        if not new and self.learned[key] <= bound:
            return False
        self.learned[key] = bound
        learnt = tuple(
            sorted(RateLimit(c, w) for (ep, c), w in self.learned.items() if ep == endpoint)
        )
        if endpoint == "search":
            self.search_limits = learnt
        else:
            self.limits = learnt
        return new

    def _silent_answers(self, endpoint: str) -> None:
        """Answers without any rate-limit header: after a few, drop the assumed limits.

        A server that announces nothing is taken to limit nothing (Flask-Limiter,
        behind every InvenioRDM, always announces); its 429s still pause everyone.
        """
        self._silent[endpoint] = self._silent.get(endpoint, 0) + 1
        if self._silent[endpoint] < _SILENT or any(ep == endpoint for ep, _ in self.learned):
            return
        if endpoint == "search":
            self.search_limits = ()
        else:
            self.limits = ()

    def _in_flight(self, endpoint: str | None) -> int:
        """Tracked requests granted and not yet answered (among the most recent ones)."""
        sent = self._sent["search" if endpoint == "search" else "api"]
        return sum(1 for t in list(sent)[-_TAIL:] if t.end is None)

    def _foreign_usage(self, info: RateLimitInfo) -> bool:
        """Whether the server counts more requests in a window than we sent."""
        limits = self.search_limits if info.endpoint == "search" else self.limits
        sent = self._sent["search" if info.endpoint == "search" else "api"]
        for lim in limits:
            if info.limit is not None and lim.count == info.limit:
                now = self._clock()
                edge = now - lim.seconds * (1.0 + self.margin) * self._stretch
                ours = sum(1 for t in sent if t.grant > edge)
                return lim.count - ours > info.remaining
        return True

    def _count_429(self, info: RateLimitInfo, *, tighten: bool = True) -> None:
        self.rate_limited += 1
        if tighten:
            self._stretch = min(1.5, self._stretch * 1.05)
        wait = info.retry_after
        if wait is None and info.reset is not None:
            wait = info.reset - self._wall()
        self.pause_for(max(1.0 if wait is None else wait, 0.0))

    def note_rate_limited(self, retry_after: float | None) -> None:
        """Tell the pacer about a 429 seen as a :class:`~specpub.errors.RateLimited` error.

        Same effect as ``on_response(429, ...)`` for clients without the hook
        wired; a 429 the hook already reported is not counted twice.

        Examples
        --------
        >>> p = Pacer(clock=lambda: 0.0)
        >>> p.note_rate_limited(2.0); p.paused_for, p.rate_limited
        (2.0, 1)
        """
        if self._unclaimed_429 > 0:
            self._unclaimed_429 -= 1
            return
        self._count_429(RateLimitInfo(retry_after=retry_after))

    def summary(self) -> dict[str, Any]:
        """Counters for reports: granted requests, seconds waited, 429s seen.

        Examples
        --------
        >>> Pacer("100/minute").summary()["limits"]
        ['100/60s']
        """
        return {
            "granted": dict(self.granted),
            "waited": round(self.waited, 3),
            "rate_limited": self.rate_limited,
            "stretch": round(self._stretch, 3),
            "limits": [f"{lim.count}/{lim.seconds:g}s" for lim in self.limits],
            "search_limits": [f"{lim.count}/{lim.seconds:g}s" for lim in self.search_limits],
            "learn": self.learn,
        }
