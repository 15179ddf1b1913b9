"""The hairline: Face++'s ``face_hairline`` sequence, above the face's visible outline.

The 478-point mesh stops on the forehead, well below the hair. Face++'s
hairline (seen in its published example responses) runs up the side of the
face from about the level of the nose, along the temples and across the top
where the forehead skin meets the hair. This module finds that line:

1. A frame from the mesh (:func:`webapp.vision.mesh.face_frame`): the centre
   between the outer eye corners, ``across`` (image-right for an upright
   face) and ``up`` (towards the forehead); polar coordinates about the face
   oval's centroid.
2. The visible outline (:func:`webapp.vision.landmarks.outline.face_outline`):
   the mesh's face oval, pushed out wherever other mesh points project beyond
   it (a head turned sideways hides the far side of the oval behind the cheek).
3. A skin colour model learned from the face itself: a Gaussian in CIE Lab
   fitted (robustly) to pixels of the glabella, the nose bridge and the
   cheeks, its lightness variance widened because the forehead is lit
   differently from the cheeks.
4. Rays across the top of the head, searched outwards from inside the
   forehead: the hairline on a ray is where the run of skin that starts on the
   forehead ends. A ray whose start is not skin (a fringe, a hat), whose skin
   never ends or ends implausibly far (a bald or shaved head, a skin-coloured
   background) or at the photo's border gives nothing.
5. The radii found are filled across gaps, median-filtered and smoothed, then
   blended with the outline: on the sides of the face the line *is* the
   outline, over the forehead it is the skin edge.

When too few rays find an edge (weighted towards the top of the head), the
line is estimated from facial proportions instead: the forehead's height
(hairline to glabella) is taken as 0.95 of the glabella-to-subnasale distance,
the classic "facial thirds", and the outline's top raised to it. The result
says which method was used.

Everything runs on a downscaled crop of the head (the outer eye corners about
48 px apart), so the search costs a few milliseconds whatever the photo's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from ..errors import check_image
from ..mesh import (
    GLABELLA,
    LEFT_TEMPLE,
    LEFT_UPPER_TEMPLE,
    RIGHT_TEMPLE,
    RIGHT_UPPER_TEMPLE,
    SKIN_SAMPLES,
    SUBNASALE,
    FaceFrame,
)
from .curves import resample
from .outline import Outline, face_outline

#: Number of points of Face++'s ``face_hairline`` sequence.
HAIRLINE_POINTS = 145

Method = Literal["skin", "estimate"]

# Oval points bounding the forehead search (temple to temple over the top) and
# where the skin edge takes over fully from the oval (the upper temples).
_SEARCH_ENDS = (RIGHT_TEMPLE, LEFT_TEMPLE)
_BLEND_FULL = (RIGHT_UPPER_TEMPLE, LEFT_UPPER_TEMPLE)

#: Where Face++'s hairline starts and ends on the sides of the face, as a level
#: between the outer eye corners (0) and the chin (1). From Face++'s example
#: responses: it starts about a quarter of the way down to the chin.
HAIRLINE_SIDE_LEVEL = 0.23
#: Forehead height (trichion to glabella) per glabella-to-subnasale distance.
FOREHEAD_RATIO = 0.95

_WORK_EYE_DISTANCE = 48.0  # outer eye-corner distance in the working crop, pixels
_RAYS = 41
_SAMPLES = 72  # per ray
_START = 0.82  # search starts at this fraction of the outline's radius (above the brows)
_START_SKIN = 0.6  # ... where at least this share of the samples must be skin
_EDGE_RUN = 5  # non-skin samples in a row that end the skin run
_BAND = (0.7, 1.4)  # an edge counts between these multiples of the estimated radius
_ABOVE_OVAL = 0.85  # ... and not below this multiple of the oval's radius
_SKIN_D2 = 12.0  # squared Mahalanobis distance below which a pixel is skin
_L_WIDEN = 1.5  # the skin's lightness spread is widened this much...
_L_SPREAD = (12.0, 28.0)  # ... and kept within these bounds (Lab units of 0-255)
_MIN_COVERAGE = 0.55  # weighted share of rays that must find an edge
_PLAUSIBLE = (0.72, 1.6)  # found / estimated forehead radius at the top


@dataclass(frozen=True)
class Hairline:
    """The hairline of one face.

    Attributes
    ----------
    points : ndarray of shape (145, 2) and dtype float64
        ``(x, y)`` pixels, origin top-left, evenly spaced along the line from
        the image-right side of the face, over the top, to the image-left side
        (counter-clockwise on screen, as Face++ orders ``face_hairline``).
    method : {'skin', 'estimate'}
        ``'skin'`` when the line follows the skin edge found in the photo;
        ``'estimate'`` when it was estimated from facial proportions because
        the forehead is covered, the head is bald or shaved, or the edge found
        was implausible.
    coverage : float
        Share (0 to 1, weighted towards the top of the head) of the search
        rays that found a skin edge.
    """

    points: NDArray[np.float64]
    method: Method
    coverage: float

    @property
    def estimated(self) -> bool:
        """True when the line is an estimate rather than a detected edge."""
        return self.method == "estimate"


def find_hairline(
    image: NDArray[np.uint8], mesh: NDArray[np.floating], *, outline: Outline | None = None
) -> Hairline:
    """Find the hairline of the face a mesh was fitted to.

    Parameters
    ----------
    image : ndarray of shape (H, W, 3) and dtype uint8
        The RGB photo the mesh belongs to. It is not modified.
    mesh : ndarray of shape (478, 3) or (468, 3)
        MediaPipe face mesh in pixels of ``image`` (``x``, ``y``, ``z``), as in
        :class:`~webapp.vision.faces.Face`.
    outline : Outline, optional
        ``face_outline(mesh)``, when the caller has it already (then ``mesh``
        is not read again).

    Returns
    -------
    Hairline
        145 points in pixels (origin top-left, ``x`` = column, ``y`` = row;
        they may lie outside the photo when the head is cut by its border),
        the method used and the share of rays that found an edge.

    Raises
    ------
    InvalidImageError
        If ``image`` is not an (H, W, 3) uint8 array.
    ValueError
        If ``mesh`` does not have at least 468 rows of 2 or more columns.
    """
    check_image(image)
    if outline is None:
        outline = face_outline(mesh)
    xy, frame = outline.xy, outline.frame
    theta = np.linspace(*_side_angles(outline), 240)
    base = outline.radius_at(theta)
    weight = _blend_weight(theta, outline)
    estimate = _estimated_radius(outline, theta, base, weight)

    ray_theta = np.linspace(*frame.polar(xy[list(_SEARCH_ENDS)])[0], _RAYS)
    ray_weight = np.interp(ray_theta, theta, weight)
    ray_estimate = np.interp(ray_theta, theta, estimate)
    found = _search_rays(image, outline, ray_theta, ray_estimate)
    coverage = float(np.sum(ray_weight * np.isfinite(found)) / max(np.sum(ray_weight), 1e-9))
    top = _smoothed(found, ray_estimate, coverage, ray_weight)
    if top is None:
        method: Method = "estimate"
        radius = estimate
    else:
        method = "skin"
        radius = base + weight * (np.interp(theta, ray_theta, top) - base)
    points = resample(frame.cartesian(theta, radius), HAIRLINE_POINTS)
    points.flags.writeable = False
    return Hairline(points=points, method=method, coverage=coverage)


def _side_angles(outline: Outline) -> tuple[float, float]:
    """Angles of the outline at ``HAIRLINE_SIDE_LEVEL`` on the image-right and image-left sides."""
    main = (outline.theta > -np.pi / 2) & (outline.theta <= 1.5 * np.pi)
    theta = outline.theta[main]
    level = outline.frame.level(outline.frame.cartesian(theta, outline.radius[main]))
    mid = np.pi / 2
    right = (theta < mid) & (level <= HAIRLINE_SIDE_LEVEL)
    left = (theta > mid) & (level <= HAIRLINE_SIDE_LEVEL)
    start = float(theta[right][0]) if right.any() else float(theta[0])
    end = float(theta[left][-1]) if left.any() else float(theta[-1])
    return start, end


def _blend_weight(theta: NDArray[np.float64], outline: Outline) -> NDArray[np.float64]:
    """0 on the sides (the outline), 1 over the top (the skin edge), smooth in between."""
    ends = outline.frame.polar(outline.xy[list(_SEARCH_ENDS)])[0]
    full = outline.frame.polar(outline.xy[list(_BLEND_FULL)])[0]
    rise = _smoothstep((theta - ends[0]) / max(full[0] - ends[0], 1e-6))
    fall = _smoothstep((ends[1] - theta) / max(ends[1] - full[1], 1e-6))
    return np.minimum(rise, fall)


def _smoothstep(x: NDArray[np.float64]) -> NDArray[np.float64]:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _estimated_radius(
    outline: Outline,
    theta: NDArray[np.float64],
    base: NDArray[np.float64],
    weight: NDArray[np.float64],
) -> NDArray[np.float64]:
    """The outline raised over the forehead to a hairline set by the facial thirds.

    Raising (not scaling) keeps the face's width: the sides stay on the
    outline and the top becomes the flatter arch of a hairline.
    """
    xy, frame = outline.xy, outline.frame
    glabella = xy[GLABELLA]
    third = float(np.linalg.norm(glabella - xy[SUBNASALE]))
    trichion = float((glabella - frame.centre) @ frame.up) + FOREHEAD_RATIO * third
    oval = frame.cartesian(theta, base)
    rise = max(trichion - float(((oval - frame.centre) @ frame.up).max()), 0.0)
    raised = oval + (weight * rise)[:, None] * frame.up
    raised_theta, raised_radius = frame.polar(raised)
    order = np.argsort(raised_theta, kind="stable")
    return np.interp(theta, raised_theta[order], raised_radius[order])


# --- skin search -------------------------------------------------------------------


def _search_rays(
    image: NDArray[np.uint8],
    outline: Outline,
    theta: NDArray[np.float64],
    estimate: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Radius (pixels) where the forehead's skin ends on each ray; NaN where none.

    An edge counts only between ``_BAND`` times the estimated hairline and
    not below the outline: skin that goes on much higher is a bald or shaved
    head, or a background that looks like skin.
    """
    xy, frame = outline.xy, outline.frame
    base = outline.radius_at(theta)
    start = _START * base
    stop = _BAND[1] * estimate
    radius = start[:, None] + np.linspace(0.0, 1.0, _SAMPLES)[None, :] * (stop - start)[:, None]
    points = frame.cartesian(np.repeat(theta, _SAMPLES), radius.ravel())
    lab, to_work, inside = _work_image(image, points, frame)
    work = points @ to_work[:, :2].T + to_work[:, 2]
    cols = np.rint(work[:, 0]).astype(np.intp)
    rows = np.rint(work[:, 1]).astype(np.intp)
    h, w = lab.shape[:2]
    valid = inside & (cols >= 0) & (cols < w) & (rows >= 0) & (rows < h)
    samples = lab[np.clip(rows, 0, h - 1), np.clip(cols, 0, w - 1)]
    mean, inverse = _skin_model(lab, xy[list(SKIN_SAMPLES)] @ to_work[:, :2].T + to_work[:, 2])
    diff = samples - mean
    d2 = np.einsum("ij,jk,ik->i", diff, inverse, diff)
    shape = (len(theta), _SAMPLES)
    edge = _skin_edges((d2 < _SKIN_D2).reshape(shape), valid.reshape(shape))
    rows_k = np.arange(len(theta))
    found = np.where(edge >= 0, radius[rows_k, np.maximum(edge, 0)], np.nan)
    lowest = np.maximum(_ABOVE_OVAL * base, _BAND[0] * estimate)
    return np.where(found >= lowest, found, np.nan)


