"""Draw herbarium-sheet-like images with Pillow.

A sheet has what a real herbarium scan shows (cf. Nieva de la Hidalga et al.
2020: colour chart, scale bar, barcode, labels, institution name): an
off-white mounting sheet, a pressed plant held by paper strips, a colour chart,
a scale bar with centimetre ticks, a barcode label, a collector's label and a
fragment packet. Everything is drawn from a seeded generator, so the same
seed gives the same pixels.
"""

from __future__ import annotations

import math
import random
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

#: A standard herbarium sheet is about 29 x 42 cm.
SHEET_WIDTH_CM = 29.0

# ColorChecker Classic patches (approximate sRGB), row by row.
_CHART = (
    (115, 82, 68),
    (194, 150, 130),
    (98, 122, 157),
    (87, 108, 67),
    (133, 128, 177),
    (103, 189, 170),
    (214, 126, 44),
    (80, 91, 166),
    (193, 90, 99),
    (94, 60, 108),
    (157, 188, 64),
    (224, 163, 46),
    (56, 61, 150),
    (70, 148, 73),
    (175, 54, 60),
    (231, 199, 31),
    (187, 86, 149),
    (8, 133, 161),
    (243, 243, 242),
    (200, 200, 200),
    (160, 160, 160),
    (122, 122, 121),
    (85, 85, 85),
    (52, 52, 52),
)

# Code 39 patterns: 9 elements (bar, space, bar, ...), n = narrow, w = wide.
_CODE39 = {
    "0": "nnnwwnwnn",
    "1": "wnnwnnnnw",
    "2": "nnwwnnnnw",
    "3": "wnwwnnnnn",
    "4": "nnnwwnnnw",
    "5": "wnnwwnnnn",
    "6": "nnwwwnnnn",
    "7": "nnnwnnwnw",
    "8": "wnnwnnwnn",
    "9": "nnwwnnwnn",
    "A": "wnnnnwnnw",
    "B": "nnwnnwnnw",
    "C": "wnwnnwnnn",
    "D": "nnnnwwnnw",
    "E": "wnnnwwnnn",
    "F": "nnwnwwnnn",
    "G": "nnnnnwwnw",
    "H": "wnnnnwwnn",
    "I": "nnwnnwwnn",
    "J": "nnnnwwwnn",
    "K": "wnnnnnnww",
    "L": "nnwnnnnww",
    "M": "wnwnnnnwn",
    "N": "nnnnwnnww",
    "O": "wnnnwnnwn",
    "P": "nnwnwnnwn",
    "Q": "nnnnnnwww",
    "R": "wnnnnnwwn",
    "S": "nnwnnnwwn",
    "T": "nnnnwnwwn",
    "U": "wwnnnnnnw",
    "V": "nwwnnnnnw",
    "W": "wwwnnnnnn",
    "X": "nwnnwnnnw",
    "Y": "wwnnwnnnn",
    "Z": "nwwnwnnnn",
    "-": "nwnnnnwnw",
    ".": "wwnnnnwnn",
    " ": "nwwnnnwnn",
    "*": "nwnnwnwnn",
}


@dataclass(frozen=True)
class SheetText:
    """What the labels of one sheet say."""

    barcode: str
    institution: str
    scientific_name: str
    family: str
    collector: str
    record_number: str
    date: str
    locality: str
    country: str
    determiner: str


@dataclass
class Sheet:
    """A drawn sheet: the RGB image, a label mask and where the main label is."""

    image: Image.Image
    mask: Image.Image
    label_box: tuple[int, int, int, int]


@lru_cache(maxsize=64)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(6, size))


