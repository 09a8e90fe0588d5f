"""Specimens whose table already names a DOI: publishing them mints a second one.

A table exported from a collection that published before (the ICEDIG pilot's
benchmark table has a ``DOI`` column: each specimen's Zenodo record of 2018)
would otherwise be published again without a word, and each specimen would
have two DOIs. :func:`existing_doi_warning` says so before anything is
planned, with the ways out: leave those rows out, or link each new record to
its earlier one through the preset's ``related_identifiers``.

Only columns whose name says DOI are read (``DOI``, ``doi``, ``recordDOI``,
``zenodo_doi`` …); a ``references`` or ``associatedReferences`` column that
cites a publication's DOI is not the specimen's own record.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"catalogNumber": ["E1", "E2", "E3"],
...                       "DOI": ["http://dx.doi.org/10.5281/zenodo.1484146", "", "n/a"]})
>>> print(existing_doi_warning(frame))  # doctest: +ELLIPSIS
1 specimens already name a DOI in column 'DOI' (e.g. http://dx.doi.org/10.5281/zenodo.1484146): ...
>>> existing_doi_warning(frame[["catalogNumber"]]) is None
True
>>> existing_doi_warning(frame, linked=["DOI?"]) is None  # the preset links them
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from specpub.records.identifiers import DOI

__all__ = ["existing_doi_warning"]

_DOI_NAME = re.compile(r"doi", re.I)


def existing_doi_warning(frame: pd.DataFrame, linked: Iterable[str] = ()) -> str | None:
    """A warning naming how many specimens already have a DOI, or ``None``.

    Parameters
    ----------
    frame
        The specimens table (one row per specimen, columns as loaded).
    linked
        Columns the preset already links the records to (the names its
        ``related_identifiers`` templates use): no warning for those.

    Returns
    -------
    str or None
        One sentence for the records' warnings: the column, the count, an
        example, and what to do.

    Examples
    --------
    >>> import pandas as pd
    >>> print(existing_doi_warning(pd.DataFrame({"doi": ["10.5281/zenodo.1", "10.5281/zenodo.2"]})))
    ... # doctest: +ELLIPSIS
    2 specimens already name a DOI in column 'doi' (e.g. 10.5281/zenodo.1): ...
    """
    linked = {name.rstrip("?") for name in linked}
    for column in frame.columns:
        if not _DOI_NAME.search(str(column)) or str(column).startswith("_") or column in linked:
            continue
        values = frame[column].astype(str).str.strip()
        dois = values[values.str.match(DOI.pattern, case=False, na=False)]
        if dois.empty:
            continue
        return (
            f"{len(dois)} specimens already name a DOI in column {column!r} (e.g. "
            f"{dois.iloc[0]}): publishing them gives each specimen a second DOI. If "
            "these are earlier deposits of the same specimens, leave those rows out of the "
            "table, or link each new record to its earlier one in your preset: "
            f'related_identifiers = [{{identifier = "{{{column}?}}", relation = '
            '"isNewVersionOf"}] (or "isIdenticalTo" when the files are the same)'
        )
    return None
