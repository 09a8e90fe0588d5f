"""Small HTML views the panels and notebooks share: tables, DOI links, bars, thumbnails.

Everything built from user data is escaped (specimen tables come from
collection databases; a label can hold ``<script>``).

Examples
--------
>>> import pandas as pd
>>> "&lt;script&gt;" in frame_html(pd.DataFrame({"locality": ["<script>x</script>"]}))
True
>>> doi_link("10.5072/zenodo.12")
'<a href="https://doi.org/10.5072/zenodo.12" target="_blank" rel="noopener">10.5072/zenodo.12</a>'
>>> bar_chart({"published": 3, "failed": 1}).count("<rect")
2
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["STATE_COLOURS", "bar_chart", "doi_link", "frame_html", "thumbnail_html"]

#: Colours of the ledger states in every panel.
STATE_COLOURS = {
    "planned": "#9e9e9e",
    "creating": "#90caf9",
    "created": "#64b5f6",
    "uploading": "#42a5f5",
    "uploaded": "#1e88e5",
    "publishing": "#1565c0",
    "published": "#2e7d32",
    "failed": "#c62828",
    "ambiguous": "#ef6c00",
}
_TABLE_CSS = (
    "<style>.specpub-table{border-collapse:collapse;font-size:12px}"
    ".specpub-table th,.specpub-table td{border-bottom:1px solid #ddd;padding:2px 8px;"
    "text-align:left;vertical-align:top}.specpub-table th{background:#f5f5f5}</style>"
)


def doi_link(doi: Any) -> str:
    """An escaped link to ``https://doi.org/DOI`` (``''`` for an empty DOI)."""
    if doi is None or (isinstance(doi, float) and pd.isna(doi)) or not str(doi).strip():
        return ""
    text = html.escape(str(doi).strip())
    return f'<a href="https://doi.org/{text}" target="_blank" rel="noopener">{text}</a>'


def frame_html(
    frame: pd.DataFrame,
    *,
    max_rows: int = 50,
    links: Mapping[str, str] | None = None,
    caption: str | None = None,
) -> str:
    """An escaped HTML table of ``frame`` (first ``max_rows`` rows).

    Parameters
    ----------
    links
        ``{column: "doi" | "url"}``: render that column as links (escaped).
    caption
        A line above the table (escaped).
    """
    links = dict(links or {})
    shown = frame.head(max_rows)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    rows = []
    for values in shown.itertuples(index=False):
        cells = []
        for col, value in zip(shown.columns, values, strict=True):
            kind = links.get(str(col))
            if kind == "doi":
                cells.append(f"<td>{doi_link(value)}</td>")
            elif (
                kind == "url"
                and isinstance(value, str)
                and value.startswith(("http://", "https://"))
            ):
                url = html.escape(value)
                cells.append(f'<td><a href="{url}" target="_blank" rel="noopener">{url}</a></td>')
            else:
                text = (
                    "" if value is None or (isinstance(value, float) and pd.isna(value)) else value
                )
                cells.append(f"<td>{html.escape(str(text))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = len(frame) - len(shown)
    tail = (
        f"<div style='color:#666;font-size:12px'>… and {more} more rows</div>" if more > 0 else ""
    )
    cap = f"<div><b>{html.escape(caption)}</b></div>" if caption else ""
    return (
        f"{_TABLE_CSS}{cap}<table class='specpub-table'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>{tail}"
    )


def bar_chart(
    counts: Mapping[str, int | float],
    *,
    colours: Mapping[str, str] | None = None,
    width: int = 420,
    bar_height: int = 18,
    title: str | None = None,
) -> str:
    """A horizontal bar chart (SVG) of ``counts``, one bar per key, escaped labels.

    Examples
    --------
    >>> "no data" in bar_chart({})
    True
    """
    colours = dict(colours or STATE_COLOURS)
    items = [(str(k), float(v)) for k, v in counts.items()]
    head = f"<div><b>{html.escape(title)}</b></div>" if title else ""
    if not items:
        return f"{head}<div style='color:#666'>no data</div>"
    label_w, value_w = 140, 60
    top = max(v for _, v in items) or 1.0
    height = bar_height * len(items) + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">'
    ]
    for i, (label, value) in enumerate(items):
        y = i * bar_height + 2
        length = (width - label_w - value_w) * value / top
        colour = colours.get(label, "#5c6bc0")
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar_height * 0.7:.1f}" text-anchor="end">'
            f"{html.escape(label)}</text>"
            f'<rect x="{label_w}" y="{y}" width="{max(length, 1):.1f}" '
            f'height="{bar_height - 4}" fill="{html.escape(colour)}"/>'
            f'<text x="{label_w + length + 4:.1f}" y="{y + bar_height * 0.7:.1f}">'
            f"{value:g}</text>"
        )
    parts.append("</svg>")
    return head + "".join(parts)


def _thumbnail_bytes(path: Path, size: int) -> bytes | None:
    try:
        from PIL import Image

        with Image.open(path) as img:
            img.thumbnail((size, size))
            if img.mode not in ("RGB", "L"):
                img = img.convert("RGB")
            buf = io.BytesIO()
            img.save(buf, format="JPEG", quality=80)
            return buf.getvalue()
    except Exception:  # a corrupt image is shown as such, never a crash
        return None


def thumbnail_html(
    paths: Iterable[Path | str], *, size: int = 120, captions: Iterable[str] = ()
) -> str:
    """A grid of small JPEG thumbnails (inline, base64); unreadable files say so.

    Examples
    --------
    >>> "cannot be read" in thumbnail_html(["/no/such.tif"])
    True
    """
    caps = list(captions)
    tiles = []
    for i, raw in enumerate(paths):
        path = Path(raw)
        caption = html.escape(caps[i] if i < len(caps) else path.name)
        data = _thumbnail_bytes(path, size)
        if data is None:
            body = (
                f"<div style='width:{size}px;height:{size}px;display:flex;align-items:center;"
                f"justify-content:center;background:#fdecea;color:#b00020;font-size:11px'>"
                f"cannot be read</div>"
            )
        else:
            b64 = base64.b64encode(data).decode("ascii")
            body = (
                f"<img src='data:image/jpeg;base64,{b64}' style='max-width:{size}px' "
                f"alt='{caption}'/>"
            )
        tiles.append(
            f"<figure style='margin:4px;display:inline-block;text-align:center;font-size:11px'>"
            f"{body}<figcaption>{caption}</figcaption></figure>"
        )
    return f"<div class='specpub-thumbnails'>{''.join(tiles)}</div>"