def _plain(text: str) -> str:
    """Drop accents: Pillow's bundled font has no glyphs for them ('Cipó' -> 'Cipo')."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c) and ord(c) < 128)


def _fit(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.ImageFont, width: float) -> str:
    text = _plain(text)
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "...", font=font) > width:
        text = text[:-1]
    return text + "..."


def _background(rng: np.random.Generator, w: int, h: int) -> Image.Image:
    base = np.array([240, 236, 223], dtype=np.int16)
    # Low-frequency unevenness (paper ageing) plus fine grain.
    yy = np.linspace(-1.0, 1.0, h, dtype=np.float32)[:, None]
    xx = np.linspace(-1.0, 1.0, w, dtype=np.float32)[None, :]
    tilt = rng.uniform(-4, 4, size=2).astype(np.float32)
    shade = (tilt[0] * xx + tilt[1] * yy - 6.0 * (xx * xx + yy * yy) * 0.5).astype(np.int16)
    grain = rng.integers(-3, 4, size=(h, w, 1), dtype=np.int16)
    arr = base[None, None, :] + shade[:, :, None] + grain
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


# Leaf outline as (position along the midrib, half-width factor), tip to base.
_LEAF_PROFILE = tuple(
    (k / 10, math.sin(math.pi * k / 10) ** 0.8 * (1.0 - 0.35 * k / 10)) for k in range(11)
)
_LEAF_OUTLINE = tuple((t, f) for t, f in _LEAF_PROFILE) + tuple(
    (t, -f) for t, f in reversed(_LEAF_PROFILE)
)


def _leaf(
    draw: ImageDraw.ImageDraw,
    x: float,
    y: float,
    angle: float,
    length: float,
    width: float,
    colour: tuple[int, int, int],
) -> None:
    ca, sa = math.cos(angle), math.sin(angle)
    pts = []
    for t, f in _LEAF_OUTLINE:
        px, py = t * length, f * width
        pts.append((x + px * ca - py * sa, y + px * sa + py * ca))
    draw.polygon(pts, fill=colour)
    dark = tuple(max(0, c - 35) for c in colour)
    draw.line([(x, y), (x + length * ca, y + length * sa)], fill=dark, width=1)


def _plant(draw: ImageDraw.ImageDraw, rng: np.random.Generator, w: int, h: int, u: float) -> list:
    """Draw stems, leaves and flowers; return points where paper strips go."""
    # Python's generator is much cheaper than numpy's for single draws.
    r = random.Random(int(rng.integers(0, 2**62)))
    hue = r.random()
    leaf_base = (70 + 50 * hue, 85 + 20 * (1 - hue), 40.0)
    stem_colour = (int(95 + 30 * hue), 80, 45)
    flower = (r.randint(120, 219), r.randint(120, 219), r.randint(120, 219))
    leaf_ratio = r.uniform(0.15, 0.45)  # narrow (grass-like) to broad leaves
    leaf_scale = r.uniform(0.7, 1.25)
    strips = []

    def stem(x: float, y: float, angle: float, length: float, level: int) -> None:
        seg = 14 * u
        n = max(3, int(length / seg))
        thickness = max(1, int((4 - level) * u))
        points = [(x, y)]
        angles = []
        heading = angle
        for _ in range(n):
            # Wander, but drift back to the heading and away from the sheet's edges.
            angle += r.gauss(0, 0.08) + 0.08 * (heading - angle)
            if not 0.15 * w < x < 0.85 * w:
                angle += 0.3 * (-math.pi / 2 - angle)
            x, y = x + seg * math.cos(angle), y + seg * math.sin(angle)
            x = min(max(x, 0.04 * w), 0.96 * w)
            y = min(max(y, 0.03 * h), 0.97 * h)
            points.append((x, y))
            angles.append(angle)
        draw.line(points, fill=stem_colour, width=thickness, joint="curve")
        for k in range(2, n - 1, 3):
            (nx, ny), a = points[k + 1], angles[k]
            side = 1 if (k // 3) % 2 else -1
            colour = tuple(min(255, max(0, int(c + r.randint(-15, 15)))) for c in leaf_base)
            size = r.uniform(45, 85) * u * leaf_scale * (1 - 0.25 * level)
            _leaf(draw, nx, ny, a + side * r.uniform(0.6, 1.2), size, size * leaf_ratio, colour)
            if level < 2 and r.random() < 0.25:
                stem(nx, ny, a + side * r.uniform(0.4, 0.9), length * 0.45, level + 1)
        for _ in range(r.randint(3, 7)):
            fx, fy = x + r.gauss(0, 8 * u), y + r.gauss(0, 8 * u)
            rad = r.uniform(3, 7) * u
            draw.ellipse([fx - rad, fy - rad, fx + rad, fy + rad], fill=flower, outline=stem_colour)
        if level == 0:
            strips.append((points[len(points) // 2][0], points[len(points) // 2][1]))

    x0 = w * r.uniform(0.38, 0.55)
    y0 = h * 0.86
    for _ in range(r.randint(1, 2)):
        stem(x0, y0, -math.pi / 2 + r.gauss(0, 0.12), h * r.uniform(0.5, 0.68), 0)
        x0 += w * r.uniform(0.08, 0.18)
    strips.append((x0, y0 - 0.05 * h))
    return strips


def _strip(draw: ImageDraw.ImageDraw, x: float, y: float, angle: float, u: float) -> None:
    length, width = 60 * u, 9 * u
    ca, sa = math.cos(angle), math.sin(angle)
    corners = [
        (-length / 2, -width / 2),
        (length / 2, -width / 2),
        (length / 2, width / 2),
        (-length / 2, width / 2),
    ]
    pts = [(x + a * ca - b * sa, y + a * sa + b * ca) for a, b in corners]
    draw.polygon(pts, fill=(250, 249, 244), outline=(215, 212, 200))


def _colour_chart(draw: ImageDraw.ImageDraw, x: int, y: int, u: float) -> None:
    cell = round(22 * u)
    gap = max(1, round(3 * u))
    cols, rows = 4, 6
    draw.rectangle(
        [x, y, x + cols * (cell + gap) + gap, y + rows * (cell + gap) + gap], fill=(25, 25, 25)
    )
    for k, colour in enumerate(_CHART):
        r, c = divmod(k, cols)
        px, py = x + gap + c * (cell + gap), y + gap + r * (cell + gap)
        draw.rectangle([px, py, px + cell - 1, py + cell - 1], fill=colour)


def _scale_bar(draw: ImageDraw.ImageDraw, x: int, y: int, px_per_cm: float, u: float) -> None:
    length = 10 * px_per_cm
    bar_w = round(26 * u)
    draw.rectangle(
        [x - 4 * u, y - 12 * u, x + bar_w + 10 * u, y + length + 26 * u],
        fill=(248, 248, 245),
        outline=(120, 120, 120),
    )
    font = _font(round(9 * u))
    for mm in range(101):
        ty = y + length - mm * px_per_cm / 10
        tick = bar_w if mm % 10 == 0 else (bar_w * 0.6 if mm % 5 == 0 else bar_w * 0.35)
        draw.line([(x, ty), (x + tick, ty)], fill=(20, 20, 20), width=1)
        if mm % 10 == 0:
            draw.text((x + bar_w + 1, ty - 5 * u), str(mm // 10), fill=(20, 20, 20), font=font)
    # Alternate black and white centimetre blocks along the edge.
    for cm in range(10):
        if cm % 2 == 0:
            top = y + length - (cm + 1) * px_per_cm
            draw.rectangle([x, top, x + 3 * u, top + px_per_cm], fill=(20, 20, 20))
    draw.text((x, y + length + 8 * u), "cm", fill=(20, 20, 20), font=font)


def _barcode(
    draw: ImageDraw.ImageDraw, x: int, y: int, text: str, institution: str, u: float
) -> tuple[int, int, int, int]:
    narrow = max(1, round(u))
    wide = 3 * narrow if u >= 0.75 else 2 * narrow  # Code 39 allows 2:1 to 3:1
    code = "*" + "".join(c for c in text.upper() if c in _CODE39 and c != "*") + "*"
    width = len(code) * (6 * narrow + 3 * wide + narrow)
    x = max(0, min(x, draw.im.size[0] - width - round(20 * u)))
    bar_h = round(34 * u)
    box = (x, y, x + width + round(16 * u), y + bar_h + round(40 * u))
    draw.rectangle(box, fill=(252, 252, 250), outline=(190, 190, 185))
    font = _font(round(11 * u))
    draw.text((x + 8 * u, y + 3 * u), f"Herbarium {institution}", fill=(30, 30, 30), font=font)
    cx = x + round(8 * u)
    top = y + round(18 * u)
    for ch in code:
        for k, element in enumerate(_CODE39[ch]):
            wdt = wide if element == "w" else narrow
            if k % 2 == 0:
                draw.rectangle([cx, top, cx + wdt - 1, top + bar_h], fill=(0, 0, 0))
            cx += wdt
        cx += narrow
    draw.text((x + 8 * u, top + bar_h + 3 * u), text, fill=(0, 0, 0), font=font)
    return box


def _label(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], t: SheetText, u: float
) -> None:
    x0, y0, x1, y1 = box
    draw.rectangle(box, fill=(250, 247, 236), outline=(60, 60, 60), width=max(1, round(u)))
    inner = (x1 - x0) - 16 * u
    big, small = _font(round(15 * u)), _font(round(12 * u))
    lines = [
        (f"HERBARIUM {t.institution}", small),
        (f"Flora of {t.country}" if t.country else "Flora", small),
        (t.scientific_name, big),
        (t.family, small),
        (t.locality, small),
        (f"Leg. {t.collector} {t.record_number}", small),
        (f"Date: {t.date}", small),
        (f"Det. {t.determiner}", small),
    ]
    y = y0 + 8 * u
    for text, font in lines:
        if not text:
            continue
        draw.text((x0 + 8 * u, y), _fit(draw, text, font, inner), fill=(25, 25, 40), font=font)
        y += (20 if font is big else 16) * u
        if y > y1 - 14 * u:
            break


def draw_sheet(text: SheetText, size: tuple[int, int], rng: np.random.Generator) -> Sheet:
    """Draw one sheet of ``size`` = (width, height) pixels."""
    w, h = size
    u = w / 900.0
    image = _background(rng, w, h)
    draw = ImageDraw.Draw(image)
    strips = _plant(draw, rng, w, h, u)
    for x, y in strips:
        _strip(draw, x, y, rng.uniform(-0.3, 0.3), u)
    _colour_chart(draw, round(w * 0.70), round(h * 0.03), u)
    px_per_cm = w / SHEET_WIDTH_CM
    _scale_bar(draw, round(w * 0.05), round(h * 0.05), px_per_cm, u)
    # Fragment packet with a few loose seeds, bottom left.
    px0, py0 = round(w * 0.04), round(h * 0.62)
    draw.rectangle(
        [px0, py0, px0 + 170 * u, py0 + 130 * u], fill=(246, 244, 236), outline=(170, 165, 150)
    )
    for _ in range(int(rng.integers(3, 7))):
        sx, sy = px0 + rng.uniform(20, 150) * u, py0 + rng.uniform(30, 110) * u
        r = rng.uniform(3, 8) * u
        draw.ellipse([sx - r, sy - r * 0.7, sx + r, sy + r * 0.7], fill=(110, 70, 40))
    bar_box = _barcode(draw, round(w * 0.56), round(h * 0.60), text.barcode, text.institution, u)
    label_box = (round(w * 0.50), round(h * 0.845), round(w * 0.97), round(h * 0.975))
    _label(draw, label_box, text, u)
    mask = Image.new("L", (w, h), 0)
    mdraw = ImageDraw.Draw(mask)
    mdraw.rectangle(label_box, fill=255)
    mdraw.rectangle(bar_box, fill=255)
    return Sheet(image=image, mask=mask, label_box=label_box)
