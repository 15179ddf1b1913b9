"""One table of every error the face-shape API can answer.

Codes follow the face-fusion seed's table where a code fits; the README
documents the whole table. Messages are templates filled with the error's
parameters (sizes, limits).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WireError:
    name: str
    code: int
    http_status: int
    message: str


def _mb(size: object) -> object:
    return f"{size / 2**20:.1f} MB" if isinstance(size, int) else size


ERRORS: dict[str, WireError] = {
    e.name: e
    for e in [
        # Request and authentication.
        WireError("auth_missing", -20001, 401, "The Authorization header is missing."),
        WireError(
            "auth_malformed", -20002, 401, "The Authorization header cannot be parsed: {reason}."
        ),
        WireError(
            "auth_failed", -20003, 401, "The signature does not match the request's credential."
        ),
        WireError("auth_expired", -7, 401, "The signature has expired; sign the request again."),
        WireError(
            "unknown_appid", -1, 403, "Unknown appid, or the appid does not match the signature."
        ),
        WireError("rate_limited", -2011, 429, "Too many requests: the limit is {limit} a minute."),
        WireError(
            "bad_content_type",
            -2100,
            400,
            "Send multipart/form-data or application/json, not {content_type}.",
        ),
        WireError("invalid_json", -1009, 400, "The request body is not valid JSON."),
        WireError("missing_field", -6, 400, "The field '{field}' is required."),
        WireError(
            "missing_image", -6, 400, "Send the photo as 'image' (multipart/form-data) or as 'url'."
        ),
        WireError("bad_field", -1000, 400, "The field '{field}' is invalid: {reason}."),
        WireError(
            "request_too_large", -3, 413, "The request is too large ({size}); the limit is {limit}."
        ),
        # The photo.
        WireError("empty", -1001, 400, "The image is empty."),
        WireError(
            "not_image",
            -1001,
            400,
            "The file is not an image. Send a JPEG, PNG, WebP or BMP photo.",
        ),
        WireError(
            "unsupported_format",
            -1001,
            400,
            "{format} images are not supported. Send a JPEG, PNG, WebP or BMP photo.",
        ),
        WireError("animated", -1001, 400, "Animated images are not supported. Send a still photo."),
        WireError("damaged", -1001, 400, "The image is damaged or incomplete and cannot be read."),
        WireError(
            "too_small",
            -1001,
            400,
            "The image is too small ({width}x{height}); each side needs at least {min_side} pixels.",
        ),
        WireError(
            "too_large_bytes", -3, 413, "The image is too large ({size}); the limit is {limit}."
        ),
        WireError(
            "too_many_pixels",
            -3,
            400,
            "The image is too large ({width}x{height}); the limit is {limit} pixels.",
        ),
        WireError(
            "url_fetch_failed", -1005, 400, "The image at the url cannot be fetched: {reason}."
        ),
        # Outcomes.
        WireError("no_face", 1000, 200, "No face was found in the image."),
        # The service itself.
        WireError(
            "busy", -20005, 503, "The service is busy and did not answer in time; try again."
        ),
        WireError(
            "worker_lost",
            -5,
            503,
            "The worker processing this photo stopped twice; please upload it again.",
        ),
        WireError(
            "queue_timeout",
            -20005,
            503,
            "No worker picked up this photo in time; please upload it again.",
        ),
        WireError(
            "remote_failed", -20005, 503, "The face service did not answer properly: {reason}."
        ),
        WireError(
            "internal",
            -5,
            503,
            "The photo could not be processed because of an internal error; try again.",
        ),
    ]
}

OK_CODE = 0
OK_MESSAGE = "OK"


def error_message(name: str, **params: object) -> str:
    """Return the message for error `name`, its parameters filled in."""
    error = ERRORS[name]
    if name in _BYTE_ERRORS:
        params = {k: (_mb(v) if k in ("size", "limit") else v) for k, v in params.items()}
    return error.message.format_map(_Missing(params))


class _Missing(dict):
    """Leave a parameter nobody supplied visible instead of failing."""

    def __missing__(self, key: str) -> str:
        return "?"


_BYTE_ERRORS = {"too_large_bytes", "request_too_large"}


def http_status(code: int) -> int:
    """Return the HTTP status that goes with a wire code (200 when the code is unknown)."""
    return next((e.http_status for e in ERRORS.values() if e.code == code), 200) if code else 200
