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
    "thesis:university": "string",
}


def _valid_internal(kind: str, value: Any) -> bool:
    if kind == "objects":
        return isinstance(value, list) and all(isinstance(v, dict) for v in value)
    if kind == "strings":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == "object":
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    return isinstance(value, str)


def _valid_value(kind: str, value: Any) -> bool:
    if kind in ("keyword", "text"):
        return isinstance(value, str) and value != ""
    if kind == "double":
        return (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(float(value))
        )
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "date":
        if not isinstance(value, str) or len(value) != 10:
            return False
        try:
            _dt.date.fromisoformat(value)
        except ValueError:
            return False
        return True
    if kind == "edtf":
        return isinstance(value, str) and is_edtf(value)
    if kind == "relationship":
        return isinstance(value, dict) and set(value) <= {"subject", "object"}
    return False


def clean_custom_fields(data: Any, path: str = "custom_fields") -> tuple[dict, list[dict]]:
    """Keep whitelisted terms whose values all have the right type.

    Returns the cleaned dict and error entries ``{"field", "messages"}`` for what was dropped.

    Examples
    --------
    >>> clean, errors = clean_custom_fields(
    ...     {"dwc:catalogNumber": ["BR1"], "dwc:eventDate": ["1890"], "dwc:foo": ["x"]})
    >>> clean
    {'dwc:catalogNumber': ['BR1']}
    >>> sorted(e["field"] for e in errors)
    ['custom_fields.dwc:eventDate.0', 'custom_fields.dwc:foo']
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
        bad = [i for i, v in enumerate(values) if not _valid_value(kind, v)]
        if bad:
            msg = {
                "date": "Not a valid date.",
                "double": "Not a valid number.",
                "integer": "Not a valid integer.",
                "edtf": "Please provide a valid date or interval.",
            }.get(kind, "Not a valid string.")
            errors.append({"field": f"{field}.{bad[0]}", "messages": [msg]})
            continue
        clean[term] = values
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
