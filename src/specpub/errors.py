"""One exception hierarchy for all of specpub.

Every error specpub raises on purpose derives from :class:`SpecpubError`::

    SpecpubError
    ├── InputError                 bad table, file, template or config: what, where, fix
    └── RepositoryError            anything a repository said or failed to say
        ├── Transient              retry later: 5xx, timeouts before sending, 429
        │   └── RateLimited        429, carries ``retry_after``
        ├── Rejected               4xx: do not retry; carries the server's field messages
        │   └── AuthenticationError   token missing, unknown or refused: stop the batch
        ├── NotFound               404: gone, or an outage symptom; final only once confirmed
        ├── Ambiguous              the request may or may not have taken effect: reconcile first
        └── ChecksumMismatch       the server's checksum differs from the local MD5

How each kind of error is *handled* (retried, counted as an outage symptom,
stopping the run) is read from the classes by :func:`classify`, the one
classification the batch runner, reconciliation and the audit share.

Examples
--------
>>> from specpub.errors import InputError
>>> err = InputError("catalogNumber is empty", file="specimens.csv", row=12,
...                  column="catalogNumber", fix="fill it in or drop the row")
>>> err.where
"specimens.csv, row 12, column 'catalogNumber'"
>>> err.fix
'fill it in or drop the row'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Ambiguous",
    "AuthenticationError",
    "ChecksumMismatch",
    "ErrorClass",
    "FieldError",
    "InputError",
    "NotFound",
    "RateLimited",
    "Rejected",
    "RepositoryError",
    "SpecpubError",
    "Transient",
    "classify",
]


class SpecpubError(Exception):
    """Base class of every error specpub raises on purpose.

    Examples
    --------
    >>> try:
    ...     raise SpecpubError("something went wrong")
    ... except SpecpubError as err:
    ...     print(err)
    something went wrong
    """


class InputError(SpecpubError, ValueError):
    """Bad user input: a table, file, template, mapping or configuration.

    The message always says *what* is wrong, *where* (file, row, column or
    field, whichever apply) and *how to fix it*.

    Parameters
    ----------
    message
        What is wrong, as one sentence.
    file, row, column, field
        Where it is wrong. ``row`` is the 1-based row number of the *source*
        (as a spreadsheet shows it), not a DataFrame index.
    fix
        What the user should do about it.

    Examples
    --------
    >>> print(InputError("no catalogue-number column", file="t.csv",
    ...                  fix="name one column 'catalogNumber' or pass mapping="))
    t.csv: no catalogue-number column. Fix: name one column 'catalogNumber' or pass mapping=.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.file = None if file is None else str(file)
        self.row = row
        self.column = column
        self.field = field
        self.fix = fix
        super().__init__(self._render())

    @property
    def where(self) -> str:
        """The location part of the message (``''`` when unknown)."""
        parts = []
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        if self.field is not None:
            parts.append(f"field {self.field!r}")
        return ", ".join(parts)

    def _render(self) -> str:
        text = self.message.rstrip(".") + "."
        if self.where:
            text = f"{self.where}: {text}"
        if self.fix:
            text += f" Fix: {self.fix.rstrip('.')}."
        return text


