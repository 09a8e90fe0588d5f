"""The legacy deserializer: legacy deposition JSON → native draft input, as ZRDM loads it.

One loader per family of legacy fields; :func:`legacy_to_native` composes them. What the
legacy layer rejects is a 400 at create/update; what it does not expect crashes it: ZRDM's
loaders index ``place``, ``relation``, ``identifier``, a date's ``type`` and a grant's
``id`` without checking, so their absence is an uncaught ``KeyError`` → **500**
(``docs/zenodo-api.md`` §7). A client must not retry those forever.

Examples
--------
>>> d = legacy_to_native({"metadata": {"title": "T", "upload_type": "image",
...     "image_type": "photo", "creators": [{"name": "Doe, Jane"}], "foo": 1}},
...     today="2025-01-01", doi_prefix="10.5072")
>>> d["metadata"]["resource_type"], d["metadata"]["creators"][0]["person_or_org"]["given_name"]
({'id': 'image-photo'}, 'Jane')
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from typing import Any

from . import _identifiers as ids
from . import _vocabularies as vocab
from ._customfields import clean_custom_fields
from ._edtf import is_edtf
from ._errors import ApiError, field_error, internal_error, validation_error
from ._validation import clean_native, not_valid

#: The only top-level key the legacy deserializer loads. Everything else, including the
#: read-only keys of a GET response (``id``, ``links``…), is an unknown field → 400: a client
#: that echoes a whole deposition back would fail the same way on a strict server.
_TOP_KEYS = frozenset({"metadata"})
#: Legacy metadata keys with a meaning; others are dropped silently (``unknown=EXCLUDE``).
_KEYS = frozenset(
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
#: Custom fields the legacy layer fills itself (a user's ``custom`` cannot set them).
INTERNAL_FIELDS = frozenset(
    {
        "legacy:subjects",
        "legacy:communities",
        "journal:journal",
        "meeting:meeting",
        "imprint:imprint",
        "thesis:thesis",
    }
)

Loaded = tuple[dict[str, Any], dict[str, Any]]  # (metadata part, custom-fields part)


def _crash(what: str) -> ApiError:
    """ZRDM's uncaught ``KeyError`` on malformed input: a 500 with an ``error_id``."""
    return internal_error(f"KeyError: {what!r}")


def _text(md: dict, key: str) -> str | None:
    value = md.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise validation_error([field_error(f"metadata.{key}", "Not a valid string.")])
    return value


def _list_of(md: dict, key: str) -> list:
    value = md.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise validation_error([field_error(f"metadata.{key}", "Not a valid list.")])
    return value


# --------------------------------------------------------------------------- loaders


def _resource_type(md: dict) -> Loaded:
    upload_type = _text(md, "upload_type")
    if upload_type is None:
        return {}, {}
    if upload_type not in vocab.UPLOAD_TYPES:
        raise not_valid()
    subtypes = {"publication": vocab.PUBLICATION_TYPES, "image": vocab.IMAGE_TYPES}
    sub = _text(md, f"{upload_type}_type") if upload_type in subtypes else None
    if sub is not None and sub not in subtypes[upload_type]:
        raise not_valid()
    return {"resource_type": {"id": f"{upload_type}-{sub}" if sub else upload_type}}, {}


def _person(p: Any, path: str) -> dict:
    if not isinstance(p, dict):
        raise validation_error([field_error(path, "Invalid input type.")])
    name = p.get("name")
    if name is not None and not isinstance(name, str):
        raise validation_error([field_error(f"{path}.name", "Not a valid string.")])
    name = (name or "").strip()
    po: dict[str, Any] = {"type": "personal"}
    if name.count(",") == 1:
        family, given = (x.strip() for x in name.split(","))
        po["family_name"] = family
        if given:
            po["given_name"] = given
    else:
        po["family_name"] = name
    identifiers = [
        {"scheme": scheme, "identifier": ids.normalize(p[scheme], scheme)}
        for scheme in ("orcid", "gnd")
        if isinstance(p.get(scheme), str) and p[scheme].strip()
    ]
    if identifiers:
        po["identifiers"] = identifiers  # an ORCID's check digit is checked at publish
    entry: dict[str, Any] = {"person_or_org": po}
    aff = p.get("affiliation")
    if isinstance(aff, str) and aff.strip():
        entry["affiliations"] = [{"name": aff.strip()}]
    return entry


