"""Check a token before anything is sent: whose it is, and what it may do.

:func:`whoami` asks the target two read-only questions with the token:

1. ``GET /api/me``: the token's user (InvenioRDM, Zenodo and the embedded
   repository answer it);
2. one page of one record of the user's own records and drafts (legacy
   ``GET /api/deposit/depositions``, native ``GET /api/user/records``): the
   listing the batch engine's inventory and preflight use, which needs the
   deposit scopes on Zenodo.

Nothing is created, changed or published. A missing variable, a token the
server refuses (wrong, expired, revoked, made for another repository) and a
token that may not list its records each raise
:class:`~specpub.errors.AuthenticationError` with what to do; the message
names the variable, never its value.

What a token may *create* and *publish* cannot be asked without doing it:
InvenioRDM and Zenodo do not report a personal token's scopes to its holder.
When a server does report them (a ``scopes`` list in ``/api/me``), they are
read (``deposit:write`` creates drafts and uploads, ``deposit:actions``
publishes); otherwise :attr:`TokenCheck.may` says ``None`` (unknown) for
those two, and the first create of a batch would fail with a clear error.

The command line face is ``specpub whoami --to TARGET [--url URL] --token-env NAME``
(:mod:`specpub._whoami_cli`).

Examples
--------
>>> import specpub
>>> with specpub.running() as sb:
...     check = specpub.whoami(sb)
>>> check.username, check.may["list"]
('sandbox-user', True)
>>> print(check.summary().splitlines()[0])  # doctest: +ELLIPSIS
The token (served:http://127.0.0.1:...) belongs to sandbox-user (user 1) on http://127.0.0.1:...
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

import httpx
import pandas as pd

from specpub._display import FrameResult
from specpub._sync import run_sync
from specpub.errors import AuthenticationError, NotFound, RepositoryError, Transient
from specpub.repository._token import DEFAULT_TOKEN_ENV, TokenProvider, describe_token_env
from specpub.repository.targets import RunningRepository, Target, open_client, resolve_target

__all__ = ["TokenCheck", "whoami", "whoami_async"]

Api = Literal["legacy", "native"]

#: What :attr:`TokenCheck.may` reports, and the scope that grants each (Zenodo's names).
ACTIONS = {
    "identify": "read the user's profile (GET /api/me)",
    "list": "list the user's own records and drafts",
    "create": "create drafts and upload files (scope deposit:write)",
    "publish": "publish, edit and discard (scope deposit:actions)",
}
_SCOPE_OF = {"create": "deposit:write", "publish": "deposit:actions"}


@dataclass(frozen=True)
class TokenCheck(FrameResult):
    """What :func:`whoami` found out about a token on one repository.

    Attributes
    ----------
    target
        The target's name (``zenodo``, ``embedded``, or the InvenioRDM URL).
    base_url, api
        Where it runs and the API spoken (``legacy`` or ``native``).
    token_source
        Where the token came from (``env:ZENODO_TOKEN``, ``served:URL``),
        never the token.
    user_id, username, full_name, email
        The token's user, as ``/api/me`` answered (``None``: not reported).
    scopes
        The token's scopes if the server reported them, else ``None``.
    may
        Action → ``True`` (checked: allowed), ``False`` (checked: refused) or
        ``None`` (not known without doing it); see :data:`ACTIONS`.
    notes
        Plain-language remarks (why something is unknown, what was refused).

    Examples
    --------
    >>> c = TokenCheck("zenodo", "https://zenodo.org", "legacy", "env:ZENODO_TOKEN",
    ...                "7", "ana", may={"identify": True, "list": True,
    ...                                 "create": None, "publish": None})
    >>> c.ok, c.to_frame()["allowed"].tolist()
    (True, ['yes', 'yes', 'unknown', 'unknown'])
    """

    target: str
    base_url: str
    api: str
    token_source: str
    user_id: str | None = None
    username: str | None = None
    full_name: str | None = None
    email: str | None = None
    scopes: tuple[str, ...] | None = None
    may: Mapping[str, bool | None] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """The token is accepted and may list the user's records (what every batch needs)."""
        return bool(self.may.get("list")) and self.may.get("create") is not False

    def require(self) -> TokenCheck:
        """``self`` if :attr:`ok`, else raise :class:`~specpub.errors.AuthenticationError`.

        For scripts and notebooks that must stop before anything is sent
        (``specpub.whoami("zenodo").require()``), as ``raise_for_status`` in httpx.

        Examples
        --------
        >>> TokenCheck("zenodo", "https://zenodo.org", "legacy", "env:T",
        ...            may={"list": False}).require()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        specpub.errors.AuthenticationError: this token cannot publish to https://zenodo.org: ...
        """
        if self.ok:
            return self
        raise AuthenticationError(
            f"this token cannot publish to {self.base_url}: " + " ".join(self.summary().split("\n"))
        )

    @property
    def user(self) -> str:
        """The user for people: ``name (user ID)``, or ``an unnamed user``."""
        name = self.full_name or self.username
        if name and self.user_id:
            return f"{name} (user {self.user_id})"
        return name or (f"user {self.user_id}" if self.user_id else "an unnamed user")

    def to_frame(self) -> pd.DataFrame:
        """One row per action: ``action``, ``allowed`` (yes/no/unknown), ``what``."""
        shown = {True: "yes", False: "no", None: "unknown"}
        rows = [(a, shown[self.may.get(a)], what) for a, what in ACTIONS.items()]
        return pd.DataFrame.from_records(rows, columns=["action", "allowed", "what"])

    def summary(self) -> str:
        """Whose token, where, and what it may do, in a few lines."""
        lines = [
            f"The token ({self.token_source}) belongs to {self.user} on {self.base_url} "
            f"({self.target}, {self.api} API)."
        ]
        if self.scopes is not None:
            lines.append("Scopes: " + (", ".join(self.scopes) or "none"))
        allowed = [a for a in ACTIONS if self.may.get(a) is True]
        refused = [a for a in ACTIONS if self.may.get(a) is False]
        unknown = [a for a in ACTIONS if self.may.get(a) is None]
        if allowed:
            lines.append("It may: " + ", ".join(allowed) + ".")
        if refused:
            lines.append("It may not: " + ", ".join(refused) + ".")
        if unknown:
            lines.append("Not known before trying: " + ", ".join(unknown) + ".")
        lines.extend(self.notes)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (no token: only where it came from).

        Examples
        --------
        >>> TokenCheck("embedded", "http://127.0.0.1:1", "legacy", "env:T").to_dict()["ok"]
        False
        """
        return {
            "target": self.target,
            "base_url": self.base_url,
            "api": self.api,
            "token_source": self.token_source,
            "user_id": self.user_id,
            "username": self.username,
            "full_name": self.full_name,
            "email": self.email,
            "scopes": None if self.scopes is None else list(self.scopes),
            "may": dict(self.may),
            "ok": self.ok,
            "notes": list(self.notes),
        }


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _identity(me: Mapping[str, Any]) -> dict[str, Any]:
    """User fields of an ``/api/me`` answer (InvenioRDM's user schema, tolerant)."""
    profile = me.get("profile") if isinstance(me.get("profile"), Mapping) else {}
    scopes = me.get("scopes")
    return {
        "user_id": _text(me.get("id")),
        "username": _text(me.get("username")),
        "full_name": _text(profile.get("full_name")),
        "email": _text(me.get("email")),
        "scopes": tuple(str(s) for s in scopes) if isinstance(scopes, list) else None,
    }


def _unanswered(err: Transient, target: Target, timeout: float) -> Transient:
    """The error for a check that got no answer at all (closed port, timeout, DNS)."""
    return Transient(
        f"{target.base_url} did not answer the token check ({err.message}). The address "
        "may be wrong, or the server down, slow or out of this machine's reach; the check "
        f"only reads, nothing was created. Each answer was awaited up to {timeout:g} s: "
        "check the address, then try again once the server answers",
        method=err.method,
        url=err.url,
        step="whoami",
    )


def _refused(err: RepositoryError, target: Target, source: str) -> AuthenticationError:
    """The error for a token the server refuses outright (401)."""
    var = source[4:] if source.startswith("env:") else None
    where = describe_token_env(var) if var else source
    return AuthenticationError(
        f"{target.base_url} refused the token from {where} (HTTP {err.status}): it is wrong, "
        "expired or revoked, or it was made for another repository (a sandbox.zenodo.org "
        "token does not work on zenodo.org, nor the other way round). Create a new personal "
        f"access token at {target.base_url}/account/settings/applications/ with the scopes "
        "deposit:write and deposit:actions, put it in that variable and check again",
        status=err.status,
        method=err.method,
        url=err.url,
        step="whoami",
    )


async def whoami_async(
    to: str | Target | RunningRepository,
    *,
    url: str | None = None,
    token_env: str = DEFAULT_TOKEN_ENV,
    auth: TokenProvider | None = None,
    api: Api | None = None,
    timeout: float = 30.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> TokenCheck:
    """:func:`whoami` for code that owns its event loop (``transport``: an httpx one, for tests).

    Examples
    --------
    >>> import asyncio, specpub
    >>> with specpub.running() as sb:
    ...     asyncio.run(whoami_async(sb)).ok
    True
    """
    target = resolve_target(to, base_url=url)
    client = open_client(
        target, api=api, token_env=token_env, auth=auth, timeout=timeout, transport=transport
    )
    try:
        return await _check(client, target, notes=[])
    except Transient as err:
        if err.status is not None:  # an answer: 5xx, 429
            raise
        raise _unanswered(err, target, timeout) from None
    finally:
        await client.aclose()


async def _check(client: Any, target: Target, *, notes: list[str]) -> TokenCheck:
    """The two read-only requests of :func:`whoami_async`, and their reading."""
    source = client.token_source
    may: dict[str, bool | None] = dict.fromkeys(ACTIONS)
    ident: dict[str, Any] = {}
    try:
        ident = _identity(await client.me())
        may["identify"] = True
    except AuthenticationError as err:
        if err.status == 401:
            raise _refused(err, target, source) from None
        may["identify"] = False  # 403: accepted, but may not read the profile
        notes.append("The token may not read its user's profile (HTTP 403 on /api/me).")
    except NotFound:
        notes.append(f"{target.base_url} has no /api/me: the user is not known by name.")
    try:
        listed = await client.list_records("", page=1, size=1)
        may["list"] = True
        if not ident.get("user_id"):
            owners = (r.raw.get("owner") for r in listed if isinstance(r.raw, Mapping))
            ident["user_id"] = _text(next(owners, None))
    except AuthenticationError as err:
        if err.status == 401:
            raise _refused(err, target, source) from None
        may["list"] = False
        notes.append(
            f"The token may not list its records and drafts (HTTP {err.status}): it lacks "
            "the deposit scopes. Create a token with deposit:write and deposit:actions."
        )
    scopes = ident.get("scopes")
    if scopes is not None:
        for action, scope in _SCOPE_OF.items():
            may[action] = scope in scopes
    else:
        notes.append(
            "The server does not report a token's scopes, so whether it may create and "
            "publish is only known at the first create (which would fail with a clear "
            "error); tokens need deposit:write and deposit:actions."
        )
    return TokenCheck(
        target=target.name,
        base_url=str(target.base_url),
        api=client.api,
        token_source=source,
        user_id=ident.get("user_id"),
        username=ident.get("username"),
        full_name=ident.get("full_name"),
        email=ident.get("email"),
        scopes=scopes,
        may=may,
        notes=tuple(notes),
    )


def whoami(
    to: str | Target | RunningRepository,
    *,
    url: str | None = None,
    token_env: str = DEFAULT_TOKEN_ENV,
    auth: TokenProvider | None = None,
    api: Api | None = None,
    timeout: float = 30.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> TokenCheck:
    """Check a token on a repository before anything is sent: whose it is, what it may do.

    Two read-only requests (the user, one record of the user's own
    listing); nothing is created. Use it before :func:`publish`, in a
    notebook's target panel, or as ``specpub whoami``.

    Parameters
    ----------
    to
        ``"zenodo"``, ``"zenodo-sandbox"``, ``"embedded"`` (with ``url=``), an
        InvenioRDM URL, or a running repository handle (``specpub.running()``).
    url
        Where a target given by name runs (the embedded repository's URL).
    token_env
        The NAME of the environment variable holding the token (never the
        token); the keyring entry of that name is the fallback.
    auth
        A token provider instead (:class:`specpub.repository.KeyringToken`...).
    api
        ``"legacy"`` or ``"native"`` (default: the target's).
    timeout
        Seconds to wait for each answer.
    transport
        An ``httpx`` transport (tests pass ``httpx.MockTransport``).

    Returns
    -------
    TokenCheck
        ``.username``, ``.user_id``, ``.may`` (action → True/False/None),
        ``.ok``, ``.summary()``, ``.to_frame()``.

    Raises
    ------
    AuthenticationError
        The variable is not set, or the server refuses the token (the
        message says why and how to get a good one; it never holds the token).
    InputError
        Unknown target, or an embedded target given by name without ``url``.
    RepositoryError
        The server cannot be reached or answers with an error.

    Examples
    --------
    >>> import specpub
    >>> with specpub.running() as sb:
    ...     check = specpub.whoami("embedded", url=sb.url, auth=specpub.repository.ServedToken(sb))
    >>> check.ok, check.may["identify"]
    (True, True)
    """
    return run_sync(partial(whoami_async, **locals()), name="specpub-whoami")
