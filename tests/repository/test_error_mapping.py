"""Every error class, from real client calls over an httpx.MockTransport."""

from __future__ import annotations

import httpx
import pytest

from specpub.errors import (
    Ambiguous,
    AuthenticationError,
    NotFound,
    RateLimited,
    Rejected,
    Transient,
)
from specpub.repository import RemoteRecord

pytestmark = pytest.mark.anyio

NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
DRAFT = RemoteRecord(id="12", state="draft", is_published=False)


def responder(status, *, json=None, text=None, headers=None):
    def handler(request: httpx.Request) -> httpx.Response:
        if json is not None:
            return httpx.Response(status, json=json, headers=headers)
        return httpx.Response(status, text=text or "", headers=headers)

    return handler


def raiser(exc_type):
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc_type("simulated", request=request)

    return handler


async def call(client, step: str):
    """Run one client step (all need only ids)."""
    if step == "create":
        return await client.create({"metadata": {"title": "x"}})
    if step == "update":
        return await client.update("12", {"metadata": {"title": "x"}})
    if step == "publish":
        return await client.publish("12")
    if step == "get":
        return await client.get("12")
    if step == "search":
        return await client.search("title:x")
    if step == "edit":
        return await client.edit("12")
    raise AssertionError(step)


@pytest.mark.parametrize("api", ["legacy", "native"])
@pytest.mark.parametrize(
    ("status", "step", "expected"),
    [
        (401, "get", AuthenticationError),
        (403, "create", AuthenticationError),
        (403, "search", AuthenticationError),
        (403, "update", Rejected),
        (404, "publish", NotFound),
        (410, "get", Rejected),
        (412, "update", Rejected),
        (415, "create", Rejected),
        (500, "create", Transient),
        (503, "publish", Transient),
        (502, "create", Ambiguous),
        (504, "publish", Ambiguous),
        (502, "get", Transient),
        (504, "update", Transient),
        (504, "edit", Transient),
        (408, "create", Ambiguous),
        (408, "get", Transient),
    ],
)
async def test_status_maps_to_error_class(make_client, api, status, step, expected):
    body = {"status": status, "message": f"server says {status}"}
    client = make_client(api, responder(status, json=body))
    with pytest.raises(expected) as info:
        await call(client, step)
    err = info.value
    assert type(err) is expected
    assert err.status == status
    assert err.step == step
    assert err.method in ("GET", "POST", "PUT")
    assert err.url.startswith("https://repo.example.org/api/")
    assert f"server says {status}" in str(err)


@pytest.mark.parametrize("api", ["legacy", "native"])
async def test_403_on_a_resource_is_not_an_authentication_error(make_client, api):
    client = make_client(api, responder(403, json={"status": 403, "message": "Permission denied."}))
    with pytest.raises(Rejected) as info:
        await client.delete_file("12", "a.jpg")
    assert not isinstance(info.value, AuthenticationError)


@pytest.mark.parametrize(
    "errors",
    [
        [{"field": "metadata.title", "messages": ["Title too short.", "Needs 3 chars."]}],
        [{"field": "metadata.title", "message": "Title too short. Needs 3 chars."}],
    ],
    ids=["messages-list", "message-string"],
)
@pytest.mark.parametrize("api", ["legacy", "native"])
async def test_validation_error_carries_field_messages(make_client, api, errors):
    body = {"status": 400, "message": "A validation error occurred.", "errors": errors}
    client = make_client(api, responder(400, json=body))
    with pytest.raises(Rejected) as info:
        await client.publish("12")
    err = info.value
    assert type(err) is Rejected
    assert err.errors[0].field == "metadata.title"
    assert "Title too short." in err.field_messages[0]
    assert "Needs 3 chars." in str(err)


@pytest.mark.parametrize("api", ["legacy", "native"])
async def test_html_proxy_page_is_handled(make_client, api):
    client = make_client(api, responder(502, text=NGINX_502, headers={"content-type": "text/html"}))
    with pytest.raises(Ambiguous) as info:
        await client.create({"metadata": {}})
    assert "502 Bad Gateway" in info.value.message
    assert "<html>" not in str(info.value)
    assert info.value.errors == ()


