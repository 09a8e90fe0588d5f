"""The HTML Zenodo keeps in a description, and a sanitiser that keeps only that.

Zenodo cleans a record's description with an allow-list (invenio-config's
``ALLOWED_HTML_TAGS`` / ``ALLOWED_HTML_ATTRS``): other tags are removed (the
text inside them is kept, except for ``script`` and ``style``), and so are
other attributes. :func:`sanitize_html` does the same, so that the preview
shows the description as Zenodo will, no script from a table cell reaches a
page, and the checks can say what Zenodo would remove.

Examples
--------
>>> clean, removed = sanitize_html('<p onclick="x()">Herbarium <b>sheet</b>'
...                                '<script>alert(1)</script><img src=x></p>')
>>> clean
'<p>Herbarium <b>sheet</b></p>'
>>> removed
['onclick= on <p>', '<script>', '<img>']
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from html.parser import HTMLParser

__all__ = ["ALLOWED_HTML_ATTRS", "ALLOWED_HTML_TAGS", "removed_html", "sanitize_html"]

#: HTML tags Zenodo keeps in a description.
ALLOWED_HTML_TAGS = frozenset(
    [
        "a",
        "abbr",
        "acronym",
        "b",
        "blockquote",
        "br",
        "code",
        "div",
        "table",
        "tbody",
        "td",
        "th",
        "tr",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "i",
        "li",
        "ol",
        "p",
        "pre",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "u",
        "ul",
    ]
)
#: Attributes Zenodo keeps (``*`` = on any tag).
ALLOWED_HTML_ATTRS = {
    "*": frozenset({"class"}),
    "a": frozenset({"href", "title", "name", "class", "rel"}),
    "abbr": frozenset({"title"}),
    "acronym": frozenset({"title"}),
}
_VOID = frozenset({"br"})
_DROP_CONTENT = frozenset({"script", "style", "template", "iframe", "object", "noscript"})
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.I)
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})


def _safe_url(url: str) -> bool:
    """An http(s)/mailto URL or a relative one: what Zenodo keeps in an ``href``."""
    scheme = _SCHEME.match(re.sub(r"[\s\x00-\x1f]", "", url))
    return scheme is None or scheme.group(1).lower() in _SAFE_SCHEMES


class _Sanitizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.removed: list[str] = []
        self.open: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_CONTENT:
            self.removed.append(f"<{tag}>")
            self.skip += 1
            return
        if self.skip:
            return
        if tag not in ALLOWED_HTML_TAGS:
            self.removed.append(f"<{tag}>")
            return
        allowed = ALLOWED_HTML_ATTRS.get(tag, frozenset()) | ALLOWED_HTML_ATTRS["*"]
        kept = []
        for name, value in attrs:
            if name not in allowed:
                self.removed.append(f"{name}= on <{tag}>")
                continue
            if name == "href" and not _safe_url(value or ""):
                self.removed.append(f"href={(value or '')[:30]!r} on <{tag}>")
                continue
            kept.append(f' {name}="{html.escape(value or "", quote=True)}"')
        self.out.append(f"<{tag}{''.join(kept)}>")
        if tag not in _VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in _DROP_CONTENT:
            self.skip -= 1
        elif tag in ALLOWED_HTML_TAGS and tag not in _VOID and self.open and self.open[-1] == tag:
            self.open.pop()
            self.out.append(f"</{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_CONTENT:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip or tag not in self.open:
            return
        while self.open:
            top = self.open.pop()
            self.out.append(f"</{top}>")
            if top == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(html.escape(data, quote=False))

    def close(self) -> None:
        super().close()
        while self.open:
            self.out.append(f"</{self.open.pop()}>")


def sanitize_html(text: str) -> tuple[str, list[str]]:
    """``text`` with only Zenodo's allowed tags and attributes, and what was removed.

    Examples
    --------
    >>> sanitize_html('<a href="javascript:alert(1)">x</a> & <i>y')
    ('<a>x</a> &amp; <i>y</i>', ["href='javascript:alert(1)' on <a>"])
    """
    parser = _Sanitizer()
    parser.feed(text)
    parser.close()
    return "".join(parser.out), parser.removed


_ANY_TAG = re.compile(r"<\s*/?\s*([a-zA-Z][a-zA-Z0-9]*)([^>]*)>")
_SIMPLE_ATTR = re.compile(r"""^\s*(?:class\s*=\s*("[^"]*"|'[^']*'))?\s*/?\s*$""")


@lru_cache(maxsize=512)
def _removed(text: str) -> tuple[str, ...]:
    # Descriptions made from one template repeat the same few tags: each tag is judged once.
    for tag in _ANY_TAG.findall(text):
        if tag not in _KEPT_TAGS and not _kept(tag):
            return tuple(sanitize_html(text)[1])
    return ()


#: Tags (name, attributes) seen kept as they are; bounded.
_KEPT_TAGS: set[tuple[str, str]] = set()


def _kept(tag: tuple[str, str]) -> bool:
    name, attrs = tag
    if name.lower() not in ALLOWED_HTML_TAGS or not _SIMPLE_ATTR.match(attrs):
        return False
    if len(_KEPT_TAGS) < 4096:
        _KEPT_TAGS.add(tag)
    return True


def removed_html(text: str) -> list[str]:
    """What Zenodo's sanitiser would remove from ``text`` (fast when there is nothing).

    Examples
    --------
    >>> removed_html("<p>A <i>b</i></p>"), removed_html("<p style='x'>A</p>")
    ([], ['style= on <p>'])
    """
    return list(_removed(text)) if "<" in text else []
