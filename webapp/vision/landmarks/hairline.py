"""The face's visible outline, and its hairline: Face++'s ``face_*`` sequences.

The 478-point mesh stops on the forehead, well below the hair. Face++'s
hairline (seen in its published example responses) runs up the side of the
face from about the level of the nose, along the temples and across the top
where the forehead skin meets the hair. This module finds that line:

1. A frame from the mesh (:func:`face_frame`): the centre between the outer
   eye corners, ``across`` (image-right for an upright face) and ``up``
   (towards the forehead); polar coordinates about the face oval's centroid.
2. The visible outline (:func:`face_outline`): the mesh's face oval, pushed
   out wherever other mesh points project beyond it (a head turned sideways
   hides the far side of the oval behind the cheek).
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

#: Number of points of Face++'s ``face_hairline`` sequence.
HAIRLINE_POINTS = 145

Method = Literal["skin", "estimate"]

# The mesh's face oval, a closed loop (MediaPipe indices) starting at the chin
# and going towards the image's right (the subject's left) first.
FACE_OVAL = (
    152, 377, 400, 378, 379, 365, 397, 288, 361, 323, 454, 356, 389, 251, 284, 332,
    297, 338, 10, 109, 67, 103, 54, 21, 162, 127, 234, 93, 132, 58, 172, 136, 150,
    149, 176, 148,
)  # fmt: skip
_CHIN = 152
# Mesh points that may stick out of the visible outline on a turned head: all
# but the nose and lips (found once, inside the nose and lip outlines of three
# frontal faces).
_FEATURES = frozenset((
    0, 1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16, 17, 19, 20, 37, 38, 39, 40, 41, 42, 44, 45, 47,
    48, 49, 51, 59, 60, 61, 62, 64, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87,
    88, 89, 90, 91, 94, 95, 96, 97, 98, 99, 102, 114, 115, 122, 125, 126, 128, 129, 131, 134,
    141, 146, 166, 168, 174, 178, 179, 180, 181, 183, 184, 185, 188, 191, 193, 195, 196, 197,
    198, 209, 217, 218, 219, 220, 233, 235, 236, 237, 238, 239, 240, 241, 242, 244, 245, 248,
    250, 267, 268, 269, 270, 271, 272, 274, 275, 277, 278, 279, 281, 289, 290, 291, 292, 294,
    302, 303, 304, 305, 306, 307, 308, 309, 310, 311, 312, 314, 315, 316, 317, 318, 319, 320,
    321, 324, 325, 326, 327, 328, 331, 335, 343, 344, 351, 354, 355, 357, 358, 360, 363, 370,
    375, 392, 399, 402, 403, 404, 405, 406, 407, 408, 409, 412, 415, 417, 419, 420, 429, 437,
    438, 439, 440, 455, 456, 457, 458, 459, 460, 461, 462, 464, 465,
))  # fmt: skip
_SILHOUETTE = [i for i in range(468) if i not in _FEATURES]
_SILHOUETTE_BINS = 120  # 3 degrees each
_GLABELLA = 9
_SUBNASALE = 2
_RIGHT_EYE_OUTER = 33  # the subject's right: the image's left
_LEFT_EYE_OUTER = 263
# Oval points bounding the forehead search (temple to temple over the top) and
# where the skin edge takes over fully from the oval (the upper temples).
_SEARCH_ENDS = (356, 127)
_BLEND_FULL = (251, 21)
# Pixels the skin model learns from: glabella, nose bridge and cheeks (a fringe
# often covers the forehead itself).
_SKIN_SAMPLES = (9, 168, 6, 50, 280, 101, 330, 117, 346, 123, 352, 205, 425, 36, 266)

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


@dataclass(frozen=True)
class FaceFrame:
    """A face's own axes: centre between the outer eye corners, across and up.

    Polar coordinates are taken about ``pole``, the centroid of the face oval,
    which stays inside the oval even when the head is turned far sideways.
    """

    centre: NDArray[np.float64]
    pole: NDArray[np.float64]
    across: NDArray[np.float64]  # unit vector, image-right for an upright face
    up: NDArray[np.float64]  # unit vector towards the forehead
    eye_distance: float  # outer eye corner to outer eye corner, pixels
    chin_level: float  # distance from the eye line down to the chin, pixels

    def polar(self, points: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Angle (from ``across`` towards ``up``, in (-pi/2, 3pi/2]) and radius about the pole."""
        rel = points - self.pole
        u, v = rel @ self.across, rel @ self.up
        theta = np.arctan2(v, u)
        # Cut the circle below the chin, so angles grow from the right side over the top.
        return np.where(theta <= -np.pi / 2, theta + 2 * np.pi, theta), np.hypot(u, v)

    def cartesian(
        self, theta: NDArray[np.float64], radius: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        return (
            self.pole
            + (radius * np.cos(theta))[:, None] * self.across
            + (radius * np.sin(theta))[:, None] * self.up
        )

    def level(self, points: NDArray[np.float64]) -> NDArray[np.float64]:
        """0 on the eye line, 1 at the chin's height, negative above the eyes."""
        return ((points - self.centre) @ -self.up) / self.chin_level


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


# --- geometry ----------------------------------------------------------------------


def resample(line: NDArray[np.float64], count: int) -> NDArray[np.float64]:
    """``count`` points evenly spaced along a polyline, both ends included.

    Parameters
    ----------
    line : ndarray of shape (N, 2)
        The polyline's vertices, in order.
    count : int
        Number of points wanted (at least 2).

    Returns
    -------
    ndarray of shape (count, 2) and dtype float64

    Examples
    --------
    >>> import numpy as np
    >>> resample(np.array([[0.0, 0.0], [4.0, 0.0]]), 5)[:, 0].tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0]
    """
    line = np.asarray(line, dtype=np.float64)
    steps = np.hypot(*np.diff(line, axis=0).T)
    arc = np.concatenate([[0.0], np.cumsum(steps)])
    if arc[-1] <= 0:
        return np.repeat(line[:1], count, axis=0)
    at = np.linspace(0.0, arc[-1], count)
    return np.column_stack([np.interp(at, arc, line[:, 0]), np.interp(at, arc, line[:, 1])])


def catmull_rom(
    points: NDArray[np.float64], *, closed: bool = False, per_segment: int = 16
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """A centripetal Catmull-Rom spline through ``points``, sampled densely.

    Parameters
    ----------
    points : ndarray of shape (N, 2)
        Control points, which the curve passes through, in order.
    closed : bool, optional
        Join the last point back to the first.
    per_segment : int, optional
        Samples per segment between two control points.

    Returns
    -------
    curve : ndarray of shape (M, 2)
        The sampled curve. When ``closed``, its last sample is the first
        control point again.
    at : ndarray of shape (N,) and dtype intp
        Index in ``curve`` of each control point.

    Examples
    --------
    >>> import numpy as np
    >>> curve, at = catmull_rom(np.array([[0.0, 0], [1, 1], [2, 0]]), per_segment=4)
    >>> curve.shape, at.tolist(), curve[at[1]].tolist()
    ((9, 2), [0, 4, 8], [1.0, 1.0])
    """
    p = np.asarray(points, dtype=np.float64)
    n = len(p)
    if closed:
        ext = np.vstack([p[-1:], p, p[:2]])
        segments = n
    else:
        ext = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
        segments = n - 1
    p0, p1, p2, p3 = (ext[i : i + segments] for i in range(4))
    # Centripetal parametrisation: knot spacing is the square root of the chord.
    eps = 1e-6
    d01 = np.sqrt(np.hypot(*(p1 - p0).T)) + eps
    d12 = np.sqrt(np.hypot(*(p2 - p1).T)) + eps
    d23 = np.sqrt(np.hypot(*(p3 - p2).T)) + eps
    u = np.linspace(0.0, 1.0, per_segment, endpoint=False)[None, :, None]
    t1, t2, t3 = d01[:, None, None], (d01 + d12)[:, None, None], (d01 + d12 + d23)[:, None, None]
    t = t1 + u * (t2 - t1)
    a, b, c, d = (x[:, None, :] for x in (p0, p1, p2, p3))
    a1 = (t1 - t) / t1 * a + t / t1 * b
    a2 = (t2 - t) / (t2 - t1) * b + (t - t1) / (t2 - t1) * c
    a3 = (t3 - t) / (t3 - t2) * c + (t - t2) / (t3 - t2) * d
    b1 = (t2 - t) / t2 * a1 + t / t2 * a2
    b2 = (t3 - t) / (t3 - t1) * a2 + (t - t1) / (t3 - t1) * a3
    curve = ((t2 - t) / (t2 - t1) * b1 + (t - t1) / (t2 - t1) * b2).reshape(-1, 2)
    last = p[:1] if closed else p[-1:]
    curve = np.vstack([curve, last])
    at = np.arange(n) * per_segment
    return curve, at


def face_frame(xy: NDArray[np.float64]) -> FaceFrame:
    """The face's own axes, from the mesh's outer eye corners and chin."""
    right, left = xy[_RIGHT_EYE_OUTER], xy[_LEFT_EYE_OUTER]
    across = left - right
    distance = float(np.linalg.norm(across)) or 1.0
    across = across / distance
    up = np.array([across[1], -across[0]])
    centre = (right + left) / 2
    chin_level = float((xy[_CHIN] - centre) @ -up) or distance
    pole = xy[list(FACE_OVAL)].mean(axis=0)
    return FaceFrame(centre, pole, across, up, distance, chin_level)


@dataclass(frozen=True, eq=False)
class Outline:
    """A face's visible outline in polar coordinates about ``frame.pole``.

    Attributes
    ----------
    xy : ndarray of shape (478, 2)
        The mesh's points, pixels.
    frame : FaceFrame
        The face's axes.
    theta, radius : ndarray of shape (N,)
        Increasing angles covering (-3pi/2, 5pi/2) (the circle, and once more
        half round on each side, so any angle interpolates) and the outline's
        distance from the pole at each.
    """

    xy: NDArray[np.float64]
    frame: FaceFrame
    theta: NDArray[np.float64]
    radius: NDArray[np.float64]

    def radius_at(self, theta: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.interp(theta, self.theta, self.radius)


def face_outline(mesh: NDArray[np.floating]) -> Outline:
    """The visible outline of the face a mesh was fitted to.

    It is the mesh's face oval, pushed out wherever other mesh points (the
    nose and lips left out) project beyond it: on a head turned sideways the
    oval's far side is hidden behind the cheek, and Face++ marks "the contour
    of the visible region" there.

    Parameters
    ----------
    mesh : ndarray of shape (478, 3) or (468, 3)
        MediaPipe face mesh in pixels (``x``, ``y``, ``z``).

    Returns
    -------
    Outline

    Raises
    ------
    ValueError
        If ``mesh`` does not have at least 468 rows of 2 or more columns.
    """
    mesh = np.asarray(mesh)
    if mesh.ndim != 2 or mesh.shape[0] < 468 or mesh.shape[1] < 2:
        raise ValueError(f"The parameter `mesh` must have shape (478, 3), got {mesh.shape}")
    xy = mesh[:, :2].astype(np.float64)
    frame = face_frame(xy)
    curve, _ = catmull_rom(xy[list(FACE_OVAL)], closed=True, per_segment=8)
    theta, radius = frame.polar(curve[:-1])
    order = np.argsort(theta, kind="stable")
    theta, radius = theta[order], radius[order]
    radius = radius + _silhouette_excess(frame, xy, theta, radius)
    full = 2 * np.pi
    theta = np.concatenate([theta - full, theta, theta + full])
    radius = np.tile(radius, 3)
    unique = np.concatenate([[True], np.diff(theta) > 1e-9])
    return Outline(xy, frame, theta[unique], radius[unique])


def _silhouette_excess(
    frame: FaceFrame,
    xy: NDArray[np.float64],
    theta: NDArray[np.float64],
    radius: NDArray[np.float64],
) -> NDArray[np.float64]:
    """How far mesh points stick out of the oval, per angle, smoothed round the circle."""
    s_theta, s_radius = frame.polar(xy[_SILHOUETTE])
    bins = _SILHOUETTE_BINS
    index = ((s_theta + np.pi / 2) / (2 * np.pi) * bins).astype(np.intp) % bins
    furthest = np.zeros(bins)
    np.maximum.at(furthest, index, s_radius)
    # Each angle sees its own bin and both neighbours (the mesh is sparse on the sides).
    furthest = np.maximum(furthest, np.maximum(np.roll(furthest, 1), np.roll(furthest, -1)))
    at = ((theta + np.pi / 2) / (2 * np.pi) * bins).astype(np.intp) % bins
    excess = np.maximum(furthest[at] - radius * 1.02, 0.0)
    if not excess.any():
        return excess
    kernel = np.hanning(11)[1:-1]
    padded = np.concatenate([excess[-5:], excess, excess[:5]])
    return np.convolve(padded, kernel / kernel.sum(), mode="same")[5:-5]


def contour_from_chin(
    outline: Outline, *, side: Literal["right", "left"], end_level: float
) -> NDArray[np.float64]:
    """The visible outline from the chin up one side, to ``end_level``.

    Parameters
    ----------
    outline : Outline
        From :func:`face_outline`.
    side : {'right', 'left'}
        The image's right (the subject's left) or left.
    end_level : float
        Where to stop: 0 is the height of the outer eye corners, 1 the chin's.

    Returns
    -------
    ndarray of shape (N, 2)
        A dense polyline, pixels, from the chin (mesh point 152) up to
        ``end_level``.
    """
    frame = outline.frame
    chin = float(frame.polar(outline.xy[_CHIN][None, :])[0][0])
    if chin > np.pi / 2:
        chin -= 2 * np.pi  # count from the chin towards the image's right
    if side == "left":
        chin += 2 * np.pi
    grid = chin + np.linspace(0.0, np.pi, 181) * (1 if side == "right" else -1)
    points = frame.cartesian(grid, outline.radius_at(grid))
    reached = np.nonzero(frame.level(points) <= end_level)[0]
    stop = int(reached[0]) if len(reached) else len(points) - 1
    return points[: max(stop, 1) + 1]


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
    glabella = xy[_GLABELLA]
    third = float(np.linalg.norm(glabella - xy[_SUBNASALE]))
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
    mean, inverse = _skin_model(lab, xy[list(_SKIN_SAMPLES)] @ to_work[:, :2].T + to_work[:, 2])
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
