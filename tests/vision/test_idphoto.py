"""The ID-photo check: every figure, every labelled case, and the errors."""

from __future__ import annotations

import io
import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from webapp.vision.errors import ImageError
from webapp.vision.idphoto import IdPhotoReport, UnknownSpecError, check_id_photo, read_file_facts

SET = Path(__file__).resolve().parents[1] / "data" / "idphoto"
LABELS = json.loads((SET / "labels.json").read_text())

SCORES = (
    "nose_occlusion",
    "face_unbalance",
    "face_occlusion",
    "shoulder_equal",
    "mouth_occlusion",
    "eyes_close",
    "eyes_occlusion",
    "mouth_close",
    "background_clean",
    "face_blur",
    "eyes_sight",
    "bf_similarity",
    "background_gradual",
    "face_darkillum",
)
FRACTIONS = (
    "face_x_occupy",
    "eyes_y_center",
    "head_chin_y",
    "head_right",
    "face_x_center",
    "head_left",
    "head_top",
)
SERVICE_FIELDS = {
    "color_channels",
    "nose_occlusion",
    "face_unbalance",
    "face_num",
    "face_x_occupy",
    "face_occlusion",
    "shoulder_equal",
    "photo_format",
    "mouth_occlusion",
    "eyes_close",
    "eyes_occlusion",
    "eyes_y_center",
    "is_transparent_background",
    "glasses",
    "mouth_close",
    "head_chin_y",
    "head_right",
    "face_x_center",
    "dpi",
    "background_clean",
    "size_mm",
    "eyes_spacing",
    "nose_tip",
    "size_pix",
    "head_pose",
    "face_blur",
    "file_size",
    "mouthmask",
    "head_left",
    "background_color",
    "head_top",
    "eyes_sight",
    "has_hat",
    "bf_similarity",
    "background_gradual",
    "face_darkillum",
}


@cache
def _report(name: str) -> IdPhotoReport:
    return check_id_photo((SET / name).read_bytes(), spec=LABELS[name].get("spec"))


def _jpeg(image: np.ndarray, **save: object) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "JPEG", **save)
    return buf.getvalue()


def test_it_returns_every_service_field_with_its_type_and_range():
    # A smaller face than the base's: the shoulders and clothes are in the photo too.
    report = _report("hv3-small.jpg")
    result = report.detect_result
    assert set(result) == SERVICE_FIELDS
    for name in SCORES:
        assert isinstance(result[name], int) and 0 <= result[name] <= 100, name
    for name in FRACTIONS:
        assert isinstance(result[name], float) and 0.0 <= result[name] <= 1.0, name
    assert result["color_channels"] == 3 and result["face_num"] == 1
    assert result["photo_format"] == "jpg" and result["is_transparent_background"] is False
    assert result["glasses"] in ("no_glasses", "normal_glasses", "dark_glasses")
    assert result["mouthmask"] in (0, 1) and result["has_hat"] in (0, 1)
    assert (
        result["size_pix"] == [600, 800]
        and result["dpi"] == [300, 300]
        and result["size_mm"] == [51, 68]
    )
    assert result["file_size"] == (SET / "hv3-small.jpg").stat().st_size
    assert isinstance(result["eyes_spacing"], int) and 80 < result["eyes_spacing"] < 200  # pixels
    assert all(0.0 <= v <= 1.0 for v in result["nose_tip"])
    assert all(isinstance(c, int) and 0 <= c <= 255 for c in result["background_color"])
    assert set(result["head_pose"]) == {"yaw_angle", "roll_angle", "pitch_angle"}
    assert all(abs(v) < 90 for v in result["head_pose"].values())
    json.dumps(result)  # plain data


def test_it_measures_the_layout_the_base_was_made_with():
    result = _report("hv3-base.jpg").detect_result
    assert result["face_x_occupy"] == pytest.approx(0.575, abs=0.01)
    assert result["face_x_center"] == pytest.approx(0.4975, abs=0.01)
    assert result["eyes_y_center"] == pytest.approx(0.5, abs=0.01)
    assert result["head_left"] < result["face_x_center"] - 0.575 / 2
    assert result["head_right"] > result["face_x_center"] + 0.575 / 2
    assert (
        result["head_top"] < result["eyes_y_center"] < result["nose_tip"][1] < result["head_chin_y"]
    )
    assert result["background_color"] == [255, 255, 255]


def test_it_reads_a_known_tilt():
    base = _report("hv2-base.jpg").detect_result["head_pose"]["roll_angle"]
    roll = _report("hv2-roll12.jpg").detect_result["head_pose"]["roll_angle"]
    assert roll - base == pytest.approx(12.0, abs=1.0)  # rotated clockwise by 12 degrees


@pytest.mark.parametrize("name", sorted(n for n, label in LABELS.items() if not label["reasons"]))
def test_it_passes_compliant_photos(name):
    report = _report(name)
    assert report.error is None
    assert report.reasons == ()
    assert report.passed


