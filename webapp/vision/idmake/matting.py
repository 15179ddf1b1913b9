"""The person's matte: how much of each pixel is the person, hair included.

MediaPipe's selfie segmentation (:func:`webapp.vision.person.segment_person`)
finds the person reliably but at 256x256: upscaled, its edge is a soft blur
that neither follows the hair nor the shoulders. The edge is refined with a
guided filter (He, Sun and Tang, 2013; ``cv2.ximgproc.guidedFilter``) that
takes the photo itself as its guide, so the matte's edge moves to where the
photo's colours change; only a band round the segmentation's edge is
changed, so a busy background cannot pull the matte out into it.
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
#: The guided filter's radius and the band it may change, as shares of the
#: longer side of the working copy.
GUIDE_RADIUS = 0.008
BAND = 0.02
#: The guided filter's regularisation (on 0-1 colours): smaller follows
#: the photo's edges more closely.
GUIDE_EPS = 1e-3


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
    small = (
        image
        if scale == 1.0
        else cv2.resize(
            image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA
        )
    )
    probability = segment_person(small)
    alpha = refine_edge(small, probability)
    if scale != 1.0:
        alpha = cv2.resize(alpha, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.clip(alpha, 0.0, 1.0).astype(np.float32)


def refine_edge(image: NDArray[np.uint8], probability: NDArray[np.float32]) -> NDArray[np.float32]:
    """Sharpen a soft person probability into a matte along the photo's own edges."""
    side = max(image.shape[:2])
    radius = max(2, round(GUIDE_RADIUS * side))
    band = max(3, round(BAND * side))
    guide = image.astype(np.float32) / 255.0
    filtered = cv2.ximgproc.guidedFilter(guide, probability.astype(np.float32), radius, GUIDE_EPS)
    # The upscaled probability is a ramp across the edge; the filter pulls it
    # onto the photo's edge. Stretching around 0.5 turns the ramp into a
    # narrow transition that still leaves hair strands partial.
    alpha = np.clip((filtered - 0.5) * 2.0 + 0.5, 0.0, 1.0)
    hard = (probability >= 0.5).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
    inside = cv2.erode(hard, kernel).astype(bool)
    outside = ~cv2.dilate(hard, kernel).astype(bool)
    alpha[inside] = 1.0
    alpha[outside] = 0.0
    return alpha.astype(np.float32)
