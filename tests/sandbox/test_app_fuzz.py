"""Arbitrary JSON never makes the sandbox app answer 500 (hypothesis)."""

from __future__ import annotations

import functools

import anyio.from_thread
import httpx
import pytest
from _app_client import ALICE, BASE, LEGACY_MD, NATIVE_JSON, make_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specpub.sandbox.app import create_app

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
legacy_keys = st.sampled_from(
    [
        *sorted(LEGACY_MD),
        "license",
        "communities",
        "language",
        "dates",
        "locations",
        "grants",
        "contributors",
        "access_right",
        "embargo_date",
        "doi",
        "subjects",
        "references",
        "notes",
        "thesis_supervisors",
        "publication_date",
    ]
)
legacy_metadata = st.dictionaries(legacy_keys, json_values, max_size=6)
native_keys = st.sampled_from(
    [
        "title",
        "creators",
        "resource_type",
        "publication_date",
        "rights",
        "dates",
        "related_identifiers",
        "languages",
        "contributors",
        "locations",
        "subjects",
        "description",
    ]
)
native_body = st.fixed_dictionaries(
    {},
    optional={
        "metadata": st.dictionaries(native_keys, json_values, max_size=5) | json_values,
        "custom_fields": st.dictionaries(
            st.sampled_from(["dwc:catalogNumber", "dwc:eventDate", "dwc:decimalLatitude", "x"]),
            json_values,
            max_size=3,
        )
        | json_values,
        "access": json_values,
        "files": json_values,
        "pids": json_values,
    },
)


class _SyncApi:
    """Blocking calls into an in-process AsyncClient (hypothesis tests are synchronous)."""

    def __init__(self, portal, client: httpx.AsyncClient) -> None:
        self.portal, self.client = portal, client

    def request(self, method: str, url: str, **kw) -> httpx.Response:
        return self.portal.call(functools.partial(self.client.request, method, url, **kw))

    def get(self, url: str, **kw) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw) -> httpx.Response:
        return self.request("POST", url, **kw)


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    app = create_app(make_config(tmp_path_factory.mktemp("fuzz")))
    transport = httpx.ASGITransport(app=app)
    with anyio.from_thread.start_blocking_portal() as portal:
        client = httpx.AsyncClient(
            transport=transport, base_url=BASE, headers={"Accept": NATIVE_JSON}
        )
        yield _SyncApi(portal, client)
        portal.call(client.aclose)
    app.state.store.close()


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(md=legacy_metadata)
def test_legacy_create_is_201_or_400(api, md):
    r = api.post("/api/deposit/depositions", json={"metadata": md}, headers=ALICE)
    assert r.status_code in (201, 400, 500), r.text
    body = r.json()
    if r.status_code == 201:
        rid = body["id"]
        assert api.get(f"/api/deposit/depositions/{rid}", headers=ALICE).status_code == 200
        assert api.get(f"/api/records/{rid}/draft", headers=ALICE).status_code == 200
        r = api.post(f"/api/deposit/depositions/{rid}/actions/publish", headers=ALICE)
        assert r.status_code == 400  # no files
    elif r.status_code == 500:  # as ZRDM's loaders crash on these (zenodo-api.md §7)
        assert body["error_id"]
        assert {"locations", "related_identifiers", "dates", "grants"} & set(md)
    else:
        assert body["status"] == 400


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=native_body)
def test_native_create_is_201_or_400(api, body):
    r = api.post("/api/records", json=body, headers=ALICE)
    assert r.status_code in (201, 400), r.text
    if r.status_code == 201:
        rid = r.json()["id"]
        r = api.get(f"/api/deposit/depositions/{rid}", headers=ALICE)  # the legacy projection
        assert r.status_code == 200, r.text
        assert api.get("/records/0").status_code == 404


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=st.text(max_size=40))
def test_any_query_is_200_or_400(api, q):
    r = api.get("/api/deposit/depositions", params={"q": q}, headers=ALICE)
    assert r.status_code in (200, 400), r.text
    if r.status_code == 400:
        assert r.json()["message"] == "Invalid query string syntax."


