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
WORK_SIDE = 640
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
#: Separate pieces of the matte smaller than this share of the largest are
#: specks of background, cleared.
ISLAND_SHARE = 0.02
#: The fast guided filter solves its coefficients at 1/FAST_STEP of the size.
FAST_STEP = 4
#: The colour fills (sure person, sure background) are computed on a copy
#: whose longer side is at most this: they are smooth by nature.
FILL_SIDE = 256
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
    inside = cv2.distanceTransform(hard, cv2.DIST_L2, 3) > band
    outside = cv2.distanceTransform(1 - hard, cv2.DIST_L2, 3) > band
    photo = image.astype(np.float32)
    guide = photo / 255.0

    # 1. The ramp onto the photo's edges (a colour guide: red hair on a
    # green wall has no edge in grey).
    radius = max(2, round(GUIDE_RADIUS * side))
    prior = fast_guided_filter(guide, probability.astype(np.float32), radius, GUIDE_EPS)
    prior = np.clip((prior - 0.5) * 2.0 + 0.5, 0.0, 1.0)

    # 2. Each pixel between the nearest sure colours.
    person = fill_from(image, inside | (prior > 0.98))
    backdrop = fill_from(image, outside | (prior < 0.02))
    alpha = colour_line_alpha(photo, person, backdrop, prior)

    # 3. Narrow the transition; the colours have spoken, a grey guide is enough.
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    for share, stretch in FINE_PASSES:
        radius = max(1, round(share * side))
        alpha = cv2.ximgproc.guidedFilter(grey, alpha, radius, GUIDE_EPS)
        alpha = np.clip((alpha - 0.5) * stretch + 0.5, 0.0, 1.0)
    alpha[inside] = 1.0
    alpha[outside] = 0.0
    return _without_islands(alpha)


def _without_islands(alpha: NDArray[np.float32]) -> NDArray[np.float32]:
    """Clear the small patches of background the segmentation took for the person.

    A speck of a busy background (a leaf, a light) comes out as a separate
    island of the matte; the person is one large piece (two or three when an
    arm or the hair is cut off by a gap). Islands smaller than
    ``ISLAND_SHARE`` of the largest piece are cleared.
    """
    support = (alpha > 0.02).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(support, connectivity=8)
    if count <= 2:
        return alpha
    areas = stats[1:, cv2.CC_STAT_AREA]
    small = np.flatnonzero(areas < ISLAND_SHARE * areas.max()) + 1
    if small.size:
        alpha[np.isin(labels, small)] = 0.0
    return alpha


def fast_guided_filter(
    guide: NDArray[np.float32], source: NDArray[np.float32], radius: int, eps: float
) -> NDArray[np.float32]:
    """The guided filter with a colour guide, its coefficients computed on a smaller copy.

    He and Sun's fast guided filter (2015): the linear coefficients vary
    slowly, so they are solved at ``1 / FAST_STEP`` of the size and applied
    to the full-size guide. ``cv2.ximgproc.guidedFilter`` with a colour guide
    costs about 100 ms on a 1000-pixel photo; this about a tenth.
    """
    height, width = source.shape
    step = max(1, min(FAST_STEP, radius))
    size = (max(1, round(width / step)), max(1, round(height / step)))
    small = cv2.resize(guide, size, interpolation=cv2.INTER_AREA)
    target = cv2.resize(source, size, interpolation=cv2.INTER_AREA)
    r = max(1, round(radius / step))

    def box(values: NDArray[np.float32]) -> NDArray[np.float32]:
        return cv2.boxFilter(values, -1, (2 * r + 1, 2 * r + 1))

    mean = box(small)
    mean_p = box(target)
    cov = box(small * target[..., None]) - mean * mean_p[..., None]
    red, green, blue = small[..., 0], small[..., 1], small[..., 2]
    vrr = box(red * red) - mean[..., 0] ** 2 + eps
    vrg = box(red * green) - mean[..., 0] * mean[..., 1]
    vrb = box(red * blue) - mean[..., 0] * mean[..., 2]
    vgg = box(green * green) - mean[..., 1] ** 2 + eps
    vgb = box(green * blue) - mean[..., 1] * mean[..., 2]
    vbb = box(blue * blue) - mean[..., 2] ** 2 + eps
    # The 3x3 covariance's inverse, by its adjugate.
    irr = vgg * vbb - vgb * vgb
    irg = vgb * vrb - vrg * vbb
    irb = vrg * vgb - vgg * vrb
    igg = vrr * vbb - vrb * vrb
    igb = vrb * vrg - vrr * vgb
    ibb = vrr * vgg - vrg * vrg
    det = vrr * irr + vrg * irg + vrb * irb
    c0, c1, c2 = cov[..., 0], cov[..., 1], cov[..., 2]
    a0 = (irr * c0 + irg * c1 + irb * c2) / det
    a1 = (irg * c0 + igg * c1 + igb * c2) / det
    a2 = (irb * c0 + igb * c1 + ibb * c2) / det
    b = mean_p - a0 * mean[..., 0] - a1 * mean[..., 1] - a2 * mean[..., 2]
    coefficients = np.dstack([box(a0), box(a1), box(a2), box(b)])
    if step > 1:
        coefficients = cv2.resize(coefficients, (width, height), interpolation=cv2.INTER_LINEAR)
    out = np.einsum("ijk,ijk->ij", coefficients[..., :3], guide) + coefficients[..., 3]
    return out.astype(np.float32)


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
    squared = np.einsum("...k,...k->...", difference, difference)
    along = np.einsum("...k,...k->...", photo - backdrop, difference) / (squared + 1e-6)
    trust = np.clip(np.sqrt(squared) / COLOUR_CONTRAST, 0.0, 1.0)
    return (trust * np.clip(along, 0.0, 1.0) + (1.0 - trust) * prior).astype(np.float32)


