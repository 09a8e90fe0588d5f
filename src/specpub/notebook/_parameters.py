"""A notebook's ``parameters`` cell: read it, and check values against it.

papermill only *warns* about an unknown parameter and coerces ``-p`` values
without looking at the notebook. specpub reads the cell tagged ``parameters``
with :mod:`ast` instead: every line must be an annotated literal
(``name: type = value  # help``), so each parameter has a declared type, a
default that is a Python value, and a one-line help. Values given on the
command line are converted with that type, and values given from Python are
checked against it, before any kernel starts.

Examples
--------
>>> cell = '''
... workspace: str = "specpub-demo/workspace"  # the workspace folder
... concurrency: int = 4                       # records in flight at once
... interactive: bool = True                   # False under papermill
... '''
>>> params = parse_parameters(cell)
>>> [p.name for p in params.values()]
['workspace', 'concurrency', 'interactive']
>>> params["concurrency"].help
'records in flight at once'
>>> params["concurrency"].convert("8")
8
>>> params["interactive"].convert("no")
False
"""

from __future__ import annotations

import ast
import difflib
import io
import json
import math
import os
import re
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specpub.errors import InputError

__all__ = [
    "Parameter",
    "check_env_name",
    "check_values",
    "convert_values",
    "parse_parameters",
    "read_notebook_json",
    "read_parameters",
]

_SCALARS: dict[str, type] = {"bool": bool, "int": int, "float": float, "str": str}
_SECRET_WORDS = ("token", "password", "passwd", "secret", "apikey", "api_key", "credential")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}
_NONE = {"none", "null", "~"}


def looks_secret(name: str) -> bool:
    """Whether a parameter *name* asks for a secret (``*_env`` names are fine).

    Examples
    --------
    >>> looks_secret("zenodo_token"), looks_secret("token_env"), looks_secret("workspace")
    (True, False, False)
    """
    low = name.lower()
    return any(word in low for word in _SECRET_WORDS) and not low.endswith("_env")


@dataclass(frozen=True)
class _Type:
    """A parsed annotation: a scalar, ``list[scalar]``, ``dict``, maybe ``| None``."""

    text: str
    kind: str  # "bool", "int", "float", "str", "list", "dict"
    item: str | None = None  # the scalar kind of a list's items
    optional: bool = False

    def accepts(self, value: Any) -> bool:
        if value is None:
            return self.optional
        if self.kind == "list":
            return isinstance(value, list | tuple) and all(
                _scalar_accepts(self.item or "str", v) for v in value
            )
        if self.kind == "dict":
            return isinstance(value, dict)
        return _scalar_accepts(self.kind, value)


def _scalar_accepts(kind: str, value: Any) -> bool:
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, str)


def _parse_annotation(node: ast.expr, source: str) -> _Type:
    text = ast.get_source_segment(source, node) or ast.unparse(node)
    optional = False
    # ``X | None`` / ``None | X`` / ``Optional[X]``
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        sides = [node.left, node.right]
        nones = [s for s in sides if isinstance(s, ast.Constant) and s.value is None]
        if len(nones) != 1:
            raise ValueError(text)
        optional = True
        node = next(s for s in sides if s not in nones)
    elif (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Optional"
    ):
        optional = True
        node = node.slice
    if isinstance(node, ast.Name) and node.id in _SCALARS:
        return _Type(text, node.id, optional=optional)
    if isinstance(node, ast.Name) and node.id in ("list", "dict"):
        return _Type(text, node.id, item="str" if node.id == "list" else None, optional=optional)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        if (
            node.value.id == "list"
            and isinstance(node.slice, ast.Name)
            and node.slice.id in _SCALARS
        ):
            return _Type(text, "list", item=node.slice.id, optional=optional)
        if node.value.id == "dict":
            return _Type(text, "dict", optional=optional)
    raise ValueError(text)


