"""Profiles as TOML files: lookup by name, user folders, extends, overrides, clear errors."""

from __future__ import annotations

import pytest

from specpub.errors import InputError
from specpub.preservation import validate_bytes
from specpub.preservation.profiles import (
    get_profile,
    profiles,
    register_profile,
    unregister_profile,
)

from . import builders as b


def _write(folder, name, text):
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_builtin_profiles_are_listed_and_load():
    names = profiles()
    assert {"structure", "master", "master-strict", "access", "herbarium-master"} <= set(names)
    for name in names:
        assert get_profile(name).name == name


def test_default_profile_is_master():
    assert get_profile(None).name == "master"


def test_user_profile_file_extends_and_overrides(tmp_path):
    path = _write(
        tmp_path,
        "ours",
        """
[profile]
name = "ours"
extends = "master"
description = "our hand-over rules"

[rules]
"RES-02" = { severity = "fail", min_ppi = 400 }
"COL-05" = "off"

[findings]
"TIF-22" = "warn"
""",
    )
    prof = get_profile(str(path))
    assert prof.chain == ("master", "structure")
    assert prof.parameters("RES-02") == {"min_ppi": 400}
    assert prof.severity_of("COL-05") == "off"
    assert prof.severity_of("CMP-01") == "fail"
    assert prof.findings == {"TIF-22": "warn"}
    verdict = validate_bytes(b.tiff(ppi=350), "BR1.tif", profile=prof)
    assert [f.id for f in verdict.findings] == ["RES-02"]


def test_profiles_found_by_name_in_user_folders(tmp_path, monkeypatch):
    _write(tmp_path, "museum", '[profile]\nname = "museum"\nextends = "access"\n')
    monkeypatch.setenv("SPECPUB_PROFILES", str(tmp_path))
    assert profiles()["museum"] == str(tmp_path / "museum.toml")
    assert get_profile("museum").chain == ("access", "structure")


def test_workspace_profiles_folder(tmp_path):
    folder = tmp_path / "preservation" / "profiles"
    folder.mkdir(parents=True)
    _write(folder, "ws-rules", '[profile]\nname = "ws-rules"\n[rules]\n"RES-02" = "warn"\n')
    assert get_profile("ws-rules", workspace=tmp_path).severity_of("RES-02") == "warn"


def test_to_toml_round_trips(tmp_path):
    text = get_profile("herbarium-master").to_toml()
    path = tmp_path / "copy.toml"
    path.write_text(text, encoding="utf-8")
    copy = get_profile(str(path))
    original = get_profile("herbarium-master")
    assert dict(copy.rules) == dict(original.rules)
    for rid in original.rules:
        assert copy.parameters(rid) == original.parameters(rid)


def test_registered_python_profile():
    from specpub.preservation.profiles import Profile

    register_profile(Profile("py-only", rules={"ID-01": "warn"}), replace=True)
    try:
        assert get_profile("py-only").severity_of("ID-01") == "warn"
        assert profiles()["py-only"] == "python"
    finally:
        unregister_profile("py-only")
    assert "py-only" not in profiles()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[rules]\n"RES-02" = "warn"\n', "no [profile] name"),
        ('[profile]\nname = "x"\n[rules]\n"NOPE-1" = "warn"\n', "unknown rule 'NOPE-1'"),
        ('[profile]\nname = "x"\n[rules]\n"RES-02" = "loud"\n', "severity 'loud'"),
        ('[profile]\nname = "x"\n[rules]\n"RES-02" = { min_dpi = 3 }\n', "no parameter 'min_dpi'"),
        ('[profile]\nname = "x"\n[rules]\n"RES-02" = { min_ppi = "300" }\n', "should be like"),
        ('[profile]\nname = "x"\n[findings]\n"TIF-99" = "warn"\n', "unknown finding id"),
        ('[profile]\nname = "x"\nextends = "nowhere"\n', "no profile named 'nowhere'"),
        ('[profile]\nname = "x"\n[colours]\n', "unknown table"),
        ('[profile\nname = "x"', "not valid TOML"),
    ],
)
def test_bad_profile_files_are_clear_input_errors(tmp_path, text, needle):
    path = _write(tmp_path, "bad", text)
    with pytest.raises(InputError) as err:
        get_profile(str(path))
    assert needle in str(err.value)
    assert str(path) in str(err.value) or "nowhere" in needle


def test_extends_loop_is_refused(tmp_path, monkeypatch):
    _write(tmp_path, "a", '[profile]\nname = "a"\nextends = "b"\n')
    _write(tmp_path, "b", '[profile]\nname = "b"\nextends = "a"\n')
    monkeypatch.setenv("SPECPUB_PROFILES", str(tmp_path))
    with pytest.raises(InputError, match="loop"):
        get_profile("a")


def test_missing_profile_file_and_unknown_name():
    with pytest.raises(InputError, match="does not exist"):
        get_profile("/nonexistent/ours.toml")
    with pytest.raises(InputError, match="no profile named 'zzz'"):
        get_profile("zzz")
