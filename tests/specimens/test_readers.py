"""Readers: formats, encodings, delimiters, quoting, row numbers, bad input."""

from __future__ import annotations

import codecs
import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from specpub.errors import InputError
from specpub.specimens.readers import read_table

HEADER = "catalogNumber,scientificName,country\n"
ROWS = "0001,Quercus robur,België\n0002,Rubus sp.,Côte d'Ivoire\n"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("encoding", "bom", "label"),
    [
        ("utf-8", b"", "UTF-8"),
        ("utf-8", codecs.BOM_UTF8, "UTF-8 with BOM"),
        ("utf-16-le", codecs.BOM_UTF16_LE, "UTF-16 LE"),
        ("utf-16-be", codecs.BOM_UTF16_BE, "UTF-16 BE"),
    ],
)
def test_unicode_encodings_are_detected(tmp_path, encoding, bom, label):
    path = write(tmp_path, "t.csv", bom + (HEADER + ROWS).encode(encoding))
    raw = read_table(path)
    assert raw.info["encoding"] == label
    assert raw.columns == ["catalogNumber", "scientificName", "country"]
    assert raw.frame["country"].tolist() == ["België", "Côte d'Ivoire"]
    assert raw.frame["catalogNumber"].tolist() == ["0001", "0002"]
    assert raw.warnings == []


@pytest.mark.parametrize(("codec", "label"), [("cp1252", "Windows-1252"), ("latin-1", None)])
def test_legacy_encoding_falls_back_with_a_warning(tmp_path, codec, label):
    text = HEADER + ROWS + "0003,Œnothera ‘biennis’,France\n" * (codec == "cp1252")
    path = write(tmp_path, "t.csv", text.encode(codec))
    raw = read_table(path)
    assert raw.frame["country"].tolist()[:2] == ["België", "Côte d'Ivoire"]
    assert raw.info["encoding"] in ("Windows-1252", "Latin-1")
    if label:
        assert raw.frame["scientificName"].iloc[2] == "Œnothera ‘biennis’"
    assert len(raw.warnings) == 1
    assert "not valid UTF-8" in raw.warnings[0]
    assert "line 2" in raw.warnings[0]
    assert "t.csv" in raw.warnings[0]


def test_utf16_without_bom_is_guessed(tmp_path):
    path = write(tmp_path, "t.txt", (HEADER + ROWS).encode("utf-16-le"))
    raw = read_table(path)
    assert raw.frame["country"].tolist() == ["België", "Côte d'Ivoire"]
    assert "byte-order mark" in raw.warnings[0]


def test_forced_encoding(tmp_path):
    path = write(tmp_path, "t.csv", (HEADER + ROWS).encode("cp1252"))
    raw = read_table(path, encoding="cp1252")
    assert raw.warnings == []
    assert raw.frame["country"].iloc[0] == "België"
    with pytest.raises(InputError, match="cannot decode the file as utf-8"):
        read_table(path, encoding="utf-8")


def test_bom_with_invalid_content_is_one_clear_error(tmp_path):
    path = write(
        tmp_path,
        "t.csv",
        codecs.BOM_UTF16_LE + "catalogNumber\n".encode("utf-16-le") + b"\x00\xd8\x41",
    )  # lone surrogate + odd byte
    with pytest.raises(InputError) as err:
        read_table(path)
    assert "t.csv" in str(err.value)
    assert "UTF-16 LE" in str(err.value)


@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
def test_delimiters_are_detected(tmp_path, delim):
    rows = [
        ["catalogNumber", "locality", "year"],
        ["A1", "Kisantu; near river, 400 m", "1935"],
        ["A2", "plain", "1936"],
    ]
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, delimiter=delim, lineterminator="\r\n").writerows(rows)
    path = write(tmp_path, "t.csv", buf.getvalue().encode())
    raw = read_table(path)
    assert raw.info["delimiter"] == delim
    assert raw.frame["locality"].tolist() == ["Kisantu; near river, 400 m", "plain"]
    assert raw.info["format"] == ("tsv" if delim == "\t" else "csv")


