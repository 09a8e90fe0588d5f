"""``--to embedded`` uses the repository the user started, never a private one.

Issue 8: ``publish --to embedded`` without ``--url`` silently started a private
sandbox in ``WS/sandbox`` (its summary links pointed to a dead port). Now
``specpub sandbox serve`` announces itself (:mod:`specpub._runtime`), every
command that talks to a repository says on stderr which one it uses, and with
none running the command stops and says how to start one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from batch.helpers import make_specs
from specpub._runtime import announce, announced, runtime_dir
from specpub.batch.ledger import Ledger
from specpub.batch.plan import plan_records
from specpub.cli import main
from specpub.sandbox import running
from specpub.workspace import Workspace


@pytest.fixture
def ws(tmp_path):
    ws = Workspace.create(tmp_path / "ws")
    plan_records(ws, make_specs(tmp_path / "media", 2), target="embedded", api="legacy")
    return ws


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_none_running_stops_and_says_how_to_start_one(ws, capsys):
    for command in ("publish", "reconcile", "audit"):
        code, _, err = _run(capsys, command, "-w", ws.root, "--to", "embedded")
        assert code == 2, err
        assert "no embedded repository is running" in err
        assert "specpub sandbox serve --data DIR" in err
        assert "--url" in err
    assert not (ws.root / "sandbox").exists()  # no private repository was started
    with Ledger.for_workspace(ws) as led:
        assert led.counts() == {"planned": 2}


def test_the_dry_run_says_how_to_have_it_read_the_repository(ws, capsys):
    code, out, _ = _run(capsys, "publish", "-w", ws.root, "--to", "embedded", "--dry-run")
    assert code == 0
    assert "start `specpub sandbox serve` (or pass --url)" in out


def test_the_running_one_is_used_and_named(ws, capsys, served_embedded):
    code, out, err = _run(capsys, "publish", "-w", ws.root, "--to", "embedded",
                          "--progress", "none", "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["published"] == 2
    assert f"specpub: using the embedded repository at {served_embedded.url}" in err
    assert str(served_embedded.data_dir) in err
    assert served_embedded.token not in out + err
    assert not (ws.root / "sandbox").exists()
    code, out, err = _run(capsys, "summary", "-w", ws.root, "--publish", "--to", "embedded",
                          "--json")  # fmt: skip
    assert code == 0, err
    csv = Path(json.loads(out)["csv"]).read_text()
    assert served_embedded.url in csv  # the links point to the live repository


def test_an_explicit_token_env_is_used_with_the_running_one(
    ws, capsys, served_embedded, monkeypatch
):
    # the served repository's own token is not the one the user named: the named one wins
    monkeypatch.setenv("SPECPUB_TEST_WRONG_TOKEN", "not-the-served-token")
    code, out, err = _run(capsys, "whoami", "--to", "embedded",
                          "--token-env", "SPECPUB_TEST_WRONG_TOKEN")  # fmt: skip
    assert code == 1, out + err
    assert "SPECPUB_TEST_WRONG_TOKEN" in err
    assert "not-the-served-token" not in out + err
    monkeypatch.setenv("SPECPUB_TEST_RIGHT_TOKEN", served_embedded.token)
    code, out, err = _run(capsys, "whoami", "--to", "embedded",
                          "--token-env", "SPECPUB_TEST_RIGHT_TOKEN")  # fmt: skip
    assert code == 0, out + err
    monkeypatch.delenv("SPECPUB_TEST_WRONG_TOKEN")
    code, _, err = _run(capsys, "reconcile", "-w", ws.root, "--to", "embedded",
                        "--token-env", "SPECPUB_TEST_WRONG_TOKEN")  # fmt: skip
    assert code == 2
    assert "the environment variable SPECPUB_TEST_WRONG_TOKEN is not set" in err


def test_two_running_ones_need_url(ws, tmp_path, capsys, served_embedded):
    other = announce("http://127.0.0.1:1", pid=os.getpid(), data_dir="/elsewhere", token="x")
    try:
        # port 1 does not answer: only the live one counts
        code, _, err = _run(capsys, "audit", "-w", ws.root, "--to", "embedded",
                            "--progress", "none")  # fmt: skip
        assert "2 embedded repositories" not in err
    finally:
        other.unlink()
    with running(tmp_path / "second", rate_limit="off") as sb:
        second = announce(sb.url, pid=os.getpid(), data_dir=sb.data_dir, token=sb.token)
        try:
            code, _, err = _run(capsys, "reconcile", "-w", ws.root, "--to", "embedded")
            assert code == 2
            assert "2 embedded repositories are running" in err
            assert served_embedded.url in err
            assert sb.url in err
            assert "pass --url" in err
        finally:
            second.unlink()


def test_announcements_of_dead_servers_are_dropped():
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    path = announce("http://127.0.0.1:9", pid=int(dead.stdout), data_dir="/x", token="t")
    assert announced() == []
    assert not path.exists()


def test_announcement_files_are_private_and_hold_no_env_token(monkeypatch):
    monkeypatch.setenv("SPECPUB_TEST_SERVED_TOKEN", "value-never-written")
    path = announce("http://127.0.0.1:9", pid=os.getpid(), data_dir="/x",
                    token_env="SPECPUB_TEST_SERVED_TOKEN")  # fmt: skip
    try:
        assert oct(runtime_dir().stat().st_mode & 0o777) == "0o700"
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        assert "value-never-written" not in path.read_text()
        assert json.loads(path.read_text())["token_env"] == "SPECPUB_TEST_SERVED_TOKEN"
    finally:
        path.unlink()


@pytest.mark.slow
def test_sandbox_serve_in_one_terminal_publish_in_another(ws, tmp_path):
    """The README's story with real processes: serve, publish, reconcile, stop."""
    server = subprocess.Popen(
        [sys.executable, "-m", "specpub", "sandbox", "serve", "--data", str(tmp_path / "repo"),
         "--rate-limit", "off"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = server.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), server.stderr.read()
        deadline = time.monotonic() + 120
        while not announced():  # the announcement follows the URL line
            assert server.poll() is None, server.stderr.read()
            assert time.monotonic() < deadline, "no announcement"
            time.sleep(0.05)
        [repo] = announced()
        assert repo.url == url
        assert repo.pid == server.pid

        def specpub(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([sys.executable, "-m", "specpub", *args], capture_output=True,
                                  text=True, timeout=300, check=False)  # fmt: skip

        run = specpub("publish", "-w", str(ws.root), "--to", "embedded", "--progress", "none")
        assert run.returncode == 0, run.stderr
        assert f"using the embedded repository at {url}" in run.stderr
        run = specpub("reconcile", "-w", str(ws.root), "--to", "embedded", "--json")
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout)["counts"] == {"published": 2}
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=60)
    assert announced() == []  # withdrawn when it stops


