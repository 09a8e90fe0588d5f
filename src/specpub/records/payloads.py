"""A :class:`~specpub.records.model.Record` as Zenodo's two payloads, from one code path.

:func:`to_legacy` gives the legacy deposit JSON (``{"metadata": {...}}`` for
``/api/deposit/depositions``), :func:`to_native` the InvenioRDM draft body
(``/api/records``). Both read the same record, so what one API receives the
other receives too, in its own shape (``docs/zenodo-api.md`` §1.6, §2.2):
the holding institution is an ``organizational`` creator natively and a
plain name on the legacy API (which cannot say "organisation"); a bare grant
number is the European Commission's on the legacy API and an EC award
natively; communities travel in the legacy body only (the native API takes
them through a review request).

:func:`build_payloads` keeps the earlier one-row entry point: a row of
Darwin Core values and :class:`PayloadOptions` (today's ``plan`` options,
now overrides of the default preset).

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
>>> p.legacy["metadata"]["dates"]
[{'start': '1890-05-01', 'end': '1890-05-03', 'type': 'Collected'}]
>>> p.native["metadata"]["dates"]
[{'date': '1890-05-01/1890-05-03', 'type': {'id': 'collected'}}]
>>> p.native["custom_fields"]["dwc:verbatimEventDate"]
['1890-05-01/1890-05-03']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from specpub.records import vocabularies as vocab
from specpub.records.model import Agent, Record

__all__ = ["PayloadOptions", "Payloads", "build_payloads", "to_legacy", "to_native"]

# Shared constant parts (never mutated): every native body points at the same objects.
_FILES_ENABLED = {"enabled": True}


def _legacy_agent(agent: Agent, *, contributor: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"name": agent.name}
    if agent.affiliation:
        out["affiliation"] = agent.affiliation
    if agent.orcid:
        out["orcid"] = agent.orcid
    if contributor and agent.role:
        out["type"] = agent.role
    return out


def _native_agent(agent: Agent, *, contributor: bool) -> dict[str, Any]:
    if agent.kind == "personal":
        family, given = agent.family_given
        po: dict[str, Any] = {"type": "personal", "family_name": family}
        if given:
            po["given_name"] = given
        if agent.orcid:
            po["identifiers"] = [{"scheme": "orcid", "identifier": agent.orcid}]
    else:
        po = {"type": "organizational", "name": agent.name}
        if agent.ror:
            po["identifiers"] = [{"scheme": "ror", "identifier": agent.ror}]
    out: dict[str, Any] = {"person_or_org": po}
    if agent.affiliation:
        out["affiliations"] = [{"name": agent.affiliation}]
    if contributor and agent.role:
        out["role"] = {"id": agent.role.lower()}
    return out


def _grant_parts(grant: str) -> tuple[str, str]:
    funder, sep, number = grant.rpartition("::")
    return (funder if sep else vocab.DEFAULT_FUNDER), number


def to_legacy(record: Record) -> dict[str, Any]:
    """The legacy deposit body ``{"metadata": {...}}`` of ``record``.

    Examples
    --------
    >>> rec = Record(catalog_number="A1", title="Specimen A1", publication_date="2026-01-01",
    ...              creators=[Agent("Herbarium X")], grants=["777483"])
    >>> md = to_legacy(rec)["metadata"]
    >>> md["upload_type"], md["image_type"], md["creators"], md["grants"]
    ('image', 'photo', [{'name': 'Herbarium X'}], [{'id': '777483'}])
    """
    md: dict[str, Any] = {"upload_type": record.upload_type}
    if record.upload_type == "image" and record.image_type:
        md["image_type"] = record.image_type
    if record.upload_type == "publication" and record.publication_type:
        md["publication_type"] = record.publication_type
    md["title"] = record.title
    md["publication_date"] = record.publication_date
    md["creators"] = [_legacy_agent(a, contributor=False) for a in record.creators]
    md["description"] = record.description
    md["access_right"] = record.access_right
    if record.embargo_date:
        md["embargo_date"] = record.embargo_date
    if record.license:
        md["license"] = record.license
    if record.keywords:
        md["keywords"] = list(record.keywords)
    if record.contributors:
        md["contributors"] = [_legacy_agent(a, contributor=True) for a in record.contributors]
    if record.notes:
        md["notes"] = record.notes
    related = [
        {"identifier": ident, "relation": "isAlternateIdentifier"}
        for ident in record.alternate_identifiers
    ]
    for rel in record.related_identifiers:
        entry = {"identifier": rel.identifier, "relation": rel.relation}
        if rel.resource_type:
            entry["resource_type"] = rel.resource_type
        related.append(entry)
    if related:
        md["related_identifiers"] = related
    if record.languages:
        md["language"] = record.languages[0]
    if record.dates:
        dates = []
        for d in record.dates:
            entry = {
                "start": d.start,
                "end": d.end,
                "type": vocab.LEGACY_DATE_TYPES.get(d.type, d.type),
            }
            if d.description:
                entry["description"] = d.description
            dates.append(entry)
        md["dates"] = dates
    if record.locations:
        md["locations"] = [
            {"lat": loc.lat, "lon": loc.lon, "place": loc.place}
            | ({"description": loc.description} if loc.description else {})
            for loc in record.locations
        ]
    if record.publisher:
        md["imprint_publisher"] = record.publisher
    if record.version:
        md["version"] = record.version
    if record.communities:
        md["communities"] = [{"identifier": slug} for slug in record.communities]
    if record.grants:
        md["grants"] = [
            {"id": number if funder == vocab.DEFAULT_FUNDER else f"{funder}::{number}"}
            for funder, number in map(_grant_parts, record.grants)
        ]
    md["custom"] = record.custom
    return {"metadata": md}


def _native_access(record: Record) -> dict[str, Any]:
    if record.access_right == "open":
        return {"record": "public", "files": "public"}
    access: dict[str, Any] = {"record": "public", "files": "restricted"}
    if record.access_right == "embargoed":
        access["embargo"] = {"active": True, "until": record.embargo_date}
    return access


def to_native(record: Record) -> dict[str, Any]:
    """The InvenioRDM draft body (``access``, ``files``, ``metadata``, ``custom_fields``).

    Examples
    --------
    >>> rec = Record(catalog_number="A1", title="Specimen A1", publication_date="2026-01-01",
    ...              creators=[Agent("Herbarium X", ror="00wge5k78")], license="cc-by-4.0")
    >>> body = to_native(rec)
    >>> body["metadata"]["resource_type"], body["metadata"]["rights"]
    ({'id': 'image-photo'}, [{'id': 'cc-by-4.0'}])
    >>> body["metadata"]["creators"][0]["person_or_org"]["identifiers"]
    [{'scheme': 'ror', 'identifier': '00wge5k78'}]
    """
    rtype = record.upload_type
    sub = record.image_type if rtype == "image" else record.publication_type
    if rtype in ("image", "publication") and sub:
        rtype = f"{rtype}-{sub}"
    md: dict[str, Any] = {
        "resource_type": {"id": rtype},
        "title": record.title,
        "publication_date": record.publication_date,
        "creators": [_native_agent(a, contributor=False) for a in record.creators],
        "description": record.description,
    }
    if record.license:
        md["rights"] = [{"id": record.license}]
    if record.keywords:
        md["subjects"] = [{"subject": k} for k in record.keywords]
    if record.contributors:
        md["contributors"] = [_native_agent(a, contributor=True) for a in record.contributors]
    if record.notes:
        md["additional_descriptions"] = [{"description": record.notes, "type": {"id": "notes"}}]
    if record.alternate_identifiers:
        md["identifiers"] = [
            {"identifier": i, "scheme": "url"} for i in record.alternate_identifiers
        ]
    if record.related_identifiers:
        related = []
        for rel in record.related_identifiers:
            entry: dict[str, Any] = {
                "identifier": rel.identifier,
                "scheme": rel.scheme,
                "relation_type": {"id": rel.relation.lower()},
            }
            if rel.resource_type:
                entry["resource_type"] = {"id": rel.resource_type}
            related.append(entry)
        md["related_identifiers"] = related
    if record.languages:
        md["languages"] = [{"id": lang} for lang in record.languages]
    if record.dates:
        md["dates"] = [
            {"date": d.edtf, "type": {"id": d.type}}
            | ({"description": d.description} if d.description else {})
            for d in record.dates
        ]
    if record.locations:
        md["locations"] = {
            "features": [
                {
                    "geometry": {"type": "Point", "coordinates": [loc.lon, loc.lat]},
                    "place": loc.place,
                }
                | ({"description": loc.description} if loc.description else {})
                for loc in record.locations
            ]
        }
    if record.publisher:
        md["publisher"] = record.publisher
    if record.version:
        md["version"] = record.version
    if record.grants:
        funding = []
        for funder, number in map(_grant_parts, record.grants):
            ror = vocab.FUNDERS.get(funder, funder)
            funding.append({"funder": {"id": ror}, "award": {"id": f"{ror}::{number}"}})
        md["funding"] = funding
    return {
        "access": _native_access(record),
        "files": _FILES_ENABLED,
        "metadata": md,
        "custom_fields": record.custom,
    }


# -- the earlier one-row entry point ------------------------------------------------------
@dataclass(frozen=True)
class PayloadOptions:
    """Collection-wide choices given on the command line; overrides of the preset.

    Parameters
    ----------
    institution_name
        The creator's name when the table holds one institution (a table of
        several institutions needs a name per code: the preset's
        ``[institutions]``, or a mapping ``code → name`` here).
    license
        Licence id (``cc-by-4.0``, ``cc0-1.0``, ...) for rows without one.
    publication_date
        ``YYYY-MM-DD``; default the day the records are built.
    communities
        Community slugs to submit every record to.
    keywords
        Extra keywords for every record (e.g. a batch tag).
    publisher
        ``imprint_publisher`` / ``publisher``; default the repository's.

    Examples
    --------
    >>> PayloadOptions(license="cc0-1.0").overrides()["license"]
    'cc0-1.0'
    """

    institution_name: str | Mapping[str, str] | None = None
    license: str | None = None
    publication_date: str | None = None
    communities: Sequence[str] = ()
    keywords: Sequence[str] = ()
    publisher: str | None = None

    def overrides(self) -> dict[str, Any]:
        """Keyword arguments for :meth:`specpub.records.presets.Preset.with_overrides`."""
        return {
            "institution_name": self.institution_name,
            "license": self.license,
            "publication_date": self.publication_date,
            "communities": tuple(self.communities),
            "keywords": tuple(self.keywords),
            "publisher": self.publisher,
        }


@dataclass(frozen=True)
class Payloads:
    """The two payload shapes for one specimen, plus the terms left to the sidecar.

    ``left_out`` lists the table's terms whose values are in neither the
    custom fields nor the record's metadata (they travel in the JSON-LD
    sidecar).
    """

    legacy: dict[str, Any]
    native: dict[str, Any]
    left_out: list[str] = field(default_factory=list)
    record: Record | None = None


def build_payloads(
    row: Mapping[str, Any], options: PayloadOptions | None = None, *, preset: Any = None
) -> Payloads:
    """Build the legacy and native payloads for one row of Darwin Core values.

    Parameters
    ----------
    row
        Darwin Core term → value (bare term names such as ``catalogNumber``;
        keys starting with ``_`` are ignored). ``catalogNumber`` is required.
    options
        Overrides of the preset (:class:`PayloadOptions`).
    preset
        A preset name, path or :class:`~specpub.records.presets.Preset`
        (default ``minimal``).

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
    >>> p.legacy["metadata"]["creators"]
    [{'name': 'DEMO'}]
    """
    from specpub.records.mapping import build_one

    record, left_out = build_one(row, options, preset=preset)
    return Payloads(to_legacy(record), to_native(record), left_out, record)
