"""Rehearse a batch on the embedded sandbox and forecast the real run.

Two things live here:

:func:`forecast`
    A pure model: how long will ``n_records`` records of ``files_per_record``
    files take against a target's *documented* rate limits? Each request path
    costs a known number of requests per record (legacy: create + one bucket
    PUT per file + publish = ``2 + F``; native: create + init + F content PUTs
    + F commits + publish = ``3 + 2F``). Every moving-window limit
    ``count / window`` bounds the run: the *R*-th request cannot leave before
    ``floor((R - 1) / count) * window`` seconds. The slowest limit is the
    bottleneck. Measured overheads (retries, reconcile searches, records that
    failed and are run again, breaker pauses) stretch the estimate.

:func:`rehearse`
    Runs (a sample of) the planned batch against the embedded sandbox started
    with the target's limits *scaled in time* (``time_scale=60`` turns
    5000/hour into 5000/minute) and a fault profile, measures requests per
    record, retry overhead and failure rate from the rehearsal ledger's events,
    and feeds them to :func:`forecast` at the real, unscaled limits.

Examples
--------
>>> f = forecast(281_372, 1, "zenodo")
>>> f.requests_per_record, f.bottleneck
(3, '5000/hour')
>>> round(f.hours)
168
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from specpub.sandbox.config import RateLimit, parse_rate_limits

__all__ = [
    "DOCUMENTED_LIMITS",
    "Forecast",
    "forecast",
    "requests_per_record",
]

#: Documented limits per target name: (global limits, search limits).
#: zenodo.org: authenticated 100/min and 5000/h, search 30/min (zenodo-api.md §1.9).
#: The sandbox's limits are not documented separately; the production numbers are assumed.
DOCUMENTED_LIMITS: dict[str, tuple[tuple[RateLimit, ...], tuple[RateLimit, ...]]] = {
    "zenodo": (parse_rate_limits("100/minute;5000/hour"), parse_rate_limits("30/minute")),
    "zenodo-sandbox": (parse_rate_limits("100/minute;5000/hour"), parse_rate_limits("30/minute")),
    "embedded": (parse_rate_limits("100/minute;5000/hour"), parse_rate_limits("30/minute")),
}


def requests_per_record(files_per_record: float = 1, api: str = "legacy") -> float:
    """Requests one record costs on the happy path.

    Parameters
    ----------
    files_per_record
        Files per record (may be a mean, e.g. ``1.3``).
    api
        ``"legacy"``: create (with metadata) + one bucket PUT per file +
        publish, ``2 + F``. ``"native"``: create + one init for all keys +
        content PUT and commit per file + publish, ``3 + 2F``.

    Examples
    --------
    >>> requests_per_record(1), requests_per_record(2, "native")
    (3, 7)
    """
    if files_per_record < 0:
        raise ValueError("files_per_record must be >= 0")
    if api == "legacy":
        n = 2 + files_per_record
    elif api == "native":
        n = 3 + 2 * files_per_record
    else:
        raise ValueError(f"api must be 'legacy' or 'native', not {api!r}")
    return int(n) if float(n).is_integer() else float(n)


def _limit_label(limit: RateLimit) -> str:
    names = {1.0: "second", 60.0: "minute", 3600.0: "hour", 86400.0: "day"}
    unit = names.get(limit.seconds)
    return f"{limit.count}/{unit}" if unit else f"{limit.count}/{limit.seconds:g}s"


def _resolve_limits(target: str | Sequence[RateLimit] | None) -> tuple[RateLimit, ...]:
    if target is None:
        return ()
    if isinstance(target, str):
        if target in DOCUMENTED_LIMITS:
            return DOCUMENTED_LIMITS[target][0]
        if "/" in target and not target.startswith(("http://", "https://")):
            return parse_rate_limits(target)
        # An InvenioRDM instance: its limits are the instance's own business.
        # The InvenioRDM defaults (Flask-Limiter) are the same as Zenodo's.
        return DOCUMENTED_LIMITS["zenodo"][0]
    return tuple(target)


@dataclass(frozen=True)
class Forecast:
    """How long a batch will take, and why.

    Attributes
    ----------
    n_records, files_per_record, api
        What is forecast.
    requests_per_record
        Happy-path requests per record (:func:`requests_per_record`).
    effective_requests_per_record
        With the retry/reconcile overhead and the re-run of failed records.
    total_requests
        ``n_records * effective_requests_per_record`` (rounded up).
    limits
        The rate limits used (``"100/minute"``...).
    bottleneck
        The limit (or ``"latency"``) that sets the pace.
    seconds
        The forecast duration, including pauses.
    records_per_hour
        The sustained pace.
    overhead, failure_rate, pause_fraction
        The measured inputs that stretched the estimate.
    """

    n_records: int
    files_per_record: float
    api: str
    requests_per_record: float
    effective_requests_per_record: float
    total_requests: int
    limits: tuple[str, ...]
    bottleneck: str
    seconds: float
    records_per_hour: float
    overhead: float = 0.0
    failure_rate: float = 0.0
    pause_fraction: float = 0.0
    bounds: dict[str, float] = field(default_factory=dict, repr=False)

    @property
    def hours(self) -> float:
        """The duration in hours."""
        return self.seconds / 3600.0

    @property
    def days(self) -> float:
        """The duration in days."""
        return self.seconds / 86400.0

    def summary(self) -> str:
        """One paragraph for people.

        Examples
        --------
        >>> print(forecast(10_000, 1, "zenodo").summary())  # doctest: +NORMALIZE_WHITESPACE
        10,000 records x 3.00 requests = 30,000 requests; limits 100/minute, 5000/hour;
        bottleneck 5000/hour: 5.0 h (0.21 days), 1,667 records/hour.
        """
        return (
            f"{self.n_records:,} records x {self.effective_requests_per_record:.2f} requests = "
            f"{self.total_requests:,} requests; limits {', '.join(self.limits) or 'none'}; "
            f"bottleneck {self.bottleneck}: {self.hours:.1f} h ({self.days:.2f} days), "
            f"{self.records_per_hour:,.0f} records/hour."
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (with ``hours`` and ``days``)."""
        data = asdict(self)
        data["limits"] = list(self.limits)
        data["hours"] = self.hours
        data["days"] = self.days
        return data

    def to_frame(self) -> pd.DataFrame:
        """One row per bound (each limit, latency) with its duration in hours.

        Examples
        --------
        >>> forecast(100, 1, "zenodo").to_frame()["bound"].tolist()
        ['100/minute', '5000/hour']
        """
        rows = [
            {"bound": name, "hours": secs / 3600.0, "bottleneck": name == self.bottleneck}
            for name, secs in self.bounds.items()
        ]
        return pd.DataFrame(rows, columns=["bound", "hours", "bottleneck"])

    def __repr__(self) -> str:
        return (
            f"Forecast(n_records={self.n_records}, requests={self.total_requests}, "
            f"bottleneck={self.bottleneck!r}, hours={self.hours:.1f})"
        )


