"""Previews: each record as a page close to its Zenodo landing page, and a paged gallery.

A record page shows what the repository will show — title, creators,
description (cleaned exactly as Zenodo cleans it), keywords, identifiers,
licence, dates, places, funding, the Darwin Core custom fields as a table,
thumbnails of the images (TIFF masters included, cached in the workspace) —
plus what only the publisher needs to see: the values left to the JSON-LD
sidecar, the corrections with their originals, every check's finding, the
payload as it will be sent and, for an edit or a new version, a diff against
the published metadata. The gallery lists a whole batch, a page of cards at a
time, for skimming.

Every value from the table is escaped; the description is sanitised with
Zenodo's allow-list; links are ``http(s)`` only; the pages carry a Content
Security Policy that allows no script at all. Pages are self-contained
static files (thumbnails are copied next to them).

Examples
--------
>>> import tempfile, pathlib
>>> from specpub.records.mapping import build_one
>>> from specpub.records.result import BuiltRecord, Records
>>> rec, _ = build_one({"catalogNumber": "A1", "institutionCode": "X",
...                     "scientificName": "<script>alert(1)</script>"})
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> result = preview(Records([BuiltRecord.from_record(rec)]), out)
>>> result.pages, len(result.record_pages)
(1, 1)
>>> "<script>" in result.record_pages[0].read_text()
False
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from specpub._display import FrameResult
from specpub.records import vocabularies as vocab
from specpub.records.diff import diff_payloads
from specpub.records.identifiers import is_url
from specpub.records.result import BuiltRecord, Records
from specpub.records.sanitize import sanitize_html
from specpub.records.thumbnails import DEFAULT_SIZE, Thumbnail, thumbnails

__all__ = ["PreviewResult", "gallery_html", "preview", "record_html"]

_CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'"
)
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;
background:#f5f6f8}main{max-width:1100px;margin:0 auto;padding:1.2em}
header.bar{background:#1f4e79;color:#fff;padding:.6em 1.2em}header.bar a{color:#fff}
.badge{display:inline-block;padding:.1em .5em;border-radius:.3em;font-size:.8em;margin-right:.4em;
background:#e1e4e8}.ready{background:#d4edda}.warned{background:#fff3cd}.blocked{background:#f8d7da}
.open{background:#d4edda}.cols{display:flex;gap:1.5em;flex-wrap:wrap}.main{flex:3;min-width:320px}
.side{flex:1;min-width:240px}.box{background:#fff;border:1px solid #dde;border-radius:.4em;
padding:.8em 1em;margin-bottom:1em}h1{font-size:1.5em;margin:.3em 0}h2{font-size:1.05em;
margin:.2em 0 .6em}table{border-collapse:collapse;width:100%;font-size:.9em}td,th{border-bottom:
1px solid #eee;padding:.25em .4em;text-align:left;vertical-align:top}td+td{overflow-wrap:anywhere}
.kw{display:inline-block;background:#eef;border-radius:1em;padding:.1em .6em;margin:.15em}
.creators{font-size:1.05em}
.thumbs{display:flex;gap:.6em;flex-wrap:wrap}.thumbs figure{margin:0;text-align:center;
font-size:.8em}.thumbs img{max-height:256px;border:1px solid #ccc;background:#fff}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:.8em}
.card{background:#fff;border:1px solid #dde;border-radius:.4em;padding:.5em;font-size:.85em}
.card img{width:100%;height:210px;object-fit:contain;background:#fafafa}.card .t{font-weight:600}
.nav a,.nav span{margin-right:.5em}.error{color:#a00}.warning{color:#8a6d00}.info{color:#555}
pre{white-space:pre-wrap;font-size:.8em;background:#f6f8fa;padding:.6em;max-height:40em;
overflow:auto}del{background:#fdd}ins{background:#dfd;text-decoration:none}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _link(url: str, text: str | None = None) -> str:
    if is_url(url) and url.lower().startswith(("http://", "https://")):
        return f'<a href="{_e(url)}" rel="noopener noreferrer">{_e(text or url)}</a>'
    return _e(text or url)


def _scoped_css(scope: str) -> str:
    """The page's style with every selector under ``scope`` (for embedding in a notebook)."""
    rules = []
    for rule in _CSS.replace("\n", "").split("}"):
        if "{" not in rule:
            continue
        selectors, body = rule.split("{", 1)
        scoped = ",".join(
            scope if s.strip() in ("body", "main") else f"{scope} {s.strip()}"
            for s in selectors.split(",")
        )
        rules.append(f"{scoped}{{{body}}}")
    return "".join(rules)