def test_quoting_embedded_newlines_quotes_and_row_numbers(tmp_path):
    text = (
        "catalogNumber,locality,notes\n"
        'A1,"Forêt de Soignes, ""bois""","line one\nline two"\n'
        "\n"
        "A2,plain,\n"
    )
    raw = read_table(write(tmp_path, "t.csv", text.encode()))
    assert raw.frame["locality"].tolist() == ['Forêt de Soignes, "bois"', "plain"]
    assert raw.frame["notes"].iloc[0] == "line one\nline two"
    # record numbers as a spreadsheet shows them: header 1, A1 2, blank 3, A2 4
    assert raw.frame["_row"].tolist() == [2, 4]
    assert raw.frame["_source"].tolist() == ["t.csv", "t.csv"]
    assert any("empty line" in w and "rows 3" in w for w in raw.warnings)


def test_values_stay_strings(tmp_path):
    text = "catalogNumber,year,lat,flag\n0001,1935,50.10,TRUE\n00002,,NaN,NA\n"
    raw = read_table(write(tmp_path, "t.csv", text.encode()))
    assert raw.frame[["catalogNumber", "year", "lat", "flag"]].values.tolist() == [
        ["0001", "1935", "50.10", "TRUE"],
        ["00002", "", "NaN", "NA"],
    ]


def test_ragged_rows_keep_everything(tmp_path):
    text = "catalogNumber,locality\nA1,x\nA2,Kisantu, near river\nA3\n"
    raw = read_table(write(tmp_path, "t.csv", text.encode()))
    assert raw.frame["catalogNumber"].tolist() == ["A1", "A2", "A3"]
    assert raw.frame["_extra_1"].tolist() == ["", " near river", ""]
    assert raw.frame["locality"].tolist() == ["x", "Kisantu", ""]
    assert raw.extra_fields == {3: 1}
    assert any("more fields than the header" in w for w in raw.warnings)


def test_header_cleanup(tmp_path):
    text = "catalogNumber, notes ,notes,\nA1,a,b,c\n"
    raw = read_table(write(tmp_path, "t.csv", text.encode()))
    assert raw.columns == ["catalogNumber", "notes", "notes_2", "column_4"]
    assert len(raw.warnings) == 2


def test_header_only_table_has_no_rows(tmp_path):
    raw = read_table(write(tmp_path, "t.csv", b"catalogNumber,year\n"))
    assert len(raw.frame) == 0
    assert raw.columns == ["catalogNumber", "year"]


@pytest.mark.parametrize(
    ("name", "data", "match"),
    [
        ("empty.csv", b"", "the file is empty"),
        ("blank.csv", b"\n\n  \n", "the file is empty"),
        ("photo.csv", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100, "JPEG image"),
        ("data.csv", b"catalog\x00\x01\x02\x03\x00\x00\x00\x07\x00\x10", "binary file"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, "xls"),
        ("broken.xlsx", b"catalogNumber\nA1\n", "not a valid Excel workbook"),
        ("other.zip", None, "neither a Darwin Core Archive"),
    ],
)
def test_bad_files_give_one_clear_error(tmp_path, name, data, match):
    path = tmp_path / name
    if data is None:
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("readme.md", "hello")
    else:
        path.write_bytes(data)
    with pytest.raises(InputError, match=match) as err:
        read_table(path)
    assert name in str(err.value)
    assert err.value.fix


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="folder, not a table"):
        read_table(tmp_path)


# -- Excel ---------------------------------------------------------------------------
def make_xlsx(path: Path) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Info"
    ws.append(["This workbook holds specimens"])
    data = book.create_sheet("Specimens")
    data.append([])
    data.append(["catalogNumber", "year", "eventDate", "lat", "name"])
    data.append(["0001", 1935, dt.datetime(1935, 7, 2), 50.5, "Quercus"])
    data.append([None, None, None, None, None])
    data.append([12, 1936.0, "1936", None, "Rubus"])
    book.save(path)
    return path


def test_xlsx_named_sheet_strings_and_excel_rows(tmp_path):
    path = make_xlsx(tmp_path / "t.xlsx")
    raw = read_table(path, sheet="Specimens")
    assert raw.info["format"] == "xlsx"
    assert raw.info["sheet"] == "Specimens"
    assert raw.frame[["catalogNumber", "year", "eventDate", "lat"]].values.tolist() == [
        ["0001", "1935", "1935-07-02", "50.5"],
        ["12", "1936", "1936", ""],
    ]
    assert raw.frame["_row"].tolist() == [3, 5]
    assert raw.frame["_source"].iloc[0] == "t.xlsx[Specimens]"
    assert any("header found on row 2" in w for w in raw.warnings)


