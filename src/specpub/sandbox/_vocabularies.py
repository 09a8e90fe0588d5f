"""Controlled vocabularies the sandbox validates against (ids as InvenioRDM/Zenodo use them)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

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
IMAGE_TYPES = frozenset(["figure", "plot", "drawing", "diagram", "photo", "other"])

#: RDM resource type ids: the upload types plus ``publication-x`` / ``image-x``.
RESOURCE_TYPES = frozenset(
    UPLOAD_TYPES
    | {f"publication-{t}" for t in PUBLICATION_TYPES}
    | {f"image-{t}" for t in IMAGE_TYPES}
)


def _licenses() -> frozenset[str]:
    path = Path(__file__).with_name("licenses.json")
    return frozenset(json.loads(path.read_text(encoding="utf-8"))["ids"])


#: License ids (RDM, lower case): the SPDX licence list plus Zenodo's ``other-*`` ids
#: (``licenses.json`` says where it comes from). Zenodo's vocabulary is an older SPDX
#: snapshot (445 entries); this one is newer, so it knows about 220 more licences.
LICENSES = _licenses()
LICENSE_ALIASES = {
    "cc-by": "cc-by-4.0",
    "cc-by-sa": "cc-by-sa-4.0",
    "cc-by-nc": "cc-by-nc-4.0",
    "cc-by-nd": "cc-by-nd-4.0",
    "cc-by-nc-sa": "cc-by-nc-sa-4.0",
    "cc-by-nc-nd": "cc-by-nc-nd-4.0",
    "cc-zero": "cc0-1.0",
    "cc0": "cc0-1.0",
    "mit-license": "mit",
    "apache2.0": "apache-2.0",
}
#: How licenses read back through the legacy API.
LICENSE_LEGACY_NAMES = {"cc0-1.0": "cc-zero"}

LEGACY_RELATIONS = [
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
]
#: RDM relation type ids (lower case) → legacy camelCase spelling.
RELATION_TYPES = {r.lower(): r for r in LEGACY_RELATIONS}
RELATION_TYPES.update(
    {
        "istranslationof": "",
        "hastranslation": "",
        "iscollectedby": "",
        "collects": "",
        "other": "",
    }
)

LEGACY_CONTRIBUTOR_TYPES = [
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
ROLES = {r.lower(): r for r in LEGACY_CONTRIBUTOR_TYPES}
ROLES["translator"] = "Translator"

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
LEGACY_DATE_TYPES = {"collected": "Collected", "valid": "Valid", "withdrawn": "Withdrawn"}

ACCESS_RIGHTS = frozenset({"open", "embargoed", "restricted", "closed"})


@dataclass(frozen=True)
class Funder:
    """A funder of the vocabulary: its Crossref Funder DOI, ROR id, name and acronym."""

    doi: str
    ror: str
    name: str
    acronym: str = ""


#: The European Commission, the funder of a legacy grant id without ``::``.
EC_FUNDER_DOI = "10.13039/501100000780"
#: Funders the legacy ``grants`` accept (Funder DOI → funder; ZRDM ``funders.py`` maps them).
FUNDERS = {
    f.doi: f
    for f in (
        Funder(EC_FUNDER_DOI, "00k4n6c32", "European Commission", "EC"),
        Funder("10.13039/100000001", "021nxhr62", "National Science Foundation", "NSF"),
        Funder("10.13039/501100001711", "00yjd3n13", "Swiss National Science Foundation", "SNSF"),
        Funder(
            "10.13039/501100000925",
            "011kf5r70",
            "National Health and Medical Research Council",
            "NHMRC",
        ),
        Funder("10.13039/100000002", "01cwqze88", "National Institutes of Health", "NIH"),
        Funder(
            "10.13039/501100000038",
            "01gavpb45",
            "Natural Sciences and Engineering Research Council of Canada",
            "NSERC",
        ),
        Funder(
            "10.13039/501100000024", "01h531d29", "Canadian Institutes of Health Research", "CIHR"
        ),
    )
}
FUNDERS_BY_ROR = {f.ror: f for f in FUNDERS.values()}


@dataclass(frozen=True)
class Award:
    """An award of the vocabulary (``program`` FP7 awards read back as plain numbers)."""

    funder_doi: str
    number: str
    program: str
    acronym: str
    title: str

    @property
    def key(self) -> str:
        """``"<funder DOI>::<number>"``, the legacy grant id."""
        return f"{self.funder_doi}::{self.number}"


#: A sample of real awards (Zenodo's vocabulary holds millions, from OpenAIRE): the
#: natural-history digitisation projects specimen publishers cite. A grant outside the
#: vocabulary is "Not a valid value." as on Zenodo; ``SandboxConfig.awards`` replaces it.
AWARD_LIST = (
    Award(
        EC_FUNDER_DOI,
        "777483",
        "H2020",
        "ICEDIG",
        "Innovation and consolidation for large scale digitisation of natural heritage",
    ),
    Award(EC_FUNDER_DOI, "823827", "H2020", "SYNTHESYS PLUS", "Synthesis of systematic resources"),
    Award(EC_FUNDER_DOI, "871043", "H2020", "DiSSCo Prepare", "DiSSCo Prepare"),
    Award(
        EC_FUNDER_DOI,
        "312848",
        "FP7",
        "PRO-IBIOSPHERE",
        "Coordination and policy development in preparation for a European Open "
        "Biodiversity Knowledge Management System",
    ),
    Award(
        EC_FUNDER_DOI,
        "308454",
        "FP7",
        "EU BON",
        "Building the European Biodiversity Observation Network",
    ),
    Award(
        "10.13039/100000001",
        "1547229",
        "",
        "iDigBio",
        "Integrated Digitized Biocollections (iDigBio)",
    ),
)
AWARDS_BY_KEY = {a.key: a for a in AWARD_LIST}
#: The default award vocabulary: legacy grant ids ``"<funder DOI>::<number>"``.
AWARDS = frozenset(AWARDS_BY_KEY)


def award_key(award_id: str) -> str:
    """The legacy grant id of an RDM award id (``"<ROR>::<number>"``).

    Examples
    --------
    >>> award_key("00k4n6c32::777483")
    '10.13039/501100000780::777483'
    """
    ror, _, number = award_id.partition("::")
    funder = FUNDERS_BY_ROR.get(ror)
    return f"{funder.doi if funder else ror}::{number}"


@lru_cache(maxsize=4096)
def language_id(code: str) -> str | None:
    """The ISO 639-3 id for a 2- or 3-letter code, or ``None`` if unknown.

    Examples
    --------
    >>> language_id("en"), language_id("eng"), language_id("xx1")
    ('eng', 'eng', None)
    """
    import pycountry

    code = code.strip().lower()
    if len(code) == 2:
        lang = pycountry.languages.get(alpha_2=code)
    elif len(code) == 3:
        lang = pycountry.languages.get(alpha_3=code)
    else:
        return None
    return getattr(lang, "alpha_3", None) if lang else None
