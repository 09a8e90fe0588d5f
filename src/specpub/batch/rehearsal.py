"""Rehearse a batch on the embedded sandbox and forecast the real run.

Two things live here:

:func:`forecast`
    A pure model: how long will ``n_records`` records of ``files_per_record``
    files take against a target's *documented* rate limits? Each request path
    costs a known number of requests per record (legacy: create + one bucket
    PUT per file + publish = ``2 + F``; native: create + F inits + F content
    PUTs + F commits + publish = ``2 + 3F``). Every moving-window limit
    ``count / window`` bounds the run: the *R*-th request cannot leave before
    ``floor((R - 1) / count) * window`` seconds. The slowest limit is the
    bottleneck. Measured overheads (retries, reconcile searches, records that
    failed and are run again, breaker pauses) stretch the estimate.

:func:`rehearse`
    Runs (a sample of) the planned batch against the embedded sandbox started
    with the target's limits *scaled in time* (``time_scale=60`` turns
    5000/hour into 5000/minute) and a fault profile, measures requests per
    record, retry overhead and failure rate from the rehearsal ledger's events,
    and feeds them to :func:`forecast` at the real, unscaled limits. It also
    records what each request cost per worker (a trace), which
    :meth:`Rehearsal.scaled_forecast` replays through the *scaled* windows
    (:mod:`specpub.batch._replay`): compressed in time, the workers' own
    seconds (latency, back-offs, waits for the search index) count too, and
    the closed form alone under-forecast a faulty run by a fifth.

Examples
--------
>>> f = forecast(281_372, 1, "zenodo")
>>> f.requests_per_record, f.bottleneck
(3, '5000/hour')
>>> round(f.hours)  # 168 h at the limits, +1 % of safety margin
170
"""

from __future__ import annotations

import math
import random
import secrets
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from specpub._display import FrameResult
from specpub.batch._replay import Trace, TracingPacer, replay
from specpub.batch.pacing import DEFAULT_MARGIN, DEFAULT_SLACK, EXACT_UP_TO
from specpub.limits import RateLimit, as_rate_limits, parse_rate_limits, scale_rate_limits
from specpub.progress import ProgressSpec
from specpub.repository.targets import RunningRepository, Target, resolve_target

if TYPE_CHECKING:  # pragma: no cover
    from specpub.batch.ledger import Ledger
    from specpub.batch.report import BatchReport
    from specpub.batch.retry import CircuitBreaker, RetryPolicy
    from specpub.workspace import Workspace

__all__ = [
    "Forecast",
    "Rehearsal",
    "forecast",
    "rehearse",
    "rehearse_async",
    "requests_per_record",
    "scaled_policies",
]

#: Whose limits a forecast or a rehearsal uses: a target (name, URL, :class:`Target`,
#: running handle), a limit spec such as ``"100/minute;5000/hour"``, limits, or ``None``.
LimitsSource = str | Target | RunningRepository | Sequence[RateLimit] | None


def requests_per_record(files_per_record: float = 1, api: str = "legacy") -> float:
    """Requests one record costs on the happy path.

    Parameters
    ----------
    files_per_record
        Files per record (may be a mean, e.g. ``1.3``).
    api
        ``"legacy"``: create (with metadata) + one bucket PUT per file +
        publish, ``2 + F``. ``"native"``: create + init, content PUT and
        commit per file + publish, ``2 + 3F`` (as :mod:`specpub.batch.runner` sends).

    Examples
    --------
    >>> requests_per_record(1), requests_per_record(2, "native")
    (3, 8)
    """
    if files_per_record < 0:
        raise ValueError("files_per_record must be >= 0")
    if api == "legacy":
        n = 2 + files_per_record
    elif api == "native":
        n = 2 + 3 * files_per_record
    else:
        raise ValueError(f"api must be 'legacy' or 'native', not {api!r}")
    return int(n) if float(n).is_integer() else float(n)


def _is_spec(text: str) -> bool:
    return "/" in text and not text.strip().lower().startswith(("http://", "https://"))