@dataclass(frozen=True)
class FieldError:
    """One field message returned by a repository (``errors[]`` of a 400).

    Examples
    --------
    >>> FieldError("metadata.title", ("Missing data for required field.",)).text
    'metadata.title: Missing data for required field.'
    """

    field: str | None
    messages: tuple[str, ...] = field(default_factory=tuple)

    @property
    def text(self) -> str:
        """The messages joined, prefixed with the field path."""
        body = " ".join(self.messages)
        return f"{self.field}: {body}" if self.field else body

    @classmethod
    def parse_list(cls, errors: Any) -> tuple[FieldError, ...]:
        """Parse the ``errors`` array of a server error body.

        Accepts both the current shape (``messages``: a list) and the old
        Zenodo shape (``message``: a string).

        Examples
        --------
        >>> FieldError.parse_list([{"field": "a", "message": "bad"}])
        (FieldError(field='a', messages=('bad',)),)
        """
        out: list[FieldError] = []
        if not isinstance(errors, Sequence) or isinstance(errors, str | bytes):
            return ()
        for item in errors:
            if not isinstance(item, Mapping):
                out.append(cls(None, (str(item),)))
                continue
            msgs = item.get("messages")
            if msgs is None:
                msgs = item.get("message")
            if isinstance(msgs, str):
                msgs = [msgs]
            elif isinstance(msgs, Mapping):  # nested marshmallow dicts
                msgs = [f"{k}: {v}" for k, v in msgs.items()]
            elif not isinstance(msgs, Sequence):
                msgs = [] if msgs is None else [str(msgs)]
            fld = item.get("field")
            out.append(cls(None if fld is None else str(fld), tuple(str(m) for m in msgs)))
        return tuple(out)


class RepositoryError(SpecpubError):
    """Something a repository answered, or failed to answer.

    Parameters
    ----------
    message
        Human-readable summary (never contains a token).
    status
        HTTP status code, when there was a response.
    method, url
        The request (the URL has any ``access_token`` parameter removed).
    errors
        Field messages from the response body.
    step
        The workflow step (``create``, ``upload``, ``publish``, ...), set by callers.

    Examples
    --------
    >>> err = Rejected("A validation error occurred.", status=400,
    ...                errors=[FieldError("metadata.title", ("Too short.",))])
    >>> err.field_messages
    ['metadata.title: Too short.']
    """

    #: Whether retrying the same request later may succeed.
    retryable: bool = False
    #: Whether the error may mean the repository is down (counts toward the circuit breaker).
    outage_symptom: bool = False
    #: Whether the error stops a whole run or check at once (retrying cannot help any record).
    stops_run: bool = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str | None = None,
        url: str | None = None,
        errors: Sequence[FieldError] = (),
        step: str | None = None,
        error_id: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.method = method
        self.url = url
        self.errors = tuple(errors)
        self.step = step
        self.error_id = error_id
        super().__init__(self._render())

    @property
    def field_messages(self) -> list[str]:
        """The server's field messages as ``"field: message"`` strings."""
        return [e.text for e in self.errors]

    def _render(self) -> str:
        head = ""
        if self.method and self.url:
            head = f"{self.method} {self.url}"
        if self.status is not None:
            head = f"{head} -> {self.status}" if head else f"HTTP {self.status}"
        text = f"{head}: {self.message}" if head else self.message
        if self.errors:
            text += " [" + "; ".join(self.field_messages) + "]"
        return text


class Transient(RepositoryError):
    """Retry later: 5xx, a timeout or connection failure *before* the request
    was sent, or 429.

    Examples
    --------
    >>> Transient("Bad Gateway", status=502).retryable
    True
    """

    retryable = True
    outage_symptom = True


class RateLimited(Transient):
    """HTTP 429. ``retry_after`` is in seconds (``None`` if the server gave none).

    Examples
    --------
    >>> RateLimited("Too many requests", status=429, retry_after=12.0).retry_after
    12.0
    """

    outage_symptom = False

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class Rejected(RepositoryError):
    """The repository refused the request (4xx): retrying will not help.

    Carries the server's field messages in :attr:`errors`.
    """


class AuthenticationError(Rejected):
    """The token is missing, unknown or refused (401/403). Stops a batch at once.

    Examples
    --------
    >>> print(AuthenticationError("token refused", status=401))
    HTTP 401: token refused
    >>> AuthenticationError("x").stops_run
    True
    """

    stops_run = True


