"""Run the embedded repository: in a background thread, or in a subprocess.

:func:`running` starts uvicorn on its own event loop in a background thread,
waits until the port accepts connections and yields a :class:`SandboxHandle`
(``.url``, ``.token``, ``.config``, ``.data_dir``, runtime fault control). It is
what the demo, the notebooks, Binder and the tests publish to::

    with running() as sandbox:
        httpx.post(f"{sandbox.url}/api/deposit/depositions", json={},
                   headers={"Authorization": f"Bearer {sandbox.token}"})

:func:`running_subprocess` runs ``specpub sandbox serve`` in a child process
instead, for tests that kill the server (or the client) mid-flight.

The served application is ``create_app(config)`` wrapped, from the outside in,
by :class:`~specpub.sandbox.ratelimit.RateLimitMiddleware` (so every answer,
injected faults included, carries ``X-RateLimit-*`` headers) and
:class:`~specpub.sandbox.faults.FaultInjector`.

Examples
--------
>>> from specpub.sandbox.config import SandboxConfig
>>> async def app(scope, receive, send):
...     pass
>>> cfg = SandboxConfig(data_dir="/tmp/x", rate_limits=(), search_rate_limits=())
>>> stack = build_stack(app, cfg)
>>> type(stack).__name__
'FaultInjector'
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from specpub.sandbox.config import (
    DEFAULT_RATE_LIMITS,
    DEFAULT_SEARCH_RATE_LIMITS,
    RateLimit,
    SandboxConfig,
    parse_rate_limits,
)
from specpub.sandbox.faults import FaultInjector, FaultPlan, InjectedDrop
from specpub.sandbox.ratelimit import RateLimitMiddleware

__all__ = [
    "DEFAULT_USER",
    "SandboxHandle",
    "SandboxProcess",
    "build_stack",
    "make_config",
    "running",
    "running_subprocess",
    "start",
]

#: The user name that owns the records created with the generated token.
DEFAULT_USER = "sandbox-user"

_DEFAULT: Any = object()  # "not given" marker for keyword arguments
_START_TIMEOUT = 30.0


class _HideInjectedDrops(logging.Filter):
    """Keep uvicorn from logging a traceback for each deliberately dropped response."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, InjectedDrop)


_drop_filter = _HideInjectedDrops()


def _limits(value: Any, default: tuple[RateLimit, ...]) -> tuple[RateLimit, ...]:
    if value is _DEFAULT:
        return default
    if value is None or value is False:
        return ()
    if isinstance(value, str):
        return parse_rate_limits(value)
    return tuple(value)


def make_config(
    data_dir: str | os.PathLike[str],
    *,
    token: str,
    doi_prefix: str = "10.5072",
    index_lag: float = 0.0,
    faults: str | FaultPlan | None = None,
    rate_limit: str | Sequence[RateLimit] | None = _DEFAULT,
    search_rate_limit: str | Sequence[RateLimit] | None = _DEFAULT,
    **config_overrides: Any,
) -> SandboxConfig:
    """Build a :class:`SandboxConfig` the way :func:`running` does.

    ``rate_limit`` and ``search_rate_limit`` take a spec (``"100/minute;5000/hour"``),
    limits, or ``None``/``"off"``. When ``rate_limit`` is off and
    ``search_rate_limit`` is not given, search is not limited either.
    The ``token`` belongs to :data:`DEFAULT_USER`; more tokens may come in
    ``tokens=`` among ``config_overrides``.

    Examples
    --------
    >>> cfg = make_config("/tmp/sb", token="t0k", rate_limit="off")
    >>> cfg.rate_limits, cfg.search_rate_limits, cfg.tokens
    ((), (), {'t0k': 'sandbox-user'})
    >>> make_config("/tmp/sb", token="t", rate_limit="5/s").search_rate_limits[0].count
    30
    """
    limits = _limits(rate_limit, DEFAULT_RATE_LIMITS)
    if search_rate_limit is _DEFAULT and rate_limit is not _DEFAULT and not limits:
        search_limits: tuple[RateLimit, ...] = ()
    else:
        search_limits = _limits(search_rate_limit, DEFAULT_SEARCH_RATE_LIMITS)
    tokens = {token: DEFAULT_USER, **dict(config_overrides.pop("tokens", {}) or {})}
    return SandboxConfig(
        data_dir=Path(data_dir),
        tokens=tokens,
        doi_prefix=doi_prefix,
        index_lag=index_lag,
        rate_limits=limits,
        search_rate_limits=search_limits,
        faults=faults,
        **config_overrides,
    )


