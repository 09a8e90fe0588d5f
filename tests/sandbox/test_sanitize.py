"""Stored descriptions: InvenioRDM's formatting tags survive, anything active does not."""

from __future__ import annotations

import pytest

from specpub.sandbox._sanitize import sanitize_html


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<p>Digitised <i>Quercus</i><br>Locality: Meise</p>",
         "<p>Digitised <i>Quercus</i><br>Locality: Meise</p>"),
        ("<script>alert(1)</script>ok", "ok"),
        ("<style>p{}</style><p style='x'>t</p>", "<p>t</p>"),
        ("<img src=x onerror=alert(2)>", ""),
        ('<a href="https://example.org/?a=1&b=2">x</a>',
         '<a href="https://example.org/?a=1&amp;b=2">x</a>'),
        ('<a href="notes.html" title="t" target="_blank" class="c">x</a>',
         '<a href="notes.html" title="t" class="c">x</a>'),
        ('<table><tr><td class="n">5 > 4</td></tr></table>',
         '<table><tr><td class="n">5 &gt; 4</td></tr></table>'),
        ('<p style="x">"quoted"</p>', '<p>"quoted"</p>'),
        ('<a href=" JavaScript:alert(1)">x</a>', "<a>x</a>"),
        ("<b><i>crossed</b></i>", "<b><i>crossed</i></b>"),
        ("&lt;script&gt;", "&lt;script&gt;"),
        ("<iframe src=x></iframe>text", "text"),
    ],
)  # fmt: skip
def test_sanitize(dirty, clean):
    assert sanitize_html(dirty) == clean
