"""Zenodo's Darwin Core / Audubon Core custom fields and their types.

Zenodo (InvenioRDM) accepts only a whitelist of ``dwc:``/``ac:``/``dc:``/
``gbif-dwc:`` terms as ``custom_fields`` (legacy API: ``metadata.custom``),
every value a JSON *list*; anything else is dropped, silently on the legacy
API. This module knows the whitelist, which table term goes to which field
(``rightsHolder`` is Dublin Core: ``dc:rightsHolder``; ``recordedByID`` is
GBIF's ``gbif-dwc:recordedByID``) and converts values to the field's type:
numbers for coordinates, full ISO dates for ``dwc:eventDate`` and
``dwc:dateIdentified``, EDTF for ``ac:digitizationDate``. Source:
``docs/zenodo-api.md`` §1.7 and §7.

Examples
--------
>>> fields, left_out = to_custom_fields({"catalogNumber": "BR0000013", "decimalLatitude": "50.93",
...                                      "eventDate": "1890-05", "recordNumber": "12"})
>>> fields
{'dwc:catalogNumber': ['BR0000013'], 'dwc:decimalLatitude': [50.93]}
>>> left_out
['eventDate', 'recordNumber']
>>> field_name("rightsHolder"), field_name("captureDevice"), field_name("recordedByID")
('dc:rightsHolder', 'ac:captureDevice', 'gbif-dwc:recordedByID')
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any

__all__ = [
    "CUSTOM_FIELD_TYPES",
    "TEXT_KINDS",
    "field_name",
    "to_custom_fields",
    "type_value",
    "valid_value",
]

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

#: Custom field name → type: ``keyword``, ``text``, ``double``, ``integer``, ``date``
#: (full ISO ``YYYY-MM-DD``), ``edtf`` (EDTF date, interval or date-time) or
#: ``relationship`` (``obo:RO_0002453``, objects with subject/object lists).
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
    "openbiodiv:TaxonomicConceptLabel": "keyword",
    **{f"gbif:{t}": "keyword" for t in ("pcr_primer_forward", "pcr_primer_reverse")},
    **{f"gbif:{t}": "text" for t in ("DNA_sequence", "pcr_primer_name_forward")},
    "gbif:pcr_primer_name_reverse": "text",
    "gbif:ampliconSize": "integer",
    **{f"mixs:{t}": "keyword" for t in ("0000090", "0000044", "0000045", "0000012")},
    **{f"mixs:{t}": "keyword" for t in ("0000013", "0000014")},
    **{f"mixs:{t}": "text" for t in ("0000050", "0000049", "0000058")},
    "obo:RO_0002453": "relationship",
}

# Terms of other vocabularies than Darwin Core, by their short name.
_PREFIX = {
    "rightsHolder": "dc",
    "creator": "dc",
    "identifiedByID": "gbif-dwc",
    "recordedByID": "gbif-dwc",
    **{t: "ac" for t in (*_KEYWORD_AC, "digitizationDate")},
}

_EDTF = re.compile(
    r"^-?\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?)?)?"
    r"(/(-?\d{4}(-\d{2}(-\d{2})?)?|\.\.)?)?$"
)


def field_name(term: str) -> str:
    """The custom field name a table term goes to (prefixed terms are kept).

    Examples
    --------
    >>> field_name("family"), field_name("dwc:family"), field_name("ac:subjectPart")
    ('dwc:family', 'dwc:family', 'ac:subjectPart')
    """
    if ":" in term:
        return term
    return f"{_PREFIX.get(term, 'dwc')}:{term}"


def _edtf_ok(value: str) -> bool:
    if not _EDTF.match(value):
        return False
    for part in value.split("/"):
        if part in ("", ".."):
            continue
        day = part.split("T")[0]
        bits = day.lstrip("-").split("-")
        try:
            month = int(bits[1]) if len(bits) > 1 else 1
            dom = int(bits[2]) if len(bits) > 2 else 1
            date(int(bits[0]) or 1, month, dom)
        except ValueError:
            return False
    return True


#: The kinds of field whose values are text kept as it is once stripped
#: (:func:`type_value` returns the stripped text; :func:`valid_value` wants it non-empty).
TEXT_KINDS = frozenset({"keyword", "text"})


@lru_cache(maxsize=262144)
def type_value(kind: str, value: str) -> Any:
    """``value`` (stripped text) as the type of a field of ``kind``; ``ValueError`` if it
    cannot be.

    Examples
    --------
    >>> type_value("double", " 50.93 "), type_value("date", "1890-05-01")
    (50.93, '1890-05-01')
    >>> type_value("date", "1890-05")
    Traceback (most recent call last):
    ...
    ValueError: '1890-05' is not a full date (YYYY-MM-DD)
    """
    text = value.strip()
    if not text:
        raise ValueError("empty value")
    if kind == "double":
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
        if not math.isfinite(number):
            raise ValueError(f"{text!r} is not a finite number")
        return number
    if kind == "integer":
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ValueError(f"{text!r} is not a whole number")
        return int(text)
    if kind == "date":
        try:
            if len(text) != 10:
                raise ValueError
            date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a full date (YYYY-MM-DD)") from None
        return text
    if kind == "edtf" and not _edtf_ok(text):
        raise ValueError(f"{text!r} is not an EDTF date, interval or date-time")
    return text


def valid_value(kind: str, value: Any) -> bool:
    """Whether ``value`` (as sent in JSON) is accepted by a field of ``kind``.

    Zenodo trims strings and reads doubles non-strictly (``"50.93"`` is a
    number), as ``docs/zenodo-api.md`` §7 records.

    Examples
    --------
    >>> valid_value("double", "50.93"), valid_value("double", True), valid_value("keyword", " ")
    (True, False, False)
    """
    if kind in TEXT_KINDS:
        return isinstance(value, str) and bool(value.strip())
    if isinstance(value, bool):
        return False
    if kind == "double":
        if isinstance(value, int | float):
            return math.isfinite(float(value))
        if isinstance(value, str):
            try:
                return math.isfinite(float(value))
            except ValueError:
                return False
        return False
    if kind == "integer":
        return isinstance(value, int)
    if kind == "relationship":
        return isinstance(value, Mapping) and set(value) <= {"subject", "object"}
    if not isinstance(value, str):
        return False
    try:
        type_value(kind, value)
    except ValueError:
        return False
    return True


def to_custom_fields(values: Mapping[str, Any]) -> tuple[dict[str, list[Any]], list[str]]:
    """Convert Darwin Core values to Zenodo custom fields.

    Parameters
    ----------
    values
        Term → value. Terms may be bare (``catalogNumber``, see
        :func:`field_name`) or prefixed (``ac:captureDevice``). Empty values are skipped.

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
        name = field_name(term)
        kind = CUSTOM_FIELD_TYPES.get(name)
        if kind is None:
            left_out.append(term)
            continue
        try:
            fields[name] = [type_value(kind, value)]
        except ValueError:
            left_out.append(term)
    return fields, left_out