def _page(title: str, body: str, *, back: str | None = None) -> str:
    nav = f' · <a href="{_e(back)}">gallery</a>' if back else ""
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{_CSP}\">"
        "<meta name='referrer' content='no-referrer'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f"<header class='bar'>specpub preview — as it will be deposited{nav}</header>"
        f"<main>{body}</main></body></html>\n"
    )


def slug(built: BuiltRecord) -> str:
    """A file name for a record's page: safe, readable and unique per marker.

    Examples
    --------
    >>> from specpub.repository.protocol import Marker
    >>> slug(BuiltRecord(Marker("B 10 0250963", "B"), 2, {}, {}))
    'B_10_0250963-17aac4.html'
    """
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", built.marker.catalog_number).strip("._") or "record"
    digest = hashlib.sha1(built.marker.key.encode("utf-8"), usedforsecurity=False).hexdigest()
    return f"{base[:80]}-{digest[:6]}.html"


def _creator(entry: Mapping[str, Any]) -> str:
    po = entry.get("person_or_org") or {}
    if po.get("type") == "personal":
        name = ", ".join(x for x in (po.get("family_name"), po.get("given_name")) if x)
    else:
        name = po.get("name", "")
    ids = []
    for ident in po.get("identifiers") or []:
        scheme, value = ident.get("scheme"), ident.get("identifier", "")
        if scheme == "orcid":
            ids.append(_link(f"https://orcid.org/{value}", "ORCID"))
        elif scheme == "ror":
            ids.append(_link(f"https://ror.org/{value}", "ROR"))
    affs = "; ".join(_e(a.get("name")) for a in entry.get("affiliations") or [])
    role = (entry.get("role") or {}).get("id")
    return (
        f"<span>{_e(name)}</span>"
        + (f" <small>({affs})</small>" if affs else "")
        + (f" <small>[{_e(role)}]</small>" if role else "")
        + (" " + " ".join(ids) if ids else "")
    )


def _table(rows: Sequence[tuple[str, str]], head: tuple[str, str] | None = None) -> str:
    if not rows:
        return ""
    thead = f"<tr><th>{_e(head[0])}</th><th>{_e(head[1])}</th></tr>" if head else ""
    body = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
    return f"<table>{thead}{body}</table>"


def _box(title: str, inner: str) -> str:
    return f"<section class='box'><h2>{_e(title)}</h2>{inner}</section>" if inner else ""


def _value(v: Any) -> str:
    if isinstance(v, str):
        return _link(v) if is_url(v) else _e(v)
    return _e(json.dumps(v, ensure_ascii=False))