def _people(md: dict) -> Loaded:
    out: dict[str, Any] = {}
    creators = [
        _person(p, f"metadata.creators.{i}") for i, p in enumerate(_list_of(md, "creators"))
    ]
    if creators:
        out["creators"] = creators
    contributors = []
    for i, p in enumerate(_list_of(md, "thesis_supervisors")):
        contributors.append(
            {**_person(p, f"metadata.thesis_supervisors.{i}"), "role": {"id": "supervisor"}}
        )
    for i, p in enumerate(_list_of(md, "contributors")):
        entry = _person(p, f"metadata.contributors.{i}")
        ctype = p.get("type")
        if ctype is not None:
            if not isinstance(ctype, str) or ctype.lower() not in vocab.ROLES:
                raise not_valid()
            entry["role"] = {"id": ctype.lower()}
        contributors.append(entry)
    if contributors:
        out["contributors"] = contributors
    return out, {}


def _access(md: dict) -> dict[str, Any]:
    access_right = _text(md, "access_right") or "open"
    if access_right not in vocab.ACCESS_RIGHTS:
        raise validation_error([field_error("metadata.access_right", "Unknown access type.")])
    access: dict[str, Any] = {"record": "public", "files": "public"}
    if access_right in ("restricted", "closed"):
        access["files"] = "restricted"
    elif access_right == "embargoed":
        until = _text(md, "embargo_date")
        if not until:
            raise validation_error([field_error("metadata.access_right", "Unknown access type.")])
        if not is_edtf(until) or len(until) != 10:
            raise validation_error([field_error("metadata.embargo_date", "Not a valid date.")])
        access["files"] = "restricted"
        access["embargo"] = {"active": True, "until": until, "reason": None}
    return access


def _rights(md: dict) -> Loaded:
    """The licence; a default only for open and embargoed records (none when restricted)."""
    lic = md.get("license")
    if lic is None:
        if md.get("access_right") in ("restricted", "closed"):
            return {}, {}
        return {
            "rights": [{"id": "cc0-1.0" if md.get("upload_type") == "dataset" else "cc-by-4.0"}]
        }, {}
    if isinstance(lic, dict) and isinstance(lic.get("id"), str):
        lic = lic["id"]
    if not isinstance(lic, str):
        message = (
            f"Invalid license value provided (expected string, or object with 'id' key): {lic}"
        )
        raise validation_error([field_error("metadata.license", message)])
    lic_id = vocab.LICENSE_ALIASES.get(lic.lower(), lic.lower())
    if lic_id not in vocab.LICENSES:
        raise validation_error(
            [field_error("metadata.license", f"Invalid license provided: {lic}")]
        )
    return {"rights": [{"id": lic_id}]}, {}


def _doi(md: dict, doi_prefix: str) -> dict[str, Any]:
    doi = _text(md, "doi")
    if not doi:
        return {}
    if doi.startswith("10.5281/") and doi_prefix != "10.5281":
        message = (
            f"Wrong DOI 10.5281 prefix provided, it should be {doi_prefix} as defined in the "
            "rest client"
        )
        raise validation_error([field_error("metadata.doi", message)])
    provider = "datacite" if doi.startswith(f"{doi_prefix}/") else "external"
    return {"doi": {"identifier": doi, "provider": provider}}


def _texts(md: dict) -> Loaded:
    """Keywords, legacy subjects, notes, method and references."""
    out: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    keywords = _list_of(md, "keywords")
    if any(not isinstance(k, str) for k in keywords):
        raise validation_error([field_error("metadata.keywords", "Not a valid string.")])
    if keywords:
        out["subjects"] = [{"subject": k} for k in keywords]
    if subjects := _list_of(md, "subjects"):
        custom["legacy:subjects"] = subjects
    descriptions = [
        {"description": value, "type": {"id": type_id}}
        for key, type_id in (("notes", "notes"), ("method", "methods"))
        if (value := _text(md, key))
    ]
    if descriptions:
        out["additional_descriptions"] = descriptions
    if references := _list_of(md, "references"):
        out["references"] = [{"reference": str(r)} for r in references]
    return out, custom


def _identifier(value: Any, path: str) -> dict[str, str]:
    """Detect and normalise (any ``scheme`` sent is ignored), as ``IdentifierSchema`` does."""
    if not isinstance(value, str) or not value.strip():
        raise validation_error(
            [field_error(f"{path}.identifier", "Missing data for required field.")]
        )
    schemes = [s for s in ids.detect(value) if s in ids.RELATED_SCHEMES]
    if not schemes:
        raise validation_error(
            [field_error(f"{path}.scheme", "No valid scheme recognized for identifier.")]
        )
    return {"identifier": ids.normalize(value, schemes[0]), "scheme": schemes[0]}


