"""The HTTP layer both clients share: one pooled ``httpx.AsyncClient`` per client.

It adds the token (only to requests for the repository's own origin, only as
an ``Authorization: Bearer`` header), reads the rate-limit headers of every
response, calls the ``on_response`` hook, and maps every failure through
:mod:`specpub.repository._errors`. Nothing here knows an endpoint.

Examples
--------
>>> check_base_url("https://zenodo.org/")
'https://zenodo.org'
>>> check_base_url("http://127.0.0.1:8000")
'http://127.0.0.1:8000'
>>> try:
...     check_base_url("http://zenodo.org")
... except InputError as err:
...     print("plain http" in str(err))
True
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Generator, Iterator, Mapping
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

import httpx

from specpub.errors import InputError, Rejected, RepositoryError
from specpub.repository._errors import (
    error_from_bad_body,
    error_from_exception,
    error_from_response,
    safe_url,
)
from specpub.repository._ratelimit import parse_rate_limit
from specpub.repository._token import DEFAULT_TOKEN_ENV, Secret, TokenProvider, as_token_provider
from specpub.repository.protocol import RateLimitInfo, ResponseHook, note_answer

logger = logging.getLogger("specpub.repository")

#: Default timeouts: 10 s to connect, 60 s per read/write (publish can be slow),
#: 120 s to wait for a free pooled connection.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0, pool=120.0)
_OK = (200, 201, 202, 204)
#: 500s to the same request (method, URL, JSON body) after which it is a rejection.
SAME_PAYLOAD_500_LIMIT = 3


class _RepeatedFailures:
    """Recognise a request the server cannot process: the same payload, answered 500 again
    and again while other requests succeed in between.

    Zenodo answers 500 (an uncaught error) to some malformed legacy metadata (a location
    without ``place``, a related identifier without ``relation``, a date without ``type``,
    a grant without ``id``; ``docs/zenodo-api.md`` §7): retrying it can never succeed. An
    outage (nothing succeeds) is not mistaken for this: successes must come in between.

    Examples
    --------
    >>> seen = _RepeatedFailures(limit=2)
    >>> seen.failed("k"), seen.failed("k")  # nothing succeeded meanwhile: an outage?
    (False, False)
    >>> seen.succeeded("other"); seen.failed("k")
    True
    """

    def __init__(self, limit: int = SAME_PAYLOAD_500_LIMIT, remember: int = 10_000) -> None:
        self.limit = limit
        self.remember = remember
        self._successes = 0
        self._failures: OrderedDict[str, tuple[int, int]] = OrderedDict()

    def succeeded(self, key: str | None) -> None:
        self._successes += 1
        if key is not None:
            self._failures.pop(key, None)

    def failed(self, key: str) -> bool:
        """Count a 500 to ``key``; whether it now counts as a payload the server rejects."""
        count, successes_before = self._failures.pop(key, (0, self._successes))
        self._failures[key] = (count + 1, successes_before)
        while len(self._failures) > self.remember:
            self._failures.popitem(last=False)
        return count + 1 >= self.limit and self._successes > successes_before


def _request_key(method: str, url: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + url.encode() + b"\n" + body).hexdigest()


# HTTP requests sent in the current context (see count_requests).
_SENT: ContextVar[list[int] | None] = ContextVar("specpub_http_requests_sent", default=None)


@contextlib.contextmanager
def count_requests() -> Iterator[list[int]]:
    """Count the HTTP requests sent inside the block (by this task): ``box[0]``.

    The batch runner records, for each attempt, how many HTTP requests it
    really made (a native upload is init + content + commit), so that its
    report agrees with the dry run's plan and with the server's own count.

    Examples
    --------
    >>> with count_requests() as sent:
    ...     pass
    >>> sent[0]
    0
    """
    box = [0]
    token = _SENT.set(box)
    try:
        yield box
    finally:
        _SENT.reset(token)


def _is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: str) -> str:
    """Validate a repository base URL and drop its trailing slash.

    Plain ``http://`` is accepted only for loopback hosts, so that a token is
    never sent in clear text over a network.

    Raises
    ------
    InputError
        For anything but ``https://host`` or ``http://<loopback>``.
    """
    if not isinstance(base_url, str) or not base_url.strip():
        raise InputError("the repository base URL is empty", fix="give e.g. https://zenodo.org")
    url = base_url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(
            f"{safe_url(url)!r} is not an http(s) base URL",
            fix="give the repository's address, e.g. https://zenodo.org",
        )
    if parts.username or parts.password or parts.query:
        raise InputError(
            "the base URL must not carry credentials or a query string",
            fix="give only https://host[:port][/prefix]; the token comes from the environment",
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise InputError(
            f"refusing to send the access token over plain http to {parts.hostname}",
            fix="use an https:// address (plain http is allowed only for 127.0.0.1, "
            "::1 and localhost)",
        )
    return url


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


def _payload_rejected(err: RepositoryError) -> Rejected:
    """A repeated 500 to the same payload, as a rejection (not retried again)."""
    return Rejected(
        f"the server failed with HTTP 500 {SAME_PAYLOAD_500_LIMIT} times on this same request "
        "while answering others: it cannot process this payload (Zenodo answers 500 to "
        "malformed legacy metadata such as a location without 'place', a related identifier "
        "without 'relation', a date without 'type' or a grant without 'id'); fix the record's "
        f"metadata, then retry it (last error: {err.message})",
        status=err.status,
        method=err.method,
        url=err.url,
        errors=err.errors,
        step=err.step,
        error_id=err.error_id,
    )


class _BearerAuth(httpx.Auth):
    """Adds the bearer token to requests for the repository's origin only."""

    def __init__(self, secret: Secret, base: httpx.URL) -> None:
        self._secret = secret
        self._origin = _origin(base)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if _origin(request.url) == self._origin:
            request.headers["Authorization"] = f"Bearer {self._secret.value}"
        else:
            logger.warning("not sending the token to foreign origin %s", request.url.host)
        yield request

    def __repr__(self) -> str:
        return "<_BearerAuth redacted>"


