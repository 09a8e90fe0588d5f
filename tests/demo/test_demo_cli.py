"""``specpub demo-data`` and argument checking."""

from __future__ import annotations

import json

import pytest

from specpub.cli import main
from specpub.demo import generate_collection
from specpub.errors import InputError


def test_demo_data_writes_a_collection(tmp_path, capsys):
    out = tmp_path / "demo"
    code = main(
        [
            "demo-data",
            str(out),
            "--specimens",
            "4",
            "--seed",
            "2",
            "--size",
            "200x290",
            "--messiness",
            "0.5",
            "--quiet",
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert str(out / "specimens.csv") in text
    assert "4 specimens" in text
    assert "broken files (7)" in text
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["seed"] == 2
    assert manifest["parameters"]["image_size"] == [200, 290]
    assert len(manifest["rows"]) == 4


def test_demo_data_no_broken_and_overwrite(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo-data", str(out), "--specimens", "2", "--size", "200x290", "--quiet"]) == 0
    capsys.readouterr()
    # A second run into the same folder needs --overwrite.
    assert main(["demo-data", str(out), "--specimens", "2", "--quiet"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (
        main(
            [
                "demo-data",
                str(out),
                "--specimens",
                "2",
                "--size",
                "200x290",
                "--no-broken",
                "--overwrite",
                "--quiet",
            ]
        )
        == 0
    )
    assert "broken files: none" in capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["broken"] == []
    assert not any(p.stem.startswith("DEMO99") for p in out.rglob("*.jpg"))


def test_overwrite_refuses_a_foreign_folder(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(InputError, match="holds no demo collection"):
        generate_collection(tmp_path, specimens=1, overwrite=True)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


@pytest.mark.parametrize(
    "args",
    [
        ["--size", "900"],
        ["--messiness", "1.5"],
        ["--specimens", "many"],
    ],
)
def test_bad_cli_arguments_exit_2(tmp_path, args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["demo-data", str(tmp_path / "x"), *args])
    assert exc.value.code == 2
    assert "error" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"specimens": 0}, "specimens"),
        ({"seed": -1}, "seed"),
        ({"messiness": 1.2}, "messiness"),
        ({"image_size": (50, 50)}, "image_size"),
        ({"formats": ("gif",)}, "formats"),
        ({"institution": "demo 1"}, "institution"),
    ],
)
def test_bad_parameters_say_what_and_how(tmp_path, kwargs, field):
    with pytest.raises(InputError) as exc:
        generate_collection(tmp_path / "x", **kwargs)
    assert exc.value.field == field
    assert exc.value.fix
    assert not (tmp_path / "x").exists()


def test_cli_error_for_bad_institution(tmp_path, capsys):
    code = main(["demo-data", str(tmp_path / "x"), "--institution", "b r", "--quiet"])
    assert code == 2
    assert "institution" in capsys.readouterr().err
