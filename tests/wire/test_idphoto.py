"""The ID-photo API's bodies, code table and command line."""

from __future__ import annotations

from pathlib import Path

from webapp.wire.idphoto import CODES, IMAGE_ERRORS, error_body, new_task_no

SET = Path(__file__).resolve().parents[1] / "data" / "idphoto"

SERVICE_CODES = {
    200: "成功",
    201: "照片处理失败",
    202: "人脸检测失败",
    203: "照片找不到",
    204: "图片尺寸过大，最大边长为2500像素",
    205: "图片中找不到人脸",
    206: "图片中找不到人的头部信息",
    207: "证件照规格不存在",
    208: "内容涉嫌违规",
    209: "图片编码失败",
    210: "图片不适合制作证件照",
    400: "参数错误",
    500: "服务商维护，请稍候再试",
}


def test_the_table_has_the_services_codes_and_messages():
    assert {c.code: c.msg for c in CODES.values()} == SERVICE_CODES
    assert all(c.message for c in CODES.values())
    assert set(IMAGE_ERRORS.values()) <= set(CODES)


def test_error_body_and_task_numbers():
    body = error_body("bad_parameters")
    assert (body["code"], body["msg"], body["data"]) == (400, "参数错误", None)
    assert len(body["taskNo"]) == 24 and body["taskNo"].isdigit()
    assert new_task_no() != new_task_no()
