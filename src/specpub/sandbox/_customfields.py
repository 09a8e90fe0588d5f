"""The Darwin Core / Audubon Core custom-field whitelist of Zenodo, with value types.

Every field is a list. Unknown terms and values of the wrong type are dropped and reported.
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

from ._edtf import is_edtf

_KEYWORD = [
    "dwc:basisOfRecord",
    "dwc:catalogNumber",
    "dwc:class",
    "dwc:collectionCode",
    "dwc:country",
    "dwc:county",
    "dwc:family",
    "dwc:genus",
    "dwc:identifiedBy",
    "dwc:individualCount",
    "dwc:institutionCode",
    "dwc:kingdom",
    "dwc:lifeStage",
    "dwc:locality",
    "dwc:materialSampleID",
    "dwc:namePublishedInID",
    "dwc:namePublishedInYear",
    "dwc:order",
    "dwc:otherCatalogNumbers",
    "dwc:phylum",
    "dwc:preparations",
    "dwc:recordedBy",
    "dwc:scientificName",
    "dwc:scientificNameID",
    "dwc:sex",
    "dwc:specificEpithet",
    "dwc:stateProvince",
    "dwc:taxonID",
    "dwc:taxonRank",
    "dwc:taxonomicStatus",
    "dwc:typeStatus",
    "dwc:verbatimElevation",
    "dwc:verbatimEventDate",
    "dwc:associatedSequences",
    "dwc:eventID",
    "dwc:locationID",
    "dwc:countryCode",
    "dwc:geodeticDatum",
    "dwc:occurrenceID",
    "dwc:occurrenceStatus",
    "dwc:parentEventID",
    "dwc:datasetID",
    "gbif-dwc:identifiedByID",
    "gbif-dwc:recordedByID",
    "gbif:pcr_primer_forward",
    "gbif:pcr_primer_reverse",
    "dc:creator",
    "dc:rightsHolder",
    "openbiodiv:TaxonomicConceptLabel",
    "mixs:0000090",
    "mixs:0000044",
    "mixs:0000045",
    "mixs:0000012",
    "mixs:0000013",
    "mixs:0000014",
    "ac:associatedSpecimenReference",
    "ac:captureDevice",
    "ac:physicalSetting",
    "ac:resourceCreationTechnique",
    "ac:subjectOrientation",
    "ac:subjectPart",
]
_TEXT = [
    "dwc:scientificNameAuthorship",
    "dwc:sampleSizeValue",
    "dwc:sampleSizeUnit",
    "dwc:samplingProtocol",
    "dwc:habitat",
    "dwc:samplingEffort",
    "dwc:organismQuantityType",
    "gbif:DNA_sequence",
    "gbif:pcr_primer_name_forward",
    "gbif:pcr_primer_name_reverse",
    "mixs:0000050",
    "mixs:0000049",
    "mixs:0000058",
]

#: term → type: keyword, text, double, integer, date (full ISO), edtf, relationship.
FIELD_TYPES: dict[str, str] = {t: "keyword" for t in _KEYWORD}
FIELD_TYPES.update({t: "text" for t in _TEXT})
FIELD_TYPES.update(
    {
        "dwc:decimalLatitude": "double",
        "dwc:decimalLongitude": "double",
        "dwc:organismQuantity": "double",
        "gbif:ampliconSize": "integer",
        "dwc:eventDate": "date",
        "dwc:dateIdentified": "date",
        "ac:digitizationDate": "edtf",
        "obo:RO_0002453": "relationship",
    }
)
#: Fields the legacy layer stores internally (not user-facing Darwin Core terms).
INTERNAL_TYPES = {
    "legacy:subjects": "objects",
    "legacy:communities": "strings",
    "journal:journal": "object",
    "meeting:meeting": "object",
    "imprint:imprint": "object",
    "thesis:thesis": "object",
}


def _valid_internal(kind: str, value: Any) -> bool:
    if kind == "objects":
        return isinstance(value, list) and all(isinstance(v, dict) for v in value)
    if kind == "strings":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == "object":
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    return isinstance(value, str)


_INVALID = object()
_MESSAGES = {
    "date": "Not a valid date.",
    "double": "Not a valid number.",
    "integer": "Not a valid integer.",
    "edtf": "Please provide a valid date or interval.",
    "relationship": "Invalid input type.",
}


def _number(value: Any, kind: str) -> Any:
    """marshmallow's non-strict Float/Integer: numbers and numeric strings, not booleans."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return _INVALID
    try:
        number = float(value.strip()) if isinstance(value, str) else float(value)
    except ValueError:
        return _INVALID
    if not math.isfinite(number):
        return _INVALID
    if kind == "double":
        return number
    return int(number) if number.is_integer() else _INVALID


