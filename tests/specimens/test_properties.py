"""Property-based tests: random messy tables never crash, never lose or invent rows."""

from __future__ import annotations

import codecs
import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specpub.specimens import load_specimens
from specpub.specimens.values import parse_event_date

ENCODINGS = {
    "utf-8": b"",
    "utf-8-sig": b"",
    "utf-16-le": codecs.BOM_UTF16_LE,
    "utf-16-be": codecs.BOM_UTF16_BE,
    "cp1252": b"",
}
# Text that survives every encoding above, with the characters that break parsers.
messy_text = st.lists(
    st.sampled_from([*list("aZ09 ,;|\t\"'\n.-_/éøß°’"), "  ", "\r\n", "NA", "0001"]),
    max_size=8,
).map("".join)
value = st.one_of(
    messy_text,
    st.sampled_from(
        [
            "1935-7-2",
            "1935",
            "2030-01-01",
            "x/y",
            "0",
            "-91.5",
            "PRESERVED_SPECIMEN",
            "Congo, Democratic Republic of the",
            "und",
            "http://a.b/c d",
            "?",
            "",
        ]
    ),
)
HEADER = [
    "catalogNumber",
    "eventDate",
    "decimalLatitude",
    "decimalLongitude",
    "country",
    "countryCode",
    "basisOfRecord",
    "language",
    "typeStatus",
    "notes",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.lists(value, min_size=len(HEADER), max_size=len(HEADER)), min_size=1, max_size=12
    ),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(sorted(ENCODINGS)),
)
def test_random_messy_tables_keep_every_row(rows, delimiter, encoding):
    # the catalogue number carries the row identity, so rows can be traced
    for i, row in enumerate(rows):
        row[0] = f"C{i:03d}"
        if encoding == "cp1252":
            # keep only bytes that can never form valid UTF-8 (lead bytes without
            # continuation bytes), so detection is unambiguous; see test_readers for cp1252
            row[:] = [v.replace("°", "o").replace("’", "'") for v in row]
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(
        [HEADER, *rows]
    )
    data = ENCODINGS[encoding] + buf.getvalue().encode(encoding)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        path.write_bytes(data)
        sp = load_specimens(path, progress=None)
    frame = sp.frame
    assert frame["catalogNumber"].tolist() == [r[0] for r in rows]
    # every source row is accounted for, with its spreadsheet row number
    expected_rows, line = [], 2
    for _ in rows:
        expected_rows.append(line)
        line += 1
    assert frame["_row"].tolist() == expected_rows
    assert frame["notes"].tolist() == [r[9] for r in rows]
    assert frame["eventDate_verbatim"].tolist() == [r[1] for r in rows]
    assert set(sp.flags["row"]) <= set(frame["_row"])
    assert sp.info["delimiter"] == delimiter


@settings(max_examples=40, deadline=None)
@given(
    lines=st.lists(
        st.text(alphabet=st.sampled_from(list('ab1,;"\n\t é')), max_size=20), min_size=1, max_size=8
    )
)
def test_arbitrary_text_is_a_table_or_one_input_error(lines):
    from specpub.errors import InputError

    text = "catalogNumber,x\n" + "\n".join(lines)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        path.write_text(text, encoding="utf-8")
        try:
            sp = load_specimens(path, progress=None)
        except InputError as err:  # e.g. the sniffer picked another delimiter
            assert "t.csv" in str(err)  # noqa: PT017
        else:
            assert (sp.frame["_row"] >= 2).all()
            assert sp.frame["_row"].is_unique


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_date_parser_never_crashes(text):
    v = parse_event_date(text)
    assert v.kind in {"empty", "exact", "partial", "interval", "ambiguous", "unparsable"}
    if v.kind == "exact":
        assert len(v.iso) == 10


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(["t.csv", "t.tsv", "t.txt", "t.xlsx", "t.zip"]))
def test_random_bytes_load_or_raise_one_input_error(data, name):
    from specpub.errors import InputError

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(b"catalogNumber,x\n" + data if name.endswith("v") else data)
        try:
            sp = load_specimens(path, progress=None)
        except InputError as err:
            assert name in str(err)  # noqa: PT017
        else:
            assert sp.frame["_row"].is_unique
            assert set(sp.flags["row"]) <= set(sp.frame["_row"])


@settings(max_examples=40, deadline=None)
@given(
    numbers=st.lists(
        st.lists(st.sampled_from(list("AB01 .-")), min_size=1, max_size=6).map("".join),
        min_size=1,
        max_size=8,
    ),
    files=st.lists(
        st.tuples(
            st.integers(0, 7),
            st.sampled_from(["", "_lab", "-2", "0", "x", "_all", ".5"]),
            st.sampled_from([".jpg", ".TIF", ".png"]),
        ),
        max_size=12,
    ),
)
def test_linking_invariants(numbers, files):
    import re

    import pandas as pd

    from specpub.specimens import Specimens, link_media

    frame = pd.DataFrame(
        {"catalogNumber": numbers, "_row": range(2, len(numbers) + 2), "_source": "t.csv"}
    )
    sp = Specimens(frame, mapping=pd.DataFrame(), flags=pd.DataFrame())
    with tempfile.TemporaryDirectory() as tmp:
        names = set()
        for idx, suffix, ext in files:
            stem = numbers[idx % len(numbers)].strip().replace("/", "") + suffix
            name = stem + ext
            if not stem or name.startswith(".") or name in names:
                continue
            names.add(name)
            (Path(tmp) / name).write_bytes(b"")
        links = link_media(sp, [tmp], progress=None)
    # every file is in exactly one of: links, unlinked, ambiguous
    seen = (
        list(links.links["name"])
        + list(links.unlinked_files["name"])
        + list(links.ambiguous["name"])
    )
    assert sorted(seen) == sorted(names)

    def norm(text):
        return re.sub(r"[\s.]+", "", text.lower())

    for name, number in zip(links.links["name"], links.links["catalogNumber"], strict=True):
        stem, key = norm(name.rsplit(".", 1)[0]), norm(number)
        assert stem.startswith(key)
        assert len(stem) == len(key) or stem[len(key)] in "_-+(#~,["
    # specimens with files and without files partition the table
    assert links.links["_row"].nunique() + len(links.unlinked_specimens) == len(numbers)
