"""Quality flags: GBIF occurrence-issue style checks that run offline.

:func:`check_specimens` looks at a mapped specimen frame and returns one row per
finding (:data:`FLAG_COLUMNS`), with a stable flag id (see :data:`FLAGS`), the
source row, column and value, a severity (``error`` blocks publication of that
specimen, ``warning`` needs a look, ``info`` is a note) and what to do. It also
normalises a few values in place: ``basisOfRecord`` to the vocabulary form, and
``eventDate`` to ISO ``YYYY-MM-DD`` where the date is exact (the text given is
kept in ``eventDate_verbatim``; partial dates and intervals are kept as
EDTF-like text in ``eventDate_edtf``).

Checks work on the unique values of a column (pandas ``factorize``) and on
boolean masks, never row by row.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"catalogNumber": ["A1", "A1", ""], "eventDate": ["1935-7-2", "1935", "x"],
...                    "_row": [2, 3, 4], "_source": "t.csv"})
>>> out, flags = check_specimens(df)
>>> for flag in sorted(flags["flag"].unique()):
...     print(flag)
CATALOG_NUMBER_DUPLICATE
CATALOG_NUMBER_MISSING
EVENT_DATE_NORMALISED
EVENT_DATE_PARTIAL
EVENT_DATE_UNPARSABLE
>>> out["eventDate"].tolist(), out["eventDate_edtf"].tolist()
(['1935-07-02', '', ''], ['1935-07-02', '1935', ''])
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from specpub.specimens._checks_common import _Collector, catalog_key
from specpub.specimens._checks_dates import _check_event_dates, _check_other_dates
from specpub.specimens._checks_identifiers import (
    _check_basis_of_record,
    _check_catalog_numbers,
    _check_extension,
    _check_language,
    _check_occurrence_ids,
    _check_required,
    _check_type_status,
    _check_uris_and_licences,
)
from specpub.specimens._checks_places import _check_coordinates, _check_countries, _check_numbers
from specpub.specimens._flag_catalogue import FLAG_COLUMNS, FLAGS, Flag

__all__ = ["FLAGS", "FLAG_COLUMNS", "Flag", "catalog_key", "check_specimens"]


def check_specimens(
    frame: pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    extensions: Mapping[str, pd.DataFrame] | None = None,
    extra_fields: Mapping[int, int] | None = None,
    today: dt.date | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every check; return ``(normalised frame, flags)``.

    Parameters
    ----------
    frame
        Mapped specimens: term columns, other columns, ``_row`` and ``_source``.
    columns
        Term → source column name, for messages (default: the term itself).
    extensions
        Archive extension tables (``_coreid`` etc.) to check against the core ``_id``.
    extra_fields
        Source row → number of fields beyond the header.
    today
        The date after which an eventDate is in the future (default: today, UTC).

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.DataFrame)
        The frame (a copy, with normalised values and added ``eventDate_*``
        columns) and the flags (:data:`FLAG_COLUMNS`).

    Examples
    --------
    >>> df = pd.DataFrame({"catalogNumber": ["A1"], "basisOfRecord": ["PRESERVED_SPECIMEN"],
    ...                    "_row": [2], "_source": "t.csv"})
    >>> out, flags = check_specimens(df)
    >>> out.loc[0, "basisOfRecord"], flags.loc[0, "flag"]
    ('PreservedSpecimen', 'BASIS_OF_RECORD_NONSTANDARD')
    """
    frame = frame.copy()
    today = today or dt.datetime.now(dt.UTC).date()
    col = _Collector(frame, dict(columns or {}))
    _check_catalog_numbers(frame, col)
    _check_occurrence_ids(frame, col)
    _check_required(frame, col)
    _check_event_dates(frame, col, today)
    _check_coordinates(frame, col)
    _check_countries(frame, col)
    _check_basis_of_record(frame, col)
    _check_language(frame, col)
    _check_type_status(frame, col)
    _check_other_dates(frame, col, today)
    _check_numbers(frame, col)
    _check_uris_and_licences(frame, col)
    if extra_fields:
        rows = pd.Series(sorted(extra_fields))
        mask = frame["_row"].isin(rows)
        extra_cols = [c for c in frame.columns if str(c).startswith("_extra_")]

        def values(m: np.ndarray) -> pd.Series:
            if not extra_cols:
                return frame.loc[m, "_row"].astype(str)
            return frame.loc[m, extra_cols].astype(str).agg(" | ".join, axis=1)

        col.add("ROW_EXTRA_FIELDS", mask, "_row", values=values, column="(row)")
    for row_type, ext in (extensions or {}).items():
        _check_extension(frame, ext, row_type, col)
    return frame, col.result()