def target_limits(source: LimitsSource) -> tuple[tuple[RateLimit, ...], tuple[RateLimit, ...]]:
    """The (general, search) limits of a target, a limit spec or a list of limits.

    A target's limits are the ones it carries (documented for zenodo.org,
    InvenioRDM's defaults for any other InvenioRDM: see
    :mod:`specpub.repository.targets`); a spec or list has no search limits.

    Examples
    --------
    >>> target_limits("zenodo")[1]
    (RateLimit(count=30, seconds=60.0),)
    >>> target_limits("10/second")
    ((RateLimit(count=10, seconds=1.0),), ())
    """
    if source is None:
        return (), ()
    if isinstance(source, str) and _is_spec(source):
        return parse_rate_limits(source), ()
    if isinstance(source, str | Target | RunningRepository):
        target = resolve_target(source, need_url=False)
        return target.rate_limits, target.search_rate_limits
    return as_rate_limits(source), ()


def _target_label(source: LimitsSource) -> str:
    if source is None:
        return "no limits"
    if isinstance(source, str) and _is_spec(source):
        return source
    if isinstance(source, str | Target | RunningRepository):
        return resolve_target(source, need_url=False).name
    return ";".join(str(lim) for lim in as_rate_limits(source)) or "no limits"


@dataclass(frozen=True)
class Forecast(FrameResult):
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
        bottleneck 5000/hour: 5.1 h (0.21 days), 1,650 records/hour.
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
    target: LimitsSource = "zenodo",
    *,
    api: str = "legacy",
    overhead: float = 0.0,
    failure_rate: float = 0.0,
    pause_fraction: float = 0.0,
    concurrency: int | None = None,
    request_seconds: float | None = None,
    margin: float = DEFAULT_MARGIN,
    slack: float = DEFAULT_SLACK,
    fixed_seconds: float = 0.0,
) -> Forecast:
    """Forecast a batch's duration at a target's documented rate limits.

    Parameters
    ----------
    n_records
        Records to publish.
    files_per_record
        Files per record (a mean is fine).
    target
        A target (``"zenodo"``, ``"zenodo-sandbox"``, ``"embedded"``, an
        InvenioRDM URL, a :class:`~specpub.repository.Target`): the limits it
        carries; or a limit spec such as ``"100/minute;5000/hour"``, a
        sequence of :class:`~specpub.limits.RateLimit`, or ``None`` (no limit).
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
        requests in flight, each taking ``request_seconds``. ``request_seconds``
        alone also lengthens the windows the pacer counts by answer time.
    margin, slack
        How much the pacer stretches every window (its defaults; 0 and 0 give
        the limits' own bound).
    fixed_seconds
        Seconds outside the paced requests, added as they are: the runner's
        preflight before the first record and its settling after the last
        (a rehearsal measures them).

    Returns
    -------
    Forecast

    Examples
    --------
    >>> f = forecast(281_372, 1, "zenodo")
    >>> f.total_requests, round(f.days, 2)
    (844116, 7.07)
    >>> forecast(10, 1, "100/minute").seconds  # 30 requests fit in one window
    0.0
    >>> round(forecast(1000, 1, None, concurrency=4, request_seconds=0.5).hours, 3)
    0.104
    """
    if n_records < 0:
        raise ValueError("n_records must be >= 0")
    if overhead < 0 or failure_rate < 0 or fixed_seconds < 0 or not 0 <= pause_fraction < 1:
        raise ValueError(
            "overhead, failure_rate and fixed_seconds must be >= 0, pause_fraction in [0, 1)"
        )
    base = requests_per_record(files_per_record, api)
    effective = base * (1.0 + overhead) * (1.0 + failure_rate)
    total = math.ceil(n_records * effective - 1e-9)
    limits = target_limits(target)[0]
    bounds: dict[str, float] = {}
    for limit in limits:
        # Moving window: request R may leave at floor((R-1)/count) * window, the window as
        # the pacer keeps it (stretched; short ones counted from each request's answer).
        window = limit.seconds * (1.0 + margin) + slack
        if request_seconds and limit.count <= EXACT_UP_TO:
            window += request_seconds
        # ... and the last one is answered a request's time later
        last = math.floor((total - 1) / limit.count) * window + (request_seconds or 0.0)
        bounds[str(limit)] = last if total > 0 else 0.0
    if concurrency and request_seconds:
        bounds["latency"] = total * request_seconds / concurrency
    if bounds:
        bottleneck = max(bounds, key=lambda k: bounds[k])
        busy = bounds[bottleneck]
    else:
        bottleneck, busy = "none", 0.0
    seconds = busy / (1.0 - pause_fraction) + fixed_seconds
    if limits or "latency" in bounds:
        # The sustained pace, from the tightest long-run rate (not the burst).
        rates = [lim.count / (lim.seconds * (1.0 + margin) + slack) for lim in limits]
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
        limits=tuple(str(lim) for lim in limits),
        bottleneck=bottleneck,
        seconds=seconds,
        records_per_hour=per_hour,
        overhead=overhead,
        failure_rate=failure_rate,
        pause_fraction=pause_fraction,
        bounds=bounds,
    )


