"""The shared vocabulary of failures, and what every wire format's renderer builds on.

Every way a request or a job can fail has one name here (``ERRORS``), with
the HTTP status it means in HTTP terms and the English message the site
shows (jobs store it as their ``error_message``). The APIs raise
:class:`ApiError` with these names; each wire format's :class:`Renderer`
(``webapp.wire.faceshape``, ``.fusion``, ``.dense``, ``.idphoto``) turns a
name and its parameters into that format's body and HTTP status. A wire may
also have names of its own (Face++'s ``INVALID_FACE_TOKEN``, fusion's
``template_no_face``...), which only its renderer knows.

Parameters every renderer understands, besides those of the message:

- ``message``: this API's own words for the failure, used instead of the
  vocabulary's message (a failed job's stored message, for one);
- ``detail``: more words, for formats that quote them: the engine's own
  sentence about an image it refused (``str(ImageError)``), or what follows
  the message of one of a wire's own names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Failure:
    name: str
    http_status: int
    message: str


def _mb(size: object) -> object:
    return f"{size / 2**20:.1f} MB" if isinstance(size, int) else size


ERRORS: dict[str, Failure] = {
    e.name: e
    for e in [
        # Request and authentication.
        Failure("auth_missing", 401, "The Authorization header is missing."),
        Failure("auth_malformed", 401, "The Authorization header cannot be parsed: {reason}."),
        Failure("auth_failed", 401, "The signature does not match the request's credential."),
        Failure("auth_expired", 401, "The signature has expired; sign the request again."),
        Failure("unknown_appid", 403, "Unknown appid, or the appid does not match the signature."),
        Failure("rate_limited", 429, "Too many requests: the limit is {limit} a minute."),
        Failure("method_not_allowed", 405, "Send a POST request, not {method}."),
        Failure(
            "bad_content_type",
            400,
            "Send multipart/form-data or application/json, not {content_type}.",
        ),
        Failure("invalid_json", 400, "The request body is not valid JSON."),
        Failure("bad_request", 400, "The request cannot be read: {reason}."),
        Failure("missing_field", 400, "The field '{field}' is required."),
        Failure(
            "missing_image", 400, "Send the photo as 'image' (multipart/form-data) or as 'url'."
        ),
        Failure("bad_field", 400, "The field '{field}' is invalid: {reason}."),
        Failure(
            "request_too_large", 413, "The request is too large ({size}); the limit is {limit}."
        ),
        # The photo: the engine's ImageError codes, and a URL that cannot be fetched.
        Failure("empty", 400, "The image is empty."),
        Failure("not_image", 400, "The file is not an image. Send a JPEG, PNG, WebP or BMP photo."),
        Failure(
            "unsupported_format",
            400,
            "{format} images are not supported. Send a JPEG, PNG, WebP or BMP photo.",
        ),
        Failure("animated", 400, "Animated images are not supported. Send a still photo."),
        Failure("damaged", 400, "The image is damaged or incomplete and cannot be read."),
        Failure(
            "too_small",
            400,
            "The image is too small ({width}x{height}); "
            "each side needs at least {min_side} pixels.",
        ),
        Failure("too_large_bytes", 413, "The image is too large ({size}); the limit is {limit}."),
        Failure("upload_too_large", 413, "The photo is too large; the limit is {limit}."),
        Failure(
            "too_many_pixels",
            400,
            "The image is too large ({width}x{height}); the limit is {limit} pixels.",
        ),
        Failure("url_fetch_failed", 400, "The image at the url cannot be fetched: {reason}."),
        # Outcomes.
        Failure("no_face", 200, "No face was found in the image."),
        # The service itself.
        Failure("busy", 503, "The service is busy and did not answer in time; try again."),
        Failure(
            "worker_lost",
            503,
            "The worker processing this photo stopped before it finished; please upload it again.",
        ),
        Failure(
            "queue_timeout", 503, "No worker picked up this photo in time; please upload it again."
        ),
        Failure("remote_failed", 503, "The face service did not answer properly: {reason}."),
        Failure(
            "storage_full",
            503,
            "The server has no room left to store the photo; try again later.",
        ),
        Failure(
            "internal",
            503,
            "The photo could not be processed because of an internal error; try again.",
        ),
    ]
}

#: The service's own failures (a job that did not finish properly, or an unexpected error).
SERVICE_ERRORS = frozenset(
    {"busy", "worker_lost", "queue_timeout", "remote_failed", "storage_full", "internal"}
)


def error_message(name: str, **params: object) -> str:
    """Return the message for error `name`, its parameters filled in ("?" if missing)."""
    error = ERRORS[name]
    if name in _BYTE_ERRORS:
        params = {k: (_mb(v) if k in ("size", "limit") else v) for k, v in params.items()}
    return error.message.format_map(_Missing(params))


def own_words(name: str, params: Mapping[str, Any]) -> str:
    """Return a failure's English words: ``message``, else ``detail``, else the vocabulary's."""
    words = params.get("message") or params.get("detail")
    if words:
        return str(words)
    return error_message(name, **params) if name in ERRORS else ""


class _Missing(dict):
    """Leave a parameter nobody supplied visible instead of failing."""

    def __missing__(self, key: str) -> str:
        return "?"


_BYTE_ERRORS = {"too_large_bytes", "upload_too_large", "request_too_large"}


class ApiError(Exception):
    """Stop handling a request: failure `name` (of ERRORS, or a wire's own), with its params."""

    def __init__(self, name: str, **params: Any) -> None:
        super().__init__(name)
        self.name = name
        self.params = params

    def __repr__(self) -> str:
        return f"ApiError({self.name!r}, **{self.params!r})"


@dataclass(frozen=True)
class Answer:
    """A response in a wire format: HTTP status and body (a str body is sent as plain text)."""

    status: int
    body: dict[str, Any] | str
    #: JSON sent as UTF-8 (``ensure_ascii=False``, ``charset=utf-8``) instead of ASCII escapes.
    utf8: bool = False


class Renderer:
    """A wire format's answers to one request; a subclass per format.

    Made once per request (a format may number its requests): ``error``
    turns a failure into the format's answer, ``answer`` a body the API
    built (a result, or a failure a job stored) into the format's response.
    """

    def error(self, name: str, params: Mapping[str, Any]) -> Answer:
        raise NotImplementedError

    def answer(self, body: dict[str, Any]) -> Answer:
        return Answer(200, body)
