"""The ID-photo check service's format (`POST /idphoto/check`): codes, bodies, renderer.

Every body is ``{"code", "msg", "taskNo", "data"}``; a checked photo has
``data = {"pass", "reasons", "detect_result"}`` with the reasons in Chinese,
as the service's example; an error has ``data = None``. ``CODES`` is the
service's code table (the ``msg`` texts are its own, without its
", 错误见具体描述" note), each with an English message for pages and logs.
:class:`IdPhotoRenderer` answers the shared vocabulary's failures with it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .codes import ERRORS, SERVICE_ERRORS, Answer, Renderer, own_words

if TYPE_CHECKING:
    from webapp.vision.idphoto import IdPhotoReport


@dataclass(frozen=True)
class IdPhotoCode:
    name: str
    code: int
    msg: str
    message: str


CODES: Mapping[str, IdPhotoCode] = {
    c.name: c
    for c in [
        IdPhotoCode("success", 200, "成功", "OK"),
        IdPhotoCode("processing_failed", 201, "照片处理失败", "The photo could not be processed."),
        IdPhotoCode("face_detection_failed", 202, "人脸检测失败", "Face detection failed."),
        IdPhotoCode("photo_not_found", 203, "照片找不到", "The photo could not be found."),
        IdPhotoCode(
            "too_large",
            204,
            "图片尺寸过大，最大边长为2500像素",
            "The image is too large: at most 2500 pixels a side.",
        ),
        IdPhotoCode("no_face", 205, "图片中找不到人脸", "No face was found in the image."),
        IdPhotoCode("no_head", 206, "图片中找不到人的头部信息", "No head was found in the image."),
        IdPhotoCode(
            "unknown_spec", 207, "证件照规格不存在", "The ID-photo specification does not exist."
        ),
        IdPhotoCode("content", 208, "内容涉嫌违规", "The content may break the rules."),
        IdPhotoCode("encoding_failed", 209, "图片编码失败", "The image could not be decoded."),
        IdPhotoCode(
            "not_suitable",
            210,
            "图片不适合制作证件照",
            "The image is not suitable for an ID photo.",
        ),
        IdPhotoCode("bad_parameters", 400, "参数错误", "Bad parameters."),
        IdPhotoCode(
            "maintenance",
            500,
            "服务商维护，请稍候再试",
            "The service is under maintenance; try again later.",
        ),
    ]
}

#: The engine's errors (IdPhotoReport.error) and what they answer.
ENGINE_ERRORS: Mapping[str, str] = {
    "too_large": "too_large",
    "no_face": "no_face",
    "no_head": "no_head",
    "not_suitable": "not_suitable",
}

#: The image loader's refusals (ImageError.code) and what they answer.
IMAGE_ERRORS: Mapping[str, str] = {
    "empty": "encoding_failed",
    "not_image": "encoding_failed",
    "unsupported_format": "encoding_failed",
    "animated": "encoding_failed",
    "damaged": "encoding_failed",
    "too_many_pixels": "too_large",
    "too_large_bytes": "bad_parameters",
    "too_small": "not_suitable",
}


def new_task_no() -> str:
    """Return a 24-digit request number, as the service's ``taskNo``."""
    return time.strftime("%y%m%d%H%M%S") + f"{secrets.randbelow(10**12):012d}"


def reason_texts(reasons: tuple[str, ...] | list[str], *, english: bool = False) -> list[str]:
    """Return the wording of reason codes (Chinese, or English)."""
    from webapp.vision.idphoto import RULES_BY_CODE

    return [RULES_BY_CODE[r].en if english else RULES_BY_CODE[r].zh for r in reasons]


def reason_codes(texts: list[str]) -> list[str]:
    """Return the rule codes of reason texts (Chinese or English); an unknown text stays as is."""
    from webapp.vision.idphoto import RULES

    by_text = {text: rule.code for rule in RULES for text in (rule.zh, rule.en)}
    return [by_text.get(text, text) for text in texts]


