"""EDTF level 0 dates (``2020``, ``2020-11``, ``2020-11-05``, ``1939/1945``) and date-times."""

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


_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)?$")


def is_edtf(text: str, *, datetimes: bool = False) -> bool:
    """Whether ``text`` is an EDTF level-0 date or interval (or, with ``datetimes``, a
    level-0 date and time such as ``2024-11-05T14:03:00Z``, as ``EDTFDateTimeString``).

    Examples
    --------
    >>> [is_edtf(x) for x in ("2020", "2020-11", "1939/1945", "2020-13", "May 1890")]
    [True, True, True, False, False]
    >>> is_edtf("2024-11-05T14:03:00+01:00"), is_edtf("2024-11-05T14:03:00+01:00", datetimes=True)
    (False, True)
    """
    if not isinstance(text, str):
        return False
    if datetimes and "T" in text:
        date, _, time = text.partition("T")
        return len(date) == 10 and _is_date(date) and bool(_TIME.match(time))
    if "/" in text:
        start, _, end = text.partition("/")
        return _is_date(start) and _is_date(end) and start[:4] <= end[:4]
    return _is_date(text)
