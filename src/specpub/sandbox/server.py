"""Run the embedded repository: in a background thread, or in a subprocess.

Every starter takes one :class:`~specpub.sandbox.config.SandboxConfig` (or just the data
folder), plus any of its fields as keywords::

    with running(rate_limit="off") as sandbox:          # a temporary data folder
        httpx.post(f"{sandbox.url}/api/deposit/depositions", json={},
                   headers={"Authorization": f"Bearer {sandbox.token}"})

    with running(SandboxConfig(data_dir="repo", index_lag=0.5)) as sandbox: ...

:func:`running` starts uvicorn on its own event loop in a background thread, waits until
the port accepts connections and yields a :class:`SandboxHandle`; it is what the demo,
the notebooks, Binder and the tests publish to. :func:`running_subprocess` runs
``specpub sandbox serve`` in a child process instead, for tests that kill the server (or
the client) mid-flight; :meth:`SandboxProcess.restart` brings it back on the same data
and port. Both handles carry the deterministic controls of :mod:`specpub.sandbox.control`.

The served application is ``create_app(config)`` wrapped, from the outside in,
by :class:`~specpub.sandbox.ratelimit.RateLimitMiddleware` (so every answer,
injected faults included, carries ``X-RateLimit-*`` headers) and
:class:`~specpub.sandbox.faults.FaultInjector`.

Examples
--------
>>> from specpub.sandbox.config import SandboxConfig
>>> async def app(scope, receive, send):
...     pass
>>> stack = build_stack(app, SandboxConfig(rate_limit="off"))
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from specpub.sandbox.config import DEFAULT_USER, SandboxConfig
from specpub.sandbox.control import Controller, Controls
from specpub.sandbox.faults import FaultInjector, InjectedDrop
from specpub.sandbox.ratelimit import RateLimitMiddleware

__all__ = [
    "DEFAULT_USER",
    "SandboxHandle",
    "SandboxProcess",
    "build_stack",
    "resolve_config",
    "running",
    "running_subprocess",
    "start",
]

_START_TIMEOUT = 30.0

ConfigLike = SandboxConfig | str | os.PathLike[str] | None


def resolve_config(config: ConfigLike = None, /, **changes: Any) -> SandboxConfig:
    """The :class:`SandboxConfig` a starter was given: a config, a data folder, or nothing,
    with ``changes`` (field names) applied.

    Examples
    --------
    >>> resolve_config("/tmp/sb", rate_limit="off").data_dir.name
    'sb'
    >>> resolve_config(SandboxConfig(index_lag=2), index_lag=0).index_lag
    0.0
    """
    if config is None:
        return SandboxConfig(**changes)
    if isinstance(config, SandboxConfig):
        return config.changed(**changes)
    return SandboxConfig(data_dir=config, **changes)


class _HideInjectedDrops(logging.Filter):
    """Keep uvicorn from logging a traceback for each deliberately dropped response."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, InjectedDrop)


_drop_filter = _HideInjectedDrops()


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


