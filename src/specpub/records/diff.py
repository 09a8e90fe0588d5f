"""What an edit or a new version changes: a field-by-field diff of two payloads.

Before a published record is edited (or versioned), the researcher sees
exactly which fields change, from what to what. Payloads are compared as
JSON: nested objects by key, lists item by item, so a changed custom-field
value shows as ``custom.dwc:family.0``.

Examples
--------
>>> old = {"metadata": {"title": "Quercus (BR1)", "keywords": ["Fagaceae"],
...        "custom": {"dwc:family": ["Fagaceae"]}}}
>>> new = {"metadata": {"title": "Quercus robur L. (BR1)", "keywords": ["Fagaceae", "Isotype"],
...        "custom": {"dwc:family": ["Fagaceae"], "dwc:typeStatus": ["Isotype"]}}}
>>> for c in diff_payloads(old, new):
...     print(c.kind, c.path, c.old, "->", c.new)
changed metadata.title Quercus (BR1) -> Quercus robur L. (BR1)
added metadata.keywords.1 None -> Isotype
added metadata.custom.dwc:typeStatus None -> ['Isotype']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = ["Change", "diff_frame", "diff_payloads"]

# The server adds these on its side; they are not the user's metadata.
_IGNORED = frozenset({"prereserve_doi", "doi", "conceptdoi"})


@dataclass(frozen=True)
class Change:
    """One changed field: ``kind`` is ``added``, ``removed`` or ``changed``.

    Examples
    --------
    >>> Change("changed", "metadata.title", "A", "B").kind
    'changed'
    """

    kind: str
    path: str
    old: Any
    new: Any


def _walk(old: Any, new: Any, path: str, out: list[Change]) -> None:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in list(old) + [k for k in new if k not in old]:
            if key in _IGNORED:
                continue
            here = f"{path}.{key}" if path else str(key)
            if key not in new:
                out.append(Change("removed", here, old[key], None))
            elif key not in old:
                out.append(Change("added", here, None, new[key]))
            else:
                _walk(old[key], new[key], here, out)
        return
    if isinstance(old, list) and isinstance(new, list):
        for i in range(max(len(old), len(new))):
            here = f"{path}.{i}"
            if i >= len(new):
                out.append(Change("removed", here, old[i], None))
            elif i >= len(old):
                out.append(Change("added", here, None, new[i]))
            else:
                _walk(old[i], new[i], here, out)
        return
    if old != new:
        out.append(Change("changed", path, old, new))


def diff_payloads(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every field that differs between two payloads of the same API.

    Examples
    --------
    >>> diff_payloads({"metadata": {"title": "A"}}, {"metadata": {"title": "A"}})
    []
    """
    out: list[Change] = []
    _walk(old, new, "", out)
    return out


def diff_frame(old: Mapping[str, Any], new: Mapping[str, Any]) -> pd.DataFrame:
    """:func:`diff_payloads` as a DataFrame: ``kind``, ``path``, ``old``, ``new``.

    Examples
    --------
    >>> diff_frame({"a": 1}, {"a": 2}).values.tolist()
    [['changed', 'a', 1, 2]]
    """
    rows = [c.__dict__ for c in diff_payloads(old, new)]
    return pd.DataFrame(rows, columns=["kind", "path", "old", "new"])
