"""Every Zenodo-side check fires on the payload it is about, with the record, the field path
and a fix, and stays quiet on a clean record (test_records_agreement.py checks, against the
embedded repository, that each error is refused there and each warning is true)."""

from __future__ import annotations

import copy
from types import SimpleNamespace as F

import pytest

from specpub.records import CHECKS, BuiltRecord, check_files, check_payload
from specpub.records.mapping import build_one
from specpub.records.payloads import to_legacy, to_native
from specpub.records.sanitize import removed_html

ROW = {
    "catalogNumber": "BR0000013",
    "institutionCode": "BR",
    "occurrenceID": "http://www.botanicalcollections.be/specimen/BR0000013",
    "scientificName": "Quercus robur L.",
    "eventDate": "1890-05-01",
    "decimalLatitude": "50.93",
    "decimalLongitude": "4.33",
    "locality": "Meise",
    "language": "fra",
}
ORCID_BAD = "0000-0002-1825-0098"
MD5 = "0" * 32


def _legacy():
    return copy.deepcopy(to_legacy(build_one(ROW, preset="icedig-benchmark")[0]))


def _native():
    return copy.deepcopy(to_native(build_one(ROW, preset="icedig-benchmark")[0]))


def _lmd(**changes):
    body = _legacy()
    for key, value in changes.items():
        if value is None:
            body["metadata"].pop(key, None)
        else:
            body["metadata"][key] = value
    return body


def _nmd(**changes):
    body = _native()
    for key, value in changes.items():
        if value is None:
            body["metadata"].pop(key, None)
        else:
            body["metadata"][key] = value
    return body


def _with(body, **top):
    body.update(top)
    return body