def test_xlsx_first_sheet_and_missing_sheet(tmp_path):
    path = make_xlsx(tmp_path / "t.xlsx")
    raw = read_table(path)
    assert raw.info["sheet"] == "Info"
    assert raw.columns == ["This workbook holds specimens"]
    with pytest.raises(InputError, match="no sheet 'Nope'") as err:
        read_table(path, sheet="Nope")
    assert "'Specimens'" in str(err.value)


# -- Darwin Core Archives --------------------------------------------------------------
META = """<?xml version="1.0" encoding="UTF-8"?>
<archive xmlns="http://rs.tdwg.org/dwc/text/" metadata="eml.xml">
  <core encoding="UTF-8" fieldsTerminatedBy="\\t" linesTerminatedBy="\\n" fieldsEnclosedBy=""
        ignoreHeaderLines="1" rowType="http://rs.tdwg.org/dwc/terms/Occurrence">
    <files><location>occurrence.txt</location></files>
    <id index="0"/>
    <field index="1" term="http://rs.tdwg.org/dwc/terms/catalogNumber"/>
    <field index="2" term="http://rs.tdwg.org/dwc/terms/basisOfRecord" default="PreservedSpecimen"/>
    <field term="http://rs.tdwg.org/dwc/terms/institutionCode" default="TROM"/>
  </core>
  <extension encoding="UTF-8" fieldsTerminatedBy="," fieldsEnclosedBy='"' ignoreHeaderLines="0"
        rowType="http://rs.gbif.org/terms/1.0/Multimedia">
    <files><location>multimedia.txt</location></files>
    <coreid index="0"/>
    <field index="1" term="http://purl.org/dc/terms/identifier"/>
    <field index="2" term="http://purl.org/dc/terms/format"/>
  </extension>
</archive>
"""
CORE = "id\tcatalogNumber\tbasisOfRecord\turn:1\t0001\t\nurn:2\t0002\tPreservedspecimen\n"
CORE = "id\tcatalogNumber\tbasisOfRecord\nurn:1\t0001\t\nurn:2\t0002\tPreservedspecimen\n"
MEDIA = (
    'urn:1,"https://example.org/a,1.jpg",image/jpeg\n'
    "urn:1,https://example.org/b.jpg,image/jpeg\n"
    "urn:9,https://example.org/c.jpg,image/jpeg\n"
)


def make_dwca(path: Path, files: dict[str, str | None] | None = None) -> Path:
    content = {"meta.xml": META, "occurrence.txt": CORE, "multimedia.txt": MEDIA}
    content.update(files or {})
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in content.items():
            if text is not None:
                zf.writestr(name, text)
    return path


def test_dwca_core_extension_defaults_and_rows(tmp_path):
    raw = read_table(make_dwca(tmp_path / "a.zip"))
    f = raw.frame
    assert raw.info["format"] == "dwca"
    assert raw.info["core"] == "occurrence.txt"
    assert f["_id"].tolist() == ["urn:1", "urn:2"]
    assert f["catalogNumber"].tolist() == ["0001", "0002"]
    assert f["basisOfRecord"].tolist() == ["PreservedSpecimen", "Preservedspecimen"]
    assert f["institutionCode"].tolist() == ["TROM", "TROM"]
    assert f["_row"].tolist() == [2, 3]
    assert f["_source"].iloc[0] == "a.zip:occurrence.txt"
    assert raw.term_hints["catalogNumber"] == "http://rs.tdwg.org/dwc/terms/catalogNumber"
    ext = raw.extensions["http://rs.gbif.org/terms/1.0/Multimedia"]
    assert ext["_coreid"].tolist() == ["urn:1", "urn:1", "urn:9"]
    assert ext["identifier"].iloc[0] == "https://example.org/a,1.jpg"
    assert ext["_row"].tolist() == [1, 2, 3]  # no header line in this extension file


def test_dwca_extracted_folder(tmp_path):
    folder = tmp_path / "dwca"
    folder.mkdir()
    (folder / "meta.xml").write_text(META)
    (folder / "occurrence.txt").write_text(CORE)
    (folder / "multimedia.txt").write_text(MEDIA)
    raw = read_table(folder)
    assert raw.frame["catalogNumber"].tolist() == ["0001", "0002"]


