"""No secret in any message: a token given where a variable's NAME is expected is never echoed.

Issue 7, failure 8: passed a token *value* by mistake (``--token-env "$TOKEN"``),
``specpub publish`` printed it ("must name an environment variable, not '<TOKEN>'"; an
alphanumeric token gave "export <TOKEN>=..."). Every command that takes ``--token-env``
is fed token-like values, set and unset, with and without a repository to talk to.
"""

from __future__ import annotations

import argparse
import os

import pytest

from batch.helpers import make_specs
from specpub.batch.plan import plan_records
from specpub.cli import build_parser, main
from specpub.workspace import Workspace

#: Token-like values: Zenodo's 60 alphanumerics; one with URL-safe punctuation; a hex one.
TOKENS = (
    "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7dE9fG1hJ3kL5mN7pQ9rSt",
    "s3cr3t-T0k3n_with.punct-uation-9F8e7D6c5B4a",
    "0123456789abcdef0123456789abcdef01234567",
)


def _commands_with_token_env() -> list[tuple[str, ...]]:
    def walk(parser, prefix=()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from walk(sub, (*prefix, name))
        yield prefix, parser

    found = []
    for prefix, sub in walk(build_parser()):
        if any("--token-env" in a.option_strings for a in sub._actions):
            found.append(prefix)
    return sorted(found)


def _argv(command: tuple[str, ...], ws: Workspace, url: str | None) -> list[str]:
    target = ["--to", "embedded", "--url", url] if url else ["--to", "zenodo"]
    by_command = {
        ("publish",): ["--workspace", str(ws.root), *target, "--progress", "none"],
        ("reconcile",): ["--workspace", str(ws.root), *target, "--progress", "none"],
        ("audit",): ["--workspace", str(ws.root), *target, "--progress", "none"],
        ("summary",): ["--workspace", str(ws.root), "--publish", *target],
        ("sandbox", "serve"): ["--port", "0"],
        ("whoami",): target,
    }
    return [*command, *by_command[command]]


@pytest.fixture
def ws(tmp_path):
    ws = Workspace.create(tmp_path / "ws")
    plan_records(ws, make_specs(tmp_path / "media", 1), target="zenodo", api="legacy")
    return ws


def test_every_command_with_token_env_is_covered():
    assert _commands_with_token_env() == [
        ("audit",), ("publish",), ("reconcile",), ("sandbox", "serve"), ("summary",),
        ("whoami",),
    ]  # fmt: skip


@pytest.mark.parametrize("command", _commands_with_token_env(), ids=" ".join)
@pytest.mark.parametrize("token", TOKENS, ids=("alnum60", "punctuated", "hex40"))
def test_a_token_given_as_the_variable_name_is_never_echoed(
    command, token, ws, capsys, monkeypatch
):
    for value_set in (False, True):
        # unset: "the variable is not set"; set (a variable named like the token exists):
        # the command goes on and fails later (no network, no repository)
        if value_set and token.replace("_", "").isalnum() and not token[0].isdigit():
            monkeypatch.setenv(token, "irrelevant")
        else:
            monkeypatch.delenv(token, raising=False) if token.isidentifier() else None
        argv = [*_argv(command, ws, url=None), "--token-env", token]
        if command == ("sandbox", "serve") and value_set and token in os.environ:
            continue  # would serve for ever: the value is only read, never printed
        main(argv)
        out, err = capsys.readouterr()
        assert token not in out + err, (command, out + err)


@pytest.mark.parametrize("command", [("publish",), ("reconcile",)], ids=" ".join)
def test_a_refused_token_is_not_echoed_either(command, tmp_path, sandbox, capsys, monkeypatch):
    token = TOKENS[0]
    monkeypatch.setenv("SPECPUB_TEST_ECHO_TOKEN", token)
    ws = Workspace.create(tmp_path / "embedded-ws")
    plan_records(ws, make_specs(tmp_path / "m2", 1), target="embedded", api="legacy")
    argv = [*_argv(command, ws, url=sandbox.url), "--token-env", "SPECPUB_TEST_ECHO_TOKEN"]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 1
    assert "token" in out + err
    assert token not in out + err
    for path in ws.root.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path