def code_info(code: object) -> IdPhotoCode | None:
    """Return the table's entry for a body's numeric code, or None."""
    return next((c for c in CODES.values() if c.code == code), None)


def error_body(name: str, *, task_no: str | None = None, detail: str = "") -> dict[str, Any]:
    """Return the body for the error called ``name`` (a key of CODES).

    ``detail``, when given, follows the table's message after ": " (the
    service's "错误见具体描述": see the detailed description).
    """
    error = CODES[name]
    msg = f"{error.msg}: {detail}" if detail else error.msg
    return {"code": error.code, "msg": msg, "taskNo": task_no or new_task_no(), "data": None}


def report_body(report: IdPhotoReport, *, task_no: str | None = None) -> dict[str, Any]:
    """Return the body for an engine report: the verdict, or the error it ended with."""
    if report.error is not None:
        return error_body(ENGINE_ERRORS[report.error], task_no=task_no)
    ok = CODES["success"]
    return {
        "code": ok.code,
        "msg": ok.msg,
        "taskNo": task_no or new_task_no(),
        "data": {
            "pass": report.passed,
            "reasons": reason_texts(report.reasons),
            "detect_result": report.detect_result,
        },
    }


def http_status(code: int) -> int:
    """Return the HTTP status for a body's code: 200 for a verdict, else by kind."""
    if code == 200:
        return 200
    if code in (400, 207):
        return 400
    if code == 203:
        return 404
    if code in (500, 201):
        return 503
    return 422


#: A job's failures of the shared vocabulary other than "maintenance" (the image's are by
#: IMAGE_ERRORS).
SERVICE_FAILURES: Mapping[str, str] = {"internal": "processing_failed"}
#: The words for a body of another type than the API reads.
BODY_TYPES = "send application/json, application/x-www-form-urlencoded or multipart/form-data"


class IdPhotoRenderer(Renderer):
    """The service's answers to one request, numbered by ``task_no``; JSON sent as UTF-8.

    A failure of its own table takes its ``detail``. What is wrong with the request
    itself (credentials, rate, fields, size) is code 400 with the reason after the
    message and the vocabulary's HTTP status, which says which (401, 403, 405, 413, 429
    or 400).
    """

    def __init__(self) -> None:
        self.task_no = new_task_no()

    def error(self, name: str, params: Mapping[str, Any]) -> Answer:
        row, detail, status = self._row(name, params)
        body = error_body(row, task_no=self.task_no, detail=detail)
        return Answer(status or http_status(body["code"]), body, utf8=True)

    def answer(self, body: dict[str, Any]) -> Answer:
        return Answer(http_status(body["code"]), body, utf8=True)

    @staticmethod
    def _row(name: str, params: Mapping[str, Any]) -> tuple[str, str, int | None]:
        """Return the row, the detail and the HTTP status (None: the row's) of a failure."""
        if name in CODES:
            return name, str(params.get("detail", "")), None
        if name in IMAGE_ERRORS:
            return IMAGE_ERRORS[name], own_words(name, params), None
        if name == "url_fetch_failed":
            reason = str(params.get("reason", ""))
            if params.get("kind") in ("bad_url", "too_large"):
                return "bad_parameters", f"'url': {reason}", None
            return "photo_not_found", reason, None
        if name in SERVICE_ERRORS or name not in ERRORS:
            return SERVICE_FAILURES.get(name, "maintenance"), own_words(name, params), None
        status = ERRORS[name].http_status
        if name == "request_too_large":
            return (
                "bad_parameters",
                f"the request is larger than {params['limit'] // 2**20} MB",
                status,
            )
        if name == "invalid_json":
            return "bad_parameters", str(params.get("reason", "")), status
        if name == "bad_content_type":
            return "bad_parameters", BODY_TYPES, status
        return "bad_parameters", own_words(name, params), status
