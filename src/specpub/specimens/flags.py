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
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from specpub.specimens.values import (
    check_country_code,
    check_geodetic_datum,
    check_language,
    license_spdx,
    normalise_basis_of_record,
    parse_event_date,
    resolve_country,
)

__all__ = ["FLAGS", "FLAG_COLUMNS", "Flag", "catalog_key", "check_specimens"]

#: Columns of the flags table.
FLAG_COLUMNS = ["flag", "severity", "row", "column", "term", "value", "message", "fix", "source"]


@dataclass(frozen=True)
class Flag:
    """A flag id's severity, meaning and default advice.

    Examples
    --------
    >>> FLAGS["ZERO_COORDINATE"].severity
    'warning'
    """

    severity: str
    meaning: str
    fix: str


#: Every flag id specpub may report.
FLAGS: dict[str, Flag] = {
    "CATALOG_NUMBER_MISSING": Flag(
        "error",
        "catalogNumber is empty",
        "fill in the catalogue number (it names the record and joins it to its image files)",
    ),
    "CATALOG_NUMBER_DUPLICATE": Flag(
        "error",
        "the same catalogNumber appears on several rows",
        "make catalogue numbers unique, or remove the repeated rows",
    ),
    "CATALOG_NUMBER_COLLISION": Flag(
        "warning",
        "different catalogNumbers that are equal ignoring case, spaces and dots",
        "image file names cannot tell these specimens apart; check the numbers",
    ),
    "CATALOG_NUMBER_WHITESPACE": Flag(
        "info",
        "catalogNumber has leading or trailing spaces",
        "trim the spaces in the source system",
    ),
    "OCCURRENCE_ID_DUPLICATE": Flag(
        "error", "the same occurrenceID appears on several rows", "make occurrenceIDs unique"
    ),
    "OCCURRENCE_ID_NOT_URL": Flag(
        "info",
        "occurrenceID is not an http(s) URL, so it cannot become a CETAF alternate identifier",
        "nothing, unless the collection has CETAF stable identifiers (then put "
        "the URL in occurrenceID)",
    ),
    "OCCURRENCE_ID_URL_INVALID": Flag(
        "warning",
        "occurrenceID starts like a URL but is not a valid one",
        "correct the URL (no spaces, a host name after http(s)://)",
    ),
    "INSTITUTION_CODE_MISSING": Flag(
        "warning",
        "institutionCode is empty",
        "fill in institutionCode (or ownerInstitutionCode), or set the institution in the "
        "publication settings",
    ),
    "SCIENTIFIC_NAME_MISSING": Flag(
        "warning",
        "scientificName is empty (the record title needs it)",
        "fill in the name, or the title will fall back to the catalogue number",
    ),
    "EVENT_DATE_UNPARSABLE": Flag(
        "warning",
        "eventDate cannot be read as a date",
        "write it as ISO 8601 (YYYY-MM-DD, YYYY-MM, YYYY or start/end); it is kept verbatim",
    ),
    "EVENT_DATE_AMBIGUOUS": Flag(
        "warning",
        "eventDate could be day/month or month/day",
        "write it as ISO 8601 YYYY-MM-DD; it is kept verbatim",
    ),
    "EVENT_DATE_PARTIAL": Flag(
        "info",
        "eventDate is only a year or a year and month",
        "nothing; it goes to verbatimEventDate, as Zenodo's dwc:eventDate needs a full date",
    ),
    "EVENT_DATE_INTERVAL": Flag(
        "info",
        "eventDate is an interval",
        "nothing; it goes to verbatimEventDate, as Zenodo's dwc:eventDate needs one full date",
    ),
    "EVENT_DATE_NORMALISED": Flag(
        "info",
        "eventDate was rewritten to ISO 8601",
        "nothing; the text given is kept in eventDate_verbatim",
    ),
    "EVENT_DATE_DERIVED": Flag("info", "eventDate was built from year, month and day", "nothing"),
    "EVENT_DATE_IN_FUTURE": Flag("warning", "eventDate is in the future", "correct the date"),
    "EVENT_DATE_UNLIKELY": Flag("warning", "eventDate is before 1600", "check the date"),
    "EVENT_DATE_MISMATCH": Flag(
        "warning",
        "eventDate contradicts the year/month/day columns",
        "correct eventDate or year/month/day",
    ),
    "COORDINATE_INVALID": Flag(
        "warning",
        "a coordinate is not a decimal number, or only one of the pair is given",
        "give both decimalLatitude and decimalLongitude in decimal degrees (verbatim forms "
        "go to verbatimCoordinates)",
    ),
    "COORDINATE_OUT_OF_RANGE": Flag(
        "warning", "latitude beyond ±90 or longitude beyond ±180", "correct the coordinates"
    ),
    "ZERO_COORDINATE": Flag(
        "warning",
        "the coordinate is exactly 0, 0 (often a bad empty value)",
        "remove the coordinates or correct them",
    ),
    "COORDINATES_LIKELY_SWAPPED": Flag(
        "warning",
        "latitude and longitude look swapped",
        "swap decimalLatitude and decimalLongitude if the locality confirms it",
    ),
    "PRESUMED_NEGATED_LATITUDE": Flag(
        "warning", "the latitude sign looks wrong for the country", "check the sign"
    ),
    "PRESUMED_NEGATED_LONGITUDE": Flag(
        "warning", "the longitude sign looks wrong for the country", "check the sign"
    ),
    "COORDINATE_UNCERTAINTY_METERS_INVALID": Flag(
        "warning",
        "coordinateUncertaintyInMeters is not a number greater than 0",
        "give the uncertainty in metres (> 0), or leave it empty",
    ),
    "COUNTRY_INVALID": Flag(
        "warning",
        "country is not a recognised country name",
        "use the English short name (ISO 3166) or fill in countryCode",
    ),
    "COUNTRY_CODE_INVALID": Flag(
        "warning", "countryCode is not an ISO 3166-1 alpha-2 code", "use the two-letter code"
    ),
    "COUNTRY_MISMATCH": Flag(
        "warning", "country and countryCode name different countries", "correct one of them"
    ),
    "BASIS_OF_RECORD_NONSTANDARD": Flag(
        "info",
        "basisOfRecord was written differently from the vocabulary and was normalised",
        "nothing (use e.g. 'PreservedSpecimen' in the source to silence this)",
    ),
    "BASIS_OF_RECORD_INVALID": Flag(
        "warning",
        "basisOfRecord is not in the Darwin Core vocabulary",
        "use PreservedSpecimen, MaterialSample, … (for herbarium sheets: PreservedSpecimen)",
    ),
    "LANGUAGE_INVALID": Flag(
        "warning",
        "language is not an ISO 639-1/2/3 code",
        "use a code such as 'eng', 'fra', 'lat' (Zenodo accepts ISO 639-1/2 codes)",
    ),
    "TYPE_STATUS_INVALID": Flag(
        "warning", "typeStatus names no known kind of type", "use e.g. 'Holotype', 'Isotype'"
    ),
    "SUSPECTED_TYPE": Flag(
        "info",
        "typeStatus expresses doubt ('?', 'possible', 'probable')",
        "nothing; consider confirming the type status",
    ),
    "IDENTIFIED_DATE_INVALID": Flag(
        "warning",
        "dateIdentified cannot be read as a date",
        "write it as ISO 8601 (YYYY-MM-DD, YYYY-MM or YYYY)",
    ),
    "IDENTIFIED_DATE_UNLIKELY": Flag(
        "warning", "dateIdentified is in the future or before 1700", "check the date"
    ),
    "MODIFIED_DATE_INVALID": Flag(
        "warning", "modified cannot be read as a date", "write it as ISO 8601 (YYYY-MM-DD)"
    ),
    "MODIFIED_DATE_UNLIKELY": Flag(
        "warning", "modified is in the future or before 1970", "check the date"
    ),
    "GEODETIC_DATUM_INVALID": Flag(
        "warning",
        "geodeticDatum is not a recognised datum or EPSG code",
        "use e.g. 'WGS84' or 'EPSG:4326' (coordinate formats such as DMS go to "
        "verbatimCoordinateSystem)",
    ),
    "GEODETIC_DATUM_ASSUMED_WGS84": Flag(
        "info",
        "coordinates are given without geodeticDatum; WGS84 is assumed",
        "fill in geodeticDatum if it is not WGS84",
    ),
    "ELEVATION_NON_NUMERIC": Flag(
        "warning",
        "an elevation in metres is not a number",
        "give a plain number of metres (e.g. 1500, not '1500 m'); text goes to verbatimElevation",
    ),
    "ELEVATION_MIN_MAX_SWAPPED": Flag(
        "warning", "minimumElevationInMeters is greater than the maximum", "swap the two values"
    ),
    "ELEVATION_UNLIKELY": Flag(
        "warning", "the elevation is below -500 m or above 9,000 m", "check the value and unit"
    ),
    "DEPTH_NON_NUMERIC": Flag(
        "warning", "a depth in metres is not a number", "give a plain number of metres"
    ),
    "DEPTH_MIN_MAX_SWAPPED": Flag(
        "warning", "minimumDepthInMeters is greater than the maximum", "swap the two values"
    ),
    "DEPTH_UNLIKELY": Flag(
        "warning", "the depth is negative or beyond 11,000 m", "check the value and unit"
    ),
    "INDIVIDUAL_COUNT_INVALID": Flag(
        "warning", "individualCount is not a whole number ≥ 0", "give a whole number"
    ),
    "REFERENCES_URI_INVALID": Flag(
        "warning", "references is not a valid http(s) URL", "correct the URL or leave it empty"
    ),
    "LICENSE_UNRECOGNISED": Flag(
        "warning",
        "the licence cannot be mapped to an SPDX identifier (Zenodo needs one)",
        "use e.g. 'CC-BY-4.0', 'CC0-1.0' or a creativecommons.org licence URL",
    ),
    "MULTIMEDIA_URI_INVALID": Flag(
        "warning",
        "a media identifier/accessURI is not a valid http(s) URL",
        "correct the URL in the multimedia extension",
    ),
    "EXTENSION_CORE_ID_UNKNOWN": Flag(
        "warning",
        "an extension row points at a core id that is not in the core file",
        "correct the coreid or add the missing core row",
    ),
    "ROW_EXTRA_FIELDS": Flag(
        "warning",
        "the row has more fields than the header (an unquoted delimiter?)",
        "quote values that contain the delimiter; the extra values are kept in _extra_N columns",
    ),
}

