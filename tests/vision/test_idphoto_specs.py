"""The specification catalogue and the rule table."""

from __future__ import annotations

import dataclasses

import pytest

from webapp.vision.idphoto import (
    RULES,
    RULES_BY_CODE,
    SPECS,
    IdPhotoSpec,
    UnknownSpecError,
    evaluate,
    get_spec,
)

EXPECTED_SPECS = {
    "cn_id_card",
    "cn_passport",
    "cn_visa",
    "us_passport",
    "schengen_visa",
    "uk_passport",
    "canada_passport",
    "cn_xuexin",
    "japan_visa",
    "india_passport",
    "india_visa",
    "korea_passport",
    "australia_passport",
    "germany_passport",
    "france_passport",
}
BANDS = ("head_height", "head_top", "eye_line", "face_width")


def test_it_has_the_common_specifications():
    assert set(SPECS) == EXPECTED_SPECS
    assert get_spec("cn_id_card").size_px == (358, 441)
    assert get_spec("cn_id_card").size_mm == (26, 32)
    assert get_spec("us_passport").size_px == (600, 600)
    assert get_spec("cn_xuexin").size_px == (480, 640)
    assert get_spec("canada_passport").size_mm == (50, 70)
    assert get_spec("schengen_visa").size_mm == get_spec("uk_passport").size_mm == (35, 45)
    assert get_spec("cn_passport").size_mm == (33, 48)


@pytest.mark.parametrize("name", sorted(EXPECTED_SPECS))
def test_each_entry_is_complete(name):
    spec = SPECS[name]
    assert spec.name == name
    for f in dataclasses.fields(IdPhotoSpec):
        assert hasattr(spec, f.name)
    assert spec.title and spec.title_en and len(spec.source) > 40
    assert all(v > 0 for v in (*spec.size_mm, *spec.size_px))
    assert spec.accepts_size(*spec.size_px)
    assert spec.backgrounds and spec.formats == ("jpg",)
    assert spec.head_height is not None or spec.face_width is not None  # some size rule
    for band in BANDS:
        value = getattr(spec, band)
        if value is not None:
            low, high = value
            assert 0 <= low < high <= 1, band
    low, high = spec.file_size
    assert low is None or high is None or low < high
    # The pixel size has about the printed size's shape (China's visa upload is 3:4 for 33x48 mm).
    assert spec.size_px[0] / spec.size_px[1] == pytest.approx(
        spec.size_mm[0] / spec.size_mm[1], rel=0.1
    )


def test_get_spec_raises_on_an_unknown_name():
    with pytest.raises(UnknownSpecError) as info:
        get_spec("mars_passport")
    assert info.value.name == "mars_passport"
    assert isinstance(info.value, ValueError)


def test_size_ranges_accept_only_their_shape():
    us = get_spec("us_passport")
    assert (
        us.accepts_size(1000, 1000)
        and not us.accepts_size(600, 800)
        and not us.accepts_size(1300, 1300)
    )
    assert not get_spec("cn_id_card").accepts_size(359, 441)


def test_every_rule_has_a_unique_code_and_both_wordings():
    assert len(RULES_BY_CODE) == len(RULES)
    for rule in RULES:
        assert rule.zh and rule.en and rule.reading and rule.figure
        assert rule.op in ("min", "max", "abs_max", "is", "false")
    assert RULES_BY_CODE["shoulders_uneven"].zh == "两侧肩膀姿态不佳"  # the check service's wording


