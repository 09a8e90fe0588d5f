"""Controlled vocabularies the sandbox validates against (ids as InvenioRDM/Zenodo use them)."""

from __future__ import annotations

from functools import lru_cache

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

#: License ids (RDM, lower case) and the legacy aliases the deserializer maps.
LICENSES = frozenset(
    [
        "cc-by-4.0",
        "cc-by-sa-4.0",
        "cc-by-nc-4.0",
        "cc-by-nd-4.0",
        "cc-by-nc-sa-4.0",
        "cc-by-nc-nd-4.0",
        "cc0-1.0",
        "cc-by-3.0",
        "cc-by-sa-3.0",
        "cc-by-2.0",
        "cc-by-1.0",
        "mit",
        "apache-2.0",
        "bsd-3-clause",
        "bsd-2-clause",
        "gpl-3.0-or-later",
        "gpl-2.0-or-later",
        "lgpl-3.0-or-later",
        "mpl-2.0",
        "odc-by-1.0",
        "odbl-1.0",
        "pddl-1.0",
        "other-open",
        "other-at",
        "other-pd",
        "other-nc",
        "other-closed",
    ]
)
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
