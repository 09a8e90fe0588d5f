"""Allow-list HTML sanitiser for record descriptions, as InvenioRDM's ``SanitizedHTML``.

InvenioRDM cleans a record's ``description`` (and its additional descriptions)
when the draft is loaded, so what is stored and read back is already clean:
invenio-config's ``ALLOWED_HTML_TAGS`` survive with the attributes of
``ALLOWED_HTML_ATTRS`` (``class`` anywhere; ``href``, ``title``, ``name``,
``rel`` on links; ``title`` on ``abbr``/``acronym``); other tags are removed
with their text kept, except ``script`` and ``style`` whose content goes too;
``javascript:`` links lose their ``href``; text is escaped (``&``, ``<``,
``>``). This is the sandbox's own small implementation, built on the standard
library's HTML parser; the landing page shows the stored description through
it once more.

Examples
--------
>>> sanitize_html('<p>A <i>Quercus</i><script>alert(1)</script></p>')
'<p>A <i>Quercus</i></p>'
>>> sanitize_html('<a href="javascript:x()" onclick="y()">link</a>')
'<a>link</a>'
>>> sanitize_html('5 < 6 & "ok"')
'5 &lt; 6 &amp; "ok"'
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

__all__ = ["sanitize_html"]

_ALLOWED = {
    "a", "abbr", "acronym", "b", "blockquote", "br", "code", "div", "table", "tbody", "td",
    "th", "tr", "em", "h1", "h2", "h3", "h4", "h5", "i", "li", "ol", "p", "pre", "span",
    "strike", "strong", "sub", "sup", "u", "ul",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title", "name", "rel"}, "abbr": {"title"}, "acronym": {"title"}}
_ANY_TAG_ATTRIBUTES = {"class"}
_VOID = {"br"}
_DROP_CONTENT = {"script", "style"}
_SAFE_SCHEMES = ("http", "https", "mailto")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def _safe_link(href: str) -> bool:
    """An http(s)/mailto link, or a relative one (no scheme at all)."""
    scheme = _SCHEME.match(re.sub(r"[\s\x00-\x1f]", "", href))
    return scheme is None or scheme.group(1).lower() in _SAFE_SCHEMES


class _Sanitizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.skipping = 0  # inside <script>/<style>: drop the content too

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_CONTENT:
            self.skipping += 1
            return
        if tag not in _ALLOWED:
            return
        allowed = _ATTRIBUTES.get(tag, set()) | _ANY_TAG_ATTRIBUTES
        text = f"<{tag}"
        for name, value in attrs:
            if name in allowed and (name != "href" or _safe_link(value or "")):
                text += f' {name}="{escape(value or "", quote=True)}"'
        self.out.append(text + ">")
        if tag not in _VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_CONTENT:
            self.skipping = max(0, self.skipping - 1)
            return
        if tag in self.open:
            while self.open:
                top = self.open.pop()
                self.out.append(f"</{top}>")
                if top == tag:
                    break

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(escape(data, quote=False))

    def close(self) -> None:
        super().close()
        while self.open:
            self.out.append(f"</{self.open.pop()}>")


def sanitize_html(text: str) -> str:
    """Keep InvenioRDM's allow-list of tags and attributes, escape every text node.

    Parameters
    ----------
    text
        Untrusted HTML (a record's description).

    Returns
    -------
    str
        Safe HTML: only allow-listed tags and attributes (``href`` only with an
        http(s)/mailto scheme), every open tag closed.

    Examples
    --------
    >>> sanitize_html("<p>unclosed <b>bold")
    '<p>unclosed <b>bold</b></p>'
    """
    parser = _Sanitizer()
    parser.feed(text)
    parser.close()
    return "".join(parser.out)
