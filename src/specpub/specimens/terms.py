"""The catalogue of Darwin Core, Dublin Core and Audubon Core terms specpub recognises.

A column of a specimen table is recognised as a term by its exact name
(``catalogNumber``), its full URI (``http://rs.tdwg.org/dwc/terms/catalogNumber``),
a prefixed name (``dwc:catalogNumber``) or a common variant (``Catalog Number``,
``catalog_number``, ``CATALOGNUMBER``, ``catalog no.``): names are compared after
:func:`normalise_name` (lower case, only letters and digits).

Examples
--------
>>> lookup_term("Catalog Number")
('catalogNumber', 'normalised')
>>> lookup_term("http://rs.tdwg.org/dwc/terms/catalogNumber")
('catalogNumber', 'uri')
>>> lookup_term("catalog no.")
('catalogNumber', 'variant')
>>> lookup_term("my own notes") is None
True
>>> term_uri("language")
'http://purl.org/dc/terms/language'
"""

from __future__ import annotations

import re

__all__ = [
    "AC",
    "DCTERMS",
    "DWC",
    "GBIF",
    "NAMESPACES",
    "TERMS",
    "lookup_term",
    "normalise_name",
    "term_uri",
    "terms",
]

DWC = "http://rs.tdwg.org/dwc/terms/"
DCTERMS = "http://purl.org/dc/terms/"
AC = "http://rs.tdwg.org/ac/terms/"
GBIF = "http://rs.gbif.org/terms/1.0/"

#: Prefixes accepted in front of a term name, and the namespace each stands for.
NAMESPACES: dict[str, str] = {
    "dwc": DWC,
    "dwciri": "http://rs.tdwg.org/dwc/iri/",
    "dcterms": DCTERMS,
    "dc": DCTERMS,
    "ac": AC,
    "gbif": GBIF,
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmprights": "http://ns.adobe.com/xap/1.0/rights/",
    "exif": "http://ns.adobe.com/exif/1.0/",
}

_DWC_TERMS = """
occurrenceID catalogNumber recordNumber recordedBy recordedByID individualCount organismQuantity
organismQuantityType sex lifeStage reproductiveCondition behavior establishmentMeans
degreeOfEstablishment pathway georeferenceVerificationStatus occurrenceStatus preparations
disposition associatedMedia associatedOccurrences associatedReferences associatedSequences
associatedTaxa otherCatalogNumbers occurrenceRemarks organismID organismName organismScope
associatedOrganisms previousIdentifications organismRemarks materialEntityID materialSampleID
verbatimLabel eventID parentEventID fieldNumber eventDate eventTime startDayOfYear endDayOfYear
year month day verbatimEventDate habitat samplingProtocol sampleSizeValue sampleSizeUnit
samplingEffort fieldNotes eventRemarks locationID higherGeographyID higherGeography continent
waterBody islandGroup island country countryCode stateProvince county municipality locality
verbatimLocality minimumElevationInMeters maximumElevationInMeters verbatimElevation
verticalDatum minimumDepthInMeters maximumDepthInMeters verbatimDepth
minimumDistanceAboveSurfaceInMeters maximumDistanceAboveSurfaceInMeters locationAccordingTo
locationRemarks decimalLatitude decimalLongitude geodeticDatum coordinateUncertaintyInMeters
coordinatePrecision pointRadiusSpatialFit verbatimCoordinates verbatimLatitude verbatimLongitude
verbatimCoordinateSystem verbatimSRS footprintWKT footprintSRS footprintSpatialFit georeferencedBy
georeferencedDate georeferenceProtocol georeferenceSources georeferenceRemarks
geologicalContextID identificationID verbatimIdentification identificationQualifier typeStatus
identifiedBy identifiedByID dateIdentified identificationReferences
identificationVerificationStatus identificationRemarks taxonID scientificNameID
acceptedNameUsageID parentNameUsageID originalNameUsageID nameAccordingToID namePublishedInID
taxonConceptID scientificName acceptedNameUsage parentNameUsage originalNameUsage
nameAccordingTo namePublishedIn namePublishedInYear higherClassification kingdom phylum class
order superfamily family subfamily tribe subtribe genus genericName subgenus
infragenericEpithet specificEpithet infraspecificEpithet cultivarEpithet taxonRank
verbatimTaxonRank scientificNameAuthorship vernacularName nomenclaturalCode taxonomicStatus
nomenclaturalStatus taxonRemarks institutionID collectionID datasetID institutionCode
collectionCode datasetName ownerInstitutionCode basisOfRecord informationWithheld
dataGeneralizations dynamicProperties measurementRemarks relationshipRemarks
"""

_DCTERMS_TERMS = """
type modified language license rightsHolder accessRights bibliographicCitation references
identifier format title description created creator contributor publisher audience source
rights
"""

_AC_TERMS = """
accessURI associatedSpecimenReference captureDevice digitizationDate subjectPart
subjectOrientation physicalSetting resourceCreationTechnique variantLiteral subtypeLiteral
providerManagedID derivedFrom hashFunction hashValue metadataLanguageLiteral
"""

#: Every recognised term: short name → full URI.
TERMS: dict[str, str] = {}
for _name in _DWC_TERMS.split():
    TERMS[_name] = DWC + _name
for _name in _DCTERMS_TERMS.split():
    TERMS.setdefault(_name, DCTERMS + _name)