_URL = re.compile(
    r"^https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?$|^https?://localhost\S*$", re.IGNORECASE
)
_URL_HOST = r"https?://[^/?#\s]+\.[^/?#\s]|https?://localhost"
_TYPE_WORDS = re.compile(
    r"(holo|iso|lecto|isolecto|paralecto|neo|isoneo|epi|isoepi|para|isopara|syn|isosyn|"
    r"topo|allo|co|hapanto|ergato|plasto|icono|clepto|"
    r"holótipo|isótipo|lectótipo)?typ|original\s*material|type\s*material|\btype\b|"
    r"\bholo|\biso|\blecto|\bsyn",
    re.IGNORECASE,
)
_DOUBT = re.compile(r"\?|possib|probab|\bpresum|\bdoubt", re.IGNORECASE)


def catalog_key(values: pd.Series) -> pd.Series:
    """Catalogue numbers normalised for matching: lower case, no spaces, no dots.

    Examples
    --------
    >>> catalog_key(pd.Series(["B 10 0250963", "L.2180891", "BR0000013"])).tolist()
    ['b100250963', 'l2180891', 'br0000013']
    """
    low = values.astype(str).str.lower()
    out = low.str.replace(" ", "", regex=False).str.replace(".", "", regex=False)
    odd = out.str.contains(r"\s", regex=True) | out.str.contains("\xa0", regex=False)
    if odd.any():
        out[odd] = out[odd].str.replace(r"[\s.]+", "", regex=True)
    return out