def _coerce(kind: str, value: Any) -> Any:
    """The stored form of one value of a ``kind`` field, or ``_INVALID``.

    Strings are trimmed (``SanitizedUnicode``); numbers may come as numeric strings.
    """
    if kind in ("double", "integer"):
        return _number(value, kind)
    if kind == "relationship":
        return (
            value if isinstance(value, dict) and set(value) <= {"subject", "object"} else _INVALID
        )
    if not isinstance(value, str):
        return _INVALID
    text = value.strip()
    if kind in ("keyword", "text"):
        return text if text else _INVALID
    if kind == "date":
        try:
            _dt.date.fromisoformat(text)
        except ValueError:
            return _INVALID
        return text if len(text) == 10 else _INVALID
    if kind == "edtf":
        return text if is_edtf(text, datetimes=True) else _INVALID
    return _INVALID


def clean_custom_fields(data: Any, path: str = "custom_fields") -> tuple[dict, list[dict]]:
    """Keep whitelisted terms and, of each list, its valid values (trimmed, coerced).

    Returns the cleaned dict and error entries ``{"field", "messages"}`` for what was dropped:
    an unknown term, a value that is not a list, or one invalid item of a list (the others
    are kept, as marshmallow keeps the valid part of a list).

    Examples
    --------
    >>> clean, errors = clean_custom_fields({"dwc:catalogNumber": [" BR1 "],
    ...     "dwc:decimalLatitude": ["50.93", "north"], "dwc:eventDate": ["1890"],
    ...     "dwc:foo": ["x"]})
    >>> clean
    {'dwc:catalogNumber': ['BR1'], 'dwc:decimalLatitude': [50.93]}
    >>> [e["field"].removeprefix("custom_fields.") for e in errors]
    ['dwc:decimalLatitude.1', 'dwc:eventDate.0', 'dwc:foo']
    """
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        return {}, [{"field": path, "messages": ["Not a valid mapping type."]}]
    clean: dict[str, Any] = {}
    errors: list[dict] = []
    for term, values in data.items():
        field = f"{path}.{term}"
        if term in INTERNAL_TYPES:
            if _valid_internal(INTERNAL_TYPES[term], values):
                clean[term] = values
            else:
                errors.append({"field": field, "messages": ["Invalid input type."]})
            continue
        kind = FIELD_TYPES.get(term)
        if kind is None:
            errors.append({"field": field, "messages": ["Unknown field."]})
            continue
        if not isinstance(values, list) or not values:
            errors.append({"field": field, "messages": ["Not a valid list."]})
            continue
        kept = []
        for i, value in enumerate(values):
            stored = _coerce(kind, value)
            if stored is _INVALID:
                message = _MESSAGES.get(kind, "Not a valid string.")
                errors.append({"field": f"{field}.{i}", "messages": [message]})
            else:
                kept.append(stored)
        if kept:
            clean[term] = kept
    return clean, errors


def keyword_values(custom_fields: dict) -> list[tuple[str, str]]:
    """``(field, value)`` pairs to index for search (``custom_fields.<term>`` → string)."""
    out = []
    for term, values in custom_fields.items():
        kind = FIELD_TYPES.get(term)
        if kind is None or kind == "relationship" or not isinstance(values, list):
            continue
        for v in values:
            if isinstance(v, str):
                out.append((f"custom_fields.{term}", v))
            elif isinstance(v, int | float) and not isinstance(v, bool):
                out.append((f"custom_fields.{term}", repr(v)))
    return out
