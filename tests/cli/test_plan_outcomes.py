"""``specpub plan``: a plan that planned nothing exits non-zero and says why.

Issue 8: ``plan`` that planned 0 records exited 0 and printed "Next: specpub publish".
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _specpub(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "specpub", *args], capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plan") / "collection"
    run = _specpub("demo-data", str(folder), "--specimens", "3", "--size", "120x160", "--quiet")
    assert run.returncode == 0, run.stderr
    return folder


def test_nothing_to_plan_exits_2_with_the_reasons(collection, tmp_path):
    ws = tmp_path / "ws"
    run = _specpub("load", str(collection / "specimens.csv"), "-w", str(ws), "--json")  # no media
    assert run.returncode == 0, run.stderr
    for extra in ((), ("--json",)):
        run = _specpub("plan", "-w", str(ws), "--to", "zenodo", *extra)
        assert run.returncode == 2, run.stdout + run.stderr
        assert "no record to plan" in run.stderr
        assert "3 no linked file" in run.stderr  # the reason, counted
        assert "skipped.csv" in run.stderr  # where each specimen's fix is
        assert "Next:" not in run.stdout


def test_a_plan_with_records_names_the_next_step(collection, tmp_path):
    ws = tmp_path / "ws"
    media = [a for d in ("masters", "access") for a in ("--media", str(collection / d))]
    run = _specpub("load", str(collection / "specimens.csv"), "-w", str(ws), *media)
    assert run.returncode == 0, run.stderr
    run = _specpub("plan", "-w", str(ws), "--to", "embedded")
    assert run.returncode == 0, run.stderr
    assert f"Next: specpub publish --workspace {ws} --to embedded" in run.stdout
    assert "specpub sandbox serve" in run.stdout  # where `--to embedded` will publish
    again = _specpub("plan", "-w", str(ws), "--to", "embedded", "--json")
    assert again.returncode == 0  # planning twice adds nothing and is no error
    assert json.loads(again.stdout)["added"] == 0