@dataclass(frozen=True)
class Parameter:
    """One line of a ``parameters`` cell.

    Attributes
    ----------
    name
        The variable name.
    type
        The annotation as written (``"int"``, ``"str | None"``, ``"list[str]"``).
    default
        The default value (a Python value, never source text).
    help
        The trailing comment, without ``#``.
    line
        1-based line in the cell.

    Examples
    --------
    >>> p = parse_parameters('n: int | None = None  # how many')["n"]
    >>> p.convert("none") is None, p.convert("3")
    (True, 3)
    """

    name: str
    type: str
    default: Any
    help: str
    line: int
    _type: _Type | None = None

    @property
    def is_env_name(self) -> bool:
        """Whether the parameter holds the *name* of an environment variable."""
        return self.name.lower().endswith("_env")

    def check(self, value: Any) -> Any:
        """Return ``value`` if it fits the declared type, else raise :class:`InputError`.

        An ``int`` is accepted where a ``float`` is declared (and returned as float).

        Examples
        --------
        >>> parse_parameters('rate: float = 1.0')["rate"].check(2)
        2.0
        """
        kind = self._type
        assert kind is not None
        if not kind.accepts(value):
            raise InputError(
                f"parameter {self.name!r} must be {self.type}, got {type(value).__name__} "
                f"{value!r}",
                field=self.name,
                fix=f"pass a {self.type} (default: {self.default!r})",
            )
        if kind.kind == "float" and value is not None:
            value = float(value)
        if kind.kind == "list" and value is not None:
            value = [float(v) if kind.item == "float" else v for v in value]
        if self.is_env_name and value is not None:
            check_env_name(self.name, value)
        return value

    def convert(self, text: str) -> Any:
        """Convert a command-line string to the declared type (then :meth:`check` it).

        ``bool`` takes true/false, yes/no, 1/0, on/off; ``X | None`` also takes
        ``None``; a ``list`` takes a JSON array or comma-separated items; a
        ``dict`` a JSON object; ``str`` keeps the text as it is.

        Examples
        --------
        >>> parse_parameters('ids: list[int] = []')["ids"].convert("1, 2,3")
        [1, 2, 3]
        >>> parse_parameters('label: str = ""')["label"].convert("007")
        '007'
        """
        kind = self._type
        assert kind is not None
        raw = text.strip()
        if kind.optional and raw.lower() in _NONE:
            return None
        try:
            if kind.kind == "list":
                if raw.startswith("["):
                    value: Any = json.loads(raw)
                else:
                    items = [item.strip() for item in raw.split(",") if item.strip()]
                    value = [_convert_scalar(kind.item or "str", item) for item in items]
            elif kind.kind == "dict":
                value = json.loads(raw)
            else:
                value = _convert_scalar(kind.kind, text if kind.kind == "str" else raw)
        except (ValueError, json.JSONDecodeError):
            raise InputError(
                f"parameter {self.name!r} must be {self.type}, got {text!r}",
                field=self.name,
                fix=_conversion_hint(kind, self.default),
            ) from None
        return self.check(value)


def _convert_scalar(kind: str, text: str) -> Any:
    if kind == "bool":
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(text)
    if kind == "int":
        return int(text)
    if kind == "float":
        value = float(text)
        if math.isnan(value):
            raise ValueError(text)
        return value
    return text


def _conversion_hint(kind: _Type, default: Any) -> str:
    examples = {
        "bool": "true or false",
        "int": "a whole number such as 4",
        "float": "a number such as 2.5",
        "str": "any text",
        "list": 'comma-separated values, or a JSON array such as ["a", "b"]',
        "dict": 'a JSON object such as {"key": "value"}',
    }
    hint = f"pass {examples[kind.kind]}"
    if kind.optional:
        hint += ", or None"
    return f"{hint} (default: {default!r})"


