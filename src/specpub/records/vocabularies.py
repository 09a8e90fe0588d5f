"""The controlled vocabularies Zenodo validates records against.

Each list is Zenodo's own (``docs/zenodo-api.md`` §1.6, §2.2 and §7; the
licence ids are read from zenodo-rdm's ``licenses.csv``), kept here so that
the records layer can check a payload before the first request: an id
outside these lists is a ``400 "Not a valid value."`` on Zenodo. This is an
independent copy of what the embedded repository implements, on purpose: a
shared list would hide a shared mistake.

Examples
--------
>>> license_id("CC-BY-4.0"), license_id("cc-zero"), license_id("CC BY-SA 4.0")
('cc-by-4.0', 'cc0-1.0', 'cc-by-sa-4.0')
>>> language_id("fre"), language_id("en"), language_id("und"), language_id("english")
('fra', 'eng', 'und', None)
>>> "image-photo" in RESOURCE_TYPES, "isalternateidentifier" in RELATION_TYPES
(True, True)
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from importlib import resources

__all__ = [
    "ACCESS_RIGHTS",
    "CONTRIBUTOR_TYPES",
    "DATE_TYPES",
    "FUNDERS",
    "IMAGE_TYPES",
    "LEGACY_DATE_TYPES",
    "LICENSE_ALIASES",
    "PUBLICATION_TYPES",
    "RELATION_TYPES",
    "RESOURCE_TYPES",
    "ROLES",
    "UPLOAD_TYPES",
    "language_id",
    "license_id",
    "license_title",
    "licenses",
]

#: Legacy ``upload_type`` values.
UPLOAD_TYPES = frozenset(
    [
        "publication",
        "poster",
        "presentation",
        "dataset",
        "image",
        "video",
        "software",
        "lesson",
        "physicalobject",
        "other",
    ]
)
#: Legacy ``publication_type`` values (with the extra RDM ids ZRDM accepts).
PUBLICATION_TYPES = frozenset(
    [
        "annotationcollection",
        "book",
        "section",
        "conferencepaper",
        "datamanagementplan",
        "article",
        "patent",
        "preprint",
        "deliverable",
        "milestone",
        "proposal",
        "report",
        "softwaredocumentation",
        "taxonomictreatment",
        "technicalnote",
        "thesis",
        "workingpaper",
        "other",
        "conferenceproceeding",
        "journal",
        "peerreview",
        "datapaper",
        "dissertation",
        "standard",
        "studyregistration",
    ]
)
#: Legacy ``image_type`` values.
IMAGE_TYPES = frozenset(["figure", "plot", "drawing", "diagram", "photo", "other"])
#: Native ``resource_type.id`` values.
RESOURCE_TYPES = frozenset(
    UPLOAD_TYPES
    | {f"publication-{t}" for t in PUBLICATION_TYPES}
    | {f"image-{t}" for t in IMAGE_TYPES}
)
#: Legacy ``access_right`` values.
ACCESS_RIGHTS = ("open", "embargoed", "restricted", "closed")

_RELATIONS = [
    "isCitedBy",
    "cites",
    "isSupplementTo",
    "isSupplementedBy",
    "isContinuedBy",
    "continues",
    "isDescribedBy",
    "describes",
    "hasMetadata",
    "isMetadataFor",
    "isNewVersionOf",
    "isPreviousVersionOf",
    "isPartOf",
    "hasPart",
    "isReferencedBy",
    "references",
    "isDocumentedBy",
    "documents",
    "isCompiledBy",
    "compiles",
    "isVariantFormOf",
    "isOriginalFormOf",
    "isIdenticalTo",
    "isAlternateIdentifier",
    "isReviewedBy",
    "reviews",
    "isDerivedFrom",
    "isSourceOf",
    "requires",
    "isRequiredBy",
    "isObsoletedBy",
    "obsoletes",
    "isPublishedIn",
    "hasVersion",
    "isVersionOf",
    "isTranslationOf",
    "hasTranslation",
    "isCollectedBy",
    "collects",
    "other",
]
#: Relation type id (lower case, as RDM stores it) → the legacy camelCase spelling.
RELATION_TYPES: dict[str, str] = {r.lower(): r for r in _RELATIONS}

_CONTRIBUTORS = [
    "ContactPerson",
    "DataCollector",
    "DataCurator",
    "DataManager",
    "Distributor",
    "Editor",
    "HostingInstitution",
    "Producer",
    "ProjectLeader",
    "ProjectManager",
    "ProjectMember",
    "RegistrationAgency",
    "RegistrationAuthority",
    "RelatedPerson",
    "Researcher",
    "ResearchGroup",
    "RightsHolder",
    "Supervisor",
    "Sponsor",
    "WorkPackageLeader",
    "Other",
]
#: Legacy contributor ``type`` values.
CONTRIBUTOR_TYPES = tuple(_CONTRIBUTORS)
#: Native contributor ``role.id`` values (lower case) → legacy spelling.
ROLES: dict[str, str] = {c.lower(): c for c in _CONTRIBUTORS} | {"translator": "Translator"}

#: Native date type ids.
DATE_TYPES = frozenset(
    [
        "accepted",
        "available",
        "collected",
        "copyrighted",
        "created",
        "issued",
        "other",
        "submitted",
        "updated",
        "valid",
        "withdrawn",
        "coverage",
    ]
)
#: The date types the legacy API takes (its spelling).
LEGACY_DATE_TYPES = {"collected": "Collected", "valid": "Valid", "withdrawn": "Withdrawn"}

#: Funder DOI → ROR id, for the funders whose grants the legacy API accepts
#: (``grants[].id`` = ``"<funder DOI>::<number>"``, a bare number meaning the EC).
FUNDERS: dict[str, str] = {
    "10.13039/501100000780": "00k4n6c32",  # European Commission
    "10.13039/100000001": "021nxhr62",  # US National Science Foundation
    "10.13039/501100001711": "00yjd3n13",  # Swiss National Science Foundation
    "10.13039/501100000925": "011kf5r70",  # Australian NHMRC
    "10.13039/100000002": "01cwqze88",  # US National Institutes of Health
    "10.13039/501100000038": "01gavpb45",  # NSERC Canada
    "10.13039/501100000024": "01h531d29",  # Canadian Institutes of Health Research
}
#: The funder a bare legacy grant number belongs to.
DEFAULT_FUNDER = "10.13039/501100000780"

#: Legacy licence spellings the deserializer rewrites (lower case).
LICENSE_ALIASES = {
    "cc-by": "cc-by-4.0",
    "cc-by-sa": "cc-by-sa-4.0",
    "cc-by-nc": "cc-by-nc-4.0",
    "cc-by-nd": "cc-by-nd-4.0",
    "cc-by-nc-sa": "cc-by-nc-sa-4.0",
    "cc-by-nc-nd": "cc-by-nc-nd-4.0",
    "cc-zero": "cc0-1.0",
    "cc0": "cc0-1.0",
}


@cache
def _license_table() -> dict[str, str]:
    text = resources.files("specpub.records").joinpath("_data/licenses.txt").read_text("utf-8")
    table: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        ident, _, title = line.partition("\t")
        table[ident.strip()] = title.strip()
    return table


@cache
def licenses() -> frozenset[str]:
    """Every licence id of Zenodo's vocabulary (lower case).

    Examples
    --------
    >>> len(licenses()) > 400, "cc-by-4.0" in licenses()
    (True, True)
    """
    return frozenset(_license_table())


def license_title(ident: str) -> str:
    """A readable title for a licence id (the id itself when none is known).

    Examples
    --------
    >>> license_title("cc0-1.0")
    'Creative Commons Zero v1.0 Universal'
    """
    return _license_table().get(ident) or ident


_CC_URL = re.compile(
    r"creativecommons\.org/(?:licenses/([a-z-]+)/(\d\.\d)|publicdomain/zero/1\.0)", re.I
)


@lru_cache(maxsize=1024)
def license_id(value: str) -> str | None:
    """Zenodo's licence id for an SPDX id, a legacy alias, a name or a Creative Commons URL.

    Returns ``None`` when the value names no licence of Zenodo's vocabulary.

    Examples
    --------
    >>> license_id("http://creativecommons.org/licenses/by-nc/4.0/"), license_id("no idea")
    ('cc-by-nc-4.0', None)
    """
    text = value.strip()
    if not text:
        return None
    low = text.lower()
    table = _license_table()
    if low in table:
        return low
    if low in LICENSE_ALIASES:
        return LICENSE_ALIASES[low]
    url = _CC_URL.search(text)
    if url:
        return f"cc-{url.group(1).lower()}-{url.group(2)}" if url.group(1) else "cc0-1.0"
    from specpub.specimens.values import license_spdx

    spdx = license_spdx(text)
    if spdx and spdx.lower() in table:
        return spdx.lower()
    return None


@lru_cache(maxsize=1024)
def language_id(code: str) -> str | None:
    """The ISO 639-3 id Zenodo stores for a 2- or 3-letter code (``None`` if unknown).

    Bibliographic ISO 639-2 codes (``fre``, ``ger``) become their 639-3 ids.

    Examples
    --------
    >>> language_id("ger"), language_id("lat"), language_id("xx")
    ('deu', 'lat', None)
    """
    import pycountry

    low = code.strip().lower()
    hit = None
    if len(low) == 2:
        hit = pycountry.languages.get(alpha_2=low)
    elif len(low) == 3:
        hit = pycountry.languages.get(alpha_3=low) or pycountry.languages.get(bibliographic=low)
    return getattr(hit, "alpha_3", None) if hit is not None else None
