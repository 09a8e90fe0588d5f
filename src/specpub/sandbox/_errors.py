"""JSON error responses in the server's shape ``{"status", "message", "errors"?}``."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

_log = logging.getLogger("specpub.sandbox")

_DEFAULT_MESSAGES = {
    400: "Bad request.",
    401: "The server could not verify that you are authorized to access the URL requested.",
    403: "Permission denied.",
    404: "The persistent identifier does not exist.",
    405: "The method is not allowed for the requested URL.",
    406: "Not acceptable.",
    410: "The record has been deleted.",
    412: "Precondition failed.",
    413: "Request entity too large.",
    414: "Request-URI too long.",
    415: "Unsupported media type.",
}


class ApiError(Exception):
    """An error answered as JSON: ``{"status": code, "message": msg, "errors": [...]}``."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> None:
        self.status = status
        self.message = message or _DEFAULT_MESSAGES.get(status, "Error.")
        self.errors = errors
        self.extra = extra
        super().__init__(f"{status} {self.message}")


def validation_error(errors: list[dict[str, Any]]) -> ApiError:
    """The 400 "A validation error occurred." with field errors."""
    return ApiError(400, "A validation error occurred.", errors)


def internal_error(cause: str) -> ApiError:
    """The 500 Zenodo answers when its code crashes on unexpected input (with an ``error_id``).

    ``cause`` is logged server-side only, like a real server's traceback.
    """
    error_id = uuid.uuid4().hex
    _log.info("simulated internal error %s: %s", error_id, cause)
    return ApiError(500, "Internal server error.", error_id=error_id)


def field_error(field: str, message: str) -> dict[str, Any]:
    """One entry of ``errors``: ``{"field": ..., "messages": [...]}``."""
    return {"field": field, "messages": [message]}


def error_response(status: int, message: str, errors: list | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {"status": status, "message": message}
    if errors:
        body["errors"] = errors
    body.update(extra)
    return JSONResponse(body, status_code=status)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, exc.errors, **exc.extra)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = _DEFAULT_MESSAGES.get(exc.status_code, str(exc.detail))
    if exc.status_code == 404:
        message = "The requested URL was not found on the server."
    response = error_response(exc.status_code, message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


EXCEPTION_HANDLERS = {
    ApiError: _api_error,
    HTTPException: _http_error,
}
