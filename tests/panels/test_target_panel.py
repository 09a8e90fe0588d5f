"""The target panel driven from Python, against a real embedded repository.

*Check token* runs in the background: the button returns at once (the kernel
stays free), the panel says "checking…" with the button disabled, and the
outcome (the user, a refusal, or no answer within the timeout) shows when it
comes. Slow servers are the embedded repository with added latency; an
unreachable one is a closed port.
"""

from __future__ import annotations

import socket

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
    panel.wait(60)
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
    panel.wait(60)
    assert panel.ok, panel.message
    monkeypatch.setenv("PANEL_TOKEN", WRONG)
    panel.check_button.click()
    panel.wait(60)
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
    panel.wait(60)
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


# -- the check in the background -------------------------------------------------------
@pytest.fixture
def slow_repo(tmp_path):
    """An embedded repository that takes ``latency`` seconds before each answer."""
    from specpub.sandbox.faults import FaultPlan

    with specpub.running(tmp_path / "slow", token=GOOD, rate_limit="off") as sb:

        def slow(seconds: float) -> None:
            sb.set_faults(FaultPlan(latency=seconds) if seconds else None)

        yield sb, slow


def test_a_slow_server_does_not_block_the_kernel(slow_repo):
    repo, slow = slow_repo
    slow(1.5)
    panel = TargetPanel("embedded", embedded=repo, timeout=30)
    panel.check_button.click()  # returns at once: the answers take 2 x 1.5 s
    assert panel.checking
    assert panel.check_button.disabled
    assert panel.check_button.description == "Checking…"
    assert "checking…" in panel._result.value
    assert "the notebook stays usable" in panel.message
    panel.check_button.click()  # a second press while it runs starts nothing
    assert "being checked already" in panel.message
    panel.wait(60)
    assert not panel.checking
    assert panel.errors == []
    assert panel.ok
    assert panel.checked.username == "sandbox-user"
    assert not panel.check_button.disabled
    assert panel.check_button.description == "Check token"


def test_no_answer_within_the_timeout_is_said_clearly(slow_repo):
    repo, slow = slow_repo
    slow(3.0)
    panel = TargetPanel("embedded", embedded=repo, timeout=0.5)
    panel.check_button.click()
    assert panel.checking
    panel.wait(60)
    assert not panel.ok
    assert panel.checked is None
    assert isinstance(panel.errors[-1], specpub.Transient)
    assert f"{repo.url} did not answer the token check" in panel.message
    assert "ReadTimeout" in panel.message
    assert "awaited up to 0.5 s" in panel.message
    assert "the token check failed" in panel._result.value
    assert not panel.check_button.disabled  # ready to check again
    slow(0)
    panel.check_button.click()
    panel.wait(60)
    assert panel.ok, panel.message


def test_an_unreachable_server_is_said_clearly(monkeypatch):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("PANEL_TOKEN", GOOD)
    url = f"http://127.0.0.1:{port}"
    panel = TargetPanel("embedded", url=url, token_env="PANEL_TOKEN", timeout=5)
    panel.check_button.click()
    panel.wait(60)
    assert not panel.ok
    assert isinstance(panel.errors[-1], specpub.Transient)
    assert f"{url} did not answer the token check" in panel.message
    assert "ConnectError" in panel.message
    assert GOOD not in panel.message + panel._result.value
    assert not panel.check_button.disabled


def test_an_outage_is_shown_as_the_server_answered_it(slow_repo):
    repo, _ = slow_repo
    repo.add_outage(60, status=503)
    panel = TargetPanel("embedded", embedded=repo)
    panel.check_button.click()
    panel.wait(60)
    repo.clear_outages()
    assert not panel.ok
    assert isinstance(panel.errors[-1], specpub.Transient)
    assert "-> 503" in panel.message


def test_an_answer_for_an_earlier_choice_is_dropped(slow_repo, monkeypatch):
    repo, slow = slow_repo
    slow(1.5)
    panel = TargetPanel("embedded", embedded=repo, timeout=30)
    panel.check_button.click()
    assert panel.checking
    panel.choice.value = "zenodo-sandbox"  # changed while the check runs
    panel.wait(60)
    assert panel.checked is None
    assert not panel.ok
    assert "changed during the check" in panel.message
    assert not panel.check_button.disabled
    assert "not checked yet" in panel._result.value


def test_require_waits_for_the_answer_in_the_cell(slow_repo):
    repo, slow = slow_repo
    slow(0.5)
    panel = TargetPanel("embedded", embedded=repo, timeout=30)
    assert panel.require().ok  # a notebook's Run All stops here until the answer
    slow(3.0)
    panel.timeout = 0.5
    with pytest.raises(specpub.Transient, match="did not answer"):
        panel.require()
