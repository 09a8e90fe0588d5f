"""The HTML landing page of a published record (every user value escaped)."""

from __future__ import annotations

from html import escape

from ._render import qkey
from ._sanitize import sanitize_html


def landing_page(body: dict, base: str) -> str:
    md = body.get("metadata", {})
    title = escape(str(md.get("title", "(untitled)")))
    doi = body.get("pids", {}).get("doi", {}).get("identifier", "")
    creators = []
    for c in md.get("creators", []):
        po = c.get("person_or_org", {})
        name = po.get("name") or ", ".join(
            x for x in (po.get("family_name"), po.get("given_name")) if isinstance(x, str) and x
        )
        creators.append(escape(str(name)))
    rid = escape(str(body["id"]))
    files = []
    for e in body.get("files", {}).get("entries", []):
        href = f"{base}/records/{body['id']}/files/{qkey(e['key'])}"
        files.append(
            f'<li><a href="{escape(href, quote=True)}">{escape(e["key"])}</a> '
            f"({int(e.get('size') or 0)} bytes, {escape(str(e.get('checksum') or ''))})</li>"
        )
    desc = sanitize_html(str(md.get("description", "")))
    custom = "".join(
        f"<tr><th>{escape(str(k))}</th><td>{escape(', '.join(map(str, v)))}</td></tr>"
        for k, v in body.get("custom_fields", {}).items()
        if isinstance(v, list)
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body>
<h1>{title}</h1>
<p>Record {rid} &middot; published {escape(str(md.get("publication_date", "")))}</p>
<p>DOI: <a href="https://doi.org/{escape(doi, quote=True)}">{escape(doi)}</a></p>
<p>Creators: {"; ".join(creators)}</p>
<div class="description">{desc}</div>
<table class="custom-fields">{custom}</table>
<h2>Files</h2><ul>{"".join(files)}</ul>
</body></html>
"""
