"""Fixtures for the sandbox runtime tests.

``tiny_sandbox_factory`` serves a minimal in-memory stand-in of the repository
app (create / bucket PUT / publish / get / search / delete) behind the real
middleware stack and uvicorn, so the rate limiter, fault injector and server can
be tested independently of the full application.
"""

from __future__ import annotations

import itertools
import json

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def tiny_app(config, *, clock):
    """A minimal stand-in for ``create_app`` with an in-memory store."""
    records: dict[int, dict] = {}
    ids = itertools.count(1)

    async def create(request: Request):
        body = await request.body()
        data = json.loads(body or b"{}")
        rid = next(ids)
        meta = data.get("metadata", {})
        records[rid] = {"id": rid, "metadata": meta, "files": {}, "state": "draft"}
        return JSONResponse(
            {"id": rid, "links": {"bucket": f"{config.base_url}/api/files/b{rid}"}}, status_code=201
        )

    async def get(request: Request):
        rid = int(request.path_params["id"])
        if rid not in records:
            return JSONResponse({"status": 404, "message": "not found"}, status_code=404)
        rec = records[rid]
        return JSONResponse({**rec, "files": sorted(rec["files"])})

    async def put_file(request: Request):
        rid = int(request.path_params["bucket"][1:])
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        records[rid]["files"][request.path_params["key"]] = size
        return JSONResponse({"key": request.path_params["key"], "size": size}, status_code=201)

    async def publish(request: Request):
        rid = int(request.path_params["id"])
        if records.get(rid, {}).get("state") != "draft":
            return JSONResponse({"status": 404, "message": "not found"}, status_code=404)
        records[rid]["state"] = "done"
        return JSONResponse({"id": rid, "state": "done"}, status_code=202)

    async def delete(request: Request):
        records.pop(int(request.path_params["id"]), None)
        return Response(status_code=204)

    async def search(request: Request):
        return JSONResponse({"hits": {"hits": [], "total": 0}})

    async def ping(request: Request):
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/api/deposit/depositions", create, methods=["POST"]),
            Route("/api/deposit/depositions", search, methods=["GET"]),
            Route("/api/deposit/depositions/{id}", get, methods=["GET"]),
            Route("/api/deposit/depositions/{id}", delete, methods=["DELETE"]),
            Route("/api/deposit/depositions/{id}/actions/publish", publish, methods=["POST"]),
            Route("/api/files/{bucket}/{key}", put_file, methods=["PUT"]),
            Route("/api/records", search, methods=["GET"]),
            Route("/api/ping", ping, methods=["GET"]),
        ]
    )


@pytest.fixture
def tiny_app_factory():
    """:func:`tiny_app`, to pass as ``app_factory=`` to ``running``/``start``."""
    return tiny_app


@pytest.fixture
def tiny_sandbox_factory(sandbox_factory):
    """``sandbox_factory`` serving :func:`tiny_app` instead of the full application."""

    def factory(**kwargs):
        return sandbox_factory(app_factory=tiny_app, **kwargs)

    return factory