def record_html(
    built: BuiltRecord,
    *,
    thumbs: Mapping[str, Thumbnail] | None = None,
    thumb_url: Any = None,
    sidecar_values: Mapping[str, str] | None = None,
    previous: Mapping[str, Any] | None = None,
    api: str = "native",
    back: str | None = None,
    fragment: bool = False,
) -> str:
    """The HTML page of one record (see the module docstring).

    Parameters
    ----------
    built
        The record.
    thumbs
        MD5 → :class:`~specpub.records.thumbnails.Thumbnail` of its images.
    thumb_url
        ``thumb_url(thumbnail) -> str``: the ``src`` of a thumbnail in the page.
    sidecar_values
        The row's values as the sidecar holds them (the table shows those that
        are in no custom field).
    previous
        The published payload (same API) of an edit or new version: a diff is shown.
    api
        The payload shown in full (``legacy`` or ``native``).
    back
        Link to the gallery.
    fragment
        Return a ``<div>`` with its own scoped style instead of a whole page (for a
        notebook output or a widget).

    Examples
    --------
    >>> from specpub.records.mapping import build_one
    >>> rec, _ = build_one({"catalogNumber": "A1", "institutionCode": "X",
    ...                     "family": "Fagaceae"})
    >>> page = record_html(BuiltRecord.from_record(rec))
    >>> "Fagaceae" in page and "Content-Security-Policy" in page
    True
    """
    built = built.unpacked()  # decoded once, read many times below
    md = built.native.get("metadata", {})
    custom = built.native.get("custom_fields", {})
    status = built.status()
    header = (
        f"<span class='badge {status}'>{_e(status)}</span>"
        f"<span class='badge'>{_e(md.get('publication_date', ''))}</span>"
        f"<span class='badge'>{_e((md.get('resource_type') or {}).get('id', ''))}</span>"
        f"<span class='badge open'>{_e(built.native.get('access', {}).get('files', ''))}</span>"
    )
    creators = "; ".join(_creator(c) for c in md.get("creators") or [])
    contributors = "; ".join(_creator(c) for c in md.get("contributors") or [])
    description, _ = sanitize_html(md.get("description") or "")
    main = (
        f"<div>{header}</div><h1>{_e(md.get('title', ''))}</h1>"
        f"<div class='creators'>{creators}</div>"
        + (f"<div><small>Contributors: {contributors}</small></div>" if contributors else "")
        + f"<section class='box'>{description}</section>"
    )
    # Files and thumbnails.
    figures, rows = [], []
    for f in built.files:
        thumb = (thumbs or {}).get(f.spec.md5)
        if thumb is not None and thumb.path is not None and thumb_url is not None:
            figures.append(
                f"<figure><img src='{_e(thumb_url(thumb))}' alt='{_e(f.spec.key)}' loading='lazy'>"
                f"<figcaption>{_e(f.spec.key)}</figcaption></figure>"
            )
        pixels = f.fact("pixels")
        rows.append(
            (
                _e(f.spec.key),
                f"{_e(f.fact('size'))} · {_e(f.role)}{' · ' + _e(pixels) if pixels else ''} · "
                f"<code>md5:{_e(f.spec.md5)}</code>"
                + (
                    f" <small class='warning'>({_e(thumb.error)})</small>"
                    if thumb and thumb.error and thumb.error != "not an image"
                    else ""
                ),
            )
        )
    if built.sidecar is not None:
        rows.append(
            (
                _e(built.sidecar.key),
                f"JSON-LD sidecar · {built.sidecar.size} bytes · "
                f"<code>md5:{_e(built.sidecar.md5)}</code>",
            )
        )
    main += _box(
        "Files", (f"<div class='thumbs'>{''.join(figures)}</div>" if figures else "") + _table(rows)
    )
    # Darwin Core / Audubon Core custom fields, as Zenodo lists them.
    dwc = [(_e(k), "; ".join(_value(v) for v in vals)) for k, vals in sorted(custom.items())]
    main += _box("Darwin Core and Audubon Core (custom fields)", _table(dwc, ("term", "value")))
    # Values only the sidecar carries.
    if sidecar_values:
        held = {k.split(":", 1)[-1] for k in custom}
        rest = [(_e(k), _value(v)) for k, v in sidecar_values.items() if k not in held]
        main += _box(
            "The row's other columns (in the JSON-LD sidecar; no custom field holds them)",
            _table(rest, ("column", "value as in the table")),
        )
    if built.corrections:
        crow = [
            (
                _e(c.term),
                f"<del>{_e(c.original)}</del> → "
                + (
                    f"<ins>{_e(c.published)}</ins>"
                    if c.published is not None
                    else "<i>not published</i>"
                )
                + f" <small>({_e(c.reason)})</small>",
            )
            for c in built.corrections
        ]
        main += _box(
            "Corrections (originals in the sidecar)", _table(crow, ("term", "table → record"))
        )
    findings = [
        (
            f"<span class='{_e(f.severity)}'>{_e(f.severity)}</span> {_e(f.code)}"
            + (f" <small>[{_e(f.api)}]</small>" if f.api else ""),
            f"<code>{_e(f.field)}</code>: {_e(f.message)}"
            + (f"<br><small>Fix: {_e(f.fix)}</small>" if f.fix else ""),
        )
        for f in sorted(
            built.findings, key=lambda f: ("error", "warning", "info").index(f.severity)
        )
    ]
    main += _box("Checks before upload", _table(findings) or "<p>No findings.</p>")
    if previous is not None:
        changes = diff_payloads(previous, built.payload(api))
        drows = [
            (
                _e(c.path),
                f"<small>{_e(c.kind)}</small> "
                + (f"<del>{_value(c.old)}</del> " if c.old is not None else "")
                + (f"→ <ins>{_value(c.new)}</ins>" if c.new is not None else ""),
            )
            for c in changes
        ]
        main += _box(
            "Changes against the published record",
            _table(drows, ("field", "published → new")) or "<p>No metadata change.</p>",
        )
    main += _box(
        f"Payload ({api} API), exactly as it will be sent",
        "<details><summary>show</summary><pre>"
        + _e(json.dumps(built.payload(api), indent=1, ensure_ascii=False))
        + "</pre></details>",
    )
    # Sidebar: details as Zenodo shows them.
    side: list[tuple[str, str]] = [("Catalogue number", _e(built.catalog_number))]
    if built.row is not None:
        side.append(("Table row", _e(built.row)))
    side.append(("DOI", "<i>minted at publication</i>"))
    if md.get("publisher"):
        side.append(("Publisher", _e(md["publisher"])))
    for r in md.get("rights") or []:
        lid = r.get("id", "")
        side.append(
            (
                "Licence",
                _link(f"https://spdx.org/licenses/{lid.upper()}.html", vocab.license_title(lid)),
            )
        )
    langs = [lang.get("id", "") for lang in md.get("languages") or []]
    if langs:
        side.append(("Languages", _e(", ".join(langs))))
    for d in md.get("dates") or []:
        side.append((_e(str((d.get("type") or {}).get("id", "")).title()), _e(d.get("date"))))
    for i in md.get("identifiers") or []:
        side.append(("Alternate identifier", _link(i.get("identifier", ""))))
    for r in md.get("related_identifiers") or []:
        side.append(
            (_e((r.get("relation_type") or {}).get("id", "")), _link(r.get("identifier", "")))
        )
    for feat in (md.get("locations") or {}).get("features", []):
        coords = (feat.get("geometry") or {}).get("coordinates") or []
        where = f" ({coords[1]}, {coords[0]})" if len(coords) == 2 else ""
        side.append(("Location", _e(feat.get("place", "")) + _e(where)))
    for f in md.get("funding") or []:
        side.append(("Funding", _e(f.get("award", {}).get("id", ""))))
    for slug_ in built.communities:
        side.append(("Community", _e(slug_)))
    keywords = "".join(
        f"<span class='kw'>{_e(s.get('subject'))}</span>" for s in md.get("subjects") or []
    )
    sidebar = _box("Details", _table(side)) + _box("Keywords", keywords)
    body = (
        f"<div class='cols'><div class='main'>{main}</div><div class='side'>{sidebar}</div></div>"
    )
    if fragment:
        style = _scoped_css(".specpub-preview")
        return f"<div class='specpub-preview'><style>{style}</style>{body}</div>"
    return _page(str(md.get("title") or built.catalog_number), body, back=back)


