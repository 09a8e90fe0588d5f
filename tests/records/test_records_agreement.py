"""The checks agree with the repository: a payload the checks call an error is refused by the
embedded repository (at create, upload or publish); one with only warnings publishes, and the
warned-about value is indeed dropped or changed; a clean one publishes unchanged. Both APIs.

Each case mutates a clean record built by the records layer, so that exactly one thing is
wrong, and names the check code that must fire.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from specpub.errors import InputError, Rejected
from specpub.records import check_files, check_payload
from specpub.records.mapping import build_one
from specpub.records.payloads import to_legacy, to_native
from specpub.records.spec import FileSpec
from specpub.repository import open_client

pytestmark = pytest.mark.slow
TOKEN_ENV = "SPECPUB_TEST_AGREEMENT_TOKEN"
ROW = {
    "catalogNumber": "BR0000013",
    "institutionCode": "BR",
    "occurrenceID": "http://www.botanicalcollections.be/specimen/BR0000013",
    "scientificName": "Quercus robur L.",
    "family": "Fagaceae",
    "eventDate": "1890-05-01/1890-05-03",
    "decimalLatitude": "50.93",
    "decimalLongitude": "4.33",
    "locality": "Meise",
    "language": "fra",
}


def _record():
    record, _ = build_one(ROW, preset="icedig-benchmark")
    record.publication_date = "2026-01-01"
    return record


def _set(path: str, value: Any) -> Callable[[dict], None]:
    def apply(body: dict) -> None:
        *parents, last = path.split(".")
        node = body
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
        if value is _DELETE:
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return apply


_DELETE = object()
ORCID_BAD = "0000-0002-1825-0098"

# (case id, mutation, the check code expected, severity)
# Both APIs clean the description's HTML on load; what is left must still be 3 characters.
DESCRIPTION_CASES = [
    (
        "description-html",
        _set("metadata.description", "<p onclick='x()'>Herbarium sheet</p><img src=x>"),
        "DESCRIPTION_HTML_REMOVED",
        "warning",
    ),
    (
        "description-nothing-left",
        _set("metadata.description", "<script>document.title='Herbarium'</script><img src=x>"),
        "DESCRIPTION_TOO_SHORT",
        "error",
    ),
]
LEGACY_CASES = [
    ("title-short", _set("metadata.title", "Ab"), "TITLE_TOO_SHORT", "error"),
    ("title-missing", _set("metadata.title", _DELETE), "TITLE_MISSING", "error"),
    ("no-creators", _set("metadata.creators", []), "CREATORS_MISSING", "error"),
    (
        "creator-empty-name",
        _set("metadata.creators", [{"name": ""}]),
        "CREATOR_NAME_MISSING",
        "error",
    ),
    (
        "orcid-check-digit",
        _set("metadata.creators", [{"name": "Doe, Jane", "orcid": ORCID_BAD}]),
        "ORCID_INVALID",
        "error",
    ),
    (
        "upload-type-unknown",
        _set("metadata.upload_type", "picture"),
        "RESOURCE_TYPE_INVALID",
        "error",
    ),
    ("image-type-unknown", _set("metadata.image_type", "scan"), "RESOURCE_TYPE_INVALID", "error"),
    (
        "upload-type-missing",
        _set("metadata.upload_type", _DELETE),
        "RESOURCE_TYPE_MISSING",
        "error",
    ),
    ("license-unknown", _set("metadata.license", "cc-by-5.0"), "LICENSE_UNKNOWN", "error"),
    ("license-not-text", _set("metadata.license", 123), "LICENSE_INVALID", "error"),
    (
        "access-right-unknown",
        _set("metadata.access_right", "public"),
        "ACCESS_RIGHT_INVALID",
        "error",
    ),
    (
        "embargo-without-date",
        _set("metadata.access_right", "embargoed"),
        "EMBARGO_DATE_MISSING",
        "error",
    ),
    ("language-long", _set("metadata.language", "english"), "LANGUAGE_INVALID", "error"),
    ("language-bibliographic", _set("metadata.language", "fre"), "LANGUAGE_UNKNOWN", "error"),
    (
        "date-impossible",
        _set("metadata.dates", [{"start": "1890-13-01", "end": "1890-13-02", "type": "Collected"}]),
        "DATE_INVALID",
        "error",
    ),
    (
        "date-type-unknown",
        _set("metadata.dates", [{"start": "1890-05-01", "end": "1890-05-01", "type": "Created"}]),
        "DATE_TYPE_INVALID",
        "error",
    ),
    (
        "related-undetectable",
        _set(
            "metadata.related_identifiers",
            [{"identifier": "TU278158", "relation": "isAlternateIdentifier"}],
        ),
        "RELATED_ID_SCHEME_UNDETECTABLE",
        "error",
    ),
    (
        "relation-unknown",
        _set(
            "metadata.related_identifiers",
            [{"identifier": "https://x.org/1", "relation": "isFriendOf"}],
        ),
        "RELATION_INVALID",
        "error",
    ),
    (
        "communities-not-objects",
        _set("metadata.communities", ["icedig"]),
        "COMMUNITIES_INVALID",
        "error",
    ),
    (
        "funder-unknown",
        _set("metadata.grants", [{"id": "10.13039/999999::1"}]),
        "FUNDER_UNKNOWN",
        "error",
    ),
    (
        "latitude-out-of-range",
        _set("metadata.locations", [{"lat": 95.0, "lon": 4.33, "place": "Meise"}]),
        "LOCATION_COORDINATE_INVALID",
        "error",
    ),
    ("version-too-long", _set("metadata.version", "v" * 200), "VERSION_TOO_LONG", "error"),
    ("description-too-short", _set("metadata.description", "ab"), "DESCRIPTION_TOO_SHORT", "error"),
    ("top-level-key", _set("id", 12), "UNKNOWN_TOP_LEVEL_KEY", "error"),
    ("zenodo-doi", _set("metadata.doi", "10.5281/zenodo.1"), "DOI_ZENODO_PREFIX", "error"),
    ("title-not-text", _set("metadata.title", 5), "NOT_A_STRING", "error"),
    ("creators-not-list", _set("metadata.creators", "Meise"), "NOT_A_LIST", "error"),
    ("creator-not-object", _set("metadata.creators", ["Meise"]), "CREATOR_INVALID", "error"),
    (
        "contributor-without-role",
        _set("metadata.contributors", [{"name": "Doe, Jane"}]),
        "CONTRIBUTOR_ROLE_MISSING",
        "error",
    ),
    (
        "contributor-role-unknown",
        _set("metadata.contributors", [{"name": "Doe, Jane", "type": "Boss"}]),
        "CONTRIBUTOR_ROLE_INVALID",
        "error",
    ),
    (
        "embargo-date-bad",
        lambda body: body["metadata"].update(access_right="embargoed", embargo_date="soon"),
        "EMBARGO_DATE_INVALID",
        "error",
    ),
    ("keyword-not-text", _set("metadata.keywords", [1]), "KEYWORD_INVALID", "error"),
    (
        "related-without-relation",
        _set("metadata.related_identifiers", [{"identifier": "https://x.org/1"}]),
        "RELATED_ID_INCOMPLETE",
        "error",
    ),
    (
        "related-resource-type-unknown",
        _set(
            "metadata.related_identifiers",
            [{"identifier": "https://x.org/1", "relation": "isPartOf", "resource_type": "bag"}],
        ),
        "RELATED_RESOURCE_TYPE_INVALID",
        "error",
    ),
    ("grant-without-id", _set("metadata.grants", [{}]), "GRANT_INVALID", "error"),
    (
        "location-without-place",
        _set("metadata.locations", [{"lat": 50.93, "lon": 4.33}]),
        "LOCATION_PLACE_MISSING",
        "error",
    ),
    # accepted, but something is lost or changed
    *DESCRIPTION_CASES,
    (
        "custom-term-unknown",
        _set("metadata.custom.dwc:recordNumber", ["4711"]),
        "CUSTOM_FIELD_UNKNOWN",
        "warning",
    ),
    (
        "custom-partial-date",
        _set("metadata.custom.dwc:eventDate", ["1890-05"]),
        "CUSTOM_FIELD_VALUE_INVALID",
        "warning",
    ),
    (
        "metadata-key-unknown",
        _set("metadata.recordNumber", "4711"),
        "UNKNOWN_METADATA_KEY",
        "warning",
    ),
    (
        "zero-longitude",
        _set("metadata.locations", [{"lat": 50.93, "lon": 0.0, "place": "Meise"}]),
        "LOCATION_POINT_DROPPED",
        "warning",
    ),
]
NATIVE_CASES = [
    ("title-short", _set("metadata.title", "Ab"), "TITLE_TOO_SHORT", "error"),
    ("no-creators", _set("metadata.creators", []), "CREATORS_MISSING", "error"),
    (
        "org-without-name",
        _set("metadata.creators", [{"person_or_org": {"type": "organizational", "name": ""}}]),
        "CREATOR_NAME_MISSING",
        "error",
    ),
    (
        "creator-type-unknown",
        _set("metadata.creators", [{"person_or_org": {"type": "robot", "name": "R2"}}]),
        "CREATOR_TYPE_INVALID",
        "error",
    ),
    (
        "orcid-check-digit",
        _set(
            "metadata.creators",
            [
                {
                    "person_or_org": {
                        "type": "personal",
                        "family_name": "Doe",
                        "identifiers": [{"scheme": "orcid", "identifier": ORCID_BAD}],
                    }
                }
            ],
        ),
        "ORCID_INVALID",
        "error",
    ),
    (
        "resource-type-unknown",
        _set("metadata.resource_type", {"id": "image-picture"}),
        "RESOURCE_TYPE_INVALID",
        "error",
    ),
    (
        "resource-type-missing",
        _set("metadata.resource_type", _DELETE),
        "RESOURCE_TYPE_MISSING",
        "error",
    ),
    ("license-unknown", _set("metadata.rights", [{"id": "cc-by-5.0"}]), "LICENSE_UNKNOWN", "error"),
    (
        "rights-id-and-title",
        _set("metadata.rights", [{"id": "cc-by-4.0", "title": {"en": "CC BY"}}]),
        "RIGHTS_ID_AND_TITLE",
        "error",
    ),
    ("language-unknown", _set("metadata.languages", [{"id": "fre"}]), "LANGUAGE_UNKNOWN", "error"),
    (
        "date-not-edtf",
        _set("metadata.dates", [{"date": "1.5.1890", "type": {"id": "collected"}}]),
        "DATE_INVALID",
        "error",
    ),
    (
        "date-type-unknown",
        _set("metadata.dates", [{"date": "1890", "type": {"id": "found"}}]),
        "DATE_TYPE_INVALID",
        "error",
    ),
    (
        "relation-unknown",
        _set(
            "metadata.related_identifiers",
            [
                {
                    "identifier": "https://x.org/1",
                    "scheme": "url",
                    "relation_type": {"id": "isfriendof"},
                }
            ],
        ),
        "RELATION_INVALID",
        "error",
    ),
    (
        "publication-date-bad",
        _set("metadata.publication_date", "2026-02-30"),
        "PUBLICATION_DATE_INVALID",
        "error",
    ),
    ("description-too-short", _set("metadata.description", "ab"), "DESCRIPTION_TOO_SHORT", "error"),
    ("version-too-long", _set("metadata.version", "v" * 200), "VERSION_TOO_LONG", "error"),
    ("title-missing", _set("metadata.title", _DELETE), "TITLE_MISSING", "error"),
    (
        "identifier-scheme-mismatch",
        _set("metadata.identifiers", [{"identifier": "TU1", "scheme": "url"}]),
        "RELATED_ID_SCHEME_MISMATCH",
        "error",
    ),
    # accepted, but something is lost or changed
    *DESCRIPTION_CASES,
    (
        "custom-term-unknown",
        _set("custom_fields.dwc:recordNumber", ["4711"]),
        "CUSTOM_FIELD_UNKNOWN",
        "warning",
    ),
    (
        "custom-partial-date",
        _set("custom_fields.dwc:eventDate", ["1890-05"]),
        "CUSTOM_FIELD_VALUE_INVALID",
        "warning",
    ),
    (
        "custom-not-list",
        _set("custom_fields.dwc:family", "Fagaceae"),
        "CUSTOM_FIELD_NOT_LIST",
        "warning",
    ),
    ("metadata-key-unknown", _set("metadata.recordNumber", "4711"), "UNKNOWN_FIELD", "warning"),
    ("record-restricted", _set("access.record", "restricted"), "ACCESS_INVALID", "warning"),
    ("files-disabled", _set("files", {"enabled": False}), "FILES_DISABLED", "warning"),
]


async def _attempt(
    sandbox, api: str, body: dict, files: list[tuple[Path, str]]
) -> tuple[bool, Any]:
    """Create, upload, publish; ``(published, record or error)``.

    An :class:`InputError` is the legacy client refusing a body before sending it: what
    Zenodo answers to it with a 500 (an entry without its required key) is never sent.
    """
    client = open_client("embedded", api=api, base_url=sandbox.url, token_env=TOKEN_ENV)
    try:
        try:
            draft = await client.create(body)
            for path, key in files:
                await client.upload(draft, path, key)
            published = await client.publish(draft.id)
        except (Rejected, InputError) as err:
            return False, err
        return True, await client.get(published.id)
    finally:
        await client.aclose()


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "BR0000013.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"jpeg body" * 50)
    return path


def _param(api: str, case: tuple) -> Any:
    case_id, mutate, code, severity = case
    return pytest.param(api, mutate, code, severity, id=f"{api}-{case_id}")


def _codes(findings, severity: str) -> set[str]:
    return {f.code for f in findings if f.severity == severity}


@pytest.mark.parametrize("api", ["legacy", "native"])
def test_clean_record_has_no_error_and_publishes(sandbox, monkeypatch, image, api):
    monkeypatch.setenv(TOKEN_ENV, sandbox.token)
    body = to_legacy(_record()) if api == "legacy" else to_native(_record())
    assert not _codes(check_payload(body, api), "error")
    ok, got = asyncio.run(_attempt(sandbox, api, body, [(image, image.name)]))
    assert ok, got


@pytest.mark.parametrize(
    ("api", "mutate", "code", "severity"),
    [_param("legacy", case) for case in LEGACY_CASES]
    + [_param("native", case) for case in NATIVE_CASES],
)
def test_checks_agree_with_the_repository(sandbox, monkeypatch, image, api, mutate, code, severity):
    monkeypatch.setenv(TOKEN_ENV, sandbox.token)
    body = copy.deepcopy(to_legacy(_record()) if api == "legacy" else to_native(_record()))
    mutate(body)
    findings = check_payload(body, api, record="|BR0000013")
    assert code in _codes(findings, severity), [(f.code, f.severity) for f in findings]
    errors = _codes(findings, "error")
    ok, got = asyncio.run(_attempt(sandbox, api, body, [(image, image.name)]))
    if errors:
        assert not ok, f"the checks say {sorted(errors)} but the repository published it"
        return
    assert ok, f"the checks found no error but the repository refused: {got}"
    # the warning was true: what it said would be lost is not in the record read back
    raw = got.raw
    custom = raw.get("custom_fields") if api == "native" else raw["metadata"].get("custom", {})
    metadata = raw["metadata"]
    lost = {
        "CUSTOM_FIELD_UNKNOWN": lambda: "dwc:recordNumber" not in custom,
        "CUSTOM_FIELD_VALUE_INVALID": lambda: "dwc:eventDate" not in custom,
        "CUSTOM_FIELD_NOT_LIST": lambda: "dwc:family" not in custom,
        "UNKNOWN_METADATA_KEY": lambda: "recordNumber" not in metadata,
        "UNKNOWN_FIELD": lambda: "recordNumber" not in metadata,
        "LOCATION_POINT_DROPPED": lambda: "lat" not in (metadata.get("locations") or [{}])[0],
        "ACCESS_INVALID": lambda: raw["access"]["record"] == "public",
        "FILES_DISABLED": lambda: bool(raw["files"]),
        "DESCRIPTION_HTML_REMOVED": lambda: (
            "onclick" not in metadata["description"]
            and "<img" not in metadata["description"]
            and "Herbarium sheet" in metadata["description"]
        ),
    }
    assert lost[code](), f"{code}: the value was kept after all: {raw}"


@pytest.mark.parametrize("api", ["legacy", "native"])
@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("none", "FILES_NONE"),
        ("empty", "FILE_EMPTY"),
        ("long-key", "FILE_KEY_TOO_LONG"),
        ("too-many", "FILES_TOO_MANY"),
    ],
)
def test_file_checks_agree_with_the_repository(
    sandbox, monkeypatch, tmp_path, image, api, case, code
):
    monkeypatch.setenv(TOKEN_ENV, sandbox.token)
    files: list[tuple[Path, str]] = []
    if case == "empty":
        empty = tmp_path / "empty.jpg"
        empty.write_bytes(b"")
        files = [(image, image.name), (empty, empty.name)]
    elif case == "long-key":
        files = [(image, "x" * 252 + ".jpg")]
    elif case == "too-many":
        files = [(image, f"sheet-{i:03d}.jpg") for i in range(101)]
    specs = [
        FileSpec(path, key, path.stat().st_size, hashlib.md5(path.read_bytes()).hexdigest())
        for path, key in files
    ]
    assert code in _codes(check_files(specs, api), "error")
    body = to_legacy(_record()) if api == "legacy" else to_native(_record())
    ok, _ = asyncio.run(_attempt(sandbox, api, body, files))
    assert not ok, f"{case}: the repository published it"
