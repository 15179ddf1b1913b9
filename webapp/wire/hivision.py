"""HivisionIDPhotos' API format: `{"status": true, "image_base64...": "data:image/png;base64,..."}`.

HivisionIDPhotos' server (``deploy_api.py``) answers every endpoint with a
``status``: true with the images as ``data:`` URIs (``image_base64_standard``
and ``image_base64_hd`` for /idphoto and /idphoto_crop, ``image_base64`` for
the others), or false; a photo without exactly one usable face is
``{"status": false}`` with HTTP 200. Its failures otherwise carry an
``error`` string: ours do too, in English, with the HTTP status of the shared
vocabulary (``webapp.wire.codes``) saying which kind (400, 401, 413, 429, 503).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from .codes import ERRORS, Answer, Renderer, own_words

__all__ = [
    "ENDPOINTS",
    "HivisionRenderer",
    "data_uri",
    "failure_body",
    "no_face_body",
    "success_body",
]

#: Each endpoint and the keys of its images in a success.
ENDPOINTS: Mapping[str, tuple[str, ...]] = {
    "idphoto": ("image_base64_standard", "image_base64_hd"),
    "idphoto_crop": ("image_base64_standard", "image_base64_hd"),
    "human_matting": ("image_base64",),
    "add_background": ("image_base64",),
    "generate_layout_photos": ("image_base64",),
    "watermark": ("image_base64",),
    "set_kb": ("image_base64",),
}

#: The failures that are an answer about the photo, as Hivision gives it (HTTP 200).
PHOTO_OUTCOMES = frozenset({"no_face", "many_faces", "face_too_small", "not_enough_photo"})


def data_uri(data: bytes) -> str:
    """Return image bytes as Hivision sends them: a PNG data URI (whatever the bytes are)."""
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def success_body(**images: bytes) -> dict[str, Any]:
    """Return ``{"status": true, <key>: <data URI>...}`` in the order given."""
    return {"status": True, **{key: data_uri(data) for key, data in images.items()}}


def no_face_body() -> dict[str, Any]:
    """Hivision's answer when the photo has no single usable face."""
    return {"status": False}


def failure_body(message: str) -> dict[str, Any]:
    """Hivision's answer to a failure it explains."""
    return {"status": False, "error": message}


class HivisionRenderer(Renderer):
    """Hivision's answers: a photo without a usable face is HTTP 200 ``{"status": false}``;
    anything else wrong is ``{"status": false, "error": ...}`` with the vocabulary's status."""

    def error(self, name: str, params: Mapping[str, Any]) -> Answer:
        if name in PHOTO_OUTCOMES:
            return Answer(200, no_face_body())
        words = own_words(name, params)
        status = ERRORS[name].http_status if name in ERRORS else 400
        return Answer(status, failure_body(words or name))

    def answer(self, body: dict[str, Any]) -> Answer:
        return Answer(200, body)
