"""A person on a new background: ``compose`` and ``rgba``.

Composing with the matte alone, ``alpha * photo + (1 - alpha) * colour``,
carries the old background into the new one wherever alpha is between 0
and 1: hair keeps a fringe of the old wall. So the person's own colour is
estimated first along the edge and in a thin band inside it
(:func:`estimate_foreground`): the old background near each edge pixel is
estimated from the pixels that are surely background, and removed in
proportion to how much of the pixel it makes up.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from webapp.vision.errors import check_image

from .matting import colour_line_alpha, fill_from

RENDERS = ("plain", "updown", "center")
#: Alpha below this is background, above ``1 - SURE`` person, for the estimate.
SURE = 0.02
#: Width of the band inside the person's edge whose colours are cleaned,
#: as a share of the longer side.
EDGE_ZONE = 0.006


def compose(
    image: NDArray[np.uint8],
    alpha: NDArray[np.float32],
    colour: tuple[int, int, int],
    render: str = "plain",
) -> NDArray[np.uint8]:
    """Put the person of ``image`` on a new background.

    Parameters
    ----------
    image : ndarray of shape (H, W, 3), uint8
        RGB photo. Not modified.
    alpha : ndarray of shape (H, W), float32 in 0-1
        The person's matte (:func:`~webapp.vision.idmake.matting.matte_person`).
    colour : (r, g, b)
        The new background.
    render : {"plain", "updown", "center"}
        ``"plain"`` one colour; ``"updown"`` a studio gradient from
        ``colour`` at the top to white at the bottom (HivisionIDPhotos'
        render 1); ``"center"`` a radial one, white in the middle (render 2).

    Returns
    -------
    ndarray of shape (H, W, 3), uint8
    """
    check_image(image)
    alpha = _check_alpha(alpha, image)
    rgb = _check_colour(colour)
    if render not in RENDERS:
        raise ValueError(f"Unknown background render {render!r}: use plain, updown or center.")
    backdrop = cv2.convertScaleAbs(background(image.shape[:2], rgb, render))
    foreground = estimate_foreground(image, alpha)
    return cv2.blendLinear(foreground, backdrop, alpha, 1.0 - alpha)


def rgba(image: NDArray[np.uint8], alpha: NDArray[np.float32]) -> NDArray[np.uint8]:
    """The person on a transparent background: (H, W, 4) uint8, the colours decontaminated."""
    check_image(image)
    alpha = _check_alpha(alpha, image)
    foreground = estimate_foreground(image, alpha)
    return np.dstack([foreground, cv2.convertScaleAbs(alpha, alpha=255.0)])


def background(
    shape: tuple[int, int], colour: tuple[int, int, int], render: str = "plain"
) -> NDArray[np.float32]:
    """The new background alone, float32 (H, W, 3) in 0-255.

    The gradients are HivisionIDPhotos': ``"updown"`` runs from ``colour`` on
    the top row to white below the bottom row; ``"center"`` from white in the
    middle to ``colour`` at a distance of the photo's longer side (so even the
    corners keep some white).
    """
    height, width = shape
    base = np.asarray(colour, np.float32)
    white = np.full(3, 255.0, np.float32)
    out = np.empty((height, width, 3), np.float32)
    if render == "plain":
        out[:] = base
        return out
    if render == "updown":
        t = (np.arange(height, dtype=np.float32) / height)[:, None, None]
        out[:] = base * (1 - t) + white * t
        return out
    ys, xs = np.ogrid[0:height, 0:width]
    distance = np.hypot(ys - height // 2, xs - width // 2) / max(height, width)
    t = np.clip(distance, 0, 1).astype(np.float32)[..., None]
    return (white * (1 - t) + base * t).astype(np.float32)


def estimate_foreground(image: NDArray[np.uint8], alpha: NDArray[np.float32]) -> NDArray[np.uint8]:
    """The person's own colour at each pixel, uint8 (H, W, 3).

    Away from the edge it is the photo. On the edge (where alpha is partial,
    and a thin band inside the person where a sharp matte may still hold
    some background seen through hair) the old background ``B``, filled in
    from the surely-background pixels around, is taken out:
    ``F = (I - (1 - a) B) / a``. There ``a`` is the pixel's own mix of the
    nearby person and background colours where they differ (never above
    ``alpha``, never below half of it), and ``F`` is pulled towards the
    nearby sure person colour where ``a`` is too small to divide by.
    """
    photo = image.copy()
    partial = (alpha > SURE) & (alpha < 1 - SURE)
    person = (alpha >= 0.5).astype(np.uint8)
    if not partial.any() and (person.all() or not person.any()):
        return photo
    sure_background = alpha <= SURE
    if not sure_background.any():
        return photo  # no old background to take out
    depth = cv2.distanceTransform(person, cv2.DIST_L2, 3)
    zone_width = max(2.0, EDGE_ZONE * max(alpha.shape))
    zone = partial | ((depth > 0) & (depth <= zone_width))
    # Only the zone's pixels, as (N, 3) rows.
    colours = image[zone].astype(np.float32)
    known_person = (depth > zone_width) & (alpha >= 1 - SURE)
    sure_person = fill_from(image, known_person, zone) if known_person.any() else colours
    back = fill_from(image, sure_background, zone)
    given = alpha[zone]
    mix = colour_line_alpha(colours, sure_person, back, given)
    a = np.clip(np.minimum(given, mix), 0.5 * given, 1.0)[:, None]
    solved = np.clip((colours - (1 - a) * back) / np.maximum(a, 1e-3), 0, 255)
    trust = np.clip((a - 0.1) / 0.4, 0, 1)
    cleaned = solved * trust + sure_person * (1 - trust)
    photo[zone] = np.clip(cleaned + 0.5, 0, 255).astype(np.uint8)
    return photo


def _check_alpha(alpha: NDArray[np.float32], image: NDArray[np.uint8]) -> NDArray[np.float32]:
    alpha = np.asarray(alpha)
    if alpha.shape != image.shape[:2]:
        raise ValueError(
            f"The matte is {alpha.shape}, the photo {image.shape[:2]}: they must match."
        )
    alpha = alpha.astype(np.float32, copy=True)
    np.nan_to_num(alpha, copy=False, nan=0.0)
    return np.clip(alpha, 0.0, 1.0, out=alpha)


def _check_colour(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    try:
        r, g, b = (int(v) for v in colour)
    except (TypeError, ValueError):
        raise ValueError(f"A background colour is (r, g, b), not {colour!r}.") from None
    if not all(0 <= v <= 255 for v in (r, g, b)):
        raise ValueError(f"A background colour's values are 0 to 255, not {colour!r}.")
    return r, g, b
