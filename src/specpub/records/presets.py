"""Presets: how a collection's specimen rows become Zenodo records, as TOML files.

A preset says what every record of a collection looks like: the title and
description templates, creators (the holding institution of each row, named
through the preset's table of institutions), licence, language, keywords,
identifiers, grants, communities, which Darwin Core terms become Zenodo
custom fields, what to do with values the quality flags call into question
(publish them, correct them and keep the original in the sidecar, or block
the record), and the JSON-LD sidecar.

Presets are selected by name, papermill-style: the built-in ones
(``minimal``, ``icedig-benchmark``, ``meise-belgium-herbarium``), any
``NAME.toml`` in the user's preset folders (``$SPECPUB_PRESETS``, a
``os.pathsep``-separated list; ``~/.config/specpub/presets``; a workspace's
``records/presets``), or one registered with :func:`register_preset`. A
preset may ``extends`` another and change only what differs. Every file is
validated when loaded: an unknown key, a value of the wrong type, a licence
Zenodo does not know or a malformed template is one :class:`InputError`
naming the preset file and the key.

Examples
--------
>>> preset = load_preset("icedig-benchmark")
>>> preset.name, preset.license, preset.grants
('icedig-benchmark', 'cc-by-4.0', ('777483',))
>>> preset.title.source
'Herbarium specimen image of {scientificName}, part of the collection of {institution}'
>>> preset.institutions["BR"].name
'Meise Botanic Garden'
>>> load_preset("minimal").with_overrides(license="CC0-1.0").license
'cc0-1.0'
>>> sorted(list_presets()["name"])[:3]
['icedig-benchmark', 'meise-belgium-herbarium', 'minimal']
"""

from __future__ import annotations

import copy
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from specpub.errors import InputError
from specpub.records import vocabularies as vocab
from specpub.records.custom_fields import CUSTOM_FIELD_TYPES
from specpub.records.identifiers import orcid_ok, ror_id
from specpub.records.templates import FACTS, Template, compile_template, suggest
from specpub.workspace import Workspace

#: A workspace or the path of its folder.
WorkspaceLike = Workspace | str | os.PathLike[str]

__all__ = [
    "DECISIONS",
    "DEFAULT_PRESET",
    "CreatorSpec",
    "DescriptionPart",
    "Institution",
    "Preset",
    "RelatedSpec",
    "list_presets",
    "load_preset",
    "preset_dirs",
    "register_preset",
]

#: The preset used when none is named (it adds no grant, community or publisher).
DEFAULT_PRESET = "minimal"
#: What a preset may decide for a flagged value.
DECISIONS = ("publish", "correct", "block")
#: Pseudo-flag for a value that cannot take the type of its custom field and has no
#: quality flag of its own (e.g. ``organismQuantity = "many"``).
UNTYPEABLE = "VALUE_UNTYPEABLE"

_REGISTRY: dict[str, Path] = {}
_BUILTIN_PACKAGE = "specpub.records"


@dataclass(frozen=True)
class Institution:
    """A holding institution's name (and ROR id) in a preset's ``[institutions]`` table.

    Examples
    --------
    >>> Institution("Meise Botanic Garden").name
    'Meise Botanic Garden'
    """

    name: str
    ror: str | None = None


@dataclass(frozen=True)
class CreatorSpec:
    """A creator or contributor named in the preset (the same for every record).

    Examples
    --------
    >>> CreatorSpec("Doe, Jane", kind="personal", orcid="0000-0002-1825-0097").kind
    'personal'
    """

    name: str
    kind: str = "organizational"
    orcid: str | None = None
    ror: str | None = None
    affiliation: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class DescriptionPart:
    """One part of a description: a template shown when ``when`` names are all
    non-empty and ``unless`` names are all empty.

    Examples
    --------
    >>> DescriptionPart(compile_template("TIFF"), when=("tiff.name",)).when
    ('tiff.name',)
    """

    template: Template
    when: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()


@dataclass(frozen=True)
class RelatedSpec:
    """A related identifier built for every record from a template.

    Examples
    --------
    >>> RelatedSpec(compile_template("{references}"), "isDescribedBy").relation
    'isDescribedBy'
    """

    template: Template
    relation: str
    resource_type: str | None = None