def fill_from(
    photo: NDArray[np.uint8] | NDArray[np.float32],
    known: NDArray[np.bool_],
    where: NDArray[np.bool_] | None = None,
) -> NDArray[np.float32]:
    """Every pixel's colour from the nearest ``known`` pixels (push-pull over a pyramid).

    Each level halves the picture, averaging only the known pixels; going
    back up, a pixel with no known pixel under it takes the coarser level's
    colour. Computed on a copy at most ``FILL_SIDE`` pixels long and scaled
    back: the result is a smooth estimate of the colours nearby. With
    ``where``, only those pixels' colours are returned, as (N, 3) rows in
    ``np.nonzero(where)`` order.
    """
    height, width = known.shape
    scale = min(1.0, FILL_SIDE / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    mask = known.astype(np.uint8)
    if photo.dtype == np.uint8:
        # Masked and averaged in 8 bits: the fill is a smooth estimate, and
        # this is several times cheaper than float arithmetic at full size.
        total = cv2.resize(
            cv2.bitwise_and(photo, photo, mask=mask), size, interpolation=cv2.INTER_AREA
        )
        weight = cv2.resize(mask * np.uint8(255), size, interpolation=cv2.INTER_AREA)
        total = total.astype(np.float32)
        weight = weight.astype(np.float32) / 255.0
    else:
        total = cv2.resize(photo * mask[..., None], size, interpolation=cv2.INTER_AREA)
        weight = cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    if weight.max() <= 0:
        return np.zeros((height, width, 3), np.float32)
    levels = [(total, weight)]
    while min(levels[-1][1].shape) > 2 and levels[-1][1].min() == 0:
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
    estimate[count <= 0] = total.reshape(-1, 3).sum(0) / count.sum()
    for total, count in reversed(levels[:-1]):
        coarse = cv2.resize(
            estimate, (count.shape[1], count.shape[0]), interpolation=cv2.INTER_LINEAR
        )
        share = np.clip(count, 0, 1)[..., None]
        estimate = total / np.maximum(count, 1e-6)[..., None] * share + coarse * (1 - share)
    if where is not None and not where.any():
        return np.zeros((0, 3), np.float32)
    estimate = estimate.astype(np.float32)
    if where is not None:
        ys, xs = np.nonzero(where)
        count = len(xs)
        # remap wants maps under 32767 a side: the points as rows of 1024.
        rows = -(-count // 1024)
        map_x = np.zeros(rows * 1024, np.float32)
        map_y = np.zeros(rows * 1024, np.float32)
        map_x[:count] = (xs + 0.5) * (estimate.shape[1] / width) - 0.5
        map_y[:count] = (ys + 0.5) * (estimate.shape[0] / height) - 0.5
        picked = cv2.remap(
            estimate,
            map_x.reshape(rows, 1024),
            map_y.reshape(rows, 1024),
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        return picked.reshape(-1, 3)[:count]
    if estimate.shape[:2] != (height, width):
        estimate = cv2.resize(estimate, (width, height), interpolation=cv2.INTER_LINEAR)
    return estimate