# ----------------------------------------------------------------- rehearsal
@dataclass
class Rehearsal(FrameResult):
    """What a rehearsal measured, and the forecast it leads to.

    Attributes
    ----------
    batch, sample, population
        The batch rehearsed, the records run, and the batch's size.
    target, faults, time_scale
        The target whose limits were applied (scaled), the fault profile.
    published, failed, pending
        Outcome of the sample.
    requests
        HTTP requests sent for the records (every kind: creates, uploads,
        publishes, searches, GETs, retries; the preflight listing of the empty
        sandbox left out).
    requests_per_record
        ``requests / sample``.
    attempts, failed_attempts
        The runner's request attempts and how many failed: the error mix
        (``errors``) is the make-up of these failed attempts, and
        :attr:`attempt_failure_rate` their share.
    base_requests_per_record
        What the happy path costs (:func:`requests_per_record`).
    overhead, failure_rate, pause_fraction
        Measured: extra requests per happy-path request, records not
        published after the run, share of wall time in outage pauses. The
        first two feed the forecast; the pause share does not (a fault
        profile's outages last fixed seconds: they are events, not a rate).
    elapsed, rate_limit_wait
        Wall seconds of the scaled run, and how much of it was rate-limit waits.
    measured_records_per_hour
        The sample's pace converted back to real time (``/ time_scale``).
        Only meaningful while the scaled limits, not the sandbox's own
        latency (which is not scaled), set the pace: keep ``time_scale``
        moderate (60) and the sample large enough for the limits to bind.
    forecast
        :func:`forecast` for the whole batch at the target's real limits.
    folder
        Where the rehearsal ledger, sandbox data and report are.
    limits, files_per_record, api, request_seconds, concurrency
        The target's (unscaled) limits, the sample's mean files per record, the
        API rehearsed, the median request duration measured, and the requests
        in flight (what :meth:`scaled_forecast` needs).
    trace
        What each request of the scaled run cost, per worker
        (:class:`~specpub.batch._replay.Trace`): :meth:`scaled_forecast`
        replays it.

    Examples
    --------
    >>> {"requests_per_record", "overhead", "forecast"} <= set(Rehearsal.__dataclass_fields__)
    True
    """

    batch: int
    sample: int
    population: int
    target: str
    faults: str | None
    time_scale: float
    published: int
    failed: int
    pending: int
    requests: int
    requests_per_record: float
    base_requests_per_record: float
    overhead: float
    failure_rate: float
    pause_fraction: float
    elapsed: float
    rate_limit_wait: float
    measured_records_per_hour: float
    forecast: Forecast
    folder: Path
    errors: list[dict[str, Any]] = field(default_factory=list)
    limits: tuple[RateLimit, ...] = ()
    search_limits: tuple[RateLimit, ...] = ()
    files_per_record: float = 1.0
    api: str = "legacy"
    request_seconds: float = 0.0
    concurrency: int = 8
    attempts: int = 0
    failed_attempts: int = 0
    trace: Trace | None = field(default=None, repr=False)

    @property
    def attempt_failure_rate(self) -> float:
        """Failed request attempts / attempts (what the error mix is a breakdown of).

        Examples
        --------
        >>> Rehearsal.attempt_failure_rate.fget(type("R", (), {"attempts": 40,
        ...                                                     "failed_attempts": 2})())
        0.05
        """
        return self.failed_attempts / self.attempts if self.attempts else 0.0

    def scaled_forecast(self, n_records: int | None = None, *, seed: int = 0) -> Forecast:
        """The forecast at the rehearsal's time-scaled limits.

        What a real run of ``n_records`` (default: the whole batch) against an
        embedded repository with the same scaled limits and faults should
        take: the rehearsal's check on itself.

        Compressed in time, the limits are no longer the only bound: the
        workers' own seconds (request latency, bookkeeping, back-offs, waits
        for the search index after a lost answer) are not compressed, and a
        window slot no worker is ready for is lost. So the measured
        :attr:`trace` is replayed through the scaled windows
        (:func:`~specpub.batch._replay.replay`, bound ``"replay"``), plus the
        measured preflight and settling; the closed-form bounds stay in
        ``bounds`` for comparison. Without a trace, the closed form alone.

        Examples
        --------
        >>> reh = Rehearsal.__new__(Rehearsal)
        >>> reh.limits, reh.time_scale, reh.files_per_record = (RateLimit(100, 60.0),), 60, 1
        >>> reh.population, reh.api, reh.overhead, reh.failure_rate = 997, "legacy", 0.0, 0.0
        >>> reh.request_seconds, reh.concurrency = 0.0, 8
        >>> round(reh.scaled_forecast().seconds, 2)  # 29 windows of 1.03 s
        29.87
        """
        n = self.population if n_records is None else n_records
        limits = scale_rate_limits(self.limits, self.time_scale)
        closed = forecast(
            n,
            self.files_per_record,
            limits,
            api=self.api,
            overhead=self.overhead,
            failure_rate=self.failure_rate,
            request_seconds=self.request_seconds or None,
            concurrency=self.concurrency,
        )
        trace = getattr(self, "trace", None)
        if trace is None or not trace.workers:
            return closed
        search = scale_rate_limits(getattr(self, "search_limits", ()), self.time_scale)
        busy = replay(
            trace, n, limits, search, concurrency=self.concurrency, margin=DEFAULT_MARGIN,
            slack=DEFAULT_SLACK, seed=seed,
        )  # fmt: skip
        seconds = trace.startup + busy + trace.tail
        slowest = max(closed.bounds.values(), default=0.0)
        return replace(
            closed,
            seconds=seconds,
            # the workers set the pace when the replay is clearly slower than every bound
            bottleneck="workers" if busy > 1.05 * slowest else closed.bottleneck,
            records_per_hour=n / seconds * 3600.0 if seconds > 0 else math.inf,
            bounds={**closed.bounds, "replay": busy},
        )

    def summary(self) -> str:
        """A few lines for people."""
        f = self.forecast
        lines = [
            f"rehearsal of batch {self.batch}: {self.sample} of {self.population:,} records on "
            f"the embedded sandbox at {self.target}'s limits x{self.time_scale:g}, faults "
            f"{self.faults or 'none'}",
            f"  {self.published} published, {self.failed} failed, {self.pending} pending in "
            f"{self.elapsed:.1f} s ({self.rate_limit_wait:.1f} s rate-limit waits, "
            f"{self.pause_fraction * self.elapsed:.1f} s outage pauses)",
            f"  {self.requests} requests = {self.requests_per_record:.2f} per record "
            f"(happy path {self.base_requests_per_record:g}; overhead {100 * self.overhead:.1f} %)"
            f"; records not published {100 * self.failure_rate:.1f} %",
            f"  measured pace, scaled back: {self.measured_records_per_hour:,.0f} records/hour",
            f"  forecast for all {f.n_records:,} records: {f.hours:,.1f} h ({f.days:.2f} days), "
            f"bottleneck {f.bottleneck}, {f.records_per_hour:,.0f} records/hour",
        ]
        lines.append(
            f"  {self.failed_attempts} of {self.attempts} request attempts failed "
            f"({100 * self.attempt_failure_rate:.1f} %)"
            + (
                "; by status: "
                + ", ".join(f"{e['status']} {e['percent']:g} %" for e in self.errors)
                if self.errors
                else ""
            )
        )
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """What was measured and forecast, one row per measure (``measure``, ``value``).

        Examples
        --------
        >>> "forecast_hours" in Rehearsal.__doc__ or True
        True
        """
        f = self.forecast
        rows = {
            "sample": self.sample,
            "published": self.published,
            "failed": self.failed,
            "requests_per_record": self.requests_per_record,
            "overhead": self.overhead,
            "failure_rate": self.failure_rate,
            "elapsed_s": self.elapsed,
            "rate_limit_wait_s": self.rate_limit_wait,
            "forecast_records": f.n_records,
            "forecast_hours": f.hours,
            "forecast_days": f.days,
            "forecast_bottleneck": f.bottleneck,
        }
        return pd.DataFrame({"measure": list(rows), "value": list(rows.values())})

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        skip = ("forecast", "trace")
        data = {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in skip}
        data["folder"] = str(self.folder)
        data["limits"] = [str(lim) for lim in self.limits]
        data["search_limits"] = [str(lim) for lim in self.search_limits]
        if self.trace is not None:
            data["startup_seconds"] = self.trace.startup
            data["tail_seconds"] = self.trace.tail
        data["forecast"] = self.forecast.to_dict()
        return data

    def __repr__(self) -> str:
        return (
            f"Rehearsal(batch={self.batch}, sample={self.sample}, "
            f"per_record={self.requests_per_record:.2f}, forecast_hours={self.forecast.hours:.1f})"
        )


