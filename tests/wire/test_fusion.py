"""The face-fusion wire format and command line (no Django)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from webapp.vision.errors import IMAGE_ERROR_CODES
from webapp.vision.fusion import REASONS
from webapp.wire.fusion import (
    ERRORS,
    IMAGE_ERRORS,
    REASON_ERRORS,
    error_body,
    error_for_ret,
    error_message,
    ret_value,
    success_body,
)

FACES = Path(__file__).parent.parent / "data" / "faces"

TENCENT_RETS = {
    0, 1000, -1, -3, -4, -5, -6, -7, -8,
    -1000, -1001, -1002, -1003, -1004, -1005, -1007, -1008, -1009,
    -2011, -2100, -2102, -2103,
    -20001, -20002, -20003, -20004, -20005,
}  # fmt: skip


def test_the_table_has_every_code_of_tencents_table() -> None:
    assert {e.ret for e in ERRORS.values()} == TENCENT_RETS
    assert all(name == e.name for name, e in ERRORS.items())


def test_the_table_keeps_tencents_meanings() -> None:
    assert ERRORS["no_face"].meaning == "无人脸"
    assert ERRORS["template_no_face"].meaning == "模板无人脸"
    assert ERRORS["image_too_large"].meaning == "图片尺寸太大"
    assert ERRORS["rate_limited"].meaning == "访问频率超出限制"
    assert ERRORS["backend_down"].meaning == "后端服务故障"


def test_every_engine_reason_and_image_error_has_a_code() -> None:
    assert set(REASON_ERRORS) == set(REASONS)
    assert set(IMAGE_ERRORS) == set(IMAGE_ERROR_CODES)
    assert all(name in ERRORS for name in [*REASON_ERRORS.values(), *IMAGE_ERRORS.values()])
    assert ERRORS[REASON_ERRORS["no_face"]].ret == 1000
    assert ERRORS[REASON_ERRORS["template_no_face"]].ret == -8


def test_success_body_sends_ret_as_an_integer() -> None:
    body = success_body("http://localhost/r/abc.jpg")
    assert body == {"ret": 0, "img_url": "http://localhost/r/abc.jpg"}
    assert json.dumps(body) == '{"ret": 0, "img_url": "http://localhost/r/abc.jpg"}'


def test_error_body() -> None:
    assert error_body("missing_field", field="model_id") == {
        "ret": -6,
        "img_url": "",
        "msg": "The field 'model_id' is required.",
    }


def test_error_message_shows_missing_parameters() -> None:
    assert error_message("bad_field", field="uin") == "The field 'uin' is invalid: ?."


@pytest.mark.parametrize(
    "ret, name",
    [(-2011, "rate_limited"), (-2015, "rate_limited"), (-8, "template_no_face"), (1000, "no_face")],
)
def test_error_for_ret(ret: int, name: str) -> None:
    error = error_for_ret(ret)
    assert error is not None and error.name == name


def test_error_for_an_unknown_ret() -> None:
    assert error_for_ret(-2016) is None


@pytest.mark.parametrize("body, ret", [({"ret": 0}, 0), ({"ret": "0"}, 0), ({"ret": "-8"}, -8)])
def test_ret_value_reads_both_forms(body: dict, ret: int) -> None:
    assert ret_value(body) == ret


@pytest.mark.parametrize("body", [{}, {"ret": None}, {"ret": True}, {"ret": "zero"}])
def test_ret_value_rejects_non_integers(body: dict) -> None:
    with pytest.raises(ValueError):
        ret_value(body)
