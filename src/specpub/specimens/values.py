"""Small parsers for the values that quality checks look at.

Each parser takes one (stripped) text value and is applied to the *unique*
values of a column, so a table of 281,372 rows costs only as many Python calls
as it has distinct values.

Examples
--------
>>> parse_event_date("1935-7-2").iso
'1935-07-02'
>>> parse_event_date("1935-07-02/1935-07-09").kind
'interval'
>>> parse_event_date("2.VII.1935").iso
'1935-07-02'
>>> normalise_basis_of_record("PRESERVED_SPECIMEN")
'PreservedSpecimen'
>>> resolve_country("Congo, Democratic Republic of the")
'CD'
>>> check_language("fra"), check_language("xx")
(None, "'xx' is not an ISO 639-1/2/3 language code")
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "BASIS_OF_RECORD",
    "DateValue",
    "check_country_code",
    "check_geodetic_datum",
    "check_language",
    "license_spdx",
    "normalise_basis_of_record",
    "parse_event_date",
    "resolve_country",
]

#: The Darwin Core basisOfRecord vocabulary (class names).
BASIS_OF_RECORD = (
    "PreservedSpecimen",
    "FossilSpecimen",
    "LivingSpecimen",
    "MaterialSample",
    "MaterialEntity",
    "MaterialCitation",
    "HumanObservation",
    "MachineObservation",
    "Observation",
    "Occurrence",
    "Event",
    "Taxon",
)
_BOR = {b.lower(): b for b in BASIS_OF_RECORD}


def normalise_basis_of_record(value: str) -> str | None:
    """The vocabulary form of a basisOfRecord value, or ``None`` if not in the vocabulary.

    Examples
    --------
    >>> normalise_basis_of_record("Preserved specimen"), normalise_basis_of_record("hb")
    ('PreservedSpecimen', None)
    """
    return _BOR.get(re.sub(r"[\s_\-]+", "", value).lower())


# -- dates ------------------------------------------------------------------------------
_MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            "jan january janv janvier januar enero gennaio",
            "feb february febr fev fevr fevrier februar febrero febbraio",
            "mar march mars marz maerz marzo",
            "apr april avr avril abril aprile",
            "may mai mayo maggio",
            "jun june juin juni junio giugno",
            "jul july juil juillet juli julio luglio",
            "aug august aout agosto",
            "sep sept september septembre septiembre settembre",
            "oct october octobre oktober octubre ottobre",
            "nov november novembre noviembre",
            "dec december decembre dezember diciembre dicembre",
        ]
    )
    for name in names.split()
}
_ROMAN = {
    r: i + 1
    for i, r in enumerate(
        ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
    )
}

_YMD = re.compile(
    r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
_YMD_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YM = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_Y = re.compile(r"^(\d{4})$")
_MY = re.compile(r"^(\d{1,2})\s*[./-]\s*(\d{4})$")
_DMY = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4})$")
_D_ROMAN_Y = re.compile(r"^(\d{1,2})[.\s-]+([IVXivx]{1,4})[.\s-]+(\d{4})$")
_ROMAN_Y = re.compile(r"^([IVXivx]{1,4})[.\s-]+(\d{4})$")
_D_MON_Y = re.compile(r"^(\d{1,2})\.?\s*[-\s]\s*([A-Za-zéûÉ]+)\.?,?[-\s]\s*(\d{4})$")
_MON_D_Y = re.compile(r"^([A-Za-zéûÉ]+)\.?\s+(\d{1,2}),?\s+(\d{4})$")
_MON_Y = re.compile(r"^([A-Za-zéûÉ]+)\.?[-\s]+(\d{4})$")


@dataclass(frozen=True)
class DateValue:
    """What :func:`parse_event_date` made of one value.

    Attributes
    ----------
    kind
        ``exact`` (a full date), ``partial`` (year or year-month), ``interval``,
        ``ambiguous`` (e.g. ``03/04/1935``) or ``unparsable``.
    iso
        ``YYYY-MM-DD`` for exact dates, else ``''``.
    edtf
        The value as EDTF-like text (``1935``, ``1935-07``, ``1935-07-02/1935-07-09``), or ``''``.
    start, end
        First and last possible day (``None`` if unparsable).
    reformatted
        ``True`` when the ISO/EDTF form differs from the text given.
    problem
        Why a value is unparsable or ambiguous.

    Examples
    --------
    >>> v = parse_event_date("1935-07")
    >>> v.kind, v.edtf, v.start.isoformat(), v.end.isoformat()
    ('partial', '1935-07', '1935-07-01', '1935-07-31')
    """

    kind: str
    iso: str = ""
    edtf: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    reformatted: bool = False
    problem: str = ""


def _month_name(text: str) -> int | None:
    key = text.lower().rstrip(".").replace("é", "e").replace("û", "u")
    return _MONTHS.get(key)


def _single(text: str) -> DateValue:
    """Parse one date (not an interval)."""
    y = m = d = None
    m_ = _YMD.match(text)
    if m_:
        y, m, d = int(m_.group(1)), int(m_.group(3)), int(m_.group(4))
        if d == 0 and y:  # GBIF-style "unknown day/month": 1856-00-00, 1892-10-00
            if m == 0:
                return DateValue(
                    "partial", "", f"{y:04d}", dt.date(y, 1, 1), dt.date(y, 12, 31), True
                )
            if 1 <= m <= 12:
                last = dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)
                return DateValue("partial", "", f"{y:04d}-{m:02d}", dt.date(y, m, 1), last, True)
    elif m_ := _YMD_COMPACT.match(text):
        y, m, d = (int(g) for g in m_.groups())
    elif m_ := _DMY.match(text):
        a, sep, b, y = int(m_.group(1)), m_.group(2), int(m_.group(3)), int(m_.group(4))
        if sep == "." or a > 12:
            d, m = a, b
        elif b > 12:
            m, d = a, b
        elif a == b:
            d = m = a
        else:
            return DateValue(
                "ambiguous",
                problem=f"{text!r} could be day/month or month/day",
            )
    elif m_ := _D_ROMAN_Y.match(text):
        d, m, y = int(m_.group(1)), _ROMAN.get(m_.group(2).upper()), int(m_.group(3))
        if m is None:
            return DateValue("unparsable", problem=f"{m_.group(2)!r} is not a month")
    elif m_ := _D_MON_Y.match(text):
        d, m, y = int(m_.group(1)), _month_name(m_.group(2)), int(m_.group(3))
        if m is None:
            return DateValue("unparsable", problem=f"{m_.group(2)!r} is not a month name")
    elif m_ := _MON_D_Y.match(text):
        m, d, y = _month_name(m_.group(1)), int(m_.group(2)), int(m_.group(3))
        if m is None:
            return DateValue("unparsable", problem=f"{m_.group(1)!r} is not a month name")
    elif m_ := _YM.match(text):
        y, m = int(m_.group(1)), int(m_.group(2))
        if not 1 <= m <= 12:
            return DateValue("unparsable", problem=f"month {m} does not exist")
        last = (dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)) if y else None
        edtf = f"{y:04d}-{m:02d}"
        return DateValue("partial", "", edtf, dt.date(y, m, 1), last, edtf != text)
    elif m_ := _MY.match(text):
        m, y = int(m_.group(1)), int(m_.group(2))
        if not 1 <= m <= 12 or y == 0:
            return DateValue("unparsable", problem=f"{text!r}: month {m} does not exist")
        last = dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)
        return DateValue("partial", "", f"{y:04d}-{m:02d}", dt.date(y, m, 1), last, True)
    elif (m_ := _ROMAN_Y.match(text)) or (m_ := _MON_Y.match(text)):
        month_text, y = m_.group(1), int(m_.group(2))
        m = _ROMAN.get(month_text.upper()) or _month_name(month_text)
        if m is None:
            return DateValue("unparsable", problem=f"{month_text!r} is not a month")
        last = dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)
        return DateValue("partial", "", f"{y:04d}-{m:02d}", dt.date(y, m, 1), last, True)
    elif m_ := _Y.match(text):
        y = int(m_.group(1))
        if y == 0:
            return DateValue("unparsable", problem="year 0 does not exist")
        return DateValue("partial", "", f"{y:04d}", dt.date(y, 1, 1), dt.date(y, 12, 31))
    else:
        return DateValue("unparsable", problem=f"{text!r} is not a date this reader understands")
    try:
        day = dt.date(y, m, d)
    except ValueError:
        return DateValue("unparsable", problem=f"{text!r} is not a real date")
    iso = day.isoformat()
    return DateValue("exact", iso, iso, day, day, iso != text)


@lru_cache(maxsize=65536)
def parse_event_date(text: str) -> DateValue:
    """Parse a Darwin Core ``eventDate`` (or similar) value.

    Understands ISO dates (also unpadded, with ``/`` or ``.``, compact
    ``YYYYMMDD`` and with a time part), ``YYYY`` and ``YYYY-MM``, intervals
    ``start/end``, ``DD.MM.YYYY``, unambiguous ``DD/MM/YYYY``, Roman-numeral
    months (``2.VII.1935``) and month names in English, French, German,
    Spanish and Italian (``2 Jul 1935``, ``July 1935``).

    Parameters
    ----------
    text
        One value (surrounding spaces ignored).

    Returns
    -------
    DateValue

    Examples
    --------
    >>> parse_event_date("1935").edtf, parse_event_date("1935").kind
    ('1935', 'partial')
    >>> parse_event_date("03/04/1935").kind
    'ambiguous'
    >>> parse_event_date("1935-02-30").kind
    'unparsable'
    >>> parse_event_date("1892-10-00").edtf
    '1892-10'
    >>> parse_event_date("12.2001").edtf
    '2001-12'
    >>> parse_event_date("1935-07-02/1935-07-02").kind
    'exact'
    """
    text = text.strip()
    if not text:
        return DateValue("empty")
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text[:4].isdigit():
        try:  # the common case, in C
            day = dt.date.fromisoformat(text)
        except ValueError:
            pass
        else:
            return DateValue("exact", text, text, day, day)
    if "/" in text and re.match(r"^\d{4}", text) and not _YMD.match(text) and not _YM.match(text):
        left, _, right = text.partition("/")
        left, right = left.strip(), right.strip()
        a = _single(left) if left not in ("", "..") else DateValue("open")
        if re.fullmatch(r"\d{1,2}", right) and a.kind == "exact" and a.start is not None:
            try:
                right = a.start.replace(day=int(right)).isoformat()
            except ValueError:
                return DateValue("unparsable", problem=f"{text!r}: day {right} does not exist")
        b = _single(right) if right not in ("", "..") else DateValue("open")
        if a.kind in ("unparsable", "ambiguous") or b.kind in ("unparsable", "ambiguous"):
            bad = a if a.kind in ("unparsable", "ambiguous") else b
            return DateValue(bad.kind, problem=f"interval {text!r}: {bad.problem}")
        if a.kind == "open" and b.kind == "open":
            return DateValue("unparsable", problem=f"{text!r} has neither start nor end")
        if a.start and b.end and b.end < a.start:
            return DateValue("unparsable", problem=f"interval {text!r} ends before it starts")
        if a.kind == b.kind == "exact" and a.iso == b.iso:
            return DateValue("exact", a.iso, a.iso, a.start, a.end, True)
        edtf = f"{a.edtf or '..'}/{b.edtf or '..'}"
        return DateValue("interval", "", edtf, a.start, b.end, edtf != text)
    return _single(text)


# -- countries --------------------------------------------------------------------------
_COUNTRY_ALIASES = {
    "usa": "US",
    "unitedstates": "US",
    "unitedstatesofamerica": "US",
    "uk": "GB",
    "greatbritain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northernireland": "GB",
    "russia": "RU",
    "russianfederation": "RU",
    "congodemocraticrepublic": "CD",
    "democraticrepublicofthecongo": "CD",
    "democraticrepublicofcongo": "CD",
    "drc": "CD",
    "drcongo": "CD",
    "congokinshasa": "CD",
    "congobrazzaville": "CG",
    "republicofthecongo": "CG",
    "congorepublic": "CG",
    "ivorycoast": "CI",
    "cotedivoire": "CI",
    "burma": "MM",
    "czechrepublic": "CZ",
    "holland": "NL",
    "thenetherlands": "NL",
    "southkorea": "KR",
    "northkorea": "KP",
    "korearepublic": "KR",
    "iran": "IR",
    "syria": "SY",
    "laos": "LA",
    "vietnam": "VN",
    "tanzania": "TZ",
    "bolivia": "BO",
    "venezuela": "VE",
    "moldova": "MD",
    "macedonia": "MK",
    "turkey": "TR",
    "capeverde": "CV",
    "swaziland": "SZ",
    "easttimor": "TL",
    "vaticancity": "VA",
    "brunei": "BN",
    "micronesia": "FM",
    "palestine": "PS",
    "taiwan": "TW",
    "belgie": "BE",
    "belgique": "BE",
    "deutschland": "DE",
    "nederland": "NL",
    "espana": "ES",
    "suisse": "CH",
    "schweiz": "CH",
    "osterreich": "AT",
    "norge": "NO",
    "sverige": "SE",
    "suomi": "FI",
    "eesti": "EE",
}
_HISTORIC = {
    "zaire",
    "ussr",
    "sovietunion",
    "yugoslavia",
    "czechoslovakia",
    "eastgermany",
    "westgermany",
    "germandemocraticrepublic",
    "rhodesia",
    "ceylon",
    "siam",
    "persia",
    "dahomey",
    "uppervolta",
    "belgiancongo",
    "frenchcongo",
    "zanzibar",
    "tanganyika",
}


def _key(text: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", text)
    return re.sub(r"[^a-z]", "", "".join(c for c in text if not unicodedata.combining(c)).lower())


@lru_cache(maxsize=8192)
def resolve_country(name: str) -> str | None:
    """ISO 3166-1 alpha-2 code for a country name, ``'historic'`` for a former country,
    or ``None`` if the name is not recognised.

    Examples
    --------
    >>> resolve_country("Belgium"), resolve_country("Congo Democratic Republic")
    ('BE', 'CD')
    >>> resolve_country("Zaire"), resolve_country("Atlantis")
    ('historic', None)
    """
    import pycountry

    text = name.strip()
    if not text:
        return None
    for candidate in (text, _invert(text)):
        if candidate is None:
            continue
        try:
            return pycountry.countries.lookup(candidate).alpha_2
        except LookupError:
            pass
    for key in (_key(text), _key(_invert(text) or "")):
        if key in _COUNTRY_ALIASES:
            return _COUNTRY_ALIASES[key]
        if key in _HISTORIC:
            return "historic"
    try:
        pycountry.historic_countries.lookup(text)
        return "historic"
    except LookupError:
        return None


def _invert(text: str) -> str | None:
    """``'Congo, Democratic Republic of the'`` → ``'Democratic Republic of the Congo'``."""
    if "," not in text:
        return None
    head, _, tail = text.partition(",")
    return f"{tail.strip()} {head.strip()}"


@lru_cache(maxsize=4096)
def check_country_code(code: str) -> str | None:
    """``None`` if ``code`` is a valid ISO 3166-1 alpha-2 code (or ZZ/XZ), else why not.

    Examples
    --------
    >>> check_country_code("BE") is None, check_country_code("bel")
    (True, "'bel' is an alpha-3 code; Darwin Core wants alpha-2 ('BE')")
    """
    import pycountry

    value = code.strip()
    up = value.upper()
    if up in ("ZZ", "XZ"):
        return None
    if len(up) == 2 and pycountry.countries.get(alpha_2=up) is not None:
        if value != up:
            return f"{value!r} should be upper case ({up!r})"
        return None
    if len(up) == 3:
        hit = pycountry.countries.get(alpha_3=up)
        if hit is not None:
            return f"{value!r} is an alpha-3 code; Darwin Core wants alpha-2 ({hit.alpha_2!r})"
    if up == "UK":
        return "'UK' is not an ISO code; use 'GB'"
    return f"{value!r} is not an ISO 3166-1 alpha-2 country code"


# -- languages --------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def check_language(value: str) -> str | None:
    """``None`` if every language in ``value`` (split on ``|``, ``;``, ``,``) is an ISO
    639-1/2/3 code (``und``/``mul``/``zxx`` included), else why not.

    Examples
    --------
    >>> check_language("eng | lat") is None, check_language("English")
    (True, "'English' is a language name, not a code; use 'eng'")
    """
    import pycountry

    for part in re.split(r"\s*[|;,]\s*", value.strip()):
        if not part:
            continue
        low = part.lower()
        hit = None
        if len(low) == 2:
            hit = pycountry.languages.get(alpha_2=low)
        elif len(low) == 3:
            hit = pycountry.languages.get(alpha_3=low) or pycountry.languages.get(bibliographic=low)
        if hit is not None:
            continue
        try:
            named = pycountry.languages.lookup(part)
        except LookupError:
            named = None
        if named is not None and len(low) > 3:
            return f"{part!r} is a language name, not a code; use {named.alpha_3!r}"
        return f"{part!r} is not an ISO 639-1/2/3 language code"
    return None


# -- geodetic datums --------------------------------------------------------------------
_DATUMS = {
    "wgs84",
    "wgs1984",
    "worldgeodeticsystem1984",
    "nad27",
    "nad83",
    "nad1927",
    "nad1983",
    "ed50",
    "europeandatum1950",
    "etrs89",
    "gda94",
    "gda2020",
    "osgb36",
    "kkj",
    "ykj",
    "euref-fin",
    "eureffin",
    "sad69",
    "sirgas2000",
    "pulkovo1942",
    "tokyo",
    "jgd2000",
    "nzgd49",
    "nzgd2000",
    "agd66",
    "agd84",
    "hartebeesthoek94",
    "arc1950",
    "arc1960",
    "indian1975",
    "notrecorded",
    "unknown",
}


def check_geodetic_datum(value: str) -> bool:
    """Whether ``value`` names a known geodetic datum or an EPSG code.

    Examples
    --------
    >>> [check_geodetic_datum(v) for v in ("WGS84", "EPSG:4326", "Dms")]
    [True, True, False]
    """
    text = value.strip()
    if re.fullmatch(r"(?i)(epsg|urn:ogc:def:crs:epsg:[\d.]*):\s*\d{4,6}", text):
        return True
    key = re.sub(r"[\s_()]+", "", text.lower()).replace("-", "") if text else ""
    return key in {d.replace("-", "") for d in _DATUMS}


# -- licences -----------------------------------------------------------------------------
_CC = re.compile(
    r"(?i)(?:creativecommons\.org/(?:licenses|licences)/|\bcc[\s_-]*)"
    r"(by(?:[\s_-]*(?:nc|sa|nd))*)(?:[/\s_-]*v?(\d\.\d))?"
)
_CC0 = re.compile(r"(?i)creativecommons\.org/publicdomain/zero/1\.0|\bcc[\s_-]*0\b|\bcc[\s_-]*zero")
_PDM = re.compile(r"(?i)creativecommons\.org/publicdomain/mark/1\.0|public\s*domain\s*mark")
_SPDX_OTHER = {
    "mit": "MIT",
    "apache-2.0": "Apache-2.0",
    "odbl-1.0": "ODbL-1.0",
    "pddl-1.0": "PDDL-1.0",
    "odc-by-1.0": "ODC-By-1.0",
}


@lru_cache(maxsize=1024)
def license_spdx(value: str) -> str | None:
    """The SPDX identifier of a licence given as an SPDX id, a name or a Creative Commons URL.

    Versionless Creative Commons names (``CC BY``) are read as version 4.0.

    Examples
    --------
    >>> license_spdx("http://creativecommons.org/licenses/by-sa/4.0/")
    'CC-BY-SA-4.0'
    >>> license_spdx("CC0"), license_spdx("CC BY-NC 3.0"), license_spdx("all rights reserved")
    ('CC0-1.0', 'CC-BY-NC-3.0', None)
    """
    text = value.strip()
    if not text:
        return None
    if _CC0.search(text):
        return "CC0-1.0"
    if _PDM.search(text):
        return "PDM-1.0"
    m = _CC.search(text)
    if m:
        parts = [p for p in re.split(r"[\s_-]+", m.group(1).lower()) if p]
        version = m.group(2) or "4.0"
        return "CC-" + "-".join(p.upper() for p in parts) + "-" + version
    return _SPDX_OTHER.get(text.lower())
