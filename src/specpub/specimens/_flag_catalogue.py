"""The catalogue of quality-flag ids: severity, meaning and default advice.

Examples
--------
>>> FLAGS["CATALOG_NUMBER_DUPLICATE"].severity
'error'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FLAGS", "FLAG_COLUMNS", "Flag"]

#: Columns of the flags table.
FLAG_COLUMNS = ["flag", "severity", "row", "column", "term", "value", "message", "fix", "source"]


@dataclass(frozen=True)
class Flag:
    """A flag id's severity, meaning and default advice.

    Examples
    --------
    >>> FLAGS["ZERO_COORDINATE"].severity
    'warning'
    """

    severity: str
    meaning: str
    fix: str


#: Every flag id specpub may report.
FLAGS: dict[str, Flag] = {
    "CATALOG_NUMBER_MISSING": Flag(
        "error",
        "catalogNumber is empty",
        "fill in the catalogue number (it names the record and joins it to its image files)",
    ),
    "CATALOG_NUMBER_DUPLICATE": Flag(
        "error",
        "the same catalogNumber appears on several rows",
        "make catalogue numbers unique, or remove the repeated rows",
    ),
    "CATALOG_NUMBER_COLLISION": Flag(
        "warning",
        "different catalogNumbers that are equal ignoring case, spaces and dots",
        "image file names cannot tell these specimens apart; check the numbers",
    ),
    "CATALOG_NUMBER_WHITESPACE": Flag(
        "info",
        "catalogNumber has leading or trailing spaces",
        "trim the spaces in the source system",
    ),
    "OCCURRENCE_ID_DUPLICATE": Flag(
        "error", "the same occurrenceID appears on several rows", "make occurrenceIDs unique"
    ),
    "OCCURRENCE_ID_NOT_URL": Flag(
        "info",
        "occurrenceID is not an http(s) URL, so it cannot become a CETAF alternate identifier",
        "nothing, unless the collection has CETAF stable identifiers (then put "
        "the URL in occurrenceID)",
    ),
    "OCCURRENCE_ID_URL_INVALID": Flag(
        "warning",
        "occurrenceID starts like a URL but is not a valid one",
        "correct the URL (no spaces, a host name after http(s)://)",
    ),
    "INSTITUTION_CODE_MISSING": Flag(
        "warning",
        "institutionCode is empty",
        "fill in institutionCode (or ownerInstitutionCode), or set the institution in the "
        "publication settings",
    ),
    "SCIENTIFIC_NAME_MISSING": Flag(
        "warning",
        "scientificName is empty (the record title needs it)",
        "fill in the name, or the title will fall back to the catalogue number",
    ),
    "EVENT_DATE_UNPARSABLE": Flag(
        "warning",
        "eventDate cannot be read as a date",
        "write it as ISO 8601 (YYYY-MM-DD, YYYY-MM, YYYY or start/end); it is kept verbatim",
    ),
    "EVENT_DATE_AMBIGUOUS": Flag(
        "warning",
        "eventDate could be day/month or month/day",
        "write it as ISO 8601 YYYY-MM-DD; it is kept verbatim",
    ),
    "EVENT_DATE_PARTIAL": Flag(
        "info",
        "eventDate is only a year or a year and month",
        "nothing; it goes to verbatimEventDate, as Zenodo's dwc:eventDate needs a full date",
    ),
    "EVENT_DATE_INTERVAL": Flag(
        "info",
        "eventDate is an interval",
        "nothing; it goes to verbatimEventDate, as Zenodo's dwc:eventDate needs one full date",
    ),
    "EVENT_DATE_NORMALISED": Flag(
        "info",
        "eventDate was rewritten to ISO 8601",
        "nothing; the text given is kept in eventDate_verbatim",
    ),
    "EVENT_DATE_DERIVED": Flag("info", "eventDate was built from year, month and day", "nothing"),
    "EVENT_DATE_IN_FUTURE": Flag("warning", "eventDate is in the future", "correct the date"),
    "EVENT_DATE_UNLIKELY": Flag("warning", "eventDate is before 1600", "check the date"),
    "EVENT_DATE_MISMATCH": Flag(
        "warning",
        "eventDate contradicts the year/month/day columns",
        "correct eventDate or year/month/day",
    ),
    "COORDINATE_INVALID": Flag(
        "warning",
        "a coordinate is not a decimal number, or only one of the pair is given",
        "give both decimalLatitude and decimalLongitude in decimal degrees (verbatim forms "
        "go to verbatimCoordinates)",
    ),
    "COORDINATE_OUT_OF_RANGE": Flag(
        "warning", "latitude beyond ±90 or longitude beyond ±180", "correct the coordinates"
    ),
    "ZERO_COORDINATE": Flag(
        "warning",
        "the coordinate is exactly 0, 0 (often a bad empty value)",
        "remove the coordinates or correct them",
    ),
    "COORDINATES_LIKELY_SWAPPED": Flag(
        "warning",
        "latitude and longitude look swapped",
        "swap decimalLatitude and decimalLongitude if the locality confirms it",
    ),
    "PRESUMED_NEGATED_LATITUDE": Flag(
        "warning", "the latitude sign looks wrong for the country", "check the sign"
    ),
    "PRESUMED_NEGATED_LONGITUDE": Flag(
        "warning", "the longitude sign looks wrong for the country", "check the sign"
    ),
    "COORDINATE_UNCERTAINTY_METERS_INVALID": Flag(
        "warning",
        "coordinateUncertaintyInMeters is not a number greater than 0",
        "give the uncertainty in metres (> 0), or leave it empty",
    ),
    "COUNTRY_INVALID": Flag(
        "warning",
        "country is not a recognised country name",
        "use the English short name (ISO 3166) or fill in countryCode",
    ),
    "COUNTRY_CODE_INVALID": Flag(
        "warning", "countryCode is not an ISO 3166-1 alpha-2 code", "use the two-letter code"
    ),
    "COUNTRY_MISMATCH": Flag(
        "warning", "country and countryCode name different countries", "correct one of them"
    ),
    "BASIS_OF_RECORD_NONSTANDARD": Flag(
        "info",
        "basisOfRecord was written differently from the vocabulary and was normalised",
        "nothing (use e.g. 'PreservedSpecimen' in the source to silence this)",
    ),
    "BASIS_OF_RECORD_INVALID": Flag(
        "warning",
        "basisOfRecord is not in the Darwin Core vocabulary",
        "use PreservedSpecimen, MaterialSample, … (for herbarium sheets: PreservedSpecimen)",
    ),
    "LANGUAGE_INVALID": Flag(
        "warning",
        "language is not an ISO 639-1/2/3 code",
        "use a code such as 'eng', 'fra', 'lat' (Zenodo accepts ISO 639-1/2 codes)",
    ),
    "TYPE_STATUS_INVALID": Flag(
        "warning", "typeStatus names no known kind of type", "use e.g. 'Holotype', 'Isotype'"
    ),
    "SUSPECTED_TYPE": Flag(
        "info",
        "typeStatus expresses doubt ('?', 'possible', 'probable')",
        "nothing; consider confirming the type status",
    ),
    "IDENTIFIED_DATE_INVALID": Flag(
        "warning",
        "dateIdentified cannot be read as a date",
        "write it as ISO 8601 (YYYY-MM-DD, YYYY-MM or YYYY)",
    ),
    "IDENTIFIED_DATE_UNLIKELY": Flag(
        "warning", "dateIdentified is in the future or before 1700", "check the date"
    ),
    "MODIFIED_DATE_INVALID": Flag(
        "warning", "modified cannot be read as a date", "write it as ISO 8601 (YYYY-MM-DD)"
    ),
    "MODIFIED_DATE_UNLIKELY": Flag(
        "warning", "modified is in the future or before 1970", "check the date"
    ),
    "GEODETIC_DATUM_INVALID": Flag(
        "warning",
        "geodeticDatum is not a recognised datum or EPSG code",
        "use e.g. 'WGS84' or 'EPSG:4326' (coordinate formats such as DMS go to "
        "verbatimCoordinateSystem)",
    ),
    "GEODETIC_DATUM_ASSUMED_WGS84": Flag(
        "info",
        "coordinates are given without geodeticDatum; WGS84 is assumed",
        "fill in geodeticDatum if it is not WGS84",
    ),
    "ELEVATION_NON_NUMERIC": Flag(
        "warning",
        "an elevation in metres is not a number",
        "give a plain number of metres (e.g. 1500, not '1500 m'); text goes to verbatimElevation",
    ),
    "ELEVATION_MIN_MAX_SWAPPED": Flag(
        "warning", "minimumElevationInMeters is greater than the maximum", "swap the two values"
    ),
    "ELEVATION_UNLIKELY": Flag(
        "warning", "the elevation is below -500 m or above 9,000 m", "check the value and unit"
    ),
    "DEPTH_NON_NUMERIC": Flag(
        "warning", "a depth in metres is not a number", "give a plain number of metres"
    ),
    "DEPTH_MIN_MAX_SWAPPED": Flag(
        "warning", "minimumDepthInMeters is greater than the maximum", "swap the two values"
    ),
    "DEPTH_UNLIKELY": Flag(
        "warning", "the depth is negative or beyond 11,000 m", "check the value and unit"
    ),
    "INDIVIDUAL_COUNT_INVALID": Flag(
        "warning", "individualCount is not a whole number ≥ 0", "give a whole number"
    ),
    "REFERENCES_URI_INVALID": Flag(
        "warning", "references is not a valid http(s) URL", "correct the URL or leave it empty"
    ),
    "LICENSE_UNRECOGNISED": Flag(
        "warning",
        "the licence cannot be mapped to an SPDX identifier (Zenodo needs one)",
        "use e.g. 'CC-BY-4.0', 'CC0-1.0' or a creativecommons.org licence URL",
    ),
    "MULTIMEDIA_URI_INVALID": Flag(
        "warning",
        "a media identifier/accessURI is not a valid http(s) URL",
        "correct the URL in the multimedia extension",
    ),
    "EXTENSION_CORE_ID_UNKNOWN": Flag(
        "warning",
        "an extension row points at a core id that is not in the core file",
        "correct the coreid or add the missing core row",
    ),
    "ROW_EXTRA_FIELDS": Flag(
        "warning",
        "the row has more fields than the header (an unquoted delimiter?)",
        "quote values that contain the delimiter; the extra values are kept in _extra_N columns",
    ),
}
