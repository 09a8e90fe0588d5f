"""The Specimens result (summary, repr, workspace files) and the `specpub load` command."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from specpub.cli import main
from specpub.errors import InputError
from specpub.specimens import MediaLinks, Specimens, link_media, load_specimens
from specpub.workspace import Workspace

from ._archives import write_media_dwca

TABLE = (
    "Catalog Number,scientificName,eventDate,institutionCode,<b>notes</b>\n"
    "BR0001,<script>alert(1)</script>,1935-7-2,BR,x\n"
    "BR0001,Rubus,1936,BR,y\n"
    "BR0003,Quercus,,,z\n"
)


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(TABLE, encoding="utf-8")
    return path


def test_summary_and_flag_summary(table):
    sp = load_specimens(table, progress=None)
    s = sp.summary()
    assert s["rows"] == 3
    assert s["columns"] == 5
    assert s["mapped_terms"] == ["catalogNumber", "scientificName", "eventDate", "institutionCode"]
    assert s["unmapped_columns"] == ["<b>notes</b>"]
    assert s["flags"]["CATALOG_NUMBER_DUPLICATE"] == 2
    assert s["rows_with_errors"] == 2
    fs = sp.flag_summary()
    assert fs["severity"].iloc[0] == "error"
    assert fs.set_index("flag").loc["CATALOG_NUMBER_DUPLICATE", "rows"] == 2
    assert sp.rows_with("error").tolist() == [2, 3]
    assert len(sp) == 3
    assert sp.to_frame() is not sp.frame


def test_repr_and_escaped_html(table):
    sp = load_specimens(table, progress=None)
    assert repr(sp).startswith("<Specimens 3 rows from 't.csv'")
    page = sp._repr_html_()
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "<b>notes</b>" not in page


def test_workspace_files_are_plain_and_round_trip(table, tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    (media / "BR0003.jpg").write_bytes(b"")
    sp = load_specimens(table, progress=None)
    links = link_media(sp, [media], progress=None)
    ws = Workspace.create(tmp_path / "ws")
    folder = sp.save(ws)
    links.save(ws)
    names = {p.name for p in folder.iterdir()}
    assert {"specimens.parquet", "flags.csv", "mapping.json", "summary.json", "links.csv"} <= names
    # readable by plain pandas
    frame = pd.read_parquet(folder / "specimens.parquet")
    assert frame["catalogNumber"].tolist() == ["BR0001", "BR0001", "BR0003"]
    flags = pd.read_csv(folder / "flags.csv")
    assert "CATALOG_NUMBER_DUPLICATE" in set(flags["flag"])
    assert pd.read_csv(folder / "links.csv")["name"].tolist() == ["BR0003.jpg"]
    assert json.loads((folder / "summary.json").read_text())["rows"] == 3
    back = Specimens.load(tmp_path / "ws")
    pd.testing.assert_frame_equal(back.frame, sp.frame, check_dtype=False)
    assert back.summary()["flags"] == sp.summary()["flags"]
    assert back.mapping["term"].tolist() == sp.mapping["term"].tolist()
    assert not hasattr(back, "links")  # the links own their files (MediaLinks.load)
    assert len(MediaLinks.load(ws)) == 1
    assert back.info["format"] == "csv"


def test_load_from_empty_workspace_says_what_to_do(tmp_path):
    Workspace.create(tmp_path / "ws")
    with pytest.raises(Exception, match="specpub load"):
        Specimens.load(tmp_path / "ws")


def test_dwca_extensions_round_trip(tmp_path):
    path = write_media_dwca(
        tmp_path / "a.zip",
        "id,catalogNumber\n1,A1\n",
        "id,identifier\n1,https://x.org/a.jpg\n",
        location="m.csv",
    )
    sp = load_specimens(path, progress=None)
    sp.save(tmp_path / "ws")
    back = Specimens.load(tmp_path / "ws")
    ext = back.extensions["http://rs.gbif.org/terms/1.0/Multimedia"]
    assert ext["identifier"].tolist() == ["https://x.org/a.jpg"]


def test_cli_load_prints_summary(table, tmp_path, capsys):
    media = tmp_path / "media"
    media.mkdir()
    (media / "BR0003_lab.jpg").write_bytes(b"")
    code = main(
        [
            "load",
            str(table),
            "--workspace",
            str(tmp_path / "ws"),
            "--media",
            str(media),
            "--progress",
            "none",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Loaded 3 specimens" in out
    assert "CATALOG_NUMBER_DUPLICATE" in out
    assert "Media: 1 files linked to 1 specimens" in out
    assert (tmp_path / "ws" / "specimens" / "links.csv").is_file()


def test_cli_load_json_and_mapping(tmp_path, capsys):
    path = tmp_path / "t.csv"
    path.write_text("Barcode BR;Taxon\nBR1;Quercus\n")
    mapping = tmp_path / "m.toml"
    mapping.write_text('"Barcode BR" = "catalogNumber"\n')
    code = main(
        ["load", str(path), "-w", str(tmp_path / "ws"), "--mapping", str(mapping), "--json"]
    )
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert summary["rows"] == 1
    assert summary["mapped_terms"] == ["catalogNumber"]
    assert summary["source"]["delimiter"] == ";"


def test_cli_bad_input_exits_2_with_one_message(tmp_path, capsys):
    bad = tmp_path / "photo.csv"
    bad.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    code = main(["load", str(bad), "-w", str(tmp_path / "ws")])
    err = capsys.readouterr().err
    assert code == 2
    assert "photo.csv" in err
    assert "JPEG" in err
    assert "Traceback" not in err
    assert err.count("specpub: error") == 1


def test_cli_xlsx_sheet(tmp_path, capsys):
    import openpyxl

    path = tmp_path / "t.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Readme"
    ws = book.create_sheet("Herbarium")
    ws.append(["Catalog No.", "Basis of record", "Date collected"])
    ws.append(["0007", "PRESERVED_SPECIMEN", "1935-07-02"])
    book.save(path)
    code = main(["load", str(path), "-w", str(tmp_path / "ws"), "--sheet", "Herbarium", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert summary["source"]["sheet"] == "Herbarium"
    assert summary["mapped_terms"] == ["catalogNumber", "basisOfRecord", "eventDate"]
    frame = Specimens.load(tmp_path / "ws").frame
    assert frame["catalogNumber"].tolist() == ["0007"]
    assert frame["_source"].tolist() == ["t.xlsx[Herbarium]"]
    code = main(["load", str(path), "-w", str(tmp_path / "ws"), "--sheet", "Nope"])
    assert code == 2
    assert "'Herbarium'" in capsys.readouterr().err


def test_reloading_without_media_drops_stale_links(table, tmp_path, capsys):
    media = tmp_path / "media"
    media.mkdir()
    (media / "BR0003.jpg").write_bytes(b"")
    ws = tmp_path / "ws"
    assert main(["load", str(table), "-w", str(ws), "--media", str(media), "--json"]) == 0
    assert (ws / "specimens" / "links.csv").is_file()
    assert main(["load", str(table), "-w", str(ws), "--json"]) == 0
    capsys.readouterr()
    assert not (ws / "specimens" / "links.csv").exists()
    with pytest.raises(InputError, match="no media links"):
        MediaLinks.load(ws)


def test_links_made_for_another_load_of_the_table_are_refused(table, tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    (media / "BR0003.jpg").write_bytes(b"")
    ws = Workspace.create(tmp_path / "ws")
    sp = load_specimens(table, progress=None)
    sp.save(ws)
    link_media(sp, [media], progress=None).save(ws)
    assert len(MediaLinks.load(ws)) == 1
    other = tmp_path / "other.csv"
    other.write_text("catalogNumber\nBR0003\nBR0004\n")
    load_specimens(other, progress=None).save(ws)  # a new table, links not redone
    with pytest.raises(InputError, match="earlier load of the specimen table") as err:
        MediaLinks.load(ws)
    assert "--media" in err.value.fix
