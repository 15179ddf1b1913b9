"""Tencent's face-fusion API (`POST /fuseapi/face`) on the wire: codes, messages, bodies.

One table, :data:`ERRORS`, holds every code of Tencent's error table, by
name: the code (``ret``), Tencent's own meaning in Chinese and the English
message this app sends. :class:`FusionRenderer` answers the shared
vocabulary's failures (:mod:`webapp.wire.codes`) with these rows
(:data:`SHARED_ERRORS`), with the HTTP status of :data:`HTTP_STATUS`.

``ret`` is sent as a JSON **integer**. Tencent's example answer shows
``"ret":"0"`` (a string) but its field table says ``int``; we follow the
table, which is also what a client comparing ``ret == 0`` in a typed
language expects. :func:`ret_value` reads both forms from a remote service.

Also here: :func:`run_cli`, the ``python -m webapp.vision fuse`` command.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from .codes import Answer, Renderer, own_words


@dataclass(frozen=True)
class FusionError:
    name: str
    ret: int
    meaning: str
    message: str


class FusionBody(TypedDict, total=False):
    ret: int
    img_url: str
    msg: str


#: Tencent's codes, in its order. Codes -2011 to -2015 are one error
#: ("rate_limited") sent as -2011; :func:`error_for_ret` maps all five back.
ERRORS: dict[str, FusionError] = {
    e.name: e
    for e in [
        FusionError("ok", 0, "成功", "OK"),
        FusionError("no_face", 1000, "无人脸",
                    "No face was found in the photo. Upload a photo that shows your face clearly."),
        FusionError("unknown_appid", -1, "用户身份不合法",
                    "Unknown appid, or the appid does not match the signature."),
        FusionError("image_too_large", -3, "图片尺寸太大", "The image is too large. {reason}"),
        FusionError("face_error", -4, "识别人脸出错",
                    "The face in the photo could not be analysed."),
        FusionError("internal", -5, "平台内部错误", "Internal error; please try again."),
        FusionError("missing_field", -6, "必填的参数字段或者值有误",
                    "The field '{field}' is required."),
        FusionError("auth_expired", -7, "鉴权信息过期",
                    "The signature has expired; sign the request again."),
        FusionError("template_no_face", -8, "模板无人脸",
                    "The template ({model_id}) has no face to replace."),
        FusionError("bad_field", -1000, "必填的参数字段或者值有误",
                    "The field '{field}' is invalid: {reason}."),
        FusionError("image_error", -1001, "图像处理错误", "The image cannot be used. {reason}"),
        FusionError("ckv_error", -1002, "读写CKV出错", "Storage error; please try again."),
        FusionError("redis_error", -1003, "读写REDIS出错", "Queue error; please try again."),
        FusionError("save_failed", -1004, "保存结果图片出错",
                    "The result image could not be saved; please try again."),
        FusionError("download_failed", -1005, "下载用户图片出错",
                    "The user's image could not be fetched: {reason}."),
        FusionError("server_logic", -1007, "服务器内部逻辑出错",
                    "Internal error; please try again."),
        FusionError("face_detect_failed", -1008, "人脸检测失败",
                    "Face detection failed; please try again."),
        FusionError("invalid_json", -1009, "请求值不是规范的json格式",
                    "The request body is not valid JSON."),
        FusionError("rate_limited", -2011, "访问频率超出限制",
                    "Too many requests: the limit is {limit} a minute."),
        FusionError("bad_header", -2100, "http头错误", "Bad HTTP header: {reason}."),
        FusionError("no_such_operation", -2102, "图片操作功能不存在", "No such operation."),
        FusionError("operation_forbidden", -2103, "图片操作功能无权限",
                    "This credential may not use face fusion."),
        FusionError("auth_missing", -20001, "鉴权信息为空", "The Authorization header is missing."),
        FusionError("auth_malformed", -20002, "鉴权信息解析错误",
                    "The Authorization header cannot be parsed: {reason}."),
        FusionError("auth_failed", -20003, "鉴权失败",
                    "The signature does not match the request's credential."),
        FusionError("too_frequent", -20004, "操作太频繁，触发频控",
                    "Too many requests; slow down."),
        FusionError("backend_down", -20005, "后端服务故障",
                    "The fusion service is unavailable; try again later."),
    ]
}  # fmt: skip

#: The codes Tencent gives for rate limits (its "-2011~-2015").
RATE_LIMIT_RETS = range(-2015, -2010)

#: Engine reason codes (``FusionResult.reasons``, ``TemplateFaces.reasons``) to names.
REASON_ERRORS: dict[str, str] = {
    "no_face": "no_face",
    "template_no_face": "template_no_face",
    "template_face_missing": "template_no_face",
}

#: ``webapp.vision.errors.ImageError`` codes to names.
IMAGE_ERRORS: dict[str, str] = {
    "empty": "image_error",
    "not_image": "image_error",
    "unsupported_format": "image_error",
    "animated": "image_error",
    "damaged": "image_error",
    "too_small": "image_error",
    "too_large_bytes": "image_too_large",
    "too_many_pixels": "image_too_large",
}

#: The HTTP status of each answer; ret 0 and 1000 (no face) are 200.
HTTP_STATUS: dict[str, int] = {
    "ok": 200,
    "no_face": 200,
    "auth_missing": 401,
    "auth_malformed": 401,
    "auth_failed": 401,
    "auth_expired": 401,
    "unknown_appid": 403,
    "operation_forbidden": 403,
    "rate_limited": 429,
    "bad_header": 400,
    "invalid_json": 400,
    "missing_field": 400,
    "bad_field": 400,
    "image_error": 400,
    "image_too_large": 413,
    "template_no_face": 422,
    "internal": 500,
    "ckv_error": 503,
    "backend_down": 503,
}

#: Failures of the shared vocabulary answered with another row; the rest by their own
#: name, and a name the table lacks (a job's unexpected error) as "internal".
SHARED_ERRORS: dict[str, str] = {
    **IMAGE_ERRORS,
    "bad_content_type": "bad_header",
    "method_not_allowed": "bad_header",
    "bad_request": "bad_header",
    "request_too_large": "image_too_large",
    "upload_too_large": "image_too_large",
    "busy": "backend_down",
    "remote_failed": "backend_down",
    "queue_timeout": "backend_down",
    "worker_lost": "internal",
    "storage_full": "ckv_error",
}


def error_message(name: str, **params: object) -> str:
    """Return the English message of error ``name``, its parameters filled in ("?" if missing)."""
    return ERRORS[name].message.format_map(_Missing(params))


def success_body(img_url: str) -> FusionBody:
    """Return the success answer; ``img_url``: a URL, or the data for rsp_img_type base64."""
    return {"ret": ERRORS["ok"].ret, "img_url": img_url}


def error_body(name: str, **params: object) -> FusionBody:
    """Return the answer for error ``name``: its ``ret``, an empty ``img_url`` and ``msg``.

    ``msg`` is not in Tencent's format; clients written for it ignore it.
    """
    return {"ret": ERRORS[name].ret, "img_url": "", "msg": error_message(name, **params)}


def ret_value(body: dict[str, Any]) -> int:
    """Return a body's ``ret`` as an int, whether it was sent as 0 or "0".

    Raises
    ------
    ValueError
        If ``ret`` is missing or not an integer.
    """
    ret = body.get("ret")
    if isinstance(ret, bool) or not isinstance(ret, (int, str)):
        raise ValueError(f"ret must be an integer, got {ret!r}")
    return int(ret)


def error_for_ret(ret: int) -> FusionError | None:
    """Return the error a ``ret`` code stands for, or None for a code Tencent does not list."""
    if ret in RATE_LIMIT_RETS:
        return ERRORS["rate_limited"]
    return next((e for e in ERRORS.values() if e.ret == ret), None)


def http_status(body: dict[str, Any]) -> int:
    """Return the HTTP status of an answer body: by its ``ret``, 500 for a ret not in the table."""
    ret = ret_value(body)
    if ret == 0:
        return 200
    error = error_for_ret(ret)
    return HTTP_STATUS.get(error.name, 500) if error else 500


class FusionRenderer(Renderer):
    """Failures as Tencent's fusion answers: ``{"ret", "img_url": "", "msg"}``."""

    def error(self, name: str, params: Mapping[str, Any]) -> Answer:
        row = SHARED_ERRORS.get(name, name)
        if row not in ERRORS:
            row = "internal"
        params = dict(params)
        if name == "bad_content_type":
            params["reason"] = "Content-Type must be application/json"
        elif name == "method_not_allowed":
            params["reason"] = f"use POST, not {params.get('method')}"
        elif name == "request_too_large":
            params["reason"] = _too_large(params.get("size"), params["limit"])
        elif name in IMAGE_ERRORS or name == "upload_too_large" or "message" in params:
            params["reason"] = own_words(name, params)
        status = 405 if name == "method_not_allowed" else HTTP_STATUS.get(row, 500)
        return Answer(status, dict(error_body(row, **params)))

    def answer(self, body: dict[str, Any]) -> Answer:
        return Answer(http_status(body), body)


def _too_large(size: int | None, limit: int) -> str:
    if size is None:  # Django's own limit on form data: the size is not known
        return f"The limit is {limit / 2**20:.0f} MB."
    return f"The request is {size / 2**20:.1f} MB; the limit is {limit / 2**20:.0f} MB."


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "?"


# --- command line ------------------------------------------------------------------