@dataclass(frozen=True)
class _Sample:
    """The records of a batch chosen for a rehearsal, copied out of the real ledger."""

    batch: int
    api: str
    population: int
    records: list[tuple[Any, dict[str, Any], list[dict[str, Any]], str | None]]

    @property
    def files_per_record(self) -> float:
        return sum(len(files) for _, _, files, _ in self.records) / len(self.records)


def _draw_sample(
    workspace: Workspace, batch: int | None, size: int, api: str | None, seed: int
) -> _Sample:
    """A seeded random sample of ``batch`` (marker, payload, files, title per record)."""
    from specpub.batch.ledger import Ledger
    from specpub.errors import InputError

    with Ledger.for_workspace(workspace) as led:
        batch = led.latest_batch(batch)
        all_ids = led.record_ids(batch=batch)
        chosen = sorted(random.Random(seed).sample(all_ids, min(size, len(all_ids))))
        records = []
        for rid in chosen:
            rec = led.record(rid)
            files = [
                {"key": f.key, "path": f.path, "size": f.size, "mtime": f.mtime, "md5": f.md5,
                 "sha256": f.sha256}
                for f in led.record_files(rid)
            ]  # fmt: skip
            records.append((rec.marker, led.payload(rid), files, rec.title))
        api = api or led.batch(batch).api
    if not records:
        raise InputError(f"batch {batch} has no records to rehearse", field="batch")
    return _Sample(batch, api, len(all_ids), records)


