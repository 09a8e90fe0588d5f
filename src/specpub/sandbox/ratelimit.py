"""Moving-window rate limiting for the embedded repository (ASGI middleware).

Zenodo limits requests with Flask-Limiter's *moving window* strategy, keyed on
the User-Agent plus the client address (not the token), and sends
``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset``
(epoch seconds) headers (see ``docs/zenodo-api.md`` §1.9). This module does the
same, exactly: every key keeps a log of the timestamps of its accepted requests
per limit, so "100 per minute" means *at most 100 requests in any 60 seconds*.

Choices the real server leaves open (documented here, tested in
``tests/sandbox/test_ratelimit.py``):

* **Search requests** (``GET`` on one of ``search_paths``, by default only the
  public search ``/api/records``) are counted against the search limits
  *instead of* the general ones, as invenio-app's per-endpoint limits replace
  the defaults. Whether Zenodo's "search 30/min" also covers the user-records
  search and the legacy deposit list is UNCERTAIN (§1.9); pass
  :data:`BROAD_SEARCH_PATHS` to limit those too.
* **Rejected requests do not count**: a client that keeps hammering while
  limited is let in again as soon as its oldest accepted request leaves the
  window (Flask-Limiter's moving window behaves the same way).
* The headers describe the limit that is closest to exhaustion (fewest
  remaining requests); on a 429 they describe a limit that was exceeded.
  ``X-RateLimit-Reset`` is when that limit frees its next slot (epoch seconds,
  rounded up). ``Retry-After`` on a 429 is the same moment as whole seconds
  from now (rounded up, at least 1).
* The 429 body has the server's error shape:
  ``{"status": 429, "message": "..."}``.

Each accepted request costs one append per limit and each timestamp is dropped
once, so the cost per request is O(1) amortised.

Examples
--------
>>> from specpub.sandbox.config import parse_rate_limits
>>> now = [1000.0]
>>> limiter = RateLimiter(parse_rate_limits("2/minute"), clock=lambda: now[0])
>>> [limiter.hit(b"ua|127.0.0.1").allowed for _ in range(3)]
[True, True, False]
>>> now[0] += 60.0
>>> limiter.hit(b"ua|127.0.0.1").allowed
True
"""

from __future__ import annotations

import json
import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from specpub.sandbox.config import RateLimit

__all__ = [
    "BROAD_SEARCH_PATHS",
    "ZENODO_SEARCH_PATHS",
    "RateLimitDecision",
    "RateLimitMiddleware",
    "RateLimiter",
]

#: The endpoints Zenodo's configuration limits to 30/min: the public record search.
ZENODO_SEARCH_PATHS: tuple[str, ...] = ("/api/records",)
#: Also the user-records search and the legacy deposit list (the doc's broader reading).
BROAD_SEARCH_PATHS: tuple[str, ...] = (
    "/api/records",
    "/api/user/records",
    "/api/deposit/depositions",
)

# How many hits between sweeps that forget idle keys (keeps memory bounded).
_SWEEP_EVERY = 10_000


