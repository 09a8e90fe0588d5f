"""The foundation: errors, workspace, progress, CLI assembly."""

from __future__ import annotations

import io
import json

import pytest

from specpub import cli
from specpub.errors import (
    Ambiguous,
    AuthenticationError,
    ChecksumMismatch,
    FieldError,
    InputError,
    NotFound,
    RateLimited,
    Rejected,
    RepositoryError,
    SpecpubError,
    Transient,
)
from specpub.progress import make_progress
from specpub.workspace import Workspace


def test_hierarchy_matches_architecture():
    assert issubclass(InputError, SpecpubError)
    assert issubclass(InputError, ValueError)
    for cls in (Transient, Rejected, Ambiguous, ChecksumMismatch, NotFound):
        assert issubclass(cls, RepositoryError)
    assert issubclass(RateLimited, Transient)
    assert issubclass(AuthenticationError, Rejected)
    # issue 8: a 404 is never proof of absence (Zenodo answered 404 to everything in
    # its May 2019 outage): retryable, an outage symptom, final only once confirmed
    assert not issubclass(NotFound, Rejected)
    assert NotFound("x").retryable
    assert NotFound("x").outage_symptom
    assert Transient("x").retryable
    assert not Rejected("x").retryable
    assert not Ambiguous("x").retryable


def test_input_error_says_what_where_how():
    err = InputError("value is empty", file="t.csv", row=3, column="catalogNumber", fix="fill it")
    assert str(err) == "t.csv, row 3, column 'catalogNumber': value is empty. Fix: fill it."


def test_field_errors_parse_both_shapes():
    parsed = FieldError.parse_list(
        [{"field": "metadata.title", "messages": ["Too short."]}, {"field": "x", "message": "bad"}]
    )
    assert [e.text for e in parsed] == ["metadata.title: Too short.", "x: bad"]
    err = Rejected(
        "A validation error occurred.",
        status=400,
        errors=parsed,
        method="POST",
        url="http://h/api/records",
    )
    assert "POST http://h/api/records -> 400" in str(err)
    assert "metadata.title: Too short." in str(err)
    assert FieldError.parse_list("nonsense") == ()


def test_workspace_roundtrip_and_refuses_secrets(tmp_path):
    ws = Workspace.create(tmp_path / "ws")
    ws.update_settings(target="embedded", token_env="MY_TOKEN")
    again = Workspace.open(tmp_path / "ws")
    assert again.settings == {"target": "embedded", "token_env": "MY_TOKEN"}
    with pytest.raises(InputError, match="secret"):
        again.update_settings(token="abc")
    assert "abc" not in (tmp_path / "ws" / "workspace.json").read_text()
    ws.write_json("specimens", "summary.json", {"rows": 3})
    assert ws.read_json("specimens", "summary.json") == {"rows": 3}


def test_workspace_open_missing_is_clear(tmp_path):
    with pytest.raises(InputError, match="not a specpub workspace"):
        Workspace.open(tmp_path)


def test_workspace_corrupt_meta_is_input_error(tmp_path):
    ws = Workspace.create(tmp_path)
    (tmp_path / "workspace.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        ws.settings  # noqa: B018


def test_text_progress_lines():
    out = io.StringIO()
    bar = make_progress("text", total=5, description="upload", stream=out, interval=0)
    bar.update(2)
    bar.set_status("paused: rate limit")
    bar.update(3)
    bar.close()
    lines = out.getvalue().splitlines()
    assert lines[-1].startswith("upload: 5/5")
    assert "paused: rate limit" in lines[-1]


def test_auto_progress_is_text_when_not_a_terminal():
    out = io.StringIO()
    bar = make_progress("auto", total=1, description="x", stream=out, interval=0)
    bar.update()
    bar.close()
    assert "x: 1/1" in out.getvalue()


def test_progress_rejects_garbage():
    with pytest.raises(ValueError, match="progress="):
        make_progress("fancy", total=1, description="x")
    with pytest.raises(TypeError):
        make_progress(42, total=1, description="x")


def test_cli_help_and_version(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert "specpub" in capsys.readouterr().out
    assert cli.main([]) == 2


def test_workspace_files_are_plain_json(tmp_path):
    Workspace.create(tmp_path)
    meta = json.loads((tmp_path / "workspace.json").read_text())
    assert meta["format"] == 1


def test_every_area_contributes_its_commands():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    expected = {"load", "plan", "publish", "status", "reconcile", "audit", "report",
                "summary", "sandbox", "demo", "demo-data"}  # fmt: skip
    assert expected <= set(sub.choices)


def test_cli_turns_input_errors_into_exit_code_2(tmp_path, capsys):
    assert cli.main(["status", "--workspace", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "not a specpub workspace" in err
    assert "Traceback" not in err