def _rehearsal_ledger(
    folder: Path, sample: _Sample, settings: dict[str, Any]
) -> tuple[Ledger, int]:
    """A separate ledger under ``folder`` holding the sample as one batch."""
    from specpub.batch.ledger import Ledger

    ledger = Ledger.open(folder / "ledger.sqlite")
    batch = ledger.create_batch(
        target="embedded", api=sample.api, label=f"rehearsal of batch {sample.batch}",
        settings=settings,
    )  # fmt: skip
    for marker, payload, files, title in sample.records:
        ledger.add_record(batch, marker, payload=payload, files=files, title=title)
    return ledger, batch


async def _run_scaled(
    ledger: Ledger,
    batch: int,
    folder: Path,
    *,
    api: str,
    limits: tuple[RateLimit, ...],
    search_limits: tuple[RateLimit, ...],
    time_scale: float,
    faults: str | None,
    concurrency: int,
    seed: int,
    progress: ProgressSpec,
) -> tuple[float, int, Trace]:
    """Publish the rehearsal batch to a private embedded repository at scaled limits.

    The repository enforces the target's limits divided in time by
    ``time_scale``; the runner is paced at exactly those limits, and its
    retry back-off and breaker probes are compressed the same way (a real
    run waits ``time_scale`` times longer). Returns the elapsed seconds, the
    requests of the runner's preflight listing (of the empty repository: a real
    account's depends on what it holds) and the measured :class:`Trace`.
    """
    import asyncio

    from specpub import sandbox
    from specpub.batch.runner import run_batch_async
    from specpub.repository import open_client

    retry, breaker = scaled_policies(time_scale)
    with sandbox.running(
        folder / "sandbox",
        faults=faults,
        rate_limit=scale_rate_limits(limits, time_scale),
        search_rate_limit=scale_rate_limits(search_limits, time_scale),
        seed=seed,
    ) as repo:
        # the handle carries the scaled limits and its own token (no os.environ)
        pacer = TracingPacer.for_target(repo)
        client = open_client(repo, api=api, on_response=pacer.on_response, concurrency=concurrency)
        t0 = time.monotonic()
        try:
            result = await run_batch_async(
                ledger, client, batch=batch, concurrency=concurrency, pacer=pacer,
                progress=progress, seed=seed, retry=retry, breaker=breaker,
            )  # fmt: skip
        finally:
            await client.aclose()
        t1 = time.monotonic()
        trace = pacer.trace(
            main_task=id(asyncio.current_task()), start=t0, end=t1,
            records=len(ledger.record_ids(batch=batch)), workers=concurrency,
        )  # fmt: skip
        return t1 - t0, result.preflight_requests, trace


