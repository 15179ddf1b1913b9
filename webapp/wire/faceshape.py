"""Tencent's face-shape API (`POST /face/shape`): codes, response bodies, and its renderer.

Every body is ``{"code", "message", "data": {"session_id", ...}}``. The
codes follow Tencent's face-fusion error table where a code fits; the HTTP
status and the English message of each failure are the shared vocabulary's
(:mod:`webapp.wire.codes`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .codes import ERRORS, Answer, Renderer, error_message

if TYPE_CHECKING:
    from webapp.vision import FaceShape

#: The code of each failure of the shared vocabulary.
CODES: dict[str, int] = {
    "auth_missing": -20001,
    "auth_malformed": -20002,
    "auth_failed": -20003,
    "auth_expired": -7,
    "unknown_appid": -1,
    "rate_limited": -2011,
    "bad_content_type": -2100,
    "method_not_allowed": -2100,
    "invalid_json": -1009,
    "bad_request": -2100,
    "missing_field": -6,
    "missing_image": -6,
    "bad_field": -1000,
    "request_too_large": -3,
    "empty": -1001,
    "not_image": -1001,
    "unsupported_format": -1001,
    "animated": -1001,
    "damaged": -1001,
    "too_small": -1001,
    "too_large_bytes": -3,
    "upload_too_large": -3,
    "too_many_pixels": -3,
    "url_fetch_failed": -1005,
    "no_face": 1000,
    "busy": -20005,
    "worker_lost": -5,
    "queue_timeout": -20005,
    "remote_failed": -20005,
    "storage_full": -5,
    "internal": -5,
}

OK_CODE = 0
OK_MESSAGE = "OK"


def faces_payload(result: FaceShape) -> list[dict[str, list[dict[str, int]]]]:
    """Return `data.face_shape`: one dict per face, each group a list of {x, y}."""
    from webapp.vision import FACE_SHAPE_GROUPS

    return [
        {group: [{"x": x, "y": y} for x, y in getattr(face, group)] for group in FACE_SHAPE_GROUPS}
        for face in result.faces
    ]


def success_body(result: FaceShape, *, session_id: str = "") -> dict[str, Any]:
    """Return the body for an engine result; no face is code 1000 with empty data."""
    data = {
        "session_id": session_id,
        "image_width": result.width,
        "image_height": result.height,
        "face_shape": faces_payload(result),
    }
    if not result.faces:
        return {"code": CODES["no_face"], "message": error_message("no_face"), "data": data}
    return {"code": OK_CODE, "message": OK_MESSAGE, "data": data}


def error_body(name: str, *, session_id: str = "", **params: object) -> dict[str, Any]:
    """Return the body for error `name` (a key of CODES); ``message`` replaces the usual one."""
    message = params.get("message") or error_message(name, **params)
    return {"code": CODES[name], "message": message, "data": {"session_id": session_id}}


def http_status(code: int) -> int:
    """Return the HTTP status that goes with a code (200 when the code is unknown)."""
    if not code:
        return 200
    name = next((name for name, c in CODES.items() if c == code), None)
    return ERRORS[name].http_status if name else 200


class FaceShapeRenderer(Renderer):
    """Failures as Tencent's face-shape bodies; ``job_id`` is the answer's session_id."""

    def error(self, name: str, params: Mapping[str, Any]) -> Answer:
        name, params = _resolve(name, dict(params))
        session_id = str(params.pop("job_id", ""))
        return Answer(ERRORS[name].http_status, error_body(name, session_id=session_id, **params))

    def answer(self, body: dict[str, Any]) -> Answer:
        return Answer(http_status(body.get("code", 0)), body)


def _resolve(name: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Return the row a failure is answered with: a URL's failures by kind; unknown → internal."""
    if name == "url_fetch_failed":
        kind = params.get("kind")
        if kind == "bad_url":
            return "bad_field", {"field": "url", "reason": params.get("reason")}
        if kind == "too_large":
            return "too_large_bytes", params
    if name not in CODES:
        return "internal", {"job_id": params.get("job_id", "")}
    return name, params


# --- exports -------------------------------------------------------------------------

#: Tencent's later face-analysis API (AnalyzeFace): 90 points per face, the 88 of
#: the face-shape layout in its group order, then the two pupils (image-left first).
TENCENT90_GROUPS: dict[str, str] = {
    "face_profile": "FaceProfile",
    "left_eye": "LeftEye",
    "right_eye": "RightEye",
    "left_eyebrow": "LeftEyeBrow",
    "right_eyebrow": "RightEyeBrow",
    "mouth": "Mouth",
    "nose": "Nose",
}
TENCENT90_PUPILS = ("LeftPupil", "RightPupil")


def tencent90_body(result: FaceShape) -> dict[str, Any]:
    """The face-analysis API's answer: ``ImageWidth``, ``ImageHeight``, ``FaceShapeSet``.

    Each face is ``{"FaceProfile": [{"X", "Y"}, ...], ..., "Nose": [...],
    "LeftPupil": [{"X", "Y"}], "RightPupil": [{"X", "Y"}]}``: 21 + 8 + 8 + 8 + 8
    + 22 + 13 + 1 + 1 = 90 points.
    """
    faces = []
    for face, pupils in zip(result.faces, result.pupils, strict=True):
        entry = {
            name: [{"X": x, "Y": y} for x, y in getattr(face, group)]
            for group, name in TENCENT90_GROUPS.items()
        }
        for name, (x, y) in zip(TENCENT90_PUPILS, pupils, strict=True):
            entry[name] = [{"X": x, "Y": y}]
        faces.append(entry)
    return {"ImageWidth": result.width, "ImageHeight": result.height, "FaceShapeSet": faces}


def ibug68_pts(points: Any) -> str:
    """One face's 68 points as an iBUG 300-W ``.pts`` file (1-based pixels, 3 decimals)."""
    rows = [f"{float(x) + 1:.3f} {float(y) + 1:.3f}" for x, y in points]
    if len(rows) != 68:
        raise ValueError(f"an iBUG .pts file has 68 points, not {len(rows)}")
    return "version: 1\nn_points: 68\n{\n" + "\n".join(rows) + "\n}\n"


def ibug68_details(result: FaceShape) -> list[list[list[float]]]:
    """The 68 points of every face, 0-based float pixels (3 decimals), for the result page."""
    return [[[round(float(x), 3), round(float(y), 3)] for x, y in face] for face in result.ibug68]
