"""The two validation stages: the legacy deserializer (strict, at create/update) and the
RDM rules (reported at save, enforced at publish), plus vocabulary checks.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from . import _vocabularies as vocab
from ._customfields import clean_custom_fields
from ._edtf import is_edtf
from ._errors import ApiError, field_error, validation_error

NOT_VALID = "Not a valid value."
REQUIRED = "Missing data for required field."

_S = "str"
_ID = {"id": _S}
_PERSON = {
    "person_or_org": {
        "type": _S,
        "name": _S,
        "given_name": _S,
        "family_name": _S,
        "identifiers": [{"scheme": _S, "identifier": _S}],
    },
    "affiliations": [{"id": _S, "name": _S}],
    "role": _ID,
}
#: The shape of native metadata: wrong-typed parts are dropped at save and reported.
METADATA_SPEC: dict[str, Any] = {
    "title": _S,
    "publication_date": _S,
    "description": _S,
    "publisher": _S,
    "version": _S,
    "resource_type": _ID,
    "creators": [_PERSON],
    "contributors": [_PERSON],
    "rights": [{"id": _S, "title": "any", "description": "any", "link": _S}],
    "subjects": [{"id": _S, "subject": _S, "scheme": _S}],
    "languages": [_ID],
    "dates": [{"date": _S, "type": _ID, "description": _S}],
    "related_identifiers": [
        {"identifier": _S, "scheme": _S, "relation_type": _ID, "resource_type": _ID}
    ],
    "identifiers": [{"identifier": _S, "scheme": _S}],
    "additional_descriptions": [{"description": _S, "type": _ID, "lang": _ID}],
    "additional_titles": [{"title": _S, "type": _ID, "lang": _ID}],
    "funding": [
        {"funder": {"id": _S, "name": _S}, "award": {"id": _S, "title": "any", "number": _S}}
    ],
    "references": [{"reference": _S, "scheme": _S, "identifier": _S}],
    "locations": {
        "features": [
            {
                "geometry": {"type": _S, "coordinates": ["num"]},
                "place": _S,
                "description": _S,
                "identifiers": [{"scheme": _S, "identifier": _S}],
            }
        ]
    },
}
_ACCESS_SPEC = {
    "record": _S,
    "files": _S,
    "embargo": {"active": "bool", "until": _S, "reason": "any"},
    "status": _S,
}
_PIDS_SPEC = {"doi": {"identifier": _S, "provider": _S, "client": _S}}
_DROP = object()


def sanitize(value: Any, spec: Any, path: str, errors: list[dict]) -> Any:
    """Keep what matches ``spec`` (types only); report and drop the rest.

    Examples
    --------
    >>> errors = []
    >>> sanitize({"title": 5, "creators": [{"person_or_org": "x"}]}, METADATA_SPEC,
    ...          "metadata", errors)
    {'creators': []}
    >>> [e["field"] for e in errors]
    ['metadata.title', 'metadata.creators.0.person_or_org']
    """
    if spec == "any":
        return value
    if spec == _S:
        if isinstance(value, str):
            return value
        errors.append(field_error(path, "Not a valid string."))
        return _DROP
    if spec == "num":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        errors.append(field_error(path, "Not a valid number."))
        return _DROP
    if spec == "bool":
        if isinstance(value, bool):
            return value
        errors.append(field_error(path, "Not a valid boolean."))
        return _DROP
    if isinstance(spec, list):
        if not isinstance(value, list):
            errors.append(field_error(path, "Not a valid list."))
            return _DROP
        items = []
        for i, item in enumerate(value):
            n_errors = len(errors)
            clean = sanitize(item, spec[0], f"{path}.{i}", errors)
            if clean is _DROP:
                continue
            person = isinstance(spec[0], dict) and "person_or_org" in spec[0]
            if person and "person_or_org" not in clean and len(errors) > n_errors:
                continue  # a person without a valid person_or_org is dropped
            items.append(clean)
        return items
    if not isinstance(value, dict):
        errors.append(field_error(path, "Invalid input type."))
        return _DROP
    out = {}
    for key, item in value.items():
        if key not in spec:
            errors.append(field_error(f"{path}.{key}", "Unknown field."))
            continue
        clean = sanitize(item, spec[key], f"{path}.{key}", errors)
        if clean is not _DROP:
            out[key] = clean
    return out


def _vocab_error() -> ApiError:
    return ApiError(400, NOT_VALID)


# --------------------------------------------------------------------------- native


def clean_native(body: Any) -> tuple[dict, list[dict]]:
    """Lenient native draft load: wrong-typed parts dropped and reported; bad vocabulary → 400.

    Returns ``({"metadata", "custom_fields", "access", "files", "pids"}, errors)``.
    """
    if not isinstance(body, dict):
        raise ApiError(400, "Invalid JSON body: expected an object.")
    errors: list[dict] = []
    metadata_in = body.get("metadata", {})
    if metadata_in is None:
        metadata_in = {}
    metadata = sanitize(metadata_in, METADATA_SPEC, "metadata", errors)
    if metadata is _DROP:
        metadata = {}
    check_vocabularies(metadata)
    custom, cf_errors = clean_custom_fields(body.get("custom_fields"))
    errors.extend(cf_errors)
    access = body.get("access")
    access = {} if access is None else sanitize(access, _ACCESS_SPEC, "access", errors)
    if access is _DROP:
        access = {}
    access = {
        "record": access.get("record", "public"),
        "files": access.get("files", "public"),
        **({"embargo": access["embargo"]} if access.get("embargo") else {}),
    }
    if access["record"] != "public":
        errors.append(field_error("access.record", "Restricted records are not allowed."))
        access["record"] = "public"
    if access["files"] not in ("public", "restricted"):
        errors.append(field_error("access.files", "Must be one of: public, restricted."))
        access["files"] = "public"
    files = body.get("files")
    if isinstance(files, dict) and files.get("enabled") is False:
        errors.append(
            field_error("files.enabled", "You don't have permissions to manage files options.")
        )
    pids = body.get("pids")
    pids = {} if pids is None else sanitize(pids, _PIDS_SPEC, "pids", errors)
    if pids is _DROP or "identifier" not in pids.get("doi", {"identifier": ""}):
        pids = {}
    errors.extend(rdm_errors(metadata, required=False))
    return (
        {
            "metadata": metadata,
            "custom_fields": custom,
            "access": access,
            "files": {"enabled": True},
            "pids": pids,
        },
        errors,
    )


def check_vocabularies(metadata: dict) -> None:
    """Raise the 400 "Not a valid value." for an unknown vocabulary id."""

    def ids(key: str) -> list[Any]:
        return [x.get("id") for x in metadata.get(key, []) if isinstance(x, dict) and "id" in x]

    def check(value: Any, allowed: Any) -> None:
        if isinstance(value, dict) and value.get("id") not in allowed:
            raise _vocab_error()

    check(metadata.get("resource_type"), vocab.RESOURCE_TYPES)
    for lic in ids("rights"):
        if lic not in vocab.LICENSES:
            raise _vocab_error()
    for lang in ids("languages"):
        if not isinstance(lang, str) or len(lang) != 3 or vocab.language_id(lang) != lang:
            raise _vocab_error()
    for rel in metadata.get("related_identifiers", []):
        check(rel.get("relation_type"), vocab.RELATION_TYPES)
        check(rel.get("resource_type"), vocab.RESOURCE_TYPES)
    for contrib in metadata.get("contributors", []):
        check(contrib.get("role"), vocab.ROLES)
    for date in metadata.get("dates", []):
        check(date.get("type"), vocab.DATE_TYPES)


def _person_errors(entry: dict, path: str, *, role: bool) -> list[dict]:
    errors = []
    po = entry.get("person_or_org")
    if not isinstance(po, dict):
        return [field_error(f"{path}.person_or_org", REQUIRED)]
    kind = po.get("type")
    if kind == "personal":
        if not isinstance(po.get("family_name"), str) or not po["family_name"].strip():
            errors.append(
                field_error(f"{path}.person_or_org.family_name", "Family name must be filled.")
            )
    elif kind == "organizational":
        if not isinstance(po.get("name"), str) or not po["name"].strip():
            errors.append(field_error(f"{path}.person_or_org.name", "Name cannot be blank."))
    else:
        errors.append(
            field_error(
                f"{path}.person_or_org.type",
                "Invalid value. Choose one of ['organizational', 'personal'].",
            )
        )
    if role and not isinstance(entry.get("role"), dict):
        errors.append(field_error(f"{path}.role", REQUIRED))
    return errors


def rdm_errors(metadata: dict, *, required: bool = True) -> list[dict]:
    """The RDM metadata rules (title ≥ 3, creators ≥ 1, resource type, EDTF date, …)."""
    errors: list[dict] = []
    title = metadata.get("title")
    if title is None:
        if required:
            errors.append(field_error("metadata.title", REQUIRED))
    elif len(title.strip()) < 3:
        errors.append(field_error("metadata.title", "Shorter than minimum length 3."))
    if "resource_type" not in metadata:
        if required:
            errors.append(field_error("metadata.resource_type", REQUIRED))
    elif not isinstance(metadata["resource_type"].get("id"), str):
        errors.append(field_error("metadata.resource_type.id", REQUIRED))
    date = metadata.get("publication_date")
    if date is None:
        if required:
            errors.append(field_error("metadata.publication_date", REQUIRED))
    elif not is_edtf(date):
        errors.append(
            field_error("metadata.publication_date", "Please provide a valid date or interval.")
        )
    creators = metadata.get("creators")
    if not creators:
        if required or creators is not None:
            errors.append(field_error("metadata.creators", REQUIRED))
    else:
        for i, c in enumerate(creators):
            errors.extend(_person_errors(c, f"metadata.creators.{i}", role=False))
    for i, c in enumerate(metadata.get("contributors", [])):
        errors.extend(_person_errors(c, f"metadata.contributors.{i}", role=True))
    desc = metadata.get("description")
    if desc is not None and len(desc.strip()) < 3:
        errors.append(field_error("metadata.description", "Shorter than minimum length 3."))
    for i, r in enumerate(metadata.get("rights", [])):
        if ("id" in r) == ("title" in r):
            errors.append(
                field_error(f"metadata.rights.{i}", "An id or a title must be given, not both.")
            )
    for i, d in enumerate(metadata.get("dates", [])):
        if not isinstance(d.get("date"), str) or not is_edtf(d["date"]):
            errors.append(
                field_error(f"metadata.dates.{i}.date", "Please provide a valid date or interval.")
            )
        if not isinstance(d.get("type"), dict):
            errors.append(field_error(f"metadata.dates.{i}.type", REQUIRED))
    for i, r in enumerate(metadata.get("related_identifiers", [])):
        for part in ("identifier", "scheme", "relation_type"):
            if not r.get(part):
                errors.append(field_error(f"metadata.related_identifiers.{i}.{part}", REQUIRED))
    version = metadata.get("version")
    if version is not None and len(version) > 191:
        errors.append(field_error("metadata.version", "Longer than maximum length 191."))
    return errors


def publish_errors(draft: dict, files: list[tuple[int, str]]) -> list[dict]:
    """Everything that blocks a publish: RDM rules plus the file checks.

    ``files`` holds ``(size, status)`` pairs.
    """
    errors = rdm_errors(draft.get("metadata", {}), required=True)
    if not files:
        errors.append(
            field_error(
                "files.enabled",
                "Missing uploaded files. To disable files for this record please mark it as "
                "metadata-only.",
            )
        )
    elif any(status != "completed" for _, status in files):
        errors.append(
            field_error(
                "files", "One or more files have not completed their transfer, please wait."
            )
        )
    return errors


# --------------------------------------------------------------------------- legacy

#: The only top-level key the legacy deserializer loads. Everything else, including the
#: read-only keys of a GET response (``id``, ``links``…), is an unknown field → 400: a client
#: that echoes a whole deposition back would fail the same way on a strict server.
_LEGACY_TOP_KEYS = frozenset({"metadata"})
_SCHEMES = (
    ("doi", re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?10\.\d{4,9}/\S+$", re.I)),
    ("lsid", re.compile(r"^urn:lsid:\S+$", re.I)),
    ("urn", re.compile(r"^urn:[a-z0-9][a-z0-9-]{0,31}:\S+$", re.I)),
    ("ark", re.compile(r"^ark:/?\d+/\S+$", re.I)),
    ("url", re.compile(r"^(?:https?|ftp)://[^\s/$.?#][^\s]*$", re.I)),
    ("orcid", re.compile(r"^(?:https?://orcid\.org/)?\d{4}-\d{4}-\d{4}-\d{3}[\dX]$", re.I)),
    ("arxiv", re.compile(r"^(?:arxiv:)?\d{4}\.\d{4,5}(?:v\d+)?$", re.I)),
    ("isbn", re.compile(r"^(?:97[89][- ]?)?\d{1,5}[- ]?\d+[- ]?\d+[- ]?[\dX]$", re.I)),
    ("issn", re.compile(r"^\d{4}-\d{3}[\dX]$", re.I)),
    ("handle", re.compile(r"^\d+(?:\.\d+)*/\S+$")),
    ("pmid", re.compile(r"^(?:pmid:)?\d{1,9}$", re.I)),
)
_FUNDERS = {
    "10.13039/501100000780": "00k4n6c32",
    "10.13039/100000001": "021nxhr62",
    "10.13039/501100001711": "00yjd3n13",
    "10.13039/501100000925": "011kf5r70",
    "10.13039/100000002": "01cwqze88",
    "10.13039/501100000038": "01gavpb45",
    "10.13039/501100000024": "01h531d29",
}
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


def detect_scheme(identifier: str) -> str | None:
    """The identifier scheme, or ``None`` if undetectable.

    Examples
    --------
    >>> detect_scheme("10.5281/zenodo.1"), detect_scheme("https://x.org/a"), detect_scheme("x")
    ('doi', 'url', None)
    """
    for name, pattern in _SCHEMES:
        if pattern.match(identifier.strip()):
            return name
    return None


def _legacy_person(p: Any, path: str) -> dict:
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
    identifiers = []
    for scheme in ("orcid", "gnd"):
        value = p.get(scheme)
        if isinstance(value, str) and value.strip():
            value = value.strip().removeprefix("https://orcid.org/")
            identifiers.append({"scheme": scheme, "identifier": value})
    if identifiers:
        po["identifiers"] = identifiers
    entry: dict[str, Any] = {"person_or_org": po}
    aff = p.get("affiliation")
    if isinstance(aff, str) and aff.strip():
        entry["affiliations"] = [{"name": aff.strip()}]
    return entry


def _list_of(md: dict, key: str) -> list:
    value = md.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise validation_error([field_error(f"metadata.{key}", "Not a valid list.")])
    return value


def legacy_to_native(body: Any, *, today: str, doi_prefix: str) -> dict:
    """The legacy deserializer: legacy deposition JSON → native draft input.

    Raises :class:`ApiError` (400) for what the legacy layer rejects. Unknown metadata keys are
    dropped silently.

    Examples
    --------
    >>> d = legacy_to_native({"metadata": {"title": "T", "upload_type": "image",
    ...     "image_type": "photo", "creators": [{"name": "Doe, Jane"}], "foo": 1}},
    ...     today="2025-01-01", doi_prefix="10.5072")
    >>> d["metadata"]["resource_type"], d["metadata"]["creators"][0]["person_or_org"]["given_name"]
    ({'id': 'image-photo'}, 'Jane')
    """
    if not isinstance(body, dict):
        raise ApiError(400, "Invalid JSON body: expected an object.")
    unknown = [k for k in body if k not in _LEGACY_TOP_KEYS]
    if unknown:
        raise validation_error([field_error(k, "Unknown field.") for k in sorted(unknown)])
    md = body.get("metadata", {})
    if md is None:
        md = {}
    if not isinstance(md, dict):
        raise validation_error([field_error("metadata", "Invalid input type.")])
    md = {k: v for k, v in md.items() if k in _LEGACY_KEYS}
    out: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    pids: dict[str, Any] = {}

    def text(key: str) -> str | None:
        value = md.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise validation_error([field_error(f"metadata.{key}", "Not a valid string.")])
        return value

    # resource type
    upload_type = text("upload_type")
    if upload_type is not None:
        if upload_type not in vocab.UPLOAD_TYPES:
            raise _vocab_error()
        rid = upload_type
        sub = None
        if upload_type == "publication":
            sub = text("publication_type")
            if sub is not None and sub not in vocab.PUBLICATION_TYPES:
                raise _vocab_error()
        elif upload_type == "image":
            sub = text("image_type")
            if sub is not None and sub not in vocab.IMAGE_TYPES:
                raise _vocab_error()
        if sub:
            rid = f"{upload_type}-{sub}"
        out["resource_type"] = {"id": rid}
    for key in ("title", "description", "version"):
        if (value := text(key)) is not None:
            out[key] = value
    out["publication_date"] = text("publication_date") or today
    out["publisher"] = text("imprint_publisher") or "Zenodo"
    out["creators"] = [
        _legacy_person(p, f"metadata.creators.{i}") for i, p in enumerate(_list_of(md, "creators"))
    ]
    if not out["creators"]:
        del out["creators"]
    contributors = []
    for i, p in enumerate(_list_of(md, "contributors")):
        entry = _legacy_person(p, f"metadata.contributors.{i}")
        ctype = p.get("type")
        if ctype is not None:
            if not isinstance(ctype, str) or ctype.lower() not in vocab.ROLES:
                raise _vocab_error()
            entry["role"] = {"id": ctype.lower()}
        contributors.append(entry)
    for i, p in enumerate(_list_of(md, "thesis_supervisors")):
        entry = _legacy_person(p, f"metadata.thesis_supervisors.{i}")
        entry["role"] = {"id": "supervisor"}
        contributors.append(entry)
    if contributors:
        out["contributors"] = contributors
    # access and license
    access_right = text("access_right") or "open"
    if access_right not in vocab.ACCESS_RIGHTS:
        raise validation_error([field_error("metadata.access_right", "Unknown access type.")])
    access: dict[str, Any] = {"record": "public", "files": "public"}
    if access_right in ("restricted", "closed"):
        access["files"] = "restricted"
    elif access_right == "embargoed":
        until = text("embargo_date")
        if not until:
            raise validation_error([field_error("metadata.access_right", "Unknown access type.")])
        if not is_edtf(until) or len(until) != 10:
            raise validation_error([field_error("metadata.embargo_date", "Not a valid date.")])
        access["files"] = "restricted"
        access["embargo"] = {"active": True, "until": until, "reason": None}
    lic = md.get("license")
    if lic is None:
        lic_id = "cc0-1.0" if upload_type == "dataset" else "cc-by-4.0"
    else:
        if isinstance(lic, dict) and isinstance(lic.get("id"), str):
            lic = lic["id"]
        if not isinstance(lic, str):
            raise validation_error(
                [
                    field_error(
                        "metadata.license",
                        "Invalid license value provided (expected string, or object with "
                        f"'id' key): {lic}",
                    )
                ]
            )
        lic_id = vocab.LICENSE_ALIASES.get(lic.lower(), lic.lower())
        if lic_id not in vocab.LICENSES:
            raise validation_error(
                [field_error("metadata.license", f"Invalid license provided: {lic}")]
            )
    out["rights"] = [{"id": lic_id}]
    # doi
    doi = text("doi")
    if doi:
        if doi.startswith("10.5281/") and doi_prefix != "10.5281":
            raise validation_error(
                [
                    field_error(
                        "metadata.doi",
                        f"Wrong DOI 10.5281 prefix provided, it should be {doi_prefix} as "
                        "defined in the rest client",
                    )
                ]
            )
        provider = "datacite" if doi.startswith(f"{doi_prefix}/") else "external"
        pids["doi"] = {"identifier": doi, "provider": provider}
    # keywords, subjects, notes, method, references
    keywords = _list_of(md, "keywords")
    if any(not isinstance(k, str) for k in keywords):
        raise validation_error([field_error("metadata.keywords", "Not a valid string.")])
    if keywords:
        out["subjects"] = [{"subject": k} for k in keywords]
    subjects = _list_of(md, "subjects")
    if subjects:
        custom["legacy:subjects"] = subjects
    descriptions = []
    for key, type_id in (("notes", "notes"), ("method", "methods")):
        if value := text(key):
            descriptions.append({"description": value, "type": {"id": type_id}})
    if descriptions:
        out["additional_descriptions"] = descriptions
    references = _list_of(md, "references")
    if references:
        out["references"] = [{"reference": str(r)} for r in references]
    # related identifiers
    related, alternate = [], []
    raw_related = md.get("related_identifiers")
    if raw_related is not None and not isinstance(raw_related, list):
        raise validation_error([field_error("metadata.related_identifiers", "Not a valid list.")])
    for i, r in enumerate(raw_related or []):
        path = f"metadata.related_identifiers.{i}"
        if not isinstance(r, dict):
            raise validation_error(
                [
                    field_error("metadata.related_identifiers", "Invalid input."),
                    field_error(path, "Invalid input type."),
                ]
            )
        ident, relation = r.get("identifier"), r.get("relation")
        errs = []
        if not isinstance(ident, str) or not ident.strip():
            errs.append(field_error(f"{path}.identifier", REQUIRED))
        if not isinstance(relation, str) or not relation:
            errs.append(field_error(f"{path}.relation", REQUIRED))
        if errs:
            raise validation_error(
                [field_error("metadata.related_identifiers", "Invalid input."), *errs]
            )
        assert isinstance(ident, str)
        assert isinstance(relation, str)
        scheme = r.get("scheme") if isinstance(r.get("scheme"), str) else detect_scheme(ident)
        if scheme is None:
            raise validation_error(
                [
                    field_error(
                        f"{path}.identifier",
                        f"Invalid identifier or unable to detect scheme: {ident}",
                    )
                ]
            )
        relation = relation.replace("isOrignialFormOf", "isOriginalFormOf")
        if relation.lower() == "isalternateidentifier":
            alternate.append({"identifier": ident.strip(), "scheme": scheme})
            continue
        if relation.lower() not in vocab.RELATION_TYPES:
            raise _vocab_error()
        entry: dict[str, Any] = {
            "identifier": ident.strip(),
            "scheme": scheme,
            "relation_type": {"id": relation.lower()},
        }
        rtype = r.get("resource_type")
        if isinstance(rtype, str) and rtype:
            if rtype not in vocab.RESOURCE_TYPES:
                raise _vocab_error()
            entry["resource_type"] = {"id": rtype}
        related.append(entry)
    if related:
        out["related_identifiers"] = related
    if alternate:
        out["identifiers"] = alternate
    # communities
    communities = md.get("communities")
    if communities is not None:
        if not isinstance(communities, list) or any(
            not isinstance(c, dict) or not isinstance(c.get("identifier"), str) for c in communities
        ):
            raise validation_error(
                [
                    field_error(
                        "metadata.communities",
                        "Invalid communities: expected a list of objects with 'identifier'.",
                    )
                ]
            )
        if communities:
            custom["legacy:communities"] = [c["identifier"] for c in communities]
    # grants
    funding = []
    for i, g in enumerate(_list_of(md, "grants")):
        gid = g.get("id") if isinstance(g, dict) else None
        if not isinstance(gid, str) or not gid:
            raise validation_error([field_error(f"metadata.grants.{i}.id", REQUIRED)])
        funder_doi, _, number = gid.rpartition("::")
        funder_doi = funder_doi or "10.13039/501100000780"
        funder = _FUNDERS.get(funder_doi)
        if funder is None:
            raise _vocab_error()
        funding.append({"funder": {"id": funder}, "award": {"id": f"{funder}::{number}"}})
    if funding:
        out["funding"] = funding
    # language
    language = text("language")
    if language:
        if len(language) not in (2, 3):
            raise validation_error(
                [
                    field_error(
                        "metadata.language",
                        "Language must be either ISO-639-1 or 639-2 compatible.",
                    )
                ]
            )
        lang_id = vocab.language_id(language)
        if lang_id is None:
            raise _vocab_error()
        out["languages"] = [{"id": lang_id}]
    # locations
    features = []
    for i, loc in enumerate(_list_of(md, "locations")):
        if not isinstance(loc, dict):
            raise validation_error([field_error(f"metadata.locations.{i}", "Invalid input type.")])
        lat, lon = loc.get("lat"), loc.get("lon")
        for name, value, limit in (("lat", lat, 90), ("lon", lon, 180)):
            if value is not None and (
                not isinstance(value, int | float) or isinstance(value, bool) or abs(value) > limit
            ):
                raise validation_error(
                    [field_error(f"metadata.locations.{i}.{name}", "Not a valid coordinate.")]
                )
        feature: dict[str, Any] = {}
        if isinstance(loc.get("place"), str):
            feature["place"] = loc["place"]
        if isinstance(loc.get("description"), str):
            feature["description"] = loc["description"]
        if lat and lon:  # as ZRDM: 0 drops the point
            feature["geometry"] = {"type": "Point", "coordinates": [lon, lat]}
        features.append(feature)
    if features:
        out["locations"] = {"features": features}
    # dates
    dates = []
    for i, d in enumerate(_list_of(md, "dates")):
        if not isinstance(d, dict) or not (d.get("start") or d.get("end")):
            raise validation_error([field_error("metadata.dates", "Invalid date provided.")])
        start, end = d.get("start"), d.get("end")
        for value in (start, end):
            if value is not None and (not isinstance(value, str) or not is_edtf(value)):
                raise validation_error([field_error("metadata.dates", "Invalid date provided.")])
        date = f"{start}/{end}" if start and end else (start or end)
        dtype = d.get("type")
        if not isinstance(dtype, str) or dtype.lower() not in vocab.LEGACY_DATE_TYPES:
            raise _vocab_error()
        entry = {"date": date, "type": {"id": dtype.lower()}}
        if isinstance(d.get("description"), str):
            entry["description"] = d["description"]
        dates.append(entry)
        del i
    if dates:
        out["dates"] = dates
    # journal / meeting / imprint / thesis
    for prefix, cf, names in (
        ("journal_", "journal:journal", ("title", "volume", "issue", "pages")),
        (
            "conference_",
            "meeting:meeting",
            ("title", "acronym", "dates", "place", "url", "session", "session_part"),
        ),
    ):
        obj = {n: md[prefix + n] for n in names if isinstance(md.get(prefix + n), str)}
        if obj:
            custom[cf] = obj
    imprint = {
        n: md[f"imprint_{n}"] for n in ("isbn", "place") if isinstance(md.get(f"imprint_{n}"), str)
    }
    imprint.update(
        {n: md[f"partof_{n}"] for n in ("title", "pages") if isinstance(md.get(f"partof_{n}"), str)}
    )
    if imprint:
        custom["imprint:imprint"] = imprint
    if university := text("thesis_university"):
        custom["thesis:university"] = university
    # custom (Darwin Core …): silently cleaned
    user_custom = md.get("custom")
    if isinstance(user_custom, dict):
        user_custom = {k: v for k, v in user_custom.items() if k not in _INTERNAL_PREFIXES}
        cleaned, _ = clean_custom_fields(user_custom)
        custom.update(cleaned)
    return {
        "metadata": out,
        "custom_fields": custom,
        "access": access,
        "files": {"enabled": True},
        "pids": pids,
    }


_INTERNAL_PREFIXES = frozenset(
    {
        "legacy:subjects",
        "legacy:communities",
        "journal:journal",
        "meeting:meeting",
        "imprint:imprint",
        "thesis:university",
    }
)


def legacy_clean(native: dict) -> dict:
    """Apply the RDM save rules silently (the legacy API never reports them)."""
    cleaned, _ = clean_native(copy.deepcopy(native))
    cleaned["custom_fields"] = native["custom_fields"]
    cleaned["access"] = native["access"]
    return cleaned
