"""The two validation stages: the legacy deserializer (strict, at create/update) and the
RDM rules (reported at save, enforced at publish), plus vocabulary checks.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from . import _identifiers as ids
from . import _vocabularies as vocab
from ._customfields import clean_custom_fields
from ._edtf import is_edtf
from ._errors import ApiError, field_error
from ._sanitize import sanitize_html

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


def not_valid() -> ApiError:
    """The 400 "Not a valid value." of an unknown vocabulary id (no field, as on Zenodo)."""
    return ApiError(400, NOT_VALID)


# --------------------------------------------------------------------------- native


def clean_native(body: Any, *, awards: Collection[str] | None = None) -> tuple[dict, list[dict]]:
    """Lenient native draft load: wrong-typed parts dropped and reported; bad vocabulary → 400.

    Returns ``({"metadata", "custom_fields", "access", "files", "pids"}, errors)``.
    ``awards`` is the award vocabulary (default: the built-in sample).
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
    check_vocabularies(metadata, vocab.AWARDS if awards is None else awards)
    _detect_schemes(metadata.get("related_identifiers", []))
    _detect_schemes(metadata.get("identifiers", []))
    _sanitize_descriptions(metadata)
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


def _detect_schemes(entries: list[dict]) -> None:
    """Fill in (detect) missing schemes and normalise identifiers, as ``IdentifierSchema``.

    What stays wrong is reported by :func:`rdm_errors`.
    """
    for r in entries:
        ident = r.get("identifier")
        if not isinstance(ident, str) or not ident.strip():
            continue  # reported by rdm_errors
        scheme = r.get("scheme")
        if not scheme:
            detected = [s for s in ids.detect(ident) if s in ids.RELATED_SCHEMES]
            if not detected:
                continue  # reported by rdm_errors
            scheme = r["scheme"] = detected[0]
        if ids.is_valid(ident, scheme):
            r["identifier"] = ids.normalize(ident, scheme)


def _sanitize_descriptions(metadata: dict) -> None:
    """Clean the description HTML on load, as InvenioRDM's ``SanitizedHTML`` fields do."""
    if isinstance(metadata.get("description"), str):
        metadata["description"] = sanitize_html(metadata["description"])
    for extra in metadata.get("additional_descriptions", []):
        if isinstance(extra.get("description"), str):
            extra["description"] = sanitize_html(extra["description"])


def check_vocabularies(metadata: dict, awards: Collection[str]) -> None:
    """Raise the 400 "Not a valid value." for an unknown vocabulary id (awards included)."""

    def ids(key: str) -> list[Any]:
        return [x.get("id") for x in metadata.get(key, []) if isinstance(x, dict) and "id" in x]

    def check(value: Any, allowed: Any) -> None:
        if isinstance(value, dict) and value.get("id") not in allowed:
            raise not_valid()

    check(metadata.get("resource_type"), vocab.RESOURCE_TYPES)
    for lic in ids("rights"):
        if lic not in vocab.LICENSES:
            raise not_valid()
    for lang in ids("languages"):
        if not isinstance(lang, str) or len(lang) != 3 or vocab.language_id(lang) != lang:
            raise not_valid()
    for rel in metadata.get("related_identifiers", []):
        check(rel.get("relation_type"), vocab.RELATION_TYPES)
        check(rel.get("resource_type"), vocab.RESOURCE_TYPES)
    for contrib in metadata.get("contributors", []):
        check(contrib.get("role"), vocab.ROLES)
    for date in metadata.get("dates", []):
        check(date.get("type"), vocab.DATE_TYPES)
    for funding in metadata.get("funding", []):
        award = (funding.get("award") or {}).get("id")
        if award is not None and vocab.award_key(award) not in awards:
            raise not_valid()


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
    for j, ident in enumerate(po.get("identifiers") or []):
        if ident.get("scheme") == "orcid" and not ids.is_orcid(ident.get("identifier", "")):
            errors.append(
                field_error(
                    f"{path}.person_or_org.identifiers.{j}.identifier", "Invalid ORCID identifier."
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
        path = f"metadata.related_identifiers.{i}"
        if not r.get("relation_type"):
            errors.append(field_error(f"{path}.relation_type", REQUIRED))
        errors.extend(_identifier_errors(r, path))
    for i, r in enumerate(metadata.get("identifiers", [])):
        errors.extend(_identifier_errors(r, f"metadata.identifiers.{i}"))
    version = metadata.get("version")
    if version is not None and len(version) > 191:
        errors.append(field_error("metadata.version", "Longer than maximum length 191."))
    return errors


def _identifier_errors(r: dict, path: str) -> list[dict]:
    """``IdentifierSchema``'s rules (related and alternate identifiers alike)."""
    ident, scheme = r.get("identifier"), r.get("scheme")
    if not ident:
        return [field_error(f"{path}.identifier", REQUIRED)]
    if not scheme:
        return [field_error(f"{path}.scheme", "No valid scheme recognized for identifier.")]
    if scheme not in ids.RELATED_SCHEMES:
        return [field_error(f"{path}.scheme", "Invalid scheme.")]
    if not ids.is_valid(ident, scheme):
        return [field_error(f"{path}.identifier", f"Invalid {scheme} identifier.")]
    return []


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
