"""A text watermark across a photo, as HivisionIDPhotos' ``/watermark`` draws it.

The text is repeated in staggered rows over the whole photo, turned by
``angle`` degrees, at ``opacity``: a photo sent to an agency can be marked
"for visa application only" and still be checked by eye.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from webapp.vision.errors import check_image

from .colour import parse_colour

MAX_TEXT = 100
#: Fonts that draw Chinese, Japanese and Korean, where Linux distributions
#: put them (Debian's fonts-noto-cjk, fonts-wqy-*, Android's fallback); the
#: first one found is used for text Pillow's built-in font cannot draw.
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


class MissingFontError(ValueError):
    """The watermark's text has characters no available font can draw."""


def watermark(
    image: NDArray[np.uint8],
    text: str,
    *,
    size: int = 20,
    opacity: float = 0.15,
    angle: float = 30,
    colour: str = "#000000",
    space: int = 25,
) -> NDArray[np.uint8]:
    """Return a copy of ``image`` with ``text`` repeated across it.

    Parameters
    ----------
    image : ndarray of shape (H, W, 3), uint8
        RGB photo. Not modified.
    text : str
        The watermark (1 to 100 characters).
    size : int
        Font size in pixels (5 to 500).
    opacity : float
        0 (invisible) to 1 (opaque).
    angle : float
        Counter-clockwise turn of the rows, in degrees.
    colour : str
        A colour :func:`~webapp.vision.idmake.colour.parse_colour` accepts.
    space : int
        Pixels between two repeats and between two rows (0 to 1000).

    Raises
    ------
    ValueError
        On empty or too long text, or a field outside its range.
    MissingFontError
        When the text has characters (Chinese, say) that neither Pillow's
        built-in font nor a CJK font installed on the machine can draw:
        drawn anyway they would be empty boxes.
    """
    check_image(image)
    text = str(text).strip()
    if not text or len(text) > MAX_TEXT:
        raise ValueError(f"The watermark text must be 1 to {MAX_TEXT} characters.")
    if not 5 <= size <= 500:
        raise ValueError(f"The watermark size must be 5 to 500 pixels, not {size!r}.")
    if not 0 <= opacity <= 1:
        raise ValueError(f"The watermark opacity must be 0 to 1, not {opacity!r}.")
    if not 0 <= space <= 1000:
        raise ValueError(f"The watermark spacing must be 0 to 1000 pixels, not {space!r}.")
    if not math.isfinite(angle):
        raise ValueError(f"The watermark angle must be a number of degrees, not {angle!r}.")
    rgb = parse_colour(colour)

    stamp = _stamp(text, int(size))
    height, width = image.shape[:2]
    side = int(math.hypot(width, height)) + 1
    mask = Image.new("L", (side, side), 0)
    step_x = stamp.width + int(space)
    step_y = stamp.height + int(space)
    for row, y in enumerate(range(0, side, step_y)):
        # Every other row starts half a step to the left, as bricks are laid.
        x = -(step_x // 2) * (row % 2)
        while x < side:
            mask.paste(stamp, (x, y), stamp)
            x += step_x
    mask = mask.rotate(angle, resample=Image.Resampling.BILINEAR)
    left, top = (side - width) // 2, (side - height) // 2
    cover = np.asarray(mask.crop((left, top, left + width, top + height)), np.float32)
    weight = (cover * (opacity / 255.0))[..., None]
    marked = image.astype(np.float32) * (1 - weight) + np.asarray(rgb, np.float32) * weight
    return np.clip(marked + 0.5, 0, 255).astype(np.uint8)


def _stamp(text: str, size: int) -> Image.Image:
    """The text once, white on black, cropped to its ink."""
    font = _font_for(text, size)
    left, top, right, bottom = font.getbbox(text)
    stamp = Image.new("L", (max(right - left, 1), max(bottom - top, 1)), 0)
    ImageDraw.Draw(stamp).text((-left, -top), text, fill=255, font=font)
    return stamp


def _font_for(text: str, size: int) -> ImageFont.FreeTypeFont:
    """Pillow's built-in font when it draws every character, else a CJK font of the machine."""
    default = ImageFont.load_default(size=size)
    if _draws(default, text):
        return default
    for path in CJK_FONTS:
        if Path(path).is_file():
            font = ImageFont.truetype(path, size=size)
            if _draws(font, text):
                return font
    missing = "".join(sorted({c for c in text if not _draws(default, c)}))[:10]
    raise MissingFontError(
        f"No font on this server can draw {missing!r}; use Latin letters or install a CJK font "
        "(Debian: fonts-noto-cjk)."
    )


def _draws(font: ImageFont.FreeTypeFont | ImageFont.ImageFont, text: str) -> bool:
    """Whether ``font`` has a glyph for every non-space character of ``text``."""
    missing = _missing_glyph(font)
    return all(c.isspace() or _glyph(font, c) != missing for c in set(text))


def _glyph(font: ImageFont.FreeTypeFont | ImageFont.ImageFont, char: str) -> tuple[int, int, bytes]:
    mask = font.getmask(char)
    return (*mask.size, bytes(mask))


@cache
def _missing_glyph_of(path: str, size: int) -> tuple[int, int, bytes]:
    return _glyph(ImageFont.truetype(path, size=size), "\ue000")


def _missing_glyph(font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> tuple[int, int, bytes]:
    """What the font draws for a character it lacks (a private-use code point)."""
    path = getattr(font, "path", None)
    if isinstance(path, str):
        return _missing_glyph_of(path, int(font.size))
    return _glyph(font, "\ue000")
