"""Two-stage validation of the sandbox app (zenodo-api.md §1.6–1.8, checklist 6–7, 12)."""

from __future__ import annotations

import pytest
from _app_client import ALICE, BOB, HERB, LEGACY_MD, OTHER, client, legacy_draft, path, upload

from specpub.sandbox._customfields import clean_custom_fields

pytestmark = pytest.mark.anyio
DEP = "/api/deposit/depositions"


async def post(c, metadata: dict):
    return await c.post(DEP, json={"metadata": metadata}, headers=ALICE)


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"license": 123}, "metadata.license", "Invalid license value provided"),
        ({"license": "no-such-license"}, "metadata.license", "Invalid license provided: no-such"),
        ({"communities": "herbaria"}, "metadata.communities", "Invalid communities"),
        ({"communities": [{"id": "x"}]}, "metadata.communities", "Invalid communities"),
        ({"language": "english"}, "metadata.language", "Language must be either ISO-639-1"),
        ({"dates": [{"type": "Collected"}]}, "metadata.dates", "Invalid date provided."),
        ({"access_right": "embargoed"}, "metadata.access_right", "Unknown access type."),
        ({"access_right": "secret"}, "metadata.access_right", "Unknown access type."),
        (
            {"related_identifiers": [{"identifier": "not an id", "relation": "cites"}]},
            "metadata.related_identifiers.0.scheme",
            "No valid scheme recognized for identifier.",
        ),
        ({"related_identifiers": "x"}, "metadata.related_identifiers", "Not a valid list."),
        ({"creators": "Doe"}, "metadata.creators", "Not a valid list."),
        ({"doi": "10.5281/zenodo.1"}, "metadata.doi", "Wrong DOI 10.5281 prefix"),
    ],
)
async def test_legacy_deserializer_errors_are_400_with_fields(tmp_path, extra, field, message):
    async with client(tmp_path) as c:
        r = await post(c, {**LEGACY_MD, **extra})
        assert r.status_code == 400, r.text
        body = r.json()
        assert body["status"] == 400
        assert body["message"] == "A validation error occurred."
        errors = {e["field"]: e["messages"] for e in body["errors"]}
        assert field in errors
        assert any(message in m for m in errors[field])
        assert c.app.state.store.count_records() == 0


@pytest.mark.parametrize(
    "extra",
    [
        {"upload_type": "sculpture"},
        {"upload_type": "publication", "publication_type": "novel"},
        {"upload_type": "image", "image_type": "selfie"},
        {"related_identifiers": [{"identifier": "https://x.org/a", "relation": "isFriendOf"}]},
        {"contributors": [{"name": "A, B", "type": "Boss"}]},
        {"language": "xq"},
        {"dates": [{"start": "2020", "type": "Someday"}]},
    ],
)
async def test_bad_vocabulary_ids_are_not_a_valid_value(tmp_path, extra):
    async with client(tmp_path) as c:
        r = await post(c, {**LEGACY_MD, **extra})
        assert r.status_code == 400
        assert r.json() == {"status": 400, "message": "Not a valid value."}


async def test_native_bad_vocabulary_is_400_too(tmp_path):
    async with client(tmp_path) as c:
        for md in (
            {"resource_type": {"id": "nonsense"}},
            {"rights": [{"id": "nope"}]},
            {"languages": [{"id": "xxx"}]},
        ):
            r = await c.post("/api/records", json={"metadata": md}, headers=ALICE)
            assert r.status_code == 400
            assert r.json()["message"] == "Not a valid value."


