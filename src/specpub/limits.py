"""Rate limits: one type for the targets, the pacer, the rehearsal and the embedded repository.

A :class:`RateLimit` is "at most ``count`` requests in any ``seconds``-long
moving window", the way Flask-Limiter (Zenodo, InvenioRDM) counts. Limits are
written as Flask-Limiter writes them: ``"100/minute;5000/hour"``, ``"10/5s"``,
``"100 per minute"``; ``"off"`` means none.

Examples
--------
>>> limits = parse_rate_limits("100/minute;5000/hour")
>>> limits
(RateLimit(count=100, seconds=60.0), RateLimit(count=5000, seconds=3600.0))
>>> format_rate_limits(limits), str(limits[0]), limits[0].interval
('100/minute;5000/hour', '100/minute', 0.6)
>>> format_rate_limits(scale_rate_limits(limits, 60))
'100/second;5000/minute'
>>> parse_rate_limits("off")
()
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "RateLimit",
    "RateLimitSpec",
    "as_rate_limits",
    "format_rate_limits",
    "parse_rate_limits",
    "scale_rate_limits",
]

_UNITS = {
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "days": 86400.0,
}
_NAMES = {1.0: "second", 60.0: "minute", 3600.0: "hour", 86400.0: "day"}
_SPEC = re.compile(r"^\s*(\d+)\s*(?:/|per)\s*(\d*(?:\.\d+)?)\s*([a-z]+)\s*$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class RateLimit:
    """At most ``count`` requests in any ``seconds``-long (moving) window.

    Examples
    --------
    >>> RateLimit(30, 60.0).interval, str(RateLimit(10, 5.0))
    (2.0, '10/5s')
    """

    count: int
    seconds: float

    def __post_init__(self) -> None:
        if int(self.count) < 1 or not float(self.seconds) > 0:
            raise ValueError(f"a rate limit needs count >= 1 and seconds > 0, not {self!r}")

    @property
    def interval(self) -> float:
        """The mean spacing of requests at full speed (``seconds / count``)."""
        return self.seconds / self.count

    @property
    def rate(self) -> float:
        """Requests per second at full speed."""
        return self.count / self.seconds

    def __str__(self) -> str:
        unit = _NAMES.get(float(self.seconds))
        return f"{self.count}/{unit}" if unit else f"{self.count}/{self.seconds:g}s"


#: What parameters that take limits accept: a spec string, limits, ``(count, seconds)``
#: pairs, or ``None`` (no limit).
RateLimitSpec = str | Iterable[RateLimit | tuple[int, float]] | None


def parse_rate_limits(spec: str | None) -> tuple[RateLimit, ...]:
    """Parse ``"100/minute;5000/hour"`` (Flask-Limiter style) into limits.

    ``"off"``, ``"none"``, ``""`` or ``None`` mean no limit. A unit may carry a
    multiplier: ``"10/5s"`` is 10 per 5 seconds. ``"100 per minute"`` works too.

    Raises
    ------
    ValueError
        With the offending part and the expected form.

    Examples
    --------
    >>> parse_rate_limits("10/5s, 100 per minute")
    (RateLimit(count=10, seconds=5.0), RateLimit(count=100, seconds=60.0))
    """
    if spec is None or spec.strip().lower() in ("", "off", "none", "0"):
        return ()
    limits = []
    for part in re.split(r"[;,]", spec):
        if not part.strip():
            continue
        m = _SPEC.match(part)
        if not m or m.group(3).lower() not in _UNITS:
            raise ValueError(
                f"rate limit {part.strip()!r} is not of the form COUNT/UNIT "
                "(e.g. '100/minute;5000/hour', '10/5s', or 'off')"
            )
        mult = float(m.group(2)) if m.group(2) else 1.0
        limits.append(RateLimit(int(m.group(1)), mult * _UNITS[m.group(3).lower()]))
    return tuple(limits)


def as_rate_limits(spec: RateLimitSpec) -> tuple[RateLimit, ...]:
    """Limits from a spec string, limits, ``(count, seconds)`` pairs or ``None``.

    Anything with ``count`` and ``seconds`` attributes is taken as a limit.

    Examples
    --------
    >>> as_rate_limits([(100, 60)])
    (RateLimit(count=100, seconds=60.0),)
    >>> as_rate_limits(None)
    ()
    """
    if spec is None:
        return ()
    if isinstance(spec, str):
        return parse_rate_limits(spec)
    out = []
    for item in spec:
        if isinstance(item, RateLimit):
            out.append(item)
        elif hasattr(item, "count") and hasattr(item, "seconds"):
            out.append(RateLimit(int(item.count), float(item.seconds)))
        else:
            count, seconds = item
            out.append(RateLimit(int(count), float(seconds)))
    return tuple(out)


def format_rate_limits(limits: Iterable[RateLimit]) -> str:
    """Limits as a spec that :func:`parse_rate_limits` reads back (``"off"`` for none).

    Examples
    --------
    >>> format_rate_limits([RateLimit(10, 5.0)]), format_rate_limits([])
    ('10/5s', 'off')
    """
    return ";".join(str(lim) for lim in limits) or "off"


def scale_rate_limits(limits: Iterable[RateLimit], time_scale: float) -> tuple[RateLimit, ...]:
    """Every window divided by ``time_scale`` (60: 5000/hour becomes 5000/minute).

    Examples
    --------
    >>> scale_rate_limits([RateLimit(100, 60.0)], 30)
    (RateLimit(count=100, seconds=2.0),)
    """
    if not time_scale > 0:
        raise ValueError("time_scale must be > 0")
    return tuple(RateLimit(lim.count, lim.seconds / time_scale) for lim in limits)