def _duplicated(values: pd.Series, codes: np.ndarray | None = None) -> np.ndarray:
    """Rows whose value occurs more than once (all of them), via factorize (fast)."""
    if codes is None:
        codes, _ = pd.factorize(values, sort=False)
    if not len(codes):
        return np.zeros(0, dtype=bool)
    counts = np.bincount(codes[codes >= 0])
    return (codes >= 0) & (counts[np.maximum(codes, 0)] > 1)


class _Collector:
    """Accumulates flag rows as column arrays (cheap for many rows)."""

    def __init__(self, frame: pd.DataFrame, columns: Mapping[str, str]) -> None:
        self.frame = frame
        self.columns = columns  # term → source column name
        self.parts: list[pd.DataFrame] = []

    def add(
        self,
        flag: str,
        mask: pd.Series | np.ndarray,
        term: str,
        values: pd.Series | Callable[[np.ndarray], Any] | None = None,
        message: str | pd.Series | Callable[[np.ndarray], Any] | None = None,
        *,
        frame: pd.DataFrame | None = None,
        column: str | None = None,
    ) -> None:
        frame = self.frame if frame is None else frame
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        info = FLAGS[flag]
        if callable(values):
            sel_values = np.asarray(values(mask), dtype=object).astype(str)
        else:
            if values is None:
                values = frame[term] if term in frame.columns else pd.Series("", index=frame.index)
            sel_values = np.asarray(values[mask], dtype=object).astype(str)
        if message is None:
            msg: object = info.meaning
        elif isinstance(message, str):
            msg = message
        elif callable(message):
            msg = np.asarray(message(mask), dtype=object).astype(str)
        else:
            msg = np.asarray(message[mask], dtype=object).astype(str)
        self.parts.append(
            pd.DataFrame(
                {
                    "flag": flag,
                    "severity": info.severity,
                    "row": frame["_row"].to_numpy()[mask],
                    "column": column or self.columns.get(term, term),
                    "term": term,
                    "value": sel_values,
                    "message": msg,
                    "fix": info.fix,
                    "source": frame["_source"].to_numpy()[mask] if "_source" in frame else "",
                }
            )
        )

    def result(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in FLAG_COLUMNS}).astype(
                {"row": "int64"}
            )
        out = pd.concat(self.parts, ignore_index=True)
        out["row"] = out["row"].astype("int64")
        return out[FLAG_COLUMNS]


def _stripped(frame: pd.DataFrame, term: str) -> pd.Series | None:
    if term not in frame.columns:
        return None
    return frame[term].astype(str).str.strip()


def _unique_apply(values: pd.Series, func: Callable[[str], object]) -> pd.Series:
    codes, uniques = pd.factorize(values.fillna(""), sort=False)
    results = np.empty(len(uniques), dtype=object)
    for i, u in enumerate(np.asarray(uniques, dtype=object).tolist()):
        results[i] = func(u)
    return pd.Series(results[codes], index=values.index, dtype=object)


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