def scaled_policies(time_scale: float) -> tuple[RetryPolicy, CircuitBreaker]:
    """The runner's retry back-off and circuit breaker with every wait divided by ``time_scale``.

    A run against time-compressed limits compresses its client-side waits the
    same way, so that it stays a scale model of the real run.

    Examples
    --------
    >>> retry, breaker = scaled_policies(60)
    >>> retry.base, retry.cap
    (0.008333333333333333, 0.5)
    """
    from specpub.batch.retry import CircuitBreaker, RetryPolicy

    retry, breaker = RetryPolicy(), CircuitBreaker()
    retry = replace(
        retry,
        base=retry.base / time_scale,
        cap=retry.cap / time_scale,
        resolve_timeout=max(2.0, retry.resolve_timeout / time_scale),
    )
    breaker = CircuitBreaker(
        window=max(1.0, breaker.window / time_scale),
        probe_initial=breaker.probe_initial / time_scale,
        probe_max=breaker.probe_max / time_scale,
    )
    return retry, breaker


@dataclass(frozen=True)
class _Measured:
    """What the rehearsal ledger's events say, per record of the sample."""

    published: int
    failed: int
    requests: int
    attempts: int
    failed_attempts: int
    per_record: float
    base: float
    overhead: float
    failure_rate: float
    pause_fraction: float
    rate_limit_wait: float
    errors: list[dict[str, Any]]
    request_seconds: float

    @classmethod
    def from_report(
        cls,
        report: BatchReport,
        events: pd.DataFrame,
        n: int,
        base: float,
        elapsed: float,
        preflight: int,
    ) -> _Measured:
        s = report.stats
        # HTTP requests per record, without the preflight listing of the (empty) sandbox
        # (the real run's listing depends on what the real account holds) and without
        # the index check's marker searches (one per chunk of 50 records plus one per
        # search that finds the index behind: the real repository's lag, not the
        # sandbox's, decides; a sample of 10 would count one search per 10 records)
        requests = s["requests"] - preflight - s.get("check_requests", 0)
        per_record = requests / n
        durations = events.loc[events["kind"] == "request", "duration"].dropna()
        return cls(
            published=s["published"],
            failed=s["failed"],
            requests=requests,
            attempts=s["attempts"],
            failed_attempts=s["failed_attempts"],
            per_record=per_record,
            base=base,
            overhead=max(0.0, per_record / base - 1.0),
            failure_rate=(n - s["published"]) / n,
            pause_fraction=min(0.9, s["outage_pause_s"] / elapsed) if elapsed > 0 else 0.0,
            rate_limit_wait=s["rate_limit_wait_s"],
            errors=report.to_json()["errors"],
            request_seconds=float(durations.median()) if len(durations) else 0.0,
        )


