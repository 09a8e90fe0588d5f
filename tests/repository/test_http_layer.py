"""Headers, rate-limit parsing, the response hook, token handling and redaction."""

from __future__ import annotations

import logging
import time

import httpx
import pytest

from specpub import __version__
from specpub.errors import AuthenticationError, InputError, Rejected, Transient
from specpub.repository import LegacyClient, NativeClient, RateLimitInfo, RemoteRecord

from ._support import BASE, TOKEN

pytestmark = pytest.mark.anyio


def record_json(api: str) -> dict:
    if api == "legacy":
        return {"id": 12, "state": "unsubmitted", "submitted": False, "links": {}}
    return {"id": "12", "is_draft": True, "is_published": False, "links": {}}


@pytest.mark.parametrize(
    ("api", "accept"),
    [("legacy", "application/json"), ("native", "application/vnd.inveniordm.v1+json")],
)
async def test_headers_on_every_request(make_client, api, accept):
    seen: list[httpx.Request] = []

    def handler(request):
        seen.append(request)
        return httpx.Response(201, json=record_json(api))

    client = make_client(api, handler)
    await client.create({"metadata": {"title": "x"}})
    request = seen[0]
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["user-agent"] == f"specpub/{__version__}"
    assert request.headers["accept"] == accept
    assert request.headers["content-type"] == "application/json"
    assert TOKEN not in str(request.url)
    assert "access_token" not in str(request.url)


@pytest.mark.parametrize("api", ["legacy", "native"])
async def test_rate_limit_headers_and_hook(make_client, api):
    calls: list[tuple[int, RateLimitInfo]] = []
    reset_epoch = int(time.time()) + 42

    def handler(request):
        headers = {
            "X-RateLimit-Limit": "100",
            "X-RateLimit-Remaining": "63",
            "X-RateLimit-Reset": str(reset_epoch),
        }
        if request.url.path.endswith(("records", "depositions")) and request.method == "GET":
            body = [] if api == "legacy" else {"hits": {"hits": [], "total": 0}}
            return httpx.Response(200, json=body, headers={**headers, "X-RateLimit-Limit": "30"})
        return httpx.Response(200, json=record_json(api), headers=headers)

    client = make_client(api, handler, on_response=lambda s, i: calls.append((s, i)))
    assert client.rate_limit is None
    await client.get("12")
    assert client.rate_limit.limit == 100
    assert client.rate_limit.remaining == 63
    assert client.rate_limit.reset == float(reset_epoch)
    assert client.rate_limit.endpoint == "api"
    await client.search("x")
    assert client.rate_limit.limit == 30
    assert client.rate_limit.endpoint == "search"
    statuses = [s for s, _ in calls]
    assert statuses[-1] == 200
    assert calls[-1][1].endpoint == "search"


@pytest.mark.parametrize("api", ["legacy", "native"])
async def test_hook_called_on_errors_and_a_broken_hook_loses_nothing(make_client, api, caplog):
    calls = []

    def hook(status, info):
        calls.append(status)
        raise RuntimeError("pacer bug")

    def handler(request):
        if request.method == "POST":
            return httpx.Response(201, json=record_json(api))
        return httpx.Response(503, json={"message": "down"}, headers={"Retry-After": "3"})

    client = make_client(api, handler, on_response=hook)
    with caplog.at_level(logging.ERROR, logger="specpub.repository"):
        record = await client.create({"metadata": {}})
        assert record.id == "12"
        with pytest.raises(Transient):
            await client.get("12")
    assert calls == [201, 503]
    assert client.rate_limit.retry_after == 3.0
    assert "on_response hook raised" in caplog.text


def test_missing_token_names_the_variable(monkeypatch):
    monkeypatch.delenv("SPECPUB_NO_SUCH_TOKEN", raising=False)
    with pytest.raises(AuthenticationError) as info:
        LegacyClient(BASE, token_env="SPECPUB_NO_SUCH_TOKEN")
    message = str(info.value)
    assert "SPECPUB_NO_SUCH_TOKEN" in message
    assert "export SPECPUB_NO_SUCH_TOKEN=" in message


