"""Delimited text (CSV/TSV): encoding, delimiter and quoting detection, robust parsing."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from specpub.errors import InputError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 LE"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 BE"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8 with BOM"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"),
)

# Magic numbers of files that are certainly not tables.
_MAGIC = (
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip file"),
    (b"GIF8", "a GIF image"),
    (b"\x00\x00\x00\x0cjP  ", "a JPEG 2000 image"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office file (.xls)"),
    (b"7z\xbc\xaf", "a 7-zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"SQLite format 3", "an SQLite database"),
)

_DELIMITERS = (",", ";", "\t", "|")


@dataclass
class DecodedText:
    """A text file's content and how it was decoded."""

    text: str
    encoding: str
    label: str
    warnings: list[str] = field(default_factory=list)

    def utf8(self, original: bytes) -> bytes:
        """The content as UTF-8 bytes without BOM (``original`` reused when possible)."""
        if self.encoding == "utf-8" and not original.startswith(codecs.BOM_UTF8):
            return original
        return self.text.encode("utf-8")


def sniff_binary(head: bytes, file: str) -> None:
    """Raise InputError if ``head`` looks like a known binary format."""
    for magic, what in _MAGIC:
        if head.startswith(magic):
            fix = (
                "open it in Excel/LibreOffice and save it as .xlsx or CSV"
                if "xls" in what
                else "pass the specimen table (CSV, TSV, XLSX or a Darwin Core Archive), "
                "not this file"
            )
            raise InputError(f"this is {what}, not a specimen table", file=file, fix=fix)


def decode_bytes(data: bytes, file: str, *, encoding: str | None = None) -> DecodedText:
    """Decode a text table: BOMs, UTF-8, UTF-16 without BOM, then CP1252/Latin-1 with a warning."""
    if encoding:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as err:
            raise InputError(
                f"cannot decode the file as {encoding} ({err})",
                file=file,
                fix="check the encoding (most exports are UTF-8), or leave it to detection",
            ) from err
        return DecodedText(text.lstrip("\ufeff"), encoding, encoding)
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError as err:
                raise InputError(
                    f"the file starts with a {label} byte-order mark but is not valid {label} "
                    f"(byte {err.start + len(bom)})",
                    file=file,
                    fix="re-export the table as UTF-8 CSV",
                ) from err
            return DecodedText(text, codec, label)
    head = data[:4096]
    if b"\x00" in head:
        # UTF-16 without BOM shows NULs at every other byte for ASCII text.
        even, odd = head[0::2], head[1::2]
        for codec, zeros, label in (
            ("utf-16-le", odd, "UTF-16 LE"),
            ("utf-16-be", even, "UTF-16 BE"),
        ):
            if zeros and zeros.count(0) / len(zeros) > 0.9:
                try:
                    return DecodedText(
                        data.decode(codec),
                        codec,
                        label,
                        [f"{file}: no byte-order mark; read as {label} (guessed from NUL bytes)"],
                    )
                except UnicodeDecodeError:
                    break
        raise InputError(
            "this is a binary file (it contains NUL bytes), not a text table",
            file=file,
            fix="pass the specimen table as CSV/TSV (UTF-8), XLSX or a Darwin Core Archive",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        where = f"first invalid byte 0x{data[err.start]:02x} at line {line}"
    else:
        return DecodedText(text, "utf-8", "UTF-8", _mojibake_warning(text, file))
    for codec, label in (("cp1252", "Windows-1252"), ("latin-1", "Latin-1")):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        return DecodedText(
            text,
            codec,
            label,
            [
                f"{file}: not valid UTF-8 ({where}); read as {label}. "
                "Check accented names, and re-export the table as UTF-8 to be sure."
            ],
        )
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


_MOJIBAKE = re.compile(
    "[\u00c2\u00c3][\u0080-\u00bf\u2018-\u203a\u0152\u0153\u0160\u0161\u017d\u017e\u0178]"
)


def _mojibake_warning(text: str, file: str) -> list[str]:
    """Warn when UTF-8 text looks double-encoded (``BelgiÃ«`` for ``België``)."""
    hits = _MOJIBAKE.findall(text, 0, 2_000_000)
    if len(hits) < 2:
        return []
    line = text.count("\n", 0, _MOJIBAKE.search(text).start()) + 1
    return [
        f"{file}: the text looks double-encoded (e.g. {hits[0]!r} at line {line}, typical of "
        "UTF-8 saved again as Windows-1252); accented names may be garbled. Re-export the "
        "table as UTF-8 from the source system"
    ]


def sniff_delimiter(text: str, file: str) -> str:
    """Choose the delimiter among ``, ; TAB |`` that splits the first lines most consistently."""
    lower = file.lower()
    sample = text[:65536]
    lines = sample.splitlines()[:50]
    if len(text) > len(sample) and len(lines) > 1:
        lines = lines[:-1]  # the last line of the sample may be cut
    best, best_score = ",", (-1.0, 0)
    for delim in _DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delim))
        except csv.Error:
            continue
        counts = [len(r) for r in rows if r]
        if not counts or max(counts) < 2:
            continue
        header = counts[0]
        agree = sum(1 for c in counts if c == header) / len(counts)
        score = (agree, header)
        if score > best_score:
            best, best_score = delim, score
    if best_score[0] < 0 and (lower.endswith((".tsv", ".tab"))):
        return "\t"
    if lower.endswith((".tsv", ".tab")) and best_score[0] <= 0.5:
        return "\t"
    return best


