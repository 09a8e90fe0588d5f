"""The target panel driven from Python, against a real embedded repository."""

from __future__ import annotations

import pytest

pytest.importorskip("ipywidgets")

from specpub_widgets import TargetPanel

import specpub

GOOD = "panel-good-token-0123456789"
WRONG = "panel-wrong-token-0123456789"


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    with specpub.running(tmp_path_factory.mktemp("repo"), token=GOOD, rate_limit="off") as sb:
        yield sb


def test_the_embedded_handle_needs_no_variable(repo):
    panel = TargetPanel("embedded", embedded=repo)
    assert panel.token_env_input.disabled
    assert panel.url_input.layout.display == "none"
    panel.check_button.click()
    assert panel.errors == []
    assert panel.ok
    assert panel.checked.username == "sandbox-user"
    assert "Ready: records go to the embedded repository at" in panel.message
    assert "belongs to sandbox-user" in panel._result.value
    assert GOOD not in panel._result.value + panel.message


def test_a_good_and_a_wrong_token_by_variable_name(repo, monkeypatch):
    monkeypatch.setenv("PANEL_TOKEN", GOOD)
    panel = TargetPanel("embedded", url=repo.url, token_env="PANEL_TOKEN")
    assert panel.target_kwargs == {"to": "embedded", "url": repo.url, "token_env": "PANEL_TOKEN"}
    panel.check_button.click()
    assert panel.ok, panel.message
    monkeypatch.setenv("PANEL_TOKEN", WRONG)
    panel.check_button.click()
    assert not panel.ok
    assert panel.checked is None
    assert isinstance(panel.errors[-1], specpub.AuthenticationError)
    assert "refused the token from the environment variable PANEL_TOKEN" in panel.message
    assert WRONG not in panel.message + panel._result.value


def test_a_missing_variable_is_said_before_any_request(repo, monkeypatch):
    monkeypatch.delenv("UNSET_PANEL_TOKEN", raising=False)
    monkeypatch.setattr("specpub.repository._token._from_keyring", lambda *a, **k: None)
    panel = TargetPanel("embedded", url=repo.url, token_env="UNSET_PANEL_TOKEN")
    panel.check_button.click()
    assert not panel.ok
    assert "UNSET_PANEL_TOKEN is not set" in panel.message


def test_a_pasted_token_is_cleared_from_the_field(monkeypatch):
    monkeypatch.setenv("PANEL_TOKEN", GOOD)
    panel = TargetPanel("zenodo-sandbox", token_env="PANEL_TOKEN")
    panel.token_env_input.value = GOOD  # the content of a variable, not its name
    assert panel.token_env_input.value == ""
    assert "not the token; what was typed is cleared" in panel.message
    panel.token_env_input.value = "tok-" + GOOD + "!"  # not a name at all
    assert panel.token_env_input.value == ""
    assert GOOD not in panel.message + panel._result.value


def test_switching_targets_resets_the_check_and_warns_for_zenodo(repo):
    panel = TargetPanel("embedded", embedded=repo)
    panel.check()
    assert panel.ok
    panel.choice.value = "zenodo"
    assert panel.checked is None
    assert panel.target_kwargs == {"to": "zenodo", "url": None, "token_env": "ZENODO_TOKEN"}
    assert "permanent and get real DOIs" in panel._result.value
    assert not panel.token_env_input.disabled
    panel.choice.value = "invenio"
    assert panel.url_input.layout.display == ""
    panel.check_button.click()
    assert "no address given" in panel.message
    panel.url_input.value = "https://data.example.org/<script>"
    assert "<script>" not in panel._result.value
    assert "&lt;script&gt;" in panel._result.value