class _Served(Controls):
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

    The control methods (``set_faults``, ``add_outage``, ``intercept``, ``refresh_index``,
    ...) are those of :class:`~specpub.sandbox.control.Controls`.

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
        stack: Any,
        server: Any,
        thread: threading.Thread,
        sock: socket.socket,
        owned_dir: Path | None,
        inner_app: Any,
    ) -> None:
        assert config.token is not None
        assert config.data_dir is not None
        self.config = config
        self.token = config.token
        self.url = config.base_url
        self.data_dir = Path(config.data_dir)
        self.app = stack
        self._injector = _find_injector(stack)
        self._inner_app = inner_app
        state = getattr(inner_app, "state", None)
        self._controller = Controller(self._injector, config, getattr(state, "store", None))
        self._server = server
        self._thread = thread
        self._sock = sock
        self._owned_dir = owned_dir
        self._stopped = False

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else "running"
        return f"<SandboxHandle {self.url} {state}>"

    def _command(self, command: dict[str, Any]) -> dict[str, Any]:
        return self._controller.execute(command)

    def stop(self) -> None:
        """Stop serving, join the thread, close the socket; remove a temporary data dir."""
        if self._stopped:
            return
        self._stopped = True
        self._injector.release_all()  # held requests must not keep the server alive
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
    config: ConfigLike = None,
    /,
    *,
    clock: Callable[[], float] = time.time,
    app_factory: Callable[..., Any] | None = None,
    **changes: Any,
) -> SandboxHandle:
    """Start a sandbox in a background thread and return its handle (call ``.stop()``).

    Parameters
    ----------
    config
        A :class:`SandboxConfig`, or just the data folder (``None``: a temporary folder,
        removed when the sandbox stops).
    clock
        Time source (epoch seconds) for timestamps, the index lag, rate limits and faults.
    app_factory
        ``(config, clock=) -> ASGI app`` instead of the real application (tests).
    **changes
        Fields of :class:`SandboxConfig` to set (``rate_limit="off"``, ``faults=``,
        ``index_lag=``, ``token=``, ``seed=``, ``communities=``, ...).

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

    config = resolve_config(config, **changes)
    owned_dir = None
    if config.data_dir is None:
        owned_dir = Path(tempfile.mkdtemp(prefix="specpub-sandbox-"))
        config = config.changed(data_dir=owned_dir)
    assert config.data_dir is not None
    Path(config.data_dir).mkdir(parents=True, exist_ok=True)
    if config.token is None:
        config = config.changed(token=secrets.token_urlsafe(24))
    sock = _bind(config.host, config.port)
    try:
        bound_port = sock.getsockname()[1]
        url_host = f"[{config.host}]" if ":" in config.host else config.host
        config = config.changed(base_url=f"http://{url_host}:{bound_port}")
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
        stack=stack,
        server=server,
        thread=thread,
        sock=sock,
        owned_dir=owned_dir,
        inner_app=inner,
    )
    handle._injector.set_plan(config.faults)  # relative outages count from "started"
    return handle


def running(config: ConfigLike = None, /, **kwargs: Any) -> SandboxHandle:
    """Serve the embedded repository: in a ``with`` block, or until ``.stop()``.

    Takes what :func:`start` takes: a :class:`SandboxConfig` or a data folder (``None``: a
    temporary folder, removed at exit), plus config fields as keywords (and ``clock=``,
    ``app_factory=`` for tests). Defaults are Zenodo's: 100/min + 5000/h and 30/min for
    search, 1 s index lag, test DOIs ``10.5072``; the token is generated (``.token``).

    Returns
    -------
    SandboxHandle
        Already serving. Used as a context manager it stops cleanly when the block
        exits (no threads or sockets left); kept (a notebook's repository, which
        lives as long as the kernel), it stops with ``.stop()`` or with the process.

    Examples
    --------
    >>> import httpx
    >>> with running(rate_limit="off") as sandbox:  # doctest: +SKIP
    ...     r = httpx.post(sandbox.api_url + "/deposit/depositions", json={},
    ...                    headers={"Authorization": f"Bearer {sandbox.token}"})
    >>> r.status_code  # doctest: +SKIP
    201
    >>> repository = running("demo-repository", rate_limit="off")  # doctest: +SKIP
    >>> repository.stop()  # doctest: +SKIP
    """
    return start(config, **kwargs)


# --------------------------------------------------------------------------- subprocess


class SandboxProcess(_Served):
    """A sandbox serving in a child process (``specpub sandbox serve``).

    Attributes
    ----------
    url, api_url, token, data_dir
        As on :class:`SandboxHandle`; they stay the same across :meth:`restart`.
    config
        The configuration the child serves (``port`` fixed after the first start).
    process
        The :class:`subprocess.Popen` object of the current child.

    The control methods are those of :class:`~specpub.sandbox.control.Controls`; they
    travel as JSON lines on the child's stdin.

    Examples
    --------
    >>> with running_subprocess("/tmp/sandbox-data") as child:  # doctest: +SKIP
    ...     child.kill()     # a crash: no clean shutdown
    ...     child.restart()  # the same data, port and token
    """

    def __init__(self, config: SandboxConfig, *, timeout: float = _START_TIMEOUT) -> None:
        assert config.token is not None
        assert config.data_dir is not None
        self.config = config
        self.token = config.token
        self.data_dir = Path(config.data_dir)
        self._timeout = timeout
        self._control_lock = threading.Lock()
        self._workdir = Path(tempfile.mkdtemp(prefix="specpub-sandbox-serve-"))
        self._log: Any = None
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self._launch()

    def __repr__(self) -> str:
        pid = self.process.pid if self.process else None
        return f"<SandboxProcess pid={pid} {self.url}>"

    def _launch(self) -> None:
        """Start ``specpub sandbox serve`` on :attr:`config` and read its URL."""
        config_file = self.config.to_file(self._workdir / "config.json")
        cmd = [
            sys.executable,
            "-m",
            "specpub",
            "sandbox",
            "serve",
            "--config",
            str(config_file),
            "--token-env",
            "SPECPUB_SANDBOX_TOKEN",
            "--control-stdin",
        ]
        env = {**os.environ, "SPECPUB_SANDBOX_TOKEN": self.token, "PYTHONUNBUFFERED": "1"}
        self._log = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=env,
        )
        self.url = _read_url(self.process, self._timeout, self._log)
        self.config = self.config.changed(port=self.port, base_url=self.url)

    def stderr_text(self) -> str:
        """What the current child wrote to stderr so far (warnings, errors)."""
        self._log.flush()
        self._log.seek(0)
        return str(self._log.read())

    def _command(self, command: dict[str, Any]) -> dict[str, Any]:
        process = self.process
        if process is None or process.stdin is None or process.stdout is None:
            raise RuntimeError("this sandbox process has no control channel")
        if process.poll() is not None:
            raise RuntimeError(f"the sandbox process exited ({process.returncode})")
        with self._control_lock:
            process.stdin.write(json.dumps(command) + "\n")
            process.stdin.flush()
            answer = json.loads(process.stdout.readline() or "{}")
        if not answer.get("ok"):
            raise RuntimeError(f"sandbox control {command!r} failed: {answer.get('error')}")
        return dict(answer)

    def kill(self) -> None:
        """Kill the child at once (SIGKILL): no clean shutdown, like a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        self._reap()

    def stop(self, timeout: float = 10.0) -> int:
        """Ask the child to stop (SIGTERM, then SIGKILL after ``timeout``); its exit code."""
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:  # pragma: no cover
                process.kill()
        self._reap()
        return int(process.returncode) if process is not None else 0

    def restart(self) -> None:
        """Kill the child if it still runs, then serve the same data on the same port again.

        The new child has the same URL, token and configuration, but a fresh fault plan and
        no interceptions (those lived in the old process).
        """
        self.kill()
        self._launch()

    def _reap(self) -> None:
        process = self.process
        if process is None:
            return
        process.wait(timeout=10)
        for pipe in (process.stdin, process.stdout):
            if pipe is not None and not pipe.closed:
                pipe.close()

    def close(self) -> None:
        """Stop the child and remove the launch files."""
        self.stop()
        if self._log is not None:
            self._log.close()
        shutil.rmtree(self._workdir, ignore_errors=True)


