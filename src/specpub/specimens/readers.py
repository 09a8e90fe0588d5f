"""Read a specimen table into strings, whatever its format.

:func:`read_table` detects the format (CSV/TSV text, Excel ``.xlsx``, Darwin
Core Archive as ``.zip`` or extracted folder), the text encoding (UTF-8 with or
without BOM, UTF-16/32 with BOM, Windows-1252/Latin-1 fallback with a warning),
the delimiter and the quoting, and returns every value as a string: catalogue
numbers like ``0001`` survive. Each row keeps its source row number (1-based,
header = row 1, as a spreadsheet shows it) and its file name.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = path.write_text("catalogNumber;year\\n0001;1935\\n", encoding="utf-8")
>>> raw = read_table(path)
>>> raw.frame[["catalogNumber", "_row"]].values.tolist()
[['0001', 2]]
>>> raw.info["delimiter"]
';'
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from specpub.errors import InputError
from specpub.specimens._readers_dwca import DwcaTable, read_dwca
from specpub.specimens._readers_excel import read_xlsx
from specpub.specimens._readers_text import (
    decode_bytes,
    header_names,
    parse_delimited,
    sniff_binary,
    sniff_delimiter,
)

__all__ = ["RawTable", "read_table"]


@dataclass
class RawTable:
    """A table as read, before mapping: all values are strings.

    Attributes
    ----------
    frame
        One column per source column (named by its header), plus ``_row``
        (source row number) and ``_source`` (file name).
    columns
        The source column names, in source order.
    info
        How the file was read: ``format``, ``file``, ``encoding``, ``delimiter``, ``sheet``.
    warnings
        Things the reader noticed and worked around.
    term_hints
        For Darwin Core Archives: column → term URI from ``meta.xml``.
    extensions
        For Darwin Core Archives: row type → extension table (columns by term
        short name, plus ``_coreid``, ``_row``, ``_source``).
    extra_fields
        Source row → number of fields beyond the header (ragged rows).

    Examples
    --------
    >>> RawTable(pd.DataFrame({"_row": [], "_source": []}), [], {"format": "csv"}).info["format"]
    'csv'
    """

    frame: pd.DataFrame
    columns: list[str]
    info: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    term_hints: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, pd.DataFrame] = field(default_factory=dict)
    extra_fields: dict[int, int] = field(default_factory=dict)


def read_table(
    source: str | Path, *, sheet: str | None = None, encoding: str | None = None
) -> RawTable:
    """Read a CSV/TSV, XLSX or Darwin Core Archive into a :class:`RawTable`.

    Parameters
    ----------
    source
        Path of the table file, or of an extracted Darwin Core Archive folder.
    sheet
        Excel only: the sheet to read (default: the first).
    encoding
        Text only: force an encoding instead of detecting it.

    Returns
    -------
    RawTable

    Raises
    ------
    InputError
        Missing, unreadable, empty or binary file; a broken archive.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.tsv"
    >>> _ = path.write_bytes("catalogNumber\\tcountry\\nA1\\tBelgië\\n".encode("utf-16"))
    >>> raw = read_table(path)
    >>> raw.frame.loc[0, "country"], raw.info["encoding"]
    ('België', 'UTF-16 LE')
    """
    path = Path(source).expanduser()
    file = str(path)
    if not path.exists():
        raise InputError(
            "the file does not exist", file=file, fix="check the path (and the current folder)"
        )
    if path.is_dir():
        if (path / "meta.xml").is_file():
            return _from_dwca(path)
        raise InputError(
            "this is a folder, not a table",
            file=file,
            fix="pass a CSV/TSV/XLSX file, a Darwin Core Archive (.zip), or a folder with meta.xml",
        )
    head = _read_bytes(path, 8)
    suffix = path.suffix.lower()
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _from_zip(path, sheet)
    if suffix in (".xlsx", ".xlsm"):
        raise InputError(
            "this .xlsx file is not a valid Excel workbook (not a zip container)",
            file=file,
            fix="open it in Excel/LibreOffice and save it again as .xlsx, or export CSV",
        )
    if suffix == ".xls":
        raise InputError(
            "old Excel .xls workbooks are not supported",
            file=file,
            fix="save the sheet as .xlsx or CSV (UTF-8)",
        )
    return _from_text(path, encoding)


def _read_bytes(path: Path, size: int = -1) -> bytes:
    """The first ``size`` bytes of ``path`` (all if -1); an InputError if unreadable."""
    try:
        with path.open("rb") as fh:
            return fh.read(size)
    except OSError as err:
        raise InputError(
            f"cannot read the file ({err.strerror or err})",
            file=str(path),
            fix="check that it exists and that you may read it",
        ) from err


def _from_zip(path: Path, sheet: str | None) -> RawTable:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError) as err:
        raise InputError(
            f"cannot open the zip file ({err})",
            file=str(path),
            fix="check the file is complete; download or export it again",
        ) from err
    if any(n == "xl/workbook.xml" for n in names):
        return _from_xlsx(path, sheet)
    if any(n == "meta.xml" or n.endswith("/meta.xml") for n in names) or any(
        n.endswith((".txt", ".csv", ".tsv")) for n in names
    ):
        return _from_dwca(path)
    raise InputError(
        "this zip file is neither a Darwin Core Archive (no meta.xml) nor an Excel workbook",
        file=str(path),
        fix="pass the archive exported by the IPT, an .xlsx file or a CSV",
    )


def _from_text(path: Path, encoding: str | None) -> RawTable:
    file = str(path)
    data = _read_bytes(path)
    if not data.strip():
        raise InputError(
            "the file is empty", file=file, fix="export the table again, with its header row"
        )
    sniff_binary(data[:16], file)
    decoded = decode_bytes(data, file, encoding=encoding)
    if not decoded.text.strip("\ufeff \t\r\n"):
        raise InputError("the file is empty", file=file, fix="export the table again")
    skipped_lines = 0
    hint = re.match(r"\ufeff?sep=(.)\r?\n", decoded.text[:16])
    if hint:  # Excel's "sep=;" first line names the delimiter; the header is on line 2
        delimiter, skipped_lines = hint.group(1), 1
    else:
        delimiter = sniff_delimiter(decoded.text[:65536], path.name)
    utf8 = decoded.utf8(data)
    if utf8.startswith(b"\xef\xbb\xbf"):
        utf8 = utf8[3:]
    warnings = list(decoded.warnings)
    label = decoded.label
    del decoded, data
    if skipped_lines:
        utf8 = utf8[utf8.index(b"\n") + 1 :]
    header, frame, more, extra = parse_delimited(utf8, file, delimiter=delimiter)
    if skipped_lines:
        frame["_row"] += skipped_lines
        extra = {row + skipped_lines: n for row, n in extra.items()}
    del utf8
    warnings += more
    fmt = "tsv" if delimiter == "\t" else "csv"
    raw = _assemble(header, frame, path.name, file, warnings, extra)
    raw.info.update(format=fmt, file=file, encoding=label, delimiter=delimiter)
    return raw


def _from_xlsx(path: Path, sheet: str | None) -> RawTable:
    header, frame, warnings, title = read_xlsx(path, sheet=sheet)
    raw = _assemble(header, frame, f"{path.name}[{title}]", str(path), warnings, {})
    raw.info.update(format="xlsx", file=str(path), sheet=title, encoding=None, delimiter=None)
    return raw


def _assemble(
    header: list[str],
    frame: pd.DataFrame,
    source: str,
    file: str,
    warnings: list[str],
    extra: dict[int, int],
) -> RawTable:
    width = frame.shape[1] - 1  # minus _row
    names, more = header_names(header, max(width, len(header)), file)
    warnings = warnings + more
    data_cols = [c for c in frame.columns if c != "_row"]
    renamed = dict(zip(data_cols, names, strict=False))
    frame = frame.rename(columns=renamed)
    for name in names[len(data_cols) :]:
        frame[name] = ""
    # Columns beyond the header that hold nothing are noise from trailing delimiters.
    for name in [n for n in names if n.startswith("_extra_")]:
        if not frame[name].astype(bool).any():
            frame = frame.drop(columns=name)
    names = [n for n in names if n in frame.columns]
    if extra:
        rows = sorted(extra)
        warnings.append(
            f"{file}: {len(rows)} row(s) have more fields than the header "
            f"(first: row {rows[0]}); the extra values are kept in columns _extra_N"
        )
    frame = frame[[*names, "_row"]]
    frame.insert(len(frame.columns), "_source", source)
    return RawTable(frame, names, {"columns": len(names)}, warnings, extra_fields=extra)


def _from_dwca(path: Path) -> RawTable:
    core, extensions = read_dwca(path)
    frame, hints, columns = _dwca_frame(core, is_core=True)
    warnings = list(core.warnings)
    ext_frames: dict[str, pd.DataFrame] = {}
    for ext in extensions:
        eframe, _, _ = _dwca_frame(ext, is_core=False)
        warnings += ext.warnings
        key = ext.spec.row_type or ext.spec.location
        if key in ext_frames:
            ext_frames[key] = pd.concat([ext_frames[key], eframe], ignore_index=True)
        else:
            ext_frames[key] = eframe
    raw = RawTable(frame, columns, {}, warnings, hints, ext_frames, core.extra)
    raw.info.update(
        format="dwca",
        file=str(path),
        core=core.spec.location,
        row_type=core.spec.row_type,
        encoding=core.spec.encoding,
        delimiter=core.spec.delimiter,
        columns=len(columns),
        extensions={k: len(v) for k, v in ext_frames.items()},
    )
    return raw


def _short(term: str) -> str:
    return term.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1].rsplit(":", 1)[-1] or term


def _dwca_frame(table: DwcaTable, *, is_core: bool) -> tuple[pd.DataFrame, dict[str, str], list]:
    """Name the positional columns of an archive table by their terms."""
    spec, frame = table.spec, table.frame
    out: dict[str, Any] = {}
    hints: dict[str, str] = {}
    n = len(frame)
    id_name = "_id" if is_core else "_coreid"
    used: set[str] = set()

    def column(index: int) -> pd.Series:
        if index in frame.columns:
            return frame[index].reset_index(drop=True)
        return pd.Series([""] * n, dtype=object)

    if spec.id_index is not None:
        out[id_name] = column(spec.id_index)
    for fld in spec.fields:
        name = _short(fld.term)
        if name in used:
            name = f"{name}_{len([u for u in used if u.startswith(name)]) + 1}"
        used.add(name)
        if fld.index is None:
            values = pd.Series([fld.default or ""] * n, dtype=object)
        else:
            values = column(fld.index)
            if fld.default is not None:
                values = values.mask(values.eq(""), fld.default)
        out[name] = values
        hints[name] = fld.term
    mapped = {f.index for f in spec.fields if f.index is not None}
    if spec.id_index is not None:
        mapped.add(spec.id_index)
    for index in [c for c in frame.columns if c != "_row" and c not in mapped]:
        header = table.header[index] if index < len(table.header) else ""
        name = header.strip() or f"column_{index + 1}"
        if name in out:
            name = f"{name}_{index + 1}"
        out[name] = column(index)
    result = pd.DataFrame(out, index=range(n))
    columns = [c for c in result.columns if c != id_name]
    result["_row"] = frame["_row"].to_numpy()
    result["_source"] = table.source
    return result, hints, columns
