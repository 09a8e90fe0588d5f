"""Every sub-command's ``--help``: each option has help, and options read the same everywhere.

Issue 8: ``load`` said ``--workspace WORKSPACE`` where the others said ``WS``; ``plan
--api`` was free text where others offered ``{legacy,native}``; ``status --batch`` and
``summary``'s ``--api``, ``--token-env``, ``--title`` had no help. The walk covers every
command registered now and later (a new option without help fails here).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections import defaultdict

import pytest

from specpub.cli import build_parser, main

#: Options that must read exactly the same on every sub-command that has them.
SAME_EVERYWHERE = {
    "--workspace": "WS",
    "--to": "TARGET",
    "--url": "URL",
    "--token-env": "VAR",
    "--api": "{legacy,native}",
    "--progress": "{auto,text,none}",
}


def _walk(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _walk(sub, (*prefix, name))
    if prefix:
        yield prefix, parser


COMMANDS = dict(_walk(build_parser()))


def _options(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        yield action


def _shown_metavar(action: argparse.Action) -> str:
    if action.metavar:
        return str(action.metavar)
    if action.choices:
        return "{" + ",".join(map(str, action.choices)) + "}"
    return action.dest.upper()


def test_the_walk_finds_the_commands():
    names = {" ".join(c) for c in COMMANDS}
    assert {"load", "plan", "publish", "status", "reconcile", "audit", "report",
            "summary", "sandbox serve", "demo", "demo-data"} <= names  # fmt: skip


@pytest.mark.parametrize("command", sorted(COMMANDS), ids=" ".join)
def test_every_option_has_help(command, capsys):
    parser = COMMANDS[command]
    missing = [a.option_strings or [a.dest] for a in _options(parser)
               if not a.help or a.help == argparse.SUPPRESS]  # fmt: skip
    assert not missing, f"specpub {' '.join(command)}: no help for {missing}"
    with pytest.raises(SystemExit) as stop:
        main([*command, "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    for action in _options(parser):
        if action.option_strings:
            assert action.option_strings[-1] in text


@pytest.mark.parametrize("command", sorted(COMMANDS), ids=" ".join)
def test_value_options_name_their_value(command):
    """``--data DIR``, never argparse's upper-cased destination (``--workspace WORKSPACE``)."""
    for action in _options(COMMANDS[command]):
        if action.option_strings and action.nargs != 0:
            assert action.metavar or action.choices, (command, action.option_strings)


def test_the_same_option_reads_the_same_on_every_command():
    shown: dict[str, set[str]] = defaultdict(set)
    where: dict[tuple[str, str], list[str]] = defaultdict(list)
    for command, parser in COMMANDS.items():
        for action in _options(parser):
            if action.option_strings and action.nargs != 0:
                metavar = _shown_metavar(action)
                shown[action.option_strings[0]].add(metavar)
                where[action.option_strings[0], metavar].append(" ".join(command))
    for option, metavar in SAME_EVERYWHERE.items():
        assert shown[option] == {metavar}, {m: where[option, m] for m in shown[option]}
    differing = {o: {m: where[o, m] for m in ms} for o, ms in shown.items() if len(ms) > 1}
    assert not differing


def test_workspace_has_the_short_form_everywhere():
    for command, parser in COMMANDS.items():
        for action in _options(parser):
            if "--workspace" in action.option_strings:
                assert "-w" in action.option_strings, command


def test_help_in_a_subprocess_shows_ws():
    run = subprocess.run([sys.executable, "-m", "specpub", "load", "--help"],
                         capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert run.returncode == 0
    assert "--workspace WS, -w WS" in run.stdout
    assert "WORKSPACE" not in run.stdout
