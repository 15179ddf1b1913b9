"""What the pages say when a photo is refused or a job fails, in the visitor's language.

The engine's :class:`~webapp.vision.ImageError` and the wire vocabulary
(``webapp.wire.codes``) name every failure by a code, in English, for the
APIs. The pages say the same things through this table, translated (the
catalogue in ``locale/``). Job failures are stored with their code; the
result page shows ``job_failure(code)``, not the stored English message.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

#: The page's words for each failure code. In English they are the wire vocabulary's
#: (``webapp.wire.codes.ERRORS``) word for word, so the pages and the APIs say one thing.
MESSAGES: Mapping[str, Promise] = {
    "empty": _("The image is empty."),
    "not_image": _("The file is not an image. Send a JPEG, PNG, WebP or BMP photo."),
    "unsupported_format": _(
        "{format} images are not supported. Send a JPEG, PNG, WebP or BMP photo."
    ),
    "animated": _("Animated images are not supported. Send a still photo."),
    "damaged": _("The image is damaged or incomplete and cannot be read."),
    "too_small": _(
        "The image is too small ({width}x{height}); each side needs at least {min_side} pixels."
    ),
    "too_large_bytes": _("The image is too large ({size}); the limit is {limit}."),
    "upload_too_large": _("The photo is too large; the limit is {limit}."),
    "too_many_pixels": _("The image is too large ({width}x{height}); the limit is {limit} pixels."),
    "no_face": _("No face was found in the image."),
    "busy": _("The service is busy and did not answer in time; try again."),
    "worker_lost": _(
        "The worker processing this photo stopped before it finished; please upload it again."
    ),
    "queue_timeout": _("No worker picked up this photo in time; please upload it again."),
    "remote_failed": _("The face service did not answer properly: {reason}."),
    "storage_full": _("The server has no room left to store the photo; try again later."),
    "internal": _("The photo could not be processed because of an internal error; try again."),
    # The pages' own.
    "length_not_a_number": _("The upload cannot be read: its length is not a number."),
    "unreadable_form": _("The upload cannot be read: send the form again."),
}

#: A failed job keeps its code, not the numbers of its message: what the result page says
#: for the codes whose message needs them.
JOB_MESSAGES: Mapping[str, Promise] = {
    "unsupported_format": _(
        "This kind of image is not supported. Send a JPEG, PNG, WebP or BMP photo."
    ),
    "too_small": _("The image is too small."),
    "too_large_bytes": _("The image is too large."),
    "too_many_pixels": _("The image has too many pixels."),
    "remote_failed": _("The face service did not answer properly; try again later."),
}

#: A fusion that ended without a result, by the name of its ``ret`` (``webapp.wire.fusion``):
#: what its result page says. Any other ``ret`` says ``FUSION_OTHER``.
FUSION_MESSAGES: Mapping[str, Promise] = {
    "template_no_face": _("The template has no face to replace."),
    "face_error": _("The face in the photo could not be analysed."),
    "face_detect_failed": _("Face detection failed; please try again."),
    "image_error": _("The image cannot be used."),
    "image_too_large": _("The image is too large."),
    "save_failed": _("The result image could not be saved; please try again."),
    "backend_down": _("The fusion service is unavailable; try again later."),
}
FUSION_OTHER = _("The fusion service could not finish; please try again later.")

#: Parameters given in bytes, shown in megabytes.
_BYTES = ("size", "limit")
_BYTE_CODES = {"too_large_bytes", "upload_too_large"}


def _mb(value: object) -> object:
    return f"{value / 2**20:.1f} MB" if isinstance(value, int) else value


def photo_error(code: str, **params: object) -> str:
    """Return the page's words for a refused upload, in the active language."""
    if code in _BYTE_CODES:
        params = {k: (_mb(v) if k in _BYTES else v) for k, v in params.items()}
    return str(MESSAGES[code]).format_map(_Missing(params))


def job_failure(code: str, stored: str = "") -> str:
    """Return the page's words for a failed job: its code's, else the message it stored."""
    message = JOB_MESSAGES.get(code) or MESSAGES.get(code)
    return stored if message is None else str(message)


class _Missing(dict):
    """Leave a parameter nobody supplied visible instead of failing."""

    def __missing__(self, key: str) -> str:
        return "?"


def fusion_failure(name: str | None) -> str:
    """Return the page's words for a fusion answer without a result, by its error's name."""
    return str(FUSION_MESSAGES.get(name or "", FUSION_OTHER))
