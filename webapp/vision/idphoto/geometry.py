"""Where the face, head and shoulders are in an ID photo, and how the head is held.

Geometry from the 478-point face mesh of :func:`webapp.vision.faces.detect_faces`
(position, size, head pose, eyes, mouth, gaze), the head's extent with its
hair from the person mask, and the shoulders' score from the pose landmarks
(both from :mod:`webapp.vision.person`). Nothing here decides pass or fail (that is
:mod:`webapp.vision.idphoto.rules`).

Coordinates are pixels of the photo, origin at the top-left corner, ``x`` =
column and ``y`` = row. Scores follow the ID-photo check service's scales: 0 to 100 where 100
is the good end, unless a docstring says otherwise; a figure that cannot be
measured is ``-1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..mesh import (
    CHIN,
    FACE_OVAL,
    FOREHEAD,
    FOREHEAD_BELOW,
    LEFT_BROW_UPPER,
    LEFT_EAR,
    LEFT_EYE_INNER,
    LEFT_EYE_LID_PAIRS,
    LEFT_EYE_OUTER,
    LEFT_IRIS_CENTRE,
    LEFT_JAW,
    LEFT_TEMPLE,
    LIP_GAPS,
    MOUTH_LEFT,
    MOUTH_RIGHT,
    NOSE_TIP_LOWER,
    RIGHT_BROW_UPPER,
    RIGHT_EAR,
    RIGHT_EYE_INNER,
    RIGHT_EYE_LID_PAIRS,
    RIGHT_EYE_OUTER,
    RIGHT_IRIS_CENTRE,
    RIGHT_JAW,
    RIGHT_TEMPLE,
)
from ..person import Shoulders

#: Pairs mirrored across the face's midline (image-left, image-right): eye
#: corners, mouth corners, ears, temples, jaw angles and two eyebrow points.
MIRRORED_PAIRS = (
    (LEFT_EYE_OUTER, RIGHT_EYE_OUTER),
    (LEFT_EYE_INNER, RIGHT_EYE_INNER),
    (MOUTH_LEFT, MOUTH_RIGHT),
    (LEFT_EAR, RIGHT_EAR),
    (LEFT_TEMPLE, RIGHT_TEMPLE),
    (LEFT_JAW, RIGHT_JAW),
    (LEFT_BROW_UPPER[0], RIGHT_BROW_UPPER[0]),
    (LEFT_BROW_UPPER[2], RIGHT_BROW_UPPER[2]),
)
#: Eye lids: corners (outer, inner) and three upper/lower pairs, per eye.
LEFT_LIDS = ((LEFT_EYE_OUTER, LEFT_EYE_INNER), LEFT_EYE_LID_PAIRS)
RIGHT_LIDS = ((RIGHT_EYE_OUTER, RIGHT_EYE_INNER), RIGHT_EYE_LID_PAIRS)

#: The canonical face's forehead-to-chin direction in the mesh's axes (y down,
#: z away from the camera), from MediaPipe's canonical_face_model.obj: the
#: mean of vertices 10 and 151 to vertex 152.
_CANONICAL_DOWN = np.array([0.0, 16.806962, 0.489931])
#: Raw pitch read on frontal, level ID-photo portraits: the mesh's depth is
#: flatter than the canonical model's, so a straight head reads as looking
#: down by this much (median of the four HivisionIDPhotos inputs).
PITCH_BIAS_DEGREES = -12.0

#: Where irises looking at the camera sit in a turned head: their horizontal offset
#: (gaze_offset, eye widths) per degree of yaw. A head turned towards the image's right
#: with its eyes on the camera shows them towards the eyes' image-left corners. Least
#: squares over the 125 faces of tests/data/idphoto, idmake and faces that look at the
#: camera (yaw -40 to +30 degrees; residual 0.03 eye widths).
GAZE_OFFSET_PER_YAW_DEGREE = -0.0028

# --- geometry from the mesh ----------------------------------------------------------


@dataclass(frozen=True)
class FaceGeometry:
    """Where the face is, in photo pixels.

    Attributes
    ----------
    left, right : float
        The face outline's extreme columns (ear to ear, without hair).
    centre_x : float
        Midway between ``left`` and ``right``.
    eyes : tuple of two (x, y)
        Iris centres, image-left eye first.
    eye_y : float
        Mean row of the iris centres.
    nose_tip, chin, forehead : tuple of float
        Mesh points 1, 152 and 10.
    """

    left: float
    right: float
    centre_x: float
    eyes: tuple[tuple[float, float], tuple[float, float]]
    eye_y: float
    nose_tip: tuple[float, float]
    chin: tuple[float, float]
    forehead: tuple[float, float]

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def eye_distance(self) -> float:
        (x0, y0), (x1, y1) = self.eyes
        return math.hypot(x1 - x0, y1 - y0)


def face_geometry(
    mesh: NDArray[np.float32], *, refined: NDArray[np.float32] | None = None
) -> FaceGeometry:
    """Measure the face's position and size from its mesh (photo pixels).

    ``refined``, the mesh moved onto the refined 68 points
    (:func:`webapp.vision.refine.refine_landmarks`), gives the eye line and
    the chin when it is passed; the rest is the mesh's own. The refinement
    leaves the irises where the iris model puts them, so the eye line (the
    iris centres) only changes if that ever changes; the chin is iBUG point 8.
    """
    oval = mesh[list(FACE_OVAL), :2].astype(np.float64)
    left, right = float(oval[:, 0].min()), float(oval[:, 0].max())
    landmarks = mesh if refined is None else refined
    eyes = sorted(
        (tuple(map(float, landmarks[i, :2])) for i in (LEFT_IRIS_CENTRE, RIGHT_IRIS_CENTRE)),
        key=lambda p: p[0],
    )
    point = lambda i: (float(mesh[i, 0]), float(mesh[i, 1]))  # noqa: E731
    return FaceGeometry(
        left=left,
        right=right,
        centre_x=(left + right) / 2,
        eyes=(eyes[0], eyes[1]),  # type: ignore[arg-type]
        eye_y=(eyes[0][1] + eyes[1][1]) / 2,
        nose_tip=point(NOSE_TIP_LOWER),
        chin=(float(landmarks[CHIN, 0]), float(landmarks[CHIN, 1])),
        forehead=point(FOREHEAD),
    )


def head_pose(mesh: NDArray[np.float32]) -> tuple[float, float, float]:
    """Return the head's (yaw, roll, pitch) in degrees.

    The face's axes are read from the mesh's 3-D points (mirrored pairs give
    the left-right axis, forehead to chin the vertical one) and compared with
    the canonical face model's.

    Signs: ``yaw`` > 0 when the face turns towards the image's right;
    ``roll`` > 0 when the head leans clockwise as seen in the image (the
    image-right eye lower); ``pitch`` > 0 when the chin is raised.
    """
    points = mesh.astype(np.float64)
    x_axis = np.mean([points[b] - points[a] for a, b in MIRRORED_PAIRS], axis=0)
    x_axis /= np.linalg.norm(x_axis)
    down = points[CHIN] - (points[FOREHEAD] + points[FOREHEAD_BELOW]) / 2
    y_axis = down - (down @ x_axis) * x_axis
    y_axis /= np.linalg.norm(y_axis)
    face = np.stack([x_axis, y_axis, np.cross(x_axis, y_axis)], axis=1)
    canon_y = _CANONICAL_DOWN / np.linalg.norm(_CANONICAL_DOWN)
    canon = np.stack([np.array([1.0, 0.0, 0.0]), canon_y, np.cross([1.0, 0.0, 0.0], canon_y)], 1)
    rot = face @ canon.T
    roll = math.degrees(math.atan2(rot[1, 0], rot[0, 0]))
    yaw = math.degrees(math.atan2(rot[2, 0], math.hypot(rot[0, 0], rot[1, 0])))
    pitch = -math.degrees(math.atan2(rot[2, 1], math.hypot(rot[0, 1], rot[1, 1])))
    return yaw, roll, pitch - PITCH_BIAS_DEGREES


def ramp(value: float, low: float, high: float) -> float:
    """0 at ``low``, 100 at ``high``, linear between (either order), clipped."""
    return float(np.clip((value - low) / (high - low), 0.0, 1.0) * 100.0)


def eye_openness(mesh: NDArray[np.float32]) -> tuple[float, float]:
    """Return (score, ratio): how open the less open eye is.

    ``ratio`` is the eye aspect ratio (mean lid gap over corner distance) of
    the less open eye; ``score`` maps it to the check service's ``eyes_close``, 0 (shut)
    to 100 (open): 0 at 0.07, 100 at 0.17.
    """
    ratios = []
    for (outer, inner), gaps in (LEFT_LIDS, RIGHT_LIDS):
        width = np.linalg.norm(mesh[outer, :2] - mesh[inner, :2])
        gap = np.mean([np.linalg.norm(mesh[u, :2] - mesh[d, :2]) for u, d in gaps])
        ratios.append(float(gap / max(width, 1e-6)))
    ratio = min(ratios)
    return ramp(ratio, 0.07, 0.17), ratio


def mouth_closedness(mesh: NDArray[np.float32]) -> tuple[float, float]:
    """Return (score, ratio): how closed the mouth is.

    ``ratio`` is the mean inner-lip gap over the mouth's width; ``score`` is
    the check service's ``mouth_close``, 100 (closed) at 0.05 down to 0 at 0.25.
    """
    width = np.linalg.norm(mesh[MOUTH_LEFT, :2] - mesh[MOUTH_RIGHT, :2])
    gap = np.mean([np.linalg.norm(mesh[u, :2] - mesh[d, :2]) for u, d in LIP_GAPS])
    ratio = float(gap / max(width, 1e-6))
    return ramp(ratio, 0.25, 0.05), ratio


def gaze_offset(mesh: NDArray[np.float32]) -> tuple[float, float]:
    """Return the irises' mean (horizontal, vertical) offset in eye widths.

    0 is the middle of the eye opening; horizontal > 0 is towards the image's
    right, vertical > 0 is downwards. Offsets are taken in each eye's own axes
    (corner to corner), so a tilted head does not read as a glance.
    """
    offsets = []
    for (outer, inner), gaps, iris in (
        (LEFT_LIDS[0], LEFT_LIDS[1], LEFT_IRIS_CENTRE),
        (RIGHT_LIDS[0], RIGHT_LIDS[1], RIGHT_IRIS_CENTRE),
    ):
        a, b = mesh[outer, :2].astype(np.float64), mesh[inner, :2].astype(np.float64)
        if a[0] > b[0]:
            a, b = b, a  # a is the image-left corner
        axis = b - a
        length = float(np.linalg.norm(axis))
        if length < 1e-6:
            continue
        unit = axis / length
        normal = np.array([-unit[1], unit[0]])
        lid_mid = np.mean([(mesh[u, :2] + mesh[d, :2]) / 2 for u, d in gaps], axis=0)
        iris = mesh[iris, :2].astype(np.float64)
        horizontal = float((iris - a) @ unit / length - 0.5)
        vertical = float((iris - lid_mid) @ normal / length)
        offsets.append((horizontal, vertical))
    if not offsets:
        return 0.0, 0.0
    h, v = np.mean(offsets, axis=0)
    return float(h), float(v)


def gaze_score(mesh: NDArray[np.float32]) -> float:
    """The check service's ``eyes_sight``: 100 when the eyes look at the camera.

    The irises' horizontal offset in the eyes is taken relative to where eyes
    looking at the camera sit in a head turned by its yaw
    (GAZE_OFFSET_PER_YAW_DEGREE); the score falls to 0 as the larger of that
    offset and 1.5 times the vertical one goes from 0.06 to 0.2 eye widths.
    """
    h, v = gaze_offset(mesh)
    yaw = head_pose(mesh)[0]
    h -= GAZE_OFFSET_PER_YAW_DEGREE * yaw
    return ramp(max(abs(h), 1.5 * abs(v)), 0.2, 0.06)


# --- head and shoulders from the silhouette -------------------------------------------


@dataclass(frozen=True)
class HeadExtent:
    """The head with its hair, from the person mask, in photo pixels."""

    top: float
    left: float
    right: float


def head_extent(mask: NDArray[np.float32], geometry: FaceGeometry) -> HeadExtent | None:
    """Find the top, left and right of the head (with hair) in the person mask.

    The top is the highest row above the forehead where the mask covers a
    tenth of the band over the middle of the face; the sides are the mask's
    extent from the face's middle, in the rows
    from the top down to the nose tip (above the shoulders). Returns None when
    the mask does not cover the face (no person there).
    """
    height, width = mask.shape
    person = mask >= 0.5
    cx = int(round(np.clip(geometry.centre_x, 0, width - 1)))
    ey = int(round(np.clip(geometry.eye_y, 0, height - 1)))
    if not person[ey, cx]:
        return None
    half = max(1, int(0.3 * geometry.width))
    cols = slice(max(0, cx - half), min(width, cx + half + 1))
    start = int(np.clip(round(geometry.forehead[1]), 1, height - 1))
    # The topmost row above the forehead where the person covers a tenth of
    # the band over the face: gaps (a hair band the mask misses) and single
    # strands do not count.
    coverage = person[:start, cols].mean(axis=1)
    rows_covered = np.nonzero(coverage >= 0.1)[0]
    if rows_covered.size == 0:
        return None
    top = float(rows_covered[0])
    bottom = int(np.clip(round(geometry.nose_tip[1]), 0, height - 1))
    first = int(np.clip(math.floor(top), 0, bottom))
    rows = person[first : bottom + 1]
    left_part = rows[:, : cx + 1][:, ::-1]
    right_part = rows[:, cx:]
    lefts = cx - np.where(left_part.all(axis=1), cx + 1, np.argmin(left_part, axis=1)) + 1
    rights = cx + np.where(right_part.all(axis=1), width - cx, np.argmin(right_part, axis=1)) - 1
    inside = rows[:, cx]
    if not inside.any():
        return None
    return HeadExtent(
        top=top,
        left=float(np.percentile(lefts[inside], 5)),
        right=float(np.percentile(rights[inside], 95)),
    )


def shoulder_score(shoulders: Shoulders | None, geometry: FaceGeometry) -> tuple[int, float]:
    """Return the check service's ``shoulder_equal`` (0-100) and the shoulder line's angle.

    The score falls with the line's slope (50 at 8 degrees) and with how
    unevenly the shoulders sit either side of the head (a body turned or
    leaning away from the camera; below 0.7 of each other). The head's middle
    is the pose model's own, midway between its ears: the axis over the neck,
    placed by the same model as the shoulders (when it carries a shoulder on
    past the photo's edge, it carries the head with it), and not moved by a
    turn of the face as the face outline's middle is (its front swings
    sideways about the neck). The face outline's middle stands in when the
    pose gives no ears. -1 when the pose model does not see both shoulders
    inside the photo.
    """
    if shoulders is None or shoulders.visibility < 0.5 or not shoulders.inside:
        return -1, 0.0
    (lx, ly), (rx, ry) = shoulders.left, shoulders.right
    angle = math.degrees(math.atan2(ry - ly, rx - lx))
    middle = geometry.centre_x if shoulders.head_x is None else shoulders.head_x
    reach_left = middle - lx
    reach_right = rx - middle
    if reach_left <= 0 or reach_right <= 0:
        return 0, angle
    symmetry = min(reach_left, reach_right) / max(reach_left, reach_right)
    penalty = abs(angle) / 20.0 + max(0.0, 0.7 - symmetry) / 0.6
    return int(round(100 * max(0.0, 1.0 - penalty))), angle
