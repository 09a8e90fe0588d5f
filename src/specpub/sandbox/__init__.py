"""The embedded Zenodo-compatible repository.

A real HTTP server (Starlette on uvicorn, SQLite, files on disk) implementing the
Zenodo legacy deposit API and the InvenioRDM records API as described in
``docs/zenodo-api.md``, with Zenodo's rate limits and pluggable fault
injection. Every demo, workshop, Binder session and test publishes to it,
offline and without a real token. It shares no code with
:mod:`specpub.repository` (the clients).

Public surface:

* :func:`running` — context manager serving a sandbox in a background thread;
  yields a :class:`SandboxHandle` (``.url``, ``.token``, ``.stop()``). :func:`start` is
  the same without ``with``; :func:`running_subprocess` runs it as a child process
  (:class:`SandboxProcess`: ``.kill()``, ``.restart()``). All take one
  :class:`SandboxConfig` (or a data folder) plus its fields as keywords.
* Deterministic controls on both handles (:mod:`specpub.sandbox.control`):
  ``.set_faults()``, ``.add_outage()``, ``.fault_stats()``, ``.intercept()`` (drop, fail
  or hold the answer of the next create/upload/publish/...), ``.set_index_lag()``,
  ``.refresh_index()``.
* :func:`create_app` — the ASGI application itself.
* :class:`FaultPlan`, :class:`Outage`, :func:`register_fault_profile`,
  :func:`get_fault_profile`, :func:`fault_profiles` — fault injection by name.

Examples
--------
>>> from specpub import sandbox
>>> sorted(sandbox.fault_profiles())[:5]
['flaky', 'icedig-2019', 'lossy', 'none', 'outage']
>>> sandbox.FaultPlan(errors={503: 0.1}).errors[503]
0.1
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from specpub._lazy import lazy_names

# Imported on first use (specpub._lazy): a submodule, a worker process or the command
# line does not pay for the whole package.
_HOMES = {
    "specpub.sandbox.config": (
        "DEFAULT_INDEX_LAG",
        "DEFAULT_USER",
        "Community",
        "RateLimit",
        "SandboxConfig",
        "parse_rate_limits",
    ),
    "specpub.sandbox.control": ("InterceptionRef",),
    "specpub.sandbox.faults": (
        "FaultPlan",
        "Outage",
        "fault_profiles",
        "get_fault_profile",
        "register_fault_profile",
    ),
    "specpub.sandbox.server": (
        "SandboxHandle",
        "SandboxProcess",
        "running",
        "running_subprocess",
        "start",
    ),
    "specpub.sandbox.app": ("create_app",),
}
__getattr__, __dir__ = lazy_names(__name__, _HOMES)

if TYPE_CHECKING:  # pragma: no cover - what the lazy names are, for type checkers
    from specpub.sandbox.app import create_app
    from specpub.sandbox.config import (
        DEFAULT_INDEX_LAG,
        DEFAULT_USER,
        Community,
        RateLimit,
        SandboxConfig,
        parse_rate_limits,
    )
    from specpub.sandbox.control import InterceptionRef
    from specpub.sandbox.faults import (
        FaultPlan,
        Outage,
        fault_profiles,
        get_fault_profile,
        register_fault_profile,
    )
    from specpub.sandbox.server import (
        SandboxHandle,
        SandboxProcess,
        running,
        running_subprocess,
        start,
    )

__all__ = [
    "DEFAULT_INDEX_LAG",
    "DEFAULT_USER",
    "Community",
    "FaultPlan",
    "InterceptionRef",
    "Outage",
    "RateLimit",
    "SandboxConfig",
    "SandboxHandle",
    "SandboxProcess",
    "create_app",
    "fault_profiles",
    "get_fault_profile",
    "parse_rate_limits",
    "register_fault_profile",
    "running",
    "running_subprocess",
    "start",
]
