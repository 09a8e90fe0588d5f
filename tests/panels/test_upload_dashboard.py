"""The upload dashboard, driven from Python as a person would drive it in JupyterLab."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from specpub_widgets.upload import UploadDashboard

import specpub


def _wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def test_publish_shows_counts_progress_and_dois(loaded_workspace: Path, sandbox_factory) -> None:
    repo = sandbox_factory()
    planned = specpub.plan(loaded_workspace, to=repo, progress=None).added
    dash = UploadDashboard(loaded_workspace, to=repo, concurrency=4)
    assert dash.counts == {"planned": planned}
    assert "ready to publish" in dash.message
    dash.publish_button.click()
    assert dash.pause_button.disabled is False  # the cell returned at once: it runs behind
    result = dash.wait(120)
    assert dash.errors == []
    assert dash.state == "done"
    assert result.ok
    assert dash.counts == {"published": planned}
    assert dash.progress.bar.value == dash.progress.bar.max == planned
    assert dash.progress.bar.bar_style == "success"
    # the DOIs on screen are the ones the repository minted, each a link
    assert len(dash.dois) == planned
    assert dash.dois["doi"].str.startswith("10.5072/").all()
    for doi in dash.dois["doi"]:
        assert f'href="https://doi.org/{doi}"' in dash._dois_html.value or len(dash.dois) > 15
    assert "Throughput" in dash._plots.value
    # reconcile and audit: the ledger and the repository agree
    dash.reconcile_button.click()
    assert dash.reconciled is not None
    assert "Reconcile" in dash._checks_html.value
    dash.audit_button.click()
    assert dash.audited is not None
    assert dash.errors == []


def test_pause_then_resume_after_a_kernel_restart(loaded_workspace: Path, sandbox_factory) -> None:
    # Slow the repository down so that the run can be paused part way.
    repo = sandbox_factory(rate_limit="4/second")
    planned = specpub.plan(loaded_workspace, to=repo, progress=None).added
    dash = UploadDashboard(loaded_workspace, to=repo, concurrency=2)
    dash.publish_button.click()
    _wait_for(lambda: dash.progress.n >= 1)
    dash.pause_button.click()
    dash.wait(60)
    assert dash.state == "paused"
    assert dash.publish_button.description == "Resume"
    # A new dashboard (a restarted kernel) reads the ledger and offers to resume.
    again = UploadDashboard(loaded_workspace, to=repo, concurrency=4)
    if again.counts.get("published", 0) < planned:
        assert again.publish_button.description == "Resume"
        assert "stopped with" in again.message
        again.publish_button.click()
        again.wait(120)
    assert again.errors == []
    assert specpub.status(loaded_workspace).counts == {"published": planned}
    # Nothing was published twice: the repository holds exactly one record per specimen.
    repo.refresh_index()  # the search index lags behind the last publish, as Zenodo's does
    check = specpub.reconcile(loaded_workspace, repo)
    findings = check.to_frame()
    assert check.ok, findings[findings["category"] != "published"].to_dict("records")


def test_an_error_in_a_button_shows_in_the_panel(tmp_path: Path) -> None:
    dash = UploadDashboard(tmp_path / "empty-ws", to="embedded")
    assert "Nothing is planned" in dash.message
    dash.audit_button.click()  # nothing planned: specpub says so, the panel shows it
    assert dash.errors
    assert "InputError" in dash._message.value


@pytest.mark.parametrize("bad", ["<script>alert(1)</script>"])
def test_user_text_is_escaped(tmp_path: Path, bad: str) -> None:
    dash = UploadDashboard(tmp_path / "ws", to=bad)
    assert bad not in dash.ui.children[0].value


def test_a_run_of_another_process_is_watched_then_resumed_after_it_was_killed(
    loaded_workspace: Path, sandbox_factory
) -> None:
    """A kernel restarted (or a notebook opened) while `specpub publish` runs elsewhere."""
    import os
    import signal
    import subprocess
    import sys

    repo = sandbox_factory(rate_limit="3/second")
    planned = specpub.plan(loaded_workspace, to=repo, progress=None).added
    specpub_cli = Path(sys.executable).with_name("specpub")
    env = dict(os.environ, DASH_TOKEN=repo.token)
    child = subprocess.Popen(
        [str(specpub_cli), "publish", "--workspace", str(loaded_workspace), "--to", "embedded",
         "--url", repo.url, "--token-env", "DASH_TOKEN", "--concurrency", "1",
         "--progress", "none"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for(
            lambda: specpub.status(loaded_workspace).counts.get("published", 0) >= 1, timeout=120
        )
        dash = UploadDashboard(loaded_workspace, to=repo, concurrency=4)
        assert dash.publishing == f"pid {child.pid}"
        assert dash.state == "watching"
        assert f"Another run is publishing from this workspace now (pid {child.pid})" in (
            dash.message
        )
        assert "publishing now" in specpub.status(loaded_workspace).summary()
        child.send_signal(signal.SIGKILL)  # the other run dies mid-batch
        child.wait(30)
        _wait_for(lambda: dash.state == "idle", timeout=30)
        left = sum(n for state, n in dash.counts.items() if state != "published")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(30)
    assert dash.publishing is None
    assert "stopped before its end" in specpub.status(loaded_workspace).summary()
    assert left  # killed after its first record, with many requests left at 3/s
    assert dash.publish_button.description == "Resume"
    assert f"An earlier run stopped with {left} records left" in dash.message
    dash.publish_button.click()
    dash.wait(120)
    assert dash.errors == []
    assert specpub.status(loaded_workspace).counts == {"published": planned}
    repo.refresh_index()
    check = specpub.reconcile(loaded_workspace, repo)  # nothing published twice
    findings = check.to_frame()
    assert check.ok, findings[findings["category"] != "published"].to_dict("records")
