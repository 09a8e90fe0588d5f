"""Zenodo's Darwin Core / Audubon Core custom fields and their types.

Zenodo (InvenioRDM) accepts only a whitelist of ``dwc:``/``ac:``/``dc:``
terms as ``custom_fields`` (legacy API: ``metadata.custom``), every value a
JSON *list*; anything else is dropped, silently on the legacy API. This
module knows the whitelist and converts specimen values to the right types
(numbers for coordinates, full ISO dates for ``dwc:eventDate``), so nothing
is lost on the way without a finding. Source: ``docs/zenodo-api.md`` §1.7.

Examples
--------
>>> fields, left_out = to_custom_fields({"catalogNumber": "BR0000013", "decimalLatitude": "50.93",
...                                      "eventDate": "1890-05", "recordNumber": "12"})
>>> fields
{'dwc:catalogNumber': ['BR0000013'], 'dwc:decimalLatitude': [50.93]}
>>> left_out
['eventDate', 'recordNumber']
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["CUSTOM_FIELD_TYPES", "to_custom_fields"]

_KEYWORD_DWC = [
    "basisOfRecord",
    "catalogNumber",
    "class",
    "collectionCode",
    "country",
    "county",
    "family",
    "genus",
    "identifiedBy",
    "individualCount",
    "institutionCode",
    "kingdom",
    "lifeStage",
    "locality",
    "materialSampleID",
    "namePublishedInID",
    "namePublishedInYear",
    "order",
    "otherCatalogNumbers",
    "phylum",
    "preparations",
    "recordedBy",
    "scientificName",
    "scientificNameID",
    "sex",
    "specificEpithet",
    "stateProvince",
    "taxonID",
    "taxonRank",
    "taxonomicStatus",
    "typeStatus",
    "verbatimElevation",
    "verbatimEventDate",
    "associatedSequences",
    "eventID",
    "locationID",
    "countryCode",
    "geodeticDatum",
    "occurrenceID",
    "occurrenceStatus",
    "parentEventID",
    "datasetID",
]
_TEXT_DWC = [
    "scientificNameAuthorship",
    "sampleSizeValue",
    "sampleSizeUnit",
    "samplingProtocol",
    "habitat",
    "samplingEffort",
    "organismQuantityType",
]
_KEYWORD_AC = [
    "associatedSpecimenReference",
    "captureDevice",
    "physicalSetting",
    "resourceCreationTechnique",
    "subjectOrientation",
    "subjectPart",
]

#: Custom field name → type: ``keyword``, ``text``, ``double``, ``date`` (full ISO) or ``edtf``.
CUSTOM_FIELD_TYPES: dict[str, str] = {
    **{f"dwc:{t}": "keyword" for t in _KEYWORD_DWC},
    **{f"dwc:{t}": "text" for t in _TEXT_DWC},
    "dwc:decimalLatitude": "double",
    "dwc:decimalLongitude": "double",
    "dwc:organismQuantity": "double",
    "dwc:eventDate": "date",
    "dwc:dateIdentified": "date",
    **{f"ac:{t}": "keyword" for t in _KEYWORD_AC},
    "ac:digitizationDate": "edtf",
    "gbif-dwc:identifiedByID": "keyword",
    "gbif-dwc:recordedByID": "keyword",
    "dc:creator": "keyword",
    "dc:rightsHolder": "keyword",
}

_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EDTF = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?(/\d{4}(-\d{2}(-\d{2})?)?)?$")


def _field_name(term: str) -> str:
    if ":" in term:
        return term
    return f"dwc:{term}"


def _convert(kind: str, value: str) -> Any:
    if kind == "double":
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(value)
        return number
    if kind == "date" and not _FULL_DATE.match(value):
        raise ValueError(value)
    if kind == "edtf" and not _EDTF.match(value):
        raise ValueError(value)
    return value


def to_custom_fields(values: Mapping[str, Any]) -> tuple[dict[str, list[Any]], list[str]]:
    """Convert Darwin Core values to Zenodo custom fields.

    Parameters
    ----------
    values
        Term → value. Terms may be bare (``catalogNumber``, taken as ``dwc:``)
        or prefixed (``ac:captureDevice``). Empty values are skipped.

    Returns
    -------
    fields, left_out
        The custom fields (each value a one-element list, typed), and the
        terms that Zenodo would drop: not in the whitelist, or of the wrong
        type (e.g. a partial ``eventDate``; put it in ``verbatimEventDate``).

    Examples
    --------
    >>> to_custom_fields({"ac:captureDevice": "Phase One", "eventDate": "1890-05-01"})[0]
    {'ac:captureDevice': ['Phase One'], 'dwc:eventDate': ['1890-05-01']}
    """
    fields: dict[str, list[Any]] = {}
    left_out: list[str] = []
    for term, raw in values.items():
        if raw is None or (isinstance(raw, float) and math.isnan(raw)):
            continue
        value = str(raw).strip()
        if not value:
            continue
        name = _field_name(term)
        kind = CUSTOM_FIELD_TYPES.get(name)
        if kind is None:
            left_out.append(term)
            continue
        try:
            fields[name] = [_convert(kind, value)]
        except ValueError:
            left_out.append(term)
    return fields, left_out
