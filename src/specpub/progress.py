"""Pluggable progress reporting, in the spirit of pooch's ``progressbar=``.

Every long-running specpub function takes ``progress=`` with one of:

``"auto"`` (default)
    a tqdm bar in a terminal; plain text lines when output is not a terminal
    (papermill, CI logs, redirected output).
``"text"``
    plain text lines, at most one every ``interval`` seconds, plus a last line.
``None`` or ``False``
    silent.
an object
    anything with the tqdm-like methods ``update(n)``, ``close()`` and,
    optionally, ``set_postfix_str(text)`` and a writable ``total``; the
    widgets layer passes its own adapter this way.

Examples
--------
>>> bar = make_progress(None, total=3, description="upload")
>>> bar.update(3); bar.close()
>>> import io
>>> out = io.StringIO()
>>> bar = make_progress("text", total=2, description="scan", stream=out, interval=0)
>>> bar.update(2); bar.close()
>>> "scan: 2/2" in out.getvalue()
True
"""

from __future__ import annotations

import contextlib
import sys
import time
from typing import Any, Literal, Protocol, TextIO, runtime_checkable

__all__ = ["Progress", "ProgressLike", "ProgressSpec", "TextProgress", "make_progress"]


@runtime_checkable
class ProgressLike(Protocol):
    """What a progress object passed by the user must offer (a subset of tqdm)."""

    def update(self, n: int = 1) -> Any:  # pragma: no cover - protocol
        """Advance by ``n`` items."""

    def close(self) -> Any:  # pragma: no cover - protocol
        """Finish the bar."""


#: What ``progress=`` accepts everywhere.
ProgressSpec = Literal["auto", "text", "tqdm"] | bool | ProgressLike | None


class Progress:
    """The uniform handle specpub code talks to; wraps a backend.

    Examples
    --------
    >>> p = make_progress(None, total=10, description="x")
    >>> p.update(4); p.set_status("ok"); p.close()
    >>> p.count
    4
    """

    def __init__(self, backend: Any | None, total: int | None) -> None:
        self._backend = backend
        self.total = total
        self.count = 0
        self.closed = False

    def update(self, n: int = 1) -> None:
        """Advance by ``n`` items."""
        self.count += n
        if self._backend is not None:
            self._backend.update(n)

    def set_status(self, text: str) -> None:
        """Show a short status text next to the bar (e.g. ``'paused: rate limit'``)."""
        setter = getattr(self._backend, "set_postfix_str", None)
        if setter is not None:
            setter(text)

    def message(self, text: str) -> None:
        """Print one line *now*, whatever the interval (e.g. an outage notice).

        tqdm bars print it above the bar (``write``); text progress prints it
        as a line; a user object gets it through its ``write`` method if any;
        silent progress prints nothing.

        Examples
        --------
        >>> import io
        >>> out = io.StringIO()
        >>> bar = make_progress("text", total=2, description="publish", stream=out)
        >>> bar.message("repository unreachable since 12:10:00 UTC")
        >>> out.getvalue().strip()
        'publish: repository unreachable since 12:10:00 UTC'
        """
        writer = getattr(self._backend, "write", None)
        if writer is not None:
            writer(text)

    def set_total(self, total: int | None) -> None:
        """Change the expected total."""
        self.total = total
        if self._backend is not None and hasattr(self._backend, "total"):
            try:
                self._backend.total = total
                refresh = getattr(self._backend, "refresh", None)
                if refresh is not None:
                    refresh()
            except AttributeError:  # read-only total on a user object
                pass

    def close(self) -> None:
        """Finish; safe to call twice."""
        if not self.closed and self._backend is not None:
            self._backend.close()
        self.closed = True

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TextProgress:
    """Plain text progress lines, for papermill and logs (no carriage returns).

    Parameters
    ----------
    total
        Expected number of items (``None`` if unknown).
    description
        Prefix of each line.
    stream
        Where to write (default: ``sys.stderr``).
    interval
        Minimum seconds between two lines.

    Examples
    --------
    >>> import io
    >>> s = io.StringIO()
    >>> t = TextProgress(4, "load", stream=s, interval=0)
    >>> t.update(1); t.close()
    >>> s.getvalue().splitlines()[-1].startswith("load: 1/4")
    True
    """

    def __init__(
        self,
        total: int | None,
        description: str = "",
        *,
        stream: TextIO | None = None,
        interval: float = 5.0,
    ) -> None:
        self.total = total
        self.description = description
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.n = 0
        self.status = ""
        self._start = time.monotonic()
        self._last = float("-inf")

    def _line(self) -> str:
        elapsed = time.monotonic() - self._start
        total = "?" if self.total is None else str(self.total)
        rate = self.n / elapsed if elapsed > 0 else 0.0
        text = f"{self.description}: {self.n}/{total} ({rate:.1f}/s, {elapsed:.0f}s)"
        if self.status:
            text += f" {self.status}"
        return text

    def update(self, n: int = 1) -> None:
        """Advance and print a line if ``interval`` has passed."""
        self.n += n
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            print(self._line(), file=self.stream, flush=True)

    def set_postfix_str(self, text: str) -> None:
        """Remember a status text for the next line."""
        self.status = text

    def write(self, text: str) -> None:
        """Print ``text`` as a line now."""
        prefix = f"{self.description}: " if self.description else ""
        print(prefix + text, file=self.stream, flush=True)

    def close(self) -> None:
        """Print the final line."""
        print(self._line(), file=self.stream, flush=True)


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # closed stream
        return False


def make_progress(
    progress: Any,
    *,
    total: int | None,
    description: str,
    unit: str = "it",
    stream: TextIO | None = None,
    interval: float = 5.0,
) -> Progress:
    """Build a :class:`Progress` from the user's ``progress=`` argument.

    Parameters
    ----------
    progress
        ``"auto"``, ``"text"``, ``"tqdm"``, ``None``/``False``/``True``, or a
        tqdm-like object.
    total, description, unit
        What is counted.
    stream
        Output stream for the text and tqdm backends (default ``sys.stderr``).
    interval
        Minimum seconds between text lines.

    Examples
    --------
    >>> make_progress(False, total=1, description="x").update()
    """
    stream = stream if stream is not None else sys.stderr
    if progress is None or progress is False:
        return Progress(None, total)
    if progress is True:
        progress = "auto"
    if isinstance(progress, str):
        choice = progress.lower()
        if choice == "auto":
            choice = "tqdm" if _is_terminal(stream) else "text"
        if choice == "tqdm":
            from tqdm.auto import tqdm

            return Progress(
                tqdm(total=total, desc=description, unit=unit, file=stream, dynamic_ncols=True),
                total,
            )
        if choice == "text":
            return Progress(
                TextProgress(total, description, stream=stream, interval=interval), total
            )
        raise ValueError(
            f"progress={progress!r} is not one of 'auto', 'text', 'tqdm', None, or an object "
            "with update() and close()"
        )
    if isinstance(progress, ProgressLike):
        if hasattr(progress, "total"):
            with contextlib.suppress(AttributeError):
                progress.total = total
        return Progress(progress, total)
    raise TypeError(
        f"progress must be 'auto', 'text', 'tqdm', None or an object with update() and close(); "
        f"got {type(progress).__name__}"
    )
