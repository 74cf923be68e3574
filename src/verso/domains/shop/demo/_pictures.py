"""Product pictures for the demo, drawn with Pillow: a soft background, a simple shape (a garment for
apparel) and the product's initials. The same seed always draws the same bytes."""

from __future__ import annotations

import colorsys
import hashlib
from functools import lru_cache
from io import BytesIO
from typing import Any

from verso.domains.shop.demo._catalogue import Item

EDGE = 800


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def _hsv(h: float, s: float, v: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(h, s, v)
    return round(r * 255), round(g * 255), round(b * 255)


@lru_cache(maxsize=1)
def _font() -> Any:
    from PIL import ImageFont

    return ImageFont.load_default(size=150)


def _text_on(ink: tuple[int, ...], background: tuple[int, int, int]) -> tuple[int, ...]:
    """Letters that read on ``ink``: the light background colour, or a dark shade of a light ink."""
    light = 0.299 * ink[0] + 0.587 * ink[1] + 0.114 * ink[2] > 165
    return tuple(round(c * 0.35) for c in ink) if light else background


def _initials(name: str) -> str:
    words = [w for w in name.replace("-", " ").split() if w[0].isalnum()]
    return "".join(w[0] for w in words[:2]).upper()


@lru_cache(maxsize=64)  # a process that loads the demo again (the tests) draws each picture once
def draw_product(seed: str, item: Item, colour: str | None, *, lifestyle: bool = False) -> bytes:
    """An 800x800 PNG: a soft background, a simple shape (a garment for apparel) and the initials.
    The same seed always draws the same bytes, so the media store keeps one copy."""
    from PIL import Image, ImageDraw

    digest = hashlib.sha256(seed.encode()).digest()
    hue = digest[0] / 255
    background = _hsv(hue, 0.10 if colour else 0.16, 0.97)
    ink = _rgb(colour) if colour else _hsv(hue, 0.42, 0.62)
    outline = tuple(max(0, c - 40) for c in ink)
    picture = Image.new("RGB", (EDGE, EDGE), background)
    draw = ImageDraw.Draw(picture)
    if item.category in ("T-shirts", "Hoodies"):
        long_sleeves = item.category == "Hoodies" or "Long" in item.name
        cuff = [(140, 560), (215, 575)] if long_sleeves else [(120, 330), (185, 395)]
        body = [(320, 160), (220, 195), *cuff, (250, 340), (250, 650), (550, 650), (550, 340)]
        body += [(EDGE - x, y) for x, y in reversed(cuff)] + [(580, 195), (480, 160), (400, 215)]
        if item.category == "Hoodies":
            draw.ellipse((300, 90, 500, 270), fill=ink, outline=outline, width=6)
        draw.polygon(body, fill=ink, outline=outline, width=6)
        if item.category == "Hoodies":
            draw.ellipse((345, 130, 455, 240), fill=outline)
        text_at, text_fill = (400, 420), _text_on(ink, background)
    elif lifestyle:
        draw.rectangle((0, 560, EDGE, EDGE), fill=_hsv(hue, 0.25, 0.80))
        draw.ellipse((170, 250, 470, 550), fill=ink)
        draw.rounded_rectangle((500, 330, 680, 580), radius=30, fill=_hsv((hue + 0.5) % 1, 0.35, 0.70))
        text_at, text_fill = (320, 400), _text_on(ink, background)
    else:
        shape = digest[1] % 4
        box = (190, 190, 610, 610)
        if shape == 0:
            draw.ellipse(box, fill=ink)
        elif shape == 1:
            draw.rounded_rectangle(box, radius=60, fill=ink)
        elif shape == 2:
            draw.polygon([(400, 170), (630, 400), (400, 630), (170, 400)], fill=ink)
        else:
            draw.pieslice((190, 190, 610, 830), 180, 360, fill=ink)
            draw.rectangle((190, 510, 610, 610), fill=ink)
        text_at, text_fill = (400, 400), _text_on(ink, background)
    draw.text(text_at, _initials(item.name), fill=text_fill, font=_font(), anchor="mm")
    out = BytesIO()
    picture.save(out, "PNG", compress_level=3)  # quicker to write and to check; still small
    return out.getvalue()