def test_token_value_is_refused_as_a_variable_name(monkeypatch):
    with pytest.raises(AuthenticationError) as info:
        NativeClient(BASE, token_env="abc-def.ghi")
    assert "abc-def.ghi" not in str(info.value)


@pytest.mark.parametrize(
    "url", ["http://zenodo.org", "http://10.0.0.5:5000", "ftp://zenodo.org", "https://u:p@x.org"]
)
def test_unsafe_base_urls_are_refused(token_env, url):
    with pytest.raises(InputError) as info:
        LegacyClient(url, token_env=token_env)
    assert "p@" not in str(info.value)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:5000", "http://localhost:8080", "http://[::1]:9"]
)
def test_plain_http_allowed_on_loopback(token_env, url):
    assert NativeClient(url, token_env=token_env).base_url == url


@pytest.mark.parametrize("api", ["legacy", "native"])
async def test_token_never_leaks(make_client, api, caplog):
    """Errors that echo the token, transport errors quoting it: redacted everywhere."""

    def echo(request):
        if request.method == "PUT":
            raise httpx.ReadTimeout(f"timeout talking to {request.headers['authorization']}")
        auth = request.headers["authorization"]
        return httpx.Response(
            400,
            json={
                "message": f"bad header {auth}",
                "errors": [{"field": "token", "messages": [f"{TOKEN} is wrong"]}],
            },
        )

    client = make_client(api, echo)
    assert TOKEN not in repr(client)
    assert TOKEN not in str(client)
    assert TOKEN not in repr(vars(client))
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(Rejected) as rejected:
            await client.create({"metadata": {}})
        with pytest.raises(Transient) as transient:
            await client.update("12", {"metadata": {}})
    for err in (rejected.value, transient.value):
        assert TOKEN not in str(err)
        assert TOKEN not in repr(err)
        assert TOKEN not in repr(err.errors)
        assert TOKEN not in (err.url or "")
    assert "bad header Bearer ***" in str(rejected.value)
    assert caplog.records, "the client logs its requests"
    for rec in caplog.records:
        assert TOKEN not in rec.getMessage()


async def test_token_not_sent_to_a_foreign_origin(make_client, tmp_path):
    """A bucket link on another host is moved onto the configured origin."""
    seen = []

    def handler(request):
        seen.append(request.url)
        return httpx.Response(
            201,
            json={"key": "a.txt", "size": 3, "checksum": "md5:900150983cd24fb0d6963f7d28e17f72"},
        )

    path = tmp_path / "a.txt"
    path.write_bytes(b"abc")
    client = make_client("legacy", handler)
    record = RemoteRecord(
        id="12", state="draft", is_published=False, bucket="https://evil.example.net/api/files/b-1"
    )
    await client.upload(record, path, "a.txt")
    assert seen[0].host == "repo.example.org"
    assert seen[0].path == "/api/files/b-1/a.txt"


async def test_async_context_manager_closes(make_client):
    client = make_client("native", lambda r: httpx.Response(200, json={}))
    async with client as c:
        assert c is client
    assert client._http.closed


def test_token_from_keyring_when_the_variable_is_unset(monkeypatch):
    import sys
    import types

    asked = []
    fake = types.ModuleType("keyring")

    def get_password(service, name):
        asked.append((service, name))
        return TOKEN

    fake.get_password = get_password
    monkeypatch.setitem(sys.modules, "keyring", fake)
    monkeypatch.delenv("SPECPUB_KEYRING_ONLY", raising=False)
    client = LegacyClient(BASE, token_env="SPECPUB_KEYRING_ONLY")
    assert asked == [("specpub", "SPECPUB_KEYRING_ONLY")]
    assert TOKEN not in repr(client)
    assert TOKEN not in repr(client._http)
    monkeypatch.setenv("SPECPUB_KEYRING_ONLY", "from-env")
    asked.clear()
    LegacyClient(BASE, token_env="SPECPUB_KEYRING_ONLY")
    assert asked == []  # the environment wins


def test_secret_cannot_be_pickled(token_env):
    import pickle

    client = LegacyClient(BASE, token_env=token_env)
    with pytest.raises(TypeError):
        pickle.dumps(client._http._secret)