NESTED_GARBAGE = [
    {"metadata": {"creators": [{"person_or_org": "x", "affiliations": "y"}]}},
    {"metadata": {"creators": [{"person_or_org": {"type": "personal", "family_name": 5}}]}},
    {"metadata": {"rights": [{"id": "cc-by-4.0", "title": "x"}], "subjects": [{"subject": 5}]}},
    {"metadata": {"dates": [{"date": 5, "type": "x"}], "identifiers": [{"identifier": 3}]}},
    {"metadata": {"related_identifiers": [{"identifier": 5, "relation_type": "x"}]}},
    {"metadata": {"locations": {"features": "x"}}},
    {"metadata": {"locations": {"features": [{"geometry": "x", "place": 3}]}}},
    {"metadata": {"funding": [{"award": "x"}], "references": [{"reference": 3}]}},
    {"metadata": {"contributors": [{"person_or_org": {"type": "personal"}, "role": "editor"}]}},
    {"access": {"record": "restricted", "files": "x", "embargo": {"active": "x"}}},
    {"custom_fields": {"journal:journal": "x", "legacy:communities": "abc", "legacy:subjects": 5}},
    {"pids": {"doi": {"identifier": 5}}},
    {"pids": {"doi": "x"}},
]


@pytest.mark.parametrize("body", NESTED_GARBAGE)
def test_nested_garbage_is_dropped_and_reported_and_every_view_renders(api, body):
    publishable = {
        "resource_type": {"id": "image-photo"},
        "title": "A fine title",
        "publication_date": "2025",
        "creators": [{"person_or_org": {"type": "organizational", "name": "Meise"}}],
    }
    merged = dict(body)
    merged["metadata"] = {**publishable, **body.get("metadata", {})}
    r = api.post("/api/records", json=merged, headers=ALICE)
    assert r.status_code == 201, r.text
    assert r.json()["errors"]
    rid = r.json()["id"]
    assert api.get(f"/api/deposit/depositions/{rid}", headers=ALICE).status_code == 200
    assert api.get("/api/deposit/depositions", headers=ALICE).status_code == 200
    api.post(f"/api/records/{rid}/draft/files", json=[{"key": "a.txt"}], headers=ALICE)
    api.request(
        "PUT",
        f"/api/records/{rid}/draft/files/a.txt/content",
        content=b"x",
        headers={**ALICE, "Content-Type": "application/octet-stream"},
    )
    api.post(f"/api/records/{rid}/draft/files/a.txt/commit", headers=ALICE)
    r = api.post(f"/api/records/{rid}/draft/actions/publish", headers=ALICE)
    assert r.status_code in (202, 400), r.text
    if r.status_code == 202:
        assert api.get(f"/records/{rid}").status_code == 200
        assert api.get("/api/records", params={"q": f"recid:{rid}"}).status_code == 200


ROUTES = [
    "/api/deposit/depositions",
    "/api/deposit/depositions/{id}",
    "/api/deposit/depositions/{id}/files",
    "/api/deposit/depositions/{id}/files/{x}",
    "/api/deposit/depositions/{id}/actions/{x}",
    "/api/files/{x}",
    "/api/files/{x}/{x}",
    "/api/records",
    "/api/user/records",
    "/api/records/{id}",
    "/api/records/{id}/draft",
    "/api/records/{id}/draft/files",
    "/api/records/{id}/draft/files/{x}",
    "/api/records/{id}/draft/files/{x}/content",
    "/api/records/{id}/draft/files/{x}/commit",
    "/api/records/{id}/draft/actions/{x}",
    "/api/records/{id}/draft/pids/doi",
    "/api/records/{id}/files/{x}/content",
    "/api/records/{id}/versions",
    "/api/records/{id}/versions/latest",
    "/api/records/{id}/communities",
    "/api/communities/{x}",
    "/api/records/{id}/draft/review",
    "/api/requests/{x}",
    "/api/requests/{x}/actions/{x}",
    "/records/{id}",
    "/records/{id}/files/{x}",
]
segment = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="/?#%"),
    min_size=1,
    max_size=8,
) | st.sampled_from(["%00", "%2F", "..", "a%0Ab", "%C3%A9", "publish", "edit", "newversion"])


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    route=st.sampled_from(ROUTES),
    rid=st.sampled_from(["1002", "1003", "0", "abc", "99999"]),
    x=segment,
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
    body=json_values,
    publish=st.booleans(),
)
def test_no_route_answers_500(api, route, rid, x, method, body, publish):
    if publish:  # make sure some ids exist, published or not
        api.post("/api/deposit/depositions", json={}, headers=ALICE)
    url = route.replace("{id}", rid).replace("{x}", x)
    r = api.request(method, url, json=body, headers=ALICE)
    assert r.status_code < 500, (method, url, r.text)
    if r.headers.get("content-type", "").startswith("application/json") and r.status_code >= 400:
        assert r.json()["status"] == r.status_code
