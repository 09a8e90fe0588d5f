"""Policy profiles: TOML files that say, per rule, fail / warn / info / off.

Built in (``src/specpub/preservation/_profiles/*.toml``):

``structure``
    identification and structure only — JHOVE-like well-formed and valid, no policy.
``master`` (the default)
    preservation masters: lossless TIFF, PNG or JPEG 2000; 8 or 16 bits per sample;
    RGB or greyscale with an embedded ICC profile; resolution recorded, ≥ 300 ppi.
``master-strict``
    Metamorfoze Full / SLUB-like: uncompressed, 16 bits, no alpha.
``access``
    access derivatives (JPEG …): structure must hold; policy warns.
``herbarium-master``
    ``master`` + ≥ 600 ppi (warn), pixels enough for a sheet, barcode in the file name,
    rights and capture provenance embedded.

A profile file looks like this (every key optional except ``[profile] name``)::

    [profile]
    name = "our-masters"
    extends = "master"              # start from another profile
    description = "the museum's hand-over rules"

    [rules]
    "RES-02" = { severity = "fail", min_ppi = 400 }   # a severity and parameters
    "COL-05" = "off"                                  # or just a severity
    "CMP-01" = { severity = "fail", allowed = [1] }

    [findings]                      # override single structural finding ids
    "TIF-22" = "warn"               # like JHOVE's byteoffset=true

Profiles are found by name in, in this order: the folders of ``SPECPUB_PROFILES``
(``:``-separated), ``~/.config/specpub/profiles``, the workspace's
``preservation/profiles`` folder when one is given, then the built-in ones; or
given as a path to a ``.toml`` file. :func:`register_profile` adds one from
Python.

Examples
--------
>>> p = get_profile("herbarium-master")
>>> p.severity_of("RES-03"), p.params["RES-03"]["min_ppi"], p.severity_of("RES-02")
('warn', 600, 'fail')
>>> sorted(profiles())
['access', 'herbarium-master', 'master', 'master-strict', 'structure']
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specpub.errors import InputError
from specpub.preservation.findings import FINDING_TYPES
from specpub.preservation.policy import RULES

__all__ = [
    "DEFAULT_PROFILE",
    "Profile",
    "get_profile",
    "profiles",
    "register_profile",
    "unregister_profile",
]

#: The profile used when none is named.
DEFAULT_PROFILE = "master"
SEVERITIES = ("fail", "warn", "info", "off")
_BUILTIN = Path(__file__).with_name("_profiles")
_STRUCTURAL_RULES = {"INT-01", "INT-02", "INT-03", "INT-04", "INT-05", "INT-06", "MD-01"}
_REGISTERED: dict[str, Profile] = {}
# Parsed profile files by (path, mtime, workspace, chain): an edited file is read again.
_CACHE: dict[tuple[Any, ...], Profile] = {}


@dataclass(frozen=True)
class Profile:
    """A resolved policy profile.

    Attributes
    ----------
    name, description
        As in the file.
    rules
        Rule id → severity (``fail``, ``warn``, ``info``, ``off``; ``tier`` for the
        structural rules, keeping each finding's own tier).
    params
        Rule id → parameters that differ from the rule's defaults.
    findings
        Structural finding id → severity override.
    source
        Where the profile came from (file path, ``builtin:NAME`` or ``python``).
    chain
        The names of the profiles it extends, nearest first.

    Examples
    --------
    >>> Profile("x", rules={"RES-02": "warn"}).severity_of("RES-02")
    'warn'
    >>> Profile("x").severity_of("RES-02")
    'off'
    """

    name: str
    description: str = ""
    rules: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    findings: Mapping[str, str] = field(default_factory=dict)
    source: str = "python"
    chain: tuple[str, ...] = ()

    def severity_of(self, rule_id: str, default: str | None = None) -> str:
        """The profile's severity for a rule (``default``, else ``off``, when it is silent)."""
        return self.rules.get(rule_id, default if default is not None else "off")

    def parameters(self, rule_id: str) -> dict[str, Any]:
        """The rule's defaults merged with this profile's parameters.

        Examples
        --------
        >>> get_profile("master").parameters("RES-02")
        {'min_ppi': 300}
        """
        rule = RULES.get(rule_id)
        return {**(rule.defaults if rule else {}), **self.params.get(rule_id, {})}

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready description (recorded with every report).

        Examples
        --------
        >>> get_profile("structure").as_dict()["name"]
        'structure'
        """
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "extends": list(self.chain),
            "rules": {
                rid: {"severity": sev, **self.parameters(rid)} for rid, sev in self.rules.items()
            },
            "findings": dict(self.findings),
        }

    def to_toml(self) -> str:
        """The resolved profile as a TOML file (a starting point for your own).

        Examples
        --------
        >>> "[rules]" in get_profile("access").to_toml()
        True
        """
        lines = [
            "[profile]",
            f'name = "{self.name}-custom"',
            f'description = "based on {self.name}"',
            "",
            "[rules]",
        ]
        for rid, sev in self.rules.items():
            params = self.parameters(rid)
            if params:
                inner = ", ".join(f"{k} = {_toml_value(v)}" for k, v in params.items())
                lines.append(f'"{rid}" = {{ severity = "{sev}", {inner} }}')
            else:
                lines.append(f'"{rid}" = "{sev}"')
        if self.findings:
            lines += ["", "[findings]"] + [f'"{k}" = "{v}"' for k, v in self.findings.items()]
        return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "'" + value + "'" if "'" not in value else '"' + value.replace('"', '\\"') + '"'
    return "[" + ", ".join(_toml_value(v) for v in value) + "]"


def register_profile(profile: Profile, *, replace: bool = False) -> Profile:
    """Register a profile built in Python under its name.

    Examples
    --------
    >>> p = register_profile(Profile("demo", rules={"RES-02": "warn"}), replace=True)
    >>> get_profile("demo").severity_of("RES-02")
    'warn'
    >>> unregister_profile("demo")
    """
    if not replace and profile.name in _REGISTERED:
        raise ValueError(f"a profile named {profile.name!r} is already registered")
    _REGISTERED[profile.name] = profile
    return profile


def unregister_profile(name: str) -> None:
    """Remove a profile registered from Python (built-in and file profiles stay).

    Examples
    --------
    >>> unregister_profile("never-registered")
    """
    _REGISTERED.pop(name, None)


def _search_dirs(workspace: Any = None) -> list[Path]:
    dirs = [Path(p) for p in os.environ.get("SPECPUB_PROFILES", "").split(os.pathsep) if p]
    dirs.append(Path.home() / ".config" / "specpub" / "profiles")
    if workspace is not None:
        dirs.append(Path(os.fspath(workspace)) / "preservation" / "profiles")
    dirs.append(_BUILTIN)
    return dirs


def profiles(workspace: Any = None) -> dict[str, str]:
    """Every profile that can be named: name → where it comes from.

    Examples
    --------
    >>> profiles()["master"]
    'builtin:master'
    """
    found: dict[str, str] = {}
    for folder in reversed(_search_dirs(workspace)):
        if folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                found[path.stem] = f"builtin:{path.stem}" if folder == _BUILTIN else str(path)
    found.update({name: "python" for name in _REGISTERED})
    return found


def get_profile(
    name_or_path: str | os.PathLike[str] | Profile | None = None, *, workspace: Any = None
) -> Profile:
    """Load a profile by name or from a ``.toml`` file.

    Parameters
    ----------
    name_or_path
        A profile name (``master``, ``access`` …), a path to a TOML file, a
        :class:`Profile` (returned as is), or ``None`` for :data:`DEFAULT_PROFILE`.
    workspace
        A workspace folder whose ``preservation/profiles`` is searched too.

    Raises
    ------
    InputError
        Unknown name, unreadable or invalid file (the message names the file and key).

    Examples
    --------
    >>> get_profile("nope")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: no profile named 'nope'. Fix: use one of: access, ...
    """
    if isinstance(name_or_path, Profile):
        return name_or_path
    return _load(os.fspath(name_or_path or DEFAULT_PROFILE), workspace, ())


def _locate(name: str, workspace: Any) -> Path | None:
    if name.endswith(".toml") or os.sep in name or "/" in name:
        path = Path(name).expanduser()
        if not path.is_file():
            raise InputError(
                "the profile file does not exist",
                file=str(path),
                fix="check the path, or give a profile name "
                f"({', '.join(sorted(profiles(workspace)))})",
            )
        return path
    for folder in _search_dirs(workspace):
        path = folder / f"{name}.toml"
        if path.is_file():
            return path
    return None


def _load(name: str, workspace: Any, seen: tuple[str, ...]) -> Profile:
    if name in seen:
        raise InputError(
            f"profiles extend each other in a loop: {' → '.join((*seen, name))}",
            fix="remove one of the 'extends' keys",
        )
    path = _locate(name, workspace)
    if path is None:
        if name in _REGISTERED:
            return _REGISTERED[name]
        names = ", ".join(sorted(profiles(workspace))[:2])
        raise InputError(
            f"no profile named {name!r}",
            fix=f"use one of: {names}, ... (specpub validate --list-profiles), "
            "or give a .toml file",
        )
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = 0
    cache_key = (str(path.resolve()), stamp, str(workspace), seen[:-1])
    if cache_key in _CACHE:
        return _CACHE[cache_key]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(
            f"cannot read the profile ({err})",
            file=str(path),
            fix="check the file's permissions and encoding (UTF-8)",
        ) from err
    except tomllib.TOMLDecodeError as err:
        raise InputError(
            f"the profile is not valid TOML ({err})",
            file=str(path),
            fix='correct the TOML syntax (keys with dashes need quotes: "RES-02" = "warn")',
        ) from err
    profile = _parse(data, str(path), workspace, (*seen, name))
    if len(_CACHE) > 256:
        _CACHE.clear()
    _CACHE[cache_key] = profile
    return profile


def _parse(data: dict[str, Any], source: str, workspace: Any, seen: tuple[str, ...]) -> Profile:
    head = data.get("profile", {})
    if not isinstance(head, dict) or not head.get("name"):
        raise InputError(
            "the profile has no [profile] name",
            file=source,
            fix='start the file with [profile] and name = "…"',
        )
    unknown_tables = set(data) - {"profile", "rules", "findings"}
    if unknown_tables:
        raise InputError(
            f"unknown table(s) {', '.join(sorted(unknown_tables))}",
            file=source,
            fix="use only [profile], [rules] and [findings]",
        )
    base = None
    if head.get("extends"):
        base = _load(str(head["extends"]), workspace, seen)
    rules = dict(base.rules) if base else {}
    params = {k: dict(v) for k, v in base.params.items()} if base else {}
    findings = dict(base.findings) if base else {}
    for rid, spec in (data.get("rules") or {}).items():
        if rid not in RULES:
            raise InputError(
                f"unknown rule {rid!r}",
                file=source,
                field=f"rules.{rid}",
                fix=f"use one of: {', '.join(RULES)}",
            )
        if isinstance(spec, str):
            sev, extra = spec, {}
        elif isinstance(spec, dict):
            extra = dict(spec)
            sev = str(extra.pop("severity", rules.get(rid, "fail")))
        else:
            raise InputError(
                f"rule {rid!r} must be a severity or a table",
                file=source,
                field=f"rules.{rid}",
                fix='write "fail", "warn", "info" or "off"',
            )
        allowed = (*SEVERITIES, "tier") if rid in _STRUCTURAL_RULES else SEVERITIES
        if sev not in allowed:
            raise InputError(
                f"rule {rid!r} has severity {sev!r}",
                file=source,
                field=f"rules.{rid}",
                fix=f"use one of: {', '.join(allowed)}",
            )
        defaults = RULES[rid].defaults
        for key, value in extra.items():
            if key not in defaults:
                raise InputError(
                    f"rule {rid!r} has no parameter {key!r}",
                    file=source,
                    field=f"rules.{rid}.{key}",
                    fix=f"its parameters are: {', '.join(defaults) or 'none'}",
                )
            if not _same_kind(defaults[key], value):
                raise InputError(
                    f"parameter {key!r} of rule {rid!r} should be like "
                    f"{defaults[key]!r}, not {value!r}",
                    file=source,
                    field=f"rules.{rid}.{key}",
                    fix="correct the value's type",
                )
        rules[rid] = sev
        if extra:
            params[rid] = {**params.get(rid, {}), **extra}
    for fid, sev in (data.get("findings") or {}).items():
        if fid not in FINDING_TYPES and not fid.startswith("ID-"):
            raise InputError(
                f"unknown finding id {fid!r}",
                file=source,
                field=f"findings.{fid}",
                fix="use a structural finding id (see docs: TIF-01 … JP2-13)",
            )
        if sev not in SEVERITIES:
            raise InputError(
                f"finding {fid!r} has severity {sev!r}",
                file=source,
                field=f"findings.{fid}",
                fix=f"use one of: {', '.join(SEVERITIES)}",
            )
        findings[fid] = sev
    where = f"builtin:{head['name']}" if Path(source).parent == _BUILTIN else source
    return Profile(
        name=str(head["name"]),
        description=str(head.get("description", "")),
        rules=rules,
        params=params,
        findings=findings,
        source=where,
        chain=((base.name, *base.chain) if base else ()),
    )


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, list):
        return isinstance(value, list)
    return True
