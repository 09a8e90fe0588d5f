"""Record a notebook's results as data, for ``specpub run``'s ``report.json``.

:func:`record` displays a JSON "scrap" in scrapbook's format
(``application/scrapbook.scrap.json+json``) without importing scrapbook
(which would add about 1.6 s to every kernel). ``specpub run`` copies every
scrap of the executed notebook into ``report.json["results"]``;
``scrapbook.read_notebook(path).scraps`` reads them too.

Examples
--------
>>> bundle = record("published", 3)   # outside a kernel: displays nothing
>>> bundle["application/scrapbook.scrap.json+json"]["data"]
3
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["record"]

SCRAP_MIME = "application/scrapbook.scrap.json+json"


def _jsonable(data: Any) -> Any:
    return json.loads(json.dumps(data, default=str))


def record(name: str, data: Any) -> dict[str, Any]:
    """Record ``data`` (anything JSON can hold) under ``name`` in the notebook's outputs.

    Dates, paths and other objects are stored as their text. Nothing is
    shown to the reader of the notebook.
    """
    bundle = {SCRAP_MIME: {"name": name, "data": _jsonable(data), "encoder": "json", "version": 1}}
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return bundle
    if get_ipython() is not None:
        display(
            bundle, metadata={"scrapbook": {"name": name, "data": True, "display": False}}, raw=True
        )
    return bundle
