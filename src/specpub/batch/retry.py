"""Retries with exponential backoff, and a circuit breaker for repository outages.

:class:`RetryPolicy` decides how long a record waits before repeating a
step that failed transiently (full jitter: a uniform draw in
``[0, min(cap, base * 2**attempt)]``, as recommended for many clients hitting
one server) and when to give up (``max_attempts``; the record then ends
``failed(retryable=True)`` and a later run retries it).

:class:`CircuitBreaker` watches failures across *all* records. Zenodo's
outages look like bursts of 5xx, 404 (the May 2019 database outage answered
404 to everything) and connection errors. When the last ``min_failures``
failures all fall within ``window`` seconds, come from at least
``min_records`` distinct records, and successes since the oldest of them make
up less than ``max_success_ratio`` of the outcomes, the breaker *opens*:
the whole batch pauses and a cheap idempotent probe (a search or a GET) is sent at growing intervals
(``probe_initial`` doubling up to ``probe_max``); the first successful probe
*closes* it. Failures while the breaker is open (or that opened it) are not
charged to the records' attempt counts.

Defaults (10 failures from 5 records, < 20 % successes among the outcomes
since the first of those 10, all within 30 s): scattered ICEDIG-like failures
(1–2 % of requests) come with dozens of successes in between and never open
it, while an outage (every request failing) opens it after 10 failed requests,
i.e. within 6 s at Zenodo's 100 requests/minute and at once at full speed.
Only outcomes *since* the burst started count, so a long stretch of earlier
successes does not mask an outage (a plain ratio over the window would).

Examples
--------
>>> import random
>>> policy = RetryPolicy(base=1.0, cap=8.0, max_attempts=4)
>>> all(0 <= policy.backoff(n, random.Random(1)) <= min(8.0, 2**n) for n in range(6))
True
>>> policy.exhausted(4)
True
>>> t = [0.0]
>>> cb = CircuitBreaker(min_failures=3, min_records=2, clock=lambda: t[0])
>>> for rec in ("a", "b", "a"):
...     _ = cb.record_failure(rec)
>>> cb.is_open
True
>>> cb.probe_succeeded(); cb.is_open
False
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

__all__ = ["CircuitBreaker", "RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry transient failures of one record.

    Parameters
    ----------
    max_attempts
        Failed attempts at one step after which the record is given up
        (``failed``, ``retryable=True``).
    base, cap
        Backoff bounds in seconds: attempt ``n`` (1-based) waits a uniform
        draw in ``[0, min(cap, base * 2**n)]``.
    max_reuploads
        Checksum mismatches of one file after which the record fails.
    resolve_timeout
        Seconds a marker search is repeated (index lag) before concluding
        that an ambiguous create did not happen.

    Examples
    --------
    >>> RetryPolicy().max_attempts
    8
    """

    max_attempts: int = 8
    base: float = 0.5
    cap: float = 30.0
    max_reuploads: int = 3
    resolve_timeout: float = 30.0

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (full jitter).

        Examples
        --------
        >>> RetryPolicy(base=1, cap=4).backoff(10, random.Random(0)) <= 4
        True
        """
        rng = rng or random
        high = min(self.cap, self.base * (2 ** max(0, attempt)))
        return rng.uniform(0.0, high)

    def exhausted(self, attempts: int) -> bool:
        """Whether ``attempts`` failed attempts used up the budget.

        Examples
        --------
        >>> RetryPolicy(max_attempts=3).exhausted(2), RetryPolicy(max_attempts=3).exhausted(3)
        (False, True)
        """
        return attempts >= self.max_attempts


class CircuitBreaker:
    """Pause a whole batch while the repository looks down.

    Parameters
    ----------
    window
        Seconds of history considered.
    min_failures, min_records, max_success_ratio
        Open when the window holds ``>= min_failures`` failures from
        ``>= min_records`` distinct records and successes are
        ``< max_success_ratio`` of all outcomes.
    probe_initial, probe_max
        First probe interval and its cap (the interval doubles after each
        failed probe).
    clock
        Monotonic clock (injectable for tests).

    Examples
    --------
    >>> cb = CircuitBreaker()
    >>> cb.is_open, cb.state
    (False, 'closed')
    """

    def __init__(
        self,
        *,
        window: float = 30.0,
        min_failures: int = 10,
        min_records: int = 5,
        max_success_ratio: float = 0.2,
        probe_initial: float = 1.0,
        probe_max: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self.min_failures = min_failures
        self.min_records = min_records
        self.max_success_ratio = max_success_ratio
        self.probe_initial = probe_initial
        self.probe_max = probe_max
        self._clock = clock
        self._failures: deque[tuple[float, Hashable]] = deque()
        self._successes: deque[float] = deque()
        self._opened_at: float | None = None
        self._closed_event: asyncio.Event | None = None
        #: How many times the breaker opened.
        self.opened = 0
        #: Total seconds it stayed open.
        self.open_seconds = 0.0
        #: Probes sent while open.
        self.probes = 0

    @property
    def is_open(self) -> bool:
        """Whether the batch should pause.

        Examples
        --------
        >>> CircuitBreaker().is_open
        False
        """
        return self._opened_at is not None

    @property
    def state(self) -> str:
        """``"open"`` or ``"closed"``.

        Examples
        --------
        >>> CircuitBreaker().state
        'closed'
        """
        return "open" if self.is_open else "closed"

    @property
    def open_for(self) -> float:
        """Seconds since the breaker opened (0.0 when closed).

        Examples
        --------
        >>> CircuitBreaker().open_for
        0.0
        """
        return 0.0 if self._opened_at is None else self._clock() - self._opened_at

    def _trim(self, now: float) -> None:
        edge = now - self.window
        while self._failures and self._failures[0][0] < edge:
            self._failures.popleft()
        while self._successes and self._successes[0] < edge:
            self._successes.popleft()

    def record_success(self) -> None:
        """Count a successful request.

        Examples
        --------
        >>> cb = CircuitBreaker(); cb.record_success(); cb.is_open
        False
        """
        now = self._clock()
        self._successes.append(now)
        self._trim(now)

    def record_failure(self, record: Hashable) -> bool:
        """Count an outage-like failure (5xx, 404, connection error) of ``record``.

        Returns True if this failure opened the breaker.

        Examples
        --------
        >>> cb = CircuitBreaker(min_failures=2, min_records=2)
        >>> cb.record_failure("a"), cb.record_failure("b")
        (False, True)
        """
        now = self._clock()
        self._failures.append((now, record))
        self._trim(now)
        if self.is_open:
            return False
        if self._tripped():
            self._opened_at = now
            self.opened += 1
            if self._closed_event is not None:
                self._closed_event.clear()
            return True
        return False

    def _tripped(self) -> bool:
        # The last ``min_failures`` failures (all inside the window), from enough
        # distinct records, with few successes since the oldest of them.
        n_fail = len(self._failures)
        if n_fail < self.min_failures:
            return False
        recent = list(self._failures)[-self.min_failures :]
        if len({rec for _, rec in recent}) < self.min_records:
            return False
        since = recent[0][0]
        ok = sum(1 for t in self._successes if t >= since)
        return ok / (ok + len(recent)) < self.max_success_ratio

    def in_burst(self) -> bool:
        """Whether recent failures look like the start of an outage (half the threshold).

        Used to read a 404 as an outage symptom rather than a rejection.

        Examples
        --------
        >>> cb = CircuitBreaker(min_failures=4)
        >>> _ = cb.record_failure("a"), cb.record_failure("b")
        >>> cb.in_burst()
        True
        """
        self._trim(self._clock())
        return len(self._failures) >= max(2, self.min_failures // 2) and len(self._successes) < len(
            self._failures
        )

    def probe_succeeded(self) -> None:
        """Close the breaker (a probe got through).

        Examples
        --------
        >>> cb = CircuitBreaker(min_failures=1, min_records=1)
        >>> cb.record_failure("a")
        True
        >>> cb.probe_succeeded(); cb.state
        'closed'
        """
        if self._opened_at is not None:
            self.open_seconds += self._clock() - self._opened_at
        self._opened_at = None
        self._failures.clear()
        self._successes.clear()
        if self._closed_event is not None:
            self._closed_event.set()

    def probe_intervals(self) -> list[float]:
        """The sequence of probe intervals (for docs and tests).

        Examples
        --------
        >>> CircuitBreaker(probe_initial=1, probe_max=5).probe_intervals()[:5]
        [1, 2, 4, 5, 5]
        """
        out, step = [], self.probe_initial
        for _ in range(12):
            out.append(step)
            step = min(self.probe_max, step * 2)
        return out

    async def wait_closed(self) -> None:
        """Return at once when closed; else wait until a probe closes the breaker.

        Examples
        --------
        >>> import asyncio
        >>> asyncio.run(CircuitBreaker().wait_closed())  # closed: returns at once
        """
        if not self.is_open:
            return
        if self._closed_event is None:
            self._closed_event = asyncio.Event()
        if self.is_open:
            self._closed_event.clear()
            await self._closed_event.wait()
