"""webapp.wire.dense: thousandlandmark bodies, errors, return_landmark, image rules, CLI."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
from PIL import Image

from webapp.vision.landmarks import ALL_PARTS, PART_FIELDS, DenseLandmarks
from webapp.wire.dense import (
    ERRORS,
    PARTS,
    PLAIN_TEXT_ERRORS,
    DenseRequestError,
    error_body,
    error_message,
    error_status,
    load_request_image,
    new_request_id,
    parse_return_landmark,
    run_cli,
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


def _image_bytes(size: tuple[int, int], fmt: str = "PNG", noise: bool = False) -> bytes:
    if noise:
        pixels = np.random.default_rng(3).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
        image = Image.fromarray(pixels)
    else:
        image = Image.new("RGB", size, (120, 90, 60))
    buf = io.BytesIO()
    image.save(buf, fmt)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_jpeg_and_png_are_accepted(fmt):
    image = load_request_image(_image_bytes((120, 100), fmt))
    assert image.shape == (100, 120, 3) and image.dtype == np.uint8


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_image_bytes((120, 100), "WEBP"), "IMAGE_ERROR_UNSUPPORTED_FORMAT: image_file"),
        (_image_bytes((120, 100), "BMP"), "IMAGE_ERROR_UNSUPPORTED_FORMAT: image_file"),
        (_image_bytes((120, 100), "GIF"), "IMAGE_ERROR_UNSUPPORTED_FORMAT: image_file"),
        (b"not an image at all", "IMAGE_ERROR_UNSUPPORTED_FORMAT: image_file"),
        (_image_bytes((120, 100), "PNG")[:-40], "IMAGE_ERROR_UNSUPPORTED_FORMAT: image_file"),
        (_image_bytes((99, 300)), "INVALID_IMAGE_SIZE: image_file"),
        (_image_bytes((4097, 120)), "INVALID_IMAGE_SIZE: image_file"),
        (_image_bytes((900, 900), noise=True), "IMAGE_FILE_TOO_LARGE"),
    ],
    ids=["webp", "bmp", "gif", "garbage", "truncated", "too small", "too wide", "over 2 MB"],
)
def test_face_plus_plus_image_rules(data, message):
    with pytest.raises(DenseRequestError) as caught:
        load_request_image(data)
    assert str(caught.value) == message and caught.value.status == 400


def test_the_image_parameter_is_named():
    with pytest.raises(DenseRequestError, match="^INVALID_IMAGE_SIZE: image_base64$"):
        load_request_image(_image_bytes((50, 50)), param="image_base64")


# --- command line ------------------------------------------------------------------


def test_cli_prints_one_body_per_image(data_dir, capsys):
    status = run_cli([str(data_dir / "faces" / "astronaut.png")], "mouth,LEFT_EYE")
    out = capsys.readouterr().out.splitlines()
    assert status == 0 and len(out) == 1
    body = json.loads(out[0])
    assert list(body["face"]["landmark"]) == ["left_eye", "mouth"]
    assert body["face"]["landmark"]["mouth"]["upper_lip_0"].keys() == {"x", "y"}
    assert re.fullmatch(r"\d+,[0-9a-f-]{36}", body["request_id"])


def test_cli_no_face_is_not_a_failure(tmp_path, capsys):
    path = tmp_path / "grey.png"
    path.write_bytes(_image_bytes((200, 150)))
    assert run_cli([str(path)], "all") == 0
    assert json.loads(capsys.readouterr().out)["face"] == {}


def test_cli_fails_on_a_bad_image_or_a_missing_file(tmp_path, data_dir, capsys):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"GIF89a not really")
    status = run_cli(
        [str(bad), str(tmp_path / "missing.png"), str(data_dir / "faces" / "astronaut.png")], "nose"
    )
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert status == 1 and len(lines) == 2
    assert json.loads(lines[0])["error_message"] == "IMAGE_ERROR_UNSUPPORTED_FORMAT: image_file"
    assert list(json.loads(lines[1])["face"]["landmark"]) == ["nose"]
    assert "missing.png" in captured.err


def test_cli_refuses_bad_parts(data_dir, capsys):
    assert run_cli([str(data_dir / "faces" / "astronaut.png")], "ears") == 1
    assert json.loads(capsys.readouterr().out)["error_message"] == "BAD_ARGUMENTS: return_landmark"
