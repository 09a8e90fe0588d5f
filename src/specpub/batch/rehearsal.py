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
import random
import secrets
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from specpub._display import FrameResult
from specpub.batch.pacing import DOCUMENTED_LIMITS as _PACER_LIMITS
from specpub.sandbox.config import RateLimit, parse_rate_limits

__all__ = [
    "DOCUMENTED_LIMITS",
    "Forecast",
    "Rehearsal",
    "forecast",
    "rehearse",
    "rehearse_async",
    "requests_per_record",
    "scale_limits",
]


def _documented(name: str) -> tuple[tuple[RateLimit, ...], tuple[RateLimit, ...]]:
    general, search = _PACER_LIMITS[name]
    return (
        tuple(RateLimit(lim.count, lim.seconds) for lim in general),
        tuple(RateLimit(lim.count, lim.seconds) for lim in search),
    )


#: Documented limits per target name: (global limits, search limits), as the pacer's
#: table (:data:`specpub.batch.pacing.DOCUMENTED_LIMITS`) holds them. zenodo.org:
#: authenticated 100/min and 5000/h, search 30/min (zenodo-api.md §1.9). The sandbox's
#: limits are not documented separately; the production numbers are assumed. A
#: rehearsal on the embedded repository rehearses zenodo.org, so it gets those too.
DOCUMENTED_LIMITS: dict[str, tuple[tuple[RateLimit, ...], tuple[RateLimit, ...]]] = {
    "zenodo": _documented("zenodo"),
    "zenodo-sandbox": _documented("zenodo-sandbox"),
    "embedded": _documented("zenodo"),
}


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


# ----------------------------------------------------------------- rehearsal
def scale_limits(limits: Sequence[Any], time_scale: float) -> tuple[RateLimit, ...]:
    """Compress every window by ``time_scale`` (``60``: 5000/hour becomes 5000/minute).

    Examples
    --------
    >>> scale_limits(parse_rate_limits("100/minute;5000/hour"), 60)
    (RateLimit(count=100, seconds=1.0), RateLimit(count=5000, seconds=60.0))
    """
    if time_scale <= 0:
        raise ValueError("time_scale must be > 0")
    return tuple(RateLimit(int(lim.count), float(lim.seconds) / time_scale) for lim in limits)


def _target_limits(target: str) -> tuple[tuple[RateLimit, ...], tuple[RateLimit, ...]]:
    if target in DOCUMENTED_LIMITS:
        return DOCUMENTED_LIMITS[target]
    try:
        from specpub.repository import resolve_target

        t = resolve_target(target)
        return (
            tuple(RateLimit(r.count, r.seconds) for r in t.rate_limits),
            tuple(RateLimit(r.count, r.seconds) for r in t.search_rate_limits),
        )
    except Exception:  # e.g. a URL that fails validation: assume Zenodo's numbers
        return DOCUMENTED_LIMITS["zenodo"]


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
    attempts: int = 0
    failed_attempts: int = 0

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
        data = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "forecast"}
        data["folder"] = str(self.folder)
        data["forecast"] = self.forecast.to_dict()
        return data

    def __repr__(self) -> str:
        return (
            f"Rehearsal(batch={self.batch}, sample={self.sample}, "
            f"per_record={self.requests_per_record:.2f}, forecast_hours={self.forecast.hours:.1f})"
        )


