"""``load_specimens``: read, map to Darwin Core and flag a specimen table in one call.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "herbarium.csv"
>>> _ = path.write_text(
...     "Catalog Number,Collection date,Country,basis\\n"
...     "BR0001,1935-7-2,Belgium,Preserved specimen\\n"
...     "BR0002,1936,Belgium,PreservedSpecimen\\n", encoding="utf-8")
>>> sp = load_specimens(path, progress=None)
>>> for row in sp.frame[["catalogNumber", "eventDate", "eventDate_edtf", "basisOfRecord"]].values:
...     print(list(row))
['BR0001', '1935-07-02', '1935-07-02', 'PreservedSpecimen']
['BR0002', '', '1936', 'PreservedSpecimen']
>>> sp.flag_summary()["flag"].tolist()
['BASIS_OF_RECORD_NONSTANDARD', 'EVENT_DATE_NORMALISED', 'EVENT_DATE_PARTIAL']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from specpub.errors import InputError
from specpub.progress import make_progress
from specpub.specimens.flags import check_specimens
from specpub.specimens.mapping import apply_mapping, plan_mapping, read_user_mapping, warn_unused
from specpub.specimens.model import Specimens
from specpub.specimens.readers import read_table

__all__ = ["load_specimens"]


def load_specimens(
    source: str | Path,
    *,
    mapping: Mapping[str, str] | str | Path | None = None,
    sheet: str | None = None,
    progress: Any = "auto",
    encoding: str | None = None,
    today: dt.date | None = None,
) -> Specimens:
    """Read a specimen table, map its columns to Darwin Core and flag its quality.

    Parameters
    ----------
    source
        A CSV/TSV file, an Excel ``.xlsx`` workbook, or a Darwin Core Archive
        (``.zip`` or extracted folder with ``meta.xml``).
    mapping
        ``{source column: term}`` overrides, as a dict or a TOML/JSON file
        (``""`` keeps a column unmapped).
    sheet
        Excel only: the sheet name (default: the first sheet).
    progress
        ``"auto"``, ``"text"``, ``None`` or a tqdm-like object (see :mod:`specpub.progress`).
    encoding
        Force a text encoding instead of detecting it.
    today
        Reference date for ``EVENT_DATE_IN_FUTURE`` (default: today).

    Returns
    -------
    Specimens

    Raises
    ------
    InputError
        The file is missing, unreadable, empty or binary; a Darwin Core Archive
        is broken; no column holds catalogue numbers; two columns map to the
        same term. Messy *values* never raise: they become flags.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_text("Barcode BR,Taxon\\nBR1,Quercus robur\\n")
    >>> sp = load_specimens(path, mapping={"Barcode BR": "catalogNumber"}, progress=None)
    >>> sp.mapping[["column", "term", "how"]].values.tolist()
    [['Barcode BR', 'catalogNumber', 'user'], ['Taxon', '', 'unmapped']]
    """
    bar = make_progress(progress, total=3, description="load specimens", unit="step")
    try:
        raw = read_table(source, sheet=sheet, encoding=encoding)
        bar.update(1)
        file = raw.info.get("file", str(source))
        user = read_user_mapping(mapping)
        plan = plan_mapping(raw.columns, user, hints=raw.term_hints, file=file)
        warnings = list(raw.warnings) + warn_unused(user, raw.columns, file)
        for column, how in zip(plan["column"], plan["how"], strict=True):
            if how.startswith("unmapped (variant"):
                warnings.append(f"{file}: column {column!r} is kept as is: {how[10:-1]}")
        if "catalogNumber" not in set(plan["term"]):
            shown = ", ".join(repr(c) for c in raw.columns[:15])
            more = " …" if len(raw.columns) > 15 else ""
            raise InputError(
                "no column holds catalogue numbers (none is named catalogNumber or a variant "
                f"such as 'Catalog Number', 'catalog_number', 'barcode'); columns: {shown}{more}",
                file=file,
                fix="rename that column to catalogNumber, or pass a mapping such as "
                '{"Your column": "catalogNumber"} (CLI: --mapping FILE.toml)',
            )
        terms = set(plan["term"])
        for term, why in (
            ("institutionCode", "set the institution in the publication settings"),
            ("scientificName", "record titles will fall back to the catalogue number"),
        ):
            if term not in terms:
                warnings.append(f"{file}: no {term} column; {why}")
        frame = apply_mapping(raw.frame, plan)
        bar.update(1)
        core_ids = frame["_id"] if "_id" in frame.columns else None
        extensions = {}
        for row_type, ext in raw.extensions.items():
            ext = ext.copy()
            if core_ids is not None and "_coreid" in ext.columns:
                lookup = pd.Series(frame["_row"].to_numpy(), index=core_ids.to_numpy())
                lookup = lookup[~lookup.index.duplicated()]
                ext.insert(1, "_core_row", ext["_coreid"].map(lookup).astype("Int64"))
            extensions[row_type] = ext
        columns = {t: c for c, t in zip(plan["column"], plan["term"], strict=True) if t}
        frame, flags = check_specimens(
            frame,
            columns=columns,
            extensions=extensions,
            extra_fields=raw.extra_fields,
            today=today,
        )
        tail = [c for c in ("_id", "_row", "_source") if c in frame.columns]
        frame = frame[[c for c in frame.columns if c not in tail] + tail]
        bar.update(1)
    finally:
        bar.close()
    return Specimens(
        frame.reset_index(drop=True),
        mapping=plan,
        flags=flags,
        warnings=warnings,
        info=raw.info,
        extensions=extensions,
    )
