"""Find the access token without ever passing it around as a parameter.

The token is looked up by *name*: first the environment variable of that name,
then, if the optional :mod:`keyring` package is importable, the keyring entry
with service ``"specpub"`` and user name equal to the variable name (set it
with ``keyring set specpub ZENODO_TOKEN``). The value is kept inside a
:class:`Secret` whose ``repr`` and ``str`` never show it.

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

from specpub.errors import AuthenticationError

_VALID_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
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


def _from_keyring(name: str) -> str | None:
    try:
        import keyring  # optional: not a dependency
    except ImportError:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, name)
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
    if not isinstance(token_env, str) or not _VALID_NAME.match(token_env):
        raise AuthenticationError(
            "token_env must be the NAME of an environment variable (such as "
            "'ZENODO_TOKEN'), not the token itself"
        )
    value = (os.environ.get(token_env) or "").strip()
    if value:
        return Secret(token_env, value)
    value = (_from_keyring(token_env) or "").strip()
    if value:
        return Secret(f"keyring:{KEYRING_SERVICE}/{token_env}", value)
    raise AuthenticationError(
        f"no access token: the environment variable {token_env} is not set. "
        f"Create a personal access token (scopes deposit:write and deposit:actions) "
        f"in the repository's account settings, then `export {token_env}=...` in the "
        f"shell that starts Python or Jupyter (or `keyring set {KEYRING_SERVICE} "
        f"{token_env}` if keyring is installed); never write the token into a notebook"
    )
