"""Landmarks read off the face mesh: the 88-point face shape and the dense layout.

- :mod:`.faceshape`: Tencent's face-shape API layout (Youtu ``face/shape``),
  88 points per face;
- :mod:`.dense`: Face++'s dense landmarks (``thousandlandmark``);
- :mod:`.outline`: the face's visible outline, which the dense contours follow;
- :mod:`.hairline`: the hairline search above the outline;
- :mod:`.curves`: the splines and even resampling the sequences are made of.
"""

from __future__ import annotations

from .dense import (
    ALL_PARTS,
    PART_FIELDS,
    SEQUENCE_LENGTHS,
    DenseLandmarks,
    dense_landmarks,
    dense_landmarks_for_face,
)
from .faceshape import FACE_SHAPE_GROUPS, FaceShape, FaceShapePoints, face_shape
from .hairline import HAIRLINE_POINTS, Hairline, find_hairline

__all__ = [
    "ALL_PARTS",
    "FACE_SHAPE_GROUPS",
    "HAIRLINE_POINTS",
    "PART_FIELDS",
    "SEQUENCE_LENGTHS",
    "DenseLandmarks",
    "FaceShape",
    "FaceShapePoints",
    "Hairline",
    "dense_landmarks",
    "dense_landmarks_for_face",
    "face_shape",
    "find_hairline",
]