def parse_delimited(
    data: bytes,
    file: str,
    *,
    delimiter: str,
    quotechar: str | None = '"',
    header_lines: int = 1,
    names: list[str] | None = None,
) -> tuple[list[str], pd.DataFrame, list[str], dict[int, int]]:
    """Parse delimited text into all-string columns.

    Returns ``(header, frame, warnings, extra_fields)`` where ``frame`` has
    positional integer columns and a ``_row`` column (1-based source row,
    header = row 1 when there is one), ``extra_fields`` maps a source row to
    how many fields it had beyond the header.
    """
    warnings: list[str] = []
    quoting = csv.QUOTE_MINIMAL if quotechar else csv.QUOTE_NONE
    kwargs = {
        "sep": delimiter,
        "header": None,
        "dtype": str,
        "keep_default_na": False,
        "na_filter": False,
        "skip_blank_lines": False,
        "quoting": quoting,
        "engine": "c",
    }
    if quotechar:
        kwargs["quotechar"] = quotechar
    else:
        kwargs["quotechar"] = "\x00"
    extra: dict[int, int] = {}
    header_width: int | None = None
    open_at_end = None
    try:
        frame = pd.read_csv(io.BytesIO(data), encoding="utf-8", **kwargs)
    except pd.errors.EmptyDataError as err:
        raise InputError(
            "the file is empty", file=file, fix="export the table again, with its header row"
        ) from err
    except (pd.errors.ParserError, ValueError, csv.Error) as err:
        open_at_end = _EOF_IN_QUOTE.search(str(err)) if quotechar else None
        frame, extra, header_width = _parse_with_csv_module(
            data.decode("utf-8"), delimiter, quotechar
        )
    if frame.shape[1] == 0:
        raise InputError("the file is empty", file=file, fix="export the table again")
    frame.columns = range(frame.shape[1])
    frame = frame.fillna("")
    # Blank lines (and lines of bare delimiters) are not specimens.
    blank = frame[0].eq("")
    if blank.any() and frame.shape[1] > 1:
        cand = frame.loc[blank]
        blank[blank] = cand.iloc[:, 1:].eq("").all(axis=1)
    frame.insert(0, "_row", np.arange(1, len(frame) + 1))
    if header_lines:
        if len(frame) < header_lines:
            raise InputError("the file is empty", file=file, fix="export the table again")
        header = [str(v) for v in frame.iloc[header_lines - 1, 1:].tolist()]
        if header_width is not None:
            header = header[:header_width]
        frame = frame.iloc[header_lines:]
        blank = blank.iloc[header_lines:]
    else:
        header = list(names or [])
    if quotechar and frame.shape[1] >= 4:
        _check_runaway_quotes(frame, header, delimiter, quotechar, file)
    if open_at_end:
        _refuse_quote_open_at_end(frame, header, int(open_at_end.group(1)) + 1, quotechar, file)
    # Fully empty lines are not specimens: drop them, but say how many.
    n_blank = int(blank.sum())
    if n_blank:
        rows = frame.loc[blank, "_row"].tolist()
        shown = ", ".join(str(r) for r in rows[:10]) + (" …" if len(rows) > 10 else "")
        warnings.append(f"{file}: skipped {n_blank} empty line(s) (rows {shown})")
        frame = frame[~blank]
    return header, frame.reset_index(drop=True), warnings, extra