def _check_catalog_numbers(frame: pd.DataFrame, col: _Collector) -> None:
    raw = frame.get("catalogNumber")
    if raw is None:
        return
    raw = raw.astype(str)
    values = raw.str.strip()
    empty = values.eq("")
    col.add("CATALOG_NUMBER_MISSING", empty, "catalogNumber")
    col.add("CATALOG_NUMBER_WHITESPACE", ~empty & raw.ne(values), "catalogNumber")
    vcodes, vuniq = pd.factorize(values, sort=False)
    dup = pd.Series(_duplicated(values, vcodes), index=values.index) & ~empty
    if dup.any():
        counts = values[dup].map(values[dup].value_counts())
        rows_by = (
            frame.loc[dup, "_row"]
            .astype(str)
            .groupby(values[dup])
            .agg(lambda s: ", ".join(s.iloc[:5]) + (" …" if len(s) > 5 else ""))
        )
        msg = "appears on " + counts.astype(str) + " rows (rows " + values[dup].map(rows_by) + ")"
        col.add(
            "CATALOG_NUMBER_DUPLICATE",
            dup,
            "catalogNumber",
            message=msg.reindex(frame.index, fill_value=""),
        )
    key = catalog_key(values)
    kcodes, _ = pd.factorize(key, sort=False)
    filled = ~empty.to_numpy()
    pairs = np.unique(kcodes[filled].astype(np.int64) * (len(vuniq) + 1) + vcodes[filled])
    pair_keys = pairs // (len(vuniq) + 1)
    uk, counts = np.unique(pair_keys, return_counts=True)
    clash = uk[counts > 1]
    if len(clash):
        mask = np.isin(kcodes, clash) & filled
        others = (
            pd.DataFrame({"key": key[mask], "value": values[mask]})
            .drop_duplicates()
            .groupby("key")["value"]
            .agg(lambda s: " / ".join(repr(v) for v in s))
        )
        col.add(
            "CATALOG_NUMBER_COLLISION",
            mask,
            "catalogNumber",
            message=lambda m: "equal ignoring case, spaces and dots: " + key[m].map(others),
        )


def _check_occurrence_ids(frame: pd.DataFrame, col: _Collector) -> None:
    values = _stripped(frame, "occurrenceID")
    if values is None:
        return
    filled = values.ne("")
    dup = _duplicated(values) & filled.to_numpy()
    col.add("OCCURRENCE_ID_DUPLICATE", dup, "occurrenceID")
    looks_http = values.str.slice(0, 8).str.lower().str.startswith(("http://", "https://"))
    valid = pd.Series(False, index=values.index)
    if looks_http.any():
        sub = values[looks_http]
        valid[looks_http] = sub.str.lower().str.match(_URL_HOST) & ~sub.str.contains(
            r"\s", regex=True
        )
    col.add("OCCURRENCE_ID_NOT_URL", filled & ~looks_http, "occurrenceID")
    col.add("OCCURRENCE_ID_URL_INVALID", filled & looks_http & ~valid, "occurrenceID")


def _check_required(frame: pd.DataFrame, col: _Collector) -> None:
    inst = _stripped(frame, "institutionCode")
    if inst is not None:
        empty = inst.eq("")
        msg: Callable[[np.ndarray], Any] | None = None
        owner = _stripped(frame, "ownerInstitutionCode")
        if owner is not None and empty.any():

            def msg(m: np.ndarray) -> pd.Series:
                sub = owner[m]
                text = pd.Series(FLAGS["INSTITUTION_CODE_MISSING"].meaning, index=sub.index)
                has = sub.ne("")
                text[has] = "institutionCode is empty; ownerInstitutionCode is " + sub[has].map(
                    repr
                )
                return text

        col.add("INSTITUTION_CODE_MISSING", empty, "institutionCode", message=msg)
    name = _stripped(frame, "scientificName")
    if name is not None:
        col.add("SCIENTIFIC_NAME_MISSING", name.eq(""), "scientificName")


