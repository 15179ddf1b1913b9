"""Gentle corrections for a made ID photo: brightness, contrast, white balance, even light.

Only what an ID photo may carry: the whole picture a little lighter or
darker, a little more or less contrast, a colour cast taken off, and the
light across the face evened out. Nothing reshapes or smooths the face (no
beauty filters: the photo has to stay the person).

Sliders follow HivisionIDPhotos' convention: ``brightness`` and ``contrast``
from -100 to 100, ``even_light`` from 0 to 100; 0 leaves the photo as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

#: Brightness 100 adds this much to every channel (0-255 scale).
BRIGHTNESS_SPAN = 40.0
#: Contrast 100 stretches around the mean by this factor (-100 shrinks by its inverse).
CONTRAST_SPAN = 1.5
#: White balance never multiplies a channel by more than this (or less than its inverse).
WHITE_BALANCE_MAX_GAIN = 1.25
#: Even light 100 takes away this share of the face's left-right light difference.
EVEN_LIGHT_MAX = 0.8


@dataclass(frozen=True)
class Corrections:
    """Which corrections to apply, and how strongly.

    Attributes
    ----------
    brightness : int
        -100 (darker) to 100 (lighter).
    contrast : int
        -100 (flatter) to 100 (stronger).
    white_balance : bool
        Take the colour cast off the person (grey-world on the person's pixels).
    even_light : int
        0 to 100: how much of the difference between the face's lit and shaded
        sides to take away.
    """

    brightness: int = 0
    contrast: int = 0
    white_balance: bool = False
    even_light: int = 0

    def __post_init__(self) -> None:
        for name, low in (("brightness", -100), ("contrast", -100), ("even_light", 0)):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not low <= value <= 100:
                raise ValueError(f"{name} must be a number from {low} to 100, not {value!r}")

    @property
    def any(self) -> bool:
        return bool(self.brightness or self.contrast or self.white_balance or self.even_light)


def apply_corrections(
    image: NDArray[np.uint8],
    person: NDArray[np.float32],
    face_box: tuple[float, float, float, float],
    corrections: Corrections,
) -> tuple[NDArray[np.uint8], tuple[str, ...]]:
    """Apply ``corrections`` to an RGB photo; return it and the codes of what was done.

    ``person`` is the person's mask (0 to 1, the photo's shape): the white
    balance is measured on it, and the even-light ramp stays on it.
    ``face_box`` is the face's (x0, y0, x1, y1) in pixels. Codes: ``"light"``
    (brightness, contrast or even light) and ``"white_balance"``.
    """
    done: list[str] = []
    out = image.astype(np.float32)
    weight = person.astype(np.float32)
    if corrections.white_balance and weight.sum() > 16:
        means = (out * weight[..., None]).sum(axis=(0, 1)) / weight.sum()
        grey = float(means.mean())
        gains = np.clip(
            grey / np.maximum(means, 1.0), 1 / WHITE_BALANCE_MAX_GAIN, WHITE_BALANCE_MAX_GAIN
        )
        out *= gains[None, None, :]
        done.append("white_balance")
    if corrections.even_light:
        ramp = _even_light_ramp(out, weight, face_box, corrections.even_light / 100.0)
        if ramp is not None:
            out *= ramp[..., None]
            if "light" not in done:
                done.append("light")
    if corrections.contrast:
        c = corrections.contrast / 100.0
        factor = CONTRAST_SPAN**c
        mean = float(out.mean())
        out = (out - mean) * factor + mean
        if "light" not in done:
            done.append("light")
    if corrections.brightness:
        out += corrections.brightness / 100.0 * BRIGHTNESS_SPAN
        if "light" not in done:
            done.append("light")
    return np.clip(out + 0.5, 0, 255).astype(np.uint8), tuple(done)


def _even_light_ramp(
    image: NDArray[np.float32],
    person: NDArray[np.float32],
    face_box: tuple[float, float, float, float],
    strength: float,
) -> NDArray[np.float32] | None:
    """A left-to-right gain that lifts the face's darker side towards the lighter one."""
    height, width = person.shape
    x0, y0, x1, y1 = (int(round(v)) for v in face_box)
    x0, x1 = max(0, x0), min(width, x1)
    y0, y1 = max(0, y0), min(height, y1)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    luma = cv2.cvtColor(np.clip(image, 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    face = luma[y0:y1, x0:x1].astype(np.float32)
    half = (x1 - x0) // 2
    left, right = float(np.median(face[:, :half])), float(np.median(face[:, half:]))
    if min(left, right) < 1.0:
        return None
    ratio = (max(left, right) / min(left, right)) ** (strength * EVEN_LIGHT_MAX)
    # Gain 1 on the lit side, `ratio` on the shaded side, linear across the face.
    columns = np.arange(width, dtype=np.float32)
    t = np.clip((columns - x0) / max(1, x1 - x0), 0.0, 1.0)
    gain = 1.0 + (ratio - 1.0) * (1.0 - t if left < right else t)
    ramp = np.ones((height, width), np.float32) * gain[None, :]
    # Only the person: the background is replaced anyway, and the ramp must not tint it.
    return 1.0 + (ramp - 1.0) * np.clip(person, 0.0, 1.0)