def forecast(
    n_records: int,
    files_per_record: float = 1,
    target: str | Sequence[RateLimit] | None = "zenodo",
    *,
    api: str = "legacy",
    overhead: float = 0.0,
    failure_rate: float = 0.0,
    pause_fraction: float = 0.0,
    concurrency: int | None = None,
    request_seconds: float | None = None,
) -> Forecast:
    """Forecast a batch's duration at a target's documented rate limits.

    Parameters
    ----------
    n_records
        Records to publish.
    files_per_record
        Files per record (a mean is fine).
    target
        A target name (``"zenodo"``, ``"zenodo-sandbox"``, ``"embedded"``), an
        InvenioRDM URL (InvenioRDM's default limits, the same as Zenodo's), a
        limit spec such as ``"100/minute;5000/hour"``, a sequence of
        :class:`~specpub.sandbox.config.RateLimit`, or ``None`` (no limit).
    api
        ``"legacy"`` or ``"native"`` (see :func:`requests_per_record`).
    overhead
        Extra requests per happy-path request: retries, reconcile searches,
        GETs after ambiguous outcomes (a rehearsal measures it; ``0.05`` = 5 %).
    failure_rate
        Fraction of records that fail for good in one pass and are run again
        once (their requests are paid twice).
    pause_fraction
        Fraction of wall time lost to outages / breaker pauses (``0 <= x < 1``).
    concurrency, request_seconds
        If both are given, a latency bound is added: at most ``concurrency``
        requests in flight, each taking ``request_seconds``.

    Returns
    -------
    Forecast

    Examples
    --------
    >>> f = forecast(281_372, 1, "zenodo")
    >>> f.total_requests, round(f.days, 2)
    (844116, 7.0)
    >>> forecast(10, 1, "100/minute").seconds  # 30 requests fit in one window
    0.0
    >>> round(forecast(1000, 1, None, concurrency=4, request_seconds=0.5).hours, 3)
    0.104
    """
    if n_records < 0:
        raise ValueError("n_records must be >= 0")
    if overhead < 0 or failure_rate < 0 or not 0 <= pause_fraction < 1:
        raise ValueError("overhead and failure_rate must be >= 0, pause_fraction in [0, 1)")
    base = requests_per_record(files_per_record, api)
    effective = base * (1.0 + overhead) * (1.0 + failure_rate)
    total = math.ceil(n_records * effective - 1e-9)
    limits = _resolve_limits(target)
    bounds: dict[str, float] = {}
    for limit in limits:
        # Moving window: request R may leave at floor((R-1)/count) * window.
        bounds[_limit_label(limit)] = (
            math.floor((total - 1) / limit.count) * limit.seconds if total > 0 else 0.0
        )
    if concurrency and request_seconds:
        bounds["latency"] = total * request_seconds / concurrency
    if bounds:
        bottleneck = max(bounds, key=lambda k: bounds[k])
        busy = bounds[bottleneck]
    else:
        bottleneck, busy = "none", 0.0
    seconds = busy / (1.0 - pause_fraction)
    if limits or "latency" in bounds:
        # The sustained pace, from the tightest long-run rate (not the burst).
        rates = [lim.count / lim.seconds for lim in limits]
        if "latency" in bounds:
            rates.append(concurrency / request_seconds)  # type: ignore[operator]
        rate = min(rates) * (1.0 - pause_fraction)
        per_hour = rate * 3600.0 / effective if effective else math.inf
    else:
        per_hour = math.inf
    return Forecast(
        n_records=n_records,
        files_per_record=files_per_record,
        api=api,
        requests_per_record=base,
        effective_requests_per_record=effective,
        total_requests=total,
        limits=tuple(_limit_label(lim) for lim in limits),
        bottleneck=bottleneck,
        seconds=seconds,
        records_per_hour=per_hour,
        overhead=overhead,
        failure_rate=failure_rate,
        pause_fraction=pause_fraction,
        bounds=bounds,
    )