@pytest.mark.parametrize("name", sorted(n for n, label in LABELS.items() if label["reasons"]))
def test_it_flags_each_labelled_reason(name):
    report = _report(name)
    assert not report.passed
    assert set(LABELS[name]["reasons"]) <= set(report.reasons)


@pytest.mark.parametrize(
    ("name", "figure", "value"),
    [
        ("hv1-transparent.png", "is_transparent_background", True),
        ("hv1-transparent.png", "color_channels", 4),
        ("hv1-transparent.png", "photo_format", "png"),
        ("hv3-grey.jpg", "color_channels", 1),
        ("hv4-sunglasses.jpg", "glasses", "dark_glasses"),
        ("hv3-glasses.jpg", "glasses", "normal_glasses"),
        ("real-walter-glasses.jpg", "glasses", "normal_glasses"),
        ("hv1-base.jpg", "glasses", "no_glasses"),
        ("hv1-cap.jpg", "has_hat", 1),
        ("hv1-base.jpg", "has_hat", 0),
        ("spec-cn_id_card-ok.jpg", "dpi", [350, 350]),
        ("spec-cn_id_card-ok.jpg", "size_mm", [26, 32]),
    ],
)
def test_it_reads_the_figure(name, figure, value):
    assert _report(name).detect_result[figure] == value


def test_a_black_and_white_photo_saved_in_colour_is_not_in_colour():
    grey = np.asarray(Image.open(SET / "hv3-grey.jpg").convert("RGB"))
    report = check_id_photo(_jpeg(grey))
    assert report.detect_result["color_channels"] == 1
    assert "not_colour" in report.reasons
    # The same photo in colour has its three channels.
    colour = check_id_photo((SET / "hv4-base.jpg").read_bytes())
    assert colour.detect_result["color_channels"] == 3
    assert "not_colour" not in colour.reasons


def test_it_omits_dpi_when_the_file_has_none():
    result = _report("spec-cn_xuexin-ok.jpg").detect_result
    assert "dpi" not in result and "size_mm" not in result


def test_it_says_a_figure_cannot_be_measured():
    # The face fills the photo down past the chin: no clothes to compare.
    assert _report("hv2-large.jpg").detect_result["bf_similarity"] == -1


def test_it_returns_what_to_draw():
    report = _report("spec-us_passport-ok.jpg")
    drawing = report.drawing
    assert drawing is not None
    assert (drawing.width, drawing.height) == (600, 600)
    x, y, w, h = drawing.face_box
    assert 0 <= x < drawing.face_left + 5 and drawing.face_right - 5 < x + w <= 600
    assert drawing.head_top_y < drawing.eye_line_y < drawing.chin[1]
    assert set(drawing.bands) == {"face_centre", "eye_line", "head_height"}
    low, high = drawing.bands["eye_line"]
    assert low < drawing.eye_line_y < high
    assert len(drawing.pose_axes) == 3 and len(drawing.background_grid[0]) == 32
    assert 0.2 < drawing.background_share < 0.9


def test_it_reports_no_face():
    data = _jpeg(np.full((400, 300, 3), 230, np.uint8))
    report = check_id_photo(data)
    assert (report.passed, report.error, report.drawing) == (False, "no_face", None)
    assert report.detect_result["face_num"] == 0
    assert report.detect_result["size_pix"] == [300, 400]


def test_it_refuses_a_side_over_2500_pixels():
    report = check_id_photo(_jpeg(np.zeros((2600, 100, 3), np.uint8)))
    assert report.error == "too_large"
    assert "face_num" not in report.detect_result


def test_it_raises_on_an_unknown_spec_before_reading_the_file():
    with pytest.raises(UnknownSpecError, match="unknown ID-photo specification 'nope'"):
        check_id_photo(b"not even an image", spec="nope")


def test_it_raises_image_error_on_a_file_that_is_not_an_image():
    with pytest.raises(ImageError) as info:
        check_id_photo(b"hello")
    assert info.value.code == "not_image"


def test_it_applies_a_spec_only_when_asked():
    data = (SET / "spec-us_passport-600x800.jpg").read_bytes()
    assert "wrong_size" not in check_id_photo(data).reasons
    assert "wrong_size" in check_id_photo(data, spec="us_passport").reasons


def test_read_file_facts_tells_an_opaque_alpha_from_a_transparent_one():
    buf = io.BytesIO()
    Image.new("RGBA", (40, 40), (10, 20, 30, 255)).save(buf, "PNG")
    facts = read_file_facts(buf.getvalue())
    assert (facts.color_channels, facts.transparent, facts.dpi) == (4, False, None)


def test_a_photo_the_caller_already_decoded_gives_the_same_report():
    from webapp.vision import load_image

    data = (SET / "hv1-roll12.jpg").read_bytes()
    image = load_image(data)
    given = check_id_photo(data, image=image)
    assert given.detect_result == check_id_photo(data).detect_result
    assert given.reasons == check_id_photo(data).reasons