def _work_image(
    image: NDArray[np.uint8], points: NDArray[np.float64], frame: FaceFrame
) -> tuple[NDArray[np.float32], NDArray[np.float64], NDArray[np.bool_]]:
    """A small, slightly blurred Lab crop covering ``points`` and the face.

    Returns the crop, the 2x3 affine from photo pixels to crop pixels, and
    which of ``points`` lie inside the photo.
    """
    height, width = image.shape[:2]
    inside = (
        (points[:, 0] >= 0)
        & (points[:, 0] <= width - 1)
        & (points[:, 1] >= 0)
        & (points[:, 1] <= height - 1)
    )
    margin = 0.25 * frame.eye_distance
    lo = np.floor(
        np.minimum(points.min(axis=0), frame.centre + frame.chin_level * -frame.up) - margin
    )
    hi = np.ceil(np.maximum(points.max(axis=0), frame.centre) + margin)
    x0, y0 = int(max(lo[0], 0)), int(max(lo[1], 0))
    x1, y1 = int(min(hi[0], width)), int(min(hi[1], height))
    scale = min(1.0, _WORK_EYE_DISTANCE / frame.eye_distance)
    crop = image[y0:y1, x0:x1]
    size = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
    small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA) if scale < 1 else crop
    small = cv2.GaussianBlur(small, (3, 3), 0)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
    sx, sy = size[0] / max(x1 - x0, 1), size[1] / max(y1 - y0, 1)
    to_work = np.array([[sx, 0.0, -x0 * sx], [0.0, sy, -y0 * sy]])
    return lab, to_work, inside


