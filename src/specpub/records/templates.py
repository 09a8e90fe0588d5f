"""Templates of preset fields: Darwin Core terms, media facts and optional parts.

Syntax (``docs`` in the preset files repeat it):

``{name}``
    the value of a Darwin Core term or table column (``{scientificName}``,
    ``{setID}``), a prefixed term (``{dwc:family}``), or a fact
    (``{institution}``, ``{master.width}``, ``{files.count}``, see
    :data:`FACTS`). ``{verbatim.eventDate}`` is the value exactly as the table
    gave it (before specpub normalised or corrected it).
``{name?}``
    an optional column: empty when the table has no such column (without ``?``,
    a name that is neither a column, a Darwin Core term nor a fact is an error).
``{a|b|"text"}``
    the first non-empty of ``a``, ``b``, or the literal ``text``.
``[[ … ]]``
    an optional part: dropped when any placeholder directly inside it is
    empty (``"Herbarium sheet[[ of {scientificName}]]"``). Parts nest.
``{{`` and ``}}``
    literal braces.

A template is compiled once (:func:`compile_template`), its names are checked
against the table when records are built, and rendering is a walk over a few
nodes per record.

Examples
--------
>>> t = compile_template("Herbarium specimen image of {scientificName}"
...                      "[[, part of the collection of {institution}]]")
>>> sorted(t.names)
['institution', 'scientificName']
>>> t.render({"scientificName": "Quercus robur L.", "institution": "Meise Botanic Garden"}.get)
'Herbarium specimen image of Quercus robur L., part of the collection of Meise Botanic Garden'
>>> t.render({"scientificName": "Quercus robur L."}.get)
'Herbarium specimen image of Quercus robur L.'
>>> compile_template("{a|b|'none'}").render({"b": "B"}.get)
'B'
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from specpub.errors import InputError

__all__ = ["FACTS", "FACT_GROUPS", "Template", "compile_template", "suggest"]

#: Groups of files a fact can name (``{master.name}``, ``{tiff.width}``, ``{image.count}``):
#: file roles as linked (master, access, label, segmentation, other), formats (tiff,
#: jpeg, png, jp2, dng), ``image`` (any image file) and ``sidecar`` (the JSON-LD file).
FACT_GROUPS = (
    "master",
    "access",
    "label",
    "segmentation",
    "other",
    "tiff",
    "jpeg",
    "png",
    "jp2",
    "dng",
    "image",
    "sidecar",
)
#: Attributes of a file group (the first file of the group, except ``count`` and ``names``).
FILE_FACTS = (
    "name",
    "names",
    "count",
    "format",
    "mime",
    "size",
    "width",
    "height",
    "pixels",
    "bits",
    "colour",
    "compression",
    "ppi",
    "icc",
    "device",
    "created",
    "md5",
    "sha256",
)
#: Facts that are not a file group's: the holding institution, counts of files,
#: dates of the record.
FACTS = frozenset(
    {
        "institution",
        "institution.name",
        "institution.code",
        "institution.ror",
        "institution.id",
        "files.count",
        "files.names",
        "publication_date",
        "record.row",
    }
    | {f"{g}.{a}" for g in FACT_GROUPS for a in FILE_FACTS}
)

_NAME = r"[A-Za-z_][A-Za-z0-9_.:\-]*\??"
_FIELD = re.compile(r"\{\s*([^{}]*?)\s*\}")
_LITERAL = re.compile(r"""^(?:"([^"]*)"|'([^']*)')$""")


def suggest(name: str, candidates: object) -> str:
    """``" (did you mean 'x'?)"`` for the closest candidate, or ``""``.

    Examples
    --------
    >>> suggest("scientificname", ["scientificName", "family"])
    " (did you mean 'scientificName'?)"
    """
    pool = {str(c).lower(): str(c) for c in candidates}  # type: ignore[attr-defined]
    hits = difflib.get_close_matches(name.lower(), list(pool), n=1, cutoff=0.75)
    return f" (did you mean {pool[hits[0]]!r}?)" if hits else ""


@dataclass(frozen=True)
class _Field:
    names: tuple[str, ...]
    literal: str = ""


@dataclass(frozen=True)
class _Group:
    nodes: tuple[object, ...]