def _related(md: dict) -> Loaded:
    related, alternate = [], []
    for i, r in enumerate(_list_of(md, "related_identifiers")):
        path = f"metadata.related_identifiers.{i}"
        if not isinstance(r, dict):
            raise validation_error([field_error(path, "Invalid input type.")])
        if "relation" not in r:
            raise _crash("relation")
        if "identifier" not in r:
            raise _crash("identifier")
        relation = r["relation"]
        if not isinstance(relation, str):
            raise validation_error([field_error(f"{path}.relation", "Not a valid string.")])
        entry: dict[str, Any] = _identifier(r["identifier"], path)
        if relation == "isAlternateIdentifier":
            alternate.append(entry)
            continue
        relation = "isOriginalFormOf" if relation == "isOrignialFormOf" else relation
        if relation.lower() not in vocab.RELATION_TYPES:
            raise not_valid()
        entry["relation_type"] = {"id": relation.lower()}
        rtype = r.get("resource_type")
        if rtype:
            if rtype not in vocab.RESOURCE_TYPES:
                raise not_valid()
            entry["resource_type"] = {"id": rtype}
        related.append(entry)
    out: dict[str, Any] = {}
    if related:
        out["related_identifiers"] = related
    if alternate:
        out["identifiers"] = alternate
    return out, {}


def _communities(md: dict) -> Loaded:
    communities = md.get("communities")
    if communities is None:
        return {}, {}
    if not isinstance(communities, list) or any(
        not isinstance(c, dict) or not isinstance(c.get("identifier"), str) for c in communities
    ):
        message = "Invalid communities: expected a list of objects with 'identifier'."
        raise validation_error([field_error("metadata.communities", message)])
    slugs = [c["identifier"] for c in communities]
    return {}, ({"legacy:communities": slugs} if slugs else {})


def _grants(md: dict, awards: Collection[str]) -> Loaded:
    """``[{"id": "777483"}]`` (EC, FP7 style) or ``[{"id": "<funder DOI>::<number>"}]``."""
    funding = []
    for g in _list_of(md, "grants"):
        if not isinstance(g, dict) or "id" not in g:
            raise _crash("id")
        gid = g["id"]
        if not isinstance(gid, str) or not gid:
            raise not_valid()
        funder_doi, _, number = gid.rpartition("::")
        funder_doi = funder_doi or vocab.EC_FUNDER_DOI
        funder = vocab.FUNDERS.get(funder_doi)
        if funder is None or f"{funder_doi}::{number}" not in awards:
            raise not_valid()
        funding.append({"funder": {"id": funder.ror}, "award": {"id": f"{funder.ror}::{number}"}})
    return ({"funding": funding} if funding else {}), {}


def _language(md: dict) -> Loaded:
    language = _text(md, "language")
    if not language:
        return {}, {}
    if len(language) not in (2, 3):
        message = "Language must be either ISO-639-1 or 639-2 compatible."
        raise validation_error([field_error("metadata.language", message)])
    lang_id = vocab.language_id(language)
    if lang_id is None:
        raise not_valid()
    return {"languages": [{"id": lang_id}]}, {}


def _locations(md: dict) -> Loaded:
    features = []
    for i, loc in enumerate(_list_of(md, "locations")):
        if not isinstance(loc, dict):
            raise validation_error([field_error(f"metadata.locations.{i}", "Invalid input type.")])
        if "place" not in loc:
            raise _crash("place")
        lat, lon = loc.get("lat"), loc.get("lon")
        for name, value, limit in (("lat", lat, 90), ("lon", lon, 180)):
            if value is not None and (
                not isinstance(value, int | float) or isinstance(value, bool) or abs(value) > limit
            ):
                raise validation_error(
                    [field_error(f"metadata.locations.{i}.{name}", "Not a valid coordinate.")]
                )
        feature: dict[str, Any] = {"place": loc["place"]}
        if lat and lon:  # as ZRDM: 0 drops the point
            feature["geometry"] = {"type": "Point", "coordinates": [lon, lat]}
        if isinstance(loc.get("description"), str) and loc["description"]:
            feature["description"] = loc["description"]
        features.append(feature)
    return ({"locations": {"features": features}} if features else {}), {}


