"""The site's limits on uploaded photos, and whose address a limit counts, in one place."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.http import HttpRequest


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


def address_key(request: HttpRequest) -> str:
    """A keyed hash of the caller's address (the address itself is not stored).

    Behind the HTTPS proxy (BEHIND_HTTPS_PROXY), the address is the one the
    proxy adds last to X-Forwarded-For. What the pages' upload limit and the
    anonymous API rate limit count.
    """
    address = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.SECURE_PROXY_SSL_HEADER and forwarded:
        address = forwarded.split(",")[-1].strip()
    key = hashlib.sha256(b"likeness-address:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()
