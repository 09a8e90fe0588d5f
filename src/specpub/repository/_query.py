"""Build the OR queries that find records by their markers.

Examples
--------
>>> quote_value('BR 13"a')
'"BR 13\\\\"a"'
>>> marker_queries(["B1", "B2"])
['custom_fields.dwc\\\\:catalogNumber:("B1" OR "B2")']
>>> len(marker_queries([f"BR{i:07d}" for i in range(500)], max_length=600)) > 1
True
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote_plus

#: The keyword-indexed field that holds the catalogue number (``:`` escaped).
CATALOG_FIELD = r"custom_fields.dwc\:catalogNumber"
#: Longest ``q`` (URL-encoded) sent in one request; proxies and the sandbox
#: accept far more, this keeps URLs well inside common 4–8 KiB limits.
DEFAULT_MAX_QUERY_LENGTH = 1800


def quote_value(value: str) -> str:
    """``value`` as a query_string phrase: quoted, with ``\\`` and ``"`` escaped.

    Examples
    --------
    >>> print(quote_value('a\\\\b'))
    "a\\\\b"
    """
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _query(values: list[str]) -> str:
    if len(values) == 1:
        return f"{CATALOG_FIELD}:{quote_value(values[0])}"
    return f"{CATALOG_FIELD}:(" + " OR ".join(quote_value(v) for v in values) + ")"


def marker_queries(
    catalog_numbers: Iterable[str], *, max_length: int = DEFAULT_MAX_QUERY_LENGTH
) -> list[str]:
    """One query per chunk of catalogue numbers, each at most ``max_length`` encoded.

    Duplicates are sent once; order is kept. A single value longer than the
    limit still gets its own query (the server decides).

    Examples
    --------
    >>> marker_queries(["X", "X", "Y"], max_length=10_000)
    ['custom_fields.dwc\\\\:catalogNumber:("X" OR "Y")']
    """
    unique = list(dict.fromkeys(catalog_numbers))
    queries: list[str] = []
    chunk: list[str] = []
    for value in unique:
        candidate = [*chunk, value]
        if chunk and len(quote_plus(_query(candidate))) > max_length:
            queries.append(_query(chunk))
            chunk = [value]
        else:
            chunk = candidate
    if chunk:
        queries.append(_query(chunk))
    return queries
