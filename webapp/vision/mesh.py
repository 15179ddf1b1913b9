"""MediaPipe's face mesh: the named groups of its indices, and the face's own axes.

This is the one place where the engine names points of the 478-point mesh
that :func:`webapp.vision.faces.detect_faces` fits (MediaPipe 0.10.21):
points 0-467 are the face, 468-472 the iris on the image's left (centre
first, then four rim points) and 473-477 the iris on the image's right.

Left and right are the *image's*: ``LEFT_EYE_OUTER`` is the outer corner of
the eye nearer ``x = 0``, which is the subject's right eye. The 88-point and
the dense layouts name their parts the same way, so a ``left_eye`` there is
read off the ``LEFT_EYE_*`` points here. "Outer" is towards the temple,
"inner" towards the nose.

Chains are tuples of indices in a stated order; a module that needs another
order derives it (reversed, joined, or :func:`loop_from` for a loop) from the
tuples here rather than keeping its own copy. ``docs/engine.md`` ("The mesh")
lists the groups and how they were chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
from numpy.typing import NDArray

#: Points of the mesh proper; 468-477 are the irises.
N_MESH = 468

# --- the face's outline ------------------------------------------------------------

#: The face oval, a closed loop of 36 points round the face: from the top of
#: the forehead (10) towards the image's right, down that side to the chin
#: (152) and up the image's left side (clockwise on the screen, ``y`` down).
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip
#: The top of the oval, on the forehead's midline, and a point below it on
#: the midline, halfway to the glabella.
FOREHEAD = 10
FOREHEAD_BELOW = 151
#: The bottom of the chin.
CHIN = 152
#: Oval points at the level of the ears' tops (the temples), and higher up the
#: oval where the forehead starts to curve over (the upper temples).
LEFT_TEMPLE, RIGHT_TEMPLE = 127, 356
LEFT_UPPER_TEMPLE, RIGHT_UPPER_TEMPLE = 21, 251
#: Oval points at the ears (234 / 454) and at the angle of the jaw (58 / 288).
LEFT_EAR, RIGHT_EAR = 234, 454
LEFT_JAW, RIGHT_JAW = 58, 288

# --- eyes --------------------------------------------------------------------------

LEFT_EYE_OUTER, LEFT_EYE_INNER = 33, 133
RIGHT_EYE_OUTER, RIGHT_EYE_INNER = 263, 362
#: Each eye's lids, from the outer corner to the inner one.
LEFT_EYE_UPPER = (33, 246, 161, 160, 159, 158, 157, 173, 133)
LEFT_EYE_LOWER = (33, 7, 163, 144, 145, 153, 154, 155, 133)
RIGHT_EYE_UPPER = (263, 466, 388, 387, 386, 385, 384, 398, 362)
RIGHT_EYE_LOWER = (263, 249, 390, 373, 374, 380, 381, 382, 362)
#: The upper lid's highest point.
LEFT_EYE_TOP, RIGHT_EYE_TOP = 159, 386
#: Three (upper lid, lower lid) pairs across each eye's opening, outer first.
LEFT_EYE_LID_PAIRS = ((160, 144), (159, 145), (158, 153))
RIGHT_EYE_LID_PAIRS = ((387, 373), (386, 374), (385, 380))
#: The irises of MediaPipe's iris model: centre, then four points on the rim.
LEFT_IRIS = (468, 469, 470, 471, 472)
RIGHT_IRIS = (473, 474, 475, 476, 477)
LEFT_IRIS_CENTRE, RIGHT_IRIS_CENTRE = LEFT_IRIS[0], RIGHT_IRIS[0]

# --- eyebrows ----------------------------------------------------------------------

#: Each eyebrow's upper and lower edges, from the outer end to the inner one.
LEFT_BROW_UPPER = (70, 63, 105, 66, 107)
LEFT_BROW_LOWER = (46, 53, 52, 65, 55)
RIGHT_BROW_UPPER = (300, 293, 334, 296, 336)
RIGHT_BROW_LOWER = (276, 283, 282, 295, 285)

# --- nose --------------------------------------------------------------------------

#: The tip: the mesh's most forward point.
NOSE_TIP = 4
#: Just under the tip, on the midline.
NOSE_TIP_LOWER = 1
#: Where the nose meets the upper lip, under the tip.
SUBNASALE = 2
#: Between the eyebrows.
GLABELLA = 9
#: The nose's midline, from the glabella over the tip to the middle of the philtrum.
NOSE_MIDLINE = (9, 8, 168, 6, 197, 195, 5, 4, 1, 19, 94, 2, 164)
#: Each side of the nose from the top of the bridge down its flank, above the wing.
LEFT_NOSE_FLANK = (122, 196, 174, 236, 198, 131)
RIGHT_NOSE_FLANK = (351, 419, 399, 456, 420, 360)
#: The wings' outer edge at the height of the tip.
LEFT_NOSE_WING, RIGHT_NOSE_WING = 48, 278
#: From each wing's outer edge along the base of the nose to the subnasale.
LEFT_NOSE_BASE = (48, 64, 98, 97, 2)
RIGHT_NOSE_BASE = (278, 294, 327, 326, 2)
#: From below each flank round the wing's rim to the subnasale.
LEFT_NOSE_RIM = (49, 129, 64, 98, 97, 2)
RIGHT_NOSE_RIM = (279, 358, 294, 327, 326, 2)
#: The top edge of each nostril.
LEFT_NOSTRIL, RIGHT_NOSTRIL = 79, 309
#: Points all over the nose, bridge to wings: their hull is the nose.
NOSE_POINTS = (
    168, 6, 197, 195, 5, 4, 1, 19, 94, 2, 98, 327, 64, 294, 129, 358, 49, 279, 48, 278, 115, 344,
)  # fmt: skip

# --- lips --------------------------------------------------------------------------

MOUTH_LEFT, MOUTH_RIGHT = 61, 291
#: The inner lips' corners.
LIPS_INNER_LEFT, LIPS_INNER_RIGHT = 78, 308
#: The lips' outer and inner edges, each from its left corner to its right one.
LIPS_OUTER_UPPER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIPS_OUTER_LOWER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIPS_INNER_UPPER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIPS_INNER_LOWER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
#: Three (upper, lower) pairs across the inner lips: the middle first.
LIP_GAPS = ((13, 14), (82, 87), (312, 317))

# --- cheeks and skin ---------------------------------------------------------------

#: Mid-cheek points, in pairs (image-left, image-right).
CHEEKS = (50, 280, 101, 330, 117, 346, 36, 266)
#: The middle of each cheek (image-left, image-right).
CHEEK_CENTRES = (205, 425)
#: Three points on each cheek (image-left, image-right).
CHEEK_PATCHES = ((205, 50, 101), (425, 280, 330))
#: Where a face shows bare skin most often (a fringe often covers the
#: forehead): the glabella, the nose's bridge and the cheeks.
SKIN_SAMPLES = (9, 168, 6, 50, 280, 101, 330, 117, 346, 123, 352, 205, 425, 36, 266)
#: The nose and the lips: every mesh point inside their outlines (found once
#: on three frontal faces). The other points are the face's own surface.
NOSE_AND_LIPS = frozenset((
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

# --- symmetry ----------------------------------------------------------------------

#: Points on the face's line of symmetry. MediaPipe numbers the rest so that
#: the k-th other point below 248 mirrors point 248 + k (the tests check this
#: against the mesh's tessellation).
MIDLINE = (0, 1, 2, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
           94, 151, 152, 164, 168, 175, 195, 197, 199, 200)  # fmt: skip


def _mirror_table() -> NDArray[np.intp]:
    table = np.arange(N_MESH)
    sided = [i for i in range(248) if i not in MIDLINE]
    table[sided] = np.arange(248, N_MESH)
    table[248:] = sided
    return table


#: ``MIRROR[i]`` is the mesh point symmetric to point ``i`` across the face.
MIRROR = _mirror_table()


def loop_from(loop: Sequence[int], start: int, *, reverse: bool = False) -> tuple[int, ...]:
    """The closed loop ``loop`` starting at point ``start``, run backwards if ``reverse``.

    Examples
    --------
    >>> loop_from(FACE_OVAL, CHIN)[:3]
    (152, 148, 176)
    >>> loop_from(FACE_OVAL, CHIN, reverse=True)[:3]
    (152, 377, 400)
    """
    points = tuple(loop)[::-1] if reverse else tuple(loop)
    at = points.index(start)
    return points[at:] + points[:at]


# --- the face's own axes -----------------------------------------------------------

# The oval as the pole is averaged over it, in one fixed order.
_POLE_OVAL = np.array(loop_from(FACE_OVAL, CHIN, reverse=True))


@dataclass(frozen=True, eq=False)
class FaceFrame:
    """A face's own axes, from its eyes.

    Attributes
    ----------
    centre : ndarray of shape (2,)
        Midway between the eyes (see :func:`face_frame` for which points).
    across : ndarray of shape (2,)
        Unit vector from the image-left eye to the image-right one.
    up : ndarray of shape (2,)
        Unit vector perpendicular to ``across``, towards the forehead.
    eye_distance : float
        Distance between the two eye points, pixels.
    chin_level : float
        Distance from the eye line down to the chin, pixels.
    xy : ndarray of shape (N, 2)
        The mesh's points the frame was taken from, pixels.
    """

    centre: NDArray[np.float64]
    across: NDArray[np.float64]
    up: NDArray[np.float64]
    eye_distance: float
    chin_level: float
    xy: NDArray[np.float64]

    @cached_property
    def pole(self) -> NDArray[np.float64]:
        """Centroid of the face oval: polar coordinates are taken about it.

        It stays inside the oval even on a head turned far sideways.
        """
        return self.xy[_POLE_OVAL].mean(axis=0)

    @property
    def down(self) -> NDArray[np.float64]:
        """Unit vector towards the chin: ``-up``."""
        return -self.up

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
        """Pixels of the points at angles ``theta`` and radii ``radius`` about the pole."""
        return (
            self.pole
            + (radius * np.cos(theta))[:, None] * self.across
            + (radius * np.sin(theta))[:, None] * self.up
        )

    def level(self, points: NDArray[np.float64]) -> NDArray[np.float64]:
        """0 on the eye line, 1 at the chin's height, negative above the eyes."""
        return ((points - self.centre) @ -self.up) / self.chin_level