class NotFound(RepositoryError):
    """HTTP 404: the record is gone, *or* the repository is having an outage.

    During its database outage of May 2019 Zenodo answered 404 to every
    request, and a search index that has not caught up "misses" records that
    exist. So one 404 is never proof that something is gone: it is retryable
    (the same request may succeed later), counts toward the circuit breaker as
    an outage symptom, and becomes final only once confirmed (reconciliation
    GETs the record again while the repository still serves records it holds).
    Code for which a 404 means "already done" (a repeated delete, a repeated
    publish) catches it explicitly.

    Examples
    --------
    >>> err = NotFound("The persistent identifier does not exist.", status=404)
    >>> err.retryable, err.outage_symptom, isinstance(err, Rejected)
    (True, True, False)
    """

    retryable = True
    outage_symptom = True


class Ambiguous(RepositoryError):
    """The request was sent and may or may not have taken effect (timeout or
    dropped connection after sending, 502/504 on a non-idempotent step).

    Never repeat the request blindly: look the state up first (reconcile).

    Examples
    --------
    >>> Ambiguous("read timeout after sending", method="POST", url="http://x/api/records").retryable
    False
    """

    outage_symptom = True


class ChecksumMismatch(RepositoryError):
    """The checksum the repository reports differs from the local MD5.

    Parameters
    ----------
    key
        The file key in the record.
    local_md5, remote_checksum
        Both values, as hex (``remote_checksum`` as the server sent it).
    """

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        key: str,
        local_md5: str,
        remote_checksum: str | None,
        retryable: bool = True,
        **kwargs: Any,
    ) -> None:
        self.key = key
        self.local_md5 = local_md5
        self.remote_checksum = remote_checksum
        self.retryable = retryable
        super().__init__(message, **kwargs)


@dataclass(frozen=True)
class ErrorClass:
    """How an error is handled, as :func:`classify` reads it from its class.

    Attributes
    ----------
    outcome
        The ledger's event outcome (one of ``specpub.batch.ledger.OUTCOMES``):
        ``transient``, ``rate_limited``, ``not_found``, ``rejected``,
        ``ambiguous``, ``mismatch``, or ``error`` for anything unexpected.
    retry
        Repeating the same request later may succeed.
    outage
        The error may mean the repository is down: it counts toward the
        circuit breaker, and a retry waits for the breaker rather than
        charging the record an attempt while it is open.
    stop
        Stop the whole run or check at once (the token was refused: no record
        can succeed, and every further request would fail the same way).

    Examples
    --------
    >>> classify(Transient("Bad Gateway", status=502))
    ErrorClass(outcome='transient', retry=True, outage=True, stop=False)
    """

    outcome: str
    retry: bool
    outage: bool
    stop: bool


_OUTCOMES: tuple[tuple[type[RepositoryError], str], ...] = (
    (RateLimited, "rate_limited"),
    (Transient, "transient"),
    (NotFound, "not_found"),
    (Rejected, "rejected"),
    (Ambiguous, "ambiguous"),
    (ChecksumMismatch, "mismatch"),
)


def classify(err: BaseException) -> ErrorClass:
    """The one classification of errors shared by the runner, reconcile and the audit.

    It reads the class attributes (``retryable``, ``outage_symptom``,
    ``stops_run``) so that the classes above are the single source of truth;
    a :class:`ChecksumMismatch` may carry its own ``retryable``.

    Examples
    --------
    >>> classify(NotFound("gone", status=404))
    ErrorClass(outcome='not_found', retry=True, outage=True, stop=False)
    >>> classify(AuthenticationError("refused", status=401)).stop
    True
    >>> classify(RateLimited("slow down", status=429)).outage
    False
    >>> classify(ValueError("bug")).outcome
    'error'
    """
    if not isinstance(err, RepositoryError):
        return ErrorClass("error", retry=False, outage=False, stop=False)
    outcome = next((name for cls, name in _OUTCOMES if isinstance(err, cls)), "rejected")
    return ErrorClass(
        outcome,
        retry=bool(err.retryable),
        outage=bool(err.outage_symptom),
        stop=bool(err.stops_run),
    )
