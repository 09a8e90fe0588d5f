"""Acceptance items of the specimens issue's demo generator that no other test pinned down.

See ``/work/notes/acceptance-audit.md``: each test here closes one GAP row.
"""

from __future__ import annotations

import numpy as np

from specpub.demo._sheets import _CHART, _CODE39, SheetText, draw_sheet

TEXT = SheetText(
    barcode="BR0000013",
    institution="BR",
    scientific_name="Quercus robur L.",
    family="Fagaceae",
    collector="J. Smith",
    record_number="123",
    date="1890-05-01",
    locality="Meise",
    country="Belgium",
    determiner="A. Expert",
)


def _decode_code39(row: np.ndarray) -> str:
    """Read a Code 39 symbol from one row of booleans (True = black bar)."""
    black = np.flatnonzero(row)
    segment = row[black[0] : black[-1] + 1]
    edges = np.flatnonzero(np.diff(segment.astype(np.int8))) + 1
    runs = np.diff(np.concatenate(([0], edges, [len(segment)])))
    narrow = runs.min()
    elements = "".join("w" if r > 1.5 * narrow else "n" for r in runs)
    patterns = {p: c for c, p in _CODE39.items()}
    chars = [patterns[elements[i : i + 9]] for i in range(0, len(elements), 10)]
    return "".join(chars)


def test_sheet_has_a_readable_barcode_colour_chart_and_label_mask():
    # Issue 4: sheets drawn "with label text, colour chart, scale bar, barcode-like label".
    sheet = draw_sheet(TEXT, (600, 870), np.random.default_rng(0))
    pixels = np.asarray(sheet.image.convert("RGB"))
    assert pixels.shape == (870, 600, 3)
    # the barcode: pure-black bars; the row with most bar edges decodes to *BARCODE*
    bars = (pixels == 0).all(axis=2)
    row = int(np.argmax(np.abs(np.diff(bars.astype(np.int8), axis=1)).sum(axis=1)))
    assert _decode_code39(bars[row]) == "*BR0000013*"
    # the bars lie inside the label mask (what segmentations mark)
    mask = np.asarray(sheet.mask) > 0
    assert mask[row, bars[row]].all()
    lx0, ly0, lx1, ly1 = sheet.label_box
    assert mask[ly0:ly1, lx0:lx1].all()
    # every patch of the colour chart is there, as a solid block of its exact colour
    flat = pixels.reshape(-1, 3)
    colours, counts = np.unique(flat, axis=0, return_counts=True)
    found = {tuple(int(v) for v in c): int(n) for c, n in zip(colours, counts, strict=True)}
    for colour in _CHART:
        assert found.get(colour, 0) >= 100, colour