# code → (api, payload); api "files" means a file list for check_files
CASES = {
    "BODY_INVALID": ("legacy", []),
    "UNKNOWN_TOP_LEVEL_KEY": ("legacy", _with(_legacy(), id=1)),
    "UNKNOWN_METADATA_KEY": ("legacy", _lmd(recordNumber="12")),
    "UNKNOWN_FIELD": ("native", _nmd(recordNumber="12")),
    "NOT_A_STRING": ("legacy", _lmd(title=5)),
    "NOT_A_LIST": ("legacy", _lmd(creators="Meise")),
    "RESOURCE_TYPE_MISSING": ("legacy", _lmd(upload_type=None)),
    "RESOURCE_TYPE_INVALID": ("legacy", _lmd(upload_type="picture")),
    "TITLE_MISSING": ("native", _nmd(title=None)),
    "TITLE_TOO_SHORT": ("legacy", _lmd(title="Ab")),
    "PUBLICATION_DATE_INVALID": ("legacy", _lmd(publication_date="2026-02-30")),
    "CREATORS_MISSING": ("legacy", _lmd(creators=[])),
    "CREATOR_INVALID": ("legacy", _lmd(creators=["Meise"])),
    "CREATOR_NAME_MISSING": ("legacy", _lmd(creators=[{"name": " "}])),
    "CREATOR_TYPE_INVALID": (
        "native",
        _nmd(creators=[{"person_or_org": {"type": "x", "name": "M"}}]),
    ),
    "CREATOR_NAME_SPLIT": ("legacy", _lmd(creators=[{"name": "Natural History Museum, London"}])),
    "ORCID_INVALID": ("legacy", _lmd(creators=[{"name": "Doe, Jane", "orcid": ORCID_BAD}])),
    "CONTRIBUTOR_ROLE_MISSING": ("legacy", _lmd(contributors=[{"name": "Doe, Jane"}])),
    "CONTRIBUTOR_ROLE_INVALID": ("legacy", _lmd(contributors=[{"name": "Doe", "type": "Boss"}])),
    "DESCRIPTION_TOO_SHORT": ("legacy", _lmd(description="ab")),
    "DESCRIPTION_MISSING": ("native", _nmd(description=None)),
    "DESCRIPTION_HTML_REMOVED": (
        "legacy",
        _lmd(description="<p onclick='x()'>Sheet</p><img src=x>"),
    ),
    "ACCESS_RIGHT_INVALID": ("legacy", _lmd(access_right="public")),
    "EMBARGO_DATE_MISSING": ("legacy", _lmd(access_right="embargoed")),
    "EMBARGO_DATE_INVALID": ("legacy", _lmd(access_right="embargoed", embargo_date="soon")),
    "ACCESS_INVALID": (
        "native",
        _with(_native(), access={"record": "restricted", "files": "public"}),
    ),
    "FILES_DISABLED": ("native", _with(_native(), files={"enabled": False})),
    "LICENSE_INVALID": ("legacy", _lmd(license=123)),
    "LICENSE_UNKNOWN": ("legacy", _lmd(license="cc-by-5.0")),
    "LICENSE_DEFAULTED": ("legacy", _lmd(license=None)),
    "RIGHTS_ID_AND_TITLE": ("native", _nmd(rights=[{"id": "cc-by-4.0", "title": {"en": "x"}}])),
    "KEYWORD_INVALID": ("legacy", _lmd(keywords=[1])),
    "RELATED_ID_INCOMPLETE": (
        "legacy",
        _lmd(related_identifiers=[{"identifier": "https://x.org"}]),
    ),
    "RELATED_ID_SCHEME_UNDETECTABLE": (
        "legacy",
        _lmd(related_identifiers=[{"identifier": "TU278158", "relation": "isAlternateIdentifier"}]),
    ),
    "RELATED_ID_SCHEME_MISMATCH": (
        "native",
        _nmd(identifiers=[{"identifier": "TU1", "scheme": "url"}]),
    ),
    "RELATION_INVALID": (
        "legacy",
        _lmd(related_identifiers=[{"identifier": "https://x.org", "relation": "isFriendOf"}]),
    ),
    "RELATED_RESOURCE_TYPE_INVALID": (
        "legacy",
        _lmd(
            related_identifiers=[
                {"identifier": "https://x.org", "relation": "isPartOf", "resource_type": "bag"}
            ]
        ),
    ),
    "COMMUNITIES_INVALID": ("legacy", _lmd(communities=["icedig"])),
    "GRANT_INVALID": ("legacy", _lmd(grants=[{}])),
    "FUNDER_UNKNOWN": ("legacy", _lmd(grants=[{"id": "10.13039/999::1"}])),
    "LANGUAGE_INVALID": ("legacy", _lmd(language="english")),
    "LANGUAGE_UNKNOWN": ("legacy", _lmd(language="xxq")),
    "LOCATION_PLACE_MISSING": ("legacy", _lmd(locations=[{"lat": 1.0, "lon": 2.0}])),
    "LOCATION_COORDINATE_INVALID": (
        "legacy",
        _lmd(locations=[{"lat": 91.0, "lon": 2.0, "place": "x"}]),
    ),
    "LOCATION_POINT_DROPPED": ("legacy", _lmd(locations=[{"lat": 0.0, "lon": 2.0, "place": "x"}])),
    "DATE_INVALID": (
        "legacy",
        _lmd(dates=[{"start": "1890-05-03", "end": "1890-05-01", "type": "Collected"}]),
    ),
    "DATE_TYPE_INVALID": ("legacy", _lmd(dates=[{"start": "1890", "type": "Found"}])),
    "VERSION_TOO_LONG": ("legacy", _lmd(version="v" * 192)),
    "DOI_ZENODO_PREFIX": ("legacy", _lmd(doi="10.5281/zenodo.123")),
    "CUSTOM_FIELDS_INVALID": ("native", _with(_native(), custom_fields=["dwc:family"])),
    "CUSTOM_FIELD_UNKNOWN": (
        "legacy",
        _lmd(custom={"dwc:catalogNumber": ["A"], "dwc:recordNumber": ["1"]}),
    ),
    "CUSTOM_FIELD_NOT_LIST": (
        "legacy",
        _lmd(custom={"dwc:catalogNumber": ["A"], "dwc:family": "F"}),
    ),
    "CUSTOM_FIELD_VALUE_INVALID": (
        "legacy",
        _lmd(custom={"dwc:catalogNumber": ["A"], "dwc:decimalLatitude": ["north"]}),
    ),
    "CUSTOM_FIELD_TRIMMED": (
        "legacy",
        _lmd(custom={"dwc:catalogNumber": ["A"], "dwc:family": [" F "]}),
    ),
    "MARKER_MISSING": ("legacy", _lmd(custom={"dwc:family": ["F"]})),
    "FILES_NONE": ("files", []),
    "FILES_TOO_MANY": ("files", [F(key=f"{i}.jpg", size=1, md5=MD5) for i in range(101)]),
    "FILE_EMPTY": ("files", [F(key="a.jpg", size=0, md5=MD5)]),
    "FILE_TOO_LARGE": ("files", [F(key="a.tif", size=50 * 10**9 + 1, md5=MD5)]),
    "QUOTA_EXCEEDED": ("files", [F(key=f"{i}.tif", size=20 * 10**9, md5=MD5) for i in range(3)]),
    "FILE_KEY_DUPLICATE": ("files", [F(key="a.jpg", size=1, md5=MD5)] * 2),
    "FILE_KEY_TOO_LONG": ("files", [F(key="a" * 252 + ".jpg", size=1, md5=MD5)]),
    "FILE_KEY_SLASH": ("files", [F(key="masters/a.tif", size=1, md5=MD5)]),
    "FILE_KEY_INVALID": ("files", [F(key="a\nb.jpg", size=1, md5=MD5)]),
    "FILE_MD5_INVALID": ("files", [F(key="a.jpg", size=1, md5="?")]),
    "COMMUNITIES_NOT_IN_BODY": ("built", {**ROW}),
}