async def rehearse_async(
    workspace: Any,
    *,
    batch: int | None = None,
    sample: int = 200,
    target: Any = "zenodo",
    faults: str | None = "icedig-2019",
    time_scale: float = 60.0,
    concurrency: int = 8,
    api: str | None = None,
    seed: int = 0,
    progress: Any = None,
) -> Rehearsal:
    """Run a sample of a batch on the embedded sandbox and forecast the real run (async).

    The sample's records (payloads and files, as planned) are copied into a
    separate rehearsal ledger under ``WS/rehearsal/<time>/``; the real ledger
    is not touched. An embedded sandbox is started there with the target's
    documented limits divided in time by ``time_scale`` and the fault profile
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
        Whose limits to apply: ``zenodo``, ``zenodo-sandbox``, a URL, or a
        limit spec (``"100/minute;5000/hour"``).
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
    >>> import tempfile
    >>> from specpub.workspace import Workspace
    >>> import asyncio
    >>> asyncio.run(rehearse_async(Workspace.create(tempfile.mkdtemp())))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: ...nothing is planned in this workspace. Fix: plan records first...
    """
    from specpub import sandbox
    from specpub.batch.ledger import Ledger
    from specpub.batch.pacing import Pacer
    from specpub.batch.report import build_report
    from specpub.batch.retry import CircuitBreaker, RetryPolicy
    from specpub.batch.runner import run_batch_async
    from specpub.errors import InputError
    from specpub.repository import open_client

    with Ledger.for_workspace(workspace) as led:
        batch = led.latest_batch(batch)
        info = led.batch(batch)
        api = api or info.api
        all_ids = led.record_ids(batch=batch)
        population = len(all_ids)
        chosen = sorted(random.Random(seed).sample(all_ids, min(sample, population)))
        specs = []
        for rid in chosen:
            rec = led.record(rid)
            files = [
                {"key": f.key, "path": f.path, "size": f.size, "mtime": f.mtime, "md5": f.md5,
                 "sha256": f.sha256}
                for f in led.record_files(rid)
            ]  # fmt: skip
            specs.append((rec.marker, led.payload(rid), files, rec.title))
    if not specs:
        raise InputError(f"batch {batch} has no records to rehearse", field="batch")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + f"-{secrets.token_hex(3)}"
    folder = Path(workspace.root) / "rehearsal" / stamp
    folder.mkdir(parents=True, exist_ok=True)
    rled = Ledger.open(folder / "ledger.sqlite")
    try:
        rb = rled.create_batch(
            target="embedded", api=api, label=f"rehearsal of batch {batch}",
            settings={"rehearsal_of": batch, "faults": faults, "time_scale": time_scale},
        )  # fmt: skip
        for marker, payload, files, title in specs:
            rled.add_record(rb, marker, payload=payload, files=files, title=title)
        general, search = (
            (parse_rate_limits(target), ())
            if "/" in target and not target.startswith(("http://", "https://"))
            else _target_limits(target)
        )
        scaled, scaled_search = scale_limits(general, time_scale), scale_limits(search, time_scale)
        with sandbox.running(
            folder / "sandbox",
            faults=faults,
            rate_limit=scaled or None,
            search_rate_limit=scaled_search or None,
            seed=seed,
        ) as sb:
            pacer = Pacer(scaled, scaled_search)
            # Client-side waits are compressed like the limits: back-off and
            # breaker probes of a real run last time_scale times longer.
            default_retry, default_breaker = RetryPolicy(), CircuitBreaker()
            retry = replace(
                default_retry,
                base=default_retry.base / time_scale,
                cap=default_retry.cap / time_scale,
                resolve_timeout=max(2.0, default_retry.resolve_timeout / time_scale),
            )
            breaker = CircuitBreaker(
                window=max(1.0, default_breaker.window / time_scale),
                probe_initial=default_breaker.probe_initial / time_scale,
                probe_max=default_breaker.probe_max / time_scale,
            )

            # the sandbox's own token goes straight to the client (no os.environ)
            client = open_client(
                sb, api=api, on_response=pacer.on_response, concurrency=concurrency
            )
            t0 = time.monotonic()
            try:
                run_result = await run_batch_async(
                    rled, client, batch=rb, concurrency=concurrency, pacer=pacer,
                    progress=progress, seed=seed, retry=retry, breaker=breaker,
                )  # fmt: skip
            finally:
                await client.aclose()
            elapsed = time.monotonic() - t0
        events = rled.events(batch=rb)
        report = build_report(rled.records(batch=rb), events, batch_id=f"rehearsal-{batch}")
        report.write(folder)
        files_per_record = sum(len(f) for _, _, f, _ in specs) / len(specs)
    finally:
        rled.close()
    n = len(specs)
    s = report.stats
    base = requests_per_record(files_per_record, api)
    # HTTP requests per record, without the preflight listing of the (empty) sandbox:
    # the real run's listing depends on what the real account holds
    per_record = (s["requests"] - run_result.preflight_requests) / n
    overhead = max(0.0, per_record / base - 1.0)
    failure_rate = (n - s["published"]) / n
    pause_fraction = min(0.9, s["outage_pause_s"] / elapsed) if elapsed > 0 else 0.0
    measured = (s["published"] / elapsed * 3600.0 / time_scale) if elapsed > 0 else 0.0
    fc = forecast(
        population,
        files_per_record,
        target if target in DOCUMENTED_LIMITS or "/" in target else "zenodo",
        api=api,
        overhead=overhead,
        failure_rate=failure_rate,
        # Outage pauses are events of the fault profile (fixed seconds), not a
        # rate: they are reported, not extrapolated to the full run.
        pause_fraction=0.0,
    )
    return Rehearsal(
        batch=batch,
        sample=n,
        population=population,
        target=target,
        faults=faults,
        time_scale=time_scale,
        published=s["published"],
        failed=s["failed"],
        pending=n - s["published"] - s["failed"],
        requests=s["requests"] - run_result.preflight_requests,
        requests_per_record=per_record,
        base_requests_per_record=base,
        overhead=overhead,
        failure_rate=failure_rate,
        pause_fraction=pause_fraction,
        elapsed=elapsed,
        rate_limit_wait=s["rate_limit_wait_s"],
        measured_records_per_hour=measured,
        forecast=fc,
        folder=folder,
        errors=report.to_json()["errors"],
        attempts=s["attempts"],
        failed_attempts=s["failed_attempts"],
    )


def rehearse(workspace: Any, **kwargs: Any) -> Rehearsal:
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