def _default_app_factory(config: SandboxConfig, *, clock: Callable[[], float]) -> Any:
    from specpub.sandbox.app import create_app

    return create_app(config, clock=clock)


def build_stack(
    app: Any, config: SandboxConfig, *, clock: Callable[[], float] = time.time
) -> FaultInjector | RateLimitMiddleware:
    """Wrap ``app`` in the fault injector and (if limits are set) the rate limiter.

    Returns the outermost layer. The fault injector is always present (a no-op
    plan costs one attribute check per request) so faults can be switched on
    while serving; the rate limiter only when ``config`` has limits.

    Examples
    --------
    >>> from specpub.sandbox.config import SandboxConfig
    >>> async def app(scope, receive, send):
    ...     pass
    >>> type(build_stack(app, SandboxConfig(data_dir="/tmp/x"))).__name__
    'RateLimitMiddleware'
    """
    injector = FaultInjector(app, config.faults, clock=clock, seed=config.seed)
    if not (config.rate_limits or config.search_rate_limits):
        return injector
    return RateLimitMiddleware(
        injector,
        limits=config.rate_limits,
        search_limits=config.search_rate_limits,
        search_paths=config.search_paths,
        clock=clock,
    )


def _find_injector(stack: Any) -> FaultInjector:
    layer = stack
    while not isinstance(layer, FaultInjector):
        layer = layer.app
    return layer


class _Served:
    """What both handles say about where the sandbox listens and how to authenticate."""

    url: str
    token: str

    @property
    def api_url(self) -> str:
        """The API root (``url + "/api"``)."""
        return self.url + "/api"

    @property
    def port(self) -> int:
        """The TCP port the sandbox listens on."""
        return int(self.url.rsplit(":", 1)[1])

    @property
    def headers(self) -> dict[str, str]:
        """``Authorization`` header for the sandbox token (for raw httpx calls)."""
        return {"Authorization": f"Bearer {self.token}"}


class SandboxHandle(_Served):
    """A sandbox serving in a background thread of this process.

    Attributes
    ----------
    url
        Base URL, e.g. ``http://127.0.0.1:38211``; the API is under ``url + "/api"``.
    api_url
        ``url + "/api"``.
    token
        The bearer token of :data:`DEFAULT_USER`.
    config
        The :class:`SandboxConfig` in use (``base_url`` set to ``url``).
    data_dir
        Where the database and files live.
    app
        The served ASGI stack (outermost layer).

    Examples
    --------
    Serving needs a free port, so these lines are not run as doctests:

    >>> import httpx
    >>> with running(rate_limit="off") as sandbox:  # doctest: +SKIP
    ...     sandbox.set_faults("lossy")
    ...     sandbox.add_outage(2.0, status=404)
    ...     r = httpx.get(sandbox.api_url + "/deposit/depositions", headers=sandbox.headers)
    ...     print(r.status_code, sandbox.fault_stats())
    404 {'requests:lookup': 1, 'outage:404': 1}
    """

    def __init__(
        self,
        *,
        config: SandboxConfig,
        token: str,
        stack: Any,
        server: Any,
        thread: threading.Thread,
        sock: socket.socket,
        owned_dir: Path | None,
        inner_app: Any,
    ) -> None:
        self.config = config
        self.token = token
        self.url = config.base_url
        self.data_dir = Path(config.data_dir)
        self.app = stack
        self._injector = _find_injector(stack)
        self._inner_app = inner_app
        self._server = server
        self._thread = thread
        self._sock = sock
        self._owned_dir = owned_dir
        self._stopped = False

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else "running"
        return f"<SandboxHandle {self.url} {state}>"

    def set_faults(self, plan: str | FaultPlan | None) -> FaultPlan:
        """Switch the fault plan while serving (a profile name, a plan or ``None``).

        Relative outage windows of the new plan count from now. Returns the plan.
        """
        return self._injector.set_plan(plan)

    def add_outage(self, duration_s: float, status: int = 404, *, start_in: float = 0.0) -> None:
        """Make every request answer ``status`` for ``duration_s`` seconds from now."""
        self._injector.add_outage(duration_s, status, start_in=start_in)

    def clear_outages(self) -> None:
        """End the outages added with :meth:`add_outage`."""
        self._injector.clear_outages()

    def fault_stats(self) -> dict[str, int]:
        """Counters of injected faults (see :meth:`FaultInjector.stats`)."""
        return self._injector.stats()

    def stop(self) -> None:
        """Stop serving, join the thread, close the socket; remove a temporary data dir."""
        if self._stopped:
            return
        self._stopped = True
        self._server.should_exit = True
        self._thread.join(timeout=10)
        if self._thread.is_alive():  # pragma: no cover - stuck connection
            self._server.force_exit = True
            self._thread.join(timeout=5)
        self._sock.close()
        state = getattr(self._inner_app, "state", None)
        for owner in (state, getattr(state, "store", None)):
            closer = getattr(owner, "close", None)
            if callable(closer):
                closer()
                break
        if self._owned_dir is not None:
            shutil.rmtree(self._owned_dir, ignore_errors=True)

    def __enter__(self) -> SandboxHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {err.strerror or err}") from err
    sock.set_inheritable(True)
    return sock


