"""Checks on identifiers and vocabularies: catalogue numbers, occurrenceIDs, required
fields, basisOfRecord, language, typeStatus, URLs and licences, archive extensions."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from specpub.specimens._checks_common import (
    _URL,
    _URL_HOST,
    _Collector,
    _duplicated,
    _stripped,
    _unique_apply,
    _url_ok,
    catalog_key,
)
from specpub.specimens._flag_catalogue import FLAGS
from specpub.specimens.values import check_language, license_spdx, normalise_basis_of_record

_TYPE_WORDS = re.compile(
    r"(holo|iso|lecto|isolecto|paralecto|neo|isoneo|epi|isoepi|para|isopara|syn|isosyn|"
    r"topo|allo|co|hapanto|ergato|plasto|icono|clepto|"
    r"holótipo|isótipo|lectótipo)?typ|original\s*material|type\s*material|\btype\b|"
    r"\bholo|\biso|\blecto|\bsyn",
    re.IGNORECASE,
)

_DOUBT = re.compile(r"\?|possib|probab|\bpresum|\bdoubt", re.IGNORECASE)


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
