"""The site's limits on uploaded photos, in one place."""

from __future__ import annotations

from django.conf import settings


def max_upload_bytes() -> int:
    return settings.MAX_UPLOAD_MB * 2**20


def photo_limits() -> dict[str, int]:
    """Return the keyword arguments of `vision.probe_image` and `vision.load_image`."""
    return {
        "max_bytes": max_upload_bytes(),
        "max_pixels": settings.MAX_IMAGE_PIXELS,
        "min_side": settings.MIN_IMAGE_SIDE,
    }


#: Room for a form's other fields and its multipart headers around the photo.
FORM_OVERHEAD_BYTES = 64 * 1024


def max_upload_request_bytes() -> int:
    """Return the largest request body that carries one photo: the photo and its form."""
    return max_upload_bytes() + FORM_OVERHEAD_BYTES


def content_length(value: str | None) -> int | None:
    """Return a Content-Length header's value; None if absent; ValueError if not a number.

    Only ASCII digits count ('²'.isdigit() is true, and int() reads '١٢٣').
    """
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit():
        raise ValueError(f"Content-Length is not a number: {value[:20]!r}")
    # int() refuses more than 4,300 digits; any such length is too large anyway.
    return int(value) if len(value) <= 18 else 10**18
