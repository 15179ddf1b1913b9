"""Prepare a template photo once, when the operator saves it: decode, find faces, thumbnail.

This is the only CV work done outside the worker: in the admin's request or
the `fusion` command, never per fusion request.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image

from webapp import vision
from webapp.core.limits import photo_limits
from webapp.core.messages import photo_error
from webapp.vision.fusion import TemplateFaces, prepare_template
from webapp.wire.fusion import ERRORS

THUMBNAIL_SIZE = 360
JPEG_QUALITY = 95

Faces = Literal["all"] | list[int]

# Why a photo cannot be a template, by the engine's reason code; both are Tencent's
# face-fusion code -8.
MESSAGES = {
    "template_no_face": "No face was found in this photo, so it cannot be a template "
    "(code {ret}, “template has no face”). Choose a photo with a clear face.",
    "template_face_missing": "This photo has {count} face(s), numbered 0 to {last}; "
    "{chosen} is not one of them (code {ret}, “template has no face”). Choose among the "
    "numbered faces of the preview, or “all”.",
}


@dataclass(frozen=True)
class PreparedTemplate:
    faces: TemplateFaces
    #: The photo upright, without metadata: what the worker decodes.
    jpeg: bytes
    thumbnail: bytes


def parse_faces(text: str) -> Faces:
    """Return "all" or the face numbers of a "0,2"-style list; raise ValidationError."""
    text = text.strip().lower()
    if text in ("", "all"):
        return "all"
    try:
        numbers = [int(part) for part in text.replace(" ", "").split(",")]
    except ValueError:
        numbers = []
    if not numbers or min(numbers) < 0:
        raise ValidationError(
            _("Write “all” or face numbers separated by commas, e.g. 0,2."), code="bad_faces"
        )
    return list(dict.fromkeys(numbers))


def format_faces(faces: Faces) -> str:
    return faces if isinstance(faces, str) else ",".join(map(str, faces))


def prepare_photo(content: bytes, *, faces: Faces = "all") -> PreparedTemplate:
    """Decode a template photo, find its faces, make its clean JPEG and thumbnail.

    Raises ValidationError when the photo cannot be decoded or has no face to
    replace (Tencent's face-fusion code -8).
    """
    try:
        image = vision.load_image(
            content,
            **photo_limits(),
        )
    except vision.ImageError as exc:
        raise ValidationError(photo_error(exc.code, **exc.params), code=exc.code) from exc
    jpeg = vision.encode_jpeg(image, quality=JPEG_QUALITY)
    # Faces are found on the pixels the worker will decode, not on the original.
    upright = vision.load_image(jpeg, max_bytes=len(jpeg), max_pixels=settings.MAX_IMAGE_PIXELS)
    found = prepare_template(upright, faces=faces)
    if not found.ok:
        raise _refusal(found, faces)
    return PreparedTemplate(found, jpeg, _thumbnail(upright))


def _refusal(found: TemplateFaces, faces: Faces) -> ValidationError:
    reason = found.reasons[0]
    error = ERRORS["template_no_face"]
    count = len(found.boxes)
    missing = [i for i in faces if i >= count] if not isinstance(faces, str) else []
    message = MESSAGES[reason].format(
        ret=error.ret,
        count=count,
        last=count - 1,
        chosen=", ".join(map(str, missing)),
    )
    return ValidationError(message, code=reason)


def _thumbnail(image: np.ndarray) -> bytes:
    picture = Image.fromarray(image)
    picture.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