def gallery_html(
    items: Sequence[tuple[BuiltRecord, str, str | None]],
    *,
    page: int,
    pages: int,
    page_name: Any,
    summary: Mapping[str, Any] | None = None,
) -> str:
    """One gallery page: cards of ``(record, page link, thumbnail src or None)``.

    Examples
    --------
    >>> gallery_html([], page=1, pages=1, page_name=lambda p: f"page-{p}.html").count("'card'")
    0
    """
    cards = []
    for built, href, src in items:
        status = built.status()
        img = (
            f"<img src='{_e(src)}' alt='' loading='lazy'>"
            if src
            else "<div style='height:210px'></div>"
        )
        cards.append(
            f"<div class='card'><a href='{_e(href)}'>{img}</a>"
            f"<div><span class='badge {status}'>{_e(status)}</span>{_e(built.catalog_number)}</div>"
            f"<div class='t'><a href='{_e(href)}'>{_e(built.title)}</a></div></div>"
        )
    nav = []
    for p in range(1, pages + 1):
        nav.append(f"<span>{p}</span>" if p == page else f"<a href='{_e(page_name(p))}'>{p}</a>")
    head = ""
    if summary:
        head = "<p>" + " · ".join(f"{_e(k)}: <b>{_e(v)}</b>" for k, v in summary.items()) + "</p>"
    body = (
        f"<h1>Records — page {page} of {pages}</h1>{head}"
        f"<div class='nav'>{''.join(nav)}</div><div class='grid'>{''.join(cards)}</div>"
        f"<div class='nav'>{''.join(nav)}</div>"
    )
    return _page(f"specpub records, page {page}", body)


