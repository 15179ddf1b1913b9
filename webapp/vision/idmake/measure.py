"""Measures of a matte and its composition: CIEDE2000 colour differences.

:func:`delta_e2000` is the colour difference the print trade uses (about 1
is the smallest a trained eye sees side by side, 2-3 what an ordinary
viewer notices). :func:`halo_delta_e` measures how far the thin band just
outside the person, once composed on a new background, is from that
background: the old background carried along ("a halo") or a hard cut both
raise it. :func:`background_delta_e` does the same for the background away
from the person.

The halo measure looks only outside the matte's edge: it rewards a sharp
edge, and cannot see old background the matte wrongly holds inside the
person (judge that on crops, as ``bench/idmake_matting.py --crops`` saves).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from .background import compose

#: Width of the band outside the person that :func:`halo_delta_e` measures,
#: as a share of the photo's longer side (at least 2 pixels).
HALO_BAND = 0.004
#: The band starts this many pixels outside the person's edge (alpha 0.5).
HALO_OFFSET = 1

# sRGB (D65) to XYZ, and the D65 white.
_RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_WHITE = np.array([0.95047, 1.0, 1.08883])


def rgb_to_lab(rgb: Any) -> NDArray[np.float64]:
    """CIE L*a*b* (D65) of sRGB colours, shape (..., 3) in 0-255."""
    values = np.asarray(rgb, np.float64) / 255.0
    linear = np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _RGB_TO_XYZ.T / _WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


def delta_e2000(rgb_a: Any, rgb_b: Any) -> NDArray[np.float64]:
    """CIEDE2000 difference between sRGB colours, vectorised.

    Parameters
    ----------
    rgb_a, rgb_b : array_like of shape (..., 3), 0-255
        Colours; they broadcast against each other (a whole image against
        one colour, for example).

    Returns
    -------
    ndarray of shape (...)
        The differences (0 for equal colours).

    Examples
    --------
    >>> round(float(delta_e2000((255, 255, 255), (250, 250, 250))), 2)
    1.0
    """
    return delta_e2000_lab(rgb_to_lab(rgb_a), rgb_to_lab(rgb_b))


def delta_e2000_lab(lab_a: Any, lab_b: Any) -> NDArray[np.float64]:
    """CIEDE2000 between CIE L*a*b* colours of shape (..., 3) (Sharma, Wu and Dalal, 2005)."""
    lab1, lab2 = np.broadcast_arrays(np.asarray(lab_a, np.float64), np.asarray(lab_b, np.float64))
    l1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    l2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_mean**7 / (c_mean**7 + 25.0**7)))
    a1p, a2p = a1 * (1 + g), a2 * (1 + g)
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    d_l = l2 - l1
    d_c = c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(c1p * c2p == 0, 0, dh)
    d_h = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    l_mean = (l1 + l2) / 2
    cp_mean = (c1p + c2p) / 2
    h_sum = h1p + h2p
    h_mean = np.where(
        c1p * c2p == 0,
        h_sum,
        np.where(
            np.abs(h1p - h2p) <= 180,
            h_sum / 2,
            np.where(h_sum < 360, (h_sum + 360) / 2, (h_sum - 360) / 2),
        ),
    )
    t = (
        1
        - 0.17 * np.cos(np.radians(h_mean - 30))
        + 0.24 * np.cos(np.radians(2 * h_mean))
        + 0.32 * np.cos(np.radians(3 * h_mean + 6))
        - 0.20 * np.cos(np.radians(4 * h_mean - 63))
    )
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / np.sqrt(20 + (l_mean - 50) ** 2)
    s_c = 1 + 0.045 * cp_mean
    s_h = 1 + 0.015 * cp_mean * t
    r_t = (
        -2
        * np.sqrt(cp_mean**7 / (cp_mean**7 + 25.0**7))
        * np.sin(np.radians(60 * np.exp(-(((h_mean - 275) / 25) ** 2))))
    )
    return np.sqrt(
        (d_l / s_l) ** 2 + (d_c / s_c) ** 2 + (d_h / s_h) ** 2 + r_t * (d_c / s_c) * (d_h / s_h)
    )


def halo_band(alpha: NDArray[np.float32]) -> NDArray[np.bool_]:
    """The thin band just outside the person (alpha >= 0.5), ``HALO_BAND`` of the long side wide."""
    person = (alpha >= 0.5).astype(np.uint8)
    distance = cv2.distanceTransform(1 - person, cv2.DIST_L2, 3)
    width = max(2.0, HALO_BAND * max(alpha.shape))
    return (distance > HALO_OFFSET) & (distance <= HALO_OFFSET + width)


def halo_delta_e(
    image: NDArray[np.uint8], alpha: NDArray[np.float32], colour: tuple[int, int, int]
) -> float:
    """Mean CIEDE2000 between ``colour`` and the band just outside the person, once composed on it.

    The photo is composed with :func:`~webapp.vision.idmake.background.compose`
    (plain ``colour``); 0 means the band is exactly the new background. The
    old background left in the band, or the person's hard outline, raises it.
    Returns 0.0 when the matte has no person.
    """
    composed = compose(image, alpha, colour)
    band = halo_band(alpha)
    if not band.any():
        return 0.0
    return float(delta_e2000(composed[band], colour).mean())


def background_delta_e(
    composed: NDArray[np.uint8], alpha: NDArray[np.float32], colour: tuple[int, int, int]
) -> float:
    """Mean CIEDE2000 between ``colour`` and the composed background away from the person.

    "Away" is beyond the halo band: alpha below 0.5 and farther than the band's outer edge.
    """
    person = (alpha >= 0.5).astype(np.uint8)
    distance = cv2.distanceTransform(1 - person, cv2.DIST_L2, 3)
    width = max(2.0, HALO_BAND * max(alpha.shape))
    away = distance > HALO_OFFSET + width
    if not away.any():
        return 0.0
    return float(delta_e2000(composed[away], colour).mean())