def test_spec_fields_of_rules_exist():
    for rule in RULES:
        if rule.spec_field:
            name = rule.spec_field.split("[")[0]
            assert hasattr(get_spec("cn_id_card"), name), rule.code


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        ({"face_x_occupy": 0.50}, ("face_too_small",)),
        ({"face_x_occupy": 0.51}, ()),
        ({"face_x_occupy": 0.65}, ("face_too_large",)),
        ({"face_x_center": 0.46}, ("face_too_left",)),
        ({"face_x_center": 0.53}, ("face_too_right",)),
        ({"eyes_y_center": 0.32}, ("face_too_high",)),
        ({"eyes_y_center": 0.63}, ("face_too_low",)),
        ({"eyes_close": 79}, ("eyes_closed",)),
        ({"eyes_close": 80}, ()),
        ({"mouth_close": 59}, ("mouth_open",)),
        ({"background_clean": 59}, ("background_cluttered",)),
        ({"face_darkillum": 59}, ("too_dark",)),
        ({"face_unbalance": 49}, ("uneven_lighting",)),
        ({"shoulder_equal": 49}, ("shoulders_uneven",)),
        ({"shoulder_equal": -1}, ()),
        ({"roll_angle": -9.0}, ("head_tilted",)),
        ({"glasses": "normal_glasses"}, ()),
        ({"glasses": "dark_glasses"}, ("dark_glasses",)),
        ({"is_transparent_background": True}, ("transparent_background",)),
        ({"face_num": 2}, ("multiple_faces",)),
    ],
)
def test_evaluate_reads_the_service_thresholds(figures, expected):
    assert evaluate(figures) == expected


def test_a_spec_replaces_the_service_bands_and_adds_its_rules():
    us = get_spec("us_passport")
    figures = {
        "face_x_occupy": 0.45,
        "eyes_y_center": 0.40,
        "head_height": 0.72,
        "glasses": "normal_glasses",
        "size_ok": False,
        "file_size": 300_000,
    }
    assert evaluate(figures) == ("face_too_small",)  # the check service's band
    assert evaluate(figures, spec=us) == (
        "head_too_large",
        "glasses",
        "wrong_size",
        "file_too_large",
    )
    card = get_spec("cn_id_card")
    assert evaluate({"eyes_y_center": 0.55, "dpi_ok": False}, spec=card) == (
        "face_too_low",
        "wrong_dpi",
    )


def test_the_new_35x45_entries_bound_the_head_like_icao():
    for name in ("japan_visa", "korea_passport", "australia_passport", "germany_passport"):
        spec = get_spec(name)
        assert spec.size_mm == (35, 45) and spec.size_px == (413, 531)
        assert spec.head_height == pytest.approx((32 / 45, 36 / 45))
    assert get_spec("japan_visa").head_top == pytest.approx((2 / 45, 6 / 45))
    assert get_spec("india_passport").size_mm == (51, 51)
    assert get_spec("india_visa").accepts_size(350, 350)
    assert get_spec("india_visa").file_size == (10_000, 1_000_000)
    assert all(c.name != "white" for c in get_spec("france_passport").backgrounds)


def test_custom_spec_builds_an_exact_size_with_its_bands():
    from webapp.vision.idphoto import custom_spec

    spec = custom_spec(
        (25, 35), dpi=300, head_height=(0.6, 0.7), eye_line=(0.35, 0.45), kb=(20, 50)
    )
    assert spec.size_px == (295, 413)  # 1-inch photo at 300 dpi
    assert spec.accepts_size(295, 413) and not spec.accepts_size(296, 413)
    assert spec.dpi == 300 and spec.file_size == (20 * 1024, 50 * 1024)
    assert spec.head_height == (0.6, 0.7) and spec.face_width is None
    assert evaluate({"head_height": 0.75, "eyes_y_center": 0.4}, spec=spec) == ("head_too_large",)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"size_mm": (2, 35), "head_height": (0.6, 0.7)}, "mm"),
        ({"size_mm": (25, 35), "dpi": 20, "head_height": (0.6, 0.7)}, "dpi"),
        ({"size_mm": (25, 35), "head_height": (0.7, 0.6)}, "head_height"),
        ({"size_mm": (25, 35)}, "head_height or face_width"),
        ({"size_mm": (25, 35), "head_height": (0.6, 0.7), "kb": (50, 20)}, "KB"),
        ({"size_mm": (25, 35), "head_height": (0.6, 0.7), "background": (0, 0, 300)}, "0-255"),
    ],
)
def test_custom_spec_refuses_bad_figures_with_a_message(kwargs, words):
    from webapp.vision.idphoto import custom_spec

    with pytest.raises(ValueError, match=words):
        custom_spec(**kwargs)