def face_frame(
    mesh: NDArray[np.floating], *, eyes: Literal["outer", "middle"] = "outer"
) -> FaceFrame:
    """The face's own axes, from its mesh.

    Parameters
    ----------
    mesh : ndarray of shape (478, 2) or (478, 3)
        Mesh points in pixels; only ``x`` and ``y`` are read.
    eyes : {'outer', 'middle'}, optional
        Which point of each eye the axes run through: ``'outer'`` the outer
        corners (33 and 263), ``'middle'`` each eye's middle, halfway between
        its two corners (steadier when the eyes look sideways).

    Returns
    -------
    FaceFrame
    """
    xy = np.asarray(mesh, np.float64)[:, :2]
    if eyes == "outer":
        left, right = xy[LEFT_EYE_OUTER], xy[RIGHT_EYE_OUTER]
    else:
        left = xy[[LEFT_EYE_OUTER, LEFT_EYE_INNER]].mean(axis=0)
        right = xy[[RIGHT_EYE_OUTER, RIGHT_EYE_INNER]].mean(axis=0)
    across = right - left
    distance = float(np.linalg.norm(across)) or 1.0
    across = across / distance
    up = np.array([across[1], -across[0]])
    centre = (left + right) / 2
    chin_level = float((xy[CHIN] - centre) @ -up) or distance
    return FaceFrame(centre, across, up, distance, chin_level, xy)
