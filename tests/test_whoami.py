"""specpub.whoami: a token checked against a real embedded repository, and the CLI face."""

from __future__ import annotations

import json

import httpx
import pytest

import specpub
from specpub.cli import main

GOOD = "good-token-0123456789abcdef"
OTHER = "other-token-0123456789abcdef"
WRONG = "wrong-token-0123456789abcdef"


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    data = tmp_path_factory.mktemp("repo")
    with specpub.running(data, token=GOOD, tokens={OTHER: "bob"}, rate_limit="off") as sb:
        yield sb


@pytest.mark.parametrize("api", ["legacy", "native"])
def test_a_good_token_names_its_user_and_may_list(repo, monkeypatch, api):
    monkeypatch.setenv("MY_TOKEN", GOOD)
    check = specpub.whoami("embedded", url=repo.url, token_env="MY_TOKEN", api=api)
    assert check.ok
    assert check.api == api
    assert check.username == "sandbox-user"
    assert check.user_id
    assert check.token_source == "env:MY_TOKEN"
    assert check.may == {"identify": True, "list": True, "create": None, "publish": None}
    assert "belongs to sandbox-user" in check.summary()
    assert GOOD not in check.summary() + json.dumps(check.to_dict()) + check._repr_html_()


def test_each_token_is_its_own_user(repo, monkeypatch):
    monkeypatch.setenv("BOB_TOKEN", OTHER)
    bob = specpub.whoami("embedded", url=repo.url, token_env="BOB_TOKEN")
    me = specpub.whoami(repo)  # a running handle brings its own token
    assert bob.username == "bob"
    assert me.username == "sandbox-user"
    assert bob.user_id != me.user_id


def test_a_wrong_token_is_refused_with_what_to_do(repo, monkeypatch):
    monkeypatch.setenv("MY_TOKEN", WRONG)
    with pytest.raises(specpub.AuthenticationError) as info:
        specpub.whoami("embedded", url=repo.url, token_env="MY_TOKEN")
    text = str(info.value)
    assert "refused the token from the environment variable MY_TOKEN" in text
    assert "HTTP 401" in text
    assert "deposit:write" in text
    assert WRONG not in text


def test_a_missing_variable_sends_nothing(repo, monkeypatch):
    monkeypatch.delenv("NOT_SET_TOKEN", raising=False)
    monkeypatch.setattr("specpub.repository._token._from_keyring", lambda *a, **k: None)
    with pytest.raises(specpub.AuthenticationError, match="NOT_SET_TOKEN is not set"):
        specpub.whoami("embedded", url=repo.url, token_env="NOT_SET_TOKEN")


def test_a_token_value_given_as_the_name_is_not_echoed(repo):
    with pytest.raises(specpub.AuthenticationError) as info:
        specpub.whoami("embedded", url=repo.url, token_env="abc-" + GOOD)
    assert GOOD not in str(info.value)


def test_an_embedded_target_by_name_needs_its_url():
    with pytest.raises(specpub.InputError, match="needs a base URL"):
        specpub.whoami("embedded", token_env="MY_TOKEN")


def test_the_command_line(repo, monkeypatch, capsys):
    monkeypatch.setenv("MY_TOKEN", GOOD)
    assert main(["whoami", "--to", "embedded", "--url", repo.url, "--token-env", "MY_TOKEN"]) == 0
    out = capsys.readouterr().out
    assert "belongs to sandbox-user" in out
    assert GOOD not in out
    assert main(["whoami", "--to", "embedded", "--url", repo.url, "--token-env", "MY_TOKEN",
                 "--json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["may"]["list"] is True
    monkeypatch.setenv("MY_TOKEN", WRONG)
    assert main(["whoami", "--to", "embedded", "--url", repo.url, "--token-env", "MY_TOKEN"]) == 1
    err = capsys.readouterr().err
    assert "refused the token" in err
    assert WRONG not in err


# -- answers the embedded repository does not give (one layer: httpx MockTransport) --


def _server(me: tuple[int, dict], listing: tuple[int, object]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/me":
            return httpx.Response(me[0], json=me[1])
        if request.url.path == "/api/deposit/depositions":
            return httpx.Response(listing[0], json=listing[1])
        return httpx.Response(404, json={"status": 404, "message": "not found"})

    return httpx.MockTransport(handle)


def _check(transport, monkeypatch):
    monkeypatch.setenv("MY_TOKEN", GOOD)
    return specpub.whoami(
        "zenodo-sandbox", token_env="MY_TOKEN", transport=transport
    )  # whoami passes transport through to the client


def test_reported_scopes_decide_create_and_publish(monkeypatch):
    me = {"id": 9, "username": "ana", "scopes": ["deposit:write"]}
    check = _check(_server((200, me), (200, [])), monkeypatch)
    assert check.scopes == ("deposit:write",)
    assert check.may == {"identify": True, "list": True, "create": True, "publish": False}
    assert "It may not: publish." in check.summary()


def test_a_token_without_deposit_scopes_is_not_ok(monkeypatch):
    forbidden = (403, {"status": 403, "message": "Permission denied."})
    check = _check(_server((200, {"id": 9, "username": "ana"}), forbidden), monkeypatch)
    assert not check.ok
    assert check.may["list"] is False
    assert "lacks the deposit scopes" in check.summary()


def test_a_server_without_api_me_names_the_owner_from_the_listing(monkeypatch):
    missing = (404, {"status": 404, "message": "not found"})
    check = _check(_server(missing, (200, [{"id": 5, "owner": 42, "state": "unsubmitted",
                                            "submitted": False}])), monkeypatch)  # fmt: skip
    assert check.ok
    assert check.user_id == "42"
    assert check.may["identify"] is None
    assert "has no /api/me" in check.summary()
