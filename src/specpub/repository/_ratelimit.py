"""Read the rate-limit headers of a response into a :class:`RateLimitInfo`.

``X-RateLimit-Reset`` is sent by Flask-Limiter as an epoch timestamp, but
other proxies send the number of seconds until the reset. A value larger
than ``10**9`` (September 2001) is taken as an epoch timestamp; anything
smaller as a delta from *now*. ``Retry-After`` may be seconds or an HTTP date.
``RateLimitInfo.reset`` is always an epoch timestamp.

Examples
--------
>>> info = parse_rate_limit({"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "7",
...                          "X-RateLimit-Reset": "1700000060"}, now=1700000000.0)
>>> info.limit, info.remaining, info.reset
(100, 7, 1700000060.0)
>>> parse_rate_limit({"X-RateLimit-Reset": "30"}, now=1000.0).reset
1030.0
>>> parse_rate_limit({"Retry-After": "12"}).retry_after
12.0
>>> parse_rate_limit({}) is None
True
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

from specpub.repository.protocol import RateLimitInfo

_EPOCH_THRESHOLD = 1e9


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if number == number and number >= 0 else None  # drop NaN and negatives


def _retry_after(value: str | None, now: float) -> float | None:
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now)


def parse_rate_limit(
    headers: Mapping[str, str], *, now: float | None = None, endpoint: str = "api"
) -> RateLimitInfo | None:
    """The rate-limit state announced by ``headers``, or ``None`` if none was.

    Parameters
    ----------
    headers
        Response headers (case-insensitive lookup is the caller's: httpx
        headers are; for a plain dict use the canonical spelling).
    now
        The current epoch time (default: ``time.time()``).
    endpoint
        Stored in :attr:`RateLimitInfo.endpoint`.

    Examples
    --------
    >>> parse_rate_limit({"Retry-After": "Wed, 21 Oct 2015 07:28:10 GMT"},
    ...                  now=1445412480.0).retry_after
    10.0
    """
    now = time.time() if now is None else now
    get = headers.get
    limit = _number(get("X-RateLimit-Limit"))
    remaining = _number(get("X-RateLimit-Remaining"))
    reset = _number(get("X-RateLimit-Reset"))
    retry_after = _retry_after(get("Retry-After"), now)
    if limit is None and remaining is None and reset is None and retry_after is None:
        return None
    if reset is not None and reset < _EPOCH_THRESHOLD:
        reset = now + reset
    return RateLimitInfo(
        limit=None if limit is None else int(limit),
        remaining=None if remaining is None else int(remaining),
        reset=reset,
        retry_after=retry_after,
        endpoint=endpoint,
    )


def seconds_to_wait(info: RateLimitInfo | None, *, now: float | None = None) -> float | None:
    """How long a 429 asks to wait: ``Retry-After``, else the time to ``reset``.

    Examples
    --------
    >>> seconds_to_wait(RateLimitInfo(reset=1010.0), now=1000.0)
    10.0
    >>> seconds_to_wait(None) is None
    True
    """
    if info is None:
        return None
    if info.retry_after is not None:
        return info.retry_after
    if info.reset is not None:
        now = time.time() if now is None else now
        return max(0.0, info.reset - now)
    return None
