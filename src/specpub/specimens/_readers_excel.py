"""Excel ``.xlsx`` sheets, read with openpyxl, every cell as a string."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pandas as pd

from specpub.errors import InputError


def cell_text(value: object) -> str:
    """Render one cell as the text a user sees (no float noise, ISO dates).

    >>> cell_text(12.0), cell_text(1.5), cell_text(None), cell_text(dt.datetime(1935, 7, 2))
    ('12', '1.5', '', '1935-07-02')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def read_xlsx(path: Path, *, sheet: str | None) -> tuple[list[str], pd.DataFrame, list[str], str]:
    """Read the first (or named) sheet: ``(header, frame, warnings, sheet name)``.

    ``frame`` has positional columns and ``_row`` = the Excel row number.
    """
    import openpyxl

    file = str(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        raise InputError(
            f"cannot open the Excel workbook ({err})",
            file=file,
            fix="open it in Excel/LibreOffice and save it again as .xlsx, or export CSV",
        ) from err
    try:
        if sheet is None:
            ws = book.worksheets[0]
        else:
            if sheet not in book.sheetnames:
                raise InputError(
                    f"the workbook has no sheet {sheet!r}",
                    file=file,
                    fix="use one of: " + ", ".join(repr(n) for n in book.sheetnames),
                )
            ws = book[sheet]
        header: list[str] | None = None
        header_row = 0
        rows: list[list[str]] = []
        numbers: list[int] = []
        for excel_row, values in enumerate(ws.iter_rows(values_only=True), start=1):
            texts = [cell_text(v) for v in values]
            if header is None:
                if any(t.strip() for t in texts):
                    header, header_row = texts, excel_row
                continue
            if not any(t.strip() for t in texts):
                continue
            rows.append(texts)
            numbers.append(excel_row)
        title = ws.title
    finally:
        book.close()
    if header is None:
        raise InputError(
            f"sheet {title!r} is empty", file=file, fix="choose the sheet with --sheet/sheet="
        )
    warnings: list[str] = []
    if header_row > 1:
        warnings.append(f"{file}: header found on row {header_row} of sheet {title!r}")
    width = max([len(header), *(len(r) for r in rows)])
    while (
        width > 0
        and not header[width - 1 : width]
        and all(len(r) < width or not r[width - 1] for r in rows)
    ):
        width -= 1  # pragma: no cover - openpyxl already trims
    padded = [r + [""] * (width - len(r)) for r in rows]
    frame = pd.DataFrame(padded, columns=range(width), dtype=object)
    frame.insert(0, "_row", numbers)
    return header, frame, warnings, title