def _skin_model(
    lab: NDArray[np.float32], centres: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean and inverse covariance of the skin around ``centres`` (crop pixels)."""
    h, w = lab.shape[:2]
    offsets = np.array([(dx, dy) for dy in (-1, 0, 1) for dx in (-1, 0, 1)])
    spots = (np.rint(centres)[:, None, :] + offsets[None, :, :]).reshape(-1, 2).astype(np.intp)
    spots = spots[(spots[:, 0] >= 0) & (spots[:, 0] < w) & (spots[:, 1] >= 0) & (spots[:, 1] < h)]
    if len(spots) < 9:
        # No skin to learn from: a model nothing matches.
        return np.full(3, -1e3), np.eye(3)
    pixels = lab[spots[:, 1], spots[:, 0]].astype(np.float64)
    # Robust: keep the pixels near the median (a fringe or a beard on a few spots).
    median = np.median(pixels, axis=0)
    spread = 1.4826 * np.median(np.abs(pixels - median), axis=0) + 1.0
    keep = np.all(np.abs(pixels - median) <= 2.5 * spread, axis=1)
    if keep.sum() >= 9:
        pixels = pixels[keep]
    mean = pixels.mean(axis=0)
    cov = np.cov(pixels, rowvar=False)
    # Lighting varies over the head more than over the sampled spots, so the
    # lightness spread is widened, within bounds (shading on a grey photo must
    # not make dark hair look like skin); the colour spread gets a floor.
    spread = np.sqrt(max(cov[0, 0], 1e-6))
    stretch = np.clip(_L_WIDEN * spread, *_L_SPREAD) / spread
    cov[0, :] *= stretch
    cov[:, 0] *= stretch
    cov += np.diag([0.0, 4.0, 4.0])
    return mean, _inverse3(cov)


def _inverse3(m: NDArray[np.float64]) -> NDArray[np.float64]:
    """Inverse of a 3x3 matrix by its adjugate (np.linalg.inv costs far more at this size)."""
    adj = np.cross(m[[1, 2, 0]], m[[2, 0, 1]])  # rows are the cofactors of m's rows
    return adj.T / float(m[0] @ adj[0])


def _skin_edges(skin: NDArray[np.bool_], valid: NDArray[np.bool_]) -> NDArray[np.intp]:
    """Per ray (row), the last sample of the skin run that starts at the ray's start; -1 if none."""
    rays, samples = skin.shape
    start = max(3, samples // 10)
    # The forehead must be skin where the search starts (not a fringe or a hat).
    covered = ~valid[:, :start].all(axis=1) | (skin[:, :start].mean(axis=1) < _START_SKIN)
    # _EDGE_RUN non-skin samples in a row end the skin.
    counts = np.cumsum(np.pad(~skin, ((0, 0), (1, 0))), axis=1, dtype=np.int32)
    full_run = (counts[:, _EDGE_RUN:] - counts[:, :-_EDGE_RUN]) == _EDGE_RUN
    full_run[:, :start] = False
    has_end = full_run.any(axis=1)  # else skin all the way: no edge
    edge = np.argmax(full_run, axis=1) - 1
    # An "edge" that is the photo's border is no edge.
    ahead = np.clip(edge[:, None] + 1 + np.arange(_EDGE_RUN)[None, :], 0, samples - 1)
    at_border = ~valid[np.arange(rays)[:, None], ahead].all(axis=1)
    return np.where(covered | ~has_end | at_border, -1, np.maximum(edge, 0))


def _smoothed(
    found: NDArray[np.float64],
    estimate: NDArray[np.float64],
    coverage: float,
    weight: NDArray[np.float64],
) -> NDArray[np.float64] | None:
    """Gap-filled, median-filtered, smoothed radii; None when not plausible."""
    if coverage < _MIN_COVERAGE:
        return None
    ratio = found / estimate
    ok = np.isfinite(ratio)
    index = np.arange(len(found))
    ratio = np.interp(index, index[ok], ratio[ok])
    ratio = _median5(ratio)
    kernel = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16
    padded = np.pad(ratio, 2, mode="edge")
    ratio = np.convolve(padded, kernel, mode="valid")
    top = weight >= 0.8
    middle = float(np.median(ratio[top])) if top.any() else float(np.median(ratio))
    if not _PLAUSIBLE[0] <= middle <= _PLAUSIBLE[1]:
        return None
    return ratio * estimate


def _median5(values: NDArray[np.float64]) -> NDArray[np.float64]:
    padded = np.pad(values, 2, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 5)
    return np.median(windows, axis=1)