def check_env_name(param: str, value: str) -> None:
    """A ``*_env`` value must be a variable *name*, never the secret itself.

    Used for notebook parameters and by the target panel's variable field.

    Raises
    ------
    InputError
        ``value`` is not a variable name, or it is the *content* of an
        environment variable (a token pasted where its name belongs); the
        message never repeats the value.

    Examples
    --------
    >>> check_env_name("token_env", "ZENODO_TOKEN")
    >>> check_env_name("token_env", "tok en")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: field 'token_env': parameter 'token_env' must be the NAME...
    """
    if not isinstance(value, str) or not _ENV_NAME.match(value):
        raise InputError(
            f"parameter {param!r} must be the NAME of an environment variable (such as "
            "ZENODO_TOKEN), not a token or other value",
            field=param,
            fix="export the token in the environment and pass only the variable's name",
        )
    for name, env_value in os.environ.items():
        if env_value and env_value == value and name != value:
            raise InputError(
                f"parameter {param!r} holds the value of the environment variable {name}, "
                "not its name: secrets never travel as parameters (they would be written "
                "into the executed notebook)",
                field=param,
                fix=f"pass -p {param} {name}",
            )


def _comments(source: str) -> dict[int, str]:
    """Trailing comments of ``source`` by 1-based line."""
    found: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                found[tok.start[0]] = tok.string.lstrip("#").strip()
    except (tokenize.TokenError, IndentationError):  # the ast parse reports the problem
        pass
    return found


