"""Acceptance items of the specimens issue that no other test pinned down.

See ``/work/notes/acceptance-audit.md``: each test here closes one GAP row.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from specpub.cli import main
from specpub.errors import InputError
from specpub.specimens import Specimens, link_media
from specpub.specimens.readers import read_table


def _specimens(numbers: list[str]) -> Specimens:
    frame = pd.DataFrame({"catalogNumber": numbers})
    frame["_row"] = range(2, len(frame) + 2)
    frame["_source"] = "t.csv"
    return Specimens(frame, mapping=pd.DataFrame(), flags=pd.DataFrame())


def test_linking_makes_no_stat_per_file(tmp_path, monkeypatch):
    # Issue 4: "tens of thousands of files in one folder and network file systems must be
    # handled without one stat per file per specimen". Count every stat during linking.
    numbers = [f"BR{i:07d}" for i in range(300)]
    for i, number in enumerate(numbers):
        folder = tmp_path / ("sub" if i % 2 else "") / ("deeper" if i % 3 == 0 else "")
        folder.mkdir(parents=True, exist_ok=True)
        for suffix in (".jpg", "_lab.jpg", ".tif"):
            (folder / f"{number}{suffix}").write_bytes(b"")
    calls: list[str] = []
    real_stat, real_lstat = os.stat, os.lstat

    def counting_stat(path, *args, **kwargs):
        calls.append(os.fspath(path))
        return real_stat(path, *args, **kwargs)

    def counting_lstat(path, *args, **kwargs):
        calls.append(os.fspath(path))
        return real_lstat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", counting_stat)
    monkeypatch.setattr(os, "lstat", counting_lstat)
    links = link_media(_specimens(numbers), [tmp_path], progress=None)
    monkeypatch.undo()
    assert len(links.links) == 3 * len(numbers)
    assert links.unlinked_specimens.empty
    # a constant number of stats (the folders given), none per file or specimen
    assert 1 <= len(calls) <= 5, calls[:10]  # the root folder check is seen
    assert not [c for c in calls if Path(c).suffix in (".jpg", ".tif")]


def test_an_unreadable_table_is_one_clear_input_error(tmp_path, monkeypatch, capsys):
    # Issue 4 "Bad input": an unreadable table gets one InputError naming the file.
    # (The tests run as root, where chmod 000 does not stop reading: refuse the open.)
    table = tmp_path / "locked.csv"
    table.write_text("catalogNumber\nBR1\n", encoding="utf-8")
    real_open = Path.open

    def refusing_open(self, *args, **kwargs):
        if self.name == "locked.csv":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refusing_open)
    with pytest.raises(InputError) as info:
        read_table(table)
    message = str(info.value)
    assert "locked.csv" in message
    assert "Permission denied" in message
    assert info.value.fix
    assert main(["load", str(table), "--workspace", str(tmp_path / "ws")]) == 2
    err = capsys.readouterr().err
    assert "locked.csv" in err
    assert "Traceback" not in err
