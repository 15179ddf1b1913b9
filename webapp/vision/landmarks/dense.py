"""Dense face landmarks in Face++'s ``thousandlandmark`` layout, from the face mesh.

Face++ publishes no model for its dense layout, only the names, counts and
directions of its sequences in its documentation, and example responses. Every sequence
here is a smooth curve (centripetal Catmull-Rom) through the right points of
MediaPipe's 478-point mesh, resampled at even arc length; the face's outline
and hairline, which the mesh does not reach, come from
:mod:`webapp.vision.landmarks.hairline`.

Conventions (read off Face++'s documentation and example responses):

- "left" and "right" are the *image's* left and right (the subject's right
  and left), as for the 88-point layout: ``left_eye`` is the eye nearer
  ``x = 0``. Face++'s example response puts ``left_eyebrow`` at x 211-232 and
  ``right_eyebrow`` at x 358-362 in a face box spanning x 161-377.
- "clockwise" is as seen on the screen (``y`` pointing down): a clockwise
  eyebrow goes from its left end rightwards along the upper edge.
- Closed sequences keep their second corner at a fixed index, each half
  evenly spaced on its own, as Face++'s examples show: eyebrows and lips at
  0 and 32 of 64 (``upper_lip_0`` the left mouth corner, ``upper_lip_32`` the
  right one), eyes at 0 and 31 of 63. An eyebrow's ends are the two tips of
  its closed curve along the eye line.
- ``face_hairline_0`` is on the image-right side of the face a quarter of
  the way from the eyes down to the chin; the line runs up, over the top and
  down to the same height on the image-left side (counter-clockwise).
  ``face_contour_right_0`` and ``face_contour_left_0`` are at the chin and
  their sequences end a little below the eyes, so hairline and contours
  overlap on the sides as they do in Face++'s responses. Contours follow the
  *visible* outline: on a turned head, the cheek's silhouette.
- ``nose_left`` / ``nose_right`` run from the top of the nose's side, down
  its flank and round the wing to the base of the nose under the tip;
  ``nose_midline`` runs from between the eyebrows (glabella) over the tip to
  the middle of the philtrum. Nostril points are the top edge of each nostril.
- ``*_pupil_center`` is the iris centre of MediaPipe's iris model and
  ``*_pupil_radius`` the iris radius in pixels, a bare integer as in Face++'s
  responses (``"left_eye_pupil_radius": 13``), not an ``{x, y}`` point.

Mesh points used: the groups of :mod:`webapp.vision.mesh` (whose ``LEFT_*``
are the image's left, as here): each eyebrow's upper and lower edges, each
eye's lids and iris, the nose's flanks, rims and midline, the nostrils, and
the lips' outer and inner edges; ``docs/engine.md`` lists them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from ..errors import check_image
from ..faces import Face, detect_faces
from ..images import Picture
from ..mesh import (
    FACE_OVAL,
    LEFT_BROW_LOWER,
    LEFT_BROW_UPPER,
    LEFT_EAR,
    LEFT_EYE_LOWER,
    LEFT_EYE_OUTER,
    LEFT_EYE_UPPER,
    LEFT_IRIS,
    LEFT_NOSE_FLANK,
    LEFT_NOSE_RIM,
    LEFT_NOSTRIL,
    LIPS_INNER_LOWER,
    LIPS_INNER_UPPER,
    LIPS_OUTER_LOWER,
    LIPS_OUTER_UPPER,
    NOSE_MIDLINE,
    RIGHT_BROW_LOWER,
    RIGHT_BROW_UPPER,
    RIGHT_EAR,
    RIGHT_EYE_LOWER,
    RIGHT_EYE_OUTER,
    RIGHT_EYE_UPPER,
    RIGHT_IRIS,
    RIGHT_NOSE_FLANK,
    RIGHT_NOSE_RIM,
    RIGHT_NOSTRIL,
)
from ..refine import refine_landmarks
from .curves import catmull_rom, resample
from .hairline import HAIRLINE_POINTS, Hairline, find_hairline
from .outline import Outline, contour_from_chin, face_outline

#: The parts of the layout, in the order of Face++'s response table.
ALL_PARTS: tuple[str, ...] = (
    "face",
    "left_eyebrow",
    "right_eyebrow",
    "left_eye",
    "right_eye",
    "nose",
    "mouth",
)

Point = tuple[int, int]
#: Each part's values: ``(x, y)`` points, and for the eyes the pupil radius (int).
PartLandmarks = dict[str, Point | int]
# A part before rounding: sequences (N, 2), single points (2,), radii (int).
_Groups = dict[str, "NDArray[np.float64] | int"]

#: Where the face contours end: a level between the outer eye corners (0) and
#: the chin (1). Face++'s examples end them a little below the eyes.
CONTOUR_END_LEVEL = 0.05

#: Length of every numbered sequence.
SEQUENCE_LENGTHS: Mapping[str, int] = MappingProxyType(
    {
        "face_hairline": HAIRLINE_POINTS,
        "face_contour_right": 64,
        "face_contour_left": 64,
        "left_eyebrow": 64,
        "right_eyebrow": 64,
        "left_eye": 63,
        "right_eye": 63,
        "nose_left": 63,
        "nose_right": 63,
        "nose_midline": 60,
        "upper_lip": 64,
        "lower_lip": 64,
    }
)
_SEQUENCE_NAMES = {
    prefix: tuple(f"{prefix}_{i}" for i in range(count))
    for prefix, count in SEQUENCE_LENGTHS.items()
}

#: Every field of every part, in order: ``PART_FIELDS["nose"][0] == "nose_left_0"``.
PART_FIELDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "face": _SEQUENCE_NAMES["face_hairline"]
        + _SEQUENCE_NAMES["face_contour_right"]
        + _SEQUENCE_NAMES["face_contour_left"],
        "left_eyebrow": _SEQUENCE_NAMES["left_eyebrow"],
        "right_eyebrow": _SEQUENCE_NAMES["right_eyebrow"],
        "left_eye": _SEQUENCE_NAMES["left_eye"]
        + ("left_eye_pupil_center", "left_eye_pupil_radius"),
        "right_eye": _SEQUENCE_NAMES["right_eye"]
        + ("right_eye_pupil_center", "right_eye_pupil_radius"),
        "nose": _SEQUENCE_NAMES["nose_left"]
        + _SEQUENCE_NAMES["nose_right"]
        + ("left_nostril", "right_nostril")
        + _SEQUENCE_NAMES["nose_midline"],
        "mouth": _SEQUENCE_NAMES["upper_lip"] + _SEQUENCE_NAMES["lower_lip"],
    }
)

# Chains of mesh points the curves pass through, in order; closed loops start
# at their first corner. Eyebrows: the upper edge outer to inner, then the
# lower edge back. Eyes: the upper lid outer to inner corner, then the lower
# lid back. Lips: the outer edge from the left corner, then the inner edge
# from the right corner back.
_LEFT_EYEBROW = LEFT_BROW_UPPER + LEFT_BROW_LOWER[::-1]
_RIGHT_EYEBROW = RIGHT_BROW_UPPER + RIGHT_BROW_LOWER[::-1]
_LEFT_EYE = LEFT_EYE_UPPER + LEFT_EYE_LOWER[-2:0:-1]
_RIGHT_EYE = RIGHT_EYE_UPPER + RIGHT_EYE_LOWER[-2:0:-1]
_EYE_CORNER = len(LEFT_EYE_UPPER) - 1  # the chain's index of the inner corner (133 / 362)
_LIP_INNER_UPPER = LIPS_INNER_UPPER[::-1]  # right -> left
_LIP_INNER_LOWER = LIPS_INNER_LOWER[::-1]
_NOSE_LEFT = LEFT_NOSE_FLANK + LEFT_NOSE_RIM
_NOSE_RIGHT = RIGHT_NOSE_FLANK + RIGHT_NOSE_RIM
# The face rectangle's outline: the oval from ear to ear under the chin, and the eyebrows.
_RECTANGLE = (
    FACE_OVAL[FACE_OVAL.index(RIGHT_EAR) : FACE_OVAL.index(LEFT_EAR) + 1]
    + _LEFT_EYEBROW
    + _RIGHT_EYEBROW
)


@dataclass(frozen=True)
class DenseLandmarks:
    """The dense landmarks of the largest face in a photo.

    Coordinates are integer pixels of the photo, origin at the top-left
    corner, ``x`` = column, ``y`` = row. Landmarks of a face cut by the
    photo's border may lie outside it (the mesh predicts the hidden part, as
    Face++ marks "predicted positions" of occluded points); the rectangle is
    clipped to the photo.

    Attributes
    ----------
    width, height : int
        Size of the photo, in pixels.
    face_rectangle : tuple of int or None
        ``(top, left, width, height)`` of the face: from the eyebrows down to
        the chin, cheek to cheek (like Face++'s box, which leaves out the
        forehead). None when no face was found.
    landmark : dict
        ``{part: {field: value}}`` for each requested part, in the order of
        ``ALL_PARTS`` and ``PART_FIELDS``. Values are ``(x, y)`` tuples, except
        ``*_pupil_radius``, an int. Empty when no face was found. Treat it as
        read-only.
    hairline_method : {'skin', 'estimate', ''}
        How ``face_hairline`` was found (see :class:`~webapp.vision.landmarks.hairline.Hairline`);
        empty when the ``face`` part was not computed.
    hairline_coverage : float
        Share of the hairline search rays that found a skin edge, 0 to 1.
    """

    width: int
    height: int
    face_rectangle: tuple[int, int, int, int] | None = None
    landmark: dict[str, PartLandmarks] = field(default_factory=dict)
    hairline_method: str = ""
    hairline_coverage: float = 0.0

    @property
    def found(self) -> bool:
        """True when a face was found."""
        return self.face_rectangle is not None

    @property
    def hairline_estimated(self) -> bool:
        """True when ``face_hairline`` is an estimate, not a detected skin edge."""
        return self.hairline_method == "estimate"


def dense_landmarks(
    image: NDArray[np.uint8] | Picture, *, parts: Iterable[str] = ALL_PARTS, refine: bool = True
) -> DenseLandmarks:
    """Locate Face++'s dense landmarks on the largest face of a photo.

    Parameters
    ----------
    image : ndarray of shape (H, W, 3) and dtype uint8, or Picture
        RGB photo, upright. It is not modified. A
        :class:`~webapp.vision.images.Picture` is decoded only as far as
        needed: for finding the face (:func:`detect_faces`) and for the
        hairline, at the smallest reduction with :data:`HAIRLINE_EYE_PIXELS`
        between the eye corners.
    parts : iterable of str, optional
        Which parts to compute, any of ``ALL_PARTS``. Leaving out ``"face"``
        skips the hairline search, the only costly step after the mesh.
    refine : bool, optional
        Draw the contours (but the eyes': ``OWN_MESH_PARTS``) through the mesh
        moved onto the refined 68 points (:mod:`webapp.vision.refine`);
        ``False``: every contour through the mesh's own points.

    Returns
    -------
    DenseLandmarks
        The landmarks of the face with the largest box. When there is no face,
        a result with ``found`` False, no rectangle and an empty ``landmark``.

    Raises
    ------
    InvalidImageError
        If ``image`` is not an (H, W, 3) uint8 array.
    ValueError
        If ``parts`` names an unknown part.

    Examples
    --------
    >>> import numpy as np
    >>> result = dense_landmarks(np.full((64, 64, 3), 128, np.uint8))
    >>> result.found, result.landmark, (result.width, result.height)
    (False, {}, (64, 64))
    """
    if not isinstance(image, Picture):
        check_image(image)
    wanted = _check_parts(parts)
    height, width = image.shape[:2]
    faces = detect_faces(image, max_faces=1, cut=refine)
    if not faces:
        return DenseLandmarks(width=width, height=height)
    return dense_landmarks_for_face(image, faces[0], parts=wanted, refine=refine)


def dense_landmarks_for_face(
    image: NDArray[np.uint8] | Picture,
    face: Face,
    *,
    parts: Iterable[str] = ALL_PARTS,
    refine: bool = True,
) -> DenseLandmarks:
    """Derive the dense landmarks from a face already found by :func:`detect_faces`.

    Parameters
    ----------
    image : ndarray of shape (H, W, 3) and dtype uint8, or Picture
        The RGB photo ``face`` was found in (the hairline is searched in it).
        It is not modified.
    face : Face
        One face of ``detect_faces(image)`` (of a Picture, with ``cut=True``
        for the refinement to read the face's pixels).
    parts : iterable of str, optional
        As in :func:`dense_landmarks`.
    refine : bool, optional
        As in :func:`dense_landmarks`.

    Returns
    -------
    DenseLandmarks
        As in :func:`dense_landmarks`.

    Raises
    ------
    InvalidImageError
        If ``image`` is not an (H, W, 3) uint8 array.
    ValueError
        If ``parts`` names an unknown part.
    """
    if not isinstance(image, Picture):
        check_image(image)
    wanted = _check_parts(parts)
    height, width = image.shape[:2]
    # The stages read the face's cut, or an array's own pixels; a Picture's face found
    # without its cut is refined from the mesh alone.
    source = face.cut if face.cut is not None or isinstance(image, Picture) else image
    mesh = refine_landmarks(face.mesh, source).mesh if refine else face.mesh
    xy = mesh[:, :2].astype(np.float64)
    own = face.mesh[:, :2].astype(np.float64)
    landmark: dict[str, PartLandmarks] = {}
    hairline = None
    for part in wanted:
        if part == "face":
            outline = face_outline(mesh)
            hairline = _hairline(image, mesh, outline)
            landmark[part] = _to_fields(_face(outline, hairline))
        else:
            landmark[part] = _to_fields(_BUILDERS[part](own if part in OWN_MESH_PARTS else xy))
    return DenseLandmarks(
        width=width,
        height=height,
        face_rectangle=_rectangle(xy, width=width, height=height),
        landmark=landmark,
        hairline_method=hairline.method if hairline else "",
        hairline_coverage=round(hairline.coverage, 3) if hairline else 0.0,
    )


#: The hairline is searched in a crop where the outer eye corners are 48 px
#: apart (``hairline.py``): a Picture is decoded for it at the smallest
#: reduction that still has this many pixels between them (a third more).
HAIRLINE_EYE_PIXELS = 64.0


def _hairline(
    image: NDArray[np.uint8] | Picture, mesh: NDArray[np.floating], outline: Outline
) -> Hairline:
    """The hairline, from the pixels of an array, or of a Picture's reduction that is enough."""
    if not isinstance(image, Picture):
        return find_hairline(image, mesh, outline=outline)
    eyes = float(np.hypot(*(mesh[RIGHT_EYE_OUTER, :2] - mesh[LEFT_EYE_OUTER, :2])))
    factor = image.reduction_with(eyes, HAIRLINE_EYE_PIXELS)
    found = find_hairline(image.reduced(factor), image.reduced_points(mesh, factor))
    return replace(found, points=image.picture_points(found.points, factor))


# --- parts -------------------------------------------------------------------------


def _check_parts(parts: Iterable[str]) -> tuple[str, ...]:
    asked = {parts} if isinstance(parts, str) else set(parts)
    unknown = sorted(asked - set(ALL_PARTS))
    if unknown:
        names = ", ".join(map(repr, unknown))
        raise ValueError(f"unknown part(s) {names}; use any of {', '.join(ALL_PARTS)}")
    return tuple(part for part in ALL_PARTS if part in asked)


def _face(outline: Outline, hairline: Hairline) -> _Groups:
    groups: _Groups = {"face_hairline": hairline.points}
    for side in ("right", "left"):
        contour = contour_from_chin(outline, side=side, end_level=CONTOUR_END_LEVEL)
        groups[f"face_contour_{side}"] = resample(contour, 64)
    return groups


def _eyebrow(xy: NDArray[np.float64], chain: tuple[int, ...], *, side: str) -> _Groups:
    # Starts at the outer tip: the extreme along the eye line, towards ``side``.
    axis = xy[RIGHT_EYE_OUTER] - xy[LEFT_EYE_OUTER]
    start = axis if side == "right" else -axis
    return {f"{side}_eyebrow": _loop_between_tips(xy, chain, start, first=32, total=64)}


def _eye(
    xy: NDArray[np.float64], chain: tuple[int, ...], iris: tuple[int, ...], *, side: str
) -> _Groups:
    return {
        f"{side}_eye": _loop(xy, chain, corner=_EYE_CORNER, first=31, total=63),
        f"{side}_eye_pupil_center": xy[iris[0]],
        f"{side}_eye_pupil_radius": _iris_radius(xy, iris),
    }


def _nose(xy: NDArray[np.float64]) -> _Groups:
    return {
        "nose_left": _open(xy, _NOSE_LEFT, 63),
        "nose_right": _open(xy, _NOSE_RIGHT, 63),
        "left_nostril": xy[LEFT_NOSTRIL],
        "right_nostril": xy[RIGHT_NOSTRIL],
        "nose_midline": _open(xy, NOSE_MIDLINE, 60),
    }


def _mouth(xy: NDArray[np.float64]) -> _Groups:
    corner = len(LIPS_OUTER_UPPER) - 1  # the right mouth corner, 291
    return {
        "upper_lip": _loop(
            xy, LIPS_OUTER_UPPER + _LIP_INNER_UPPER, corner=corner, first=32, total=64
        ),
        "lower_lip": _loop(
            xy, LIPS_OUTER_LOWER + _LIP_INNER_LOWER, corner=corner, first=32, total=64
        ),
    }


#: Parts drawn through the mesh's own points even with the refinement: its lids,
#: fitted by the iris model, are the mesh's best part. Moved with the refinement
#: they were no better on 120 training crops (1.11% -> 1.09% of the eye-corner
#: distance, ``python -m bench.fit_refinement warp``) and worse on the annotated
#: faces in tests/data (1.15% -> 1.64%).
OWN_MESH_PARTS = frozenset({"left_eye", "right_eye"})

_BUILDERS = {
    "left_eyebrow": lambda xy: _eyebrow(xy, _LEFT_EYEBROW, side="left"),
    "right_eyebrow": lambda xy: _eyebrow(xy, _RIGHT_EYEBROW, side="right"),
    "left_eye": lambda xy: _eye(xy, _LEFT_EYE, LEFT_IRIS, side="left"),
    "right_eye": lambda xy: _eye(xy, _RIGHT_EYE, RIGHT_IRIS, side="right"),
    "nose": _nose,
    "mouth": _mouth,
}


# --- geometry ----------------------------------------------------------------------


def _open(xy: NDArray[np.float64], chain: tuple[int, ...], count: int) -> NDArray[np.float64]:
    curve, _ = catmull_rom(xy[list(chain)])
    return resample(curve, count)


def _loop(
    xy: NDArray[np.float64], chain: tuple[int, ...], *, corner: int, first: int, total: int
) -> NDArray[np.float64]:
    """A closed curve from ``chain[0]``, with ``chain[corner]`` at index ``first``."""
    curve, at = catmull_rom(xy[list(chain)], closed=True)
    split = int(at[corner])
    return _halves(curve, split, first=first, total=total)


def _loop_between_tips(
    xy: NDArray[np.float64],
    chain: tuple[int, ...],
    start: NDArray[np.float64],
    *,
    first: int,
    total: int,
) -> NDArray[np.float64]:
    """A closed curve from its tip furthest along ``start``; the opposite tip at ``first``."""
    curve, _ = catmull_rom(xy[list(chain)], closed=True)
    ring = np.roll(curve[:-1], -int(np.argmax(curve[:-1] @ start)), axis=0)
    split = int(np.argmin(ring @ start))
    return _halves(np.vstack([ring, ring[:1]]), split, first=first, total=total)


def _halves(
    closed: NDArray[np.float64], split: int, *, first: int, total: int
) -> NDArray[np.float64]:
    """Resample a closed curve (last point == first) in two evenly spaced halves."""
    one = resample(closed[: split + 1], first + 1)
    two = resample(closed[split:], total - first + 1)
    return np.vstack([one[:-1], two[:-1]])


def _iris_radius(xy: NDArray[np.float64], iris: tuple[int, ...]) -> int:
    centre, rim = xy[iris[0]], xy[list(iris[1:])]
    return max(1, round(float(np.mean(np.hypot(*(rim - centre).T)))))


def _rectangle(xy: NDArray[np.float64], *, width: int, height: int) -> tuple[int, int, int, int]:
    """(top, left, width, height) around eyebrows, cheeks and chin, clipped to the photo."""
    points = xy[list(_RECTANGLE)]
    limit = np.array([width - 1, height - 1])
    (left, top), (right, bottom) = (
        np.clip(points.min(axis=0), 0, limit),
        np.clip(points.max(axis=0), 0, limit),
    )
    top_i, left_i = round(float(top)), round(float(left))
    return top_i, left_i, round(float(right)) - left_i, round(float(bottom)) - top_i


def _to_fields(groups: _Groups) -> PartLandmarks:
    """Name every value of a part, as integer pixels; ``groups`` come in ``PART_FIELDS`` order."""
    named: PartLandmarks = {}
    for prefix, value in groups.items():
        if isinstance(value, int):  # a pupil radius
            named[prefix] = value
            continue
        ints = np.rint(value).astype(int).tolist()
        if np.ndim(value) == 1:  # a single named point
            named[prefix] = (ints[0], ints[1])
        else:
            named.update(zip(_SEQUENCE_NAMES[prefix], map(tuple, ints), strict=True))
    return named
