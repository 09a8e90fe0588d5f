"""Checks on places and measurements: coordinates, countries, datum, elevation, depth."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from specpub.specimens._checks_common import _Collector, _stripped, _unique_apply
from specpub.specimens.values import check_country_code, check_geodetic_datum, resolve_country


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
    for flag, mask, term, what in (
        ("COORDINATES_LIKELY_SWAPPED", swapped, "decimalLatitude", "swapped latitude/longitude"),
        ("PRESUMED_NEGATED_LATITUDE", neg_lat, "decimalLatitude", "negated latitude"),
        ("PRESUMED_NEGATED_LONGITUDE", neg_lon, "decimalLongitude", "negated longitude"),
    ):
        col.add(
            flag, mask.to_numpy(dtype=bool), term, values=pair, column=column, message=near(what)
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
