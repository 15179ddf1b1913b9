"""The ID-photo maker's format (`POST /idphoto/make`), in the ID-photo check service's style.

Every body is ``{"code", "msg", "taskNo", "data"}`` with the check's code
table (``webapp.wire.idphoto.CODES``): 200 when a photo was made, whatever
its check says; an error has ``data = None``. A made photo's data::

    {"ready": true,                         # the made photo passes its check
     "photo": {"base64", "format", "width", "height", "dpi", "size_kb", "quality", "kb_met"},
     "sheet": {"base64", "format", "paper", "paper_mm", "dpi", "copies", "rows", "columns"}
              or null,
     "fixed": ["straightened", "background", ...],   # what the maker did
     "retake": ["eyes_closed", ...],                 # what only a new photo can fix
     "check": {"pass", "reasons", "detect_result"}}  # as /idphoto/check's data

A job stores the body with empty ``base64`` strings: the photo and the sheet
are its two result files, put in by the API when it answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .idphoto import CODES, IdPhotoRenderer, error_body, new_task_no

__all__ = [
    "BACKGROUND_WORDS",
    "CODES",
    "FIXED",
    "MAKE_ERRORS",
    "PAPERS",
    "PAPER_NAMES",
    "RENDERS",
    "RETAKE",
    "IdMakeRenderer",
    "Wording",
    "error_body",
    "made_body",
    "make_error_body",
    "parse_kb",
    "wording",
]


@dataclass(frozen=True)
class Wording:
    """What a code of `fixed` or `retake` says to people, in English and Chinese."""

    en: str
    zh: str


#: What the maker did (MadePhoto.fixed's codes).
FIXED: Mapping[str, Wording] = {
    "straightened": Wording("The head was straightened.", "已将头部摆正。"),
    "cropped": Wording(
        "The photo was cropped and scaled to the document's size and head position.",
        "已按证件要求裁剪并缩放到规定尺寸和头部位置。",
    ),
    "background": Wording(
        "The background was replaced by the document's colour.", "已将背景换成证件要求的颜色。"
    ),
    "light": Wording("The light was evened out.", "已均衡光线。"),
    "brightness": Wording("The brightness was corrected.", "已调整亮度。"),
    "contrast": Wording("The contrast was corrected.", "已调整对比度。"),
    "white_balance": Wording("The colours' white balance was corrected.", "已校正白平衡。"),
    "resized": Wording("The photo was resized to the document's pixels.", "已缩放到规定像素。"),
}

#: What only a new photo can fix (MadePhoto.retake's codes) that is not a rule of the
#: check; a rule's code (eyes_closed, glasses, head_turned...) says what its rule says.
RETAKE: Mapping[str, Wording] = {
    "shoulders_missing": Wording(
        "Your shoulders must be in the photo: step back from the camera.",
        "照片中要有双肩：请离镜头远一点。",
    ),
    "hair_too_high": Wording(
        "Your hair rises too far above your forehead for this document: with your face at "
        "the size it asks for, the top of your head comes too close to the photo's top edge. "
        "Tie or smooth your hair down (take off anything on your head) and take a new photo.",
        "头发高出额头太多，不适合这种证件：脸部按规定大小放好后，头顶离照片上边缘太近。"
        "请把头发扎起或压平（取下头上的饰物），再拍一张。",
    ),
    "too_small": Wording(
        "The face is too small to make a sharp photo: come closer or use a larger photo.",
        "脸部太小，无法制作清晰的证件照：请靠近镜头或使用更大的照片。",
    ),
}


def wording(code: str, table: Mapping[str, Wording]) -> Wording:
    """Return a code's wording: the table's, else the check's rule's (what it found, then
    what to do about it), else the code itself."""
    from webapp.vision.idphoto import RULES_BY_CODE

    if code in table:
        return table[code]
    if code in RULES_BY_CODE:
        rule = RULES_BY_CODE[code]
        return Wording(f"{rule.en} {rule.fix_en}", f"{rule.zh}。{rule.fix_zh}")
    return Wording(code.replace("_", " "), code)


#: The maker's refusals (IdMakeError.code) and the check's code row each answers; the
#: detail is the engine's own sentence.
MAKE_ERRORS: Mapping[str, str] = {
    "no_face": "no_face",
    "many_faces": "not_suitable",
    "face_too_small": "not_suitable",
    "not_enough_photo": "not_suitable",
    "no_head": "no_head",
}

#: The backgrounds' names as the API and the page accept them (hex too: webapp.vision).
BACKGROUND_WORDS = ("white", "blue", "red", "light grey")
#: `render`'s values: the maker's names, and HivisionIDPhotos' numbers.
RENDERS: Mapping[str, str] = {
    "plain": "plain",
    "updown": "updown",
    "center": "center",
    "0": "plain",
    "1": "updown",
    "2": "center",
}
#: The print sheet's papers (webapp.vision.idmake.PAPERS has their millimetres) and what
#: people call them.
PAPERS = ("6inch", "5inch", "a4")
PAPER_NAMES: Mapping[str, Wording] = {
    "6inch": Wording("6-inch (4R) photo", "6寸相"),
    "5inch": Wording("5-inch (3R) photo", "5寸相"),
    "a4": Wording("A4", "A4"),
}

_KB = re.compile(r"^\s*(\d+(?:\.\d+)?)?\s*(?:-\s*(\d+(?:\.\d+)?)?)?\s*$")


def parse_kb(text: str) -> tuple[float | None, float | None]:
    """Return a KB range from "10-30", "-30", "10-" or "30" (at most 30); raise ValueError."""
    match = _KB.match(str(text))
    if not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a KB range such as 10-30, -30 or 10-")
    low, high = (float(v) if v else None for v in match.groups())
    if "-" not in str(text):
        low, high = None, low
    if low is not None and high is not None and low > high:
        raise ValueError(f"{text!r}: the smallest size is larger than the largest")
    if high is not None and high <= 0:
        raise ValueError(f"{text!r}: the largest size must be more than 0 KB")
    return low, high


def made_body(
    *,
    photo: dict[str, Any],
    sheet: dict[str, Any] | None,
    fixed: list[str] | tuple[str, ...],
    retake: list[str] | tuple[str, ...],
    check: dict[str, Any],
    task_no: str | None = None,
) -> dict[str, Any]:
    """Return the body of a made photo; `check` is the made file's /idphoto/check body."""
    ok = CODES["success"]
    check_data = check.get("data") if check.get("code") == 200 else None
    return {
        "code": ok.code,
        "msg": ok.msg,
        "taskNo": task_no or new_task_no(),
        "data": {
            "ready": bool(check_data and check_data["pass"]),
            "photo": {"base64": "", **photo},
            "sheet": {"base64": "", **sheet} if sheet else None,
            "fixed": list(fixed),
            "retake": list(retake),
            "check": check_data,
        },
    }


def make_error_body(code: str, *, detail: str = "", task_no: str | None = None) -> dict[str, Any]:
    """Return the body of the maker's refusal `code` (IdMakeError.code), `detail` its words."""
    return error_body(MAKE_ERRORS.get(code, "not_suitable"), task_no=task_no, detail=detail)


class IdMakeRenderer(IdPhotoRenderer):
    """The maker's answers: the check's renderer (same table, envelope and HTTP statuses)."""
