"""What to draw on an annotated ID photo: the measured lines and the allowed bands.

Coordinates are pixels of the upright photo, origin at the top-left corner,
``x`` = column and ``y`` = row.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from ..mesh import CHIN, FOREHEAD
from ..person import Shoulders
from .geometry import MIRRORED_PAIRS, FaceGeometry, HeadExtent
from .rules import rule_limits
from .scene import Background
from .specs import IdPhotoSpec

#: Columns of the coarse background grid.
GRID_COLUMNS = 32


@dataclass(frozen=True)
class IdPhotoDrawing:
    """What to draw on an annotated copy of the photo (photo pixels).

    Attributes
    ----------
    width, height : int
        The upright photo's size.
    face_box : tuple of float
        ``(x, y, w, h)`` of the face mesh.
    face_left, face_right : float
        The face's width as measured (ear to ear), as two columns.
    eyes : tuple of two (x, y)
        The iris centres; ``eye_line_y`` their mean row.
    nose_tip, chin : tuple of float
        Points of the mesh.
    head_top_y, head_left_x, head_right_x : float
        The head with its hair (from the person mask).
    bands : dict
        Allowed ranges drawn as bands, each ``(low, high)`` in pixels:
        ``"eye_line"`` (rows), ``"face_centre"`` (columns), ``"face_width"``
        (widths), and under a spec that sets them ``"head_top"`` (rows) and
        ``"head_height"`` (heights). A band a spec leaves unset is absent.
    shoulders : tuple of two (x, y) or None
        The image-left shoulder (the subject's right) then the image-right one, when seen.
    pose_axes : tuple of three (x, y)
        Ends of the head's x (to the image right), y (down) and z (towards
        the camera) axes drawn from ``nose_tip``, each half a face width long.
    background_grid : tuple of str
        A coarse map of where the background was measured: one string per
        row, ``GRID_COLUMNS`` characters, ``"1"`` background, ``"0"`` not.
    background_share : float
        The share of the photo measured as background.
    person_outline : tuple of (x, y)
        The person's silhouette (head, hair, shoulders) as a simplified polygon:
        everything outside it is the background measured.
    """

    width: int
    height: int
    face_box: tuple[float, float, float, float]
    face_left: float
    face_right: float
    eyes: tuple[tuple[float, float], tuple[float, float]]
    eye_line_y: float
    nose_tip: tuple[float, float]
    chin: tuple[float, float]
    head_top_y: float
    head_left_x: float
    head_right_x: float
    bands: dict[str, tuple[float, float]]
    shoulders: tuple[tuple[float, float], tuple[float, float]] | None
    pose_axes: tuple[tuple[float, float], tuple[float, float], tuple[float, float]]
    background_grid: tuple[str, ...]
    background_share: float
    person_outline: tuple[tuple[float, float], ...] = ()


def make_drawing(
    *,
    box: tuple[float, float, float, float],
    mesh: NDArray[np.float32],
    geometry: FaceGeometry,
    head: HeadExtent,
    mask: NDArray[np.float32],
    factor: float,
    shoulders: Shoulders | None,
    spec: IdPhotoSpec | None,
    background: Background | None,
) -> IdPhotoDrawing:
    """Collect what to draw, in pixels of the original photo.

    The measures ran on a copy scaled by ``factor``; every coordinate is
    scaled back.
    """
    height, width = mask.shape
    g = geometry
    k = 1.0 / factor
    pt = lambda p: (round(p[0] * k, 1), round(p[1] * k, 1))  # noqa: E731
    full_w, full_h = round(width * k), round(height * k)
    seen = shoulders is not None and shoulders.visibility >= 0.5
    return IdPhotoDrawing(
        width=full_w,
        height=full_h,
        face_box=tuple(round(v * k, 1) for v in box),  # type: ignore[arg-type]
        face_left=round(g.left * k, 1),
        face_right=round(g.right * k, 1),
        eyes=(pt(g.eyes[0]), pt(g.eyes[1])),
        eye_line_y=round(g.eye_y * k, 1),
        nose_tip=pt(g.nose_tip),
        chin=pt(g.chin),
        head_top_y=round(head.top * k, 1),
        head_left_x=round(head.left * k, 1),
        head_right_x=round(head.right * k, 1),
        bands=_bands(spec, full_w, full_h),
        shoulders=(pt(shoulders.left), pt(shoulders.right)) if seen and shoulders else None,
        pose_axes=tuple(pt(a) for a in _pose_axes(mesh, g)),  # type: ignore[arg-type]
        background_grid=_grid(mask),
        background_share=round(background.share, 3) if background else 0.0,
        person_outline=_outline(mask, k),
    )


#: Each band drawn: the rules whose limits are its ends, and the photo side they measure.
BAND_RULES = {
    "face_centre": ("face_too_left", "face_too_right", "width"),
    "eye_line": ("face_too_high", "face_too_low", "height"),
    "face_width": ("face_too_small", "face_too_large", "width"),
    "head_top": ("head_top_too_close", "head_top_too_far", "height"),
    "head_height": ("head_too_small", "head_too_large", "height"),
}


def _bands(spec: IdPhotoSpec | None, width: int, height: int) -> dict[str, tuple[float, float]]:
    """The allowed ranges, from the very limits the rules apply (see :func:`rule_limits`)."""
    limits = {rule.code: limit for rule, limit in rule_limits(spec)}
    bands: dict[str, tuple[float, float]] = {}
    for name, (low, high, side) in BAND_RULES.items():
        if low in limits and high in limits:
            scale = width if side == "width" else height
            bands[name] = (round(limits[low] * scale, 1), round(limits[high] * scale, 1))
    return bands


def _pose_axes(mesh: NDArray[np.float32], geometry: FaceGeometry) -> list[tuple[float, float]]:
    """2-D ends of the head's axes from the nose tip, half a face width long."""
    points = mesh.astype(np.float64)
    x_axis = np.mean([points[b] - points[a] for a, b in MIRRORED_PAIRS], axis=0)
    x_axis /= np.linalg.norm(x_axis)
    down = points[CHIN] - points[FOREHEAD]
    y_axis = down - (down @ x_axis) * x_axis
    y_axis /= np.linalg.norm(y_axis)
    z_axis = -np.cross(x_axis, y_axis)  # towards the camera
    length = 0.5 * geometry.width
    tip = np.array(geometry.nose_tip)
    return [tuple(tip + length * axis[:2]) for axis in (x_axis, y_axis, z_axis)]  # type: ignore[misc]


def _grid(mask: NDArray[np.float32]) -> tuple[str, ...]:
    height, width = mask.shape
    rows = max(1, round(GRID_COLUMNS * height / width))
    small = cv2.resize(mask, (GRID_COLUMNS, rows), interpolation=cv2.INTER_AREA)
    return tuple("".join("1" if v < 0.2 else "0" for v in row) for row in small)


def _outline(mask: NDArray[np.float32], scale: float) -> tuple[tuple[float, float], ...]:
    """The largest person region's outline, simplified to about 0.1 % of its length."""
    person = (mask >= 0.5).astype(np.uint8)
    contours, _ = cv2.findContours(person, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return ()
    largest = max(contours, key=cv2.contourArea)
    simple = cv2.approxPolyDP(largest, 0.001 * cv2.arcLength(largest, True), True)
    return tuple((round(float(x) * scale, 1), round(float(y) * scale, 1)) for x, y in simple[:, 0])