for _name in _AC_TERMS.split():
    TERMS.setdefault(_name, AC + _name)


def terms() -> dict[str, str]:
    """The terms a table column can be mapped to: short name → full URI, sorted by name.

    Every Darwin Core, Dublin Core and Audubon Core term specpub recognises; these
    are the values a mapping (``specpub.load(..., mapping={column: term})``,
    ``specpub load --mapping FILE.toml``) may name. A fresh copy: changing it
    changes nothing in specpub.

    Examples
    --------
    >>> import specpub
    >>> catalogue = specpub.terms()
    >>> catalogue["catalogNumber"]
    'http://rs.tdwg.org/dwc/terms/catalogNumber'
    >>> "license" in catalogue, "my own notes" in catalogue
    (True, False)
    """
    return dict(sorted(TERMS.items(), key=lambda item: item[0].casefold()))


def normalise_name(name: str) -> str:
    """Reduce a column name to lower-case letters and digits, for comparison.

    Examples
    --------
    >>> normalise_name(" Catalog_Number. ")
    'catalognumber'
    >>> normalise_name("catalogue nº")
    'cataloguen'
    """
    return re.sub(r"[^0-9a-z]+", "", str(name).casefold())


# Common variants found in collection-management exports, by normalised name.
_VARIANTS: dict[str, str] = {
    "catalogno": "catalogNumber",
    "catalognr": "catalogNumber",
    "catalogueno": "catalogNumber",
    "cataloguenr": "catalogNumber",
    "cataloguenumber": "catalogNumber",
    "catno": "catalogNumber",
    "catnum": "catalogNumber",
    "catalognum": "catalogNumber",
    "barcode": "catalogNumber",
    "specimenbarcode": "catalogNumber",
    "occurrenceid": "occurrenceID",
    "occid": "occurrenceID",
    "stableidentifier": "occurrenceID",
    "cetafid": "occurrenceID",
    "latitude": "decimalLatitude",
    "lat": "decimalLatitude",
    "declat": "decimalLatitude",
    "longitude": "decimalLongitude",
    "lon": "decimalLongitude",
    "long": "decimalLongitude",
    "lng": "decimalLongitude",
    "declong": "decimalLongitude",
    "declon": "decimalLongitude",
    "collector": "recordedBy",
    "collectors": "recordedBy",
    "collectedby": "recordedBy",
    "collectornumber": "recordNumber",
    "collectorsnumber": "recordNumber",
    "collectionnumber": "recordNumber",
    "collectiondate": "eventDate",
    "datecollected": "eventDate",
    "dateofcollection": "eventDate",
    "countryiso": "countryCode",
    "isocountrycode": "countryCode",
    "isocountry": "countryCode",
    "taxonname": "scientificName",
    "scientificnamewithauthor": "scientificName",
    "author": "scientificNameAuthorship",
    "authorship": "scientificNameAuthorship",
    "lang": "language",
    "basis": "basisOfRecord",
    "institution": "institutionCode",
    "herbarium": "institutionCode",
    "herbariumcode": "institutionCode",
    "typestatus": "typeStatus",
    "licence": "license",
}

_BY_NORMALISED: dict[str, str] = {normalise_name(t): t for t in TERMS}
_BY_URI: dict[str, str] = {uri: t for t, uri in TERMS.items()}
_URI_RE = re.compile(r"^https?://", re.IGNORECASE)


def term_uri(term: str) -> str:
    """The full URI of a recognised term short name (``KeyError`` if unknown).

    Examples
    --------
    >>> term_uri("catalogNumber")
    'http://rs.tdwg.org/dwc/terms/catalogNumber'
    """
    return TERMS[term]


def lookup_term(column: str) -> tuple[str, str] | None:
    """Recognise a column name as a term.

    Parameters
    ----------
    column
        A column header as found in the source.

    Returns
    -------
    tuple of (str, str) or None
        ``(term short name, how)`` where ``how`` is one of ``exact``, ``uri``,
        ``prefixed``, ``normalised``, ``variant``; ``None`` if not recognised.

    Examples
    --------
    >>> lookup_term("dwc:catalogNumber")
    ('catalogNumber', 'prefixed')
    >>> lookup_term("CATALOGNUMBER")
    ('catalogNumber', 'normalised')
    >>> lookup_term("Latitude")
    ('decimalLatitude', 'variant')
    """
    name = str(column).strip()
    if name in TERMS:
        return name, "exact"
    if _URI_RE.match(name):
        if name in _BY_URI:
            return _BY_URI[name], "uri"
        local = re.split(r"[/#]", name.rstrip("/"))[-1]
        norm = normalise_name(local)
        if norm in _BY_NORMALISED:
            return _BY_NORMALISED[norm], "uri"
        return None
    prefix, sep, local = name.partition(":")
    if sep and prefix.strip().casefold() in NAMESPACES:
        norm = normalise_name(local)
        if norm in _BY_NORMALISED:
            return _BY_NORMALISED[norm], "prefixed"
        if norm in _VARIANTS:
            return _VARIANTS[norm], "prefixed"
        return None
    norm = normalise_name(name)
    if not norm:
        return None
    if norm in _BY_NORMALISED:
        return _BY_NORMALISED[norm], "normalised"
    if norm in _VARIANTS:
        return _VARIANTS[norm], "variant"
    return None