def _check_event_dates(frame: pd.DataFrame, col: _Collector, today: dt.date) -> None:
    has_date = "eventDate" in frame.columns
    has_ymd = "year" in frame.columns
    if not has_date and not has_ymd:
        return
    n = len(frame)
    verbatim = frame["eventDate"].astype(str) if has_date else pd.Series("", index=frame.index)
    text = verbatim.fillna("").str.strip()
    codes, uniques = pd.factorize(text, sort=False)
    parse = parse_event_date.__wrapped__  # every value is distinct here: skip the cache
    objs = [parse(u) for u in np.asarray(uniques, dtype=object).tolist()]

    nan = float("nan")
    table = [
        (
            o.kind,
            o.iso,
            o.edtf,
            o.reformatted,
            o.problem,
            o.start.toordinal() if o.start else nan,
            o.end.toordinal() if o.end else nan,
            o.start.year if o.start else nan,
            o.end.year if o.end else nan,
            o.start.month if o.start else nan,
            o.end.month if o.end else nan,
            o.start.day if o.start else nan,
        )
        for o in objs
    ]
    cols = list(zip(*table, strict=True)) if table else [()] * 12

    def arr(i: int, dtype: object) -> np.ndarray:
        return np.asarray(cols[i], dtype=dtype)[codes] if n else np.array([], dtype=dtype)

    def num(i: int) -> pd.Series:
        return pd.Series(arr(i, float), index=frame.index)

    kinds, iso, edtf = arr(0, object), arr(1, object), arr(2, object)
    reform, problems = arr(3, bool), arr(4, object)
    s_ord, e_ord, s_y, e_y, s_m, e_m, s_d = (num(i) for i in range(5, 12))
    kind = pd.Series(kinds, index=frame.index, dtype=object)
    prob = pd.Series(problems, index=frame.index, dtype=object)
    col.add("EVENT_DATE_UNPARSABLE", kind.eq("unparsable"), "eventDate", message=prob)
    col.add("EVENT_DATE_AMBIGUOUS", kind.eq("ambiguous"), "eventDate", message=prob)
    col.add("EVENT_DATE_PARTIAL", kind.eq("partial"), "eventDate")
    col.add("EVENT_DATE_INTERVAL", kind.eq("interval"), "eventDate")
    col.add(
        "EVENT_DATE_NORMALISED",
        kind.eq("exact") & reform,
        "eventDate",
        message="eventDate rewritten as " + pd.Series(iso, index=frame.index).astype(str),
    )
    col.add("EVENT_DATE_IN_FUTURE", (s_ord > today.toordinal()).to_numpy(), "eventDate")
    col.add("EVENT_DATE_UNLIKELY", (e_y < 1600).to_numpy(), "eventDate")
    iso_s = pd.Series(iso, index=frame.index, dtype=object)
    edtf_s = pd.Series(edtf, index=frame.index, dtype=object)
    if has_ymd:
        year = pd.to_numeric(frame["year"].astype(str).str.strip(), errors="coerce")
        month = pd.to_numeric(
            frame.get("month", pd.Series("", index=frame.index)).astype(str).str.strip(),
            errors="coerce",
        )
        day = pd.to_numeric(
            frame.get("day", pd.Series("", index=frame.index)).astype(str).str.strip(),
            errors="coerce",
        )
        known = kind.isin(["exact", "partial", "interval"])
        y_bad = known & year.notna() & s_y.notna() & ~((year >= s_y) & (year <= e_y))
        single_month = known & s_m.eq(e_m) & s_y.eq(e_y)
        m_bad = single_month & month.notna() & month.ne(s_m)
        single_day = known & s_ord.eq(e_ord)
        d_bad = single_day & day.notna() & day.ne(s_d)
        bad = (y_bad | m_bad | d_bad).fillna(False)

        def msg(m: np.ndarray) -> pd.Series:
            sub = frame.loc[m]
            parts = [
                sub.get(c, pd.Series("", index=sub.index)).astype(str)
                for c in ("year", "month", "day")
            ]
            return (
                "eventDate "
                + text[m].map(repr)
                + " but year/month/day = "
                + parts[0]
                + "/"
                + parts[1]
                + "/"
                + parts[2]
            )

        col.add("EVENT_DATE_MISMATCH", bad.to_numpy(dtype=bool), "eventDate", message=msg)
        # Build the date from year/month/day where eventDate is empty.
        empty = kind.eq("empty") & year.notna()
        if empty.any():
            triple = (
                year.astype("Int64").astype(str)
                + "-"
                + month.astype("Int64").astype(str)
                + "-"
                + day.astype("Int64").astype(str)
            ).where(empty, "")
            full = _unique_apply(triple, _ymd_iso)
            ok_full = empty & full.ne("")
            iso_s[ok_full] = full[ok_full]
            edtf_s[ok_full] = full[ok_full]
            ym = empty & ~ok_full & month.between(1, 12) & year.between(1, 9999)
            edtf_s[ym] = (
                year[ym].astype(int).astype(str).str.zfill(4)
                + "-"
                + month[ym].astype(int).astype(str).str.zfill(2)
            )
            yo = empty & ~ok_full & ~ym & year.between(1, 9999)
            edtf_s[yo] = year[yo].astype(int).astype(str).str.zfill(4)
            col.add(
                "EVENT_DATE_DERIVED",
                ok_full.to_numpy(dtype=bool),
                "eventDate",
                values=iso_s,
                column="year/month/day",
            )
    frame["eventDate"] = iso_s.fillna("").astype(str)
    if has_date:
        frame["eventDate_verbatim"] = verbatim
    frame["eventDate_edtf"] = edtf_s.fillna("").astype(str)


def _ymd_iso(text: str) -> str:
    """``'1935-7-2'`` → ``'1935-07-02'``; ``''`` if incomplete or not a real date."""
    parts = text.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return ""
    try:
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2])).isoformat()
    except ValueError:
        return ""