def user_agent() -> str:
    """``specpub/<version>``, the User-Agent every request carries.

    Examples
    --------
    >>> user_agent().startswith("specpub/")
    True
    """
    from specpub import __version__  # late: specpub/__init__ may import this package

    return f"specpub/{__version__}"


class HttpSession:
    """A pooled connection to one repository, with token, limits and error mapping.

    Parameters
    ----------
    base_url
        ``https://host`` (or ``http://127.0.0.1:port``).
    token_env
        Name of the environment variable holding the token.
    token
        Where the token comes from instead (a
        :class:`~specpub.repository.TokenProvider`; wins over ``token_env``).
    accept
        The ``Accept`` header for API calls.
    concurrency
        Connection-pool size (match the batch concurrency).
    timeout
        Seconds or an ``httpx.Timeout``.
    on_response
        ``hook(status, RateLimitInfo)`` after every response.
    transport
        An httpx transport (tests pass ``httpx.MockTransport``).
    """

    def __init__(
        self,
        base_url: str,
        *,
        token_env: str = DEFAULT_TOKEN_ENV,
        token: TokenProvider | None = None,
        accept: str = "application/json",
        concurrency: int = 8,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        on_response: ResponseHook | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if concurrency < 1:
            raise InputError(f"concurrency must be at least 1, not {concurrency}")
        self.base_url = check_base_url(base_url)
        provider = as_token_provider(token, token_env)
        self.token_source = provider.source
        self._secret = provider.secret()
        self.rate_limit: RateLimitInfo | None = None
        self._on_response = on_response
        self._repeated = _RepeatedFailures()
        base = httpx.URL(self.base_url)
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            headers={"User-Agent": user_agent(), "Accept": accept},
            timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            auth=_BearerAuth(self._secret, base),
            follow_redirects=False,
            transport=transport,
            trust_env=False,
        )

    def __repr__(self) -> str:
        return f"HttpSession({self.base_url!r}, token from {self._secret.source})"

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` was called."""
        return self._client.is_closed

    def redact(self, text: str) -> str:
        """``text`` with the token (if it occurs at all) replaced by ``***``."""
        return self._secret.redact(text)

    def url(self, path_or_url: str) -> str:
        """An absolute URL for an API path, or a server link moved onto our origin.

        Links the server returns (``links.bucket`` ...) normally share the base
        URL's origin. A link on another origin (a proxy that rewrites host
        names) is moved onto the base URL's origin, so that the token is only
        ever sent where the user pointed the client.
        """
        if path_or_url.startswith(("http://", "https://")):
            link = urlsplit(path_or_url)
            base = urlsplit(self.base_url)
            if (link.scheme, link.netloc) != (base.scheme, base.netloc):
                rebased = f"{base.scheme}://{base.netloc}{link.path}"
                return rebased + (f"?{link.query}" if link.query else "")
            return path_or_url
        return self.base_url + "/" + path_or_url.lstrip("/")

    def _observe(self, response: httpx.Response, endpoint: str) -> None:
        info = parse_rate_limit(response.headers, endpoint=endpoint)
        note_answer(info or RateLimitInfo(endpoint=endpoint))  # this task's own answer
        if info is not None:
            self.rate_limit = info
        if self._on_response is not None:
            try:
                self._on_response(response.status_code, info or RateLimitInfo(endpoint=endpoint))
            except Exception:  # a broken hook must not lose a server answer
                logger.exception("the on_response hook raised; ignored")

    async def send(
        self,
        method: str,
        url: str,
        *,
        step: str,
        idempotent: bool,
        resource: bool = False,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        content: Any = None,
        headers: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = _OK,
        endpoint: str = "api",
    ) -> httpx.Response:
        """Send one request and return the response, or raise a RepositoryError.

        ``idempotent`` and ``resource`` feed the error mapping (see
        :mod:`specpub.repository._errors`); ``ok`` lists the accepted statuses.
        """
        target = self.url(url)
        kwargs: dict[str, Any] = {"params": params, "headers": headers}
        key = None
        if json_body is not None:
            kwargs["content"] = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            kwargs["headers"] = {"Content-Type": "application/json", **(headers or {})}
            key = _request_key(method, target, kwargs["content"])
        elif content is not None:
            kwargs["content"] = content
        started = time.monotonic()
        sent = _SENT.get()
        if sent is not None:
            sent[0] += 1
        try:
            response = await self._client.request(method, target, **kwargs)
        except (httpx.TransportError, httpx.TimeoutException) as exc:
            err = error_from_exception(
                exc,
                step=step,
                method=method,
                url=target,
                idempotent=idempotent,
                redact=self.redact,
            )
            logger.info("%s %s failed: %s", method, safe_url(target), type(err).__name__)
            raise err from None
        logger.debug(
            "%s %s -> %s (%.3f s)",
            method,
            safe_url(response.request.url),
            response.status_code,
            time.monotonic() - started,
        )
        self._observe(response, endpoint)
        if response.status_code not in ok:
            err = error_from_response(
                response, step=step, idempotent=idempotent, resource=resource, redact=self.redact
            )
            logger.info("%s %s -> %s: %s", method, err.url, response.status_code, err.message)
            if key is not None and response.status_code == 500 and self._repeated.failed(key):
                raise _payload_rejected(err) from None
            raise err
        self._repeated.succeeded(key)
        return response

    async def json(
        self, method: str, url: str, *, expect: type | tuple[type, ...] | None = None, **kwargs: Any
    ) -> Any:
        """:meth:`send` and decode the JSON body (``None`` for 204).

        ``expect`` is the type the decoded body must have (``dict``, ``list``);
        an unusable success body is ``Ambiguous`` for non-idempotent requests.
        """
        response = await self.send(method, url, **kwargs)
        if response.status_code == 204 or not response.content:
            data = None
        else:
            try:
                data = response.json()
            except ValueError:
                raise error_from_bad_body(
                    response,
                    step=kwargs["step"],
                    idempotent=kwargs["idempotent"],
                    reason="the body is not JSON",
                ) from None
        if expect is not None and not isinstance(data, expect):
            raise error_from_bad_body(
                response,
                step=kwargs["step"],
                idempotent=kwargs["idempotent"],
                reason=f"expected a JSON {getattr(expect, '__name__', expect)}, "
                f"got {type(data).__name__}",
            )
        return data

    async def aclose(self) -> None:
        """Close all pooled connections."""
        await self._client.aclose()