_EOF_IN_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


def _refuse_quote_open_at_end(
    frame: pd.DataFrame, header: list[str], row: int, quotechar: str, file: str
) -> None:
    """Refuse a file whose last quoted value is never closed: it runs to the end of the
    file, swallowing every line after it (however many columns the table has)."""
    cells = frame.loc[frame["_row"] == row].drop(columns="_row")
    filled = [c for c in cells.columns if cells[c].iloc[0] != ""] if len(cells) else []
    col = filled[-1] if filled else None  # the open value is the row's last one
    raise InputError(
        f"a value opened with {quotechar} is never closed: it runs to the end of the file, "
        "and every line after it would become part of this one value",
        file=file,
        row=row,
        column=(header[col] if col < len(header) else f"column {col + 1}")
        if col is not None
        else None,
        fix=f"add the missing closing {quotechar} or remove the stray one "
        f"(or double it: {quotechar * 2})",
    )


def _check_runaway_quotes(
    frame: pd.DataFrame, header: list[str], delimiter: str, quotechar: str, file: str
) -> None:
    """Refuse a file where an unclosed quote swallowed whole rows (they would be lost).

    A value that spans several lines is legitimate; one whose later lines look like
    table rows (at least as many delimiters as the table has columns minus one) is not.
    """
    ncols = frame.shape[1] - 1
    need = max(2, ncols - 1)
    for col in range(ncols):
        values = frame[col]
        multi = values.str.contains("\n", regex=False)
        if not multi.any():
            continue
        for pos in np.flatnonzero(multi.to_numpy(dtype=bool)):
            text = values.iloc[pos]
            rows = [ln for ln in text.split("\n")[1:] if ln.count(delimiter) >= need]
            if rows:
                name = header[col] if col < len(header) else f"column {col + 1}"
                raise InputError(
                    f"a value opened with {quotechar} is not closed on its line, so "
                    f"{len(rows)} following line(s) that look like table rows (e.g. "
                    f"{rows[0][:60]!r}) would be swallowed into this one value",
                    file=file,
                    row=int(frame["_row"].iloc[pos]),
                    column=name,
                    fix=f"add the missing closing {quotechar} or remove the stray one "
                    f"(or double it: {quotechar * 2})",
                )


def _parse_with_csv_module(
    text: str, delimiter: str, quotechar: str | None
) -> tuple[pd.DataFrame, dict[int, int], int]:
    """Slow, tolerant path for ragged rows: pad short rows, keep extra fields."""
    if quotechar:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quotechar)
    else:
        reader = csv.reader(
            io.StringIO(text, newline=""), delimiter=delimiter, quoting=csv.QUOTE_NONE
        )
    rows = [row for row in reader]
    width = len(rows[0]) if rows else 0
    extra: dict[int, int] = {}
    for i, row in enumerate(rows):
        if len(row) > width:
            extra[i + 1] = len(row) - width
    maxw = max((len(r) for r in rows), default=0)
    padded = [r + [""] * (maxw - len(r)) for r in rows]
    return pd.DataFrame(padded, dtype=object), extra, width


def header_names(header: list[str], width: int, file: str) -> tuple[list[str], list[str]]:
    """Clean, de-duplicated column names; blank ones become ``column_N``."""
    warnings: list[str] = []
    names: list[str] = []
    seen: Counter[str] = Counter()
    for i in range(width):
        raw = header[i] if i < len(header) else ""
        name = re.sub(r"\s+", " ", raw.replace("\ufeff", "")).strip()
        if not name:
            name = f"column_{i + 1}" if i < len(header) else f"_extra_{i + 1 - len(header)}"
            if i < len(header):
                warnings.append(f"{file}: column {i + 1} has no header; named it {name!r}")
        seen[name] += 1
        if seen[name] > 1:
            new = f"{name}_{seen[name]}"
            warnings.append(
                f"{file}: column {i + 1} repeats the header {name!r}; kept it as {new!r}"
            )
            name = new
        names.append(name)
    return names, warnings
