"""Allow-list HTML sanitiser for record descriptions on landing pages.

Zenodo shows a record's ``description`` as sanitised HTML: a small set of
formatting tags survives, everything else (scripts, event handlers, styles,
``javascript:`` links) is dropped and all text is escaped. This is the
sandbox's own small implementation, built on the standard library's HTML
parser.

Examples
--------
>>> sanitize_html('<p>A <i>Quercus</i><script>alert(1)</script></p>')
'<p>A <i>Quercus</i></p>'
>>> sanitize_html('<a href="javascript:x()" onclick="y()">link</a>')
'<a>link</a>'
>>> sanitize_html('5 < 6 & "ok"')
'5 &lt; 6 &amp; &quot;ok&quot;'
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

__all__ = ["sanitize_html"]

_ALLOWED = {
    "a", "b", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "i", "li", "ol",
    "p", "pre", "s", "strong", "sub", "sup", "u", "ul",
}  # fmt: skip
_VOID = {"br"}
_DROP_CONTENT = {"script", "style"}
_SAFE_SCHEMES = ("http://", "https://", "mailto:")


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
        text = f"<{tag}"
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if href.strip().lower().startswith(_SAFE_SCHEMES):
                text += f' href="{escape(href.strip(), quote=True)}" rel="nofollow noopener"'
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
            self.out.append(escape(data))

    def close(self) -> None:
        super().close()
        while self.open:
            self.out.append(f"</{self.open.pop()}>")


def sanitize_html(text: str) -> str:
    """Keep a small allow-list of formatting tags, escape every text node.

    Parameters
    ----------
    text
        Untrusted HTML (a record's description).

    Returns
    -------
    str
        Safe HTML: only allow-listed tags, no attributes except ``href`` on
        links with an http(s)/mailto scheme, every open tag closed.

    Examples
    --------
    >>> sanitize_html("<p>unclosed <b>bold")
    '<p>unclosed <b>bold</b></p>'
    """
    parser = _Sanitizer()
    parser.feed(text)
    parser.close()
    return "".join(parser.out)