@pytest.mark.parametrize(
    ("files", "match"),
    [
        ({"meta.xml": None}, "no meta.xml"),
        ({"meta.xml": "<archive><core"}, "not well-formed"),
        ({"meta.xml": "<archive/>"}, "no <core>"),
        ({"occurrence.txt": None}, "does not hold it"),
        ({"meta.xml": META.replace('<coreid index="0"/>', "")}, "no <coreid"),
        (
            {
                "meta.xml": META.replace(
                    'index="1" term="http://rs.tdwg.org/dwc/terms/catalogNumber"',
                    'index="x" term="http://rs.tdwg.org/dwc/terms/catalogNumber"',
                )
            },
            "not a whole number",
        ),
    ],
)
def test_broken_archives_give_one_clear_error(tmp_path, files, match):
    path = make_dwca(tmp_path / "broken.zip", files)
    with pytest.raises(InputError, match=match) as err:
        read_table(path)
    assert "broken.zip" in str(err.value)
    assert err.value.fix


def test_truncated_zip(tmp_path):
    good = make_dwca(tmp_path / "a.zip").read_bytes()
    path = write(tmp_path, "cut.zip", good[: len(good) // 2])
    with pytest.raises(InputError, match=r"cut\.zip"):
        read_table(path)


def test_double_encoded_utf8_is_warned(tmp_path):
    text = "catalogNumber,recordedBy\nA1,Dewèvre A.\nA2,Bélanger\n"
    garbled = text.encode("utf-8").decode("cp1252").encode("utf-8")
    raw = read_table(write(tmp_path, "t.csv", garbled))
    assert raw.frame["recordedBy"].iloc[0] == "DewÃ¨vre A."  # kept as given
    assert len(raw.warnings) == 1
    assert "double-encoded" in raw.warnings[0]
    assert "line 2" in raw.warnings[0]


def test_dwca_in_a_subfolder_with_latin1_encoding(tmp_path):
    meta = META.replace('<core encoding="UTF-8"', '<core encoding="ISO-8859-1"')
    path = tmp_path / "nested.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("export/meta.xml", meta)
        zf.writestr("export/occurrence.txt", CORE.replace("0002", "Bélg").encode("latin-1"))
        zf.writestr("export/multimedia.txt", MEDIA)
    raw = read_table(path)
    assert raw.frame["catalogNumber"].tolist() == ["0001", "Bélg"]


def test_unclosed_quote_that_would_swallow_rows_is_refused(tmp_path):
    text = 'catalogNumber,locality,year\nA1,"Kisantu,1935\nA2,x,1936\nA3,y,1937\n'
    with pytest.raises(InputError) as err:
        read_table(write(tmp_path, "t.csv", text.encode()))
    assert err.value.row == 2
    assert err.value.column == "locality"
    assert "A2,x,1936" in str(err.value)
    # a legitimate multi-line value is fine
    ok = 'catalogNumber,locality,year\nA1,"Kisantu\nnear the river, left bank",1935\nA2,x,1936\n'
    assert read_table(write(tmp_path, "ok.csv", ok.encode())).frame["_row"].tolist() == [2, 3]


@pytest.mark.parametrize(
    ("text", "row", "column"),
    [
        # two columns: the rows it swallows have too few delimiters to look like rows
        ('catalogNumber,institutionCode\nA1,BR\nA2,"BR\nA3,BR\nA4,BR\n', 3, "institutionCode"),
        ('catalogNumber,institutionCode\n"A1,BR\n', 2, "catalogNumber"),
        ('catalogNumber\tlocality\nA1\t"Kisantu\nA2\tx\n', 2, "locality"),
    ],
)
def test_a_quote_never_closed_before_the_end_of_the_file_is_refused(tmp_path, text, row, column):
    # it would silently turn every later row into part of one value: A3 and A4 lost
    with pytest.raises(InputError) as err:
        read_table(write(tmp_path, "t.txt", text.encode()))
    assert (err.value.row, err.value.column) == (row, column)
    assert "never closed" in str(err.value)


def test_excel_sep_line(tmp_path):
    text = "sep=;\r\ncatalogNumber;locality\r\nA1;Kisantu, near river\r\n"
    raw = read_table(write(tmp_path, "t.csv", text.encode("utf-8-sig")))
    assert raw.info["delimiter"] == ";"
    assert raw.columns == ["catalogNumber", "locality"]
    assert raw.frame["_row"].tolist() == [3]


def test_excel_sep_line_with_many_columns_and_a_ragged_row(tmp_path):
    text = "sep=,\ncatalogNumber,a,b,c\nA1,1,2,3\nA2,1,2,3,4\n"
    raw = read_table(write(tmp_path, "t.csv", text.encode()))
    assert raw.columns == ["catalogNumber", "a", "b", "c", "_extra_1"]
    assert raw.frame["_row"].tolist() == [3, 4]
    assert raw.extra_fields == {4: 1}