async def test_legacy_mapping_of_accepted_values(tmp_path):
    async with client(tmp_path) as c:
        extra = {
            "license": {"id": "cc-zero"},
            "language": "en",
            "access_right": "embargoed",
            "embargo_date": "2999-01-01",
            "dates": [{"start": "1890-05-01", "end": "1890-05-03", "type": "Collected"}],
            "locations": [{"lat": 50.93, "lon": 4.33, "place": "Meise"}],
            "contributors": [{"name": "Smith, J.", "type": "DataCollector"}],
            "notes": "Some notes",
            "grants": [{"id": "777483"}],
            "related_identifiers": [
                {"identifier": "10.1234/abc", "relation": "isAlternateIdentifier"},
                {"identifier": "https://x.org/a", "relation": "isOrignialFormOf"},
            ],
            "journal_title": "J. Bot.",
            "subjects": [{"term": "Botany", "identifier": "x", "scheme": "url"}],
        }
        dep = await legacy_draft(c, {**LEGACY_MD, **extra})
        md = dep["metadata"]
        assert md["license"] == "cc-zero"
        assert md["language"] == "eng"
        assert md["access_right"] == "embargoed"
        assert md["embargo_date"] == "2999-01-01"
        assert md["dates"] == [{"type": "collected", "start": "1890-05-01", "end": "1890-05-03"}]
        assert md["locations"] == [{"place": "Meise", "lon": 4.33, "lat": 50.93}]
        assert md["contributors"][0]["type"] == "DataCollector"
        assert md["notes"] == "Some notes"
        assert md["grants"] == [{"id": "10.13039/501100000780::777483"}]  # H2020: with funder
        rels = {r["relation"] for r in md["related_identifiers"]}
        assert rels == {"isAlternateIdentifier", "isOriginalFormOf"}
        assert md["journal_title"] == "J. Bot."
        assert md["subjects"][0]["term"] == "Botany"
        r = await c.get(f"/api/records/{dep['id']}/draft", headers=ALICE)
        native = r.json()
        assert native["metadata"]["resource_type"] == {"id": "image-photo"}
        assert native["metadata"]["rights"] == [{"id": "cc0-1.0"}]
        assert native["metadata"]["creators"][0]["person_or_org"] == {
            "type": "personal",
            "family_name": "Doe",
            "given_name": "Jane",
        }
        assert native["access"]["files"] == "restricted"
        assert native["metadata"]["funding"][0]["award"]["id"] == "00k4n6c32::777483"


async def test_dataset_license_default_and_zero_coordinate_dropped(tmp_path):
    async with client(tmp_path) as c:
        md = {
            **LEGACY_MD,
            "upload_type": "dataset",
            "locations": [{"lat": 0, "lon": 4.3, "place": "Equator"}],
        }
        dep = await legacy_draft(c, md)
        assert dep["metadata"]["license"] == "cc-zero"
        assert dep["metadata"]["locations"] == [{"place": "Equator"}]


async def test_legacy_custom_fields_silently_dropped_native_reported(tmp_path):
    async with client(tmp_path) as c:
        custom = {
            "dwc:catalogNumber": ["BR1"],
            "dwc:eventDate": ["1890-05"],
            "dwc:verbatimEventDate": ["May 1890"],
            "dwc:recordNumber": ["77"],
            "dwc:decimalLatitude": [50.93],
            "dwc:decimalLongitude": ["4.33"],
            "ac:digitizationDate": ["2024-11"],
            "dwc:family": "Fagaceae",
        }
        dep = await legacy_draft(c, {**LEGACY_MD, "custom": custom})
        assert "errors" not in dep
        assert dep["metadata"]["custom"] == {
            "dwc:catalogNumber": ["BR1"],
            "dwc:verbatimEventDate": ["May 1890"],
            "dwc:decimalLatitude": [50.93],
            "dwc:decimalLongitude": [4.33],  # a numeric string is a number (non-strict Float)
            "ac:digitizationDate": ["2024-11"],
        }
        r = await c.post("/api/records", json={"custom_fields": custom}, headers=ALICE)
        fields = {e["field"] for e in r.json()["errors"]}
        assert fields == {
            "custom_fields.dwc:eventDate.0",
            "custom_fields.dwc:recordNumber",
            "custom_fields.dwc:family",
        }


async def test_native_alternate_identifiers_are_checked_against_their_scheme(tmp_path):
    async with client(tmp_path) as c:
        body = {
            "metadata": {
                "title": "Quercus robur",
                "identifiers": [
                    {"identifier": "https://herbarium.bgbm.org/object/B100001", "scheme": "url"},
                    {"identifier": "TU1", "scheme": "url"},
                    {"identifier": "10.5072/x.1"},
                    {"identifier": "not an id"},
                ],
            }
        }
        r = await c.post("/api/records", json=body, headers=ALICE)
        assert r.status_code == 201
        errors = {e["field"]: e["messages"] for e in r.json()["errors"]}
        assert errors == {
            "metadata.identifiers.1.identifier": ["Invalid url identifier."],
            "metadata.identifiers.3.scheme": ["No valid scheme recognized for identifier."],
        }
        assert r.json()["metadata"]["identifiers"][2] == {
            "identifier": "10.5072/x.1",
            "scheme": "doi",
        }


