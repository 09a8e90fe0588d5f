"""`specpub demo`: the whole pipeline on the embedded repository, end to end."""

from __future__ import annotations

import io
import os
from urllib.parse import urlsplit

import httpx
import pytest

from specpub import cli
from specpub.batch import Ledger
from specpub.demo.pipeline import run_demo


@pytest.mark.slow
@pytest.mark.parametrize("api", ["legacy", "native"])
def test_demo_publishes_every_publishable_specimen_and_resumes(tmp_path, api):
    out = io.StringIO()
    run = run_demo(tmp_path / "demo", specimens=6, api=api, progress=None, out=out)
    text = out.getvalue()
    assert run.result.ok
    assert run.published == len(run.records) > 0
    # every published record has a DOI of the sandbox prefix and is listed with its page
    for rec in run.records:
        assert rec["doi"].startswith("10.5072/zenodo.")
        assert rec["doi"] in text
        assert rec["landing_page"] in text
    # the unpublishable specimens are listed with a reason, not dropped silently
    assert len(run.skipped) + run.published == 6
    assert run.report_html.is_file()
    assert run.summary_csv.is_file()
    # the token never reaches the output, the environment, or the workspace
    assert not any("DEMO_TOKEN" in name for name in os.environ)
    for path in (run.folder / "workspace").rglob("*"):
        if path.is_file() and path.suffix in (".json", ".csv", ".html"):
            assert "Bearer" not in path.read_text(errors="replace")

    # a second run publishes nothing twice and finds everything published
    again = run_demo(tmp_path / "demo", api=api, progress=None, out=io.StringIO())
    assert again.result.requests == 0
    assert sorted(r["doi"] for r in again.records) == sorted(r["doi"] for r in run.records)
    with Ledger.for_workspace(run.workspace) as led:
        assert led.counts().get("published") == run.published


@pytest.mark.slow
def test_demo_landing_pages_survive_a_restart(tmp_path):
    out = io.StringIO()
    run = run_demo(tmp_path / "d", specimens=4, progress=None, out=out)
    from specpub import sandbox

    # the closing hint names the port the demo really used (not the default, 0)
    port = urlsplit(run.url).port
    assert port
    assert f"--port {port}\n" in out.getvalue()
    assert f"specpub audit --workspace {run.workspace.root} --to embedded" in out.getvalue()
    with sandbox.running(tmp_path / "d" / "repository", port=port) as sb:
        rec = run.records[0]
        record_id = rec["landing_page"].rsplit("/", 1)[-1]
        page = httpx.get(f"{sb.url}/records/{record_id}")
        assert page.status_code == 200
        assert rec["doi"] in page.text


def test_demo_command_is_registered(capsys):
    with pytest.raises(SystemExit):
        cli.main(["demo", "--help"])
    assert "embedded" in capsys.readouterr().out
