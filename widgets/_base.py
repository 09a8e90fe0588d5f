"""What every panel shares: a root box, a message line, visible errors, background work.

Panels are plain Python objects holding their widgets (composition, not
subclassing: no clash with traitlets names such as ``log`` or ``keys``). The
root box is ``panel.ui``; displaying the panel displays it. Every button and
observer goes through :meth:`Panel.guarded`, so an exception in a callback is
shown in the panel (escaped, in red) and kept in ``panel.errors`` instead of
vanishing: in JupyterLab a callback's exception is otherwise printed nowhere.

Examples
--------
>>> p = Panel("demo")
>>> p.ui._dom_classes
('specpub-panel', 'specpub-demo-panel')
>>> def boom(_): raise ValueError("<b>no</b> table")
>>> p.guarded(boom)(None)
>>> p.errors[-1].args[0]
'<b>no</b> table'
>>> "&lt;b&gt;no&lt;/b&gt; table" in p._message.value
True
"""

from __future__ import annotations

import functools
import html
import threading
import traceback
from collections.abc import Callable
from typing import Any

import ipywidgets as w

__all__ = ["Background", "Panel"]

_COLOURS = {"info": "#555", "ok": "#1b7a1b", "warning": "#9a6700", "error": "#b00020"}


class Panel:
    """Base of the specpub panels.

    Parameters
    ----------
    name
        Short name; the root box gets the CSS classes ``specpub-panel`` and
        ``specpub-<name>-panel`` (stable hooks for browser tests and styling).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.errors: list[BaseException] = []
        self._message = w.HTML(layout=w.Layout(min_height="1.5em"))
        self._message.add_class("specpub-message")
        self.ui = w.VBox(layout=w.Layout(width="100%"))
        self.ui.add_class("specpub-panel")
        self.ui.add_class(f"specpub-{name}-panel")

    # -- display -----------------------------------------------------------------------
    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.ui)

    def _set_children(self, *children: Any) -> None:
        self.ui.children = (*children, self._message)

    # -- messages ----------------------------------------------------------------------
    def say(self, text: str, kind: str = "info") -> None:
        """Show one line under the panel (``kind``: info, ok, warning, error); escaped."""
        colour = _COLOURS.get(kind, _COLOURS["info"])
        self._message.value = f'<span style="color:{colour}">{html.escape(text)}</span>'

    @property
    def message(self) -> str:
        """The text of the message line, without markup."""
        import re

        return html.unescape(re.sub(r"<[^>]+>", "", self._message.value))

    def show_error(self, err: BaseException) -> None:
        """Show ``err`` in red and remember it in :attr:`errors`."""
        self.errors.append(err)
        text = str(err) or type(err).__name__
        detail = "".join(traceback.format_exception_only(type(err), err)).strip()
        self._message.value = (
            f'<div style="color:{_COLOURS["error"]}"><b>{html.escape(type(err).__name__)}</b>: '
            f"{html.escape(text)}<details><summary>details</summary><pre>"
            f"{html.escape(detail)}</pre></details></div>"
        )

    def guarded(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap a callback so that its exceptions show in the panel."""

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception as err:
                self.show_error(err)
                return None

        return wrapper


class Background:
    """Run one function at a time in a background thread, so the notebook stays usable.

    ``on_done(result, error)`` is called in the worker thread when it ends.
    :meth:`join` waits (tests, and ``interactive=False`` code that wants the result).

    Examples
    --------
    >>> seen = []
    >>> bg = Background(on_done=lambda r, e: seen.append((r, e)))
    >>> bg.start(lambda: 6 * 7)
    True
    >>> bg.join(5); seen
    [(42, None)]
    >>> bg.running
    False
    """

    def __init__(
        self, on_done: Callable[[Any, BaseException | None], None] | None = None, name: str = ""
    ) -> None:
        self.on_done = on_done
        self.name = name or "specpub-panel"
        self._thread: threading.Thread | None = None
        self.result: Any = None
        self.error: BaseException | None = None

    @property
    def running(self) -> bool:
        """Whether the function is still running."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, fn: Callable[[], Any]) -> bool:
        """Start ``fn`` unless something is running already; returns whether it started."""
        if self.running:
            return False
        self.result, self.error = None, None

        def target() -> None:
            try:
                self.result = fn()
            except BaseException as err:  # shown by the panel, never lost
                self.error = err
            if self.on_done is not None:
                self.on_done(self.result, self.error)

        self._thread = threading.Thread(target=target, name=self.name, daemon=True)
        self._thread.start()
        return True

    def join(self, timeout: float | None = None) -> None:
        """Wait for the running function to end."""
        if self._thread is not None:
            self._thread.join(timeout)


class Pager:
    """*Previous* / *Next* buttons and a "page 2 of 5" label over a list of rows.

    ``on_turn()`` is called after each turn; the panel then shows :meth:`window`.

    Examples
    --------
    >>> import pandas as pd
    >>> pager = Pager(page_size=2, unit="flags")
    >>> rows = pager.window(pd.DataFrame({"x": range(5)}))
    >>> rows["x"].tolist(), pager.label.value
    ([0, 1], 'page 1 of 3 · 5 flags')
    >>> pager.next_button.click()
    >>> pager.window(pd.DataFrame({"x": range(5)}))["x"].tolist()
    [2, 3]
    """

    def __init__(
        self, page_size: int, *, unit: str = "rows", on_turn: Callable[[], None] | None = None
    ) -> None:
        self.page_size = page_size
        self.unit = unit
        self.page = 0
        self.on_turn = on_turn
        self.prev_button = w.Button(description="◀ Previous", disabled=True)
        self.next_button = w.Button(description="Next ▶", disabled=True)
        self.label = w.Label()
        self.prev_button.on_click(lambda _: self.turn(-1))
        self.next_button.on_click(lambda _: self.turn(+1))
        self.ui = w.HBox([self.prev_button, self.label, self.next_button])

    def turn(self, step: int) -> None:
        """Go ``step`` pages on (negative: back)."""
        self.page = max(0, self.page + step)
        if self.on_turn is not None:
            self.on_turn()

    def window(self, rows: Any) -> Any:
        """The rows of the current page (clamped), updating the label and buttons."""
        pages = max(1, -(-len(rows) // self.page_size))
        self.page = min(self.page, pages - 1)
        self.label.value = f"page {self.page + 1} of {pages} · {len(rows)} {self.unit}"
        self.prev_button.disabled = self.page == 0
        self.next_button.disabled = self.page >= pages - 1
        start = self.page * self.page_size
        return rows.iloc[start : start + self.page_size]