def parse_parameters(source: str, *, where: str = "the parameters cell") -> dict[str, Parameter]:
    """Parse the source of a ``parameters`` cell into :class:`Parameter` objects.

    Every statement must be an annotated assignment of a literal; anything
    else (a computed value, a missing annotation, an import) is refused with
    the line and how to fix it, because papermill would not recompute a
    derived value when a parameter changes.

    Raises
    ------
    InputError
        When the cell breaks one of those rules, or a parameter is named like a secret.

    Examples
    --------
    >>> parse_parameters("x = 1")
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: the parameters cell, line 1: parameter 'x' has no type ...
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise InputError(
            f"{where} is not valid Python ({err.msg}, line {err.lineno})",
            fix="fix the cell in JupyterLab",
        ) from None
    comments = _comments(source)
    params: dict[str, Parameter] = {}
    for node in tree.body:
        line = node.lineno
        if isinstance(node, ast.Assign):
            names = ", ".join(ast.unparse(t) for t in node.targets)
            raise InputError(
                f"{where}, line {line}: parameter {names!r} has no type annotation",
                fix=f"write it as `{names}: TYPE = value  # what it means` (TYPE: bool, int, "
                "float, str, list[str], or X | None)",
            )
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            raise InputError(
                f"{where}, line {line}: only `name: type = value  # help` lines are allowed "
                f"here, found `{ast.unparse(node)}`",
                fix="move other code to the next cell",
            )
        name = node.target.id
        if node.value is None:
            raise InputError(
                f"{where}, line {line}: parameter {name!r} has no default value",
                fix=f"give it one: `{name}: {ast.unparse(node.annotation)} = ...`",
            )
        try:
            kind = _parse_annotation(node.annotation, source)
        except ValueError as err:
            raise InputError(
                f"{where}, line {line}: parameter {name!r} has an unsupported type {err}",
                fix="use bool, int, float, str, list[str], list[int], dict, or X | None",
            ) from None
        try:
            default = ast.literal_eval(node.value)
        except ValueError:
            raise InputError(
                f"{where}, line {line}: the default of {name!r} is not a literal "
                f"(`{ast.unparse(node.value)}`); papermill would not recompute it",
                fix="put a plain value here and compute derived values in the next cell",
            ) from None
        if looks_secret(name):
            raise InputError(
                f"{where}, line {line}: parameter {name!r} looks like a secret; secrets never "
                "travel as parameters (they are written into every executed notebook)",
                fix=f"take the NAME of an environment variable instead, e.g. `{name}_env: str = "
                '"ZENODO_TOKEN"`',
            )
        end = getattr(node, "end_lineno", line) or line
        param = Parameter(
            name=name,
            type=kind.text,
            default=default,
            help=comments.get(end, ""),
            line=line,
            _type=kind,
        )
        if not kind.accepts(default):
            raise InputError(
                f"{where}, line {line}: the default of {name!r} ({default!r}) is not a {kind.text}",
                fix="make the annotation and the default agree",
            )
        params[name] = param
    return params


def read_notebook_json(path: Path | str) -> dict[str, Any]:
    """Read a notebook file as JSON, with a clear error if it is not one.

    Examples
    --------
    >>> read_notebook_json("no/such.ipynb")
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: no/such.ipynb: there is no such notebook. ...
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            "there is no such notebook",
            file=str(path),
            fix="check the path (the notebooks are in the notebooks/ folder)",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(
            f"this is not a Jupyter notebook ({err})",
            file=str(path),
            fix="pass an .ipynb file",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise InputError(
            "this is not a Jupyter notebook (no cells)", file=str(path), fix="pass an .ipynb file"
        )
    return data


def _source(cell: Mapping[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def read_parameters(notebook: Path | str | Mapping[str, Any]) -> dict[str, Parameter]:
    """The parameters declared by a notebook's cell tagged ``parameters``.

    Parameters
    ----------
    notebook
        A path to an ``.ipynb`` file, or its parsed JSON.

    Raises
    ------
    InputError
        When the notebook has no cell (or more than one) tagged ``parameters``,
        or the cell breaks the rules of :func:`parse_parameters`.

    Examples
    --------
    >>> nb = {"cells": [{"cell_type": "code", "metadata": {"tags": ["parameters"]},
    ...                  "source": "interactive: bool = True  # show the panels"}]}
    >>> read_parameters(nb)["interactive"].default
    True
    """
    where = "the notebook"
    if not isinstance(notebook, Mapping):
        where = str(notebook)
        notebook = read_notebook_json(notebook)
    cells = [
        c
        for c in notebook.get("cells", [])
        if c.get("cell_type") == "code" and "parameters" in c.get("metadata", {}).get("tags", [])
    ]
    if not cells:
        raise InputError(
            "the notebook has no cell tagged 'parameters'",
            file=where,
            fix="tag the cell of defaults 'parameters' (JupyterLab: the property inspector)",
        )
    if len(cells) > 1:
        raise InputError(
            f"the notebook has {len(cells)} cells tagged 'parameters'; papermill would use "
            "only the first",
            file=where,
            fix="keep the tag on one cell",
        )
    return parse_parameters(_source(cells[0]), where=f"{where}: the parameters cell")


def _unknown(name: str, params: Mapping[str, Parameter], notebook: str) -> InputError:
    close = difflib.get_close_matches(name, list(params), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return InputError(
        f"the notebook has no parameter {name!r}",
        file=notebook,
        field=name,
        fix=f"{hint}its parameters are: {', '.join(params) or '(none)'}",
    )


def convert_values(
    texts: Mapping[str, str], params: Mapping[str, Parameter], *, notebook: str = "the notebook"
) -> dict[str, Any]:
    """Convert command-line ``-p NAME VALUE`` strings with the declared types.

    Examples
    --------
    >>> params = parse_parameters("n: int = 1\\nlabel: str = 'x'")
    >>> convert_values({"n": "3", "label": "3"}, params)
    {'n': 3, 'label': '3'}
    >>> convert_values({"m": "3"}, params)
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: the notebook, field 'm': the notebook has no parameter 'm'. ...
    """
    out: dict[str, Any] = {}
    for name, text in texts.items():
        if name not in params:
            raise _unknown(name, params, notebook)
        out[name] = params[name].convert(text)
    return out


def check_values(
    values: Mapping[str, Any], params: Mapping[str, Parameter], *, notebook: str = "the notebook"
) -> dict[str, Any]:
    """Check Python values against the declared names and types.

    Examples
    --------
    >>> params = parse_parameters("n: int = 1")
    >>> check_values({"n": "3"}, params)
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: field 'n': parameter 'n' must be int, got str '3'. ...
    """
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name not in params:
            raise _unknown(name, params, notebook)
        out[name] = params[name].check(value)
    return out
