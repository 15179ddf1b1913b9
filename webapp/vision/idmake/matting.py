"""The person's matte: how much of each pixel is the person, hair included.

MediaPipe's selfie segmentation (:func:`webapp.vision.person.segment_person`)
finds the person reliably but at 256x256: upscaled, its edge is a ramp
several pixels wide that follows neither the hair nor the shoulders, and
composed on a new colour it leaves a fringe of the old background. The edge
is refined in three steps, only in a band round the segmentation's edge (so
a busy background cannot pull the matte out into it):

1. a guided filter (He, Sun and Tang, 2013; ``cv2.ximgproc.guidedFilter``)
   with the photo as its guide moves the ramp onto the photo's own edges;
2. each band pixel's colour is placed between the nearest sure-person and
   sure-background colours (a colour-line estimate): background showing
   between curls or through thin hair drops out where the two colours
   differ, the filtered prior stays where they do not;
3. two finer guided passes, each followed by a stretch around 0.5, narrow
   the transition to a pixel or two along the photo's edges: no hard
   staircase, no wide ramp carrying the old background.

Measured against a plain guided filter and closed-form matting (pymatting)
in ``bench/idmake_matting.py``; see ``docs/engine.md``.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from webapp.vision.errors import check_image
from webapp.vision.person import segment_person

#: The matte is computed on a copy whose longer side is at most this (pixels)
#: and scaled back; the segmentation itself runs at 256x256.
WORK_SIDE = 1024
#: Half the width of the band round the segmentation's edge that may change,
#: as a share of the working copy's longer side.
BAND = 0.02
#: The first guided pass's radius, and the finer passes' (radius, stretch),
#: radii as shares of the longer side.
GUIDE_RADIUS = 0.008
FINE_PASSES = ((0.004, 2.0), (0.002, 2.0))
#: The guided filter's regularisation (on 0-1 colours): smaller follows
#: the photo's edges more closely.
GUIDE_EPS = 1e-3
#: Sure-person and background colours closer than this (0-255 RGB distance)
#: say little about a pixel between them: the colour estimate is trusted in
#: proportion up to it.
COLOUR_CONTRAST = 50.0


def matte_person(image: NDArray[np.uint8]) -> NDArray[np.float32]:
    """Return the person's alpha matte, shape (H, W), float32 in 0-1.

    Parameters
    ----------
    image : ndarray of shape (H, W, 3), uint8
        RGB photo. Not modified.

    Returns
    -------
    alpha : ndarray of shape (H, W), float32
        1 on the person (hair included), 0 on the background, in between
        on the edge where hair and background mix.
    """
    check_image(image)
    height, width = image.shape[:2]
    scale = min(1.0, WORK_SIDE / max(height, width))
    small = image
    if scale != 1.0:
        size = (round(width * scale), round(height * scale))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    probability = segment_person(small)
    alpha = refine_edge(small, probability)
    if scale != 1.0:
        alpha = cv2.resize(alpha, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.clip(alpha, 0.0, 1.0).astype(np.float32)


def refine_edge(image: NDArray[np.uint8], probability: NDArray[np.float32]) -> NDArray[np.float32]:
    """Turn a soft person probability into a matte along the photo's own edges."""
    side = max(image.shape[:2])
    band = max(3, round(BAND * side))
    hard = (probability >= 0.5).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
    inside = cv2.erode(hard, kernel).astype(bool)
    outside = ~cv2.dilate(hard, kernel).astype(bool)
    guide = image.astype(np.float32) / 255.0

    # 1. The ramp onto the photo's edges.
    radius = max(2, round(GUIDE_RADIUS * side))
    prior = cv2.ximgproc.guidedFilter(guide, probability.astype(np.float32), radius, GUIDE_EPS)
    prior = np.clip((prior - 0.5) * 2.0 + 0.5, 0.0, 1.0)

    # 2. Each pixel between the nearest sure colours.
    photo = image.astype(np.float32)
    person = fill_from(photo, inside | (prior > 0.98))
    backdrop = fill_from(photo, outside | (prior < 0.02))
    alpha = colour_line_alpha(photo, person, backdrop, prior)

    # 3. Narrow the transition.
    for share, stretch in FINE_PASSES:
        radius = max(1, round(share * side))
        alpha = cv2.ximgproc.guidedFilter(guide, alpha, radius, GUIDE_EPS)
        alpha = np.clip((alpha - 0.5) * stretch + 0.5, 0.0, 1.0)
    alpha[inside] = 1.0
    alpha[outside] = 0.0
    return alpha.astype(np.float32)


def colour_line_alpha(
    photo: NDArray[np.float32],
    person: NDArray[np.float32],
    backdrop: NDArray[np.float32],
    prior: NDArray[np.float32],
) -> NDArray[np.float32]:
    """Where each colour lies between the person's and the background's, trusted by their contrast.

    ``alpha = (I - B) . (F - B) / |F - B|^2`` (the pixel as a mix of the two
    colours), blended with ``prior`` where ``F`` and ``B`` are too alike to tell.
    """
    difference = person - backdrop
    squared = np.einsum("ijk,ijk->ij", difference, difference)
    along = np.einsum("ijk,ijk->ij", photo - backdrop, difference) / (squared + 1e-6)
    trust = np.clip(np.sqrt(squared) / COLOUR_CONTRAST, 0.0, 1.0)
    return (trust * np.clip(along, 0.0, 1.0) + (1.0 - trust) * prior).astype(np.float32)


def fill_from(photo: NDArray[np.float32], known: NDArray[np.bool_]) -> NDArray[np.float32]:
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
