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
