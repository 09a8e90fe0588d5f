"""Find the access token without ever passing it around as a parameter.

A *token provider* says where the token is, never what it is. Clients ask it
for the token once, when they are opened, and keep the value inside a
:class:`Secret` whose ``repr`` and ``str`` never show it. Providers:

:class:`EnvToken` (what ``token_env="NAME"`` means everywhere)
    The environment variable of that name; if it is unset and the optional
    :mod:`keyring` package is importable, the keyring entry with service
    ``"specpub"`` and user name equal to the variable name (set it with
    ``keyring set specpub ZENODO_TOKEN``).
:class:`KeyringToken`
    Only the keyring entry (any service and user name).
:class:`ServedToken`
    The token of a repository this process serves or started (a running
    embedded sandbox knows its own token): nothing goes through
    ``os.environ``, so two sandboxes in one notebook kernel never mix up.

Anything with a ``source`` attribute (a description for messages) and a
``secret()`` method returning a :class:`Secret` is a provider too
(:class:`TokenProvider`).

Examples
--------
>>> import os
>>> os.environ["SPECPUB_DOCTEST_TOKEN"] = "abc123"
>>> secret = resolve_token("SPECPUB_DOCTEST_TOKEN")
>>> secret
Secret('SPECPUB_DOCTEST_TOKEN', <redacted>)
>>> secret.redact("sent abc123 to the server")
'sent *** to the server'
>>> del os.environ["SPECPUB_DOCTEST_TOKEN"]
"""

from __future__ import annotations

import os
import re
from typing import Protocol, runtime_checkable

from specpub.errors import AuthenticationError

__all__ = [
    "DEFAULT_TOKEN_ENV",
    "EnvToken",
    "KeyringToken",
    "Secret",
    "ServedToken",
    "TokenProvider",
    "as_token_provider",
    "resolve_token",
]

_VALID_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Names safe to print back: one case, short, and either with "_" or too short to be a token.
_SHOWABLE_NAME = re.compile(r"^(?:[A-Z_][A-Z0-9_]{0,39}|[a-z_][a-z0-9_]{0,39})$")
KEYRING_SERVICE = "specpub"
#: The environment variable read by default (a name, not a secret).
DEFAULT_TOKEN_ENV = "ZENODO_TOKEN"  # noqa: S105


class Secret:
    """A token value that does not show itself.

    Examples
    --------
    >>> s = Secret("X", "hunter2")
    >>> str(s), s.value
    ('<redacted>', 'hunter2')
    """

    __slots__ = ("_value", "source")

    def __init__(self, source: str, value: str) -> None:
        self.source = source
        self._value = value

    @property
    def value(self) -> str:
        """The token itself: only for the ``Authorization`` header."""
        return self._value

    def redact(self, text: str) -> str:
        """``text`` with every occurrence of the token replaced by ``***``."""
        if not self._value:
            return text
        return text.replace(self._value, "***")

    def __repr__(self) -> str:
        return f"Secret({self.source!r}, <redacted>)"

    def __str__(self) -> str:
        return "<redacted>"

    def __reduce__(self) -> None:  # never pickled into a ledger or a notebook
        raise TypeError("a Secret cannot be pickled")


def shown_name(token_env: object) -> str | None:
    """``token_env`` if it is safe to print back, else ``None``.

    A user who passes the token *value* where its variable's name is
    expected (``--token-env "$TOKEN"``) must not find the token in an error
    message, a log or a notebook's output. Only conventional variable names
    are shown: one case, at most 40 characters, and with an underscore or
    shorter than 20 characters (a token is long, mixes cases, has no ``_``).

    Examples
    --------
    >>> shown_name("ZENODO_TOKEN"), shown_name("my_token")
    ('ZENODO_TOKEN', 'my_token')
    >>> shown_name("aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7dE9fG1hJ3kL5mN7pQ9r") is None
    True
    >>> shown_name("0123456789abcdef0123456789abcdef01234567") is None
    True
    """
    if not isinstance(token_env, str) or not _SHOWABLE_NAME.match(token_env):
        return None
    return token_env if ("_" in token_env or len(token_env) < 20) else None


def describe_token_env(token_env: object) -> str:
    """How messages name the variable: by name when showable, else without the value.

    Examples
    --------
    >>> describe_token_env("ZENODO_TOKEN")
    'the environment variable ZENODO_TOKEN'
    >>> describe_token_env("s3cr3t-T0ken-value")
    'the variable named by --token-env (not shown: it does not look like a variable name)'
    """
    name = shown_name(token_env)
    if name is not None:
        return f"the environment variable {name}"
    return "the variable named by --token-env (not shown: it does not look like a variable name)"


def _from_keyring(name: str, service: str = KEYRING_SERVICE) -> str | None:
    try:
        import keyring  # optional: not a dependency
    except ImportError:
        return None
    try:
        return keyring.get_password(service, name)
    except Exception:  # any backend failure means "not there"
        return None


def resolve_token(token_env: str = DEFAULT_TOKEN_ENV) -> Secret:
    """The token named ``token_env``, from the environment or the keyring.

    Raises
    ------
    AuthenticationError
        When neither holds a value; the message names the variable and how
        to set it (never a value).
    """
    _check_name(token_env)
    value = (os.environ.get(token_env) or "").strip()
    if value:
        return Secret(token_env, value)
    value = (_from_keyring(token_env) or "").strip()
    if value:
        return Secret(f"keyring:{KEYRING_SERVICE}/{token_env}", value)
    name = shown_name(token_env) or "ZENODO_TOKEN"
    raise AuthenticationError(
        f"no access token: {describe_token_env(token_env)} is not set. "
        f"Create a personal access token (scopes deposit:write and deposit:actions) "
        f"in the repository's account settings, then `export {name}=...` in the "
        f"shell that starts Python or Jupyter (or `keyring set {KEYRING_SERVICE} "
        f"{name}` if keyring is installed); never write the token into a notebook"
    )


