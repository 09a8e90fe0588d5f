"""The batch CLI end to end on the embedded sandbox (in-process and one subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from specpub.batch.ledger import Ledger
from specpub.batch.plan import FileSpec, RecordSpec, plan_records
from specpub.cli import main
from specpub.records import PayloadOptions, build_payloads
from specpub.repository import Marker
from specpub.workspace import Workspace

VAR = "SPECPUB_TEST_CLI_TOKEN"


def make_workspace(root: Path, n: int = 5, *, target: str = "embedded") -> Workspace:
    ws = Workspace.create(root)
    media = root / "media-files"
    media.mkdir()
    specs = []
    for i in range(n):
        cat = f"BR{i:07d}"
        img = media / f"{cat}.jpg"
        img.write_bytes(b"\xff\xd8\xff\xe0" + cat.encode() * (20 + i))
        row = {"catalogNumber": cat, "institutionCode": "BR", "scientificName": "Quercus robur"}
        payload = build_payloads(row, PayloadOptions(publication_date="2026-01-01")).legacy
        specs.append(RecordSpec(Marker(cat, "BR"), legacy=payload,
                                files=[FileSpec.from_path(img)]))  # fmt: skip
    plan_records(ws, specs, target=target, api="legacy")
    return ws


def _make_orphan(sb, cat: str) -> None:
    import asyncio

    from specpub.repository import open_client

    row = {"catalogNumber": cat, "institutionCode": "BR"}
    payload = build_payloads(row, PayloadOptions(publication_date="2026-01-01")).legacy

    async def create() -> None:
        client = open_client(sb)
        try:
            await client.create(payload)
        finally:
            await client.aclose()

    asyncio.run(create())


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def clean_env(monkeypatch):
    monkeypatch.delenv(VAR, raising=False)
    yield
    os.environ.pop(VAR, None)


@pytest.mark.slow
def test_publish_status_reconcile_audit_report_summary(tmp_path, capsys, served_embedded):
    ws = make_workspace(tmp_path / "ws")
    common = ["--workspace", ws.root, "--to", "embedded"]  # the one `sandbox serve` runs

    code, out, _ = run(capsys, "publish", "--dry-run", "--workspace", ws.root, "--to", "embedded")
    assert code == 0
    assert "dry run" in out

    code, out, err = run(capsys, "publish", *common, "--progress", "none", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["published"] == result["total"] == 5
    assert served_embedded.token not in out + err  # the served token is never printed
    assert f"using the embedded repository at {served_embedded.url}" in err

    code, out, _ = run(capsys, "status", "--workspace", ws.root, "--json")
    assert code == 0
    assert json.loads(out)["batches"][0]["counts"] == {"published": 5}

    # the same running repository: the records are there
    code, out, err = run(capsys, "reconcile", *common, "--json",
                         "--progress", "none")  # fmt: skip
    assert code == 0, err
    rec = json.loads(out)
    assert rec["counts"] == {"published": 5}
    assert Path(rec["csv"]).is_file()

    # an orphan draft carrying a marker of the batch (a create whose answer was lost)
    _make_orphan(served_embedded, "BR0000001")
    served_embedded.refresh_index()  # drafts show in search after the index refresh
    code, out, err = run(capsys, "reconcile", *common, "--delete-orphans",
                         "--json", "--progress", "none")  # fmt: skip
    assert code == 0, err
    assert "NOT deleted" in err  # no terminal to ask, no --yes: nothing is deleted
    assert json.loads(out)["counts"] == {"published": 5, "orphan-draft": 1}
    assert json.loads(out)["deleted"] == []
    code, out, err = run(capsys, "reconcile", *common, "--delete-orphans",
                         "--yes", "--json", "--progress", "none")  # fmt: skip
    assert code == 0, err
    assert len(json.loads(out)["deleted"]) == 1

    code, out, err = run(capsys, "audit", *common, "--verify-local", "--progress", "none")
    assert code == 0, err
    assert "all files match" in out

    html = tmp_path / "report.html"
    code, out, _ = run(capsys, "report", "--workspace", ws.root, "--html", html)
    assert code == 0
    assert "5/5 published" in out
    assert "<svg" in html.read_text()

    code, out, _ = run(capsys, "summary", "--workspace", ws.root, "--json")
    assert code == 0
    assert json.loads(out)["rows"] == 5

    code, out, err = run(capsys, "summary", "--workspace", ws.root, "--publish", "--to",
                         "embedded", "--creator", "Meise Botanic Garden", "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["doi"].startswith("10.5072/")


def test_failed_records_exit_3_and_publish_and_status_say_why(tmp_path, capsys, served_embedded):
    ws = make_workspace(tmp_path / "ws", n=2)
    changed = next((ws.root / "media-files").glob("*.jpg"))
    changed.write_bytes(b"changed after the scan")
    code, out, err = run(capsys, "publish", "--workspace", ws.root, "--to", "embedded",
                         "--progress", "none")  # fmt: skip
    assert code == 3, out + err
    # publish itself names the failed record, why, and the command that fixes it
    assert f"failed BR|{changed.stem} at check:" in err
    assert f"specpub replan --workspace {ws.root}" in err
    assert f"specpub status --workspace {ws.root}" in err
    code, out, err = run(capsys, "publish", "--workspace", ws.root, "--to", "embedded",
                         "--progress", "none", "--json")  # fmt: skip
    assert code == 3
    assert json.loads(out)["failed"] == 1  # --json: stdout stays one JSON document
    assert "failed BR|" not in err
    code, out, _ = run(capsys, "status", "--workspace", ws.root)
    assert code == 3
    assert "failed" in out
    assert "changed" in out


def test_bad_input_exit_2(tmp_path, capsys, clean_env):
    code, _, err = run(capsys, "status", "--workspace", tmp_path / "nope")
    assert code == 2
    assert "not a specpub workspace" in err
    ws = make_workspace(tmp_path / "ws", n=1, target="zenodo")
    code, _, err = run(capsys, "reconcile", "--workspace", ws.root, "--to", "zenodo",
                       "--token-env", "SPECPUB_SURELY_UNSET_VAR")  # fmt: skip
    assert code == 2
    assert "SPECPUB_SURELY_UNSET_VAR" in err
    code, _, err = run(capsys, "publish", "--workspace", ws.root, "--to", "embedded")
    assert code == 2
    assert "planned for target 'zenodo'" in err
    empty = Workspace.create(tmp_path / "empty")
    code, _, err = run(capsys, "publish", "--workspace", empty.root, "--to", "embedded")
    assert code == 2
    assert "nothing is planned" in err


def test_status_json_in_a_subprocess(tmp_path):
    ws = make_workspace(tmp_path / "ws", n=3)
    proc = subprocess.run(
        [sys.executable, "-m", "specpub", "status", "--workspace", str(ws.root), "--json"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["batches"][0]["counts"] == {"planned": 3}
    with Ledger.for_workspace(ws) as led:
        assert led.counts() == {"planned": 3}


def test_publish_rehearse_prints_a_forecast(tmp_path, capsys, clean_env):
    ws = make_workspace(tmp_path / "ws", n=4)
    code, out, err = run(capsys, "publish", "--workspace", ws.root, "--to", "embedded",
                         "--rehearse", "--faults", "none", "--time-scale", "3600",
                         "--sample", "3", "--progress", "none", "--json")  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["sample"] == 3
    assert data["published"] == 3
    assert data["forecast"]["n_records"] == 4
    with Ledger.for_workspace(ws) as led:
        assert led.counts() == {"planned": 4}