def _check_coordinates(frame: pd.DataFrame, col: _Collector) -> None:
    lat_t, lon_t = _stripped(frame, "decimalLatitude"), _stripped(frame, "decimalLongitude")
    unc = _stripped(frame, "coordinateUncertaintyInMeters")
    if unc is not None:
        val = pd.to_numeric(unc.str.replace(",", ".", regex=False), errors="coerce")
        col.add(
            "COORDINATE_UNCERTAINTY_METERS_INVALID",
            unc.ne("") & ~(val > 0),
            "coordinateUncertaintyInMeters",
        )
    if lat_t is None and lon_t is None:
        return
    empty = pd.Series("", index=frame.index)
    lat_t = empty if lat_t is None else lat_t
    lon_t = empty if lon_t is None else lon_t
    lat = pd.to_numeric(lat_t.str.replace(",", ".", regex=False), errors="coerce")
    lon = pd.to_numeric(lon_t.str.replace(",", ".", regex=False), errors="coerce")
    any_given = lat_t.ne("") | lon_t.ne("")
    both_given = lat_t.ne("") & lon_t.ne("")

    def pair(m: np.ndarray) -> pd.Series:
        return "(" + lat_t[m] + ", " + lon_t[m] + ")"

    invalid = any_given & (~both_given | lat.isna() | lon.isna())
    col.add("COORDINATE_INVALID", invalid, "decimalLatitude", values=pair, column=_pair_column(col))
    ok = both_given & lat.notna() & lon.notna()
    zero = ok & lat.eq(0) & lon.eq(0)
    col.add("ZERO_COORDINATE", zero, "decimalLatitude", values=pair, column=_pair_column(col))
    out = ok & ((lat.abs() > 90) | (lon.abs() > 180))
    col.add(
        "COORDINATE_OUT_OF_RANGE", out, "decimalLatitude", values=pair, column=_pair_column(col)
    )
    swap_fixes = out & (lat.abs() <= 180) & (lon.abs() <= 90)
    col.add(
        "COORDINATES_LIKELY_SWAPPED",
        swap_fixes,
        "decimalLatitude",
        values=pair,
        column=_pair_column(col),
        message="latitude beyond ±90; swapping latitude and longitude gives a valid point",
    )
    usable = ok & ~zero & ~out
    code = _country_codes(frame)
    if code is None or not usable.any():
        return
    _check_against_country(frame, col, lat, lon, code, usable, pair)


def _pair_column(col: _Collector) -> str:
    return (
        f"{col.columns.get('decimalLatitude', 'decimalLatitude')}/"
        f"{col.columns.get('decimalLongitude', 'decimalLongitude')}"
    )


def _country_codes(frame: pd.DataFrame) -> pd.Series | None:
    """Best country code per row (countryCode if valid, else resolved from country)."""
    code = _stripped(frame, "countryCode")
    name = _stripped(frame, "country")
    if code is None and name is None:
        return None
    out = pd.Series("", index=frame.index, dtype=object)
    if name is not None:
        resolved = _unique_apply(name, lambda v: resolve_country(v) if v else None)
        out = resolved.where(resolved.notna() & resolved.ne("historic"), "").astype(object)
    if code is not None:
        valid = _unique_apply(code, lambda v: bool(v) and check_country_code(v) is None)
        up = code.str.upper()
        out = up.where(valid.astype(bool), out)
    return out


def _check_against_country(
    frame: pd.DataFrame,
    col: _Collector,
    lat: pd.Series,
    lon: pd.Series,
    code: pd.Series,
    usable: pd.Series,
    pair: Callable[[np.ndarray], pd.Series],
) -> None:
    """Swapped/negated coordinates, judged against the other rows of the same country.

    For each country with at least 5 usable points the median point is taken as
    its centre. A point more than 20° from the centre whose swapped or negated
    form lies within 10° of it is flagged.
    """
    sel = usable & code.ne("") & ~code.isin(["ZZ", "XZ"])
    if sel.sum() < 5:
        return
    stats = pd.DataFrame({"code": code[sel], "lat": lat[sel], "lon": lon[sel]}).groupby("code")
    size = stats.size()
    centres = stats.median()[size >= 5]
    if centres.empty:
        return
    clat = code.map(centres["lat"])
    clon = code.map(centres["lon"])

    def dist(a: pd.Series, b: pd.Series) -> pd.Series:
        dlon = (b - clon).abs()
        dlon = np.minimum(dlon, 360 - dlon)
        return np.maximum((a - clat).abs(), dlon)

    here = dist(lat, lon)
    far = sel & clat.notna() & (here > 20)
    if not far.any():
        return
    swapped = far & (dist(lon, lat) < 10) & (lon.abs() <= 90)
    neg_lat = far & ~swapped & (dist(-lat, lon) < 10)
    neg_lon = far & ~swapped & ~neg_lat & (dist(lat, -lon) < 10)

    def near(what: str) -> Callable[[np.ndarray], pd.Series]:
        def build(m: np.ndarray) -> pd.Series:
            return (
                f"{what} is close to the other points of "
                + code[m]
                + " (median "
                + clat[m].round(2).astype(str)
                + ", "
                + clon[m].round(2).astype(str)
                + ")"
            )

        return build

    column = _pair_column(col)
    col.add(
        "COORDINATES_LIKELY_SWAPPED",
        swapped.to_numpy(dtype=bool),
        "decimalLatitude",
        values=pair,
        column=column,
        message=near("swapped latitude/longitude"),
    )
    col.add(
        "PRESUMED_NEGATED_LATITUDE",
        neg_lat.to_numpy(dtype=bool),
        "decimalLatitude",
        values=pair,
        column=column,
        message=near("negated latitude"),
    )
    col.add(
        "PRESUMED_NEGATED_LONGITUDE",
        neg_lon.to_numpy(dtype=bool),
        "decimalLongitude",
        values=pair,
        column=column,
        message=near("negated longitude"),
    )