def _http_impl() -> str:
    try:
        import httptools  # noqa: F401
    except ImportError:  # pragma: no cover
        return "h11"
    return "httptools"


def start(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    token: str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: str | FaultPlan | None = None,
    rate_limit: str | Sequence[RateLimit] | None = _DEFAULT,
    search_rate_limit: str | Sequence[RateLimit] | None = _DEFAULT,
    doi_prefix: str = "10.5072",
    index_lag: float = 0.0,
    clock: Callable[[], float] = time.time,
    app_factory: Callable[..., Any] | None = None,
    **config_overrides: Any,
) -> SandboxHandle:
    """Start a sandbox in a background thread and return its handle (call ``.stop()``).

    Same parameters as :func:`running`, which is the context-manager form.
    Raises :class:`OSError` when the port is taken and
    :class:`~specpub.errors.InputError` for an unknown fault profile.

    Examples
    --------
    >>> sandbox = start(faults="icedig-2019", seed=1)  # doctest: +SKIP
    >>> sandbox.url  # doctest: +SKIP
    'http://127.0.0.1:40125'
    >>> sandbox.stop()  # doctest: +SKIP
    """
    import uvicorn

    owned_dir = None
    if data_dir is None:
        owned_dir = Path(tempfile.mkdtemp(prefix="specpub-sandbox-"))
        data_dir = owned_dir
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    token = token or secrets.token_urlsafe(24)
    config = make_config(
        data_dir,
        token=token,
        doi_prefix=doi_prefix,
        index_lag=index_lag,
        faults=faults,
        rate_limit=rate_limit,
        search_rate_limit=search_rate_limit,
        **config_overrides,
    )
    sock = _bind(host, port)
    try:
        bound_port = sock.getsockname()[1]
        url_host = f"[{host}]" if ":" in host else host
        config.base_url = f"http://{url_host}:{bound_port}"
        inner = (app_factory or _default_app_factory)(config, clock=clock)
        stack = build_stack(inner, config, clock=clock)
        logging.getLogger("uvicorn.error").addFilter(_drop_filter)
        uv_config = uvicorn.Config(
            stack,
            loop="auto",
            http=_http_impl(),
            log_level="warning",
            access_log=False,
            proxy_headers=False,  # the rate-limit key is the real peer address
            lifespan="off",
            timeout_graceful_shutdown=5,
            timeout_keep_alive=30,
        )
        server = uvicorn.Server(uv_config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"sandbox:{bound_port}", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError(f"the sandbox on {config.base_url} failed to start (see log)")
            if time.monotonic() > deadline:  # pragma: no cover
                server.should_exit = True
                raise RuntimeError(f"the sandbox on {config.base_url} did not start in time")
            time.sleep(0.005)
    except BaseException:
        sock.close()
        if owned_dir is not None:
            shutil.rmtree(owned_dir, ignore_errors=True)
        raise
    handle = SandboxHandle(
        config=config,
        token=token,
        stack=stack,
        server=server,
        thread=thread,
        sock=sock,
        owned_dir=owned_dir,
        inner_app=inner,
    )
    handle._injector.set_plan(config.faults)  # relative outages count from "started"
    return handle


@contextlib.contextmanager
def running(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    token: str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: str | FaultPlan | None = None,
    rate_limit: str | Sequence[RateLimit] | None = _DEFAULT,
    search_rate_limit: str | Sequence[RateLimit] | None = _DEFAULT,
    doi_prefix: str = "10.5072",
    index_lag: float = 0.0,
    **config_overrides: Any,
) -> Iterator[SandboxHandle]:
    """Serve the embedded repository while the ``with`` block runs.

    Parameters
    ----------
    data_dir
        Database and files folder; kept afterwards. ``None``: a temporary
        folder, removed at exit.
    token
        Bearer token of :data:`DEFAULT_USER`; generated with
        :func:`secrets.token_urlsafe` when not given (read it from ``.token``).
    host, port
        Where to listen; port 0 picks a free port (see ``.url``).
    faults
        A fault profile name (:func:`~specpub.sandbox.faults.fault_profiles`),
        a :class:`~specpub.sandbox.faults.FaultPlan`, or ``None``.
    rate_limit, search_rate_limit
        Specs like ``"100/minute;5000/hour"`` or ``"off"``/``None``. Default:
        Zenodo's 100/min + 5000/h and 30/min for search. Turning
        ``rate_limit`` off also turns search limits off unless given.
    doi_prefix
        ``10.5072`` (test DOIs) or ``10.5281``.
    index_lag
        Seconds before changes show in search results.
    **config_overrides
        Other :class:`~specpub.sandbox.config.SandboxConfig` fields (``seed``,
        ``communities``, ``tokens``, ``search_paths``...), plus ``clock`` and
        ``app_factory`` (a ``(config, clock=)`` → ASGI app callable) for tests.

    Yields
    ------
    SandboxHandle
        Stopped cleanly when the block exits (no threads or sockets left).

    Examples
    --------
    >>> import httpx
    >>> with running() as sandbox:  # doctest: +SKIP
    ...     r = httpx.post(sandbox.api_url + "/deposit/depositions", json={},
    ...                    headers={"Authorization": f"Bearer {sandbox.token}"})
    >>> r.status_code  # doctest: +SKIP
    201
    """
    handle = start(
        data_dir,
        token=token,
        host=host,
        port=port,
        faults=faults,
        rate_limit=rate_limit,
        search_rate_limit=search_rate_limit,
        doi_prefix=doi_prefix,
        index_lag=index_lag,
        **config_overrides,
    )
    try:
        yield handle
    finally:
        handle.stop()


# --------------------------------------------------------------------------- subprocess


class SandboxProcess(_Served):
    """A sandbox serving in a child process (``specpub sandbox serve``).

    Attributes
    ----------
    url, api_url, token, data_dir
        As on :class:`SandboxHandle`.
    process
        The :class:`subprocess.Popen` object.

    Examples
    --------
    >>> with running_subprocess("/tmp/sandbox-data") as child:  # doctest: +SKIP
    ...     child.kill()  # a crash: no clean shutdown
    """

    def __init__(
        self, process: subprocess.Popen[str], url: str, token: str, data_dir: Path, log: Any
    ) -> None:
        self._log = log
        self.process = process
        self.url = url
        self.token = token
        self.data_dir = data_dir
        self._control_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<SandboxProcess pid={self.process.pid} {self.url}>"

    def stderr_text(self) -> str:
        """What the child wrote to stderr so far (warnings, errors)."""
        self._log.flush()
        self._log.seek(0)
        return self._log.read()

    def _control(self, command: dict[str, Any]) -> dict[str, Any]:
        if self.process.stdin is None or self.process.stdout is None:
            raise RuntimeError("this sandbox process was started without a control channel")
        with self._control_lock:
            self.process.stdin.write(json.dumps(command) + "\n")
            self.process.stdin.flush()
            answer = json.loads(self.process.stdout.readline() or "{}")
        if not answer.get("ok"):
            raise RuntimeError(f"sandbox control {command!r} failed: {answer.get('error')}")
        return answer

    def set_faults(self, plan: str | FaultPlan | None) -> FaultPlan:
        """Switch the fault plan of the child while it serves (name, plan or ``None``)."""
        spec = plan.to_dict() if isinstance(plan, FaultPlan) else plan
        return FaultPlan.from_dict(self._control({"faults": spec})["plan"])

    def add_outage(self, duration_s: float, status: int = 404) -> None:
        """Make every request to the child answer ``status`` for ``duration_s`` seconds."""
        self._control({"outage": [duration_s, status]})

    def clear_outages(self) -> None:
        """End the outages added with :meth:`add_outage`."""
        self._control({"clear_outages": True})

    def fault_stats(self) -> dict[str, int]:
        """Counters of the faults the child injected."""
        return self._control({"stats": True})["stats"]

    def kill(self) -> None:
        """Kill the child at once (SIGKILL): no clean shutdown, like a crash."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self._close_pipes()

    def stop(self, timeout: float = 10.0) -> int:
        """Ask the child to stop (SIGTERM, then SIGKILL after ``timeout``); its exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:  # pragma: no cover
                self.process.kill()
                self.process.wait(timeout=10)
        self._close_pipes()
        return int(self.process.returncode)

    def _close_pipes(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None and not pipe.closed:
                pipe.close()


@contextlib.contextmanager
def running_subprocess(
    data_dir: str | os.PathLike[str],
    *,
    token: str | None = None,
    port: int = 0,
    faults: str | None = None,
    rate_limit: str | None = "off",
    search_rate_limit: str | None = None,
    doi_prefix: str = "10.5072",
    index_lag: float = 0.0,
    timeout: float = _START_TIMEOUT,
) -> Iterator[SandboxProcess]:
    """Run ``specpub sandbox serve`` in a child process while the block runs.

    The token travels in an environment variable (``--token-env``), never on
    the command line. Rate limits are off unless ``rate_limit`` is given.
    Use ``.kill()`` to simulate a crash; start it again on the same
    ``data_dir`` (and ``port``) to test a restart. Faults can be changed while
    it serves (``.set_faults()``, ``.add_outage()``, ``.fault_stats()``) through
    a control channel on the child's stdin. The child's stderr is kept
    in a temporary file (``.stderr_text()``).

    Examples
    --------
    >>> with running_subprocess("/tmp/sandbox-data", port=0) as child:  # doctest: +SKIP
    ...     print(child.url)
    ...     child.kill()
    http://127.0.0.1:41327
    """
    token = token or secrets.token_urlsafe(24)
    data_dir = Path(data_dir)
    cmd = [
        sys.executable,
        "-m",
        "specpub",
        "sandbox",
        "serve",
        "--port",
        str(port),
        "--data",
        str(data_dir),
        "--token-env",
        "SPECPUB_SANDBOX_TOKEN",
        "--doi-prefix",
        doi_prefix,
        "--index-lag",
        str(index_lag),
        "--rate-limit",
        rate_limit or "off",
        "--control-stdin",
    ]
    if search_rate_limit is not None:
        cmd += ["--search-rate-limit", search_rate_limit]
    if faults:
        cmd += ["--faults", faults]
    env = {**os.environ, "SPECPUB_SANDBOX_TOKEN": token, "PYTHONUNBUFFERED": "1"}
    log = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 - closed below
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=env,
    )
    try:
        url = _read_url(process, timeout, log)
        handle = SandboxProcess(process, url, token, data_dir, log)
        yield handle
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                process.kill()
                process.wait(timeout=10)
        for pipe in (process.stdin, process.stdout):
            if pipe is not None and not pipe.closed:
                pipe.close()
        log.close()


def _read_url(process: subprocess.Popen[str], timeout: float, log: Any) -> str:
    """The first stdout line of ``specpub sandbox serve`` (the base URL)."""
    result: list[str] = []
    reader = threading.Thread(
        target=lambda: result.append(process.stdout.readline() if process.stdout else ""),
        daemon=True,
    )
    reader.start()
    reader.join(timeout)
    line = result[0].strip() if result else ""
    if not line.startswith("http"):
        process.kill()
        process.wait(timeout=10)
        log.seek(0)
        raise RuntimeError(
            f"specpub sandbox serve did not print its URL (exit {process.returncode}): "
            f"{log.read().strip()[-2000:]}"
        )
    return line