def test_every_check_has_a_case():
    assert set(CASES) == set(CHECKS)


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_check_fires_with_record_field_and_fix(code):
    api, payload = CASES[code]
    if api == "built":
        record = build_one({**payload, "_row": 7}, preset="icedig-benchmark")[0]
        findings = BuiltRecord.from_record(record).findings
    elif api == "files":
        findings = check_files(payload, "legacy", record="BR|BR0000013", row=7)
    else:
        findings = check_payload(payload, api, record="BR|BR0000013", row=7)
    hits = [f for f in findings if f.code == code]
    assert hits, [(f.code, f.field) for f in findings]
    for f in hits:
        assert f.severity == CHECKS[code].severity
        assert (f.record, f.row) == ("BR|BR0000013", 7)
        assert f.field is not None
        assert f.message
        if f.severity == "error":
            assert f.fix, code


@pytest.mark.parametrize("api", ["legacy", "native"])
def test_a_record_built_by_the_records_layer_has_no_error(api):
    body = _legacy() if api == "legacy" else _native()
    assert not [f for f in check_payload(body, api) if f.severity != "info"]
    assert not check_files([F(key="BR0000013.jpg", size=10, md5=MD5)], api)


def test_legacy_findings_name_the_legacy_field_to_fix():
    findings = check_payload(_lmd(license="cc-by-5.0", language="xxq"), "legacy")
    assert {f.field for f in findings} >= {"metadata.license.0", "metadata.language.0"}


def test_native_allows_a_slash_in_a_file_key():
    assert not check_files([F(key="masters/a.tif", size=1, md5=MD5)], "native")


@pytest.mark.parametrize(
    ("description", "removed"),
    [
        ('<p><a href="notes.html" title="n">notes</a> <span class="x">ok</span></p>', []),
        ('<a href="https://example.org">x</a>', []),
        ('<a href="java\nscript:alert(1)">x</a>', ["href='java\\nscript:alert(1)' on <a>"]),
        ('<a href="data:text/html,x">x</a>', ["href='data:text/html,x' on <a>"]),
        ('<a target="_blank" href="/x">x</a>', ["target= on <a>"]),
    ],
)
def test_links_zenodo_keeps_and_removes(description, removed):
    assert removed_html(description) == removed
