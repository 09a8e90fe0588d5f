"""Turn HTTP responses and transport failures into specpub's error classes.

This is the only place where status codes and httpx exceptions are mapped.

=====================================================  =====================================
What happened                                          Error raised
=====================================================  =====================================
429                                                    ``RateLimited(retry_after)``
401                                                    ``AuthenticationError``
403 on a collection request (create, search, list)     ``AuthenticationError``
403 on one record or file (someone else's, locked)     ``Rejected``
404                                                    ``NotFound``
408 (a proxy gave up waiting for the request)          as 502 / 504
other 4xx (incl. 410, 412, 415)                        ``Rejected`` + field messages
500, 503 and other 5xx                                 ``Transient``
502 / 504 on a non-idempotent step                     ``Ambiguous``
502 / 504 on an idempotent step                        ``Transient``
connect error, connect timeout, pool timeout           ``Transient`` (nothing was sent)
read/write timeout, dropped connection, protocol       ``Ambiguous`` if not idempotent,
error, unreadable 2xx body (after sending)             ``Transient`` if idempotent
=====================================================  =====================================

The 403 rule: the client always sends a token (a missing token fails before
any request), so a 403 on a request that does not name a record means the
token itself is refused (zenodo.org answers 403 to anonymous and to badly
scoped tokens), while a 403 on a request that names one record or file means
the token is fine but may not touch *that* resource (owned by someone else,
files of a published record, locked bucket): only that item is rejected.

The idempotency rule for lost responses: when the request may have reached
the server but its outcome is unknown, repeating an idempotent request (GET,
full-replace PUT, DELETE, legacy bucket PUT, native content PUT/commit) is
safe, so it is ``Transient``; a non-idempotent one (create, publish, native
file init, files-import) must be reconciled first, so it is ``Ambiguous``.

Examples
--------
>>> import httpx
>>> req = httpx.Request("POST", "https://zenodo.org/api/deposit/depositions")
>>> err = error_from_response(httpx.Response(504, request=req), step="create", idempotent=False)
>>> type(err).__name__, err.status, err.step
('Ambiguous', 504, 'create')
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from specpub.errors import (
    Ambiguous,
    AuthenticationError,
    FieldError,
    NotFound,
    RateLimited,
    Rejected,
    RepositoryError,
    Transient,
)
from specpub.repository._ratelimit import parse_rate_limit, seconds_to_wait

_SECRET_PARAMS = {"access_token", "token", "api_key", "apikey"}
_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


def safe_url(url: httpx.URL | str) -> str:
    """``url`` without credentials: user-info and token parameters removed.

    Examples
    --------
    >>> safe_url("https://u:p@zenodo.org/api/records?q=x&access_token=SECRET")
    'https://zenodo.org/api/records?q=x'
    """
    parts = urlsplit(str(url))
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k.lower() not in _SECRET_PARAMS
        ]
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _body(response: httpx.Response) -> tuple[dict[str, Any] | None, str]:
    """The decoded JSON object (if any) and a short text form of the body."""
    try:
        raw = response.content
    except httpx.ResponseNotRead:
        return None, ""
    text = raw.decode("utf-8", "replace")
    try:
        data = json.loads(text) if text.strip() else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        return data, text
    # An HTML page from a proxy (nginx 502 ...): keep its visible text, briefly.
    visible = _SPACES.sub(" ", _TAGS.sub(" ", text)).strip()
    return None, visible[:200]


def _message(data: dict[str, Any] | None, text: str, response: httpx.Response) -> str:
    if data is not None:
        for key in ("message", "error", "detail", "title"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    if text:
        return text
    return response.reason_phrase or f"HTTP {response.status_code}"


def error_from_response(
    response: httpx.Response,
    *,
    step: str,
    idempotent: bool,
    resource: bool = False,
    redact: Any = None,
) -> RepositoryError:
    """The error for a non-success ``response``.

    Parameters
    ----------
    response
        The response (its body already read).
    step
        The client method that sent it (``create``, ``upload``, ``publish`` ...).
    idempotent
        Whether repeating the request is safe (decides 502/504).
    resource
        Whether the request named one record or file (decides 403).
    redact
        Optional ``str -> str`` applied to every message (removes the token).

    Examples
    --------
    >>> import httpx
    >>> req = httpx.Request("POST", "https://zenodo.org/api/records/1/draft/actions/publish")
    >>> body = {"status": 400, "message": "A validation error occurred.",
    ...         "errors": [{"field": "metadata.title", "messages": ["Too short."]}]}
    >>> err = error_from_response(httpx.Response(400, json=body, request=req),
    ...                           step="publish", idempotent=False)
    >>> err.field_messages
    ['metadata.title: Too short.']
    """
    status = response.status_code
    data, text = _body(response)
    message = _message(data, text, response)
    errors = FieldError.parse_list(data.get("errors")) if data else ()
    error_id = None
    if data is not None and data.get("error_id") is not None:
        error_id = str(data["error_id"])
    if redact is not None:
        message = redact(message)
        errors = tuple(FieldError(e.field, tuple(redact(m) for m in e.messages)) for e in errors)
    kwargs: dict[str, Any] = {
        "status": status,
        "method": response.request.method,
        "url": safe_url(response.request.url),
        "errors": errors,
        "step": step,
        "error_id": error_id,
    }
    if status == 429:
        wait = seconds_to_wait(parse_rate_limit(response.headers))
        return RateLimited(message, retry_after=wait, **kwargs)
    if status == 401 or (status == 403 and not resource):
        return AuthenticationError(
            f"{message} (the token was refused: check that it is valid for this repository "
            "and has the deposit:write and deposit:actions scopes)",
            **kwargs,
        )
    if status == 404:
        return NotFound(message, **kwargs)
    if status in (408, 502, 504):
        if idempotent:
            return Transient(message, **kwargs)
        return Ambiguous(
            f"{message} (the server may have carried out the request: look the state up "
            "before repeating it)",
            **kwargs,
        )
    if status >= 500:
        return Transient(message, **kwargs)
    if 300 <= status < 400:
        location = safe_url(response.headers.get("location", "?"))
        return Rejected(f"unexpected redirect to {location}", **kwargs)
    return Rejected(message, **kwargs)


#: Failures that happen before the request leaves the machine.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
#: Failures after (part of) the request was sent.
_MAYBE_SENT = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.RemoteProtocolError,
    httpx.ReadError,
    httpx.WriteError,
    httpx.CloseError,
)


def error_from_exception(
    exc: Exception,
    *,
    step: str,
    method: str,
    url: httpx.URL | str,
    idempotent: bool,
    redact: Any = None,
) -> RepositoryError:
    """The error for a transport failure (no response was received).

    Examples
    --------
    >>> import httpx
    >>> err = error_from_exception(httpx.ConnectError("refused"), step="create",
    ...                            method="POST", url="http://127.0.0.1:1/api/records",
    ...                            idempotent=False)
    >>> type(err).__name__
    'Transient'
    >>> err = error_from_exception(httpx.ReadTimeout("slow"), step="create",
    ...                            method="POST", url="http://127.0.0.1:1/api/records",
    ...                            idempotent=False)
    >>> type(err).__name__
    'Ambiguous'
    """
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if redact is not None:
        detail = redact(detail)
    kwargs: dict[str, Any] = {"method": method, "url": safe_url(url), "step": step}
    if isinstance(exc, _NOT_SENT):
        return Transient(f"the request was not sent ({detail})", **kwargs)
    if isinstance(exc, (*_MAYBE_SENT, httpx.TransportError)):
        if idempotent:
            return Transient(f"no answer after sending ({detail}); safe to repeat", **kwargs)
        return Ambiguous(
            f"no answer after sending ({detail}): the server may have carried out the "
            "request; look the state up before repeating it",
            **kwargs,
        )
    return Transient(detail, **kwargs)


def error_from_bad_body(
    response: httpx.Response, *, step: str, idempotent: bool, reason: str
) -> RepositoryError:
    """The error for a success status whose body cannot be used.

    The server did what was asked but its answer is unreadable, so for a
    non-idempotent step the outcome is unknown to us: ``Ambiguous``.

    Examples
    --------
    >>> import httpx
    >>> req = httpx.Request("POST", "https://zenodo.org/api/records")
    >>> r = httpx.Response(201, text="<html>", request=req)
    >>> type(error_from_bad_body(r, step="create", idempotent=False, reason="not JSON")).__name__
    'Ambiguous'
    """
    kwargs: dict[str, Any] = {
        "status": response.status_code,
        "method": response.request.method,
        "url": safe_url(response.request.url),
        "step": step,
    }
    message = f"unusable answer ({reason})"
    if idempotent:
        return Transient(message, **kwargs)
    return Ambiguous(message + ": look the state up before repeating the request", **kwargs)
