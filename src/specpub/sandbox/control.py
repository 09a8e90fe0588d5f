"""Deterministic control of a serving sandbox: faults, interceptions, the search index.

Tests that must not depend on chance or timing steer the sandbox while it serves. Both
handles (:class:`~specpub.sandbox.SandboxHandle` in a thread of this process and
:class:`~specpub.sandbox.SandboxProcess` in a child process) offer the same methods,
written once in :class:`Controls`:

=============================  ===========================================================
``set_faults(plan)``           switch the fault plan (a profile name, a plan or ``None``)
``add_outage(s, status)``      every request answers ``status`` for ``s`` seconds
``clear_outages()``            end those outages
``fault_stats()``              counters of what was injected
``intercept(op, action, …)``   make the next matching request fail (or wait): drop its
                               answer, answer a status, or hold it until released
``set_index_lag(s)``           change how long changes take to show in search
``refresh_index()``            make every pending change visible to search now
=============================  ===========================================================

A :class:`Controller` carries the commands out next to the server; a child process reads
them as JSON lines on its stdin (``specpub sandbox serve --control-stdin``), so the two
handles share one command vocabulary.

Examples
--------
Serving needs a free port, so these lines are not run as doctests:

>>> with running(rate_limit="off") as sandbox:  # doctest: +SKIP
...     cut = sandbox.intercept("publish", "hold")   # commit, then hold the answer
...     ...                                          # a client publishes in the background
...     cut.wait(timeout=10)                         # the publish is committed on the server
...     cut.drop()                                   # the client sees a dropped connection
...     sandbox.refresh_index()                      # the published record is searchable now
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from specpub.sandbox.faults import FaultInjector, FaultPlan, Interception

__all__ = ["Controller", "Controls", "InterceptionRef"]


class Controller:
    """Carries out control commands (JSON-ready dicts) on a serving sandbox.

    Parameters
    ----------
    injector
        The fault-injection layer of the served stack.
    config
        The served :class:`~specpub.sandbox.config.SandboxConfig` (``index_lag`` is read at
        each change, so setting it acts at once).
    store
        The application's store (``None`` for an app without a search index).

    Examples
    --------
    >>> from specpub.sandbox.config import SandboxConfig
    >>> async def app(scope, receive, send):
    ...     pass
    >>> ctl = Controller(FaultInjector(app), SandboxConfig(index_lag=0.0))
    >>> ctl.execute({"intercept": {"operation": "create", "action": 504}})
    {'ok': True, 'id': 1}
    >>> ctl.execute({"index_lag": 2.5}), ctl.config.index_lag
    ({'ok': True}, 2.5)
    """

    def __init__(self, injector: FaultInjector, config: Any, store: Any = None) -> None:
        self.injector = injector
        self.config = config
        self.store = store
        self._interceptions: dict[int, Interception] = {}

    def execute(self, command: Mapping[str, Any]) -> dict[str, Any]:
        """Carry out one command; the answer has ``ok`` and the command's result.

        Raises
        ------
        ValueError
            For an unknown command or bad arguments.
        """
        for name, value in command.items():
            handler = getattr(self, f"_do_{name}", None)
            if handler is not None:
                return {"ok": True, **(handler(value) or {})}
        raise ValueError(f"unknown sandbox control command {sorted(command)}")

    # -- faults ---------------------------------------------------------------------------

    def _do_faults(self, spec: Any) -> dict[str, Any]:
        plan = FaultPlan.from_dict(spec) if isinstance(spec, Mapping) else spec
        return {"plan": self.injector.set_plan(plan).to_dict()}

    def _do_outage(self, value: Any) -> None:
        duration, status, *rest = value
        self.injector.add_outage(float(duration), int(status), start_in=float(*rest or [0.0]))

    def _do_clear_outages(self, _: Any) -> None:
        self.injector.clear_outages()

    def _do_stats(self, _: Any) -> dict[str, Any]:
        return {"stats": self.injector.stats()}

    # -- interceptions ----------------------------------------------------------------------

    def _do_intercept(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        interception = self.injector.intercept(Interception(**spec))
        key = len(self._interceptions) + 1
        self._interceptions[key] = interception
        return {"id": key}

    def _interception(self, key: Any) -> Interception:
        try:
            return self._interceptions[int(key)]
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"no interception with id {key!r}") from None

    def _do_wait(self, value: Mapping[str, Any]) -> dict[str, Any]:
        interception = self._interception(value["id"])
        return {"reached": interception.reached(float(value.get("timeout", 30.0)))}

    def _do_release(self, key: Any) -> None:
        self._interception(key).release()

    def _do_drop(self, key: Any) -> None:
        self._interception(key).drop()

    def _do_hits(self, key: Any) -> dict[str, Any]:
        return {"hits": self._interception(key).hits}

    # -- search index ---------------------------------------------------------------------

    def _need_store(self) -> Any:
        if self.store is None:
            raise ValueError("this sandbox application has no search index")
        return self.store

    def _do_index_lag(self, seconds: Any) -> None:
        seconds = float(seconds)
        if seconds < 0:
            raise ValueError(f"index lag must be >= 0 seconds, not {seconds}")
        self.config.index_lag = seconds

    def _do_refresh_index(self, _: Any) -> dict[str, Any]:
        return {"changed": self._need_store().refresh_index()}


class InterceptionRef:
    """A handle's view of one installed interception (see :meth:`Controls.intercept`).

    Examples
    --------
    >>> cut = sandbox.intercept("create", "hold")  # doctest: +SKIP
    >>> cut.wait(timeout=10), cut.hits  # doctest: +SKIP
    (True, 1)
    >>> cut.release()  # doctest: +SKIP
    """

    def __init__(self, controls: Controls, key: int, description: str) -> None:
        self._controls = controls
        self.id = key
        self._description = description

    def __repr__(self) -> str:
        return f"<InterceptionRef {self.id}: {self._description}>"

    def wait(self, timeout: float = 30.0) -> bool:
        """Block until a matching request was intercepted (committed first unless
        ``before=True``); ``False`` if none came within ``timeout`` seconds."""
        return bool(
            self._controls._command({"wait": {"id": self.id, "timeout": timeout}})["reached"]
        )

    def release(self) -> None:
        """Let held requests go on (their answers are sent, or they proceed)."""
        self._controls._command({"release": self.id})

    def drop(self) -> None:
        """Drop the connections of held requests instead of answering."""
        self._controls._command({"drop": self.id})

    @property
    def hits(self) -> int:
        """How many requests were intercepted so far."""
        return int(self._controls._command({"hits": self.id})["hits"])


class Controls:
    """The control methods both sandbox handles offer (they supply :meth:`_command`)."""

    def _command(self, command: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def set_faults(self, plan: str | FaultPlan | None) -> FaultPlan:
        """Switch the fault plan while serving (a profile name, a plan or ``None``).

        Relative outage windows of the new plan count from now. Returns the plan.
        """
        spec = plan.to_dict() if isinstance(plan, FaultPlan) else plan
        return FaultPlan.from_dict(self._command({"faults": spec})["plan"])

    def add_outage(self, duration_s: float, status: int = 404, *, start_in: float = 0.0) -> None:
        """Make every request answer ``status`` for ``duration_s`` seconds (from now, or
        from ``start_in`` seconds from now)."""
        self._command({"outage": [duration_s, status, start_in]})

    def clear_outages(self) -> None:
        """End the outages added with :meth:`add_outage`."""
        self._command({"clear_outages": True})

    def fault_stats(self) -> dict[str, int]:
        """Counters of injected faults (see :meth:`FaultInjector.stats`)."""
        return dict(self._command({"stats": True})["stats"])

    def intercept(
        self,
        operation: str,
        action: str | int = "drop",
        *,
        before: bool = False,
        path: str | None = None,
        method: str | None = None,
        count: int = 1,
    ) -> InterceptionRef:
        """Make the next ``count`` requests of ``operation`` fail, deterministically.

        Parameters are those of :class:`~specpub.sandbox.faults.Interception`:
        ``operation`` is ``create``, ``upload``, ``publish``, ``lookup`` or ``other``
        (narrowed by ``path``, a regular expression, and ``method``); ``action`` is
        ``"drop"`` (commit, then lose the answer), an HTTP status (answered after the
        commit, or instead of it with ``before=True``) or ``"hold"`` (keep the answer, or
        with ``before=True`` the request, waiting until ``release()`` or ``drop()``).

        Examples
        --------
        >>> sandbox.intercept("create", 504)  # doctest: +SKIP
        >>> sandbox.intercept("other", "drop", path=r"/actions/newversion$")  # doctest: +SKIP
        """
        spec = {
            "operation": operation,
            "action": action,
            "before": before,
            "path": path,
            "method": method,
            "count": count,
        }
        key = int(self._command({"intercept": spec})["id"])
        where = "before" if before else "after"
        return InterceptionRef(self, key, f"{operation} {action} ({where} the commit)")

    def set_index_lag(self, seconds: float) -> None:
        """Change how many seconds changes take to show in search (from the next change on)."""
        self._command({"index_lag": seconds})

    def refresh_index(self) -> int:
        """Make every pending change visible to search now; how many documents changed."""
        return int(self._command({"refresh_index": True})["changed"])
