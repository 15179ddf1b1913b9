"""The dense-landmark command line and its image rules (JPEG or PNG, 100-4096 px, 2 MB)."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
from PIL import Image

from webapp.services.dense import load_request_image, run_cli
from webapp.wire.dense import DenseRequestError

from ..conftest import DATA


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
    assert image.shape == (100, 120, 3) and image.pixels().dtype == np.uint8


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


def test_cli_prints_one_body_per_image(capsys):
    status = run_cli([str(DATA / "faces" / "astronaut.png")], "mouth,LEFT_EYE")
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


def test_cli_fails_on_a_bad_image_or_a_missing_file(tmp_path, capsys):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"GIF89a not really")
    status = run_cli(
        [str(bad), str(tmp_path / "missing.png"), str(DATA / "faces" / "astronaut.png")], "nose"
    )
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert status == 1 and len(lines) == 2
    assert json.loads(lines[0])["error_message"] == "IMAGE_ERROR_UNSUPPORTED_FORMAT: image_file"
    assert list(json.loads(lines[1])["face"]["landmark"]) == ["nose"]
    assert "missing.png" in captured.err


def test_cli_refuses_bad_parts(capsys):
    assert run_cli([str(DATA / "faces" / "astronaut.png")], "ears") == 1
    assert json.loads(capsys.readouterr().out)["error_message"] == "BAD_ARGUMENTS: return_landmark"
