"""The face's visible outline: the face oval, pushed out where the head's silhouette is.

The 478-point mesh's face oval is the face's outline on a frontal face. On a
head turned sideways the oval's far side is hidden behind the cheek, and
Face++'s dense landmarks mark "the contour of the visible region" there, so
the outline here is the oval pushed out wherever other mesh points (the nose
and lips left out) project beyond it. It is kept in polar coordinates about
the pole of the face's :class:`~webapp.vision.mesh.FaceFrame`, so the
contours and the hairline can ask for its radius at any angle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from ..mesh import CHIN, FACE_OVAL, N_MESH, NOSE_AND_LIPS, FaceFrame, face_frame, loop_from
from .curves import catmull_rom

# Mesh points that may stick out of the visible outline on a turned head: all
# but the nose and lips.
_SILHOUETTE = [i for i in range(N_MESH) if i not in NOSE_AND_LIPS]
_SILHOUETTE_BINS = 120  # 3 degrees each
# The oval as the outline's spline runs through it: from the chin, towards the image's right.
_OVAL = loop_from(FACE_OVAL, CHIN, reverse=True)


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
    curve, _ = catmull_rom(xy[list(_OVAL)], closed=True, per_segment=8)
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
    chin = float(frame.polar(outline.xy[CHIN][None, :])[0][0])
    if chin > np.pi / 2:
        chin -= 2 * np.pi  # count from the chin towards the image's right
    if side == "left":
        chin += 2 * np.pi
    grid = chin + np.linspace(0.0, np.pi, 181) * (1 if side == "right" else -1)
    points = frame.cartesian(grid, outline.radius_at(grid))
    reached = np.nonzero(frame.level(points) <= end_level)[0]
    stop = int(reached[0]) if len(reached) else len(points) - 1
    return points[: max(stop, 1) + 1]