@dataclass(frozen=True)
class Preset:
    """A validated preset. Build one with :func:`load_preset`.

    Attributes follow the TOML file's sections (see the built-in
    ``minimal.toml`` for every key with its meaning).
    """

    name: str
    source: str
    summary: str
    upload_type: str
    image_type: str | None
    publication_type: str | None
    title: Template
    description: tuple[DescriptionPart, ...]
    notes: Template | None
    publication_date: str | None
    access_right: str
    embargo_date: str | None
    license: str | None
    license_terms: tuple[str, ...]
    language: str | None
    language_terms: tuple[str, ...]
    publisher: str | None
    version: str | None
    keywords: tuple[Template, ...]
    communities: tuple[str, ...]
    grants: tuple[str, ...]
    alternate_identifiers: tuple[Template, ...]
    related_identifiers: tuple[RelatedSpec, ...]
    creators_institution: bool
    creators: tuple[CreatorSpec, ...]
    contributors: tuple[CreatorSpec, ...]
    institution_terms: tuple[str, ...]
    institution_id_terms: tuple[str, ...]
    institution_unknown: str
    institution_name: str | None
    institution_default: str | None
    institutions: Mapping[str, Institution]
    custom_terms: str | tuple[str, ...]
    custom_exclude: tuple[str, ...]
    custom_set: Mapping[str, tuple[Template, ...]]
    audubon_from_media: bool
    locations: bool
    collected_dates: bool
    flag_default: str
    flags: Mapping[str, str]
    allow_rules: tuple[str, ...]
    sidecar: bool
    sidecar_name: Template
    raw: Mapping[str, Any] = field(repr=False, default_factory=dict)

    # -- use ------------------------------------------------------------------------------
    def decision(self, flag: str) -> str:
        """What the preset does with a value carrying ``flag``.

        Examples
        --------
        >>> load_preset("icedig-benchmark").decision("GEODETIC_DATUM_INVALID")
        'correct'
        >>> load_preset("minimal").decision("CATALOG_NUMBER_DUPLICATE")
        'block'
        """
        from specpub.specimens.flags import FLAGS

        if flag in FLAGS and FLAGS[flag].severity == "error":
            return "block"
        return self.flags.get(flag, self.flag_default)

    def templates(self) -> dict[str, Template]:
        """Every template of the preset by the key it was written under.

        Examples
        --------
        >>> sorted(load_preset("minimal").templates())[:3]
        ['alternate_identifiers.0', 'description.0', 'description.1']
        """
        out: dict[str, Template] = {"title": self.title, "sidecar.name": self.sidecar_name}
        for i, part in enumerate(self.description):
            out[f"description.{i}"] = part.template
        if self.notes is not None:
            out["notes"] = self.notes
        for i, t in enumerate(self.keywords):
            out[f"keywords.{i}"] = t
        for i, t in enumerate(self.alternate_identifiers):
            out[f"alternate_identifiers.{i}"] = t
        for i, r in enumerate(self.related_identifiers):
            out[f"related_identifiers.{i}"] = r.template
        for name, values in self.custom_set.items():
            for i, t in enumerate(values):
                out[f"custom_fields.set.{name}.{i}"] = t
        return out

    def to_toml(self) -> str:
        """The preset as TOML (its resolved content, ``extends`` applied).

        Examples
        --------
        >>> "[record]" in load_preset("minimal").to_toml()
        True
        """
        return _dump_toml(self.raw)

    def with_overrides(
        self,
        *,
        institution_name: str | Mapping[str, str] | None = None,
        license: str | None = None,
        publication_date: str | None = None,
        communities: Sequence[str] = (),
        keywords: Sequence[str] = (),
        publisher: str | None = None,
        allow_rules: Sequence[str] = (),
    ) -> Preset:
        """A copy with command-line style overrides applied (what ``specpub plan``'s
        options used to set).

        ``institution_name`` is either one name, for a table of one institution,
        or a mapping ``code → name`` added to the preset's name table;
        ``allow_rules`` are preservation rule (or finding) ids whose failure does not
        block a master.

        Examples
        --------
        >>> p = load_preset("minimal").with_overrides(institution_name={"BR": "Meise"},
        ...                                           keywords=["batch-7"])
        >>> p.institutions["BR"].name, p.keywords[-1].source
        ('Meise', 'batch-7')
        """
        raw = copy.deepcopy(dict(self.raw))
        record = raw.setdefault("record", {})
        if license is not None:
            record["license"] = license
        if publication_date is not None:
            record["publication_date"] = publication_date
        if communities:
            record["communities"] = list(
                dict.fromkeys([*record.get("communities", []), *communities])
            )
        if keywords:
            escaped = [k.replace("{", "{{").replace("}", "}}") for k in keywords]
            record["keywords"] = [*record.get("keywords", []), *escaped]
        if publisher is not None:
            record["publisher"] = publisher
        if allow_rules:
            section = raw.setdefault("preservation", {})
            section["allow_rules"] = list(
                dict.fromkeys([*section.get("allow_rules", []), *allow_rules])
            )
        if isinstance(institution_name, str):
            raw.setdefault("institution", {})["name"] = institution_name
        elif institution_name:
            table = raw.setdefault("institutions", {})
            for code, name in institution_name.items():
                table[str(code)] = {"name": str(name)}
        return _build(raw, self.name, self.source)


