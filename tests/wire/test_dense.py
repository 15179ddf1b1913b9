"""webapp.wire.dense: thousandlandmark bodies, errors, return_landmark, image rules, CLI."""

from __future__ import annotations

import json
import re

import pytest

from webapp.vision.landmarks import ALL_PARTS, PART_FIELDS, DenseLandmarks
from webapp.wire.dense import (
    ERRORS,
    PARTS,
    PLAIN_TEXT_ERRORS,
    DenseRequestError,
    error_body,
    error_message,
    error_status,
    new_request_id,
    parse_return_landmark,
    success_body,
)

# --- the error table ---------------------------------------------------------------

# (name, params, HTTP status, error_message): every row of Face++'s tables, its
# failure example, and the image errors of Face++'s other APIs.
TABLE = [
    ("INVALID_FACE_TOKEN", {"face_token": "c2fc0ad7"}, 400, "INVALID_FACE_TOKEN: c2fc0ad7"),
    ("AUTHENTICATION_ERROR", {}, 401, "AUTHENTICATION_ERROR"),
    (
        "AUTHORIZATION_ERROR",
        {"reason": "Denied by Admin"},
        403,
        "AUTHORIZATION_ERROR: Denied by Admin",
    ),
    ("CONCURRENCY_LIMIT_EXCEEDED", {}, 403, "CONCURRENCY_LIMIT_EXCEEDED"),
    ("MISSING_ARGUMENTS", {"key": "api_key"}, 400, "MISSING_ARGUMENTS: api_key"),
    ("BAD_ARGUMENTS", {"key": "return_landmark"}, 400, "BAD_ARGUMENTS: return_landmark"),
    ("COEXISTENCE_ARGUMENTS", {}, 400, "COEXISTENCE_ARGUMENTS"),
    ("IMAGE_DOWNLOAD_TIMEOUT", {}, 412, "IMAGE_DOWNLOAD_TIMEOUT"),
    ("REQUEST_ENTITY_TOO_LARGE", {}, 413, "Request Entity Too Large"),
    ("API_NOT_FOUND", {}, 404, "API_NOT_FOUND"),
    ("INTERNAL_ERROR", {}, 500, "INTERNAL_ERROR"),
    ("INVALID_FACE_TOKENS_SIZE", {}, 400, "INVALID_FACE_TOKENS_SIZE"),
    (
        "IMAGE_ERROR_UNSUPPORTED_FORMAT",
        {"param": "image_file"},
        400,
        "IMAGE_ERROR_UNSUPPORTED_FORMAT: image_file",
    ),
    ("INVALID_IMAGE_SIZE", {"param": "image_base64"}, 400, "INVALID_IMAGE_SIZE: image_base64"),
    ("INVALID_IMAGE_URL", {}, 400, "INVALID_IMAGE_URL"),
    ("IMAGE_FILE_TOO_LARGE", {}, 400, "IMAGE_FILE_TOO_LARGE"),
]


def test_the_table_has_every_row_and_nothing_else():
    assert set(ERRORS) == {name for name, *_ in TABLE}


@pytest.mark.parametrize(
    ("name", "params", "status", "message"), TABLE, ids=[row[0] for row in TABLE]
)
def test_error_messages_and_statuses(name, params, status, message):
    assert error_status(name) == status
    assert error_message(name, **params) == message
    exc = DenseRequestError(name, **params)
    assert (exc.name, exc.status, str(exc)) == (name, status, message)


def test_only_the_413_is_plain_text():
    assert PLAIN_TEXT_ERRORS == {"REQUEST_ENTITY_TOO_LARGE"}


def test_unknown_error_names_are_refused():
    with pytest.raises(ValueError, match="unknown Face\\+\\+ error"):
        DenseRequestError("NO_SUCH_ERROR")


def test_error_body():
    body = error_body("MISSING_ARGUMENTS", request_id="1,abc", time_used=5, key="api_secret")
    assert body == {
        "time_used": 5,
        "error_message": "MISSING_ARGUMENTS: api_secret",
        "request_id": "1,abc",
    }


def test_request_id_looks_like_face_plus_plus():
    assert re.fullmatch(
        r"1548051575,[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}",
        new_request_id(1548051575.9),
    )
    assert new_request_id() != new_request_id()


# --- return_landmark ---------------------------------------------------------------


def test_parts_match_the_engine():
    assert PARTS == ALL_PARTS


@pytest.mark.parametrize(
    ("value", "parts"),
    [
        ("all", ALL_PARTS),
        ("All", ALL_PARTS),  # Face++'s own curl example
        ("nose,all", ALL_PARTS),
        ("mouth,left_eye", ("left_eye", "mouth")),
        (" face , nose ,", ("face", "nose")),
        ("mouse", ("mouth",)),  # the documentation's typo for mouth
        ("mouth,mouse,MOUTH", ("mouth",)),
        ("left_eyebrow,right_eyebrow,left_eye,right_eye,nose,mouth,face", ALL_PARTS),
    ],
)
def test_return_landmark_parses(value, parts):
    assert parse_return_landmark(value) == parts


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "MISSING_ARGUMENTS: return_landmark"),
        ("", "MISSING_ARGUMENTS: return_landmark"),
        ("   ", "MISSING_ARGUMENTS: return_landmark"),
        ("ears", "BAD_ARGUMENTS: return_landmark"),
        ("nose,ears", "BAD_ARGUMENTS: return_landmark"),
        (",", "BAD_ARGUMENTS: return_landmark"),
        ("1", "BAD_ARGUMENTS: return_landmark"),
    ],
)
def test_return_landmark_errors(value, message):
    with pytest.raises(DenseRequestError) as caught:
        parse_return_landmark(value)
    assert str(caught.value) == message and caught.value.status == 400


# --- success bodies ----------------------------------------------------------------


def _result(found: bool = True) -> DenseLandmarks:
    if not found:
        return DenseLandmarks(width=640, height=480)
    landmark = {
        part: {
            name: (7 if name.endswith("_pupil_radius") else (i, 2 * i))
            for i, name in enumerate(names)
        }
        for part, names in PART_FIELDS.items()
        if part in ("left_eye", "mouth")
    }
    return DenseLandmarks(640, 480, (164, 161, 216, 217), landmark, "skin", 0.9)


def test_success_body():
    body = success_body(_result(), request_id="1548051575,97f2634e", time_used=339)
    assert list(body) == ["request_id", "time_used", "face"]
    assert body["time_used"] == 339 and body["request_id"] == "1548051575,97f2634e"
    face = body["face"]
    assert face["face_rectangle"] == {"top": 164, "left": 161, "width": 216, "height": 217}
    assert list(face["landmark"]) == ["left_eye", "mouth"]
    left_eye = face["landmark"]["left_eye"]
    assert left_eye["left_eye_0"] == {"x": 0, "y": 0} and left_eye["left_eye_62"] == {
        "x": 62,
        "y": 124,
    }
    assert left_eye["left_eye_pupil_radius"] == 7  # a bare number, as Face++ sends it
    assert len(face["landmark"]["mouth"]) == 128
    # Engine metadata (the hairline's method) stays out of Face++'s fields.
    assert "hairline_method" not in json.dumps(body)
    json.dumps(body)


def test_no_face_is_an_empty_face():
    assert success_body(_result(found=False), request_id="1,x", time_used=3) == {
        "request_id": "1,x",
        "time_used": 3,
        "face": {},
    }


# --- Face++'s image rules ----------------------------------------------------------
