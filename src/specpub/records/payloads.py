"""Darwin Core specimen → Zenodo deposit payloads (legacy and native).

This is the first cut of the records stage: one specimen row (Darwin Core
terms → values) becomes the legacy deposit JSON (``{"metadata": {...}}``)
and the equivalent InvenioRDM draft body, following the ICEDIG pilot's
conventions (``docs/darwin-core.md`` §5.5): title from the scientific name
and catalogue number, ``image-photo``, the institution as creator, the
CETAF ``occurrenceID`` as alternate identifier, family and type status as
keywords, and every whitelisted Darwin Core term as a typed custom field.

The idempotency marker (``dwc:catalogNumber`` + ``dwc:institutionCode``) is
always among the custom fields, so a record whose create response was lost
can be found by search.

Examples
--------
>>> row = {"catalogNumber": "BR0000013", "institutionCode": "BR",
...        "scientificName": "Quercus robur L.", "family": "Fagaceae",
...        "eventDate": "1890-05-01/1890-05-03", "decimalLatitude": "50.93",
...        "decimalLongitude": "4.33", "locality": "Meise"}
>>> p = build_payloads(row, PayloadOptions(institution_name="Meise Botanic Garden",
...                                        publication_date="2026-01-01"))
>>> p.legacy["metadata"]["title"]
'Quercus robur L. (BR0000013)'
>>> p.native["custom_fields"]["dwc:catalogNumber"]
['BR0000013']
>>> p.left_out
['eventDate']
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from specpub.errors import InputError
from specpub.records.custom_fields import to_custom_fields

__all__ = ["PayloadOptions", "Payloads", "build_payloads"]

_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTERVAL = re.compile(r"^(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})$")
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)


@dataclass(frozen=True)
class PayloadOptions:
    """Collection-wide choices that are not in the specimen table.

    Parameters
    ----------
    institution_name
        Creator of every record (the pilot used the institution). Falls back
        to the row's ``institutionCode``.
    license
        Licence id (``cc-by-4.0``, ``cc0-1.0``, ...).
    publication_date
        ``YYYY-MM-DD``; default today.
    communities
        Community slugs to submit every record to.
    keywords
        Extra keywords for every record (e.g. a batch tag).
    publisher
        ``imprint_publisher`` / ``publisher``; default the repository's.
    """

    institution_name: str | None = None
    license: str = "cc-by-4.0"
    publication_date: str | None = None
    communities: Sequence[str] = ()
    keywords: Sequence[str] = ()
    publisher: str | None = None


@dataclass(frozen=True)
class Payloads:
    """The two payload shapes for one specimen, plus what could not be carried.

    ``left_out`` lists the Darwin Core terms of the row that Zenodo's custom
    fields cannot hold (not whitelisted, or a partial date for ``eventDate``);
    they are still in the description or the verbatim fields where possible.
    """

    legacy: dict[str, Any]
    native: dict[str, Any]
    left_out: list[str] = field(default_factory=list)


def _clean(row: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in row.items():
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        text = str(value).strip()
        if text and not str(key).startswith("_"):
            out[str(key)] = text
    return out


def _coordinates(values: Mapping[str, str]) -> tuple[float, float] | None:
    try:
        lat = float(values["decimalLatitude"])
        lon = float(values["decimalLongitude"])
    except (KeyError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return lat, lon


def build_payloads(row: Mapping[str, Any], options: PayloadOptions | None = None) -> Payloads:
    """Build the legacy and native deposit payloads for one specimen.

    Parameters
    ----------
    row
        Darwin Core term → value (bare term names such as ``catalogNumber``;
        columns starting with ``_`` are ignored). ``catalogNumber`` is required.
    options
        Collection-wide choices (:class:`PayloadOptions`).

    Returns
    -------
    Payloads

    Raises
    ------
    InputError
        If the row has no ``catalogNumber`` (it is the record's marker).

    Examples
    --------
    >>> p = build_payloads({"catalogNumber": "X1", "institutionCode": "DEMO"},
    ...                    PayloadOptions(publication_date="2026-01-01"))
    >>> p.legacy["metadata"]["upload_type"], p.native["metadata"]["resource_type"]
    ('image', {'id': 'image-photo'})
    """
    options = options or PayloadOptions()
    values = _clean(row)
    catalog = values.get("catalogNumber")
    if not catalog:
        raise InputError(
            "the specimen has no catalogNumber, which every record needs as its marker",
            row=row.get("_row") if isinstance(row.get("_row"), int) else None,
            column="catalogNumber",
            fix="fill in catalogNumber or drop the row before publishing",
        )
    institution = options.institution_name or values.get("institutionCode") or "Unknown institution"
    name = values.get("scientificName")
    title = f"{name} ({catalog})" if name else f"Specimen {catalog}"
    pub_date = options.publication_date or date.today().isoformat()

    # Dates: exact dates go to dwc:eventDate; intervals and partial dates are kept verbatim.
    event = values.get("eventDate", "")
    dwc = dict(values)
    if event and not _FULL_DATE.match(event):
        dwc.setdefault("verbatimEventDate", event)
    custom, left_out = to_custom_fields(dwc)

    description_bits = [
        f"Digitised natural-history specimen {html.escape(catalog)}",
        f" of <i>{html.escape(name)}</i>" if name else "",
        f", held by {html.escape(institution)}.",
    ]
    for term, label in (
        ("recordedBy", "Collected by"),
        ("eventDate", "Date"),
        ("locality", "Locality"),
        ("country", "Country"),
        ("typeStatus", "Type status"),
    ):
        if values.get(term):
            description_bits.append(f"<br>{label}: {html.escape(values[term])}")
    description = "<p>" + "".join(description_bits) + "</p>"

    keywords = [k for k in (values.get("family"), values.get("typeStatus")) if k]
    keywords += [k for k in options.keywords if k]

    legacy: dict[str, Any] = {
        "upload_type": "image",
        "image_type": "photo",
        "title": title,
        "publication_date": pub_date,
        "creators": [{"name": institution}],
        "description": description,
        "access_right": "open",
        "license": options.license,
        "keywords": keywords,
        "custom": custom,
    }
    native_meta: dict[str, Any] = {
        "resource_type": {"id": "image-photo"},
        "title": title,
        "publication_date": pub_date,
        "creators": [{"person_or_org": {"type": "organizational", "name": institution}}],
        "description": description,
        "rights": [{"id": options.license}],
        "subjects": [{"subject": k} for k in keywords],
    }
    occurrence = values.get("occurrenceID", "")
    if _URL.match(occurrence):
        legacy["related_identifiers"] = [
            {"identifier": occurrence, "relation": "isAlternateIdentifier"}
        ]
        native_meta["identifiers"] = [{"identifier": occurrence, "scheme": "url"}]
    interval = _INTERVAL.match(event)
    if _FULL_DATE.match(event) or interval:
        start, end = (interval.group(1), interval.group(2)) if interval else (event, event)
        legacy["dates"] = [{"start": start, "end": end, "type": "Collected"}]
        native_meta["dates"] = [{"date": event if interval else start, "type": {"id": "collected"}}]
    coords = _coordinates(values)
    if coords is not None:
        place = values.get("locality") or values.get("country") or "Collecting locality"
        legacy["locations"] = [{"lat": coords[0], "lon": coords[1], "place": place}]
        native_meta["locations"] = {
            "features": [
                {
                    "geometry": {"type": "Point", "coordinates": [coords[1], coords[0]]},
                    "place": place,
                }
            ]
        }
    if options.publisher:
        legacy["imprint_publisher"] = options.publisher
        native_meta["publisher"] = options.publisher
    if options.communities:
        legacy["communities"] = [{"identifier": slug} for slug in options.communities]
    native = {
        "access": {"record": "public", "files": "public"},
        "files": {"enabled": True},
        "metadata": native_meta,
        "custom_fields": custom,
    }
    return Payloads({"metadata": legacy}, native, left_out)
