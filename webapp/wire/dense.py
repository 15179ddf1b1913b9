"""Face++'s dense-landmark API (``POST /facepp/v1/face/thousandlandmark``), on the wire.

Pure Python: the response bodies, the error table, the ``return_landmark``
parser, Face++'s image rules for this API and :class:`DenseRenderer`, shared
by the HTTP API, the remote client and the command line
(:mod:`webapp.services.dense`). The engine's result types are imported for
type checking only.

Decisions where Face++'s documentation is loose:

- Error messages are ``NAME`` or ``NAME: <param>``, always with one space
  after the colon, as Face++'s servers answer (``"IMAGE_ERROR_UNSUPPORTED_FORMAT:
  image_file"``); the documented table drops the space in two rows
  (``BAD_ARGUMENTS:<key>``, ``AUTHORIZATION_ERROR:<reason>``) but not in others.
- ``ERRORS`` holds every row of the API's two documented error tables, the
  ``INVALID_FACE_TOKENS_SIZE`` of its failure example, and the image errors
  that Face++'s other APIs document for this API's image rules (format,
  pixel size, file size, URL), which its page states but gives no message for.
- ``return_landmark`` is case-insensitive (the documentation's own example
  sends ``All``), items may carry spaces, ``all`` anywhere means every part,
  and ``mouse`` (a typo in the documented list of values, the response part
  being ``mouth``) is accepted as ``mouth``.
- No face is not an error: HTTP 200 with an empty ``face`` object, as the
  documentation says ("如果没有检测出人脸则为空").
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypedDict

from .codes import Answer, ApiError, Renderer

if TYPE_CHECKING:
    from webapp.vision.landmarks import DenseLandmarks

#: Every Face++ error this API can answer: name -> (HTTP status, message template).
#: Templates name their parameter: ``error_message("BAD_ARGUMENTS", key="return_landmark")``.
ERRORS: Mapping[str, tuple[int, str]] = MappingProxyType(
    {
        # Face++'s table "当前 API 特有的 ERROR_MESSAGE" (this API's own).
        "INVALID_FACE_TOKEN": (400, "INVALID_FACE_TOKEN: {face_token}"),
        # Face++'s table "通用的ERROR_MESSAGE" (common to its APIs).
        "AUTHENTICATION_ERROR": (401, "AUTHENTICATION_ERROR"),
        "AUTHORIZATION_ERROR": (403, "AUTHORIZATION_ERROR: {reason}"),
        "CONCURRENCY_LIMIT_EXCEEDED": (403, "CONCURRENCY_LIMIT_EXCEEDED"),
        "MISSING_ARGUMENTS": (400, "MISSING_ARGUMENTS: {key}"),
        "BAD_ARGUMENTS": (400, "BAD_ARGUMENTS: {key}"),
        "COEXISTENCE_ARGUMENTS": (400, "COEXISTENCE_ARGUMENTS"),
        "IMAGE_DOWNLOAD_TIMEOUT": (412, "IMAGE_DOWNLOAD_TIMEOUT"),
        "REQUEST_ENTITY_TOO_LARGE": (413, "Request Entity Too Large"),  # plain text, not JSON
        "API_NOT_FOUND": (404, "API_NOT_FOUND"),
        "INTERNAL_ERROR": (500, "INTERNAL_ERROR"),
        # The documentation's failure example.
        "INVALID_FACE_TOKENS_SIZE": (400, "INVALID_FACE_TOKENS_SIZE"),
        # This API's image rules, with the messages of Face++'s other APIs.
        "IMAGE_ERROR_UNSUPPORTED_FORMAT": (400, "IMAGE_ERROR_UNSUPPORTED_FORMAT: {param}"),
        "INVALID_IMAGE_SIZE": (400, "INVALID_IMAGE_SIZE: {param}"),
        "INVALID_IMAGE_URL": (400, "INVALID_IMAGE_URL"),
        "IMAGE_FILE_TOO_LARGE": (400, "IMAGE_FILE_TOO_LARGE"),
    }
)
#: Errors answered as a plain-text body (Face++: "该错误的返回格式为纯文本，不是json格式").
PLAIN_TEXT_ERRORS = frozenset({"REQUEST_ENTITY_TOO_LARGE"})

#: The parts ``return_landmark`` can ask for, in the response's order (the
#: engine's ``webapp.vision.landmarks.ALL_PARTS``; a test keeps them equal).
PARTS: tuple[str, ...] = (
    "face",
    "left_eyebrow",
    "right_eyebrow",
    "left_eye",
    "right_eye",
    "nose",
    "mouth",
)
_ALIASES = {"mouse": "mouth"}

# Face++'s image rules for this API.
MAX_IMAGE_BYTES = 2 * 2**20
MIN_IMAGE_SIDE = 100
MAX_IMAGE_SIDE = 4096
IMAGE_FORMATS = ("JPEG", "PNG")

#: Engine ImageError codes -> Face++ error names.
IMAGE_ERROR_NAMES: Mapping[str, str] = {
    "empty": "IMAGE_ERROR_UNSUPPORTED_FORMAT",
    "not_image": "IMAGE_ERROR_UNSUPPORTED_FORMAT",
    "unsupported_format": "IMAGE_ERROR_UNSUPPORTED_FORMAT",
    "animated": "IMAGE_ERROR_UNSUPPORTED_FORMAT",
    "damaged": "IMAGE_ERROR_UNSUPPORTED_FORMAT",
    "too_large_bytes": "IMAGE_FILE_TOO_LARGE",
    "too_many_pixels": "INVALID_IMAGE_SIZE",
    "too_small": "INVALID_IMAGE_SIZE",
}


class Point(TypedDict):
    x: int
    y: int


class FaceRectangle(TypedDict):
    top: int
    left: int
    width: int
    height: int


class DenseRequestError(ApiError):
    """An :class:`~webapp.wire.codes.ApiError` with one of Face++'s own names (``ERRORS``).

    Parameters
    ----------
    name : str
        A key of ``ERRORS``, e.g. ``"BAD_ARGUMENTS"``.
    **params
        What the message template needs, e.g. ``key="return_landmark"``.
    """

    def __init__(self, name: str, **params: str) -> None:
        if name not in ERRORS:
            raise ValueError(f"unknown Face++ error {name!r}")
        super().__init__(name, **params)

    def __str__(self) -> str:
        return error_message(self.name, **self.params)

    @property
    def status(self) -> int:
        return ERRORS[self.name][0]


def error_message(name: str, **params: str) -> str:
    """Return the ``error_message`` of error ``name``, e.g. ``"MISSING_ARGUMENTS: api_key"``."""
    return ERRORS[name][1].format_map(params)


def new_request_id(now: float | None = None) -> str:
    """Return a Face++-style ``request_id``: ``"<unix seconds>,<uuid4>"``."""
    return f"{int(time.time() if now is None else now)},{uuid.uuid4()}"


def parse_return_landmark(value: str | None) -> tuple[str, ...]:
    """Parse ``return_landmark`` into the parts to return, in the response's order.

    Parameters
    ----------
    value : str or None
        The request's value: ``all``, or comma-separated part names (any
        order, any case). None when the request has no such parameter.

    Returns
    -------
    tuple of str
        Parts from ``PARTS``; all of them when ``all`` is among the items.

    Raises
    ------
    DenseRequestError
        ``MISSING_ARGUMENTS: return_landmark`` when absent or blank,
        ``BAD_ARGUMENTS: return_landmark`` for an unknown item.

    Examples
    --------
    >>> parse_return_landmark("mouth, Left_Eye")
    ('left_eye', 'mouth')
    >>> parse_return_landmark("nose,all") == PARTS
    True
    """
    if value is None or not value.strip():
        raise DenseRequestError("MISSING_ARGUMENTS", key="return_landmark")
    items = {item.strip().lower() for item in value.split(",")} - {""}
    if "all" in items:
        return PARTS
    items = {_ALIASES.get(item, item) for item in items}
    if not items or not items <= set(PARTS):
        raise DenseRequestError("BAD_ARGUMENTS", key="return_landmark")
    return tuple(part for part in PARTS if part in items)


def success_body(result: DenseLandmarks, *, request_id: str, time_used: int) -> dict[str, Any]:
    """Return the 200 body for an engine result; no face gives an empty ``face``."""
    face: dict[str, Any] = {}
    if result.face_rectangle is not None:
        top, left, width, height = result.face_rectangle
        rectangle: FaceRectangle = {"top": top, "left": left, "width": width, "height": height}
        face = {"landmark": landmark_payload(result), "face_rectangle": rectangle}
    return {"request_id": request_id, "time_used": int(time_used), "face": face}


def landmark_payload(result: DenseLandmarks) -> dict[str, dict[str, Point | int]]:
    """Return ``face.landmark``: each point as ``{"x", "y"}``, pupil radii as bare ints."""
    return {
        part: {
            name: value if isinstance(value, int) else {"x": value[0], "y": value[1]}
            for name, value in fields.items()
        }
        for part, fields in result.landmark.items()
    }


def error_body(name: str, *, request_id: str, time_used: int, **params: str) -> dict[str, Any]:
    """Return the JSON body of error ``name`` (see ``error_status`` for its HTTP status)."""
    return {
        "time_used": int(time_used),
        "error_message": error_message(name, **params),
        "request_id": request_id,
    }


def error_status(name: str) -> int:
    """Return the HTTP status of error ``name``."""
    return ERRORS[name][0]


def image_error(code: str, *, param: str = "image_file") -> DenseRequestError:
    """Return the Face++ error for an engine ``ImageError`` code about request field ``param``."""
    name = IMAGE_ERROR_NAMES[code]
    return (
        DenseRequestError(name, param=param)
        if "{param}" in ERRORS[name][1]
        else DenseRequestError(name)
    )


#: Failures of the shared vocabulary answered with one of Face++'s names (a request's
#: field, when the name takes one, is the failure's ``field``).
SHARED_ERRORS: Mapping[str, str] = {
    "auth_missing": "AUTHENTICATION_ERROR",
    "auth_malformed": "AUTHENTICATION_ERROR",
    "auth_failed": "AUTHENTICATION_ERROR",
    "auth_expired": "AUTHENTICATION_ERROR",
    "unknown_appid": "AUTHENTICATION_ERROR",
    "rate_limited": "CONCURRENCY_LIMIT_EXCEEDED",
    "method_not_allowed": "API_NOT_FOUND",
    "missing_field": "MISSING_ARGUMENTS",
    "missing_image": "MISSING_ARGUMENTS",
    "bad_field": "BAD_ARGUMENTS",
    "bad_request": "BAD_ARGUMENTS",
    "request_too_large": "REQUEST_ENTITY_TOO_LARGE",
    "upload_too_large": "REQUEST_ENTITY_TOO_LARGE",
    **IMAGE_ERROR_NAMES,
}
#: How a URL that cannot be fetched is answered, by ``webapp.api.fetch.FetchError.kind``.
URL_ERRORS: Mapping[str, str] = {
    "timeout": "IMAGE_DOWNLOAD_TIMEOUT",
    "too_large": "IMAGE_FILE_TOO_LARGE",
}


class DenseRenderer(Renderer):
    """Face++'s answers to one request: its ``request_id`` and the milliseconds it took."""

    def __init__(self) -> None:
        self.request_id = new_request_id()
        self.start = time.perf_counter()

    def time_used(self) -> int:
        return round(1000 * (time.perf_counter() - self.start))

    def error(self, name: str, params: Mapping[str, Any]) -> Answer:
        if name == "url_fetch_failed":
            row = URL_ERRORS.get(str(params.get("kind")), "INVALID_IMAGE_URL")
        else:
            row = name if name in ERRORS else SHARED_ERRORS.get(name, "INTERNAL_ERROR")
        if row in PLAIN_TEXT_ERRORS:
            return Answer(error_status(row), error_message(row))
        field = str(params.get("field", ""))
        values = {"key": field, "param": field or "image_file", **params}
        body = error_body(row, request_id=self.request_id, time_used=self.time_used(), **values)
        return Answer(405 if name == "method_not_allowed" else error_status(row), body)

    def answer(self, body: dict[str, Any]) -> Answer:
        return Answer(200, {**body, "request_id": self.request_id, "time_used": self.time_used()})
