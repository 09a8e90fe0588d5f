"""Fault injection for the embedded repository: plans, named profiles, ASGI middleware.

A :class:`FaultPlan` lists explicit knobs; :class:`FaultInjector` applies one to
every request of the sandbox. Profiles register by name, as papermill's
engines do (:func:`register_fault_profile`, :func:`get_fault_profile`,
:func:`fault_profiles`).

What each knob does, in the order the injector applies them:

1. **Outage windows** (:class:`Outage`): during a window *every* request gets
   the window's status (503, or 404 as during Zenodo's database outage of
   16 May 2019). Nothing reaches the application.
2. **Latency**: ``latency`` seconds (± a uniform ``jitter``) before the request
   is handled.
3. **Errors before the application** (``errors``, status → fraction of requests,
   limited to the operation classes in ``error_operations``): the answer is
   that status and nothing is committed.
4. **Commit, then lose the answer** (``commit_then_drop``, ``commit_then_504``,
   ``commit_then_502``; operation → fraction): the application runs fully, its
   state is committed, then the client gets either a broken response (the real
   status and ``Content-Length``, half the body, then the connection closes:
   the client sees an incomplete read) or a 504/502 JSON error. These are the
   ambiguous outcomes a client must reconcile (``docs/zenodo-api.md`` §3).
5. **Upload bandwidth cap** (``upload_bandwidth``, bytes/s): the request body of
   ``upload`` operations is read no faster than that.

Operations are classified by method and path (:func:`classify`), for both APIs:

========  ==================================================================
create    ``POST /api/deposit/depositions``, ``POST /api/records``
upload    ``PUT /api/files/{bucket}/{key}``, ``POST /api/deposit/depositions/{id}/files``,
          ``POST /api/records/{id}/draft/files`` (init),
          ``PUT /api/records/{id}/draft/files/{key}/content``,
          ``POST /api/records/{id}/draft/files/{key}/commit``
publish   ``POST /api/deposit/depositions/{id}/actions/publish``,
          ``POST /api/records/{id}/draft/actions/publish``
lookup    every ``GET`` and ``HEAD`` (single records, files, searches)
other     everything else (metadata updates, deletes, edit, discard, ...)
========  ==================================================================

Every injected error body has the server's error shape, and 5xx bodies carry
an ``error_id`` like Zenodo's: ``{"status": 500, "message": ..., "error_id": ...}``.

Examples
--------
>>> plan = get_fault_profile("icedig-2019")
>>> round(sum(plan.errors.values()) + sum(plan.commit_then_504.values()) / 3
...       + sum(plan.commit_then_502.values()) / 3, 4)
0.0136
>>> classify("PUT", "/api/files/7d1c/BR0000013.jpg")
'upload'
>>> sorted(fault_profiles())[:3]
['flaky', 'icedig-2019', 'lossy']
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from specpub.errors import InputError

__all__ = [
    "OPERATIONS",
    "FaultInjector",
    "FaultPlan",
    "InjectedDrop",
    "Interception",
    "Outage",
    "classify",
    "fault_profiles",
    "get_fault_profile",
    "register_fault_profile",
    "resolve_fault_plan",
    "with_outage",
]

#: The operation classes a plan can target.
OPERATIONS = ("create", "upload", "publish", "lookup", "other")

_MESSAGES = {
    404: "The persistent identifier does not exist.",
    429: "Too many requests.",
    500: (
        "The server encountered an internal error and was unable to complete your "
        "request. Either the server is overloaded or there is an error in the application."
    ),
    502: "Bad Gateway.",
    503: "Service Unavailable: the repository is temporarily unable to handle the request.",
    504: "Gateway Timeout.",
}


@dataclass(frozen=True)
class Outage:
    """A window during which every request gets ``status``.

    Parameters
    ----------
    start
        Seconds after the plan was installed (server start for the initial plan).
    duration
        Length of the window in seconds.
    status
        The answer during the window: 503 (maintenance) or 404 (Zenodo's
        answer during its database outage of 16 May 2019).

    Examples
    --------
    >>> Outage(2.0, 5.0, 404).covers(3.0)
    True
    >>> Outage(2.0, 5.0).covers(7.0)
    False
    """

    start: float
    duration: float
    status: int = 503

    def covers(self, elapsed: float) -> bool:
        """Whether ``elapsed`` seconds after installation fall inside the window."""
        return self.start <= elapsed < self.start + self.duration


def _frozen(mapping: Mapping[Any, float] | None) -> Mapping[Any, float]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class FaultPlan:
    """Explicit fault-injection knobs (see the module docstring for their order).

    Parameters
    ----------
    errors
        Status → fraction of requests answered with that status *before* the
        application runs (nothing committed), e.g. ``{500: 0.01, 503: 0.01}``.
    error_operations
        Operation classes ``errors`` applies to (``None``: all of them).
    commit_then_drop, commit_then_504, commit_then_502
        Operation (``create``, ``upload``, ``publish``, ...) → fraction of
        requests whose effect is committed and whose answer is then lost: a
        dropped connection, a 504 or a 502.
    outages
        Windows during which every request gets the window's status.
    latency, jitter
        Added delay in seconds: ``latency`` plus a uniform draw in ``±jitter``.
    upload_bandwidth
        Bytes per second at which upload bodies are read (``None``: no cap).
    seed
        Seed of the random draws (``None``: the sandbox's seed, else random).

    Examples
    --------
    >>> plan = FaultPlan(errors={500: 0.5}, seed=1)
    >>> plan.is_noop
    False
    >>> FaultPlan().is_noop
    True
    >>> FaultPlan(errors={500: 1.5})
    Traceback (most recent call last):
    ...
    ValueError: FaultPlan.errors: the fractions add up to 1.5; they must be between 0 and 1
    """

    errors: Mapping[int, float] = field(default_factory=dict)
    error_operations: frozenset[str] | None = None
    commit_then_drop: Mapping[str, float] = field(default_factory=dict)
    commit_then_504: Mapping[str, float] = field(default_factory=dict)
    commit_then_502: Mapping[str, float] = field(default_factory=dict)
    outages: tuple[Outage, ...] = ()
    latency: float = 0.0
    jitter: float = 0.0
    upload_bandwidth: float | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("errors", "commit_then_drop", "commit_then_504", "commit_then_502"):
            value = _frozen(getattr(self, name))
            object.__setattr__(self, name, value)
            total = sum(value.values())
            if any(f < 0 for f in value.values()) or total > 1:
                raise ValueError(
                    f"FaultPlan.{name}: the fractions add up to {total:g}; "
                    "they must be between 0 and 1"
                )
        for name in ("commit_then_drop", "commit_then_504", "commit_then_502"):
            unknown = set(getattr(self, name)) - set(OPERATIONS)
            if unknown:
                raise ValueError(
                    f"FaultPlan.{name}: unknown operation(s) {sorted(unknown)}; "
                    f"use {', '.join(OPERATIONS)}"
                )
        if self.error_operations is not None:
            ops = frozenset(self.error_operations)
            unknown = ops - set(OPERATIONS)
            if unknown:
                raise ValueError(
                    f"FaultPlan.error_operations: unknown operation(s) {sorted(unknown)}; "
                    f"use {', '.join(OPERATIONS)}"
                )
            object.__setattr__(self, "error_operations", ops)
        object.__setattr__(self, "outages", tuple(self.outages))
        for op in self.outages:
            if not isinstance(op, Outage):
                raise ValueError(f"FaultPlan.outages: {op!r} is not an Outage(start, duration)")
        if self.latency < 0 or self.jitter < 0:
            raise ValueError("FaultPlan.latency and jitter must be >= 0 seconds")
        if self.upload_bandwidth is not None and self.upload_bandwidth <= 0:
            raise ValueError("FaultPlan.upload_bandwidth must be > 0 bytes/s (or None)")

    @property
    def is_noop(self) -> bool:
        """True when the plan injects nothing at all."""
        return not (
            any(self.errors.values())
            or any(self.commit_then_drop.values())
            or any(self.commit_then_504.values())
            or any(self.commit_then_502.values())
            or self.outages
            or self.latency
            or self.jitter
            or self.upload_bandwidth
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (status keys become strings); see :meth:`from_dict`.

        Examples
        --------
        >>> FaultPlan(errors={500: 0.1}, outages=(Outage(1, 2, 404),)).to_dict()["outages"]
        [[1, 2, 404]]
        """
        return {
            "errors": {str(k): v for k, v in self.errors.items()},
            "error_operations": sorted(self.error_operations)
            if self.error_operations is not None
            else None,
            "commit_then_drop": dict(self.commit_then_drop),
            "commit_then_504": dict(self.commit_then_504),
            "commit_then_502": dict(self.commit_then_502),
            "outages": [[o.start, o.duration, o.status] for o in self.outages],
            "latency": self.latency,
            "jitter": self.jitter,
            "upload_bandwidth": self.upload_bandwidth,
            "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultPlan:
        """The plan described by ``data`` (as made by :meth:`to_dict`; keys may be left out).

        Examples
        --------
        >>> plan = FaultPlan(errors={503: 0.2}, commit_then_504={"publish": 0.1}, seed=3)
        >>> FaultPlan.from_dict(plan.to_dict()) == plan
        True
        """
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"FaultPlan: unknown knob(s) {sorted(unknown)}; use {sorted(known)}")
        kwargs = dict(data)
        if "errors" in kwargs:
            kwargs["errors"] = {int(k): float(v) for k, v in kwargs["errors"].items()}
        if kwargs.get("error_operations") is not None:
            kwargs["error_operations"] = frozenset(kwargs["error_operations"])
        if "outages" in kwargs:
            kwargs["outages"] = tuple(Outage(*o) for o in kwargs["outages"])
        return cls(**kwargs)


# --------------------------------------------------------------------------- registry

_PROFILES: dict[str, FaultPlan] = {}
_PROFILE_DOCS: dict[str, str] = {}


def register_fault_profile(
    name: str, plan: FaultPlan, *, description: str = "", replace: bool = False
) -> None:
    """Register ``plan`` under ``name`` so servers and the CLI can use it by name.

    Parameters
    ----------
    name
        The profile name (``--faults NAME``).
    plan
        The plan.
    description
        One line for ``specpub sandbox profiles``.
    replace
        Allow replacing an existing profile (else :class:`ValueError`).

    Examples
    --------
    >>> register_fault_profile("doc-example", FaultPlan(errors={503: 0.5}), replace=True)
    >>> get_fault_profile("doc-example").errors[503]
    0.5
    """
    if not isinstance(plan, FaultPlan):
        raise TypeError(f"fault profile {name!r}: expected a FaultPlan, got {type(plan).__name__}")
    if name in _PROFILES and not replace:
        raise ValueError(f"fault profile {name!r} exists already; pass replace=True to replace it")
    _PROFILES[name] = plan
    _PROFILE_DOCS[name] = description


def get_fault_profile(name: str) -> FaultPlan:
    """The plan registered under ``name``.

    Raises
    ------
    InputError
        For an unknown name; the message lists the known ones.

    Examples
    --------
    >>> get_fault_profile("none").is_noop
    True
    >>> get_fault_profile("nope")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: field 'faults': unknown fault profile 'nope'. Fix: use one of: ...
    """
    try:
        return _PROFILES[name]
    except KeyError:
        raise InputError(
            f"unknown fault profile {name!r}",
            field="faults",
            fix="use one of: " + ", ".join(sorted(_PROFILES)),
        ) from None


def fault_profiles() -> dict[str, str]:
    """Registered profile names → one-line descriptions.

    Examples
    --------
    >>> "lossy" in fault_profiles()
    True
    """
    return {name: _PROFILE_DOCS.get(name, "") for name in sorted(_PROFILES)}


def resolve_fault_plan(spec: str | FaultPlan | None) -> FaultPlan:
    """Turn a profile name, a plan or ``None`` into a plan.

    Examples
    --------
    >>> resolve_fault_plan(None).is_noop
    True
    >>> resolve_fault_plan("flaky").errors[500]
    0.02
    """
    if spec is None:
        return _PROFILES["none"]
    if isinstance(spec, FaultPlan):
        return spec
    if isinstance(spec, str):
        return get_fault_profile(spec)
    raise TypeError(f"faults: expected a profile name or a FaultPlan, got {type(spec).__name__}")


_MUTATING = ("create", "upload", "publish")

# ICEDIG pilot (2019): 4 % of records failed; mix 404 50 %, 504 18 %, 502 17 %, 500 15 %.
# A record is about three faultable requests (create, upload, publish), so each
# request fails with p = 1 - 0.96 ** (1/3) ≈ 1.36 %. 404s and 500s come before the
# application; 504s and 502s on create/upload/publish come after it committed (the
# pilot's 701 records published but not logged).
_P = 0.0136
register_fault_profile("none", FaultPlan(), description="no faults")
register_fault_profile(
    "flaky",
    FaultPlan(errors={500: 0.02, 502: 0.01, 503: 0.01, 504: 0.01}),
    description="5 % of all requests fail with a 5xx before anything is committed",
)
register_fault_profile(
    "icedig-2019",
    FaultPlan(
        errors={404: round(_P * 0.50, 5), 500: round(_P * 0.15, 5)},
        error_operations=frozenset(_MUTATING),
        commit_then_504=dict.fromkeys(_MUTATING, round(_P * 0.18, 5)),
        commit_then_502=dict.fromkeys(_MUTATING, round(_P * 0.17, 5)),
    ),
    description=(
        "the ICEDIG pilot: ~4 % of records fail (404 50 %, 504 18 %, 502 17 %, 500 15 %); "
        "the 504s/502s come after the change was committed"
    ),
)
register_fault_profile(
    "lossy",
    FaultPlan(commit_then_drop=dict.fromkeys(_MUTATING, 0.01)),
    description="1 % of creates, uploads and publishes commit, then drop the connection",
)
register_fault_profile(
    "outage",
    FaultPlan(outages=(Outage(2.0, 5.0, 404), Outage(10.0, 5.0, 503))),
    description=(
        "everything answers 404 from 2 s to 7 s after start (database outage), "
        "then 503 from 10 s to 15 s (maintenance)"
    ),
)


# --------------------------------------------------------------------------- classify

_SEG = r"[^/]+"
_RULES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("POST", re.compile(r"/api/deposit/depositions/?"), "create"),
    ("POST", re.compile(r"/api/records/?"), "create"),
    ("PUT", re.compile(rf"/api/files/{_SEG}/.+"), "upload"),
    ("POST", re.compile(rf"/api/deposit/depositions/{_SEG}/files/?"), "upload"),
    ("POST", re.compile(rf"/api/records/{_SEG}/draft/files/?"), "upload"),
    ("PUT", re.compile(rf"/api/records/{_SEG}/draft/files/.+/content(/\d+)?"), "upload"),
    ("POST", re.compile(rf"/api/records/{_SEG}/draft/files/.+/commit"), "upload"),
    ("POST", re.compile(rf"/api/deposit/depositions/{_SEG}/actions/publish/?"), "publish"),
    ("POST", re.compile(rf"/api/records/{_SEG}/draft/actions/publish/?"), "publish"),
)


