"""Measures around the face: the hat, the background and the clothes.

The person mask is MediaPipe's selfie segmentation
(:func:`webapp.vision.person.segment_person`). Scores follow the ID-photo
check service's scales; a figure that cannot be measured is ``-1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from .geometry import FaceGeometry, HeadExtent, ramp


def hat_present(
    image: NDArray[np.uint8], mask: NDArray[np.float32], geometry: FaceGeometry, head: HeadExtent
) -> int:
    """Return the check service's ``has_hat``: 1 when the top of the head is not hair.

    Compares the colour of the crown (the head region above the forehead)
    with the hair beside the temples: a crown unlike that hair (chroma delta
    over 25, or lightness over 50, CIE Lab) reads as a hat (with no hair
    beside the temples, a bright or colourful crown). A heuristic:
    bright or colourful hair styles may read as a hat, and a hat in the hair's
    colour is not seen.
    """
    height, width = mask.shape
    fw = geometry.width
    top = int(max(0, head.top))
    forehead = int(geometry.forehead[1])
    if forehead - top < 4:
        return 0
    x0, x1 = (
        int(max(0, geometry.centre_x - 0.25 * fw)),
        int(min(width, geometry.centre_x + 0.25 * fw)),
    )
    crown_rows = slice(top, top + max(2, (forehead - top) // 2))
    crown = image[crown_rows, x0:x1][mask[crown_rows, x0:x1] >= 0.5]
    brow_y = int(geometry.eye_y - 0.35 * geometry.eye_distance)
    band = slice(max(0, brow_y - int(0.2 * fw)), max(1, brow_y))
    sides = []
    for a, b in (
        (geometry.left - 0.15 * fw, geometry.left),
        (geometry.right, geometry.right + 0.15 * fw),
    ):
        a, b = int(max(0, a)), int(min(width, b))
        if b > a:
            region = image[band, a:b][mask[band, a:b] >= 0.5]
            if region.size:
                sides.append(region.reshape(-1, 3))
    if crown.size < 30:
        return 0
    crown_lab = lab_colour(np.median(crown.reshape(-1, 3), axis=0))
    if sides:
        hair_lab = lab_colour(np.median(np.concatenate(sides), axis=0))
        # Hair is lit unevenly: lightness may differ a lot, hue much less.
        chroma = float(np.hypot(crown_lab[1] - hair_lab[1], crown_lab[2] - hair_lab[2]))
        unlike_hair = chroma > 25 or abs(float(crown_lab[0] - hair_lab[0])) > 50
    else:
        unlike_hair = crown_lab[0] > 60 or float(np.hypot(crown_lab[1], crown_lab[2])) > 25
    return int(unlike_hair)


def lab_colour(rgb: NDArray[Any]) -> NDArray[np.float32]:
    """Return the CIE Lab (L 0-100) of one RGB colour (0-255)."""
    pixel = np.asarray(rgb, np.float32).reshape(1, 1, 3) / 255.0
    return cv2.cvtColor(pixel, cv2.COLOR_RGB2LAB).reshape(3)


# --- background and clothes ----------------------------------------------------------------


@dataclass(frozen=True)
class Background:
    """What the background looks like.

    Attributes
    ----------
    colour : tuple of int
        Median RGB.
    clean : int
        The check service's ``background_clean``: 100 plain, 0 cluttered.
    gradual : int
        The check service's ``background_gradual``: 0 even, 100 a strong gradient.
    share : float
        The fraction of the photo measured as background (away from the person).
    edges, residual, spread : float
        Raw figures: edge density, robust colour scatter (CIE76 delta E) left
        after fitting a smooth surface, and that surface's colour range.
    """

    colour: tuple[int, int, int]
    clean: int
    gradual: int
    share: float
    edges: float
    residual: float
    spread: float
    lab: tuple[float, float, float]


#: Background measures run on a copy whose longer side is this long.
BACKGROUND_SIDE = 256
#: Less background than this share of the photo is not measured (a strip
#: beside a large head is mostly the mask's soft edge).
MIN_BACKGROUND_SHARE = 0.05


def measure_background(image: NDArray[np.uint8], mask: NDArray[np.float32]) -> Background | None:
    """Measure the background's colour, clutter and gradient.

    The background is where the person mask is below 0.2, at least 3 % of the
    photo's width away from the person. A quadratic surface is fitted to its
    CIE Lab colour: the surface's range is the gradient (delta E 6 scores 0,
    30 scores 100, less as the scatter left around the surface grows past 8),
    what is left around it (with the edge density) the clutter. Returns None when less than
    MIN_BACKGROUND_SHARE of the photo is background.
    """
    height, width = mask.shape
    factor = BACKGROUND_SIDE / max(height, width)
    size = (max(8, round(width * factor)), max(8, round(height * factor)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    small_mask = cv2.resize(mask, size, interpolation=cv2.INTER_AREA)
    person = (small_mask >= 0.2).astype(np.uint8)
    reach = max(3, int(round(0.03 * size[0])))
    near = cv2.dilate(
        person, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
    )
    region = near == 0
    region[:1], region[-1:], region[:, :1], region[:, -1:] = False, False, False, False
    share = float(region.mean())
    if share < MIN_BACKGROUND_SHARE:
        return None
    lab = cv2.cvtColor(small.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    ys, xs = np.nonzero(region)
    u, v = xs / size[0] * 2 - 1, ys / size[1] * 2 - 1
    design = np.stack([np.ones_like(u), u, v, u * u, u * v, v * v], axis=1)
    values = lab[ys, xs].astype(np.float64)
    coef, *_ = np.linalg.lstsq(design, values, rcond=None)
    residual = np.linalg.norm(values - design @ coef, axis=1)
    # Refit on the pixels the first fit explains best: objects in front of a
    # plain wall must not read as a gradient.
    keep = residual <= max(np.percentile(residual, 60), 2.0)
    if keep.sum() >= 12:
        coef, *_ = np.linalg.lstsq(design[keep], values[keep], rcond=None)
    fitted = design @ coef
    residual = np.linalg.norm(values - fitted, axis=1)
    scatter = float(np.percentile(residual, 90))
    centre = np.median(fitted, axis=0)
    spread = 2.0 * float(np.percentile(np.linalg.norm(fitted - centre, axis=1), 95))
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    edges = cv2.Canny(grey, 40, 100) > 0
    inner = cv2.erode(region.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    density = float(edges[inner].mean()) if inner.any() else 0.0
    clutter = max(density / 0.04, (scatter - 4.0) / 16.0)
    # A gradient is a smooth change the surface explains: with much left
    # unexplained (clutter) the background does not read as one.
    smooth = float(np.clip((16.0 - scatter) / 8.0, 0.0, 1.0))
    colour = np.median(small[ys, xs], axis=0)
    lab_median = np.median(values, axis=0)
    return Background(
        colour=tuple(int(round(c)) for c in colour),  # type: ignore[arg-type]
        clean=int(round(100 * float(np.clip(1.0 - clutter, 0.0, 1.0)))),
        gradual=int(round(ramp(spread, 6.0, 30.0) * smooth)),
        share=share,
        edges=density,
        residual=scatter,
        spread=spread,
        lab=tuple(float(c) for c in lab_median),  # type: ignore[arg-type]
    )


def clothes_similarity(
    image: NDArray[np.uint8],
    mask: NDArray[np.float32],
    geometry: FaceGeometry,
    background: Background,
) -> tuple[int, float]:
    """Return the check service's ``bf_similarity`` (100 unlike, 0 same colour) and the share alike.

    Clothes are the person's pixels below the neck (from the chin down by
    0.6 of the eye-to-chin distance). The share of them within delta E 15
    (CIE76) of the background's colour is the raw figure: 0 % scores 100,
    50 % or more scores 0 (a white shirt on a white background can hardly be
    told apart). -1 when too little clothing is in the photo.
    """
    height, width = mask.shape
    start = int(geometry.chin[1] + 0.6 * (geometry.chin[1] - geometry.eye_y))
    if start >= height:
        return -1, 0.0
    step = max(1, int(max(height, width) / 256))
    rows = mask[start::step, ::step] >= 0.9
    if rows.sum() < 0.005 * (height / step) * (width / step):
        return -1, 0.0
    pixels = image[start::step, ::step][rows].astype(np.float32).reshape(-1, 1, 3) / 255.0
    lab = cv2.cvtColor(pixels, cv2.COLOR_RGB2LAB).reshape(-1, 3)
    alike = float(
        (np.linalg.norm(lab - np.asarray(background.lab, np.float32), axis=1) < 15.0).mean()
    )
    return int(round(ramp(alike, 0.5, 0.0))), alike