async def rehearse_async(
    workspace: Workspace,
    *,
    batch: int | None = None,
    sample: int = 200,
    target: LimitsSource = "zenodo",
    faults: str | None = "icedig-2019",
    time_scale: float = 60.0,
    concurrency: int = 8,
    api: str | None = None,
    seed: int = 0,
    progress: ProgressSpec = None,
) -> Rehearsal:
    """Run a sample of a batch on the embedded sandbox and forecast the real run (async).

    The sample's records (payloads and files, as planned) are copied into a
    separate rehearsal ledger under ``WS/rehearsal/<time>/``; the real ledger
    is not touched. An embedded sandbox is started there with the target's
    limits divided in time by ``time_scale`` and the fault profile
    ``faults``; the batch runner publishes the sample to it through the real
    client, paced at the same scaled limits, with its retry back-off and
    circuit-breaker probe intervals scaled the same way. (The fault profile's
    own outage durations are not scaled.) Requests per record, retry
    overhead, failure rate and pauses are measured from the rehearsal
    ledger's events and fed to :func:`forecast` at the real limits.

    Parameters
    ----------
    workspace
        The :class:`~specpub.workspace.Workspace` with a planned batch.
    batch
        The batch (default: the latest).
    sample
        Records to run (a seeded random sample; all if the batch is smaller).
    target
        Whose limits to apply: a target (``"zenodo"``, ``"zenodo-sandbox"``,
        an InvenioRDM URL, a :class:`~specpub.repository.Target`) or a limit
        spec (``"100/minute;5000/hour"``).
    faults
        A sandbox fault profile (``icedig-2019``, ``flaky``, ``lossy``,
        ``outage``) or ``None``.
    time_scale
        How much faster than real time (60: an hour of limits in a minute).
    concurrency, api, seed, progress
        Passed to the runner (``api`` defaults to the batch's).

    Returns
    -------
    Rehearsal

    Examples
    --------
    >>> import asyncio, tempfile
    >>> from specpub.workspace import Workspace
    >>> asyncio.run(rehearse_async(Workspace.create(tempfile.mkdtemp())))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: ...nothing is planned in this workspace. Fix: plan records first...
    """
    from specpub.batch.report import build_report

    limits, search_limits = target_limits(target)
    drawn = _draw_sample(workspace, batch, sample, api, seed)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + f"-{secrets.token_hex(3)}"
    folder = Path(workspace.root) / "rehearsal" / stamp
    folder.mkdir(parents=True, exist_ok=True)
    settings = {"rehearsal_of": drawn.batch, "faults": faults, "time_scale": time_scale}
    ledger, rb = _rehearsal_ledger(folder, drawn, settings)
    try:
        elapsed, preflight, trace = await _run_scaled(
            ledger, rb, folder, api=drawn.api, limits=limits, search_limits=search_limits,
            time_scale=time_scale, faults=faults, concurrency=concurrency, seed=seed,
            progress=progress,
        )  # fmt: skip
        events = ledger.events(batch=rb)
        report = build_report(ledger.records(batch=rb), events, batch_id=f"rehearsal-{drawn.batch}")
        report.write(folder)
    finally:
        ledger.close()
    n = len(drawn.records)
    base = requests_per_record(drawn.files_per_record, drawn.api)
    m = _Measured.from_report(report, events, n, base, elapsed, preflight)
    # Outage pauses are events of the fault profile (fixed seconds), not a rate:
    # they are reported, not extrapolated to the full run.
    fc = forecast(
        drawn.population, drawn.files_per_record, limits, api=drawn.api,
        overhead=m.overhead, failure_rate=m.failure_rate, request_seconds=m.request_seconds,
        fixed_seconds=trace.startup + trace.tail,
    )  # fmt: skip
    return Rehearsal(
        batch=drawn.batch,
        sample=n,
        population=drawn.population,
        target=_target_label(target),
        faults=faults,
        time_scale=time_scale,
        published=m.published,
        failed=m.failed,
        pending=n - m.published - m.failed,
        requests=m.requests,
        requests_per_record=m.per_record,
        base_requests_per_record=base,
        overhead=m.overhead,
        failure_rate=m.failure_rate,
        pause_fraction=m.pause_fraction,
        elapsed=elapsed,
        rate_limit_wait=m.rate_limit_wait,
        measured_records_per_hour=m.published / elapsed * 3600.0 / time_scale if elapsed else 0.0,
        forecast=fc,
        folder=folder,
        errors=m.errors,
        limits=limits,
        search_limits=search_limits,
        files_per_record=drawn.files_per_record,
        api=drawn.api,
        request_seconds=m.request_seconds,
        concurrency=concurrency,
        attempts=m.attempts,
        failed_attempts=m.failed_attempts,
        trace=trace,
    )


def rehearse(workspace: Workspace, **kwargs: Any) -> Rehearsal:
    """Synchronous :func:`rehearse_async` (also inside a running event loop, as in Jupyter).

    Examples
    --------
    >>> import tempfile
    >>> from specpub.workspace import Workspace
    >>> rehearse(Workspace.create(tempfile.mkdtemp()))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: ...nothing is planned in this workspace. Fix: plan records first...
    """
    from specpub._sync import run_sync

    return run_sync(lambda: rehearse_async(workspace, **kwargs), name="specpub-rehearsal")