@dataclass
class PreviewResult(FrameResult):
    """What :func:`preview` wrote.

    Attributes
    ----------
    index
        The gallery's first page (open it in a browser).
    gallery_pages
        Every gallery page.
    record_pages
        Every record page.
    thumbnails_made, thumbnails_cached
        Thumbnails rendered now and taken from the cache.
    missing_thumbnails
        File key → why no thumbnail could be made.
    """

    index: Path
    gallery_pages: list[Path] = field(default_factory=list)
    record_pages: list[Path] = field(default_factory=list)
    thumbnails_made: int = 0
    thumbnails_cached: int = 0
    missing_thumbnails: dict[str, str] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        """The number of gallery pages."""
        return len(self.gallery_pages)

    def summary(self) -> dict[str, Any]:
        """Counts for display."""
        return {
            "index": str(self.index),
            "gallery_pages": self.pages,
            "record_pages": len(self.record_pages),
            "thumbnails_made": self.thumbnails_made,
            "thumbnails_cached": self.thumbnails_cached,
            "missing_thumbnails": len(self.missing_thumbnails),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per page written: ``kind`` (gallery, record) and ``path``."""
        rows = [("gallery", str(p)) for p in self.gallery_pages]
        rows += [("record", str(p)) for p in self.record_pages]
        return pd.DataFrame(rows, columns=["kind", "path"])

    def _repr_html_(self) -> str:
        link = f"<p><a href='{_e(self.index.as_uri())}'>{_e(self.index)}</a></p>"
        return link + super()._repr_html_()


def _place(src: Path, dst: Path) -> None:
    if dst.exists():
        return
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def preview(
    records: Records | Sequence[BuiltRecord],
    out: str | Path,
    *,
    workspace: Any = None,
    record: str | Sequence[str] | None = None,
    page_size: int = 60,
    api: str = "native",
    previous: Mapping[str, Mapping[str, Any]] | None = None,
    thumbnail_size: int = DEFAULT_SIZE,
    progress: Any = None,
) -> PreviewResult:
    """Write the record pages and the gallery into ``out``.

    Parameters
    ----------
    records
        The records (:class:`Records`, or a list of :class:`BuiltRecord`).
    out
        The output folder (created); ``index.html`` is the gallery's first page.
    workspace
        Thumbnails are cached in its ``records/thumbnails`` (else in ``out``).
    record
        Only these catalogue numbers (pages and gallery).
    page_size
        Cards per gallery page.
    api
        Which payload the pages show in full (``native`` or ``legacy``).
    previous
        Marker key → the published payload of that record (same API): pages
        show the diff (edits and new versions).
    thumbnail_size
        Long side of the thumbnails, in pixels.
    progress
        For thumbnail rendering (``"auto"``, ``"text"``, ``None``, tqdm-like).

    Raises
    ------
    InputError
        ``record`` names a catalogue number that has no built record.
    """
    from specpub.errors import InputError

    built = list(records.built if isinstance(records, Records) else records)
    if record is not None:
        wanted = [record] if isinstance(record, str) else list(record)
        have = {b.catalog_number for b in built}
        missing = [w for w in wanted if w not in have]
        if missing:
            from specpub.records.templates import suggest

            raise InputError(
                f"no built record has catalogue number {missing[0]!r}{suggest(missing[0], have)}",
                field="--record",
                fix="give a catalogNumber as in the table (see records/records.parquet)",
            )
        built = [b for b in built if b.catalog_number in set(wanted)]
    if page_size < 1:
        raise InputError("page_size must be at least 1", field="page_size", fix="use e.g. 60")
    out = Path(out)
    (out / "records").mkdir(parents=True, exist_ok=True)
    (out / "thumbnails").mkdir(exist_ok=True)
    root = getattr(workspace, "root", workspace)
    cache = Path(root) / "records" / "thumbnails" if root is not None else out / "thumbnails"
    cache.mkdir(parents=True, exist_ok=True)
    files = [b.files for b in built]  # decoded once per record
    specs = [f.spec for record_files in files for f in record_files]
    thumbs = thumbnails(specs, cache, size=thumbnail_size, progress=progress)
    result = PreviewResult(index=out / "index.html")
    result.thumbnails_cached = sum(1 for t in thumbs.values() if t.cached)
    result.thumbnails_made = sum(1 for t in thumbs.values() if t.path and not t.cached)
    for record_files in files:
        for f in record_files:
            t = thumbs.get(f.spec.md5)
            if t is not None and t.path is None and t.error != "not an image":
                result.missing_thumbnails[f.spec.key] = t.error
    for t in thumbs.values():
        if t.path is not None and cache != out / "thumbnails":
            _place(t.path, out / "thumbnails" / t.path.name)

    def page_name(p: int) -> str:
        return "index.html" if p == 1 else f"page-{p}.html"

    pages = max(1, math.ceil(len(built) / page_size))
    summary = None
    if isinstance(records, Records):
        s = records.summary()
        summary = {k: s[k] for k in ("preset", "built", "ready", "warned", "blocked", "skipped")}
    for p in range(1, pages + 1):
        chunk = [b.unpacked() for b in built[(p - 1) * page_size : p * page_size]]
        items = []
        for b in chunk:
            first = next(
                (
                    thumbs[f.spec.md5]
                    for f in b.files
                    if thumbs.get(f.spec.md5) and thumbs[f.spec.md5].path
                ),
                None,
            )
            items.append(
                (b, f"records/{slug(b)}", f"thumbnails/{first.path.name}" if first else None)
            )
        path = out / page_name(p)
        path.write_text(
            gallery_html(items, page=p, pages=pages, page_name=page_name, summary=summary),
            encoding="utf-8",
        )
        result.gallery_pages.append(path)
        for b in chunk:
            sidecar_values = None
            if b.sidecar is not None and Path(b.sidecar.path).is_file():
                from specpub.records.sidecar import read_sidecar

                try:
                    sidecar_values = read_sidecar(Path(b.sidecar.path))
                except ValueError:
                    sidecar_values = None
            page = record_html(
                b,
                thumbs=thumbs,
                thumb_url=lambda t: f"../thumbnails/{t.path.name}",
                sidecar_values=sidecar_values,
                previous=(previous or {}).get(b.marker.key),
                api=api,
                back=f"../{page_name(p)}",
            )
            target = out / "records" / slug(b)
            target.write_text(page, encoding="utf-8")
            result.record_pages.append(target)
    return result
