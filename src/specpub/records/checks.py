"""Zenodo-side checks: will Zenodo accept this record exactly as it is, on this API?

Zenodo validates in two stages (``docs/zenodo-api.md`` §1.8, §7): the legacy
API's deserializer refuses malformed input at create or update (a ``400``),
silently drops what it does not know, and hands the rest to InvenioRDM, whose
rules (required fields, vocabularies, EDTF dates, ORCID check digits) are
reported only at publish — after the files are uploaded. The native API
applies the same InvenioRDM rules, reporting at save and refusing at publish.

:func:`check_payload` runs both stages locally, in the same order, on either
payload shape, and :func:`check_files` checks the files (count, size, quota,
empty files, names). Every finding names the record, the field path and what
to do. Severity follows Zenodo: ``error`` exactly where Zenodo refuses
(the record would not publish), ``warning`` where it accepts but drops or
changes something (a value would be lost or altered), ``info`` for notes.
:data:`CHECKS` lists every check with the Zenodo behaviour it mirrors.

Examples
--------
>>> body = {"metadata": {"upload_type": "image", "image_type": "photo", "title": "Ab",
...         "creators": [{"name": "Doe, Jane", "orcid": "0000-0002-1825-0098"}],
...         "publication_date": "2026-01-01", "license": "cc-by-4.0",
...         "custom": {"dwc:catalogNumber": ["A1"], "dwc:recordNumber": ["12"]}}}
>>> for f in check_payload(body, "legacy", record="|A1"):
...     if f.severity != "info":
...         print(f.severity, f.code, f.field)
error TITLE_TOO_SHORT metadata.title
error ORCID_INVALID metadata.creators.0.orcid
warning CUSTOM_FIELD_UNKNOWN metadata.custom.dwc:recordNumber
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from specpub.records import vocabularies as vocab
from specpub.records.custom_fields import CUSTOM_FIELD_TYPES, TEXT_KINDS, valid_value
from specpub.records.identifiers import detect_scheme, matches_scheme, orcid_ok
from specpub.records.model import Finding
from specpub.records.sanitize import (
    ALLOWED_HTML_ATTRS,
    ALLOWED_HTML_TAGS,
    removed_html,
    sanitize_html,
)

__all__ = [
    "ALLOWED_HTML_ATTRS",
    "ALLOWED_HTML_TAGS",
    "CHECKS",
    "MAX_FILES",
    "MAX_FILE_SIZE",
    "MAX_KEY_LENGTH",
    "QUOTA",
    "Check",
    "check_files",
    "check_payload",
    "is_edtf",
]

#: At most this many files per record (``RDM_RECORDS_MAX_FILES_COUNT``).
MAX_FILES = 100
#: Bytes per record, all files together (``RDM_FILES_DEFAULT_QUOTA_SIZE``, 50 GB).
QUOTA = 50 * 10**9
#: Bytes per file (``RDM_FILES_DEFAULT_MAX_FILE_SIZE``, 50 GB).
MAX_FILE_SIZE = 50 * 10**9
#: Longest file key (invenio-files-rest).
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Check:
    """A check: its severity and the Zenodo behaviour it mirrors.

    Examples
    --------
    >>> CHECKS["FILES_TOO_MANY"].severity
    'error'
    """

    severity: str
    zenodo: str


def _c(severity: str, zenodo: str) -> Check:
    return Check(severity, zenodo)


#: Every check by code.
CHECKS: dict[str, Check] = {
    "BODY_INVALID": _c("error", "400: the body is not a JSON object"),
    "UNKNOWN_TOP_LEVEL_KEY": _c("error", "legacy 400 'Unknown field.' for a key beside metadata"),
    "UNKNOWN_METADATA_KEY": _c("warning", "legacy: unknown metadata keys are dropped silently"),
    "UNKNOWN_FIELD": _c("warning", "native: unknown keys are dropped and reported in errors[]"),
    "NOT_A_STRING": _c("error", "400 'Not a valid string.'"),
    "NOT_A_LIST": _c("error", "400 'Not a valid list.'"),
    "RESOURCE_TYPE_MISSING": _c("error", "publish 400 'metadata.resource_type: Missing data'"),
    "RESOURCE_TYPE_INVALID": _c("error", "400 'Not a valid value.' (vocabulary)"),
    "TITLE_MISSING": _c("error", "publish 400 'metadata.title: Missing data for required field.'"),
    "TITLE_TOO_SHORT": _c("error", "publish 400 'Shorter than minimum length 3.'"),
    "PUBLICATION_DATE_INVALID": _c("error", "publish 400 'Please provide a valid date'"),
    "CREATORS_MISSING": _c("error", "publish 400 'metadata.creators: Missing data'"),
    "CREATOR_INVALID": _c("error", "400: a creator must be an object"),
    "CREATOR_NAME_MISSING": _c("error", "publish 400 'Family name must be filled.'/'Name …'"),
    "CREATOR_TYPE_INVALID": _c("error", "publish 400 'Invalid value. Choose one of …'"),
    "CREATOR_NAME_SPLIT": _c(
        "info", "legacy: a name with one comma is read as 'Family, Given' of a person"
    ),
    "ORCID_INVALID": _c("error", "publish 400: idutils.is_orcid (check digit)"),
    "CONTRIBUTOR_ROLE_MISSING": _c("error", "publish 400 'role: Missing data'"),
    "CONTRIBUTOR_ROLE_INVALID": _c("error", "400 'Not a valid value.' (roles vocabulary)"),
    "DESCRIPTION_TOO_SHORT": _c("error", "publish 400 'Shorter than minimum length 3.'"),
    "DESCRIPTION_MISSING": _c("info", "optional on Zenodo (RDM); DataCite shows none"),
    "DESCRIPTION_HTML_REMOVED": _c("warning", "Zenodo's sanitiser removes other tags/attributes"),
    "ACCESS_RIGHT_INVALID": _c("error", "legacy 400 'Unknown access type.'"),
    "EMBARGO_DATE_MISSING": _c("error", "legacy 400 'Unknown access type.'"),
    "EMBARGO_DATE_INVALID": _c("error", "400 'Not a valid date.'"),
    "ACCESS_INVALID": _c("warning", "native: restricted records are disabled; it is public"),
    "FILES_DISABLED": _c("warning", "native: metadata-only records are disabled; files stay on"),
    "LICENSE_INVALID": _c("error", "legacy 400 'Invalid license value provided'"),
    "LICENSE_UNKNOWN": _c("error", "400 'Invalid license provided' / 'Not a valid value.'"),
    "LICENSE_DEFAULTED": _c("info", "no licence given: Zenodo applies CC-BY-4.0 (CC0 for data)"),
    "RIGHTS_ID_AND_TITLE": _c("error", "publish 400: rights take an id or a title, not both"),
    "KEYWORD_INVALID": _c("error", "legacy 400 'Not a valid string.' in keywords"),
    "RELATED_ID_INCOMPLETE": _c("error", "legacy 500 (KeyError) / 400 for a missing part"),
    "RELATED_ID_SCHEME_UNDETECTABLE": _c("error", "400 'No valid scheme recognized…'"),
    "RELATED_ID_SCHEME_MISMATCH": _c("error", "native 400: identifier invalid for its scheme"),
    "RELATION_INVALID": _c("error", "400 'Not a valid value.' (relation types)"),
    "RELATED_RESOURCE_TYPE_INVALID": _c("error", "400 'Not a valid value.'"),
    "COMMUNITIES_INVALID": _c("error", "legacy 400 on 'communities'"),
    "COMMUNITIES_NOT_IN_BODY": _c(
        "info", "native: communities are requested after the draft exists, not in its body"
    ),
    "GRANT_INVALID": _c("error", "legacy 500 (KeyError) for a grant without id"),
    "FUNDER_UNKNOWN": _c("error", "400 'Not a valid value.' (funders)"),
    "LANGUAGE_INVALID": _c("error", "legacy 400 'Language must be either ISO-639-1 or 639-2'"),
    "LANGUAGE_UNKNOWN": _c("error", "400 'Not a valid value.' (languages)"),
    "LOCATION_PLACE_MISSING": _c("error", "legacy 500 (KeyError) for a location without place"),
    "LOCATION_COORDINATE_INVALID": _c("error", "400: lat within ±90, lon within ±180"),
    "LOCATION_POINT_DROPPED": _c("warning", "legacy: a latitude or longitude of 0 drops the point"),
    "DATE_INVALID": _c("error", "400 'Invalid date provided.' / EDTF"),
    "DATE_TYPE_INVALID": _c("error", "400 'Not a valid value.' (date types)"),
    "VERSION_TOO_LONG": _c("error", "publish 400 'Longer than maximum length 191.'"),
    "DOI_ZENODO_PREFIX": _c("error", "400 'Wrong DOI … prefix': never send a Zenodo DOI"),
    "CUSTOM_FIELDS_INVALID": _c("warning", "custom fields that are not a mapping are dropped"),
    "CUSTOM_FIELD_UNKNOWN": _c("warning", "a term outside Zenodo's whitelist is dropped"),
    "CUSTOM_FIELD_NOT_LIST": _c("warning", "a custom field value that is no list is dropped"),
    "CUSTOM_FIELD_VALUE_INVALID": _c("warning", "an item of the wrong type is dropped"),
    "CUSTOM_FIELD_TRIMMED": _c("info", "Zenodo trims spaces around custom-field strings"),
    "MARKER_MISSING": _c("error", "specpub: dwc:catalogNumber is the record's search marker"),
    "FILES_NONE": _c("error", "publish 400 'Missing uploaded files.'"),
    "FILES_TOO_MANY": _c("error", "400 '…exceeding the max amount per record.' (100)"),
    "FILE_EMPTY": _c("error", "400 'Empty files are not accepted.'"),
    "FILE_TOO_LARGE": _c("error", "400 'Maximum file size exceeded.' (50 GB)"),
    "QUOTA_EXCEEDED": _c("error", "400 'Bucket quota exceeded.' (50 GB per record)"),
    "FILE_KEY_DUPLICATE": _c("error", "400 'File with key … already exists.'"),
    "FILE_KEY_TOO_LONG": _c("error", "400 'Filename is too long.' (255)"),
    "FILE_KEY_SLASH": _c("error", "legacy bucket PUT cannot take a '/' in a key"),
    "FILE_KEY_INVALID": _c("error", "an empty key or one with control characters"),
    "FILE_MD5_INVALID": _c("error", "specpub: every file needs its MD5 to verify the upload"),
}

_CONTROL = re.compile(r"[\x00-\x1f]")
_MD5 = re.compile(r"[0-9a-fA-F]{32}")
_EDTF_DAY = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_LEGACY_TOP = frozenset({"metadata"})
_LEGACY_KEYS = frozenset(
    [
        "upload_type",
        "publication_type",
        "image_type",
        "publication_date",
        "title",
        "creators",
        "description",
        "access_right",
        "license",
        "embargo_date",
        "access_conditions",
        "doi",
        "prereserve_doi",
        "keywords",
        "subjects",
        "notes",
        "method",
        "related_identifiers",
        "contributors",
        "references",
        "communities",
        "grants",
        "language",
        "locations",
        "dates",
        "version",
        "imprint_publisher",
        "journal_title",
        "journal_volume",
        "journal_issue",
        "journal_pages",
        "conference_title",
        "conference_acronym",
        "conference_dates",
        "conference_place",
        "conference_url",
        "conference_session",
        "conference_session_part",
        "imprint_isbn",
        "imprint_place",
        "partof_title",
        "partof_pages",
        "thesis_university",
        "thesis_supervisors",
        "custom",
    ]
)
_NATIVE_TOP = frozenset({"access", "files", "metadata", "custom_fields", "pids", "parent"})
_NATIVE_KEYS = frozenset(
    [
        "resource_type",
        "title",
        "publication_date",
        "creators",
        "description",
        "rights",
        "subjects",
        "contributors",
        "additional_descriptions",
        "additional_titles",
        "identifiers",
        "related_identifiers",
        "languages",
        "dates",
        "locations",
        "publisher",
        "version",
        "funding",
        "references",
        "sizes",
        "formats",
    ]
)


def is_edtf(value: Any) -> bool:
    """Whether ``value`` is an EDTF level-0 date or interval (what Zenodo's dates take).

    Examples
    --------
    >>> is_edtf("1890"), is_edtf("1890-05/1890-06"), is_edtf("1890-13"), is_edtf("1.5.1890")
    (True, True, False, False)
    """
    return isinstance(value, str) and _is_edtf(value)


@lru_cache(maxsize=65536)
def _is_edtf(value: str) -> bool:
    if not value:
        return False
    parts = value.split("/")
    if len(parts) > 2:
        return False
    bounds = []
    for part in parts:
        m = _EDTF_DAY.match(part)
        if not m:
            return False
        try:
            start = date(int(m.group(1)) or 1, int(m.group(2) or 1), int(m.group(3) or 1))
        except ValueError:
            return False
        bounds.append(start)
    return len(bounds) == 1 or bounds[0] <= bounds[1]


def _full_date(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


#: ``isinstance(x, _MAPPING)`` is ``isinstance(x, Mapping)``, a dict found without the ABC's
#: slower check (the checks ask it about every part of every payload).
_MAPPING = (dict, Mapping)


class _Out:
    """Collects findings for one record and one API."""

    def __init__(self, record: str, row: int | None, api: str, paths: Mapping[str, str]) -> None:
        self.record, self.row, self.api, self.paths = record, row, api, paths
        self.items: list[Finding] = []

    def add(self, code: str, field: str, message: str, fix: str = "") -> None:
        for rdm, legacy in self.paths.items():
            if field.startswith(rdm):
                field = legacy + field[len(rdm) :]
                break
        self.items.append(
            Finding(
                self.record, self.row, CHECKS[code].severity, code, field, message, fix, self.api
            )
        )


# -- the legacy deserializer stage ---------------------------------------------------------
# RDM field paths → the legacy field a user of the legacy API must fix.
_LEGACY_PATHS = {
    "metadata.resource_type": "metadata.upload_type",
    "metadata.rights": "metadata.license",
    "metadata.subjects": "metadata.keywords",
    "metadata.languages": "metadata.language",
    "metadata.identifiers": "metadata.related_identifiers",
    "custom_fields": "metadata.custom",
    "access": "metadata.access_right",
}


def _legacy_person(p: Any, path: str, out: _Out, *, contributor: bool) -> dict[str, Any] | None:
    if not isinstance(p, _MAPPING):
        out.add(
            "CREATOR_INVALID", path, "a creator must be an object with a name", "give {name: …}"
        )
        return None
    name = p.get("name")
    if name is not None and not isinstance(name, str):
        out.add("NOT_A_STRING", f"{path}.name", f"name must be text, not {name!r}", "quote it")
        return None
    name = (name or "").strip()
    po: dict[str, Any] = {"type": "personal"}
    if name.count(",") == 1:
        family, given = (x.strip() for x in name.split(","))
        po["family_name"] = family
        if given:
            po["given_name"] = given
            out.add(
                "CREATOR_NAME_SPLIT",
                f"{path}.name",
                f"{name!r} is read as family name {family!r} and given name {given!r} of a person "
                "(the legacy API cannot say 'organisation')",
                "nothing for a person; for an organisation, remove the comma or use the native API",
            )
    else:
        po["family_name"] = name
    orcid = p.get("orcid")
    if isinstance(orcid, str) and orcid.strip():
        po["identifiers"] = [{"scheme": "orcid", "identifier": orcid.strip()}]
        po["_path"] = f"{path}.orcid"
    entry: dict[str, Any] = {"person_or_org": po}
    if contributor:
        ctype = p.get("type")
        if ctype is not None:
            if not isinstance(ctype, str) or ctype.lower() not in vocab.ROLES:
                out.add(
                    "CONTRIBUTOR_ROLE_INVALID",
                    f"{path}.type",
                    f"{ctype!r} is not a contributor type",
                    f"use one of {', '.join(vocab.CONTRIBUTOR_TYPES)}",
                )
                return None
            entry["role"] = {"id": ctype.lower()}
    return entry


def _legacy_stage(md: Mapping[str, Any], out: _Out) -> tuple[dict[str, Any], Any, dict[str, Any]]:
    """Mirror of the legacy deserializer: (RDM metadata, custom, access)."""
    rdm: dict[str, Any] = {}
    for key in md:
        if key not in _LEGACY_KEYS:
            out.add(
                "UNKNOWN_METADATA_KEY",
                f"metadata.{key}",
                f"Zenodo drops the unknown key {key!r} without a word",
                "remove it, or put the value where Zenodo keeps it (custom fields, description)",
            )

    def text(key: str) -> str | None:
        value = md.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            out.add(
                "NOT_A_STRING",
                f"metadata.{key}",
                f"{key} must be text, not {value!r}",
                "give the value as a quoted string",
            )
            return None
        return value

    upload_type = text("upload_type")
    if upload_type is not None:
        if upload_type not in vocab.UPLOAD_TYPES:
            out.add(
                "RESOURCE_TYPE_INVALID",
                "metadata.upload_type",
                f"{upload_type!r} is not an upload type",
                f"use one of {', '.join(sorted(vocab.UPLOAD_TYPES))}",
            )
        else:
            rid = upload_type
            sub_key = {"image": "image_type", "publication": "publication_type"}.get(upload_type)
            sub = text(sub_key) if sub_key else None
            allowed = vocab.IMAGE_TYPES if upload_type == "image" else vocab.PUBLICATION_TYPES
            if sub is not None and sub not in allowed:
                out.add(
                    "RESOURCE_TYPE_INVALID",
                    f"metadata.{sub_key}",
                    f"{sub!r} is not a valid {sub_key}",
                    f"use one of {', '.join(sorted(allowed))}",
                )
            elif sub:
                rid = f"{upload_type}-{sub}"
            rdm["resource_type"] = {"id": rid}
    for key in ("title", "description", "version"):
        if (value := text(key)) is not None:
            rdm[key] = value
    rdm["publication_date"] = text("publication_date") or date.today().isoformat()
    if md.get("doi") and str(md["doi"]).startswith("10.5281/"):
        out.add(
            "DOI_ZENODO_PREFIX",
            "metadata.doi",
            "a Zenodo DOI given as the record's DOI is refused (Zenodo mints its own)",
            "remove doi; send only a real external DOI",
        )
    for key, contributor in (("creators", False), ("contributors", True)):
        items = md.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            out.add(
                "NOT_A_LIST",
                f"metadata.{key}",
                f"{key} must be a list",
                f"write {key} as a list of objects",
            )
            continue
        people = [
            _legacy_person(p, f"metadata.{key}.{i}", out, contributor=contributor)
            for i, p in enumerate(items)
        ]
        rdm[key] = [p for p in people if p is not None]
    access_right = text("access_right") or "open"
    access: dict[str, Any] = {"record": "public", "files": "public"}
    if access_right not in vocab.ACCESS_RIGHTS:
        out.add(
            "ACCESS_RIGHT_INVALID",
            "metadata.access_right",
            f"{access_right!r} is not an access right",
            f"use one of {', '.join(vocab.ACCESS_RIGHTS)}",
        )
    elif access_right in ("restricted", "closed", "embargoed"):
        access["files"] = "restricted"
        if access_right == "embargoed":
            until = text("embargo_date")
            if not until:
                out.add(
                    "EMBARGO_DATE_MISSING",
                    "metadata.embargo_date",
                    "an embargoed record needs embargo_date",
                    "add embargo_date (YYYY-MM-DD)",
                )
            elif not _full_date(until):
                out.add(
                    "EMBARGO_DATE_INVALID",
                    "metadata.embargo_date",
                    f"{until!r} is not a date",
                    "write YYYY-MM-DD",
                )
    lic = md.get("license")
    if lic is None:
        if access_right in ("open", "embargoed"):
            out.add(
                "LICENSE_DEFAULTED",
                "metadata.license",
                "no licence given: Zenodo applies "
                + ("CC0-1.0" if upload_type == "dataset" else "CC-BY-4.0"),
                "state the licence explicitly",
            )
            rdm["rights"] = [{"id": "cc0-1.0" if upload_type == "dataset" else "cc-by-4.0"}]
    else:
        if isinstance(lic, _MAPPING) and isinstance(lic.get("id"), str):
            lic = lic["id"]
        if not isinstance(lic, str):
            out.add(
                "LICENSE_INVALID",
                "metadata.license",
                f"the licence must be a string or {{'id': …}}, not {lic!r}",
                'write e.g. "cc-by-4.0"',
            )
        else:
            rdm["rights"] = [{"id": vocab.LICENSE_ALIASES.get(lic.lower(), lic.lower())}]
    keywords = md.get("keywords")
    if keywords is not None:
        if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
            out.add(
                "KEYWORD_INVALID",
                "metadata.keywords",
                "keywords must be a list of texts",
                "give each keyword as a string",
            )
        elif keywords:
            rdm["subjects"] = [{"subject": k} for k in keywords]
    related, alternate = [], []
    raw_related = md.get("related_identifiers")
    if raw_related is not None and not isinstance(raw_related, list):
        out.add(
            "NOT_A_LIST", "metadata.related_identifiers", "related_identifiers must be a list", ""
        )
        raw_related = []
    for i, r in enumerate(raw_related or []):
        path = f"metadata.related_identifiers.{i}"
        ident = r.get("identifier") if isinstance(r, _MAPPING) else None
        relation = r.get("relation") if isinstance(r, _MAPPING) else None
        if (
            not isinstance(ident, str)
            or not ident.strip()
            or not isinstance(relation, str)
            or not relation
        ):
            out.add(
                "RELATED_ID_INCOMPLETE",
                path,
                "a related identifier needs identifier and relation",
                "give both, or remove the entry",
            )
            continue
        scheme = detect_scheme(ident)
        if scheme is None:
            out.add(
                "RELATED_ID_SCHEME_UNDETECTABLE",
                f"{path}.identifier",
                f"Zenodo cannot detect the scheme of {ident!r} (not a URL, DOI, handle, URN, …)",
                "send only URLs or other persistent identifiers",
            )
            continue
        relation = relation.replace("isOrignialFormOf", "isOriginalFormOf")
        if relation.lower() == "isalternateidentifier":
            alternate.append({"identifier": ident.strip(), "scheme": scheme})
            continue
        if relation.lower() not in vocab.RELATION_TYPES:
            out.add(
                "RELATION_INVALID",
                f"{path}.relation",
                f"{relation!r} is not a relation type",
                "use e.g. isDescribedBy, isDerivedFrom, isAlternateIdentifier",
            )
            continue
        entry: dict[str, Any] = {
            "identifier": ident.strip(),
            "scheme": scheme,
            "relation_type": {"id": relation.lower()},
        }
        rtype = r.get("resource_type")
        if rtype:
            if rtype not in vocab.RESOURCE_TYPES:
                out.add(
                    "RELATED_RESOURCE_TYPE_INVALID",
                    f"{path}.resource_type",
                    f"{rtype!r} is not a resource type",
                    "use an upload type, or image-photo, publication-article, …",
                )
            else:
                entry["resource_type"] = {"id": rtype}
        related.append(entry)
    if related:
        rdm["related_identifiers"] = related
    if alternate:
        rdm["identifiers"] = alternate
    communities = md.get("communities")
    if communities is not None and (
        not isinstance(communities, list)
        or any(
            not isinstance(c, _MAPPING) or not isinstance(c.get("identifier"), str)
            for c in communities
        )
    ):
        out.add(
            "COMMUNITIES_INVALID",
            "metadata.communities",
            "communities must be a list of {identifier: slug}",
            'write [{"identifier": "belgiumherbarium"}]',
        )
    grants = md.get("grants")
    funding = []
    for i, g in enumerate(grants if isinstance(grants, list) else []):
        gid = g.get("id") if isinstance(g, _MAPPING) else None
        if not isinstance(gid, str) or not gid:
            out.add("GRANT_INVALID", f"metadata.grants.{i}", "a grant needs an id", "give {id: …}")
            continue
        funder, sep, number = gid.rpartition("::")
        funder = funder if sep else vocab.DEFAULT_FUNDER
        funding.append({"funder": {"id": funder}, "award": {"id": number}})
    if funding:
        rdm["funding"] = funding
    language = text("language")
    if language:
        if len(language) not in (2, 3):
            out.add(
                "LANGUAGE_INVALID",
                "metadata.language",
                f"{language!r}: language must be either ISO-639-1 or 639-2 compatible",
                "write a 2- or 3-letter code (eng, fra, lat)",
            )
        else:
            lang = (
                language.lower()
                if len(language) == 3
                else (vocab.language_id(language) or language)
            )
            rdm["languages"] = [{"id": lang}]
    locations = md.get("locations")
    features = []
    for i, loc in enumerate(locations if isinstance(locations, list) else []):
        path = f"metadata.locations.{i}"
        if (
            not isinstance(loc, _MAPPING)
            or not isinstance(loc.get("place"), str)
            or not loc["place"]
        ):
            out.add(
                "LOCATION_PLACE_MISSING", f"{path}.place", "a location needs a place", "name it"
            )
            continue
        lat, lon = loc.get("lat"), loc.get("lon")
        bad = False
        for name, value, limit in (("lat", lat, 90), ("lon", lon, 180)):
            if value is not None and (
                not isinstance(value, int | float)
                or isinstance(value, bool)
                or not math.isfinite(value)
                or abs(value) > limit
            ):
                out.add(
                    "LOCATION_COORDINATE_INVALID",
                    f"{path}.{name}",
                    f"{name} {value!r} is not a coordinate within ±{limit}",
                    "give decimal degrees as numbers",
                )
                bad = True
        if bad:
            continue
        if (lat is None) != (lon is None) or (lat is not None and (lat == 0 or lon == 0)):
            out.add(
                "LOCATION_POINT_DROPPED",
                path,
                "Zenodo keeps the place but drops the point when lat or lon is 0 or missing",
                "nothing, if the coordinate is right (the custom fields keep the numbers)",
            )
        features.append(loc)
    dates = md.get("dates")
    for i, d in enumerate(dates if isinstance(dates, list) else []):
        path = f"metadata.dates.{i}"
        if not isinstance(d, _MAPPING) or not (d.get("start") or d.get("end")):
            out.add("DATE_INVALID", path, "a date needs start or end", "give start and end")
            continue
        if any(v is not None and not is_edtf(v) for v in (d.get("start"), d.get("end"))):
            out.add(
                "DATE_INVALID",
                path,
                "start/end must be dates (YYYY, YYYY-MM, YYYY-MM-DD)",
                "write ISO 8601 dates",
            )
            continue
        if d.get("start") and d.get("end") and not is_edtf(f"{d['start']}/{d['end']}"):
            out.add("DATE_INVALID", path, "the start is after the end", "swap them")
            continue
        dtype = d.get("type")
        if not isinstance(dtype, str) or dtype.lower() not in vocab.LEGACY_DATE_TYPES:
            out.add(
                "DATE_TYPE_INVALID",
                f"{path}.type",
                f"{dtype!r} is not a date type of the legacy API",
                "use Collected, Valid or Withdrawn",
            )
    custom = md.get("custom")
    return rdm, custom, access


# -- the InvenioRDM stage (both APIs) ------------------------------------------------------
def _person_checks(entries: Any, path: str, out: _Out, *, contributor: bool) -> None:
    if not isinstance(entries, list):
        return
    for i, entry in enumerate(entries):
        here = f"{path}.{i}"
        if not isinstance(entry, _MAPPING) or not isinstance(entry.get("person_or_org"), Mapping):
            out.add("CREATOR_INVALID", here, "needs person_or_org", "give {person_or_org: …}")
            continue
        po = entry["person_or_org"]
        kind = po.get("type")
        if kind == "personal":
            if not isinstance(po.get("family_name"), str) or not po["family_name"].strip():
                out.add(
                    "CREATOR_NAME_MISSING",
                    f"{here}.person_or_org.family_name",
                    "family name must be filled",
                    "give the name",
                )
        elif kind == "organizational":
            if not isinstance(po.get("name"), str) or not po["name"].strip():
                out.add(
                    "CREATOR_NAME_MISSING",
                    f"{here}.person_or_org.name",
                    "name cannot be blank",
                    "give the organisation's name",
                )
        else:
            out.add(
                "CREATOR_TYPE_INVALID",
                f"{here}.person_or_org.type",
                f"type {kind!r} is not personal or organizational",
                "fix the type",
            )
        for j, ident in enumerate(po.get("identifiers") or []):
            if not isinstance(ident, _MAPPING):
                continue
            if ident.get("scheme") == "orcid" and not orcid_ok(str(ident.get("identifier", ""))):
                where = po.get("_path") or f"{here}.person_or_org.identifiers.{j}"
                out.add(
                    "ORCID_INVALID",
                    where,
                    f"{ident.get('identifier')!r} is not a valid ORCID iD (format or check digit)",
                    "copy the iD from the person's orcid.org page",
                )
        if contributor:
            role = entry.get("role")
            if not isinstance(role, _MAPPING):
                out.add(
                    "CONTRIBUTOR_ROLE_MISSING",
                    f"{here}.role",
                    "a contributor needs a role",
                    "give type (legacy) or role (native)",
                )
            elif role.get("id") not in vocab.ROLES:
                out.add(
                    "CONTRIBUTOR_ROLE_INVALID",
                    f"{here}.role",
                    f"{role.get('id')!r} is no role",
                    "use a Zenodo contributor role",
                )


def _rdm_stage(md: Mapping[str, Any], out: _Out) -> None:
    title = md.get("title")
    if title is None or (isinstance(title, str) and not title.strip()):
        out.add(
            "TITLE_MISSING", "metadata.title", "the record has no title", "check the title template"
        )
    elif isinstance(title, str) and len(title.strip()) < 3:
        out.add(
            "TITLE_TOO_SHORT",
            "metadata.title",
            f"the title {title!r} is shorter than 3 characters",
            "make the title template produce a longer title",
        )
    rtype = md.get("resource_type")
    if rtype is None:
        out.add(
            "RESOURCE_TYPE_MISSING",
            "metadata.resource_type",
            "the record has no type",
            "give upload_type (legacy) or resource_type (native)",
        )
    elif not isinstance(rtype, _MAPPING) or rtype.get("id") not in vocab.RESOURCE_TYPES:
        rid = rtype.get("id") if isinstance(rtype, _MAPPING) else rtype
        if not (out.api == "legacy" and rid is None):
            out.add(
                "RESOURCE_TYPE_INVALID",
                "metadata.resource_type",
                f"{rid!r} is no resource type",
                "use e.g. image-photo",
            )
    pub = md.get("publication_date")
    if pub is None:
        out.add("PUBLICATION_DATE_INVALID", "metadata.publication_date", "missing", "give a date")
    elif not is_edtf(pub):
        out.add(
            "PUBLICATION_DATE_INVALID",
            "metadata.publication_date",
            f"{pub!r} is not a date (YYYY-MM-DD)",
            "write YYYY-MM-DD",
        )
    creators = md.get("creators")
    if not creators:
        out.add(
            "CREATORS_MISSING",
            "metadata.creators",
            "the record has no creator",
            "keep the holding institution as creator, or list creators in the preset",
        )
    _person_checks(creators, "metadata.creators", out, contributor=False)
    _person_checks(md.get("contributors"), "metadata.contributors", out, contributor=True)
    desc = md.get("description")
    if desc is None or desc == "":
        out.add(
            "DESCRIPTION_MISSING",
            "metadata.description",
            "the record has no description",
            "add a description template",
        )
    elif isinstance(desc, str):
        removed = removed_html(desc)
        kept = sanitize_html(desc)[0] if removed else desc  # Zenodo checks what it keeps
        if len(kept.strip()) < 3:
            out.add(
                "DESCRIPTION_TOO_SHORT",
                "metadata.description",
                "shorter than 3 characters" + (" once Zenodo removes its HTML" if removed else ""),
                "write a longer description",
            )
        if removed:
            out.add(
                "DESCRIPTION_HTML_REMOVED",
                "metadata.description",
                "Zenodo's sanitiser removes " + ", ".join(dict.fromkeys(removed)),
                f"use only {', '.join(sorted(ALLOWED_HTML_TAGS))} (attributes: class; href on a)",
            )
    for i, r in enumerate(md.get("rights") or []):
        if not isinstance(r, _MAPPING):
            continue
        if ("id" in r) == ("title" in r):
            out.add(
                "RIGHTS_ID_AND_TITLE",
                f"metadata.rights.{i}",
                "give an id or a title, not both",
                "keep the id",
            )
        elif "id" in r and r["id"] not in vocab.licenses():
            out.add(
                "LICENSE_UNKNOWN",
                f"metadata.rights.{i}",
                f"{r['id']!r} is not a licence of Zenodo's vocabulary",
                "use an SPDX id such as cc-by-4.0 or cc0-1.0",
            )
    for i, lang in enumerate(md.get("languages") or []):
        lid = lang.get("id") if isinstance(lang, _MAPPING) else None
        if not isinstance(lid, str) or len(lid) != 3 or vocab.language_id(lid) != lid:
            fix = vocab.language_id(lid) if isinstance(lid, str) else None
            out.add(
                "LANGUAGE_UNKNOWN",
                f"metadata.languages.{i}",
                f"{lid!r} is not an ISO 639-3 language id",
                f"use {fix!r}" if fix else "use an ISO 639-3 code (eng, fra, lat, und)",
            )
    for i, d in enumerate(md.get("dates") or []):
        if not isinstance(d, _MAPPING):
            continue
        if out.api == "native":
            if not is_edtf(d.get("date")):
                out.add(
                    "DATE_INVALID",
                    f"metadata.dates.{i}.date",
                    f"{d.get('date')!r} is not an EDTF date or interval",
                    "write YYYY-MM-DD",
                )
            dtype = d.get("type")
            if not isinstance(dtype, _MAPPING) or dtype.get("id") not in vocab.DATE_TYPES:
                out.add(
                    "DATE_TYPE_INVALID",
                    f"metadata.dates.{i}.type",
                    f"{dtype!r} is no date type",
                    "use {'id': 'collected'}",
                )
    if out.api == "native":
        for key in ("identifiers", "related_identifiers"):
            for i, r in enumerate(md.get(key) or []):
                path = f"metadata.{key}.{i}"
                if not isinstance(r, _MAPPING) or not r.get("identifier") or not r.get("scheme"):
                    out.add(
                        "RELATED_ID_INCOMPLETE", path, "needs identifier and scheme", "give both"
                    )
                    continue
                if not matches_scheme(str(r["identifier"]), str(r["scheme"])):
                    out.add(
                        "RELATED_ID_SCHEME_MISMATCH",
                        f"{path}.identifier",
                        f"{r['identifier']!r} is not a valid {r['scheme']} identifier",
                        "correct the identifier or its scheme",
                    )
                if key == "related_identifiers":
                    rel = r.get("relation_type")
                    if not isinstance(rel, _MAPPING) or rel.get("id") not in vocab.RELATION_TYPES:
                        out.add(
                            "RELATION_INVALID",
                            f"{path}.relation_type",
                            f"{rel!r} is no relation",
                            "use e.g. {'id': 'isdescribedby'}",
                        )
                    rt = r.get("resource_type")
                    if rt is not None and (
                        not isinstance(rt, _MAPPING) or rt.get("id") not in vocab.RESOURCE_TYPES
                    ):
                        out.add(
                            "RELATED_RESOURCE_TYPE_INVALID",
                            f"{path}.resource_type",
                            f"{rt!r} is no resource type",
                            "use e.g. {'id': 'image-photo'}",
                        )
        for i, f in enumerate(md.get("funding") or []):
            funder = ((f or {}).get("funder") or {}).get("id") if isinstance(f, _MAPPING) else None
            if funder not in vocab.FUNDERS.values():
                out.add(
                    "FUNDER_UNKNOWN",
                    f"metadata.funding.{i}.funder",
                    f"{funder!r} is no funder Zenodo knows",
                    f"use a funder ROR: {', '.join(vocab.FUNDERS.values())}",
                )
        feats = (
            (md.get("locations") or {}).get("features", [])
            if isinstance(md.get("locations"), Mapping)
            else []
        )
        for i, feat in enumerate(feats):
            coords = (
                ((feat or {}).get("geometry") or {}).get("coordinates")
                if isinstance(feat, _MAPPING)
                else None
            )
            if coords is None:
                continue
            ok = (
                isinstance(coords, list)
                and len(coords) == 2
                and all(isinstance(c, int | float) and not isinstance(c, bool) for c in coords)
                and abs(coords[0]) <= 180
                and abs(coords[1]) <= 90
            )
            if not ok:
                out.add(
                    "LOCATION_COORDINATE_INVALID",
                    f"metadata.locations.features.{i}.geometry",
                    f"{coords!r} is not [lon, lat] in range",
                    "give [lon, lat] as numbers",
                )
    else:
        for i, f in enumerate(md.get("funding") or []):
            funder = f["funder"]["id"]
            if funder not in vocab.FUNDERS:
                out.add(
                    "FUNDER_UNKNOWN",
                    f"metadata.grants.{i}.id",
                    f"Zenodo knows no funder {funder!r}",
                    f"use a bare EC grant number or one of {', '.join(vocab.FUNDERS)}",
                )
    version = md.get("version")
    if isinstance(version, str) and len(version) > 191:
        out.add("VERSION_TOO_LONG", "metadata.version", "longer than 191 characters", "shorten it")


def _custom_checks(custom: Any, out: _Out, memo: dict[Any, Any] | None = None) -> None:
    """Check the custom fields; the same dict checked again (the other payload of the same
    record holds the very same object) replays the findings from ``memo``."""
    key = ("custom", id(custom))
    if memo is not None and key in memo and memo[key][0] is custom:
        for args in memo[key][1]:
            out.add(*args)
        return
    found: list[tuple[str, str, str, str]] = []
    _custom_findings(custom, lambda *args: found.append(args))
    if memo is not None:
        memo[key] = (custom, found)
    for args in found:
        out.add(*args)


def _clean_text(value: Any) -> bool:
    """A text value Zenodo stores as it is: a non-empty string without surrounding spaces."""
    return type(value) is str and value != "" and value == value.strip()


def _custom_findings(custom: Any, add: Any) -> None:
    if custom is None:
        custom = {}
    if not isinstance(custom, _MAPPING):
        add(
            "CUSTOM_FIELDS_INVALID",
            "custom_fields",
            "custom fields must be a mapping",
            'give {"dwc:term": [values]}',
        )
        return
    for term, values in custom.items():
        kind = CUSTOM_FIELD_TYPES.get(term)
        if kind is None:
            add(
                "CUSTOM_FIELD_UNKNOWN",
                f"custom_fields.{term}",
                f"Zenodo has no custom field {term!r}: its value would be lost",
                "leave the term to the JSON-LD sidecar (specpub does), or remove it",
            )
            continue
        if not isinstance(values, list) or not values:
            add(
                "CUSTOM_FIELD_NOT_LIST",
                f"custom_fields.{term}",
                "the value must be a non-empty list",
                f"write [{values!r}]",
            )
            continue
        text_kind = kind in TEXT_KINDS
        if text_kind and all(map(_clean_text, values)):
            continue  # the common case, checked at once
        for i, value in enumerate(values):
            if text_kind and _clean_text(value):
                continue
            if not valid_value(kind, value):
                add(
                    "CUSTOM_FIELD_VALUE_INVALID",
                    f"custom_fields.{term}.{i}",
                    f"{value!r} is not a {kind} value: Zenodo drops this item",
                    "put partial or ranged dates in dwc:verbatimEventDate; coordinates as numbers",
                )
            elif isinstance(value, str) and value != value.strip():
                add(
                    "CUSTOM_FIELD_TRIMMED",
                    f"custom_fields.{term}.{i}",
                    f"{value!r} is stored trimmed",
                    "trim it yourself to compare round trips",
                )
    catalog = custom.get("dwc:catalogNumber")
    if not (
        isinstance(catalog, list) and catalog and isinstance(catalog[0], str) and catalog[0].strip()
    ):
        add(
            "MARKER_MISSING",
            "custom_fields.dwc:catalogNumber",
            "the record carries no dwc:catalogNumber, the marker specpub finds it by after a "
            "lost answer",
            "build the payload with the records layer (it always sets the marker)",
        )


def check_payload(
    payload: Any,
    api: str,
    *,
    record: str = "",
    row: int | None = None,
    memo: dict[Any, Any] | None = None,
) -> list[Finding]:
    """Check one payload as Zenodo would, on ``api`` (``legacy`` or ``native``).

    Parameters
    ----------
    payload
        The legacy body ``{"metadata": {...}}`` or the native draft body.
    api
        Which API it is for.
    record, row
        Named in every finding.
    memo
        A dict shared by the checks of the two payloads of one record (work on the
        parts both hold, such as the custom fields, is done once).

    Examples
    --------
    >>> body = {"metadata": {"resource_type": {"id": "image-photo"}, "title": "Quercus (BR1)",
    ...         "publication_date": "2026-01-01", "description": "<p>x y z</p>",
    ...         "creators": [{"person_or_org": {"type": "organizational", "name": "Meise"}}],
    ...         "rights": [{"id": "cc-by-4.0"}], "languages": [{"id": "fre"}]},
    ...         "custom_fields": {"dwc:catalogNumber": ["BR1"], "dwc:eventDate": ["1890-05"]},
    ...         "access": {"record": "public", "files": "public"}, "files": {"enabled": True}}
    >>> [(f.code, f.field) for f in check_payload(body, "native")]  # doctest: +NORMALIZE_WHITESPACE
    [('LANGUAGE_UNKNOWN', 'metadata.languages.0'),
     ('CUSTOM_FIELD_VALUE_INVALID', 'custom_fields.dwc:eventDate.0')]
    """
    if api not in ("legacy", "native"):
        raise ValueError(f"api must be 'legacy' or 'native', not {api!r}")
    out = _Out(record, row, api, _LEGACY_PATHS if api == "legacy" else {})
    if not isinstance(payload, _MAPPING):
        out.add("BODY_INVALID", "", "the body must be a JSON object", 'send {"metadata": {…}}')
        return out.items
    if api == "legacy":
        for key in payload:
            if key not in _LEGACY_TOP:
                out.add(
                    "UNKNOWN_TOP_LEVEL_KEY",
                    key,
                    f"the legacy API refuses the key {key!r}",
                    'send only {"metadata": {…}}',
                )
        md = payload.get("metadata") or {}
        if not isinstance(md, _MAPPING):
            out.add(
                "BODY_INVALID", "metadata", "metadata must be an object", "give metadata as {…}"
            )
            return out.items
        rdm, custom, _ = _legacy_stage(md, out)
        _rdm_stage(rdm, out)
        _custom_checks(custom, out, memo)
        return out.items
    for key in payload:
        if key not in _NATIVE_TOP:
            out.add("UNKNOWN_FIELD", key, f"unknown key {key!r} is dropped", "remove it")
    md = payload.get("metadata") or {}
    if not isinstance(md, _MAPPING):
        out.add("BODY_INVALID", "metadata", "metadata must be an object", "give metadata as {…}")
        return out.items
    for key in md:
        if key not in _NATIVE_KEYS:
            out.add(
                "UNKNOWN_FIELD", f"metadata.{key}", f"unknown key {key!r} is dropped", "remove it"
            )
    access = payload.get("access") or {}
    if isinstance(access, _MAPPING):
        if access.get("record", "public") != "public":
            out.add(
                "ACCESS_INVALID",
                "access.record",
                "Zenodo publishes public records only: this one will be public",
                "use access.record = public (restrict the files instead)",
            )
        if access.get("files", "public") not in ("public", "restricted"):
            out.add(
                "ACCESS_INVALID", "access.files", "files are public or restricted", "use public"
            )
    files = payload.get("files")
    if isinstance(files, _MAPPING) and files.get("enabled") is False:
        out.add(
            "FILES_DISABLED",
            "files.enabled",
            "Zenodo publishes no metadata-only records: files stay enabled (error reported)",
            "send files.enabled = true",
        )
    _rdm_stage(md, out)
    _custom_checks(payload.get("custom_fields"), out, memo)
    return out.items


def check_files(
    files: Sequence[Any], api: str = "", *, record: str = "", row: int | None = None
) -> list[Finding]:
    """Check a record's files (objects with ``key``, ``size``, ``md5``) as Zenodo would.

    Examples
    --------
    >>> from types import SimpleNamespace as F
    >>> [f.code for f in check_files([F(key="a.tif", size=0, md5="0" * 32)], "legacy")]
    ['FILE_EMPTY']
    >>> [f.code for f in check_files([])]
    ['FILES_NONE']
    """
    out = _Out(record, row, api, {})
    if not files:
        out.add(
            "FILES_NONE",
            "files",
            "the record has no file; Zenodo publishes none without",
            "link the specimen's images",
        )
        return out.items
    if len(files) > MAX_FILES:
        out.add(
            "FILES_TOO_MANY",
            "files",
            f"{len(files)} files; Zenodo takes at most {MAX_FILES}",
            "split the record or leave derivatives out",
        )
    seen: set[str] = set()
    total = 0
    for f in files:
        key = f.key
        total += f.size
        where = f"files.{key}"
        if not key or _CONTROL.search(key):
            out.add("FILE_KEY_INVALID", where, f"{key!r} is not a usable file name", "rename it")
        if key in seen:
            out.add("FILE_KEY_DUPLICATE", where, f"two files are named {key!r}", "rename one")
        seen.add(key)
        if len(key) > MAX_KEY_LENGTH:
            out.add(
                "FILE_KEY_TOO_LONG",
                where,
                f"the name has {len(key)} characters (max 255)",
                "shorten it",
            )
        if "/" in key and api != "native":
            out.add(
                "FILE_KEY_SLASH",
                where,
                "the legacy bucket API cannot upload a key with '/'",
                "rename it, or use the native API",
            )
        if f.size <= 0:
            out.add("FILE_EMPTY", where, f"{key} is empty", "re-export the file or leave it out")
        elif f.size > MAX_FILE_SIZE:
            out.add(
                "FILE_TOO_LARGE",
                where,
                f"{key} has {f.size} bytes (max 50 GB)",
                "ask Zenodo for a larger quota first",
            )
        if not isinstance(f.md5, str) or not _MD5.fullmatch(f.md5):
            out.add("FILE_MD5_INVALID", where, f"{key} has no valid MD5", "scan the media again")
    if total > QUOTA:
        out.add(
            "QUOTA_EXCEEDED",
            "files",
            f"the files hold {total} bytes (quota 50 GB)",
            "split the record, or ask Zenodo for more quota (up to +150 GB)",
        )
    return out.items
