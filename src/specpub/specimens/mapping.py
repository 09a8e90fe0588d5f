"""Map the columns of a table to Darwin Core (and Dublin/Audubon Core) terms.

Columns are recognised by exact term, full URI, prefixed name or a common
variant (see :mod:`specpub.specimens.terms`). A user mapping (a dict, or a
TOML/JSON file of ``column = "term"`` pairs) overrides the recognition; map a
column to ``""`` to keep it unmapped. Unknown columns are kept under their own
names, never dropped. The mapping actually applied is reported as a table.

Examples
--------
>>> plan = plan_mapping(["Catalog Number", "Notes", "Lat"])
>>> for row in plan[["column", "term", "how"]].values:
...     print(list(row))
['Catalog Number', 'catalogNumber', 'normalised']
['Notes', '', 'unmapped']
['Lat', 'decimalLatitude', 'variant']
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from specpub.errors import InputError
from specpub.specimens.terms import TERMS, lookup_term

__all__ = ["MAPPING_COLUMNS", "apply_mapping", "plan_mapping", "read_user_mapping"]

#: Columns of the mapping table.
MAPPING_COLUMNS = ["column", "term", "uri", "how", "target"]


def read_user_mapping(mapping: Mapping[str, str] | str | Path | None) -> dict[str, str]:
    """Load a user mapping from a dict or a TOML/JSON file.

    A TOML file may hold the pairs at top level or under a ``[mapping]`` table.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "map.toml"
    >>> _ = path.write_text('"Barcode BR" = "catalogNumber"\\nNotes = ""\\n')
    >>> read_user_mapping(path)
    {'Barcode BR': 'catalogNumber', 'Notes': ''}
    """
    if mapping is None:
        return {}
    if isinstance(mapping, Mapping):
        data: object = dict(mapping)
        file = "mapping="
    else:
        path = Path(mapping).expanduser()
        file = str(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            raise InputError(
                f"cannot read the mapping file ({err})",
                file=file,
                fix='pass a UTF-8 TOML file of column = "term" lines',
            ) from err
        try:
            data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as err:
            raise InputError(
                f"the mapping file is not valid {'JSON' if path.suffix == '.json' else 'TOML'} "
                f"({err})",
                file=file,
                fix='write one line per column: "Column name" = "catalogNumber"',
            ) from err
        if isinstance(data, dict) and isinstance(data.get("mapping"), dict):
            data = data["mapping"]
    if not isinstance(data, dict):
        raise InputError("the mapping must be a table of column = term pairs", file=file)
    out: dict[str, str] = {}
    for key, value in data.items():
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise InputError(
                f"the mapping of column {key!r} is {value!r}, not a term name",
                file=file,
                fix='write column = "term" (or "" to keep the column unmapped)',
            )
        out[str(key)] = value.strip()
    return out


def _resolve_user_term(value: str, column: str) -> str:
    if value in TERMS:
        return value
    found = lookup_term(value)
    if found is None:
        raise InputError(
            f"the user mapping maps column {column!r} to {value!r}, which is not a known "
            "Darwin Core, Dublin Core or Audubon Core term",
            column=column,
            fix="use a term name such as 'catalogNumber' or its URI, or \"\" to keep the "
            "column unmapped",
        )
    return found[0]


def plan_mapping(
    columns: list[str],
    user: Mapping[str, str] | None = None,
    *,
    hints: Mapping[str, str] | None = None,
    file: str | None = None,
) -> pd.DataFrame:
    """Decide the term of every column.

    Parameters
    ----------
    columns
        Source column names, in order.
    user
        ``{column: term}`` overrides (``""`` = keep unmapped).
    hints
        Column → term URI declared by the source (``meta.xml`` of an archive).
    file
        For messages.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`MAPPING_COLUMNS`; ``target`` is the column name in the
        mapped frame (the term, or the source name for unmapped columns).

    Raises
    ------
    InputError
        Two columns map to the same term.

    Examples
    --------
    >>> try:
    ...     plan_mapping(["catalogNumber", "Catalog Number"])
    ... except InputError as err:
    ...     print(err.message)
    columns 'catalogNumber' and 'Catalog Number' both map to the term catalogNumber
    """
    user = dict(user or {})
    hints = dict(hints or {})
    rows = []
    for col in columns:
        term, how, uri = "", "unmapped", ""
        if col in user:
            term = _resolve_user_term(user[col], col) if user[col] else ""
            how = "user" if term else "unmapped (user)"
        elif col in hints:
            found = lookup_term(hints[col])
            if found is not None:
                term, how = found[0], "meta.xml"
            else:
                uri, how = hints[col], "unmapped (meta.xml)"
        else:
            found = lookup_term(col)
            if found is not None:
                term, how = found
        if term:
            uri = TERMS[term]
        rows.append({"column": col, "term": term, "uri": uri, "how": how, "target": term or col})
    plan = pd.DataFrame(rows, columns=MAPPING_COLUMNS)
    # A column recognised only as a common variant (e.g. 'Barcode') yields to a column
    # named for the term itself; it is kept, unmapped, and the table says why.
    for term, group in plan[plan["term"] != ""].groupby("term"):
        if len(group) < 2:
            continue
        strong = group[group["how"] != "variant"]
        if len(strong) >= 1:
            for i in group.index[group["how"] == "variant"]:
                plan.loc[i, ["term", "uri", "target"]] = ["", "", plan.at[i, "column"]]
                plan.at[i, "how"] = (
                    f"unmapped (variant of {term}; the term is taken by "
                    f"{strong['column'].iloc[0]!r})"
                )
    mapped = plan[plan["term"] != ""]
    dup = mapped[mapped["term"].duplicated(keep=False)]
    if len(dup):
        term = dup["term"].iloc[0]
        cols = dup.loc[dup["term"] == term, "column"].tolist()
        names = " and ".join(repr(c) for c in cols)
        keep_off = cols[-1]
        raise InputError(
            f"columns {names} both map to the term {term}",
            file=file,
            fix=f'keep one, or pass a mapping such as {{"{keep_off}": ""}} '
            f'(TOML: "{keep_off}" = "") to keep the other unmapped',
        )
    # An unmapped column must not take the name of a mapped term.
    taken = set(mapped["term"])
    for i in plan.index[plan["term"] == ""]:
        name = plan.at[i, "column"]
        reserved = name.startswith("_") and not re.fullmatch(r"_extra_\d+", name)
        if name in taken or reserved:
            new = f"{name}_source" if not name.startswith("_") else f"source{name}"
            while new in taken or new in set(plan["target"]):
                new += "_"
            plan.at[i, "target"] = new
    return plan


def apply_mapping(frame: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """Rename the columns of ``frame`` as planned (specpub's ``_`` columns kept).

    Examples
    --------
    >>> df = pd.DataFrame({"Catalog Number": ["A1"], "_row": [2]})
    >>> apply_mapping(df, plan_mapping(["Catalog Number"])).columns.tolist()
    ['catalogNumber', '_row']
    """
    rename = dict(zip(plan["column"], plan["target"], strict=True))
    return frame.rename(columns=rename)


def warn_unused(user: Mapping[str, str], columns: list[str], file: str | None) -> list[str]:
    """Warnings for user-mapping keys that name no column.

    Examples
    --------
    >>> warn_unused({"Ghost": "year"}, ["catalogNumber"], "t.csv")
    ["t.csv: the user mapping names column(s) not in the table: 'Ghost'"]
    """
    missing = [k for k in user if k not in columns]
    if not missing:
        return []
    return [
        f"{file or 'mapping'}: the user mapping names column(s) not in the table: "
        + ", ".join(repr(m) for m in missing)
    ]
