"""Response bodies of the face-shape API (`POST /face/shape`), in the seed's format."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .codes import ERRORS, OK_CODE, OK_MESSAGE, error_message

if TYPE_CHECKING:
    from webapp.vision import FaceShape


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
        return {"code": ERRORS["no_face"].code, "message": error_message("no_face"), "data": data}
    return {"code": OK_CODE, "message": OK_MESSAGE, "data": data}


def error_body(name: str, *, session_id: str = "", **params: object) -> dict[str, Any]:
    """Return the body for error `name` (a key of codes.ERRORS)."""
    return {
        "code": ERRORS[name].code,
        "message": error_message(name, **params),
        "data": {"session_id": session_id},
    }
