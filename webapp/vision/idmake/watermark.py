"""A text watermark across a photo, as HivisionIDPhotos' ``/watermark`` draws it.

The text is repeated in staggered rows over the whole photo, turned by
``angle`` degrees, at ``opacity``: a photo sent to an agency can be marked
"for visa application only" and still be checked by eye.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from webapp.vision.errors import check_image

from .colour import parse_colour

MAX_TEXT = 100


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
    font = ImageFont.load_default(size=size)
    left, top, right, bottom = font.getbbox(text)
    stamp = Image.new("L", (max(right - left, 1), max(bottom - top, 1)), 0)
    ImageDraw.Draw(stamp).text((-left, -top), text, fill=255, font=font)
    return stamp
