"""Persistent identifiers as InvenioRDM sees them: scheme detection, validation, normalisation.

InvenioRDM ignores the scheme a legacy client sends for a related identifier: it detects it
from the identifier (``idutils.detect_identifier_schemes``), keeps the first detected scheme
that is allowed for related identifiers, and normalises the value (``idutils.normalize_pid``);
an undetectable identifier is a 400 "No valid scheme recognized for identifier."
(``marshmallow_utils.schemas.IdentifierSchema``). Creators' ORCIDs are checked with their
ISO 7064 check digit at publish. This module does the same with its own rules (an
independent implementation: the schemes a specimen record uses are DOIs, URLs, handles,
ARKs, LSIDs and URNs).

Examples
--------
>>> detect("https://doi.org/10.5281/ZENODO.1"), normalize("https://doi.org/10.5281/x", "doi")
(['doi', 'url'], '10.5281/x')
>>> detect("BR0000013")
[]
>>> is_orcid("0000-0002-1825-0097"), is_orcid("0000-0002-1825-0098")
(True, False)
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["RELATED_SCHEMES", "detect", "is_orcid", "is_valid", "normalize"]


def _isbn_ok(value: str) -> bool:
    digits = re.sub(r"[\s-]", "", value.upper().removeprefix("ISBN").strip(": "))
    if re.fullmatch(r"\d{9}[\dX]", digits):
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(digits))
        return total % 11 == 0
    if re.fullmatch(r"97[89]\d{10}", digits):
        return _ean13_ok(digits)
    return False


def _ean13_ok(value: str) -> bool:
    if not re.fullmatch(r"\d{13}", value):
        return False
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(value[:12]))
    return (10 - total % 10) % 10 == int(value[12])


def _issn_ok(value: str) -> bool:
    m = re.fullmatch(r"(\d{4})-?(\d{3})([\dX])", value.strip().upper())
    if not m:
        return False
    digits = m.group(1) + m.group(2)
    total = sum((8 - i) * int(c) for i, c in enumerate(digits))
    check = (11 - total % 11) % 11
    return m.group(3) == ("X" if check == 10 else str(check))


def _orcid_digits(value: str) -> str | None:
    text = re.sub(r"^(?:https?://)?(?:www\.)?orcid\.org/", "", value.strip(), flags=re.I)
    text = text.removeprefix("orcid:")
    m = re.fullmatch(r"(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dXx])", text)
    return "".join(m.groups()).upper() if m else None


def is_orcid(value: str) -> bool:
    """Whether ``value`` is an ORCID iD with a correct ISO 7064 MOD 11-2 check digit.

    Examples
    --------
    >>> is_orcid("https://orcid.org/0000-0001-5109-3700"), is_orcid("0000-0001-5109-370X")
    (True, False)
    """
    digits = _orcid_digits(value) if isinstance(value, str) else None
    if digits is None:
        return False
    total = 0
    for c in digits[:15]:
        total = (total + int(c)) * 2
    check = (12 - total % 11) % 11
    return digits[15] == ("X" if check == 10 else str(check))


_URL = re.compile(r"^(?:https?|ftp)://[^\s/$.?#][^\s]*$", re.I)
_DOI = re.compile(r"^(?:doi:\s*|(?:https?://)?(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)$", re.I)
_HANDLE = re.compile(r"^(?:hdl:\s*|(?:https?://)?hdl\.handle\.net/)?([^/.\s]+(?:\.[^/.\s]+)*/\S+)$")

#: Scheme → validator, in the order a scheme is preferred when several match.
_DETECTORS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("doi", lambda v: bool(_DOI.match(v))),
    ("ark", lambda v: bool(re.match(r"^(?:https?://n2t\.net/)?ark:/?\d+/\S+$", v, re.I))),
    (
        "handle",
        lambda v: (
            bool(re.match(r"^(?:hdl:|(?:https?://)?hdl\.handle\.net/)", v, re.I))
            and bool(_HANDLE.match(v))
        ),
    ),
    ("purl", lambda v: bool(re.match(r"^https?://purl\.(?:org|oclc\.org)/\S+$", v, re.I))),
    ("w3id", lambda v: bool(re.match(r"^https?://w3id\.org/\S+$", v, re.I))),
    ("lsid", lambda v: bool(re.match(r"^urn:lsid:[^:\s]+:[^:\s]+:[^:\s]+(?::\S+)?$", v, re.I))),
    ("urn", lambda v: bool(re.match(r"^urn:[a-z0-9][a-z0-9-]{0,31}:\S+$", v, re.I))),
    (
        "ads",
        lambda v: bool(re.match(r"^(?:ads:)?\d{4}[A-Za-z&.]{5}[\w.]{4}[ELPQ-Z.][\d.]{4}[A-Z]$", v)),
    ),
    (
        "arxiv",
        lambda v: bool(
            re.match(
                r"^(?:arxiv:)?(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$", v, re.I
            )
        ),
    ),
    ("isbn", _isbn_ok),
    ("issn", _issn_ok),
    ("ean13", _ean13_ok),
    ("pmid", lambda v: bool(re.match(r"^(?:pmid:\s*)?\d{1,9}$", v, re.I))),
    ("swh", lambda v: bool(re.match(r"^swh:1:(?:cnt|dir|rev|rel|snp):[0-9a-f]{40}", v))),
    ("url", lambda v: bool(_URL.match(v))),
)
_VALIDATORS = dict(_DETECTORS)
_VALIDATORS["orcid"] = is_orcid

#: The schemes InvenioRDM allows for related identifiers (the detected ones of this module).
RELATED_SCHEMES = frozenset(name for name, _ in _DETECTORS)


def detect(identifier: str) -> list[str]:
    """Every scheme ``identifier`` matches, the preferred first (``[]``: undetectable)."""
    value = identifier.strip()
    return [name for name, ok in _DETECTORS if ok(value)]


def is_valid(identifier: str, scheme: str) -> bool:
    """Whether ``identifier`` is a valid ``scheme`` identifier (unknown schemes: ``False``).

    Examples
    --------
    >>> is_valid("10.5281/zenodo.1", "doi"), is_valid("not a doi", "doi")
    (True, False)
    """
    check = _VALIDATORS.get(scheme)
    return bool(check and isinstance(identifier, str) and check(identifier.strip()))


def normalize(identifier: str, scheme: str) -> str:
    """The canonical form of an identifier of ``scheme`` (unchanged when there is none).

    Examples
    --------
    >>> normalize("doi:10.1234/ABC", "doi"), normalize("hdl:20.500.1/x", "handle")
    ('10.1234/ABC', '20.500.1/x')
    >>> normalize("https://orcid.org/0000-0002-1825-0097", "orcid")
    '0000-0002-1825-0097'
    """
    value = identifier.strip()
    if scheme == "doi":
        m = _DOI.match(value)
        return m.group(1) if m else value
    if scheme == "handle":
        m = _HANDLE.match(value)
        return m.group(1) if m else value
    if scheme == "orcid":
        digits = _orcid_digits(value)
        return "-".join(digits[i : i + 4] for i in range(0, 16, 4)) if digits else value
    if scheme == "arxiv":
        return "arXiv:" + re.sub(r"^arxiv:", "", value, flags=re.I)
    if scheme == "pmid":
        return re.sub(r"^pmid:\s*", "", value, flags=re.I)
    if scheme in ("isbn", "ean13"):
        return re.sub(r"[\s-]", "", value.upper().removeprefix("ISBN").strip(": "))
    if scheme == "issn":
        compact = value.replace("-", "").upper()
        return f"{compact[:4]}-{compact[4:]}"
    return value