@dataclass(frozen=True)
class RateLimitDecision:
    """The outcome of one request against the limits of its key.

    Attributes
    ----------
    allowed
        ``False`` when a limit is exhausted (answer 429).
    limit
        The ``count`` of the limit the headers describe.
    remaining
        Requests left in that limit's window after this one.
    reset
        Epoch seconds at which that limit frees its next slot.
    retry_after
        Whole seconds to wait before retrying (0 when allowed).

    Examples
    --------
    >>> RateLimitDecision(True, 100, 99, 1060.0, 0).headers()[0]
    (b'x-ratelimit-limit', b'100')
    """

    allowed: bool
    limit: int
    remaining: int
    reset: float
    retry_after: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The ``X-RateLimit-*`` (and, if rejected, ``Retry-After``) headers."""
        out = [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-reset", str(math.ceil(self.reset)).encode()),
        ]
        if not self.allowed:
            out.append((b"retry-after", str(self.retry_after).encode()))
        return out


class RateLimiter:
    """Exact moving-window limits per key, several limits at once.

    Parameters
    ----------
    limits
        The limits applied to every request of a key (e.g. 100/min and 5000/h).
    clock
        Returns the current time in epoch seconds; injectable for tests.

    Examples
    --------
    >>> from specpub.sandbox.config import RateLimit
    >>> t = [0.0]
    >>> rl = RateLimiter([RateLimit(1, 10.0), RateLimit(5, 3600.0)], clock=lambda: t[0])
    >>> d = rl.hit(b"k")
    >>> (d.allowed, d.limit, d.remaining)
    (True, 1, 0)
    >>> rejected = rl.hit(b"k")
    >>> (rejected.allowed, rejected.retry_after)
    (False, 10)
    """

    def __init__(
        self, limits: Sequence[RateLimit], *, clock: Callable[[], float] = time.time
    ) -> None:
        self.limits: tuple[RateLimit, ...] = tuple(limits)
        self.clock = clock
        self._logs: dict[bytes, tuple[deque[float], ...]] = {}
        self._hits = 0

    def hit(self, key: bytes) -> RateLimitDecision:
        """Count one request of ``key`` if every limit allows it; say what happened."""
        now = self.clock()
        self._hits += 1
        if self._hits % _SWEEP_EVERY == 0:
            self._sweep(now)
        logs = self._logs.get(key)
        if logs is None:
            logs = tuple(deque() for _ in self.limits)
            self._logs[key] = logs
        exceeded: list[int] = []
        for i, limit in enumerate(self.limits):
            log = logs[i]
            horizon = now - limit.seconds
            while log and log[0] <= horizon:
                log.popleft()
            if len(log) >= limit.count:
                exceeded.append(i)
        if exceeded:
            # Describe the exceeded limit that frees a slot last.
            i = max(exceeded, key=lambda j: logs[j][0] + self.limits[j].seconds)
            reset = logs[i][0] + self.limits[i].seconds
            wait = max(1, math.ceil(reset - now))
            return RateLimitDecision(False, self.limits[i].count, 0, reset, wait)
        best = None
        for i, limit in enumerate(self.limits):
            log = logs[i]
            log.append(now)
            remaining = limit.count - len(log)
            reset = log[0] + limit.seconds
            if best is None or remaining < best[1] or (remaining == best[1] and reset < best[2]):
                best = (limit.count, remaining, reset)
        assert best is not None
        return RateLimitDecision(True, best[0], best[1], best[2], 0)

    def _sweep(self, now: float) -> None:
        """Forget keys whose windows are all empty."""
        idle = [
            key
            for key, logs in self._logs.items()
            if all(
                not log or log[-1] <= now - lim.seconds
                for log, lim in zip(logs, self.limits, strict=True)
            )
        ]
        for key in idle:
            del self._logs[key]

    def __len__(self) -> int:
        return len(self._logs)


def _header(scope: dict[str, Any], name: bytes) -> bytes:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value
    return b""


def _too_many_body(decision: RateLimitDecision) -> bytes:
    message = (
        f"Too many requests: limit of {decision.limit} reached; "
        f"retry after {decision.retry_after} s."
    )
    return json.dumps({"status": 429, "message": message}).encode()


class RateLimitMiddleware:
    """ASGI middleware enforcing :class:`RateLimiter` limits per User-Agent + client address.

    Parameters
    ----------
    app
        The ASGI application to protect.
    limits
        General limits (e.g. ``config.rate_limits``); ``()`` disables them.
    search_limits
        Limits for search requests (``config.search_rate_limits``); ``()`` means
        search requests are not limited at all.
    search_paths
        Paths (exact, without query string; a trailing ``/`` is ignored) whose
        ``GET`` counts as a search. Defaults to :data:`ZENODO_SEARCH_PATHS`.
    clock
        Epoch-seconds clock, injectable for tests.

    Examples
    --------
    >>> from specpub.sandbox.config import parse_rate_limits
    >>> async def app(scope, receive, send):
    ...     pass
    >>> mw = RateLimitMiddleware(app, limits=parse_rate_limits("100/minute"))
    >>> mw.is_search("GET", "/api/records/")
    True
    >>> mw.is_search("GET", "/api/records/12")
    False
    """

    def __init__(
        self,
        app: Any,
        *,
        limits: Sequence[RateLimit] = (),
        search_limits: Sequence[RateLimit] = (),
        search_paths: Iterable[str] = ZENODO_SEARCH_PATHS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self.general = RateLimiter(limits, clock=clock) if limits else None
        self.search = RateLimiter(search_limits, clock=clock) if search_limits else None
        self.search_paths = frozenset(p.rstrip("/") or "/" for p in search_paths)

    def is_search(self, method: str, path: str) -> bool:
        """Whether a request counts against the search limits."""
        return method == "GET" and (path.rstrip("/") or "/") in self.search_paths

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        search = self.is_search(scope["method"], scope["path"])
        limiter = self.search if search else self.general
        if limiter is None:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        key = _header(scope, b"user-agent") + b"|" + (client[0] if client else "").encode()
        decision = limiter.hit(key)
        extra = decision.headers()
        if not decision.allowed:
            body = _too_many_body(decision)
            await send(
                {
                    "type": "http.response.start",
                    "status": 429,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        *extra,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
