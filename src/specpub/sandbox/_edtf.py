"""EDTF level 0 dates (``2020``, ``2020-11``, ``2020-11-05``, ``1939/1945``)."""

from __future__ import annotations

import datetime as _dt
import re

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def _is_date(text: str) -> bool:
    m = _DATE.match(text)
    if not m:
        return False
    year, month, day = m.groups()
    if month is None:
        return True
    if not 1 <= int(month) <= 12:
        return False
    if day is None:
        return True
    try:
        _dt.date(int(year), int(month), int(day))
    except ValueError:
        return False
    return True


def is_edtf(text: str) -> bool:
    """Whether ``text`` is an EDTF level-0 date or interval.

    Examples
    --------
    >>> [is_edtf(x) for x in ("2020", "2020-11", "1939/1945", "2020-13", "May 1890")]
    [True, True, True, False, False]
    """
    if not isinstance(text, str):
        return False
    if "/" in text:
        start, _, end = text.partition("/")
        return _is_date(start) and _is_date(end) and start[:4] <= end[:4]
    return _is_date(text)
