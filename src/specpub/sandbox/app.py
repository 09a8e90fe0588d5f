"""The embedded Zenodo-compatible repository as an ASGI (Starlette) application.

:func:`create_app` builds the app over a data folder (SQLite in WAL mode plus file contents
under ``data_dir/files``). It serves the legacy deposition API (``/api/deposit/depositions``,
``/api/files/{bucket}``), the InvenioRDM records API (``/api/records``, ``/api/user/records``,
``/api/communities``) and HTML landing pages (``/records/{id}``), as described in
``docs/zenodo-api.md``. It shares no code with :mod:`specpub.repository`.

Rate limits and fault injection are not part of this app: :mod:`specpub.sandbox.server` wraps
them around it.

Choices where the reference leaves room (see ``docs/zenodo-api.md``):

* Both ``Accept: application/json`` and ``application/vnd.inveniordm.v1+json`` get the native
  InvenioRDM JSON on ``/api/records*`` (zenodo.org sends its "Zenodo v1" shape for the former).
* Anonymous → 403, unknown token → 401 (also on public endpoints when a token is sent).
* Legacy create/update load only ``metadata``; any other top-level key is a 400.
* Search: OpenSearch ``query_string`` subset, default operator OR; drafts index no files; a
  change shows in search ``config.index_lag`` seconds later (the previous version meanwhile).
* ``GET …/versions/latest`` answers 200 with the record (no redirect).
* Ids are sequential integers from 1001; the parent id is allocated before the record id.

Examples
--------
>>> import tempfile
>>> from specpub.sandbox.config import SandboxConfig
>>> with tempfile.TemporaryDirectory() as tmp:
...     app = create_app(SandboxConfig(data_dir=tmp, tokens={"t": "alice"}))
...     app.state.store.count_records()
...     app.state.store.close()
0
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import _legacy, _native
from ._errors import EXCEPTION_HANDLERS, ApiError
from ._http import Context, request_base
from ._landing import landing_page
from ._legacy import download
from ._store import Store
from .config import SandboxConfig

__all__ = ["create_app"]

_log = logging.getLogger("specpub.sandbox")


class _Guard:
    """Outermost-but-one layer: long query strings → 414, any unhandled error → JSON 500."""

    def __init__(self, app: ASGIApp, config: SandboxConfig) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if len(scope.get("query_string", b"")) > self.config.max_query_length:
            await _send_json(
                send,
                414,
                {
                    "status": 414,
                    "message": "Query string too long "
                    f"(limit {self.config.max_query_length} characters).",
                },
            )
            return
        request_base.set(_base_of(scope))
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except ClientDisconnect:
            return  # the client went away mid-request: nobody to answer
        except Exception as exc:
            import uuid

            error_id = uuid.uuid4().hex
            _log.error(
                "unhandled error %s on %s %s",
                error_id,
                scope.get("method"),
                scope.get("path"),
                exc_info=exc,
            )
            if started:
                raise
            await _send_json(
                send,
                500,
                {"status": 500, "message": "Internal server error.", "error_id": error_id},
            )


def _base_of(scope: Scope) -> str:
    host = ""
    for name, value in scope.get("headers", []):
        if name == b"host":
            host = value.decode("latin-1")
            break
    if not host and scope.get("server"):
        server_host, server_port = scope["server"]
        host = f"{server_host}:{server_port}"
    return f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}".rstrip("/")


async def _send_json(send: Send, status: int, body: dict) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


def _landing_routes(ctx: Context) -> list[Route]:
    store = ctx.store

    def published(raw_id: str) -> Any:
        rec = ctx.record(raw_id)
        if rec.record is None:
            raise ApiError(404)
        return rec

    async def landing(request: Request) -> Response:
        rec = published(request.path_params["id"])
        return HTMLResponse(landing_page(store.body(rec, "record"), ctx.base))

    async def landing_latest(request: Request) -> Response:
        rec = published(request.path_params["id"])
        target = store.get(store.parent(rec.parent_id).latest_id or rec.id)
        assert target is not None
        return HTMLResponse(landing_page(store.body(target, "record"), ctx.base))

    async def landing_file(request: Request) -> Response:
        rec = published(request.path_params["id"])
        f = store.file(rec.id, request.path_params["key"])
        if f is None or f.status != "completed":
            raise ApiError(404, "File not found.")
        if rec.record["access"].get("files") == "restricted":
            user = ctx.user(request, required=False)
            if user is None or user.id != rec.owner:
                raise ApiError(403, "Permission denied.")
        return download(store.blob_path(f), f)

    return [
        Route("/records/{id}", landing, methods=["GET"]),
        Route("/records/{id}/latest", landing_latest, methods=["GET"]),
        Route("/records/{id}/files/{key:path}", landing_file, methods=["GET"]),
    ]


def create_app(config: SandboxConfig, *, clock: Callable[[], float] = time.time) -> Starlette:
    """Build the sandbox ASGI application over ``config.data_dir``.

    Parameters
    ----------
    config
        The sandbox configuration. ``config.base_url`` is read at request time to build
        ``links``, so a server may set it after binding its port.
    clock
        Time source (seconds since the epoch) for timestamps and the search index lag.

    Returns
    -------
    starlette.applications.Starlette
        The app; ``app.state.store`` is the :class:`~specpub.sandbox._store.Store`
        (read-only helpers for tests: ``count_records(owner)``, ``count_drafts(owner)``)
        and ``app.state.config`` the configuration.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     app = create_app(SandboxConfig(data_dir=tmp))
    ...     sorted(r.path for r in app.routes if r.path.startswith("/api/deposit"))[:2]
    ...     app.state.store.close()
    ['/api/deposit/depositions', '/api/deposit/depositions']
    """
    if config.data_dir is None:
        raise ValueError("create_app needs config.data_dir (the starters make a temporary one)")
    config.data_dir.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
    store = Store(config.data_dir, clock=clock, config=config)  # type: ignore[arg-type]
    ctx = Context(config, store, clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        store.close()

    app = Starlette(
        routes=[*_legacy.routes(ctx), *_native.routes(ctx), *_landing_routes(ctx)],
        exception_handlers=dict(EXCEPTION_HANDLERS),  # type: ignore[arg-type]
        lifespan=lifespan,
    )
    app.add_middleware(_Guard, config=config)  # type: ignore[arg-type]
    app.state.store = store
    app.state.config = config
    app.state.context = ctx
    return app