def _check_countries(frame: pd.DataFrame, col: _Collector) -> None:
    code = _stripped(frame, "countryCode")
    name = _stripped(frame, "country")
    code_ok = None
    if code is not None:
        why = _unique_apply(code, lambda v: check_country_code(v) if v else None)
        bad = why.notna()
        col.add("COUNTRY_CODE_INVALID", bad.to_numpy(dtype=bool), "countryCode", message=why)
        code_ok = code.ne("") & ~bad
    if name is not None:
        resolved = _unique_apply(name, lambda v: resolve_country(v) if v else "")
        unknown = name.ne("") & resolved.isna()
        col.add("COUNTRY_INVALID", unknown.to_numpy(dtype=bool), "country")
        if code_ok is not None:
            known = resolved.notna() & resolved.ne("") & resolved.ne("historic")
            mism = known & code_ok & resolved.ne(code.str.upper())

            def msg(m: np.ndarray) -> pd.Series:
                return (
                    "country "
                    + name[m].map(repr)
                    + " is "
                    + resolved[m].astype(str)
                    + ", countryCode is "
                    + code[m].map(repr)
                )

            col.add(
                "COUNTRY_MISMATCH",
                mism.to_numpy(dtype=bool),
                "countryCode",
                values=lambda m: "country=" + name[m] + ", countryCode=" + code[m],
                message=msg,
                column=f"{col.columns.get('country', 'country')}/"
                f"{col.columns.get('countryCode', 'countryCode')}",
            )


def _check_basis_of_record(frame: pd.DataFrame, col: _Collector) -> None:
    raw = frame.get("basisOfRecord")
    if raw is None:
        return
    values = raw.astype(str).str.strip()
    norm = _unique_apply(values, lambda v: normalise_basis_of_record(v) if v else v)
    invalid = values.ne("") & norm.isna()
    changed = values.ne("") & norm.notna() & norm.ne(values)
    col.add("BASIS_OF_RECORD_INVALID", invalid.to_numpy(dtype=bool), "basisOfRecord")
    col.add(
        "BASIS_OF_RECORD_NONSTANDARD",
        changed.to_numpy(dtype=bool),
        "basisOfRecord",
        message=lambda m: "normalised to " + norm[m].astype(str),
    )
    frame["basisOfRecord"] = norm.where(changed, raw.astype(str)).astype(str)


def _check_language(frame: pd.DataFrame, col: _Collector) -> None:
    values = _stripped(frame, "language")
    if values is None:
        return
    why = _unique_apply(values, lambda v: check_language(v) if v else None)
    col.add("LANGUAGE_INVALID", why.notna().to_numpy(dtype=bool), "language", message=why)


def _check_type_status(frame: pd.DataFrame, col: _Collector) -> None:
    values = _stripped(frame, "typeStatus")
    if values is None:
        return
    filled = values.ne("")
    known = _unique_apply(values, lambda v: bool(_TYPE_WORDS.search(v))).astype(bool)
    lower = values.str.lower()
    not_type = lower.isin(["no", "none", "not a type", "nontype", "non-type", "-"])
    doubt = _unique_apply(values, lambda v: bool(_DOUBT.search(v))).astype(bool)
    col.add(
        "TYPE_STATUS_INVALID",
        (filled & ~known & ~not_type & ~doubt).to_numpy(dtype=bool),
        "typeStatus",
    )
    col.add("SUSPECTED_TYPE", (filled & doubt).to_numpy(dtype=bool), "typeStatus")


def _check_extension(core: pd.DataFrame, ext: pd.DataFrame, row_type: str, col: _Collector) -> None:
    if "_coreid" in ext.columns and "_id" in core.columns:
        orphan = ~ext["_coreid"].isin(set(core["_id"]))
        col.add(
            "EXTENSION_CORE_ID_UNKNOWN",
            orphan.to_numpy(dtype=bool),
            "_coreid",
            values=ext["_coreid"],
            frame=ext,
            column="coreid",
        )
    if "license" in ext.columns:
        lic = ext["license"].astype(str).str.strip()
        known = _unique_apply(lic, lambda v: (not v) or license_spdx(v) is not None).astype(bool)
        col.add(
            "LICENSE_UNRECOGNISED",
            (~known).to_numpy(),
            "license",
            values=lic,
            frame=ext,
            column="license",
        )
    for term in ("identifier", "accessURI"):
        if term in ext.columns:
            values = ext[term].astype(str).str.strip()
            bad = values.ne("") & ~values.str.match(_URL)
            col.add(
                "MULTIMEDIA_URI_INVALID",
                bad.to_numpy(dtype=bool),
                term,
                values=values,
                frame=ext,
                column=term,
            )