async def test_descriptions_are_stored_sanitised_on_both_apis(tmp_path):
    dirty = '<p onclick="x()">Herbarium <b>sheet</b></p><script>alert(1)</script><img src=x>'
    async with client(tmp_path) as c:
        dep = await legacy_draft(c, {**LEGACY_MD, "description": dirty, "notes": dirty})
        assert dep["metadata"]["description"] == "<p>Herbarium <b>sheet</b></p>"
        assert dep["metadata"]["notes"] == "<p>Herbarium <b>sheet</b></p>"
        body = {"metadata": {"description": dirty}}
        r = await c.post("/api/records", json=body, headers=ALICE)
        assert r.json()["metadata"]["description"] == "<p>Herbarium <b>sheet</b></p>"
        body = {"metadata": {"description": "<img src=x><script>x</script>"}}
        r = await c.post("/api/records", json=body, headers=ALICE)
        fields = {e["field"] for e in r.json()["errors"]}
        assert "metadata.description" in fields  # nothing is left: shorter than 3


def test_custom_field_types():
    clean, errors = clean_custom_fields(
        {
            "dwc:individualCount": ["3"],
            "gbif:ampliconSize": [120],
            "dwc:dateIdentified": ["2020-02-30"],
            "obo:RO_0002453": [{"subject": ["a"], "object": ["b"]}],
            "dwc:catalogNumber": [],
        }
    )
    assert set(clean) == {"dwc:individualCount", "gbif:ampliconSize", "obo:RO_0002453"}
    assert {e["field"] for e in errors} == {
        "custom_fields.dwc:dateIdentified.0",
        "custom_fields.dwc:catalogNumber",
    }


async def test_rdm_errors_hidden_on_legacy_save_and_shown_at_publish(tmp_path):
    async with client(tmp_path) as c:
        dep = await legacy_draft(c, {"title": "ab", "creators": [{"name": ""}]})
        assert "errors" not in dep
        await upload(c, dep, "a.jpg", b"1")
        r = await c.post(path(dep["links"]["publish"]), headers=ALICE)
        assert r.status_code == 400
        fields = {e["field"] for e in r.json()["errors"]}
        assert fields == {
            "metadata.title",
            "metadata.resource_type",
            "metadata.creators.0.person_or_org.family_name",
        }


async def test_publish_without_files_is_refused(tmp_path):
    async with client(tmp_path) as c:
        dep = await legacy_draft(c)
        r = await c.post(path(dep["links"]["publish"]), headers=ALICE)
        assert r.status_code == 400
        assert r.json()["errors"] == [
            {
                "field": "files.enabled",
                "messages": [
                    "Missing uploaded files. To disable files for this record please mark it "
                    "as metadata-only."
                ],
            }
        ]


async def test_communities_owner_accepted_other_pending_unknown_ignored(tmp_path):
    async with client(tmp_path) as c:
        comms = [{"identifier": s} for s in (HERB.slug, OTHER.slug, "no-such-community")]
        dep = await legacy_draft(c, {**LEGACY_MD, "communities": comms})
        assert [x["identifier"] for x in dep["metadata"]["communities"]] == [
            HERB.slug,
            OTHER.slug,
            "no-such-community",
        ]
        await upload(c, dep, "a.jpg", b"1")
        r = await c.post(path(dep["links"]["publish"]), headers=ALICE)
        assert r.status_code == 202
        assert r.json()["metadata"]["communities"] == [{"identifier": HERB.slug}]
        rec = (await c.get(f"/api/records/{dep['id']}")).json()
        assert rec["parent"]["communities"]["ids"] == [HERB.id]
        (req,) = rec["parent"]["community_requests"]
        assert req["community"] == OTHER.id
        assert req["status"] == "submitted"


async def test_bob_is_not_owner_of_herbaria(tmp_path):
    async with client(tmp_path) as c:
        md = {**LEGACY_MD, "communities": [{"identifier": HERB.slug}]}
        r = await c.post(DEP, json={"metadata": md}, headers=BOB)
        dep = r.json()
        await upload(c, dep, "a.jpg", b"1", headers=BOB)
        r = await c.post(path(dep["links"]["publish"]), headers=BOB)
        assert r.status_code == 202
        rec = (await c.get(f"/api/records/{dep['id']}")).json()
        assert rec["parent"]["communities"]["ids"] == []
        assert rec["parent"]["community_requests"][0]["community"] == HERB.id
