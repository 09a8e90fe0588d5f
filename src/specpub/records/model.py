"""The record model: one specimen's record, independent of the API that carries it.

A :class:`Record` is what the preset made of one table row and its files:
title, creators, description, dates, identifiers, licence, custom fields,
files and the JSON-LD sidecar. :mod:`specpub.records.payloads` renders it
as the legacy deposit JSON and as the native InvenioRDM draft body, from the
same object, so the two can never say different things by accident.

Examples
--------
>>> rec = Record(catalog_number="BR1", institution_code="BR", title="Quercus robur L. (BR1)",
...              creators=[Agent("Meise Botanic Garden")], publication_date="2026-01-01",
...              custom={"dwc:catalogNumber": ["BR1"], "dwc:institutionCode": ["BR"]})
>>> rec.marker.key
'BR|BR1'
>>> rec.status
'ready'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from specpub.records.spec import FileSpec
from specpub.repository.protocol import Marker

__all__ = [
    "SEVERITIES",
    "Agent",
    "Correction",
    "DateSpan",
    "Finding",
    "Location",
    "Record",
    "RelatedIdentifier",
]

#: Finding severities: ``error`` blocks the record (Zenodo would refuse it, or the
#: preset says so); ``warning`` means Zenodo accepts it but changes or drops
#: something; ``info`` is a note.
SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One thing found about a record before it is sent.

    Attributes
    ----------
    record
        The record's marker key (``institutionCode|catalogNumber``).
    row
        The specimen's source row (1-based, as a spreadsheet shows it).
    severity
        ``error``, ``warning`` or ``info`` (:data:`SEVERITIES`).
    code
        A stable id (see :data:`specpub.records.checks.CHECKS`).
    field
        The field path in the payload (``metadata.creators.0.orcid``) or the term.
    message, fix
        What is wrong and what to do.
    api
        ``legacy``, ``native`` or ``""`` when it concerns both.

    Examples
    --------
    >>> Finding("BR|1", 2, "error", "TITLE_TOO_SHORT", "metadata.title", "too short", "longer").text
    'BR|1 (row 2): metadata.title: too short. Fix: longer.'
    """

    record: str
    row: int | None
    severity: str
    code: str
    field: str
    message: str
    fix: str = ""
    api: str = ""

    @property
    def text(self) -> str:
        """One line: record, row, field, message and fix."""
        where = self.record + (f" (row {self.row})" if self.row is not None else "")
        api = f" [{self.api}]" if self.api else ""
        fix = f" Fix: {self.fix.rstrip('.')}." if self.fix else ""
        return f"{where}{api}: {self.field}: {self.message.rstrip('.')}.{fix}"

    def as_row(self) -> dict[str, Any]:
        """A dict for a DataFrame row."""
        return {
            "record": self.record,
            "row": self.row,
            "severity": self.severity,
            "code": self.code,
            "api": self.api,
            "field": self.field,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class Agent:
    """A creator or contributor.

    ``kind`` is ``organizational`` (a holding institution) or ``personal``
    (``name`` is then ``"Family, Given"``). ``role`` is the legacy contributor
    type (``RightsHolder``, ``DataCollector``, …) for contributors.

    Examples
    --------
    >>> Agent("Doe, Jane", kind="personal").family_given
    ('Doe', 'Jane')
    """

    name: str
    kind: str = "organizational"
    orcid: str | None = None
    ror: str | None = None
    affiliation: str | None = None
    role: str | None = None

    @property
    def family_given(self) -> tuple[str, str | None]:
        """``(family, given)`` of a personal name written ``"Family, Given"``."""
        family, sep, given = self.name.partition(",")
        return (family.strip(), given.strip() or None) if sep else (self.name.strip(), None)


@dataclass(frozen=True)
class DateSpan:
    """A date of the record (``metadata.dates``): EDTF start and end, a type.

    Examples
    --------
    >>> DateSpan("1982-10-29", "1982-10-30").edtf
    '1982-10-29/1982-10-30'
    >>> DateSpan("1890-05-01", "1890-05-01").edtf
    '1890-05-01'
    """

    start: str
    end: str
    type: str = "collected"
    description: str | None = None

    @property
    def edtf(self) -> str:
        """The date as one EDTF value (a single date when start equals end)."""
        return self.start if self.start == self.end else f"{self.start}/{self.end}"


@dataclass(frozen=True)
class Location:
    """A point where the specimen was collected.

    Examples
    --------
    >>> Location(50.93, 4.33, "Meise").lat
    50.93
    """

    lat: float
    lon: float
    place: str
    description: str | None = None


@dataclass(frozen=True)
class RelatedIdentifier:
    """A related identifier (``relation`` in the legacy camelCase spelling).

    Examples
    --------
    >>> RelatedIdentifier("https://x.org/1", "isDescribedBy", "url").relation
    'isDescribedBy'
    """

    identifier: str
    relation: str
    scheme: str
    resource_type: str | None = None


@dataclass(frozen=True)
class Correction:
    """A value the record publishes differently from the table (the original is in the
    sidecar). ``published`` is ``None`` when the value is withheld.

    Examples
    --------
    >>> Correction("geodeticDatum", "Dms", None, "GEODETIC_DATUM_INVALID").withheld
    True
    """

    term: str
    original: str
    published: str | None
    reason: str

    @property
    def withheld(self) -> bool:
        """Whether the value is left out of the record's metadata."""
        return self.published is None


@dataclass
class Record:
    """One specimen's record, as the preset built it.

    Examples
    --------
    >>> Record(catalog_number="X1").marker.key
    '|X1'
    """

    catalog_number: str
    institution_code: str | None = None
    row: int | None = None
    upload_type: str = "image"
    image_type: str | None = "photo"
    publication_type: str | None = None
    title: str = ""
    description: str = ""
    notes: str | None = None
    publication_date: str = ""
    access_right: str = "open"
    embargo_date: str | None = None
    license: str | None = None
    creators: list[Agent] = field(default_factory=list)
    contributors: list[Agent] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    dates: list[DateSpan] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)
    alternate_identifiers: list[str] = field(default_factory=list)
    related_identifiers: list[RelatedIdentifier] = field(default_factory=list)
    publisher: str | None = None
    version: str | None = None
    communities: list[str] = field(default_factory=list)
    grants: list[str] = field(default_factory=list)
    custom: dict[str, list[Any]] = field(default_factory=dict)
    files: list[FileSpec] = field(default_factory=list)
    sidecar: FileSpec | None = None
    corrections: list[Correction] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def marker(self) -> Marker:
        """The idempotency marker (catalogue number + institution code of the table)."""
        return Marker(self.catalog_number, self.institution_code)

    @property
    def all_files(self) -> list[FileSpec]:
        """The files to upload: the images, then the sidecar."""
        return [*self.files, *([self.sidecar] if self.sidecar is not None else [])]

    @property
    def status(self) -> str:
        """``blocked`` (an error finding), ``warned`` (a warning) or ``ready``."""
        severities = {f.severity for f in self.findings}
        if "error" in severities:
            return "blocked"
        return "warned" if "warning" in severities else "ready"
