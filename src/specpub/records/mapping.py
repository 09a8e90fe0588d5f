"""One table row + its files → a :class:`~specpub.records.model.Record`, as a preset says.

:class:`RecordBuilder` is compiled once per table (the preset's templates are
checked against the table's columns: a name that is neither a column nor a
Darwin Core term nor a fact is an :class:`InputError` naming the preset, the
field and the first row) and then builds one record per row:

- **values the flags question** are published, corrected (the correction, or
  the value withheld; the original stays in the sidecar) or block the record,
  as the preset decides per flag (:data:`CORRECTIONS` says what "correct"
  does for each);
- **the holding institution** of each row (the first of the preset's
  institution terms, named through its ``[institutions]`` table) is the
  creator: never one name for a mixed table;
- **dates keep all they say**: an exact ``eventDate`` goes to
  ``dwc:eventDate`` and a ``Collected`` date; an interval or a partial date
  becomes a ``Collected`` date with its start and end, and the text as given
  goes to ``dwc:verbatimEventDate``; a ``dateIdentified`` timestamp is
  normalised to its date, a partial one stays in the sidecar;
- **custom fields** take every whitelisted term of the table with its type
  (numbers for coordinates); a value that cannot take the type is decided as
  the pseudo-flag ``VALUE_UNTYPEABLE``;
- **Audubon Core** facts come from the media scan (capture device, date).

Examples
--------
>>> record, left_out = build_one({"catalogNumber": "E00633257", "institutionCode": "E",
...     "scientificName": "Primula sp.", "eventDate": "1982-10-29/1982-10-30",
...     "recordNumber": "4711"}, preset="icedig-benchmark")
>>> record.title
'Herbarium specimen image of Primula sp., part of the collection of Royal Botanic Garden Edinburgh'
>>> [a.name for a in record.creators]
['Royal Botanic Garden Edinburgh']
>>> record.dates[0].start, record.dates[0].end, record.custom["dwc:verbatimEventDate"]
('1982-10-29', '1982-10-30', ['1982-10-29/1982-10-30'])
>>> left_out
['recordNumber']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from specpub.errors import InputError
from specpub.records import vocabularies as vocab
from specpub.records.custom_fields import CUSTOM_FIELD_TYPES, TEXT_KINDS, field_name, type_value
from specpub.records.identifiers import detect_scheme, is_url, ror_id
from specpub.records.media import MediaFile
from specpub.records.model import (
    Agent,
    Correction,
    DateSpan,
    Finding,
    Location,
    Record,
    RelatedIdentifier,
)
from specpub.records.presets import UNTYPEABLE, Preset, load_preset
from specpub.records.templates import FACT_GROUPS, FACTS, Template, suggest

__all__ = ["CORRECTIONS", "FINDINGS", "FlagHit", "RecordBuilder", "RowInput", "build_one"]

#: What ``correct`` does for each flag (others: the flagged value is withheld).
CORRECTIONS: dict[str, str] = {
    "BASIS_OF_RECORD_NONSTANDARD": "publish the vocabulary form (PreservedSpecimen)",
    "EVENT_DATE_NORMALISED": "publish the ISO 8601 date",
    "EVENT_DATE_DERIVED": "publish the date built from year/month/day",
    "COUNTRY_CODE_INVALID": "publish the code of the country named in 'country', else withhold",
    "LICENSE_UNRECOGNISED": "publish the preset's licence",
    "COORDINATE_INVALID": "withhold both coordinates",
    "COORDINATE_OUT_OF_RANGE": "withhold both coordinates",
    "ZERO_COORDINATE": "withhold both coordinates",
    "COORDINATES_LIKELY_SWAPPED": "withhold both coordinates",
    "PRESUMED_NEGATED_LATITUDE": "withhold both coordinates",
    "PRESUMED_NEGATED_LONGITUDE": "withhold both coordinates",
    "EVENT_DATE_IN_FUTURE": "withhold eventDate (verbatimEventDate keeps the text)",
    "EVENT_DATE_UNLIKELY": "withhold eventDate (verbatimEventDate keeps the text)",
    "EVENT_DATE_MISMATCH": "withhold eventDate (verbatimEventDate keeps the text)",
}
# Flags with nothing to correct in a record (informational, or about terms that
# are not published anyway): "correct" leaves the value as it is.
_NOTHING_TO_CORRECT = frozenset(
    {
        "INSTITUTION_CODE_MISSING",
        "SCIENTIFIC_NAME_MISSING",
        "GEODETIC_DATUM_ASSUMED_WGS84",
        "OCCURRENCE_ID_NOT_URL",
        "CATALOG_NUMBER_WHITESPACE",
        "CATALOG_NUMBER_COLLISION",
        "ROW_EXTRA_FIELDS",
        "EVENT_DATE_PARTIAL",
        "EVENT_DATE_INTERVAL",
        "SUSPECTED_TYPE",
        "MULTIMEDIA_URI_INVALID",
        "EXTENSION_CORE_ID_UNKNOWN",
    }
)
_COORDINATES = ("decimalLatitude", "decimalLongitude")
_COORDINATE_FLAGS = frozenset(
    {
        "COORDINATE_INVALID",
        "COORDINATE_OUT_OF_RANGE",
        "ZERO_COORDINATE",
        "COORDINATES_LIKELY_SWAPPED",
        "PRESUMED_NEGATED_LATITUDE",
        "PRESUMED_NEGATED_LONGITUDE",
    }
)
# Terms with their own handling (not copied as plain custom fields).
_SPECIAL = frozenset({"eventDate", "verbatimEventDate", "dateIdentified", *_COORDINATES})
# Darwin Core list terms: " | " separates values (each one a custom-field list item).
_LIST_TERMS = frozenset(
    {
        "recordedBy",
        "identifiedBy",
        "typeStatus",
        "preparations",
        "otherCatalogNumbers",
        "associatedSequences",
        "recordedByID",
        "identifiedByID",
    }
)
_PLACE_TERMS = (
    "locality",
    "verbatimLocality",
    "municipality",
    "county",
    "stateProvince",
    "country",
)
_EMPTY_TAGS = re.compile(r"<(p|ul|ol|li|div|span|b|i|em|strong)>\s*</\1>")
_PREFIXES = ("dwc:", "dc:", "dcterms:", "ac:")

#: Codes of the findings the records stage itself makes (the Zenodo-side ones are in
#: :data:`specpub.records.checks.CHECKS`).
FINDINGS: dict[str, str] = {
    "CATALOG_NUMBER_MISSING": "error: no catalogue number, the record's marker",
    "FLAG_BLOCKS": "error: a quality flag the preset's [flags] says blocks the record",
    "INSTITUTION_MISSING": "error: the row names no holding institution and the preset no default",
    "INSTITUTION_UNKNOWN": "error: the code is not in [institutions] and unknown = 'block'",
    "INSTITUTION_UNNAMED": "warning: the code is not in [institutions]; the code is the creator",
    "LICENSE_UNKNOWN": "error/warning: the row's licence is not in Zenodo's vocabulary",
    "RELATED_ID_NOT_SENT": "warning: a related identifier without a detectable scheme is left out",
    "VALUE_UNTYPEABLE": "error: a value its custom field cannot hold, and the preset blocks",
    "PRESERVATION_FAIL": "warning: a file other than the master fails its preservation profile",
}

#: One quality flag on a row: ``(flag id, term, value as flagged)``.
FlagHit = tuple[str, str, str]


@dataclass
class RowInput:
    """What a record is built from.

    Attributes
    ----------
    row
        Source row number (1-based, as a spreadsheet shows it).
    values
        Column → value as loaded (normalised by the specimens stage), stripped,
        non-empty only.
    raw
        Column → the value exactly as the table gave it (non-empty only): the sidecar.
    flags
        The row's quality flags.
    files
        The row's linked files.
    source
        The table's file name.
    """

    row: int | None
    values: dict[str, str]
    raw: dict[str, str] = field(default_factory=dict)
    flags: Sequence[FlagHit] = ()
    files: Sequence[MediaFile] = ()
    source: str | None = None


class RecordBuilder:
    """Builds records from rows of one table under one preset.

    Parameters
    ----------
    preset
        The preset (a name, path or :class:`~specpub.records.presets.Preset`).
    columns
        The table's columns (frame names: Darwin Core terms by short name,
        other columns under their own names).
    first_row
        The first data row, named in errors about templates.
    publication_date
        Default ``YYYY-MM-DD`` when the preset gives none (today).
    sidecars
        A :class:`~specpub.records.sidecar.SidecarWriter`, or ``None`` for no sidecar.
    codes
        Every institution code the table holds (to refuse one creator name for
        a mixed table).

    Examples
    --------
    >>> b = RecordBuilder("minimal", ["catalogNumber", "scientificName", "family"])
    >>> b.warnings  # doctest: +ELLIPSIS
    ['preset minimal: the table has no column country, dateIdentified, ...; the template ...']
    >>> import tempfile, pathlib
    >>> mine = pathlib.Path(tempfile.mkdtemp()) / "mine.toml"
    >>> _ = mine.write_text('[preset]\\nextends = "minimal"\\n[record]\\nkeywords = ["{setid}"]\\n')
    >>> RecordBuilder(mine, ["catalogNumber", "setID"], first_row=2)
    ... # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: .../mine.toml, row 2, field 'keywords.0': the template names
    'setid', ... (did you mean 'setID'?)...
    """

    def __init__(
        self,
        preset: Preset | str | None,
        columns: Iterable[str],
        *,
        first_row: int | None = None,
        publication_date: str | None = None,
        sidecars: Any = None,
        codes: Iterable[str] = (),
    ) -> None:
        from specpub.specimens.terms import TERMS
        from specpub.specimens.values import parse_event_date

        self._parse_event_date = parse_event_date  # imported once (an import costs per call)

        self.preset = preset = load_preset(preset)
        self.columns = [c for c in columns if not str(c).startswith("_")]
        colset = set(self.columns)
        self.publication_date = (
            preset.publication_date or publication_date or date.today().isoformat()
        )
        self.sidecars = sidecars if preset.sidecar else None
        self.warnings: list[str] = []
        self._absent: dict[str, str] = {}
        # Resolve every template name once: column, verbatim column, fact, or absent term.
        self._names: dict[str, tuple[str, str]] = {}
        templates = preset.templates()
        for part_i, part in enumerate(preset.description):
            for cond in (*part.when, *part.unless):
                templates.setdefault(f"description.{part_i}.when", part.template)
                self._resolve(cond, f"description.{part_i}.when", colset, TERMS, first_row)
        for where, template in templates.items():
            for name in template.names:
                self._resolve(name, where, colset, TERMS, first_row)
        if self._absent:
            self.warnings.append(
                f"preset {preset.name}: the table has no column {', '.join(sorted(self._absent))}; "
                "the template parts naming them stay empty"
            )
        self._title, self._sidecar_name = preset.title, preset.sidecar_name
        # The custom-field plan: (column, field, kind) for plain whitelisted terms.
        wanted = (
            None if preset.custom_terms == "all" else {field_name(t) for t in preset.custom_terms}
        )
        excluded = {field_name(t) for t in preset.custom_exclude}
        self._allowed = lambda name: (wanted is None or name in wanted) and name not in excluded
        self._plan: list[tuple[str, str, str]] = []
        for column in self.columns:
            name = field_name(column)
            kind = CUSTOM_FIELD_TYPES.get(name)
            if kind is None or column in _SPECIAL or not self._allowed(name):
                continue
            self._plan.append((column, name, kind))
        # Institutions: refuse one name for a table of several institutions.
        codes = sorted({c for c in codes if c})
        if preset.institution_name and len(codes) > 1:
            raise InputError(
                f"one institution name ({preset.institution_name!r}) cannot be the creator of a "
                f"table of {len(codes)} institutions ({', '.join(codes[:6])}"
                f"{', …' if len(codes) > 6 else ''})",
                file=preset.source,
                field="institution.name",
                fix="name each code in the preset's [institutions] table, or give "
                "--institution-name CODE=NAME once per code",
            )

    # -- template names -------------------------------------------------------------------
    def _resolve(
        self, name: str, where: str, columns: set[str], terms: Mapping[str, str], row: int | None
    ) -> None:
        if name in self._names:
            return
        optional = name.endswith("?")
        if name in FACTS:
            self._names[name] = ("fact", name)
            return
        bare = name.rstrip("?")
        for prefix in _PREFIXES:
            if name.startswith(prefix):
                bare = name[len(prefix) :]
                break
        kind = "column"
        if bare.startswith("verbatim."):
            kind, bare = "verbatim", bare[len("verbatim.") :]
        if bare in columns:
            self._names[name] = (kind, bare)
        elif optional:
            self._names[name] = ("absent", bare)
        elif bare in terms:
            self._names[name] = ("absent", bare)
            self._absent.setdefault(bare, where)
        else:
            raise InputError(
                f"the template names {name!r}, which is neither a column of the table nor a "
                f"Darwin Core term nor a fact{suggest(bare, [*columns, *terms])}",
                file=self.preset.source,
                row=row,
                field=where,
                fix="correct the name in the preset, or map the table column to that name "
                "(specpub load --mapping)",
            )

    def _env(
        self,
        values: Mapping[str, str],
        raw: Mapping[str, str],
        files: Sequence[MediaFile],
        inst: dict[str, str],
        row: int | None,
        sidecar_key: str,
    ) -> dict[str, str]:
        env: dict[str, str] = {}
        groups: dict[str, list[MediaFile]] | None = None
        for name, (kind, key) in self._names.items():
            if kind == "column":
                env[name] = values.get(key, "")
            elif kind == "verbatim":
                env[name] = raw.get(key, "").strip()
            elif kind == "absent":
                env[name] = ""
            else:
                head, _, attr = key.partition(".")
                if head == "institution":
                    env[name] = inst.get(attr or "name", "")
                elif key == "publication_date":
                    env[name] = self.publication_date
                elif key == "record.row":
                    env[name] = "" if row is None else str(row)
                elif head == "sidecar":
                    env[name] = sidecar_key if attr in ("name", "names") else ""
                    if attr == "count":
                        env[name] = "1" if sidecar_key else "0"
                elif head == "files":
                    env[name] = (
                        str(len(files))
                        if attr == "count" and files
                        else ", ".join(f.spec.key for f in files)
                        if attr == "names"
                        else ""
                    )
                else:
                    if groups is None:
                        groups = _groups(files)
                    members = groups.get(head, [])
                    if attr == "count":
                        env[name] = str(len(members)) if members else ""
                    elif attr == "names":
                        env[name] = ", ".join(f.spec.key for f in members)
                    else:
                        env[name] = members[0].fact(attr) if members else ""
        return env

    # -- building -------------------------------------------------------------------------
    def build(self, inp: RowInput) -> tuple[Record, list[str]]:
        """Build the record of one row; returns it and the terms left to the sidecar.

        Examples
        --------
        >>> b = RecordBuilder("minimal", ["catalogNumber", "geodeticDatum"])
        >>> rec, _ = b.build(RowInput(3, {"catalogNumber": "A1", "geodeticDatum": "Dms"},
        ...                           flags=[("GEODETIC_DATUM_INVALID", "geodeticDatum", "Dms")]))
        >>> "dwc:geodeticDatum" in rec.custom, rec.corrections[0].reason
        (False, 'GEODETIC_DATUM_INVALID')
        """
        preset = self.preset
        values = dict(inp.values)
        raw = inp.raw or inp.values
        catalog = values.get("catalogNumber", "")
        institution_code = values.get("institutionCode") or None
        record = Record(
            catalog_number=catalog,
            institution_code=institution_code,
            row=inp.row,
            upload_type=preset.upload_type,
            image_type=preset.image_type,
            publication_type=preset.publication_type,
            publication_date=self.publication_date,
            access_right=preset.access_right,
            embargo_date=preset.embargo_date,
            publisher=preset.publisher,
            version=preset.version,
            communities=list(preset.communities),
            grants=list(preset.grants),
        )
        key = record.marker.key
        find = record.findings.append
        carried: set[str] = set()
        if not catalog:
            find(
                Finding(
                    key,
                    inp.row,
                    "error",
                    "CATALOG_NUMBER_MISSING",
                    "catalogNumber",
                    "the specimen has no catalogNumber, which every record needs as its marker",
                    "fill in catalogNumber",
                )
            )
        self._apply_flags(inp, values, raw, record)
        # Holding institution → creator.
        inst = self._institution(values, record)
        if preset.creators_institution and inst.get("name"):
            record.creators.append(Agent(inst["name"], ror=inst.get("ror") or None))
        for spec in preset.creators:
            record.creators.append(
                Agent(spec.name, spec.kind, spec.orcid, spec.ror, spec.affiliation)
            )
        for spec in preset.contributors:
            record.contributors.append(
                Agent(spec.name, spec.kind, spec.orcid, spec.ror, spec.affiliation, spec.role)
            )
        sidecar_key = ""
        if self.sidecars is not None and catalog:
            sidecar_key = self.sidecars.key_for(self._sidecar_name, values, raw, inst, inp)
        env = self._env(values, raw, inp.files, inst, inp.row, sidecar_key)
        get = env.get
        record.title = " ".join(self._title.render(get).split())
        record.description = self._description(get)
        if preset.notes is not None:
            record.notes = preset.notes.render(get, escape=True) or None
        record.keywords = _unique(t.render(get).strip() for t in preset.keywords)
        self._identifiers(get, values, record, carried)
        self._licence_language(values, record, carried)
        self._custom_fields(values, raw, record, carried, get, inp.files)
        self._dates_and_places(values, raw, record, carried)
        record.files = [f.spec for f in inp.files]
        if self.sidecars is not None and catalog:
            record.sidecar = self.sidecars.write(sidecar_key, record, inp)
        left_out = [c for c in raw if c not in carried and not c.startswith("_")]
        return record, left_out

    def _apply_flags(
        self, inp: RowInput, values: dict[str, str], raw: Mapping[str, str], record: Record
    ) -> None:
        key = record.marker.key
        for flag, term, value in inp.flags:
            decision = self.preset.decision(flag)
            if decision == "block":
                record.findings.append(
                    Finding(
                        key,
                        inp.row,
                        "error",
                        "FLAG_BLOCKS",
                        term or flag,
                        f"quality flag {flag} ({value!r}): the preset "
                        f"{self.preset.name} blocks such records",
                        "correct the value in the table, or set "
                        f'{flag} = "correct" or "publish" in the preset\'s [flags]',
                    )
                )
                continue
            original = raw.get(term, value)
            if flag == "BASIS_OF_RECORD_NONSTANDARD":
                if decision == "publish":
                    values["basisOfRecord"] = original.strip()
                else:
                    record.corrections.append(
                        Correction(term, original, values.get(term, ""), flag)
                    )
                continue
            if flag == "EVENT_DATE_NORMALISED":
                if decision == "publish":  # the text as given is no ISO date: verbatim only
                    values.pop("eventDate", None)
                else:
                    record.corrections.append(
                        Correction(term, original, values.get("eventDate", ""), flag)
                    )
                continue
            if (
                decision == "publish"
                or flag in _NOTHING_TO_CORRECT
                or flag.startswith(("MODIFIED_", "ELEVATION_", "DEPTH_", "EVENT_DATE_DERIVED"))
            ):
                continue
            if flag == "COUNTRY_CODE_INVALID":
                from specpub.specimens.values import resolve_country

                code = resolve_country(values.get("country", "")) if values.get("country") else None
                if code and code != "historic":
                    values["countryCode"] = code
                    record.corrections.append(Correction(term, original, code, flag))
                    continue
            if flag == "LICENSE_UNRECOGNISED":
                values.pop(term, None)
                record.corrections.append(Correction(term, original, self.preset.license, flag))
                continue
            terms = _COORDINATES if flag in _COORDINATE_FLAGS else (term,)
            for t in terms:
                if t in values:
                    record.corrections.append(Correction(t, raw.get(t, values[t]), None, flag))
                    values.pop(t, None)
            if flag.startswith("EVENT_DATE_"):
                values.pop("eventDate", None)
                values.pop("eventDate_edtf", None)

    def _institution(self, values: Mapping[str, str], record: Record) -> dict[str, str]:
        preset = self.preset
        code = next((values[t] for t in preset.institution_terms if values.get(t)), "")
        ident = next((values[t] for t in preset.institution_id_terms if values.get(t)), "")
        ror = ror_id(ident) if ident else None
        out = {"code": code, "id": ident, "ror": ror or ""}
        if code and code in preset.institutions:
            entry = preset.institutions[code]
            out["name"] = entry.name
            out["ror"] = entry.ror or out["ror"]
        elif preset.institution_name:
            out["name"] = preset.institution_name
        elif code and preset.institution_unknown == "code":
            out["name"] = code
            record.findings.append(
                Finding(
                    record.marker.key,
                    record.row,
                    "warning",
                    "INSTITUTION_UNNAMED",
                    "creators.0.name",
                    f"institution code {code!r} has no name in the preset's [institutions]; "
                    "the code itself is the creator",
                    f'add {code} = {{name = "…"}} under [institutions] in a preset '
                    "extending this one",
                )
            )
        elif code:
            record.findings.append(
                Finding(
                    record.marker.key,
                    record.row,
                    "error",
                    "INSTITUTION_UNKNOWN",
                    "creators",
                    f"institution code {code!r} is not in the preset's "
                    f"[institutions] ({', '.join(sorted(preset.institutions)) or 'empty'}), "
                    f"and the preset {preset.name} publishes only those",
                    "use a preset for this institution, or add it to [institutions]",
                )
            )
        elif preset.institution_default:
            out["name"] = preset.institution_default
        elif preset.creators_institution:
            record.findings.append(
                Finding(
                    record.marker.key,
                    record.row,
                    "error",
                    "INSTITUTION_MISSING",
                    "creators",
                    "the row names no holding institution ("
                    + ", ".join(preset.institution_terms)
                    + " are empty), so the record "
                    "would have no creator",
                    'fill in institutionCode, or set [institution] default = "…" in the preset',
                )
            )
        return out

    def _description(self, get: Callable[[str], str | None]) -> str:
        parts = []
        for part in self.preset.description:
            if any(not get(n) for n in part.when) or any(get(n) for n in part.unless):
                continue
            parts.append(part.template.render(get, escape=True))
        text = "".join(parts)
        while True:
            cleaned = _EMPTY_TAGS.sub("", text)
            if cleaned == text:
                return cleaned.strip()
            text = cleaned

    def _identifiers(
        self,
        get: Callable[[str], str | None],
        values: Mapping[str, str],
        record: Record,
        carried: set[str],
    ) -> None:
        for template in self.preset.alternate_identifiers:
            value = template.render(get).strip()
            if value and is_url(value):
                if value not in record.alternate_identifiers:
                    record.alternate_identifiers.append(value)
                carried.update(_columns_of(template, self._names))
        for spec in self.preset.related_identifiers:
            value = spec.template.render(get).strip()
            if not value:
                continue
            scheme = detect_scheme(value)
            if scheme is None:
                record.findings.append(
                    Finding(
                        record.marker.key,
                        record.row,
                        "warning",
                        "RELATED_ID_NOT_SENT",
                        f"related_identifiers ({spec.template.source})",
                        f"{value!r} has no identifier scheme Zenodo can detect, so it is "
                        "not sent as a related identifier (it stays in the sidecar)",
                        "give a URL, DOI, handle, URN, … in that column",
                    )
                )
                continue
            record.related_identifiers.append(
                RelatedIdentifier(value, spec.relation, scheme, spec.resource_type)
            )
            carried.update(_columns_of(spec.template, self._names))
        del values

    def _licence_language(self, values: dict[str, str], record: Record, carried: set[str]) -> None:
        preset = self.preset
        record.license = preset.license
        for term in preset.license_terms:
            text = values.get(term)
            if not text:
                continue
            lic = vocab.license_id(text)
            if lic is None:
                decision = preset.decision("LICENSE_UNRECOGNISED")
                severity = "error" if decision == "block" or preset.license is None else "warning"
                record.findings.append(
                    Finding(
                        record.marker.key,
                        record.row,
                        severity,
                        "LICENSE_UNKNOWN",
                        term,
                        f"{text!r} is no licence of Zenodo's vocabulary"
                        + (
                            ""
                            if severity == "error"
                            else f"; the preset's licence {preset.license} is used"
                        ),
                        "write an SPDX id (CC-BY-4.0, CC0-1.0) or a Creative Commons URL",
                    )
                )
                if severity == "error":
                    record.license = None
                break
            record.license = lic
            carried.add(term)
            break
        for term in preset.language_terms:
            text = values.get(term)
            if not text:
                continue
            langs = []
            for part in re.split(r"\s*[|;,]\s*", text):
                if not part:
                    continue
                lang = vocab.language_id(part)
                if lang is None:
                    langs.append(part)  # left for the checks to refuse (LANGUAGE_UNKNOWN)
                    continue
                if lang != part:
                    record.corrections.append(Correction(term, part, lang, "LANGUAGE_CODE"))
                langs.append(lang)
            record.languages = _unique(langs)
            carried.add(term)
            break
        else:
            if preset.language:
                record.languages = [preset.language]

    def _add(self, record: Record, name: str, value: Any) -> None:
        current = record.custom.setdefault(name, [])
        if value not in current:
            current.append(value)

    def _custom_fields(
        self,
        values: Mapping[str, str],
        raw: Mapping[str, str],
        record: Record,
        carried: set[str],
        get: Callable[[str], str | None],
        files: Sequence[MediaFile],
    ) -> None:
        custom = record.custom
        for column, name, kind in self._plan:
            text = values.get(column)
            if not text:
                continue
            items = text.split(" | ") if column in _LIST_TERMS else (text,)
            if kind in TEXT_KINDS:  # type_value keeps text as it is, stripped
                typed = [s for item in items if (s := item.strip())]
                if typed:
                    custom[name] = typed
                    carried.add(column)
                continue
            typed = []
            for item in items:
                item = item.strip()
                if not item:
                    continue
                try:
                    typed.append(type_value(kind, item))
                except ValueError as err:
                    self._untypeable(record, column, name, item, str(err))
            if typed:
                custom[name] = typed
                carried.add(column)
        # Preset constants and templates (Audubon Core facts, …).
        for name, templates in self.preset.custom_set.items():
            for template in templates:
                text = template.render(get).strip()
                if not text:
                    continue
                try:
                    self._add(record, name, type_value(CUSTOM_FIELD_TYPES[name], text))
                except ValueError as err:
                    self._untypeable(record, name, name, text, str(err))
        if self.preset.audubon_from_media:
            if record.alternate_identifiers and self._allowed("ac:associatedSpecimenReference"):
                self._add(record, "ac:associatedSpecimenReference", record.alternate_identifiers[0])
            for f in files:
                if f.device and self._allowed("ac:captureDevice"):
                    self._add(record, "ac:captureDevice", f.device)
                if f.created and self._allowed("ac:digitizationDate"):
                    self._add(record, "ac:digitizationDate", f.created)
        del raw

    def _untypeable(self, record: Record, column: str, name: str, value: str, why: str) -> None:
        decision = self.preset.decision(UNTYPEABLE)
        kind = CUSTOM_FIELD_TYPES.get(name, "?")
        if decision == "block":
            record.findings.append(
                Finding(
                    record.marker.key,
                    record.row,
                    "error",
                    UNTYPEABLE,
                    name,
                    f"{why}; Zenodo's {name} holds {kind} values (preset "
                    f"{self.preset.name}, column {column!r})",
                    f'correct the value, or set {UNTYPEABLE} = "correct" in the preset to '
                    "keep it in the sidecar only",
                )
            )
        else:
            record.corrections.append(Correction(column, value, None, UNTYPEABLE))

    def _dates_and_places(
        self, values: Mapping[str, str], raw: Mapping[str, str], record: Record, carried: set[str]
    ) -> None:
        parse_event_date = self._parse_event_date
        preset = self.preset
        custom = record.custom
        allowed = self._allowed
        iso = values.get("eventDate", "")
        edtf = values.get("eventDate_edtf", "") or iso
        given = raw.get("eventDate", "").strip()
        verbatim: list[str] = []
        if allowed("dwc:verbatimEventDate"):
            verbatim += [v.strip() for v in values.get("verbatimEventDate", "").split(" | ")]
            if given and given != iso:
                verbatim.append(given)
        verbatim = _unique(v for v in verbatim if v)
        if iso and allowed("dwc:eventDate"):
            custom["dwc:eventDate"] = [iso]
            carried.add("eventDate")
        if verbatim:
            custom["dwc:verbatimEventDate"] = verbatim
            if values.get("verbatimEventDate"):
                carried.add("verbatimEventDate")
            if given and given in verbatim:
                carried.add("eventDate")
        if edtf and preset.collected_dates:
            start, _, end = edtf.partition("/")
            record.dates.append(DateSpan(start, end or start, "collected"))
        identified = values.get("dateIdentified", "")
        if identified and allowed("dwc:dateIdentified"):
            parsed = parse_event_date(identified)
            if parsed.kind == "exact" and parsed.iso:
                custom["dwc:dateIdentified"] = [parsed.iso]
                carried.add("dateIdentified")
                if parsed.iso != identified:
                    record.corrections.append(
                        Correction("dateIdentified", identified, parsed.iso, "DATE_NORMALISED")
                    )
        # Coordinates: numbers in the custom fields, a point in locations.
        lat_text, lon_text = values.get("decimalLatitude", ""), values.get("decimalLongitude", "")
        coords: dict[str, float] = {}
        for column, text in (("decimalLatitude", lat_text), ("decimalLongitude", lon_text)):
            if not text or not allowed(f"dwc:{column}"):
                continue
            try:
                coords[column] = type_value("double", text)
            except ValueError as err:
                self._untypeable(record, column, f"dwc:{column}", text, str(err))
                continue
            custom[f"dwc:{column}"] = [coords[column]]
            carried.add(column)
        lat, lon = coords.get("decimalLatitude"), coords.get("decimalLongitude")
        if (
            preset.locations
            and lat is not None
            and lon is not None
            and -90 <= lat <= 90
            and -180 <= lon <= 180
        ):
            place = next((values[t] for t in _PLACE_TERMS if values.get(t)), f"{lat}, {lon}")
            record.locations.append(Location(lat, lon, place))
        # The marker fields are always there (the batch engine searches by them).
        if record.catalog_number:
            custom["dwc:catalogNumber"] = [record.catalog_number]
            carried.add("catalogNumber")
        if record.institution_code:
            custom["dwc:institutionCode"] = [record.institution_code]
            carried.add("institutionCode")


def _groups(files: Sequence[MediaFile]) -> dict[str, list[MediaFile]]:
    out: dict[str, list[MediaFile]] = {g: [] for g in FACT_GROUPS}
    for f in files:
        if f.role in out:
            out[f.role].append(f)
        if f.group in out and f.group != f.role:
            out[f.group].append(f)
        if f.is_image:
            out["image"].append(f)
    return out


def _columns_of(template: Template, names: Mapping[str, tuple[str, str]]) -> list[str]:
    return [names[n][1] for n in template.names if names.get(n, ("", ""))[0] == "column"]


def _unique(items: Iterable[str]) -> list[str]:
    return [x for x in dict.fromkeys(items) if x]


def build_one(
    row: Mapping[str, Any], options: Any = None, *, preset: Preset | str | None = None
) -> tuple[Record, list[str]]:
    """Build the record of one row of Darwin Core values (no files, no flags, no sidecar).

    Examples
    --------
    >>> rec, _ = build_one({"catalogNumber": "A1", "institutionCode": "X",
    ...                     "decimalLatitude": "50.93", "decimalLongitude": "4.33"})
    >>> rec.custom["dwc:decimalLatitude"], rec.locations[0].place
    ([50.93], '50.93, 4.33')
    """
    import pandas as pd

    from specpub.specimens.flags import check_specimens

    resolved = load_preset(preset)
    if options is not None:
        resolved = resolved.with_overrides(**options.overrides())
    row_no = row.get("_row") if isinstance(row.get("_row"), int) else None
    cells = {}
    for key, value in row.items():
        if value is None or str(key).startswith("_"):
            continue
        if isinstance(value, float) and value != value:  # NaN
            continue
        cells[str(key)] = str(value)
    if not cells.get("catalogNumber", "").strip():
        raise InputError(
            "the specimen has no catalogNumber, which every record needs as its marker",
            row=row_no,
            column="catalogNumber",
            fix="fill in catalogNumber or drop the row before publishing",
        )
    frame = pd.DataFrame([{**cells, "_row": row_no or 2, "_source": "row"}])
    frame, flags = check_specimens(frame)
    from specpub.records.build import row_inputs

    columns = [c for c in frame.columns if not str(c).startswith("_")]
    builder = RecordBuilder(
        resolved, columns, sidecars=None, codes=[cells.get("institutionCode", "")]
    )
    inp, error = next(row_inputs(frame, columns, flags, table_columns=set(cells)))
    inp.row = row_no
    record, left_out = builder.build(inp)
    if error:
        record.findings.append(
            Finding(
                record.marker.key,
                row_no,
                "error",
                "FLAG_BLOCKS",
                "row",
                f"quality flag {error}",
                "correct the table",
            )
        )
    return record, left_out