@runtime_checkable
class TokenProvider(Protocol):
    """Where a client gets its token: a ``source`` to name in messages, a ``secret()``.

    Examples
    --------
    >>> isinstance(EnvToken("ZENODO_TOKEN"), TokenProvider)
    True
    """

    @property
    def source(self) -> str:  # pragma: no cover - protocol
        """Where the token comes from (``"env:ZENODO_TOKEN"``); never the token."""

    def secret(self) -> Secret:  # pragma: no cover - protocol
        """The token, wrapped; raise :class:`~specpub.errors.AuthenticationError` if absent."""


class EnvToken:
    """The token in the environment variable ``name`` (keyring entry as fallback).

    Parameters
    ----------
    name
        The NAME of the variable (default ``ZENODO_TOKEN``), never the token.

    Examples
    --------
    >>> import os
    >>> os.environ["SPECPUB_DOCTEST_TOKEN"] = "abc123"
    >>> provider = EnvToken("SPECPUB_DOCTEST_TOKEN")
    >>> provider, provider.secret()
    (EnvToken('SPECPUB_DOCTEST_TOKEN'), Secret('SPECPUB_DOCTEST_TOKEN', <redacted>))
    >>> del os.environ["SPECPUB_DOCTEST_TOKEN"]
    """

    __slots__ = ("name",)

    def __init__(self, name: str = DEFAULT_TOKEN_ENV) -> None:
        _check_name(name)
        self.name = name

    @property
    def source(self) -> str:
        """``env:NAME``."""
        return f"env:{self.name}"

    def secret(self) -> Secret:
        """The token, from the environment or the keyring."""
        return resolve_token(self.name)

    def __repr__(self) -> str:
        return f"EnvToken({self.name!r})"


class KeyringToken:
    """The token stored in the system keyring (needs the optional ``keyring`` package).

    Parameters
    ----------
    username
        The keyring entry's user name (e.g. ``"ZENODO_TOKEN"`` or your login).
    service
        The keyring service (default ``"specpub"``).

    Examples
    --------
    >>> KeyringToken("ZENODO_TOKEN").source
    'keyring:specpub/ZENODO_TOKEN'
    """

    __slots__ = ("service", "username")

    def __init__(self, username: str, service: str = KEYRING_SERVICE) -> None:
        self.username = username
        self.service = service

    @property
    def source(self) -> str:
        """``keyring:SERVICE/USERNAME``."""
        return f"keyring:{self.service}/{self.username}"

    def secret(self) -> Secret:
        """The token from the keyring."""
        value = (_from_keyring(self.username, self.service) or "").strip()
        if value:
            return Secret(self.source, value)
        raise AuthenticationError(
            f"no access token in the keyring entry {self.source} (or the keyring package "
            f"is not installed): `pip install keyring`, then `keyring set {self.service} "
            f"{self.username}`"
        )

    def __repr__(self) -> str:
        return f"KeyringToken({self.username!r}, service={self.service!r})"


class ServedToken:
    """The token of a running repository handle (an object with ``url`` and ``token``).

    Used for the embedded sandbox this process started (``specpub.running()``),
    or one discovered on this machine: the token goes straight from the
    handle to the client, never through ``os.environ``.

    Examples
    --------
    >>> class Handle:
    ...     url, token = "http://127.0.0.1:5000", "s3cr3t"
    >>> provider = ServedToken(Handle())
    >>> provider.source, provider.secret()
    ('served:http://127.0.0.1:5000', Secret('served:http://127.0.0.1:5000', <redacted>))
    """

    __slots__ = ("_handle",)

    def __init__(self, handle: object) -> None:
        self._handle = handle

    @property
    def source(self) -> str:
        """``served:URL``."""
        return f"served:{getattr(self._handle, 'url', '?')}"

    def secret(self) -> Secret:
        """The handle's token."""
        value = str(getattr(self._handle, "token", "") or "").strip()
        if not value:
            raise AuthenticationError(f"the repository at {self.source[7:]} has no token")
        return Secret(self.source, value)

    def __repr__(self) -> str:
        return f"ServedToken({self.source[7:]!r})"


def as_token_provider(
    auth: TokenProvider | None = None, token_env: str = DEFAULT_TOKEN_ENV
) -> TokenProvider:
    """``auth`` if given, else :class:`EnvToken` of ``token_env``; refuses token values.

    Raises
    ------
    AuthenticationError
        ``auth`` is a string (a token value must never be a parameter) or
        not a provider; ``token_env`` is not a variable name.

    Examples
    --------
    >>> as_token_provider(None, "MY_TOKEN")
    EnvToken('MY_TOKEN')
    >>> as_token_provider("ghp_abc")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    specpub.errors.AuthenticationError: auth= takes a token provider, not a string...
    """
    if auth is None:
        return EnvToken(token_env)
    if isinstance(auth, str):
        raise AuthenticationError(
            "auth= takes a token provider, not a string: never pass a token as a value. "
            "Put it in an environment variable and pass its NAME as token_env=, or use "
            "specpub.repository.KeyringToken(...)"
        )
    if not isinstance(auth, TokenProvider):
        raise AuthenticationError(
            f"auth= must be a token provider (EnvToken, KeyringToken, ...), "
            f"not {type(auth).__name__}"
        )
    return auth


def _check_name(token_env: object) -> None:
    if not isinstance(token_env, str) or not _VALID_NAME.match(token_env):
        raise AuthenticationError(
            "token_env must be the NAME of an environment variable (such as "
            "'ZENODO_TOKEN'), not the token itself"
        )
