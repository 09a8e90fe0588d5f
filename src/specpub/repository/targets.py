"""Where records go: a registry of named targets, and :func:`open_client`.

Like papermill's engine registry, targets register by name with a factory
``factory(base_url) -> Target`` (``base_url`` is what the caller passed, or
``None``). Built in:

==================  ===========================  ======  ===============================  =======
name                base URL                     API     limits (search)                  DOIs
==================  ===========================  ======  ===============================  =======
``zenodo``          https://zenodo.org           legacy  100/min, 5000/h (30/min),        10.5281
                                                         documented
``zenodo-sandbox``  https://sandbox.zenodo.org   legacy  the same, assumed                10.5072
``embedded``        given at runtime (``url``)   legacy  the same, assumed                10.5072
a running handle    its own                      legacy  its own configuration, exact     its own
any ``https://``    the URL (an InvenioRDM)      native  InvenioRDM's defaults, assumed   unknown
==================  ===========================  ======  ===============================  =======

*Documented* limits are kept by the batch pacer; *assumed* ones are
conservative defaults (invenio-app's ``100 per minute;5000 per hour``, search
30/min as on Zenodo) that the pacer replaces by what the server's
``X-RateLimit-*`` headers announce (:class:`~specpub.batch.pacing.Pacer`,
``learn=True``). Register an institution's InvenioRDM with its documented
limits to skip the learning.

A *running repository handle* is any object with ``url`` and ``token``
attributes, such as the one :func:`specpub.running` yields: its target
carries the handle's limits (from its ``config``) and a
:class:`~specpub.repository.ServedToken`, so ``open_client(handle)`` needs no
environment variable at all.

Examples
--------
>>> t = resolve_target("zenodo")
>>> t.base_url, t.api_default, t.doi_prefix
('https://zenodo.org', 'legacy', '10.5281')
>>> t.rate_limits, t.limits_documented
((RateLimit(count=100, seconds=60.0), RateLimit(count=5000, seconds=3600.0)), True)
>>> rdm = resolve_target("https://data.example.org/")
>>> rdm.api_default, rdm.limits_documented
('native', False)
>>> resolve_target("embedded", base_url="http://127.0.0.1:5000").base_url
'http://127.0.0.1:5000'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol, runtime_checkable

import httpx

from specpub.errors import InputError
from specpub.limits import RateLimit, as_rate_limits, parse_rate_limits
from specpub.repository._http import DEFAULT_TIMEOUT, check_base_url
from specpub.repository._token import (
    DEFAULT_TOKEN_ENV,
    ServedToken,
    TokenProvider,
    as_token_provider,
)
from specpub.repository.legacy import LegacyClient
from specpub.repository.native import NativeClient
from specpub.repository.protocol import RepositoryClient, ResponseHook

__all__ = [
    "INVENIORDM_LIMITS",
    "INVENIORDM_SEARCH_LIMITS",
    "ZENODO_LIMITS",
    "ZENODO_SEARCH_LIMITS",
    "RunningRepository",
    "Target",
    "available_targets",
    "open_client",
    "register_target",
    "resolve_target",
]

Api = Literal["legacy", "native"]


#: zenodo.org's documented limits for an authenticated user, and for search (§1.9).
ZENODO_LIMITS = parse_rate_limits("100/minute;5000/hour")
ZENODO_SEARCH_LIMITS = parse_rate_limits("30/minute")
#: invenio-app's defaults for an authenticated user (``RATELIMIT_AUTHENTICATED_USER``);
#: search assumed as on Zenodo: what any InvenioRDM starts with until its headers speak.
INVENIORDM_LIMITS = parse_rate_limits("100/minute;5000/hour")
INVENIORDM_SEARCH_LIMITS = parse_rate_limits("30/minute")


@dataclass(frozen=True)
class Target:
    """A repository that records can be published to.

    Attributes
    ----------
    name
        The registry name (or the URL for ad-hoc InvenioRDM targets).
    base_url
        ``https://host`` without a trailing slash (``None``: given at runtime).
    api_default
        ``"legacy"`` (Zenodo deposit API) or ``"native"`` (InvenioRDM records API).
    rate_limits, search_rate_limits
        The limits of every request and of search requests.
    limits_documented
        ``True``: the limits are the server's own (documented, or the
        configuration of a running embedded repository) and the pacer keeps
        them. ``False``: conservative defaults, replaced by what the server's
        ``X-RateLimit-*`` headers announce.
    doi_prefix
        The prefix minted DOIs carry (``None`` if unknown).
    auth
        The token provider bound to this target (set for a running
        repository handle, whose token is known); ``None``: the caller's
        ``token_env`` / ``auth``.

    Examples
    --------
    >>> Target("x", "https://x.org", "native").search_rate_limits
    (RateLimit(count=30, seconds=60.0),)
    """

    name: str
    base_url: str | None
    api_default: Api = "native"
    rate_limits: tuple[RateLimit, ...] = INVENIORDM_LIMITS
    search_rate_limits: tuple[RateLimit, ...] = INVENIORDM_SEARCH_LIMITS
    limits_documented: bool = False
    doi_prefix: str | None = None
    auth: TokenProvider | None = field(default=None, repr=False, compare=False)


@runtime_checkable
class RunningRepository(Protocol):
    """A repository this process serves or started: it knows its ``url`` and ``token``.

    :func:`specpub.running` yields one (the embedded sandbox). Pass it
    wherever a target is expected (``to=``, :func:`open_client`): the token
    goes from the handle to the client, never through ``os.environ``.

    Examples
    --------
    >>> class Handle:
    ...     url, token = "http://127.0.0.1:5000", "t"
    >>> isinstance(Handle(), RunningRepository)
    True
    """

    url: str
    token: str


def _served_target(handle: RunningRepository) -> Target:
    """The target of a running repository handle: its URL, its configured limits, its token."""
    config = getattr(handle, "config", None)
    limits = getattr(config, "rate_limits", None)
    search = getattr(config, "search_rate_limits", None)
    base = _REGISTRY["embedded"](handle.url)
    known = limits is not None and search is not None
    return replace(
        base,
        base_url=handle.url,
        rate_limits=as_rate_limits(limits) if known else base.rate_limits,
        search_rate_limits=as_rate_limits(search) if known else base.search_rate_limits,
        limits_documented=known,
        doi_prefix=getattr(config, "doi_prefix", None) or base.doi_prefix,
        auth=ServedToken(handle),
    )


TargetFactory = Callable[[str | None], Target]
_REGISTRY: dict[str, TargetFactory] = {}


def register_target(name: str, factory: TargetFactory | Target) -> None:
    """Register (or replace) a named target.

    Parameters
    ----------
    name
        Lower-case name, e.g. ``"meise-rdm"``.
    factory
        ``factory(base_url) -> Target``, called by :func:`resolve_target` with
        the caller's ``base_url`` (or ``None``); or a fixed :class:`Target`.

    Examples
    --------
    >>> register_target("doctest-rdm", Target("doctest-rdm", "https://rdm.example.org"))
    >>> resolve_target("doctest-rdm").base_url
    'https://rdm.example.org'
    >>> unregister_target("doctest-rdm")
    """
    if not name or name.startswith(("http://", "https://")):
        raise InputError(f"target name {name!r} must be a plain name, not a URL")
    if isinstance(factory, Target):
        fixed = factory

        def factory(base_url: str | None, _t: Target = fixed) -> Target:
            return _t if base_url is None else replace(_t, base_url=base_url)

    _REGISTRY[name.lower()] = factory


def unregister_target(name: str) -> None:
    """Remove a registered target (no error if absent).

    Examples
    --------
    >>> unregister_target("never-registered")
    """
    _REGISTRY.pop(name.lower(), None)


def available_targets() -> list[str]:
    """The registered target names, sorted.

    Examples
    --------
    >>> {"embedded", "zenodo", "zenodo-sandbox"} <= set(available_targets())
    True
    """
    return sorted(_REGISTRY)


def resolve_target(
    name_or_url: str | Target | RunningRepository,
    *,
    base_url: str | None = None,
    need_url: bool = True,
) -> Target:
    """The :class:`Target` for a registered name, an ``http(s)://`` base URL or a handle.

    ``base_url`` overrides the registered address (required for ``embedded``
    given by name, unless ``need_url=False``: planning needs only the name).
    A :class:`RunningRepository` handle gives its own URL, limits and token.

    Raises
    ------
    InputError
        Unknown name, missing base URL, or plain http to a non-loopback host.

    Examples
    --------
    >>> resolve_target("zenodo-sandbox").base_url
    'https://sandbox.zenodo.org'
    >>> resolve_target("https://rdm.example.org/").name
    'https://rdm.example.org'
    """
    if isinstance(name_or_url, Target):
        target = name_or_url if base_url is None else replace(name_or_url, base_url=base_url)
    elif isinstance(name_or_url, RunningRepository) and not isinstance(name_or_url, str):
        target = _served_target(name_or_url)
    elif isinstance(name_or_url, str) and name_or_url.strip().startswith(("http://", "https://")):
        url = check_base_url(name_or_url)
        target = Target(name=url, base_url=url, api_default="native")
    else:
        key = str(name_or_url).strip().lower()
        factory = _REGISTRY.get(key)
        if factory is None:
            raise InputError(
                f"unknown repository target {name_or_url!r}",
                fix="use one of "
                + ", ".join(available_targets())
                + ", or an https:// address of an InvenioRDM instance",
            )
        target = factory(base_url)
    if target.base_url is None:
        if not need_url:
            return target
        raise InputError(
            f"target {target.name!r} needs a base URL",
            fix="pass base_url= (for 'embedded': the URL of the running sandbox)",
        )
    return replace(target, base_url=check_base_url(target.base_url))


def open_client(
    target: str | Target | RunningRepository,
    *,
    api: Api | None = None,
    token_env: str = DEFAULT_TOKEN_ENV,
    auth: TokenProvider | None = None,
    base_url: str | None = None,
    concurrency: int = 8,
    on_response: ResponseHook | None = None,
    timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
) -> RepositoryClient:
    """A client for ``target``, using the API given or the target's default.

    Parameters
    ----------
    target
        A registered name (``"zenodo"``, ``"zenodo-sandbox"``, ``"embedded"``),
        an ``https://`` base URL, a :class:`Target`, or a running repository
        handle (``specpub.running()``; its token is used).
    api
        ``"legacy"`` or ``"native"`` (default: the target's).
    token_env
        NAME of the environment variable holding the token (never the token;
        the keyring entry of that name is the fallback).
    auth
        A token provider instead (:class:`~specpub.repository.KeyringToken`,
        ...). Default: the target's own (a handle's), else ``token_env``.
    base_url
        Overrides the target's address (required for ``"embedded"``).
    concurrency
        Connection-pool size.
    on_response
        ``hook(status, RateLimitInfo)`` after every response (the batch pacer).
    timeout
        Seconds or an ``httpx.Timeout``.
    transport
        An ``httpx`` transport (tests pass ``httpx.MockTransport``).

    Raises
    ------
    InputError
        Unknown target or API, or an unsafe URL.
    AuthenticationError
        The token variable is not set.

    Examples
    --------
    >>> import os
    >>> os.environ["SPECPUB_DOCTEST_TOKEN"] = "t0k3n"
    >>> client = open_client("zenodo-sandbox", token_env="SPECPUB_DOCTEST_TOKEN")
    >>> type(client).__name__, client.base_url
    ('LegacyClient', 'https://sandbox.zenodo.org')
    >>> type(open_client("zenodo", api="native", token_env="SPECPUB_DOCTEST_TOKEN")).__name__
    'NativeClient'
    >>> del os.environ["SPECPUB_DOCTEST_TOKEN"]
    """
    resolved = resolve_target(target, base_url=base_url)
    chosen = api or resolved.api_default
    classes = {"legacy": LegacyClient, "native": NativeClient}
    if chosen not in classes:
        raise InputError(f"unknown API {chosen!r}", fix="use 'legacy' or 'native'")
    assert resolved.base_url is not None
    return classes[chosen](
        resolved.base_url,
        token=as_token_provider(auth or resolved.auth, token_env),
        concurrency=concurrency,
        timeout=timeout,
        on_response=on_response,
        transport=transport,
    )


register_target(
    "zenodo",
    Target(
        "zenodo",
        "https://zenodo.org",
        "legacy",
        ZENODO_LIMITS,
        ZENODO_SEARCH_LIMITS,
        limits_documented=True,
        doi_prefix="10.5281",
    ),
)
register_target(
    "zenodo-sandbox",
    Target(
        "zenodo-sandbox",
        "https://sandbox.zenodo.org",
        "legacy",
        ZENODO_LIMITS,
        ZENODO_SEARCH_LIMITS,
        doi_prefix="10.5072",
    ),
)
# The embedded repository's defaults are Zenodo's; a `specpub sandbox serve` may run with
# others, so given by name they are assumed (a running handle brings its exact ones).
register_target(
    "embedded",
    Target("embedded", None, "legacy", ZENODO_LIMITS, ZENODO_SEARCH_LIMITS, doi_prefix="10.5072"),
)
