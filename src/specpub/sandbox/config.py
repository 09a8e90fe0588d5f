"""Configuration of the embedded Zenodo-compatible repository.

Examples
--------
>>> cfg = SandboxConfig(data_dir="/tmp/sb", tokens={"secret-token": "alice"})
>>> cfg.doi_prefix
'10.5072'
>>> parse_rate_limits("100/minute;5000/hour")
(RateLimit(count=100, seconds=60.0), RateLimit(count=5000, seconds=3600.0))
>>> parse_rate_limits("off")
()
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from specpub.sandbox.faults import FaultPlan

__all__ = [
    "DEFAULT_RATE_LIMITS",
    "DEFAULT_SEARCH_RATE_LIMITS",
    "Community",
    "RateLimit",
    "SandboxConfig",
    "parse_rate_limits",
]


@dataclass(frozen=True)
class RateLimit:
    """``count`` requests per moving window of ``seconds``."""

    count: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds:g}s"


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
_SPEC = re.compile(r"^\s*(\d+)\s*(?:/|per)\s*(\d*(?:\.\d+)?)\s*([a-z]+)\s*$", re.IGNORECASE)


def parse_rate_limits(spec: str | None) -> tuple[RateLimit, ...]:
    """Parse ``"100/minute;5000/hour"`` (Flask-Limiter style) into limits.

    ``"off"``, ``"none"``, ``""`` or ``None`` mean no limit. A unit may carry a
    multiplier: ``"10/5s"`` is 10 per 5 seconds. ``"100 per minute"`` works too.

    Raises
    ------
    ValueError
        With the offending part and the expected form.
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


#: zenodo.org's documented limits for authenticated users.
DEFAULT_RATE_LIMITS = parse_rate_limits("100/minute;5000/hour")
#: zenodo.org's documented limit for the search endpoints.
DEFAULT_SEARCH_RATE_LIMITS = parse_rate_limits("30/minute")


@dataclass(frozen=True)
class Community:
    """A community known to the sandbox: ``slug``, its UUID, and its owners (user names)."""

    slug: str
    id: str
    title: str = ""
    owners: tuple[str, ...] = ()


@dataclass
class SandboxConfig:
    """Everything the embedded repository needs to start.

    Parameters
    ----------
    data_dir
        Folder for the SQLite database and file contents; survives restarts.
    tokens
        Token → user name. Each token is one user who owns its records.
        Anonymous requests get 403, unknown tokens 401.
    doi_prefix
        ``10.5072`` (test DOIs, like sandbox.zenodo.org) or ``10.5281``.
    base_url
        Public base URL used in ``links`` (set by the server once the port is known).
    index_lag
        Seconds before a created or changed record becomes visible to search.
    rate_limits, search_rate_limits
        Moving-window limits per (User-Agent + client address); ``()`` = off.
    search_paths
        Paths whose ``GET`` counts as a search for ``search_rate_limits``
        (default: the public search ``/api/records`` only; see
        :mod:`specpub.sandbox.ratelimit`).
    faults
        Name of a fault profile, a :class:`~specpub.sandbox.faults.FaultPlan`, or ``None``.
    communities
        Known communities (slug → UUID, owners).
    max_json_body
        Largest accepted JSON body in bytes (larger: 413).
    max_query_length
        Longest accepted query string in characters (longer: 414/400).
    max_files_per_record, quota_bytes, max_file_bytes
        Zenodo's limits: 100 files, 50 GB per record, 50 GB per file.
    seed
        Seed for fault injection and latency jitter (reproducible runs).
    """

    data_dir: Path | str
    tokens: dict[str, str] = field(default_factory=dict)
    doi_prefix: str = "10.5072"
    base_url: str = "http://127.0.0.1:0"
    index_lag: float = 0.0
    rate_limits: tuple[RateLimit, ...] = DEFAULT_RATE_LIMITS
    search_rate_limits: tuple[RateLimit, ...] = DEFAULT_SEARCH_RATE_LIMITS
    search_paths: tuple[str, ...] = ("/api/records",)
    faults: str | FaultPlan | None = None
    communities: tuple[Community, ...] = ()
    max_json_body: int = 10 * 1024 * 1024
    max_query_length: int = 8192
    max_files_per_record: int = 100
    quota_bytes: int = 50 * 10**9
    max_file_bytes: int = 50 * 10**9
    seed: int | None = None

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