@dataclass(frozen=True)
class Template:
    """A compiled template (see the module docstring for the syntax).

    Attributes
    ----------
    source
        The text it was compiled from.
    names
        Every name a placeholder refers to.
    """

    source: str
    nodes: tuple[object, ...]
    names: frozenset[str] = field(default_factory=frozenset)

    @property
    def constant(self) -> bool:
        """Whether the template has no placeholder (renders the same for every record).

        Examples
        --------
        >>> compile_template("herbarium").constant, compile_template("{family}").constant
        (True, False)
        """
        return not self.names

    def render(self, lookup: Callable[[str], str | None], *, escape: bool = False) -> str:
        """Render with ``lookup(name)`` giving each value (``None``/``""`` = empty).

        ``escape=True`` HTML-escapes the values (not the template's own text),
        for fields that Zenodo shows as HTML (the description).

        Examples
        --------
        >>> compile_template("<i>{n}</i>").render({"n": "<b>"}.get, escape=True)
        '<i>&lt;b&gt;</i>'
        """
        text, _ = _render(self.nodes, lookup, escape)
        return text


def _render(
    nodes: tuple[object, ...], lookup: Callable[[str], str | None], escape: bool
) -> tuple[str, bool]:
    """Text and whether every direct placeholder had a value."""
    out: list[str] = []
    complete = True
    for node in nodes:
        if type(node) is str:
            out.append(node)
        elif type(node) is _Field:
            value = ""
            for name in node.names:
                got = lookup(name)
                if got:
                    value = got
                    break
            else:
                value = node.literal
            if not value:
                complete = False
            out.append(html.escape(value, quote=False) if escape else value)
        else:
            text, ok = _render(node.nodes, lookup, escape)  # type: ignore[attr-defined]
            if ok:
                out.append(text)
    return "".join(out), complete


def _parse_field(body: str, where: str) -> _Field:
    names: list[str] = []
    literal = ""
    parts = [p.strip() for p in body.split("|")]
    for i, part in enumerate(parts):
        lit = _LITERAL.match(part)
        if lit:
            if i != len(parts) - 1:
                raise InputError(
                    f"the literal {part} must come last in {{{body}}}",
                    field=where,
                    fix='write {a|b|"text"}: names first, then at most one quoted text',
                )
            literal = lit.group(1) if lit.group(1) is not None else lit.group(2)
            continue
        if not re.fullmatch(_NAME, part):
            raise InputError(
                f"{{{body}}} is not a valid placeholder",
                field=where,
                fix="name a Darwin Core term, a table column or a fact, e.g. {scientificName}; "
                "write {{ and }} for literal braces",
            )
        names.append(part)
    return _Field(tuple(names), literal)


def compile_template(source: str, *, where: str = "template") -> Template:
    """Compile a template; an :class:`InputError` naming ``where`` if it is malformed.

    Examples
    --------
    >>> compile_template("[[ {a} ").names
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: field 'template': '[[' at character 1 is never closed. Fix: ...
    """
    if not isinstance(source, str):
        raise InputError(
            f"expected text, got {type(source).__name__} {source!r}",
            field=where,
            fix="quote the template in the preset file",
        )
    stack: list[list[object]] = [[]]
    opened: list[int] = []
    names: set[str] = set()
    i, n = 0, len(source)
    buf: list[str] = []

    def flush() -> None:
        if buf:
            stack[-1].append("".join(buf))
            buf.clear()

    while i < n:
        two = source[i : i + 2]
        if two in ("{{", "}}"):
            buf.append(two[0])
            i += 2
        elif two == "[[":
            flush()
            stack.append([])
            opened.append(i)
            i += 2
        elif two == "]]" and len(stack) > 1:
            flush()
            group = _Group(tuple(stack.pop()))
            opened.pop()
            stack[-1].append(group)
            i += 2
        elif source[i] == "{":
            m = _FIELD.match(source, i)
            if not m:
                raise InputError(
                    f"'{{' at character {i + 1} has no matching '}}'",
                    field=where,
                    fix="close the placeholder, or write {{ for a literal brace",
                )
            flush()
            node = _parse_field(m.group(1), where)
            names.update(node.names)
            stack[-1].append(node)
            i = m.end()
        elif source[i] == "}":
            raise InputError(
                f"'}}' at character {i + 1} closes nothing",
                field=where,
                fix="write }} for a literal brace",
            )
        else:
            buf.append(source[i])
            i += 1
    flush()
    if len(stack) > 1:
        raise InputError(
            f"'[[' at character {opened[-1] + 1} is never closed",
            field=where,
            fix="close the optional part with ]]",
        )
    return Template(source, tuple(stack[0]), frozenset(names))