@pytest.mark.parametrize("api", ["legacy", "native"])
async def test_error_id_is_kept(make_client, api):
    body = {"status": 500, "message": "Internal server error", "error_id": "a1b2c3"}
    client = make_client(api, responder(500, json=body))
    with pytest.raises(Transient) as info:
        await client.get("12")
    assert info.value.error_id == "a1b2c3"
    assert info.value.retryable


@pytest.mark.parametrize("api", ["legacy", "native"])
@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "17"}, 17.0),
        ({"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "9"}, 9.0),
        ({}, None),
    ],
    ids=["retry-after", "reset-delta", "none"],
)
async def test_429_is_rate_limited_with_retry_after(make_client, api, headers, expected):
    # Flask-Limiter's default 429 body is HTML.
    client = make_client(api, responder(429, text="<h1>Too Many Requests</h1>", headers=headers))
    with pytest.raises(RateLimited) as info:
        await client.search("x")
    if expected is None:
        assert info.value.retry_after is None
    else:
        assert info.value.retry_after == pytest.approx(expected, abs=1.0)
    assert "Too Many Requests" in info.value.message


@pytest.mark.parametrize("api", ["legacy", "native"])
@pytest.mark.parametrize(
    ("exc", "step", "expected"),
    [
        (httpx.ConnectError, "create", Transient),
        (httpx.ConnectTimeout, "publish", Transient),
        (httpx.PoolTimeout, "create", Transient),
        (httpx.ReadTimeout, "create", Ambiguous),
        (httpx.ReadTimeout, "publish", Ambiguous),
        (httpx.WriteTimeout, "create", Ambiguous),
        (httpx.RemoteProtocolError, "publish", Ambiguous),
        (httpx.ReadError, "create", Ambiguous),
        (httpx.ReadTimeout, "get", Transient),
        (httpx.RemoteProtocolError, "update", Transient),
    ],
)
async def test_transport_failures(make_client, api, exc, step, expected):
    client = make_client(api, raiser(exc))
    with pytest.raises(expected) as info:
        await call(client, step)
    err = info.value
    assert type(err) is expected
    assert err.status is None
    assert err.step == step
    assert err.url.startswith("https://repo.example.org/api/")
    if expected is Ambiguous:
        assert "look the state up" in str(err)


@pytest.mark.parametrize("api", ["legacy", "native"])
async def test_unreadable_success_body_on_create_is_ambiguous(make_client, api):
    client = make_client(api, responder(201, text="<html>ok</html>"))
    with pytest.raises(Ambiguous):
        await client.create({"metadata": {}})


@pytest.mark.parametrize("api", ["legacy", "native"])
async def test_delete_draft_404_counts_as_done(make_client, api):
    seen = []

    def handler(request):
        seen.append((request.method, request.url.path))
        return httpx.Response(404, json={"status": 404, "message": "PID does not exist."})

    client = make_client(api, handler)
    await client.delete_draft("12")
    await client.delete_file("12", "a.jpg")
    assert seen[0][0] == "DELETE"


async def test_legacy_delete_draft_discards_edit_draft(make_client):
    seen = []

    def handler(request):
        seen.append((request.method, request.url.path))
        if request.method == "DELETE":
            return httpx.Response(404, json={"status": 404, "message": "gone"})
        if request.method == "GET":
            return httpx.Response(200, json={"id": 12, "state": "inprogress", "submitted": True})
        return httpx.Response(204)

    client = make_client("legacy", handler)
    await client.delete_draft("12")
    assert seen[-1] == ("POST", "/api/deposit/depositions/12/actions/discard")


async def test_legacy_ids_must_be_numbers(make_client):
    from specpub.errors import InputError

    client = make_client("legacy", responder(200, json={}))
    with pytest.raises(InputError, match="not a Zenodo deposition id"):
        await client.get("../../admin")
