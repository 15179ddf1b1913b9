"""The 88-point face shape (Tencent Youtu's ``face/shape`` layout) from the face mesh.

Each group is read off MediaPipe's 478-point mesh: named landmarks where the
layout names one (eye corners, mouth corners, nose tip, chin, lip centres),
and contours resampled at even arc length in between. The order is fixed by
Tencent's example response (``docs/engine.md``, "The 88-point order"); "left" is the
left of the image, i.e. the subject's right.

Mesh points chosen (MediaPipe indices, image-left / image-right; their
groups are named in :mod:`webapp.vision.mesh`):

- eyes: outer corners 33 / 263, inner corners 133 / 362, lids along the
  mesh's eye contours (refined by the iris model);
- eyebrows: each end is the midpoint of the mesh's upper and lower contour
  ends (46+70, 55+107 / 276+300, 285+336); the lower edge follows 46-53-52-65-55,
  the upper 70-63-105-66-107 (mirrored: 276-283-282-295-285, 300-293-334-296-336);
- nose: the tip is 4, the mesh's most forward point (1 lies under the tip);
  the sides run 122-196-174-236-198-131 to the wings 48 / 278, the outer
  edge of the ala at the height of the tip (mirrored 351-419-399-456-420-360);
  the base 48-64-98-97-2-326-327-294-278 has the subnasale 2 in its middle;
- mouth: corners 61 / 291, lip centres 0 (upper outer), 17 (lower outer),
  13 / 14 (inner), contours from MediaPipe's lip rings;
- profile: the face's outline (MediaPipe's face oval on a frontal face, the
  silhouette of the mesh on a turned one) from the temple at the height of
  the outer eye corners, down the jaw to the chin 152 (index 10), up the
  other side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from ..faces import detect_faces
from ..images import Picture, check_photo
from ..mesh import (
    CHIN,
    LEFT_BROW_LOWER,
    LEFT_BROW_UPPER,
    LEFT_EYE_LOWER,
    LEFT_EYE_UPPER,
    LEFT_IRIS_CENTRE,
    LEFT_NOSE_BASE,
    LEFT_NOSE_FLANK,
    LEFT_NOSE_WING,
    LIPS_INNER_LOWER,
    LIPS_INNER_UPPER,
    LIPS_OUTER_LOWER,
    LIPS_OUTER_UPPER,
    NOSE_TIP,
    RIGHT_BROW_LOWER,
    RIGHT_BROW_UPPER,
    RIGHT_EYE_LOWER,
    RIGHT_EYE_UPPER,
    RIGHT_IRIS_CENTRE,
    RIGHT_NOSE_BASE,
    RIGHT_NOSE_FLANK,
    RIGHT_NOSE_WING,
    face_frame,
)
from ..refine import Refined, ibug68, refine_landmarks

#: The seven groups of the 88-point layout, in the order of the wire format.
FACE_SHAPE_GROUPS: Mapping[str, int] = MappingProxyType(
    {
        "face_profile": 21,
        "left_eye": 8,
        "right_eye": 8,
        "left_eyebrow": 8,
        "right_eyebrow": 8,
        "mouth": 22,
        "nose": 13,
    }
)

#: Mode 0's "every face" stops at this many, the largest.
MAX_FACES = 20

Point = tuple[int, int]
Points = tuple[Point, ...]

#: Rays per side used to trace the face outline.
_PROFILE_RAYS = 24

# Mesh contours, as chains of indices. Eyes: the lower lid outer -> inner,
# the upper lid inner -> outer. Eyebrows likewise: lower edge outer -> inner,
# upper edge inner -> outer.
_LEFT_EYE_LOWER = LEFT_EYE_LOWER
_LEFT_EYE_UPPER = LEFT_EYE_UPPER[::-1]
_RIGHT_EYE_LOWER = RIGHT_EYE_LOWER
_RIGHT_EYE_UPPER = RIGHT_EYE_UPPER[::-1]

_LEFT_BROW_LOWER = LEFT_BROW_LOWER
_LEFT_BROW_UPPER = LEFT_BROW_UPPER[::-1]
_RIGHT_BROW_LOWER = RIGHT_BROW_LOWER
_RIGHT_BROW_UPPER = RIGHT_BROW_UPPER[::-1]

_NOSE_LEFT_SIDE = (*LEFT_NOSE_FLANK, LEFT_NOSE_WING)  # bridge -> wing
_NOSE_RIGHT_SIDE = (RIGHT_NOSE_WING, *RIGHT_NOSE_FLANK[::-1])  # wing -> bridge
_NOSE_BASE_LEFT = LEFT_NOSE_BASE  # wing -> subnasale
_NOSE_BASE_RIGHT = RIGHT_NOSE_BASE[::-1]  # subnasale -> wing

_LIP_OUTER_LOWER = LIPS_OUTER_LOWER  # left -> right
_LIP_OUTER_UPPER = LIPS_OUTER_UPPER[::-1]  # right -> left
_LIP_INNER_LOWER = LIPS_INNER_LOWER
_LIP_INNER_UPPER = LIPS_INNER_UPPER[::-1]

_QUARTERS = (0.25, 0.5, 0.75)
_THIRDS = (1 / 3, 2 / 3)


@dataclass(frozen=True)
class FaceShapePoints:
    """The 88 points of one face, in pixels (origin top-left, x = column, y = row).

    Each group is a tuple of ``(x, y)`` integer points, in the order of
    ``docs/engine.md``, "The 88-point order"; "left" is the image's left.
    """

    face_profile: Points
    left_eye: Points
    right_eye: Points
    left_eyebrow: Points
    right_eyebrow: Points
    mouth: Points
    nose: Points


@dataclass(frozen=True)
class FaceShape:
    """The result of :func:`face_shape`.

    Attributes
    ----------
    width, height : int
        Size of the photo, in pixels.
    faces : tuple of FaceShapePoints
        Largest face first; empty when no face was found.
    ibug68 : tuple of ndarray of shape (68, 2)
        Per face (same order), the iBUG 300-W points of the refinement
        (:mod:`webapp.vision.refine`) in float pixels, 0-based; computed
        whether or not the 88 points use them.
    pupils : tuple of two (x, y)
        Per face, the iris centres (image-left first), integer pixels: the
        89th and 90th points of Tencent's 90-point layout.
    """

    width: int
    height: int
    faces: tuple[FaceShapePoints, ...]
    ibug68: tuple[NDArray[np.float64], ...] = field(default=(), repr=False, compare=False)
    pupils: tuple[tuple[Point, Point], ...] = field(default=(), repr=False)


def face_shape(
    image: NDArray[np.uint8] | Picture, *, mode: int = 0, refine: bool = True
) -> FaceShape:
    """Locate the 88 face-shape points of the faces in a photo.

    Parameters
    ----------
    image : ndarray of shape (H, W, 3) and dtype uint8, or Picture
        RGB photo, upright. It is not modified. A
        :class:`~webapp.vision.images.Picture` is decoded only as far as
        :func:`~webapp.vision.faces.detect_faces` needs.
    mode : {0, 1}, optional
        0: every face (the ``MAX_FACES`` largest); 1: only the largest face.
    refine : bool, optional
        Place the points where people annotate them (:mod:`webapp.vision.refine`);
        ``False`` gives the mesh's own points.

    Returns
    -------
    FaceShape
        The photo's size, per face the 68 iBUG points (``ibug68``), the
        pupils and the seven groups of points
        (see ``FACE_SHAPE_GROUPS``), largest face first. Coordinates are
        integer pixels, origin at the top-left corner, ``x`` = column,
        ``y`` = row, clipped to the photo. No face gives an empty ``faces``.

    Raises
    ------
    InvalidImageError
        If ``image`` is not an (H, W, 3) uint8 array.
    ValueError
        If ``mode`` is not 0 or 1.

    Examples
    --------
    >>> import numpy as np
    >>> face_shape(np.zeros((48, 64, 3), np.uint8), mode=1)
    FaceShape(width=64, height=48, faces=())
    """
    check_photo(image)
    if mode not in (0, 1):
        raise ValueError(f"mode must be 0 (all faces) or 1 (largest face), got {mode!r}")
    height, width = image.shape[:2]
    faces = detect_faces(image, max_faces=1 if mode == 1 else MAX_FACES, cut=refine)
    refined = [refine_landmarks(face.mesh, face.cut) if refine else None for face in faces]
    shapes = tuple(
        _shape_points(face.mesh, width=width, height=height, refined=r)
        for face, r in zip(faces, refined, strict=True)
    )
    meshes = [face.mesh if r is None else r.mesh for face, r in zip(faces, refined, strict=True)]
    return FaceShape(
        width=width,
        height=height,
        faces=shapes,
        ibug68=tuple(
            ibug68(face.mesh) if r is None else r.points
            for face, r in zip(faces, refined, strict=True)
        ),
        pupils=tuple(_pupils(mesh, width=width, height=height) for mesh in meshes),
    )


def _pupils(mesh: NDArray[np.float32], *, width: int, height: int) -> tuple[Point, Point]:
    """The iris centres (image-left first), integer pixels clipped to the photo."""
    limit = np.array([width - 1, height - 1])
    xy = np.clip(np.rint(mesh[[LEFT_IRIS_CENTRE, RIGHT_IRIS_CENTRE], :2]), 0, limit).astype(int)
    return (int(xy[0, 0]), int(xy[0, 1])), (int(xy[1, 0]), int(xy[1, 1]))


def _shape_points(
    mesh: NDArray[np.float32], *, width: int, height: int, refined: Refined | None
) -> FaceShapePoints:
    xy = (mesh if refined is None else refined.mesh)[:, :2].astype(np.float64)
    groups = {
        # With the refinement the profile is the refined jaw line (_place_refined).
        "face_profile": _profile(xy) if refined is None else np.empty((0, 2)),
        "left_eye": _eye(xy, _LEFT_EYE_LOWER, _LEFT_EYE_UPPER),
        "right_eye": _eye(xy, _RIGHT_EYE_LOWER, _RIGHT_EYE_UPPER),
        "left_eyebrow": _eyebrow(xy, _LEFT_BROW_LOWER, _LEFT_BROW_UPPER),
        "right_eyebrow": _eyebrow(xy, _RIGHT_BROW_LOWER, _RIGHT_BROW_UPPER),
        "mouth": _mouth(xy),
        "nose": _nose(xy),
    }
    if refined is not None:
        _place_refined(groups, refined.points)
    limit = np.array([width - 1, height - 1])
    as_points = {
        name: tuple((int(x), int(y)) for x, y in np.clip(np.rint(points), 0, limit).astype(int))
        for name, points in groups.items()
    }
    return FaceShapePoints(**as_points)


#: (88-point group, index) <- iBUG point, where the two layouts name the same point.
REFINED_POINTS: Mapping[tuple[str, int], int] = MappingProxyType(
    {
        ("left_eye", 0): 36,
        ("left_eye", 4): 39,
        ("right_eye", 4): 42,
        ("right_eye", 0): 45,
        ("left_eyebrow", 0): 17,
        ("left_eyebrow", 4): 21,
        ("right_eyebrow", 4): 22,
        ("right_eyebrow", 0): 26,
        ("nose", 0): 30,
        ("mouth", 0): 48,
        # outer lower lip, left to right; its middle (3) is iBUG 57
        **{("mouth", 1 + i): ibug for i, ibug in enumerate((59, 58, 57, 56, 55))},
        ("mouth", 6): 54,
        # outer upper lip, right to left; its middle (9) is iBUG 51
        **{("mouth", 7 + i): ibug for i, ibug in enumerate((53, 52, 51, 50, 49))},
    }
)


def _place_refined(groups: dict[str, NDArray[np.float64]], points: NDArray[np.float64]) -> None:
    """Put the refined iBUG points where the 88-point layout names the same point.

    The profile is the refined jaw line (iBUG 0-16, chin 8) resampled: 11
    points from the image-left end to the chin, 11 from the chin up the right.
    """
    for (group, index), ibug in REFINED_POINTS.items():
        groups[group][index] = points[ibug]
    fractions = np.linspace(0.0, 1.0, 11)
    down_left = _along(points[0:9], fractions)
    up_right = _along(points[8:17], fractions)
    groups["face_profile"] = np.vstack([down_left, up_right[1:]])


# --- contour geometry --------------------------------------------------------------


def _along(points: NDArray[np.float64], fractions: Sequence[float]) -> NDArray[np.float64]:
    """Points at the given fractions (0 to 1) of a polyline's arc length."""
    steps = np.hypot(*np.diff(points, axis=0).T)
    arc = np.concatenate([[0.0], np.cumsum(steps)])
    if arc[-1] == 0:
        return np.repeat(points[:1], len(fractions), axis=0)
    at = np.asarray(fractions) * arc[-1]
    return np.column_stack([np.interp(at, arc, points[:, 0]), np.interp(at, arc, points[:, 1])])


