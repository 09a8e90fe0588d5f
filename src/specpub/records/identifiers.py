"""Persistent identifiers as Zenodo reads them: scheme detection, ORCID and ROR checks.

Zenodo ignores the ``scheme`` a legacy client sends for a related identifier
and detects it itself (``idutils``); an identifier whose scheme it cannot
detect is a ``400 "No valid scheme recognized"``. ORCIDs are checked with
their ISO 7064 MOD 11-2 check digit at publish. This module does the same
checks locally so that a record that passes them is accepted
(``docs/zenodo-api.md`` §1.6 and §7).

Examples
--------
>>> detect_scheme("http://www.botanicalcollections.be/specimen/BR0000012558803")
'url'
>>> detect_scheme("10.5281/zenodo.1484146"), detect_scheme("urn:catalog:TROM:A:8528")
('doi', 'urn')
>>> detect_scheme("333757c3-081a-478e-803d-6b2674a42754") is None
True
>>> orcid_ok("0000-0002-1825-0097"), orcid_ok("0000-0002-1825-0098")
(True, False)
>>> ror_id("https://ror.org/00wge5k78")
'00wge5k78'
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "DOI",
    "detect_scheme",
    "is_url",
    "matches_scheme",
    "normalise_orcid",
    "orcid_ok",
    "ror_id",
]

_ORCID = re.compile(r"^(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$", re.I)
#: A DOI as Zenodo's scheme detection reads it: bare, ``doi:`` or a doi.org URL.
DOI = re.compile(r"^(?:(?:https?://)?(?:dx\.)?doi\.org/|doi:)?(10\.\d{4,9}/\S+)$", re.I)
_URN = re.compile(r"^urn:[a-z0-9][a-z0-9-]{0,31}:\S+$", re.I)
_LSID = re.compile(r"^urn:lsid:\S+:\S+:\S+", re.I)
_ARK = re.compile(r"^(?:https?://[^/]+/)?ark:/?\d+/\S+$", re.I)
_HANDLE = re.compile(r"^(?:hdl:|https?://hdl\.handle\.net/)?\d[\d.]*/\S+$", re.I)
_ARXIV = re.compile(r"^(?:arxiv:)?\d{4}\.\d{4,5}(?:v\d+)?$", re.I)
_ISSN = re.compile(r"^\d{4}-?\d{3}[\dX]$", re.I)
_PMID = re.compile(r"^(?:pmid:)?\d{1,9}$", re.I)
_ROR = re.compile(r"^(?:https?://ror\.org/)?(0[a-hj-km-np-tv-z0-9]{6}\d{2})$", re.I)
# scheme://host[:port][/path…], no spaces or characters a URL cannot hold
_URL = re.compile(
    r"^(?:https?|ftp)://(?:[^\s/?#@<>\"{}|\\^`]+@)?"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?(?:[/?#][^\s<>\"{}|\\^`]*)?$",
    re.IGNORECASE,
)


@lru_cache(maxsize=65536)
def is_url(value: str) -> bool:
    """Whether ``value`` is an absolute http(s) or ftp URL with a host and no spaces.

    Examples
    --------
    >>> is_url("http://id.luomus.fi/H.1099717"), is_url("TU278158"), is_url("http://a b")
    (True, False, False)
    """
    return bool(_URL.match(value))


def _isbn_ok(value: str) -> bool:
    digits = re.sub(r"[\s-]", "", value).upper()
    if len(digits) == 10 and re.fullmatch(r"\d{9}[\dX]", digits):
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(digits))
        return total % 11 == 0
    if len(digits) == 13 and digits.isdigit() and digits.startswith(("978", "979")):
        total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(digits))
        return total % 10 == 0
    return False


def _issn_ok(value: str) -> bool:
    if not _ISSN.match(value):
        return False
    digits = value.replace("-", "").upper()
    total = sum((8 - i) * int(c) for i, c in enumerate(digits[:7]))
    check = (11 - total % 11) % 11
    return digits[7] == ("X" if check == 10 else str(check))


def orcid_ok(value: str) -> bool:
    """Whether ``value`` is an ORCID iD (bare or as URL) with a correct check digit.

    Examples
    --------
    >>> orcid_ok("https://orcid.org/0000-0001-5109-3700"), orcid_ok("0000-0001-5109-370X")
    (True, False)
    """
    m = _ORCID.match(value.strip())
    if not m:
        return False
    digits = m.group(1).replace("-", "").upper()
    total = 0
    for c in digits[:-1]:
        total = (total + int(c)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


def normalise_orcid(value: str) -> str:
    """The bare ``0000-0000-0000-0000`` form of an ORCID iD given bare or as URL.

    Examples
    --------
    >>> normalise_orcid("https://orcid.org/0000-0002-1825-0097")
    '0000-0002-1825-0097'
    """
    m = _ORCID.match(value.strip())
    return m.group(1).upper() if m else value.strip()


def ror_id(value: str) -> str | None:
    """The bare ROR id of a ROR given bare or as ``https://ror.org/…`` (``None`` if not one).

    Examples
    --------
    >>> ror_id("00wge5k78"), ror_id("http://biocol.org/urn:lsid:biocol.org:col:15605")
    ('00wge5k78', None)
    """
    m = _ROR.match(value.strip())
    return m.group(1).lower() if m else None


_DETECTORS = (
    ("doi", lambda v: bool(DOI.match(v))),
    ("ark", lambda v: bool(_ARK.match(v))),
    ("lsid", lambda v: bool(_LSID.match(v))),
    ("urn", lambda v: bool(_URN.match(v))),
    ("orcid", orcid_ok),
    ("ror", lambda v: bool(_ROR.match(v)) and v.lower().startswith("https://ror.org/")),
    ("handle", lambda v: bool(_HANDLE.match(v)) and not v.lower().startswith("http")),
    ("url", is_url),
    ("arxiv", lambda v: bool(_ARXIV.match(v))),
    ("isbn", _isbn_ok),
    ("issn", _issn_ok),
    ("pmid", lambda v: bool(_PMID.match(v))),
)


#: Scheme → its test (the first of :data:`_DETECTORS` by that name).
_TESTS = {name: test for name, test in reversed(_DETECTORS)}


@lru_cache(maxsize=65536)
def detect_scheme(identifier: str) -> str | None:
    """The scheme Zenodo would detect for ``identifier``, or ``None`` (a 400 on Zenodo).

    Only unambiguous schemes are recognised; a value this function cannot
    place is treated as undetectable, which errs on the safe side.

    Examples
    --------
    >>> detect_scheme("https://hdl.handle.net/20.500.12345/1"), detect_scheme("hdl:1234/5")
    ('url', 'handle')
    """
    value = identifier.strip()
    if not value:
        return None
    for name, test in _DETECTORS:
        if test(value):
            return name
    return None


def matches_scheme(identifier: str, scheme: str) -> bool:
    """Whether ``identifier`` is valid for the explicitly given ``scheme`` (native API).

    Examples
    --------
    >>> matches_scheme("http://x.org/1", "url"), matches_scheme("x", "url")
    (True, False)
    """
    value = identifier.strip()
    test = _TESTS.get(scheme.lower())
    if test is not None:
        return bool(test(value))
    # Schemes specpub does not know (gnd, isni, ...): leave them to the server.
    return bool(value)
