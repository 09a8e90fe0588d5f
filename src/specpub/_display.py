"""How result objects show themselves in a notebook.

Every stage of specpub returns a result object with ``to_frame()`` (a
pandas DataFrame) and ``summary()`` (text, or a dict of counts). The
:class:`FrameResult` mixin turns those two into ``_repr_html_`` for
JupyterLab: the summary first, then the first rows of the frame. All text
is HTML-escaped (catalogue numbers and server messages are user data).

Examples
--------
>>> import pandas as pd
>>> class Counted(FrameResult):
...     def summary(self):
...         return "2 <things>"
...     def to_frame(self):
...         return pd.DataFrame({"thing": ["<a>", "b"]})
>>> html = Counted()._repr_html_()
>>> "2 &lt;things&gt;" in html and "&lt;a&gt;" in html
True
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import pandas as pd

__all__ = ["FrameResult", "StageResult", "summary_html"]

#: Rows of ``to_frame()`` shown inline; the rest is one ``to_frame()`` call away.
MAX_ROWS = 20


@runtime_checkable
class StageResult(Protocol):
    """What every public stage function returns.

    Examples
    --------
    >>> import pandas as pd
    >>> class R:
    ...     def to_frame(self): return pd.DataFrame()
    ...     def summary(self): return ""
    ...     def _repr_html_(self): return ""
    >>> isinstance(R(), StageResult)
    True
    """

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - protocol
        """The result as a table."""

    def summary(self) -> Any:  # pragma: no cover - protocol
        """Text (or counts) for people."""

    def _repr_html_(self) -> str:  # pragma: no cover - protocol
        """The notebook display."""


def summary_html(summary: Any) -> str:
    """A summary (text or a flat mapping) as escaped HTML.

    Examples
    --------
    >>> summary_html("a\\nb")
    '<pre class="specpub-summary">a\\nb</pre>'
    >>> summary_html({"rows": 3})
    '<pre class="specpub-summary">rows: 3</pre>'
    """
    if isinstance(summary, Mapping):
        text = "\n".join(
            f"{key}: {value}"
            for key, value in summary.items()
            if not isinstance(value, Mapping | list | tuple)
        )
    else:
        text = str(summary)
    return f'<pre class="specpub-summary">{html.escape(text)}</pre>'


class FrameResult:
    """Mixin: ``_repr_html_`` from the class's own ``summary()`` and ``to_frame()``."""

    def summary(self) -> Any:  # pragma: no cover - overridden
        """Text (or counts) for people."""
        raise NotImplementedError

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - overridden
        """The result as a table."""
        raise NotImplementedError

    def _repr_html_(self) -> str:
        frame = self.to_frame()
        parts = [f'<div class="specpub-result">{summary_html(self.summary())}']
        if len(frame):
            parts.append(frame.head(MAX_ROWS).to_html(escape=True, index=False, border=0))
            if len(frame) > MAX_ROWS:
                parts.append(f"<p>{len(frame) - MAX_ROWS:,} more rows: use .to_frame()</p>")
        parts.append("</div>")
        return "".join(parts)
