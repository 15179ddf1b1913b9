"""A person on a new background: ``compose`` and ``rgba``.

Composing with the matte alone, ``alpha * photo + (1 - alpha) * colour``,
carries the old background into the new one wherever alpha is between 0
and 1: hair keeps a fringe of the old wall. So the person's own colour is
estimated first along the edge (:func:`estimate_foreground`): the old
background near each edge pixel is estimated from the pixels that are
surely background, and removed in proportion to ``1 - alpha``.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from webapp.vision.errors import check_image

RENDERS = ("plain", "updown", "center")
#: Alpha below this is background, above ``1 - SURE`` person, for the estimate.
SURE = 0.02


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
    backdrop = background(image.shape[:2], rgb, render)
    foreground = estimate_foreground(image, alpha)
    weight = alpha[..., None]
    out = foreground * weight + backdrop * (1.0 - weight)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def rgba(image: NDArray[np.uint8], alpha: NDArray[np.float32]) -> NDArray[np.uint8]:
    """The person on a transparent background: (H, W, 4) uint8, the colours decontaminated."""
    check_image(image)
    alpha = _check_alpha(alpha, image)
    foreground = np.clip(estimate_foreground(image, alpha) + 0.5, 0, 255).astype(np.uint8)
    return np.dstack([foreground, np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8)])


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
    if render == "plain":
        return np.broadcast_to(base, (height, width, 3)).astype(np.float32)
    if render == "updown":
        t = (np.arange(height, dtype=np.float32) / height)[:, None, None]
        return np.broadcast_to(base * (1 - t) + white * t, (height, width, 3)).astype(np.float32)
    ys, xs = np.ogrid[0:height, 0:width]
    distance = np.hypot(ys - height // 2, xs - width // 2) / max(height, width)
    t = np.clip(distance, 0, 1).astype(np.float32)[..., None]
    return (white * (1 - t) + base * t).astype(np.float32)


def estimate_foreground(
    image: NDArray[np.uint8], alpha: NDArray[np.float32]
) -> NDArray[np.float32]:
    """The person's own colour at each pixel, float32 (H, W, 3) in 0-255.

    Where ``alpha`` is 1 it is the photo. On the edge the old background,
    smoothed in from the surely-background pixels around, is taken out:
    ``F = (I - (1 - alpha) B) / alpha``, then pulled towards the nearby sure
    person colour where alpha is small and the division unreliable.
    """
    photo = image.astype(np.float32)
    edge = (alpha > SURE) & (alpha < 1 - SURE)
    if not edge.any():
        return photo
    back = _fill(photo, alpha <= SURE)
    fore = _fill(photo, alpha >= 1 - SURE)
    a = alpha[..., None]
    solved = (photo - (1 - a) * back) / np.maximum(a, 1e-3)
    solved = np.clip(solved, 0, 255)
    trust = np.clip((a - 0.1) / 0.4, 0, 1)
    blended = solved * trust + fore * (1 - trust)
    return np.where(edge[..., None], blended, photo).astype(np.float32)


def _fill(photo: NDArray[np.float32], known: NDArray[np.bool_]) -> NDArray[np.float32]:
    """Every pixel's colour from the nearest ``known`` pixels (push-pull over a pyramid).

    Each level halves the photo, averaging only the known pixels; going back
    up, a pixel with no known pixel under it takes the coarser level's
    colour. Known pixels keep their own colour.
    """
    weight = known.astype(np.float32)
    levels = [(photo * weight[..., None], weight)]
    while min(levels[-1][1].shape) > 4 and levels[-1][1].min() == 0:
        total, count = levels[-1]
        size = (max(1, count.shape[1] // 2), max(1, count.shape[0] // 2))
        levels.append(
            (
                cv2.resize(total, size, interpolation=cv2.INTER_AREA),
                cv2.resize(count, size, interpolation=cv2.INTER_AREA),
            )
        )
    total, count = levels[-1]
    estimate = total / np.maximum(count, 1e-6)[..., None]
    if count.max() <= 0:
        return np.zeros_like(photo)
    estimate[count <= 0] = total.reshape(-1, 3).sum(0) / count.sum()
    for total, count in reversed(levels[:-1]):
        coarse = cv2.resize(
            estimate, (count.shape[1], count.shape[0]), interpolation=cv2.INTER_LINEAR
        )
        share = np.clip(count, 0, 1)[..., None]
        estimate = total / np.maximum(count, 1e-6)[..., None] * share + coarse * (1 - share)
    return estimate.astype(np.float32)


def _check_alpha(alpha: NDArray[np.float32], image: NDArray[np.uint8]) -> NDArray[np.float32]:
    alpha = np.asarray(alpha)
    if alpha.shape != image.shape[:2]:
        raise ValueError(
            f"The matte is {alpha.shape}, the photo {image.shape[:2]}: they must match."
        )
    return np.clip(alpha.astype(np.float32, copy=False), 0.0, 1.0)


def _check_colour(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    try:
        r, g, b = (int(v) for v in colour)
    except (TypeError, ValueError):
        raise ValueError(f"A background colour is (r, g, b), not {colour!r}.") from None
    if not all(0 <= v <= 255 for v in (r, g, b)):
        raise ValueError(f"A background colour's values are 0 to 255, not {colour!r}.")
    return r, g, b
