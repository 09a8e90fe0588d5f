"""Checks on dates: eventDate (normalised to ISO where exact), dateIdentified, modified."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from specpub.specimens._checks_common import _Collector, _stripped, _unique_apply
from specpub.specimens.values import parse_event_date


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
