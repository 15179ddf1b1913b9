"""Likeness's computer-vision engine: pure functions on RGB ``uint8`` arrays.

No Django, no settings, no environment: images in, frozen dataclasses out.
Coordinates are pixels with the origin at the top-left corner, ``x`` = column,
``y`` = row. MediaPipe is imported on first use, not by importing this
package; call :func:`warm_up` in a worker process that will not fork.
"""

from __future__ import annotations

from .errors import ImageError, InvalidImageError
from .faces import Face, detect_faces, warm_up
from .images import (
    ImageInfo,
    Picture,
    as_pixels,
    check_photo,
    encode_jpeg,
    load_image,
    load_image_with_alpha,
    open_image,
    probe_image,
    scale_down,
    strip_jpeg_metadata,
)
from .landmarks import FACE_SHAPE_GROUPS, FaceShape, FaceShapePoints, face_shape

__all__ = [
    "FACE_SHAPE_GROUPS",
    "Face",
    "FaceShape",
    "FaceShapePoints",
    "ImageError",
    "ImageInfo",
    "InvalidImageError",
    "Picture",
    "as_pixels",
    "check_photo",
    "detect_faces",
    "encode_jpeg",
    "face_shape",
    "load_image",
    "open_image",
    "load_image_with_alpha",
    "probe_image",
    "strip_jpeg_metadata",
    "scale_down",
    "warm_up",
]