def _check_other_dates(frame: pd.DataFrame, col: _Collector, today: dt.date) -> None:
    for term, invalid, unlikely, earliest in (
        ("dateIdentified", "IDENTIFIED_DATE_INVALID", "IDENTIFIED_DATE_UNLIKELY", 1700),
        ("modified", "MODIFIED_DATE_INVALID", "MODIFIED_DATE_UNLIKELY", 1970),
    ):
        values = _stripped(frame, term)
        if values is None:
            continue
        parsed = _unique_apply(values, parse_event_date)
        kind = parsed.map(lambda v: v.kind)
        bad = kind.isin(["unparsable", "ambiguous"])

        def why(m: np.ndarray, p: pd.Series = parsed, v: pd.Series = values) -> pd.Series:
            return pd.Series(
                [_epoch_hint(text) or val.problem for text, val in zip(v[m], p[m], strict=True)],
                dtype=object,
            )

        col.add(invalid, bad.to_numpy(dtype=bool), term, message=why)
        start = parsed.map(lambda v: v.start.toordinal() if v.start else np.nan).astype(float)
        end = parsed.map(lambda v: v.end.year if v.end else np.nan).astype(float)
        odd = (start > today.toordinal()) | (end < earliest)
        col.add(unlikely, odd.to_numpy(dtype=bool), term)


def _epoch_hint(text: str) -> str:
    """Explain a 9–10 digit number as the Unix timestamp it probably is."""
    if re.fullmatch(r"\d{9,10}", text):
        when = dt.datetime.fromtimestamp(int(text), dt.UTC).isoformat().replace("+00:00", "Z")
        return f"{text!r} looks like a Unix timestamp ({when}); write it as ISO 8601"
    return ""


def _numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.str.replace(",", ".", regex=False), errors="coerce")


def _check_numbers(frame: pd.DataFrame, col: _Collector) -> None:
    for low_t, high_t, prefix, lo, hi in (
        ("minimumElevationInMeters", "maximumElevationInMeters", "ELEVATION", -500, 9000),
        ("minimumDepthInMeters", "maximumDepthInMeters", "DEPTH", 0, 11000),
    ):
        low, high = _stripped(frame, low_t), _stripped(frame, high_t)
        parsed = {}
        for term, values in ((low_t, low), (high_t, high)):
            if values is None:
                continue
            num = _numbers(values)
            parsed[term] = num
            col.add(f"{prefix}_NON_NUMERIC", (values.ne("") & num.isna()).to_numpy(), term)
            col.add(f"{prefix}_UNLIKELY", ((num < lo) | (num > hi)).to_numpy(dtype=bool), term)
        if len(parsed) == 2:
            swapped = (parsed[low_t] > parsed[high_t]).to_numpy(dtype=bool)

            def pair(m: np.ndarray, a: pd.Series = low, b: pd.Series = high) -> pd.Series:
                return a[m] + " > " + b[m]

            col.add(
                f"{prefix}_MIN_MAX_SWAPPED",
                swapped,
                low_t,
                values=pair,
                column=f"{col.columns.get(low_t, low_t)}/{col.columns.get(high_t, high_t)}",
            )
    count = _stripped(frame, "individualCount")
    if count is not None:
        num = pd.to_numeric(count, errors="coerce")
        ok = num.notna() & (num >= 0) & (num == num.round())
        col.add("INDIVIDUAL_COUNT_INVALID", (count.ne("") & ~ok).to_numpy(), "individualCount")
    datum = _stripped(frame, "geodeticDatum")
    lat = _stripped(frame, "decimalLatitude")
    if datum is not None:
        known = _unique_apply(datum, lambda v: (not v) or check_geodetic_datum(v)).astype(bool)
        col.add("GEODETIC_DATUM_INVALID", (~known).to_numpy(), "geodeticDatum")
    if lat is not None:
        no_datum = lat.ne("") if datum is None else lat.ne("") & datum.eq("")
        col.add(
            "GEODETIC_DATUM_ASSUMED_WGS84",
            no_datum.to_numpy(),
            "geodeticDatum",
            values=lat,
            column=col.columns.get("geodeticDatum", "geodeticDatum"),
        )


def _url_ok(values: pd.Series) -> pd.Series:
    """http(s) URL with a host; ``values`` already stripped."""
    lower = values.str.lower()
    return lower.str.match(_URL_HOST) & ~values.str.contains(r"\s", regex=True)


def _check_uris_and_licences(frame: pd.DataFrame, col: _Collector) -> None:
    refs = _stripped(frame, "references")
    if refs is not None:
        bad = refs.ne("") & ~_url_ok(refs)
        col.add("REFERENCES_URI_INVALID", bad.to_numpy(dtype=bool), "references")
    media = _stripped(frame, "associatedMedia")
    if media is not None:

        def all_urls(text: str) -> bool:
            parts = [p.strip() for p in re.split(r"\s*[|;]\s*|\s+,\s*", text) if p.strip()]
            return all(_URL.match(p) for p in parts)

        ok = _unique_apply(media, lambda v: (not v) or all_urls(v)).astype(bool)
        col.add("MULTIMEDIA_URI_INVALID", (~ok).to_numpy(), "associatedMedia")
    lic = _stripped(frame, "license")
    if lic is not None:
        known = _unique_apply(lic, lambda v: (not v) or license_spdx(v) is not None).astype(bool)
        col.add("LICENSE_UNRECOGNISED", (~known).to_numpy(), "license")
