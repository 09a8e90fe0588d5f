"""Helpers for the notebooks' cells: one progress object for both modes, one repository per kernel.

Examples
--------
>>> progress_for("Loading", interactive=False)
'text'
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

__all__ = ["embedded_repository", "progress_for"]

_REPOSITORIES: dict[str, Any] = {}
_LOCK = threading.Lock()


def progress_for(description: str, interactive: bool) -> Any:
    """What to pass as ``progress=``: a bar shown in the cell, or plain text lines.

    Under papermill (``interactive=False``) progress is plain text, one line
    every few seconds, so that ``run.log`` reads well; in JupyterLab it is a
    widget bar with the rate and the time left.
    """
    if not interactive:
        return "text"
    import ipywidgets as w
    from IPython.display import display
    from specpub_widgets._progress import WidgetProgress

    bar, text = w.IntProgress(layout=w.Layout(width="50%")), w.HTML()
    display(w.HBox([bar, text]))
    return WidgetProgress(bar, text, description=description)


def _answers(url: str) -> bool:
    import httpx

    try:
        httpx.get(f"{url}/api/records", timeout=2.0)
    except httpx.HTTPError:
        return False
    return True


def embedded_repository(data_dir: str | os.PathLike[str], **config: Any) -> Any:
    """The embedded repository serving ``data_dir``, started once per kernel.

    Running a notebook's cell again returns the same running repository
    instead of starting a second server on the same data. It stops with the
    kernel (or with ``.stop()``).
    """
    import specpub

    key = str(Path(data_dir).expanduser().resolve())
    with _LOCK:
        handle = _REPOSITORIES.get(key)
        if handle is not None and _answers(handle.url):
            return handle
        handle = specpub.running(Path(key), **config)
        _REPOSITORIES[key] = handle
        return handle
