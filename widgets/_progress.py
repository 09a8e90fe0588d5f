"""A progress adapter that drives an ipywidgets bar, for specpub's ``progress=``.

specpub's long-running functions take ``progress=`` with any object that has
``update(n)``, ``close()``, ``set_postfix_str(text)`` and a writable
``total`` (see :mod:`specpub.progress`). :class:`WidgetProgress` is that object
for a panel: it moves an ``IntProgress`` and writes a short text with the
count, the rate and the time left. Updates come from background threads; the
widgets are touched at most every ``interval`` seconds (each touch is a
message to the browser; a flood of them stalls the notebook).

Examples
--------
>>> import ipywidgets as w
>>> bar, text = w.IntProgress(), w.HTML()
>>> now = [0.0]
>>> p = WidgetProgress(bar, text, description="upload", clock=lambda: now[0])
>>> p.total = 10
>>> now[0] = 2.0; p.update(4)
>>> bar.value, bar.max
(4, 10)
>>> "4 / 10" in text.value and "2.0/s" in text.value and "3 s left" in text.value
True
>>> p.update(6); p.close(); bar.bar_style
'success'
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["WidgetProgress", "format_duration"]


def format_duration(seconds: float | None) -> str:
    """``'42 s'``, ``'3 min 5 s'``, ``'2 h 10 min'``, ``'1 d 3 h'``.

    Examples
    --------
    >>> format_duration(42), format_duration(185), format_duration(7800), format_duration(97200)
    ('42 s', '3 min 5 s', '2 h 10 min', '1 d 3 h')
    """
    if seconds is None:
        return "?"
    s = max(0, round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


class WidgetProgress:
    """Moves ``bar`` and writes ``text`` as specpub reports progress.

    Parameters
    ----------
    bar
        An ``ipywidgets.IntProgress`` (or anything with ``value``, ``max``, ``bar_style``).
    text
        An ``ipywidgets.HTML`` for the count, rate and ETA.
    description
        What is counted ("scan", "upload").
    interval
        Minimum seconds between two refreshes of the widgets.
    clock
        Injectable time source (tests).
    on_update
        Called (with this object) at each refresh, e.g. to redraw counts.
    """

    def __init__(
        self,
        bar: Any,
        text: Any,
        *,
        description: str = "",
        interval: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
        on_update: Callable[[WidgetProgress], None] | None = None,
    ) -> None:
        self.bar = bar
        self.text = text
        self.description = description
        self.interval = interval
        self.clock = clock
        self.on_update = on_update
        self.n = 0
        self.status = ""
        self._total: int | None = None
        self._start = clock()
        self._last = float("-inf")
        self._lock = threading.Lock()
        self.closed = False
        self.bar.bar_style = ""

    # -- the tqdm-like surface specpub uses --------------------------------------------
    @property
    def total(self) -> int | None:
        """Expected number of items (``None``: unknown)."""
        return self._total

    @total.setter
    def total(self, value: int | None) -> None:
        with self._lock:
            self._total = value
            self._start = self.clock()
            self.n = 0
        self._refresh(force=True)

    def update(self, n: int = 1) -> None:
        """Advance by ``n`` items."""
        with self._lock:
            self.n += n
        self._refresh()

    def set_postfix_str(self, text: str) -> None:
        """A short status, e.g. ``'paused: rate limit'``."""
        self.status = text
        self._refresh()

    def refresh(self) -> None:
        """Redraw now."""
        self._refresh(force=True)

    def close(self) -> None:
        """Final redraw; the bar turns green if every item was done."""
        self.closed = True
        self._refresh(force=True)
        if self._total is None or self.n >= self._total:
            self.bar.bar_style = "success"

    # -- derived numbers ---------------------------------------------------------------
    @property
    def elapsed(self) -> float:
        """Seconds since the total was set (or since creation)."""
        return max(0.0, self.clock() - self._start)

    @property
    def rate(self) -> float | None:
        """Items per second so far (``None`` before the first item)."""
        return self.n / self.elapsed if self.n and self.elapsed > 0 else None

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate (``None`` if unknown)."""
        rate = self.rate
        if not rate or self._total is None:
            return None
        return max(0.0, (self._total - self.n) / rate)

    def _refresh(self, *, force: bool = False) -> None:
        now = self.clock()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        total = self._total
        self.bar.max = max(1, total or self.n or 1)
        self.bar.value = min(self.n, self.bar.max)
        parts = [f"<b>{html.escape(self.description)}</b>" if self.description else ""]
        parts.append(f"{self.n} / {total if total is not None else '?'}")
        if self.rate:
            parts.append(f"{self.rate:.1f}/s")
        if self.eta is not None and not self.closed:
            parts.append(f"{format_duration(self.eta)} left")
        parts.append(f"{format_duration(self.elapsed)} elapsed")
        if self.status:
            parts.append(html.escape(self.status))
        self.text.value = " · ".join(p for p in parts if p)
        if self.on_update is not None:
            self.on_update(self)