@contextlib.contextmanager
def running_subprocess(
    config: ConfigLike = None, /, *, timeout: float = _START_TIMEOUT, **changes: Any
) -> Iterator[SandboxProcess]:
    """Run ``specpub sandbox serve`` in a child process while the block runs.

    Takes a :class:`SandboxConfig` or a data folder plus config fields as keywords, like
    :func:`running` (the defaults are the same). The configuration travels in a file
    (``--config``) and the token in an environment variable (``--token-env``), never on
    the command line; extra users (``tokens=``) cannot be passed. Use ``.kill()`` to
    simulate a crash and ``.restart()`` to bring the server back on the same data and
    port. The controls (``set_faults``, ``intercept``, ``refresh_index``, ...) travel on
    the child's stdin; its stderr is kept (``.stderr_text()``).

    Examples
    --------
    >>> with running_subprocess("/tmp/sandbox-data", rate_limit="off") as child:  # doctest: +SKIP
    ...     print(child.url)
    ...     child.kill()
    http://127.0.0.1:41327
    """
    config = resolve_config(config, **changes)
    if config.tokens:
        raise ValueError("running_subprocess serves the default user only (no tokens=)")
    owned_dir = None
    if config.data_dir is None:
        owned_dir = Path(tempfile.mkdtemp(prefix="specpub-sandbox-"))
        config = config.changed(data_dir=owned_dir)
    if config.token is None:
        config = config.changed(token=secrets.token_urlsafe(24))
    handle = SandboxProcess(config, timeout=timeout)
    try:
        yield handle
    finally:
        handle.close()
        if owned_dir is not None:
            shutil.rmtree(owned_dir, ignore_errors=True)


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