def test_announcing_a_handle_while_it_serves(tmp_path, monkeypatch):
    from specpub._runtime import announcing

    with running(tmp_path / "repo", rate_limit="off") as sb:
        monkeypatch.setenv("SPECPUB_TEST_SERVED_TOKEN", sb.token)
        with announcing(sb, token_env="SPECPUB_TEST_SERVED_TOKEN") as path:
            assert sb.token not in path.read_text()  # the variable's name only
            [repo] = announced()
            assert repo.token_env == "SPECPUB_TEST_SERVED_TOKEN"
            assert repo.config.rate_limits == sb.config.rate_limits
        assert not path.exists()
        with announcing(sb, token_env="SPECPUB_TEST_NOT_ITS_TOKEN") as path:
            assert announced()[0].token == sb.token  # a variable not holding it: the token
        assert announced() == []


def test_checks_refuse_a_target_the_batch_was_not_planned_for(ws, capsys, monkeypatch):
    monkeypatch.setenv("SPECPUB_TEST_SOME_TOKEN", "t")
    for command in ("reconcile", "audit"):
        code, _, err = _run(capsys, command, "-w", ws.root, "--to", "zenodo",
                            "--token-env", "SPECPUB_TEST_SOME_TOKEN")  # fmt: skip
        assert code == 2, err
        assert "planned for 'embedded', not 'zenodo'" in err