def _dates(md: dict) -> Loaded:
    dates = []
    for d in _list_of(md, "dates"):
        if not isinstance(d, dict):
            raise validation_error([field_error("metadata.dates", "Invalid date provided.")])
        start, end = d.get("start"), d.get("end")
        if not (start or end):
            raise validation_error([field_error("metadata.dates", "Invalid date provided.")])
        for value in (start, end):
            if value and (not isinstance(value, str) or not is_edtf(value)):
                raise validation_error([field_error("metadata.dates", "Invalid date provided.")])
        if "type" not in d:
            raise _crash("type")
        date = (
            start
            if start and start == end
            else (f"{start}/{end}" if start and end else start or end)
        )
        dtype = d["type"]
        if not isinstance(dtype, str) or dtype.lower() not in vocab.LEGACY_DATE_TYPES:
            raise not_valid()
        entry: dict[str, Any] = {"date": date, "type": {"id": dtype.lower()}}
        if isinstance(d.get("description"), str) and d["description"]:
            entry["description"] = d["description"]
        dates.append(entry)
    return ({"dates": dates} if dates else {}), {}


def _publication_parts(md: dict) -> Loaded:
    """Journal, meeting, imprint/part-of and thesis fields → their custom fields."""
    custom: dict[str, Any] = {}
    for prefix, cf, names in (
        ("journal_", "journal:journal", ("title", "volume", "issue", "pages")),
        (
            "conference_",
            "meeting:meeting",
            ("title", "acronym", "dates", "place", "url", "session", "session_part"),
        ),
        ("imprint_", "imprint:imprint", ("isbn", "place")),
        ("partof_", "imprint:imprint", ("title", "pages")),
        ("thesis_", "thesis:thesis", ("university",)),
    ):
        obj = {n: md[prefix + n] for n in names if isinstance(md.get(prefix + n), str)}
        if obj:
            custom.setdefault(cf, {}).update(obj)
    return {}, custom


def _custom(md: dict) -> Loaded:
    """``custom`` (Darwin Core …): cleaned as RDM does, with errors silently dropped."""
    user_custom = md.get("custom")
    if not isinstance(user_custom, dict):
        return {}, {}
    cleaned, _ = clean_custom_fields(
        {k: v for k, v in user_custom.items() if k not in INTERNAL_FIELDS}
    )
    return {}, cleaned


def legacy_to_native(
    body: Any, *, today: str, doi_prefix: str, awards: Collection[str] | None = None
) -> dict:
    """The legacy deserializer: legacy deposition JSON → native draft input.

    Raises :class:`ApiError`: 400 for what the legacy layer rejects, 500 for the malformed
    input ZRDM does not expect (see the module docstring). Unknown metadata keys are
    dropped silently. ``awards`` is the award vocabulary (default: the built-in sample).
    """
    if not isinstance(body, dict):
        raise ApiError(400, "Invalid JSON body: expected an object.")
    unknown = sorted(k for k in body if k not in _TOP_KEYS)
    if unknown:
        raise validation_error([field_error(k, "Unknown field.") for k in unknown])
    md = body.get("metadata") or {}
    if not isinstance(md, dict):
        raise validation_error([field_error("metadata", "Invalid input type.")])
    md = {k: v for k, v in md.items() if k in _KEYS}
    metadata: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for part, extra in (
        _resource_type(md),
        (
            {k: v for k in ("title", "description", "version") if (v := _text(md, k)) is not None},
            {},
        ),
        (
            {
                "publication_date": _text(md, "publication_date") or today,
                "publisher": _text(md, "imprint_publisher") or "Zenodo",
            },
            {},
        ),
        _people(md),
        _rights(md),
        _texts(md),
        _related(md),
        _communities(md),
        _grants(md, vocab.AWARDS if awards is None else awards),
        _language(md),
        _locations(md),
        _dates(md),
        _publication_parts(md),
        _custom(md),
    ):
        metadata.update(part)
        custom.update(extra)
    return {
        "metadata": metadata,
        "custom_fields": custom,
        "access": _access(md),
        "files": {"enabled": True},
        "pids": _doi(md, doi_prefix),
    }


def legacy_clean(native: dict, *, awards: Collection[str] | None = None) -> dict:
    """Apply the RDM save rules silently (the legacy API never reports them)."""
    cleaned, _ = clean_native(copy.deepcopy(native), awards=awards)
    cleaned["custom_fields"] = native["custom_fields"]
    cleaned["access"] = native["access"]
    return cleaned
