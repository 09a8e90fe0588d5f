"""The README's command-line walkthrough, end to end, in subprocesses.

``specpub demo-data`` → ``load`` → ``plan`` → ``publish --dry-run`` →
``publish`` (embedded repository) → ``status`` → ``reconcile`` → ``audit`` →
``report`` → ``summary``; the token travels only as an environment variable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from specpub import sandbox


def _specpub(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "specpub", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_cli_walkthrough_on_the_embedded_repository(tmp_path):
    coll, ws = tmp_path / "collection", tmp_path / "ws"
    run = _specpub("demo-data", str(coll), "--specimens", "6", "--size", "240x340", "--quiet")
    assert run.returncode == 0, run.stderr
    media = [str(coll / d) for d in ("masters", "access", "segmentations")]
    run = _specpub("load", str(coll / "specimens.csv"), "--workspace", str(ws), "--json",
                   *[a for m in media for a in ("--media", m)])  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["rows"] == 6

    run = _specpub("plan", "-w", str(ws), "--to", "embedded", "--json")
    assert run.returncode == 0, run.stderr
    planned = json.loads(run.stdout)
    assert planned["records"] >= 1
    assert planned["records"] + planned["skipped"] == 6
    assert _specpub("plan", "-w", str(ws), "--to", "embedded", "--json").returncode == 0

    run = _specpub("publish", "-w", str(ws), "--to", "embedded", "--dry-run")
    assert run.returncode == 0, run.stderr
    assert any((ws / "reports").rglob("*")), "the dry run writes its request plan"

    run = _specpub("publish", "-w", str(ws), "--to", "embedded", "--url", "http://127.0.0.1:9",
                   "--token-env", "SPECPUB_TEST_MISSING_TOKEN")  # fmt: skip
    assert run.returncode == 2
    assert "SPECPUB_TEST_MISSING_TOKEN" in run.stderr

    with sandbox.running(tmp_path / "repo", rate_limit="off") as sb:
        env = {"MY_TOKEN": sb.token}
        target = ["--to", "embedded", "--url", sb.url, "--token-env", "MY_TOKEN"]
        run = _specpub("publish", "-w", str(ws), *target, "--progress", "text", env=env)
        assert run.returncode == 0, run.stderr
        assert sb.token not in run.stdout + run.stderr
        status = json.loads(_specpub("status", "-w", str(ws), "--json").stdout)
        counts = status["batches"][0]["counts"]
        assert counts == {"published": planned["records"]}

        run = _specpub("reconcile", "-w", str(ws), *target, "--json", env=env)
        assert run.returncode == 0, run.stdout + run.stderr
        run = _specpub("audit", "-w", str(ws), *target, "--json", env=env)
        assert run.returncode == 0, run.stdout + run.stderr

    run = _specpub("report", "-w", str(ws))
    assert run.returncode == 0, run.stderr
    assert list((ws / "reports").glob("*.html"))
    run = _specpub("summary", "-w", str(ws), "--base-url", "http://127.0.0.1:1")
    assert run.returncode == 0, run.stderr


def test_plan_before_load_says_what_to_run_first(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "workspace.json").write_text('{"format": 1, "settings": {}}')
    run = _specpub("plan", "-w", str(ws), "--to", "zenodo")
    assert run.returncode == 2
    assert "specpub load" in run.stderr  # nothing loaded yet: says what to run first