def classify(method: str, path: str) -> str:
    """The operation class of a request: create, upload, publish, lookup or other.

    Examples
    --------
    >>> classify("POST", "/api/deposit/depositions")
    'create'
    >>> classify("POST", "/api/records/12/draft/actions/publish")
    'publish'
    >>> classify("GET", "/api/records")
    'lookup'
    >>> classify("DELETE", "/api/deposit/depositions/12")
    'other'
    """
    if method in ("GET", "HEAD"):
        return "lookup"
    for rule_method, pattern, op in _RULES:
        if method == rule_method and pattern.fullmatch(path):
            return op
    return "other"


# --------------------------------------------------------------------------- middleware


class InjectedDrop(ConnectionAbortedError):
    """Raised inside the server to cut a response short on purpose (commit-then-drop).

    uvicorn closes the connection when an application raises after starting the
    response; the server hides these deliberate errors from its log.

    Examples
    --------
    >>> isinstance(InjectedDrop("dropped"), ConnectionError)
    True
    """


def _error_body(status: int) -> bytes:
    body: dict[str, Any] = {"status": status, "message": _MESSAGES.get(status, "Error.")}
    if status >= 500:
        body["error_id"] = uuid.uuid4().hex
    return json.dumps(body).encode()


async def _send_error(send: Any, status: int, extra: Iterable[tuple[bytes, bytes]] = ()) -> None:
    body = _error_body(status)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _drain(receive: Any) -> None:
    """Read and discard the request body (so keep-alive connections stay usable)."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


class Interception:
    """One deterministic fault at a chosen step: the next ``count`` matching requests.

    Made by :meth:`FaultInjector.intercept` (and the handles' ``intercept()``). Where the
    random knobs of a :class:`FaultPlan` model a population of failures, an interception
    makes *this* request fail, for tests that must not depend on chance or timing.

    Parameters
    ----------
    operation
        An operation class (:data:`OPERATIONS`, see :func:`classify`).
    action
        ``"drop"`` (lose the answer: a broken response), ``"hold"`` (keep the request or its
        answer waiting until :meth:`release` or :meth:`drop`), or an HTTP status to answer.
    before
        ``False`` (default): the application runs and commits first, then the action
        applies to its answer. ``True``: the action applies before the application runs,
        so nothing is committed (a status is answered at once; ``"hold"`` keeps the request
        in flight).
    path, method
        Narrow the match: a regular expression searched in the path (e.g.
        ``r"/actions/newversion$"``) and an HTTP method.
    count
        How many matching requests to intercept.

    Examples
    --------
    >>> cut = Interception("publish", "drop")
    >>> cut.matches("POST", "/api/deposit/depositions/7/actions/publish"), cut.reached()
    (True, False)
    >>> Interception("other", 504, path=r"/actions/newversion$").matches(
    ...     "POST", "/api/deposit/depositions/7/actions/edit")
    False
    """

    def __init__(
        self,
        operation: str,
        action: str | int = "drop",
        *,
        before: bool = False,
        path: str | None = None,
        method: str | None = None,
        count: int = 1,
    ) -> None:
        if operation not in OPERATIONS:
            raise ValueError(
                f"intercept: unknown operation {operation!r}; use {', '.join(OPERATIONS)}"
            )
        if action not in ("drop", "hold") and not (
            isinstance(action, int) and 400 <= action <= 599
        ):
            raise ValueError(
                f"intercept: action {action!r} is not 'drop', 'hold' or an HTTP error status"
            )
        if before and action == "drop":
            raise ValueError("intercept: 'drop' applies to an answer, so it needs before=False")
        if count < 1:
            raise ValueError("intercept: count must be at least 1")
        self.operation = operation
        self.action = action
        self.before = before
        self.path = re.compile(path) if path else None
        self.method = method.upper() if method else None
        self.remaining = count
        self.hits = 0
        self._reached = threading.Event()
        self._decision: str | None = None  # "release" or "drop", for "hold"

    def __repr__(self) -> str:
        where = "before" if self.before else "after"
        return (
            f"<Interception {self.operation} {self.action} {where} the application, "
            f"{self.hits} hit(s), {self.remaining} left>"
        )

    def matches(self, method: str, path: str) -> bool:
        """Whether a request is one this interception is waiting for."""
        return (
            self.remaining > 0
            and (self.method is None or method == self.method)
            and classify(method, path) == self.operation
            and (self.path is None or self.path.search(path) is not None)
        )

    def reached(self, timeout: float | None = 0.0) -> bool:
        """Whether a request was intercepted (committed first unless ``before``); waits
        up to ``timeout`` seconds (``None``: forever)."""
        return self._reached.wait(timeout)

    def release(self) -> None:
        """Let held requests go on: the answer is sent (or the request proceeds)."""
        self._decision = "release"

    def drop(self) -> None:
        """Drop the connection of held requests instead of answering."""
        self._decision = "drop"

    async def _hold(self) -> str:
        self._reached.set()
        while self._decision is None:
            await asyncio.sleep(0.005)
        return self._decision


async def _send_broken(send: Any, start: dict[str, Any], chunks: list[bytes]) -> None:
    """Announce the real length (at least 1 byte), send half of the body, cut the connection."""
    body = b"".join(chunks)
    headers = [(k, v) for k, v in start.get("headers", ()) if k.lower() != b"content-length"]
    headers.append((b"content-length", str(max(len(body), 1)).encode()))
    await send(
        {"type": "http.response.start", "status": start.get("status", 200), "headers": headers}
    )
    if len(body) >= 2:
        await send(
            {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
        )
    raise InjectedDrop("fault injection: connection dropped after the change was committed")


class FaultInjector:
    """ASGI middleware applying a :class:`FaultPlan`, changeable while serving.

    Parameters
    ----------
    app
        The ASGI application.
    plan
        A plan, a profile name or ``None`` (no faults).
    clock
        Epoch-seconds clock for outage windows (injectable for tests).
    seed
        Fallback seed when the plan has none.

    Examples
    --------
    >>> async def app(scope, receive, send):
    ...     pass
    >>> injector = FaultInjector(app, "lossy", seed=1)
    >>> injector.plan.commit_then_drop["create"]
    0.01
    >>> injector.stats()
    {}
    """

    def __init__(
        self,
        app: Any,
        plan: str | FaultPlan | None = None,
        *,
        clock: Callable[[], float] = time.time,
        seed: int | None = None,
    ) -> None:
        self.app = app
        self.clock = clock
        self._default_seed = seed
        self._lock = threading.Lock()
        self._stats: Counter[str] = Counter()
        self._extra_outages: list[tuple[float, float, int]] = []
        self._interceptions: list[Interception] = []
        self.set_plan(plan)

    # -- runtime control (thread-safe: called from the test thread) -------------------

    def set_plan(self, plan: str | FaultPlan | None) -> FaultPlan:
        """Install a plan (relative outage windows start counting now); returns it."""
        resolved = resolve_fault_plan(plan)
        seed = resolved.seed if resolved.seed is not None else self._default_seed
        with self._lock:
            self.plan = resolved
            self._rng = random.Random(seed)
            self._installed_at = self.clock()
            self._refresh_active()
        return resolved

    def _refresh_active(self) -> None:
        """(Under the lock.) Whether any knob can act on a request."""
        self._interceptions = [i for i in self._interceptions if i.remaining > 0]
        self._active = (
            not self.plan.is_noop or bool(self._extra_outages) or bool(self._interceptions)
        )

    def add_outage(self, duration: float, status: int = 404, *, start_in: float = 0.0) -> None:
        """Add an outage window starting ``start_in`` seconds from now (absolute time)."""
        if duration <= 0:
            raise ValueError("outage duration must be > 0 seconds")
        start = self.clock() + start_in
        with self._lock:
            self._extra_outages.append((start, start + duration, status))
            self._refresh_active()

    def clear_outages(self) -> None:
        """Remove the outage windows added with :meth:`add_outage`."""
        with self._lock:
            self._extra_outages.clear()
            self._refresh_active()

    def intercept(self, interception: Interception) -> Interception:
        """Install a deterministic fault for the next matching request(s); returns it.

        Interceptions apply in the order they were installed, before the plan's random
        faults, and are used up after ``count`` requests.
        """
        with self._lock:
            self._interceptions.append(interception)
            self._refresh_active()
        return interception

    def release_all(self) -> None:
        """Drop every held request and remove every interception (used when stopping)."""
        with self._lock:
            for interception in self._interceptions:
                interception.remaining = 0
                if interception._decision is None:
                    interception.drop()
            self._refresh_active()

    def _take_interception(self, method: str, path: str) -> Interception | None:
        if not self._interceptions:
            return None
        with self._lock:
            for interception in self._interceptions:
                if interception.matches(method, path):
                    interception.remaining -= 1
                    interception.hits += 1
                    self._refresh_active()
                    return interception
        return None

    def stats(self) -> dict[str, int]:
        """Counters of what was injected, e.g. ``{"error:500": 3, "commit_then_drop:create": 1}``.

        ``requests:<operation>`` counts the requests seen while a plan was active.
        """
        with self._lock:
            return dict(self._stats)

    def reset_stats(self) -> None:
        """Set every counter back to zero."""
        with self._lock:
            self._stats.clear()

    # -- the middleware ----------------------------------------------------------------

    def _outage_status(self, now: float) -> int | None:
        elapsed = now - self._installed_at
        for outage in self.plan.outages:
            if outage.covers(elapsed):
                return outage.status
        for start, end, status in self._extra_outages:
            if start <= now < end:
                return status
        return None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not self._active or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        op = classify(scope["method"], scope["path"])
        self._stats["requests:" + op] += 1
        interception = self._take_interception(scope["method"], scope["path"])
        if interception is not None:
            await self._intercepted(interception, op, scope, receive, send)
        else:
            await self._planned(op, scope, receive, send)

    async def _intercepted(
        self, cut: Interception, op: str, scope: dict[str, Any], receive: Any, send: Any
    ) -> None:
        """Apply one :class:`Interception` to this request."""
        where = "before" if cut.before else "after"
        self._stats[f"intercept:{where}:{cut.action}:{op}"] += 1
        if not cut.before:
            await self._run_then(scope, receive, send, cut.action, hold=cut)
            return
        if cut.action == "hold" and await cut._hold() == "release":
            await self.app(scope, receive, send)
        elif cut.action == "hold":
            await _drain(receive)
            await _send_broken(send, {"status": 200}, [b"{}"])
        else:
            await _drain(receive)
            await _send_error(send, int(cut.action))

    async def _planned(self, op: str, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Apply the plan's knobs in order (see the module docstring)."""
        plan = self.plan
        rng = self._rng
        stats = self._stats
        status = self._outage_status(self.clock())
        if status is not None:
            stats[f"outage:{status}"] += 1
            await _drain(receive)
            await _send_error(send, status)
            return

        if plan.latency or plan.jitter:
            delay = plan.latency + (rng.uniform(-plan.jitter, plan.jitter) if plan.jitter else 0)
            if delay > 0:
                stats["delayed"] += 1
                await asyncio.sleep(delay)

        if plan.errors and (plan.error_operations is None or op in plan.error_operations):
            draw = rng.random()
            for err_status, fraction in plan.errors.items():
                if draw < fraction:
                    stats[f"error:{err_status}"] += 1
                    await _drain(receive)
                    await _send_error(send, err_status)
                    return
                draw -= fraction

        if plan.upload_bandwidth and op == "upload":
            receive = self._throttled(receive, plan.upload_bandwidth)
            stats["throttled"] += 1

        draw = rng.random()
        for kind, table, lose in (
            ("commit_then_drop", plan.commit_then_drop, "drop"),
            ("commit_then_504", plan.commit_then_504, 504),
            ("commit_then_502", plan.commit_then_502, 502),
        ):
            fraction = table.get(op, 0.0)
            if draw < fraction:
                stats[f"{kind}:{op}"] += 1
                await self._run_then(scope, receive, send, lose)
                return
            draw -= fraction
        await self.app(scope, receive, send)

    async def _run_then(
        self,
        scope: dict[str, Any],
        receive: Any,
        send: Any,
        lose: str | int,
        *,
        hold: Interception | None = None,
    ) -> None:
        """Run the application to completion (its change is committed), then lose its answer.

        ``lose`` is ``"drop"`` (a broken response), an HTTP status (sent instead), or
        ``"hold"``: wait for ``hold.release()`` (the real answer is sent) or ``hold.drop()``.
        """
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        if lose == "hold":
            assert hold is not None
            if await hold._hold() == "release":
                await send(start)
                await send({"type": "http.response.body", "body": b"".join(chunks)})
                return
            lose = "drop"
        if lose == "drop":
            await _send_broken(send, start, chunks)
        else:
            await _send_error(send, int(lose))

    def _throttled(self, receive: Any, bandwidth: float) -> Any:
        began = time.monotonic()
        total = 0

        async def slow_receive() -> dict[str, Any]:
            nonlocal total
            message = await receive()
            if message["type"] == "http.request":
                total += len(message.get("body", b""))
                wait = began + total / bandwidth - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
            return message

        return slow_receive


def with_outage(plan: FaultPlan, start: float, duration: float, status: int = 503) -> FaultPlan:
    """A copy of ``plan`` with one more outage window.

    Examples
    --------
    >>> with_outage(FaultPlan(), 1.0, 2.0, 404).outages
    (Outage(start=1.0, duration=2.0, status=404),)
    """
    return replace(plan, outages=(*plan.outages, Outage(start, duration, status)))