def _chain(xy: NDArray[np.float64], indices: Sequence[int]) -> NDArray[np.float64]:
    return xy[list(indices)]


def _eye(
    xy: NDArray[np.float64], lower: Sequence[int], upper: Sequence[int]
) -> NDArray[np.float64]:
    """0 outer corner, 1-3 lower lid, 4 inner corner, 5-7 upper lid back."""
    return np.vstack(
        [
            xy[lower[0]],
            _along(_chain(xy, lower), _QUARTERS),
            xy[lower[-1]],
            _along(_chain(xy, upper), _QUARTERS),
        ]
    )


def _eyebrow(
    xy: NDArray[np.float64], lower: Sequence[int], upper: Sequence[int]
) -> NDArray[np.float64]:
    """0 outer end, 1-3 lower edge, 4 inner end, 5-7 upper edge back."""
    outer = (xy[lower[0]] + xy[upper[-1]]) / 2
    inner = (xy[lower[-1]] + xy[upper[0]]) / 2
    lower_edge = np.vstack([outer, _chain(xy, lower), inner])
    upper_edge = np.vstack([inner, _chain(xy, upper), outer])
    return np.vstack([outer, _along(lower_edge, _QUARTERS), inner, _along(upper_edge, _QUARTERS)])


def _mouth(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Outer lip: corners and centres pinned; inner lip: 5 + 5 points centred on 14 / 13."""

    def lip(chain: Sequence[int]) -> NDArray[np.float64]:
        # Five points between the ends, the middle one on the chain's centre landmark.
        middle = len(chain) // 2
        first = _along(_chain(xy, chain[: middle + 1]), _THIRDS)
        second = _along(_chain(xy, chain[middle:]), _THIRDS)
        return np.vstack([first, xy[chain[middle]], second])

    return np.vstack(
        [
            xy[_LIP_OUTER_LOWER[0]],
            lip(_LIP_OUTER_LOWER),
            xy[_LIP_OUTER_LOWER[-1]],
            lip(_LIP_OUTER_UPPER),
            lip(_LIP_INNER_LOWER),
            lip(_LIP_INNER_UPPER),
        ]
    )


def _nose(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """0 tip, 1-5 left side down to the wing, 6-8 base, 9 right wing, 10-12 up the right side."""
    left_side = _along(_chain(xy, _NOSE_LEFT_SIDE), (0.0, *_QUARTERS, 1.0))
    right_side = _along(_chain(xy, _NOSE_RIGHT_SIDE), (0.0, *_THIRDS, 1.0))
    return np.vstack(
        [
            xy[NOSE_TIP],
            left_side,
            _along(_chain(xy, _NOSE_BASE_LEFT), (0.5,)),
            xy[_NOSE_BASE_LEFT[-1]],
            _along(_chain(xy, _NOSE_BASE_RIGHT), (0.5,)),
            right_side,
        ]
    )


def _profile(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """21 points: image-left temple at eye height, down to the chin (10), up to the right.

    The contour is the face's visible outline: rays from the midpoint of the
    outer eye corners, swept from the eye line down to the chin, stop at the
    farthest mesh edge they cross. On a frontal face that is MediaPipe's face
    oval; on a turned face the far side follows the silhouette (cheek, nose)
    instead of the hidden jaw behind it.
    """
    axes = face_frame(xy)
    centre, across, down = axes.centre, axes.across, axes.down
    frame = np.column_stack([(xy - centre) @ across, (xy - centre) @ down])
    chin = frame[CHIN]
    chin_angle = float(np.arctan2(chin[1], chin[0]))
    left = _outline(frame, np.linspace(np.pi, chin_angle, _PROFILE_RAYS))
    right = _outline(frame, np.linspace(chin_angle, 0.0, _PROFILE_RAYS))
    fractions = np.linspace(0.0, 1.0, 11)
    down_left = _along(np.vstack([left, chin]), fractions)
    up_right = _along(np.vstack([chin, right]), fractions)
    profile = np.vstack([down_left, up_right[1:]])
    return centre + profile[:, :1] * across + profile[:, 1:] * down


def _outline(frame: NDArray[np.float64], angles: NDArray[np.float64]) -> NDArray[np.float64]:
    """Farthest crossing of the mesh's edges along rays from the origin, one per angle."""
    rays = np.column_stack([np.cos(angles), np.sin(angles)])
    edges = _mesh_edges()
    a, b = frame[edges[:, 0]], frame[edges[:, 1]]
    # Only edges that meet the fan's bounding box can be crossed (about a 4x saving).
    reach_max = float(np.hypot(frame[:, 0], frame[:, 1]).max())
    low = np.minimum(rays.min(axis=0), 0.0) * reach_max
    high = np.maximum(rays.max(axis=0), 0.0) * reach_max
    inside = np.all((np.maximum(a, b) >= low) & (np.minimum(a, b) <= high), axis=1)
    a, span = a[inside], b[inside] - a[inside]
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = rays[:, :1] * span[:, 1] - rays[:, 1:] * span[:, 0]
        t = (a[:, 0] * span[:, 1] - a[:, 1] * span[:, 0]) / denom
        s = (a[:, 0] * rays[:, 1:] - a[:, 1] * rays[:, :1]) / denom
        hit = (t >= 0) & (s >= 0) & (s <= 1)
    reach = np.where(hit, t, -np.inf).max(axis=1)
    keep = np.isfinite(reach)
    return rays[keep] * reach[keep, None]


@lru_cache(maxsize=1)
def _mesh_edges() -> NDArray[np.intp]:
    """The edges of MediaPipe's 468-point face mesh triangulation."""
    # Imported here: MediaPipe is loaded by the time a mesh exists.
    from mediapipe.python.solutions.face_mesh_connections import FACEMESH_TESSELATION

    return np.array(sorted(FACEMESH_TESSELATION), dtype=np.intp)
