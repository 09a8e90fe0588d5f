"""Shared machinery of the checks: the flag collector and vectorised helpers."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from specpub.specimens._flag_catalogue import FLAG_COLUMNS, FLAGS

_URL = re.compile(
    r"^https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?$|^https?://localhost\S*$", re.IGNORECASE
)

_URL_HOST = r"https?://[^/?#\s]+\.[^/?#\s]|https?://localhost"


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


def _url_ok(values: pd.Series) -> pd.Series:
    """http(s) URL with a host; ``values`` already stripped."""
    lower = values.str.lower()
    return lower.str.match(_URL_HOST) & ~values.str.contains(r"\s", regex=True)
