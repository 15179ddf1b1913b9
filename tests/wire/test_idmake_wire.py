"""The maker's and HivisionIDPhotos' wire formats: KB ranges, bodies, failures."""

from __future__ import annotations

import pytest

from webapp.wire import hivision, idmake


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10-30", (10.0, 30.0)),
        (" 10 - 30 ", (10.0, 30.0)),
        ("-30", (None, 30.0)),
        ("30", (None, 30.0)),
        ("10-", (10.0, None)),
        ("9.5-20.5", (9.5, 20.5)),
    ],
)
def test_a_kb_range_reads_as_people_write_it(text, expected):
    assert idmake.parse_kb(text) == expected


@pytest.mark.parametrize("text", ["", "-", "30-10", "ten", "1-2-3", "0", "-0"])
def test_a_bad_kb_range_says_so(text):
    with pytest.raises(ValueError, match="KB|size"):
        idmake.parse_kb(text)


def test_a_made_body_never_carries_the_images_and_is_ready_only_when_checked_and_passed():
    check = {"code": 200, "data": {"pass": True, "reasons": [], "detect_result": {}}}
    body = idmake.made_body(
        photo={"width": 1}, sheet=None, fixed=("cropped",), retake=(), check=check
    )
    assert body["data"]["photo"] == {"base64": "", "width": 1}
    assert body["data"]["ready"] is True and body["data"]["sheet"] is None
    failed = {"code": 205, "data": None}
    body = idmake.made_body(photo={}, sheet={"paper": "a4"}, fixed=(), retake=(), check=failed)
    assert body["data"]["ready"] is False and body["data"]["check"] is None
    assert body["data"]["sheet"] == {"base64": "", "paper": "a4"}


def test_the_makers_refusals_are_the_checks_codes_with_the_engines_words():
    body = idmake.make_error_body("many_faces", detail="照片中有多张人脸")
    assert body["code"] == 210 and body["msg"] == "图片不适合制作证件照: 照片中有多张人脸"
    assert idmake.make_error_body("no_face")["code"] == 205


def test_a_retake_is_worded_by_the_checks_rule_when_it_is_one():
    from webapp.vision.idphoto import RULES_BY_CODE

    rule = RULES_BY_CODE["eyes_closed"]
    assert idmake.wording("eyes_closed", idmake.RETAKE) == idmake.Wording(
        f"{rule.en} {rule.fix_en}", f"{rule.zh}。{rule.fix_zh}"
    )
    assert idmake.wording("shoulders_missing", idmake.RETAKE).zh.startswith("照片中要有双肩")
    assert idmake.wording("something_new", idmake.FIXED).en == "something new"


def test_hivisions_answers():
    assert hivision.success_body(image_base64=b"\x89PNG") == {
        "status": True,
        "image_base64": "data:image/png;base64,iVBORw==",
    }
    renderer = hivision.HivisionRenderer()
    assert renderer.error("no_face", {}).status == 200
    assert renderer.error("no_face", {}).body == {"status": False}
    limited = renderer.error("rate_limited", {"limit": 5})
    assert limited.status == 429
    assert limited.body == {"status": False, "error": "Too many requests: the limit is 5 a minute."}
    internal = renderer.error("internal", {})
    assert internal.status == 503 and internal.body["status"] is False