# -- loading ------------------------------------------------------------------------------
def preset_dirs(workspace: WorkspaceLike | None = None) -> list[Path]:
    """The folders searched for ``NAME.toml`` presets, first match wins.

    ``$SPECPUB_PRESETS`` (``os.pathsep``-separated), the workspace's
    ``records/presets`` (if a workspace is given), ``$XDG_CONFIG_HOME/specpub/presets``
    (default ``~/.config/specpub/presets``); the built-in presets come last.

    Examples
    --------
    >>> preset_dirs()[-1].name
    'presets'
    """
    dirs: list[Path] = []
    env = os.environ.get("SPECPUB_PRESETS", "")
    dirs += [Path(p).expanduser() for p in env.split(os.pathsep) if p.strip()]
    if workspace is not None:
        root = Path(getattr(workspace, "root", workspace))
        dirs.append(root / "records" / "presets")
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    dirs.append(Path(config) / "specpub" / "presets")
    dirs.append(Path(str(resources.files(_BUILTIN_PACKAGE).joinpath("presets"))))
    return dirs


def register_preset(name: str, path: str | Path) -> None:
    """Make the preset file at ``path`` selectable as ``name`` (this process only).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "mine.toml"
    >>> _ = p.write_text('[preset]\\nextends = "minimal"\\n[record]\\nlicense = "cc0-1.0"\\n')
    >>> register_preset("my-herbarium", p)
    >>> load_preset("my-herbarium").license
    'cc0-1.0'
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError(
            "no preset file here", file=str(path), fix="give the path of an existing .toml file"
        )
    _REGISTRY[name] = path


def _find(name: str, workspace: Any = None) -> Path | None:
    if name in _REGISTRY:
        return _REGISTRY[name]
    for folder in preset_dirs(workspace):
        candidate = folder / f"{name}.toml"
        if candidate.is_file():
            return candidate
    return None


def list_presets(workspace: WorkspaceLike | None = None) -> pd.DataFrame:
    """Every selectable preset: ``name``, ``source`` (file), ``summary``.

    Examples
    --------
    >>> "minimal" in set(list_presets()["name"])
    True
    """
    seen: dict[str, Path] = {}
    for name, path in _REGISTRY.items():
        seen.setdefault(name, path)
    for folder in preset_dirs(workspace):
        if folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                seen.setdefault(path.stem, path)
    rows = []
    for name, path in sorted(seen.items()):
        try:
            summary = load_preset(path).summary
        except InputError as err:
            summary = f"(invalid: {err})"
        rows.append({"name": name, "source": str(path), "summary": summary})
    return pd.DataFrame(rows, columns=["name", "source", "summary"])


def load_preset(
    preset: str | os.PathLike[str] | Preset | None = None,
    *,
    workspace: WorkspaceLike | None = None,
) -> Preset:
    """Load and validate a preset by name or path (``None``: :data:`DEFAULT_PRESET`).

    Raises
    ------
    InputError
        No such preset, or the file is invalid (the message names the file and
        the key, and says how to fix it).

    Examples
    --------
    >>> load_preset("meise-belgium-herbarium").title.source
    '{scientificName} ({catalogNumber})'
    >>> load_preset("no-such-preset")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: ...no preset named 'no-such-preset'...
    """
    if isinstance(preset, Preset):
        return preset
    raw, name, source = _read(preset if preset is not None else DEFAULT_PRESET, workspace, ())
    return _build(raw, name, source)


def _read(
    preset: str | Path, workspace: Any, chain: tuple[str, ...]
) -> tuple[dict[str, Any], str, str]:
    text = str(preset)
    as_path = Path(text).expanduser()
    if as_path.suffix == ".toml" or os.sep in text or as_path.is_file():
        path = as_path
        if not path.is_file():
            raise InputError(
                "no preset file here",
                file=str(path),
                fix="check the path, or name a preset (see `specpub records --list-presets`)",
            )
        name = path.stem
    else:
        found = _find(text, workspace)
        if found is None:
            names = list(list_presets(workspace)["name"])
            raise InputError(
                f"there is no preset named {text!r}{suggest(text, names)}",
                field="preset",
                fix=f"use one of {', '.join(names)}, or the path of a .toml file",
            )
        path, name = found, text
    if str(path) in chain:
        raise InputError(
            f"the presets extend each other in a circle ({' -> '.join([*chain, str(path)])})",
            file=str(path),
            field="preset.extends",
            fix="remove one of the 'extends' keys",
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(
            f"cannot read the preset ({err.strerror or err})", file=str(path), fix="check the file"
        ) from err
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise InputError(
            f"the preset is not valid TOML ({err})",
            file=str(path),
            fix="correct the TOML syntax (strings in quotes, one key per line)",
        ) from err
    base_name = (
        (raw.get("preset") or {}).get("extends") if isinstance(raw.get("preset"), dict) else None
    )
    if base_name:
        if not isinstance(base_name, str):
            raise InputError(
                "extends must be a preset name or path",
                file=str(path),
                field="preset.extends",
                fix='write e.g. extends = "icedig-benchmark"',
            )
        base, _, _ = _read(base_name, workspace, (*chain, str(path)))
        base.pop("preset", None)
        raw = _merge(base, raw)
    raw.setdefault("preset", {})
    raw["preset"].pop("extends", None)
    raw["preset"].setdefault("name", name)
    return raw, str(raw["preset"]["name"]), str(path)


def _merge(base: dict[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in child.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


# -- validation ---------------------------------------------------------------------------
_SCHEMA: dict[str, dict[str, str]] = {
    "preset": {"name": "str", "description": "str", "extends": "str"},
    "record": {
        "upload_type": "str",
        "image_type": "str",
        "publication_type": "str",
        "title": "template",
        "description": "parts",
        "notes": "template",
        "publication_date": "str",
        "access_right": "str",
        "embargo_date": "str",
        "license": "str",
        "license_terms": "strlist",
        "language": "str",
        "language_terms": "strlist",
        "publisher": "str",
        "version": "str",
        "keywords": "templates",
        "communities": "strlist",
        "grants": "strlist",
        "alternate_identifiers": "templates",
        "related_identifiers": "related",
        "locations": "bool",
        "collected_dates": "bool",
    },
    "creators": {"institution": "bool", "list": "agents"},
    "contributors": {"list": "agents"},
    "institution": {
        "terms": "strlist",
        "id_terms": "strlist",
        "unknown": "str",
        "default": "str",
        "name": "str",
    },
    "custom_fields": {"terms": "terms", "exclude": "strlist", "set": "custom_set"},
    "audubon": {"from_media": "bool"},
    "flags": {"default": "str"},
    "preservation": {"allow_rules": "strlist"},
    "sidecar": {"enabled": "bool", "name": "template"},
    "institutions": {},
}


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str, fix: str) -> InputError:
        return InputError(message, file=self.source, field=where, fix=fix)

    def check_keys(self, raw: Mapping[str, Any]) -> None:
        for section, body in raw.items():
            homes = [name for name, keys in _SCHEMA.items() if section in keys]
            if section not in _SCHEMA and homes and not isinstance(body, Mapping):
                raise self.fail(
                    section,
                    f"{section!r} is written outside a section (it belongs in [{homes[0]}])",
                    f"write it under the section header: [{homes[0]}] then {section} = …",
                )
            if section not in _SCHEMA:
                raise self.fail(
                    section,
                    f"unknown section [{section}]{suggest(section, _SCHEMA)}",
                    f"use the sections {', '.join(_SCHEMA)}",
                )
            if not isinstance(body, Mapping):
                raise self.fail(section, f"[{section}] must be a table", f"write [{section}] …")
            if section in ("institutions", "flags"):
                continue
            allowed = _SCHEMA[section]
            for key in body:
                if key not in allowed:
                    raise self.fail(
                        f"{section}.{key}",
                        f"unknown key {key!r} in [{section}]{suggest(key, allowed)}",
                        f"the keys of [{section}] are {', '.join(allowed)}",
                    )

    def get(self, raw: Mapping[str, Any], section: str, key: str, default: Any = None) -> Any:
        value = (raw.get(section) or {}).get(key, default)
        kind = _SCHEMA[section][key]
        where = f"{section}.{key}"
        if value is None:
            return default
        if kind == "str" and not isinstance(value, str):
            raise self.fail(where, f"expected text, got {value!r}", f'quote it: {key} = "…"')
        if kind == "bool" and not isinstance(value, bool):
            raise self.fail(where, f"expected true or false, got {value!r}", "write true or false")
        if kind == "strlist" and (
            not isinstance(value, list) or not all(isinstance(v, str) for v in value)
        ):
            raise self.fail(
                where, f"expected a list of texts, got {value!r}", f'write {key} = ["…", "…"]'
            )
        return value

    def no_unknown(self, item: Mapping[str, Any], allowed: Any, where: str) -> None:
        """Refuse a key of ``item`` outside ``allowed`` (the error names the closest key)."""
        unknown = sorted(set(item) - set(allowed))
        if unknown:
            key = unknown[0]
            raise self.fail(
                f"{where}.{key}",
                f"unknown key {key!r}{suggest(key, allowed)}",
                f"use {', '.join(sorted(allowed))}",
            )

    def template(self, value: Any, where: str) -> Template:
        if not isinstance(value, str):
            raise self.fail(where, f"expected a template text, got {value!r}", "quote it")
        try:
            template = compile_template(value, where=where)
        except InputError as err:
            raise InputError(err.message, file=self.source, field=where, fix=err.fix) from err
        for name in template.names:
            self.check_name(name, where)
        return template

    def check_name(self, name: str, where: str) -> None:
        head = name.split(".", 1)[0]
        if "." in name and head not in ("verbatim",) and name not in FACTS:
            facts = sorted(f for f in FACTS if f.startswith(head + ".")) or sorted(FACTS)
            raise self.fail(
                where,
                f"{{{name}}} names no fact{suggest(name, facts)}",
                f"use a Darwin Core term, a column, or one of {', '.join(facts[:8])} …",
            )

    def agents(self, value: Any, where: str, *, role: bool) -> tuple[CreatorSpec, ...]:
        if not isinstance(value, list):
            raise self.fail(where, "expected a list of tables", 'write list = [{name = "…"}]')
        out = []
        keys = {"name", "type", "orcid", "ror", "affiliation"} | ({"role"} if role else set())
        for i, item in enumerate(value):
            here = f"{where}.{i}"
            if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
                raise self.fail(here, "each entry needs a name", 'write {name = "Doe, Jane"}')
            self.no_unknown(item, keys, here)
            kind = item.get("type", "personal" if "orcid" in item else "organizational")
            if kind not in ("personal", "organizational"):
                raise self.fail(
                    f"{here}.type", f"type {kind!r} is not personal or organizational", "fix it"
                )
            orcid = item.get("orcid")
            if orcid is not None and not orcid_ok(str(orcid)):
                raise self.fail(
                    f"{here}.orcid",
                    f"{orcid!r} is not a valid ORCID iD (wrong format or check digit)",
                    "copy the iD from orcid.org (0000-0000-0000-000X)",
                )
            ror = item.get("ror")
            if ror is not None and ror_id(str(ror)) is None:
                raise self.fail(f"{here}.ror", f"{ror!r} is not a ROR id", "e.g. 00wge5k78")
            the_role = item.get("role")
            if role:
                if not isinstance(the_role, str) or the_role.lower() not in vocab.ROLES:
                    raise self.fail(
                        f"{here}.role",
                        f"role {the_role!r} is not a Zenodo contributor type",
                        f"use one of {', '.join(vocab.CONTRIBUTOR_TYPES)}",
                    )
                the_role = vocab.ROLES[the_role.lower()]
            out.append(
                CreatorSpec(
                    name=item["name"].strip(),
                    kind=kind,
                    orcid=str(orcid) if orcid else None,
                    ror=ror_id(str(ror)) if ror else None,
                    affiliation=item.get("affiliation"),
                    role=the_role,
                )
            )
        return tuple(out)


def _build(raw: Mapping[str, Any], name: str, source: str) -> Preset:
    c = _Checker(source)
    c.check_keys(raw)
    g = c.get
    upload_type = g(raw, "record", "upload_type", "image")
    if upload_type not in vocab.UPLOAD_TYPES:
        raise c.fail(
            "record.upload_type",
            f"{upload_type!r} is not a Zenodo upload type"
            + suggest(upload_type, vocab.UPLOAD_TYPES),
            f"use one of {', '.join(sorted(vocab.UPLOAD_TYPES))}",
        )
    image_type = g(raw, "record", "image_type", "photo" if upload_type == "image" else None)
    if upload_type == "image" and image_type not in vocab.IMAGE_TYPES:
        raise c.fail(
            "record.image_type",
            f"{image_type!r} is not a Zenodo image type",
            f"use one of {', '.join(sorted(vocab.IMAGE_TYPES))}",
        )
    publication_type = g(raw, "record", "publication_type")
    if upload_type == "publication" and publication_type not in vocab.PUBLICATION_TYPES:
        raise c.fail(
            "record.publication_type",
            f"{publication_type!r} is not a Zenodo publication type",
            f"use one of {', '.join(sorted(vocab.PUBLICATION_TYPES))}",
        )
    title = c.template(g(raw, "record", "title", "{scientificName|catalogNumber}"), "record.title")
    description = _description(c, (raw.get("record") or {}).get("description"))
    notes_raw = g(raw, "record", "notes")
    notes = c.template(notes_raw, "record.notes") if notes_raw else None
    pub_date = g(raw, "record", "publication_date") or None
    if pub_date is not None:
        try:
            date.fromisoformat(pub_date)
        except ValueError:
            raise c.fail(
                "record.publication_date",
                f"{pub_date!r} is not a date",
                "write YYYY-MM-DD, or leave it empty for the day the records are built",
            ) from None
    access = g(raw, "record", "access_right", "open")
    if access not in vocab.ACCESS_RIGHTS:
        raise c.fail(
            "record.access_right",
            f"{access!r} is not an access right",
            f"use one of {', '.join(vocab.ACCESS_RIGHTS)}",
        )
    embargo = g(raw, "record", "embargo_date") or None
    if access == "embargoed":
        try:
            date.fromisoformat(embargo or "")
        except ValueError:
            raise c.fail(
                "record.embargo_date",
                "an embargoed record needs embargo_date (YYYY-MM-DD)",
                'add embargo_date = "YYYY-MM-DD"',
            ) from None
    license_raw = g(raw, "record", "license", "cc-by-4.0")
    lic = vocab.license_id(license_raw) if license_raw else None
    if license_raw and lic is None:
        raise c.fail(
            "record.license",
            f"{license_raw!r} is not a licence in Zenodo's vocabulary",
            "use an SPDX id such as cc-by-4.0, cc-by-sa-4.0 or cc0-1.0",
        )
    language = g(raw, "record", "language") or None
    if language is not None and vocab.language_id(language) is None:
        raise c.fail(
            "record.language",
            f"{language!r} is not an ISO 639 language code",
            "use a code such as eng, fra, lat (or und)",
        )
    grants = tuple(g(raw, "record", "grants", []))
    for i, grant in enumerate(grants):
        funder, sep, number = grant.rpartition("::")
        if not number.strip() or (sep and funder not in vocab.FUNDERS):
            raise c.fail(
                f"record.grants.{i}",
                f"{grant!r} is not a grant Zenodo accepts",
                "write the EC grant number (777483) or 'FUNDER-DOI::NUMBER' for a funder Zenodo "
                f"knows ({', '.join(vocab.FUNDERS)})",
            )
    communities = tuple(g(raw, "record", "communities", []))
    for i, slug in enumerate(communities):
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", slug):
            raise c.fail(
                f"record.communities.{i}",
                f"{slug!r} is not a community identifier",
                "use the community's slug (lower case, as in zenodo.org/communities/SLUG)",
            )
    keywords = tuple(
        c.template(t, f"record.keywords.{i}")
        for i, t in enumerate(_list(c, raw, "record", "keywords"))
    )
    alternate = tuple(
        c.template(t, f"record.alternate_identifiers.{i}")
        for i, t in enumerate(_list(c, raw, "record", "alternate_identifiers"))
    )
    related = _related(c, (raw.get("record") or {}).get("related_identifiers", []))
    creators_raw = raw.get("creators") or {}
    creators = c.agents(creators_raw.get("list", []), "creators.list", role=False)
    contributors = c.agents(
        (raw.get("contributors") or {}).get("list", []), "contributors.list", role=True
    )
    creators_institution = g(raw, "creators", "institution", True)
    if not creators_institution and not creators:
        raise c.fail(
            "creators",
            "the records would have no creator",
            "set institution = true or give a creators list",
        )
    inst = raw.get("institution") or {}
    unknown = g(raw, "institution", "unknown", "code")
    if unknown not in ("code", "block"):
        raise c.fail(
            "institution.unknown",
            f"{unknown!r} is not 'code' or 'block'",
            "code: use the institution code as the creator's name; block: do not publish",
        )
    institutions = _institutions(c, raw.get("institutions") or {})
    single_name = inst.get("name")
    if single_name is not None:
        c.get(raw, "institution", "name")
    custom = raw.get("custom_fields") or {}
    terms = custom.get("terms", "all")
    if terms != "all":
        if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
            raise c.fail(
                "custom_fields.terms",
                f'expected "all" or a list of terms, got {terms!r}',
                'write terms = "all" or terms = ["catalogNumber", …]',
            )
        for t in terms:
            _custom_name(c, t, "custom_fields.terms")
        terms = tuple(terms)
    exclude = tuple(g(raw, "custom_fields", "exclude", []))
    custom_set = _custom_set(c, custom.get("set") or {})
    flags = _flags(c, raw.get("flags") or {})
    raw.get("sidecar") or {}
    return Preset(
        name=name,
        source=source,
        summary=g(raw, "preset", "description", "") or "",
        upload_type=upload_type,
        image_type=image_type if upload_type == "image" else None,
        publication_type=publication_type if upload_type == "publication" else None,
        title=title,
        description=description,
        notes=notes,
        publication_date=pub_date,
        access_right=access,
        embargo_date=embargo,
        license=lic,
        license_terms=tuple(g(raw, "record", "license_terms", ["license"])),
        language=vocab.language_id(language) if language else None,
        language_terms=tuple(g(raw, "record", "language_terms", ["language"])),
        publisher=g(raw, "record", "publisher") or None,
        version=g(raw, "record", "version") or None,
        keywords=keywords,
        communities=communities,
        grants=grants,
        alternate_identifiers=alternate,
        related_identifiers=related,
        creators_institution=creators_institution,
        creators=creators,
        contributors=contributors,
        institution_terms=tuple(
            g(raw, "institution", "terms", ["institutionCode", "ownerInstitutionCode"])
        ),
        institution_id_terms=tuple(g(raw, "institution", "id_terms", ["institutionID"])),
        institution_unknown=unknown,
        institution_name=single_name or None,
        institution_default=g(raw, "institution", "default") or None,
        institutions=institutions,
        custom_terms=terms,
        custom_exclude=exclude,
        custom_set=custom_set,
        audubon_from_media=g(raw, "audubon", "from_media", True),
        locations=g(raw, "record", "locations", True),
        collected_dates=g(raw, "record", "collected_dates", True),
        flag_default=flags.pop("default", "publish"),
        flags=flags,
        allow_rules=tuple(g(raw, "preservation", "allow_rules", [])),
        sidecar=g(raw, "sidecar", "enabled", True),
        sidecar_name=c.template(
            g(raw, "sidecar", "name", "{catalogNumber}.jsonld"), "sidecar.name"
        ),
        raw=copy.deepcopy(dict(raw)),
    )


def _list(c: _Checker, raw: Mapping[str, Any], section: str, key: str) -> list[Any]:
    value = (raw.get(section) or {}).get(key, [])
    if not isinstance(value, list):
        raise c.fail(f"{section}.{key}", f"expected a list, got {value!r}", f"write {key} = [ … ]")
    return value


def _description(c: _Checker, value: Any) -> tuple[DescriptionPart, ...]:
    if value is None:
        value = ["{scientificName|catalogNumber}"]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise c.fail(
            "record.description",
            "expected a template or a list of parts",
            'write description = ["<p>…</p>", {text = "…", when = "tiff.name"}]',
        )
    parts = []
    for i, item in enumerate(value):
        where = f"record.description.{i}"
        if isinstance(item, str):
            parts.append(DescriptionPart(c.template(item, where)))
            continue
        if not isinstance(item, Mapping) or "text" not in item:
            raise c.fail(where, "each part is a text or {text = …, when = …}", "add text = …")
        c.no_unknown(item, ("text", "when", "unless"), where)
        conds = {}
        for key in ("when", "unless"):
            names = item.get(key, [])
            names = [names] if isinstance(names, str) else names
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise c.fail(f"{where}.{key}", "expected a name or a list of names", "fix it")
            for n in names:
                c.check_name(n, f"{where}.{key}")
            conds[key] = tuple(names)
        parts.append(DescriptionPart(c.template(item["text"], f"{where}.text"), **conds))
    return tuple(parts)


def _related(c: _Checker, value: Any) -> tuple[RelatedSpec, ...]:
    if not isinstance(value, list):
        raise c.fail(
            "record.related_identifiers",
            "expected a list of tables",
            'write related_identifiers = [{identifier = "{references}", relation = "…"}]',
        )
    out = []
    for i, item in enumerate(value):
        where = f"record.related_identifiers.{i}"
        if not isinstance(item, Mapping) or "identifier" not in item or "relation" not in item:
            raise c.fail(where, "each entry needs identifier and relation", "add them")
        c.no_unknown(item, ("identifier", "relation", "resource_type"), where)
        relation = str(item["relation"])
        if relation.lower() not in vocab.RELATION_TYPES:
            raise c.fail(
                f"{where}.relation",
                f"{relation!r} is not a relation type"
                + suggest(relation, vocab.RELATION_TYPES.values()),
                "use e.g. isDescribedBy, isDerivedFrom, isIdenticalTo",
            )
        rtype = item.get("resource_type")
        if rtype is not None and rtype not in vocab.RESOURCE_TYPES:
            raise c.fail(f"{where}.resource_type", f"{rtype!r} is not a resource type", "fix it")
        out.append(
            RelatedSpec(
                c.template(item["identifier"], f"{where}.identifier"),
                vocab.RELATION_TYPES[relation.lower()],
                rtype,
            )
        )
    return tuple(out)


def _institutions(c: _Checker, value: Mapping[str, Any]) -> dict[str, Institution]:
    out = {}
    for code, entry in value.items():
        where = f"institutions.{code}"
        if isinstance(entry, str):
            entry = {"name": entry}
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            raise c.fail(where, "each institution needs a name", f'write {code} = {{name = "…"}}')
        c.no_unknown(entry, ("name", "ror"), where)
        ror = entry.get("ror")
        if ror is not None and ror_id(str(ror)) is None:
            raise c.fail(f"{where}.ror", f"{ror!r} is not a ROR id", "e.g. 00wge5k78")
        out[str(code)] = Institution(entry["name"].strip(), ror_id(str(ror)) if ror else None)
    return out


def _custom_name(c: _Checker, term: str, where: str) -> str:
    from specpub.records.custom_fields import field_name

    name = field_name(term)
    if name not in CUSTOM_FIELD_TYPES:
        raise c.fail(
            where,
            f"Zenodo has no custom field {name!r}{suggest(name, CUSTOM_FIELD_TYPES)}",
            "values of other terms travel in the JSON-LD sidecar; list only Zenodo's fields",
        )
    return name


def _custom_set(c: _Checker, value: Any) -> dict[str, tuple[Template, ...]]:
    if not isinstance(value, Mapping):
        raise c.fail("custom_fields.set", "expected a table", '[custom_fields.set] "ac:…" = "…"')
    out = {}
    for term, templates in value.items():
        where = f"custom_fields.set.{term}"
        name = _custom_name(c, term, where)
        items = [templates] if isinstance(templates, str) else templates
        if not isinstance(items, list):
            raise c.fail(where, "expected a template or a list of templates", "quote it")
        out[name] = tuple(c.template(t, f"{where}.{i}") for i, t in enumerate(items))
    return out


def _flags(c: _Checker, value: Mapping[str, Any]) -> dict[str, str]:
    from specpub.specimens.flags import FLAGS

    known = {*FLAGS, UNTYPEABLE, "default"}
    out = {}
    for flag, decision in value.items():
        where = f"flags.{flag}"
        if flag not in known:
            raise c.fail(
                where,
                f"unknown flag {flag!r}{suggest(flag, known)}",
                "use a flag id of specpub.specimens.FLAGS (see specimens/flags.csv) or 'default'",
            )
        if decision not in DECISIONS:
            raise c.fail(
                where, f"{decision!r} is not a decision", f"use one of {', '.join(DECISIONS)}"
            )
        if flag in FLAGS and FLAGS[flag].severity == "error" and decision != "block":
            raise c.fail(
                where,
                f"{flag} always blocks the record (it breaks the record's identity)",
                "remove this line; correct the table instead",
            )
        if flag == UNTYPEABLE and decision == "publish":
            raise c.fail(
                where,
                "a value that cannot take its field's type cannot be published as it is "
                "(Zenodo drops it)",
                "use correct (the value stays in the sidecar) or block",
            )
        out[flag] = decision
    return out


# -- TOML output --------------------------------------------------------------------------
def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_value(key)


def _dump_toml(raw: Mapping[str, Any]) -> str:
    lines: list[str] = []
    for section, body in raw.items():
        if not isinstance(body, Mapping):
            continue
        lines.append(f"[{_toml_key(section)}]")
        nested = []
        for key, value in body.items():
            if isinstance(value, Mapping) and section == "custom_fields":
                nested.append((key, value))
                continue
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
        for key, value in nested:
            lines.append(f"\n[{_toml_key(section)}.{_toml_key(key)}]")
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()]
        lines.append("")
    return "\n".join(lines)
