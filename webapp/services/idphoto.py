"""The ID-photo check (`POST /idphoto/check`, in the ID-photo check service's format).

The stored body is exactly the API's answer. What only the result page needs
(the failed rules' codes and what to draw) is the outcome's `details`, kept
beside it. A remote service sends no details: the page then draws what
`detect_result` says (lines, no bands) and finds the rules from the reasons'
wording.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from django.conf import settings
from django.utils.translation import get_language, gettext_lazy

from webapp import vision
from webapp.vision.idphoto import (
    RULES_BY_CODE,
    SPECS,
    UnknownSpecError,
    check_id_photo,
    rule_figures,
    rule_limits,
    warm_up_idphoto,
)
from webapp.vision.idphoto.rules import advice, leading, quantity, spec_check_limit
from webapp.wire import idphoto as wire

from .base import Command, Outcome, Page, Request, Service
from .remote import RemoteError, post

#: The remote's answers that are a verdict or about the photo; any other code is the
#: remote failing (201, 203, 400: our request or credentials, 500: its maintenance).
OUTCOME_CODES = frozenset({200, 202, 204, 205, 206, 207, 208, 209, 210})
#: The spec checks rules read (`size_ok`...) and the detect_result figure each is about.
SPEC_CHECK_FIGURES = {
    "size_ok": "size_pix",
    "dpi_ok": "dpi",
    "format_ok": "photo_format",
    "background_colour_ok": "background_color",
}
#: The layers of the drawing and the rules whose failure turns each red.
LAYER_RULES = {
    "background": (
        "background_cluttered",
        "background_gradient",
        "wrong_background_colour",
        "transparent_background",
        "clothes_like_background",
    ),
    "face": ("face_too_small", "face_too_large", "face_too_left", "face_too_right"),
    "eyes": ("face_too_high", "face_too_low"),
    "head": (
        "head_cut_off",
        "head_too_small",
        "head_too_large",
        "head_top_too_close",
        "head_top_too_far",
    ),
    "pose": ("head_tilted", "head_turned", "head_pitched"),
    "shoulders": ("shoulders_uneven",),
}
LAYER_COLOURS = {
    "bands": "#2ecc71",
    "background": "#4aa3ff",
    "face": "#ffd23f",
    "eyes": "#ff7ad9",
    "head": "#ff9f1c",
    "pose": "#c77dff",
    "shoulders": "#7df9ff",
}
#: The page's toggles: layer, English and Chinese label.
LAYERS = (
    ("face", "Face: width and centre", "脸部位置与宽度"),
    ("eyes", "Eye line", "眼睛连线"),
    ("head", "Top of the head and chin", "头顶与下巴"),
    ("bands", "Allowed areas", "允许范围"),
    ("pose", "How the head is held", "头部姿态"),
    ("shoulders", "Shoulders", "肩膀"),
    ("background", "Background", "背景区域"),
)


def _local(request: Request) -> Outcome:
    task_no = request.params.get("task_no")
    try:
        # The file as uploaded: its format, resolution, size and alpha are figures too.
        report = check_id_photo(
            request.raw,
            spec=request.params.get("spec"),
            image=request.image,
            refine=settings.LANDMARK_REFINEMENT,
        )
    except UnknownSpecError:
        return Outcome(wire.error_body("unknown_spec", task_no=task_no))
    details = {}
    if report.drawing is not None:
        details = {"reasons": list(report.reasons), "drawing": asdict(report.drawing)}
    return Outcome(wire.report_body(report, task_no=task_no), details=details)


def _remote(request: Request) -> Outcome:
    remote = SERVICE.remote_settings()
    client = RemoteIdPhoto(
        remote["URL"],
        secret_id=remote["SECRET_ID"],
        secret_key=remote["SECRET_KEY"],
        timeout=settings.REMOTE_TIMEOUT,
    )
    body = client.check(request.raw, spec=request.params.get("spec"))
    if body["code"] not in OUTCOME_CODES:
        raise RemoteError(f"code {body['code']}: {body.get('msg') or 'no message'}")
    if request.params.get("task_no"):
        body["taskNo"] = request.params["task_no"]
    return Outcome(body)


class RemoteIdPhoto:
    """A client of `POST /idphoto/check` at another service: another Likeness, or one like it."""

    def __init__(
        self, base_url: str, *, secret_id: str, secret_key: str, timeout: float = 30.0
    ) -> None:
        self.url = base_url.rstrip("/") + "/idphoto/check"
        self.headers = {"X-Api-Key": secret_id, "X-Api-Secret": secret_key}
        self.timeout = timeout

    def check(self, image: bytes, *, spec: str | None = None) -> dict[str, Any]:
        """Send a photo (base64, form-encoded) and return the service's body, whatever its code."""
        fields = {"base64": base64.b64encode(image).decode()}
        if spec:
            fields["spec"] = spec
        return post(
            self.url,
            accepts=lambda body: isinstance(body.get("code"), int) and "msg" in body,
            timeout=self.timeout,
            data=fields,
            headers=self.headers,
        )


# --- The result page ---------------------------------------------------------------

#: The report's own words in each language the site speaks ("en", "zh"); rule advice is
#: the rule table's (webapp.vision.idphoto.rules), errors' advice is ERROR_ADVICE.
TEXT: dict[str, dict[str, str]] = {
    "en": {
        "passed": "Ready to use: this photo meets every rule checked.",
        "failed_one": "Not accepted yet: fix this and try again.",
        "failed_many": "Not accepted yet: fix these {n} things, in this order, and try again.",
        "failed_more": "Not accepted yet: fix these first, in this order, then check again.",
        "checked_spec": "Checked against: {title}.",
        "checked_default": "Checked against: general ID-photo rules (no particular document).",
        "also": "Also check ({n})",
        "explained": "{n} more findings may only follow from the above: check again once it "
        "is fixed.",
        "explained_one": "One more finding may only follow from the above: check again once it "
        "is fixed.",
        "photo": "Your photo, measured",
        "photo_alt": "Your photo with what was measured drawn over it",
        "show": "Show on the photo",
        "red": "Red marks where a rule failed.",
        "figures": "Every figure measured ({n})",
        "figures_hint": "For the curious: each figure, the limit and the result.",
        "figure": "Figure",
        "value": "Measured",
        "allowed": "Allowed",
        "rule": "Fails when",
        "result": "Result",
        "ok": "✓ ok",
        "fail": "✗ fails",
        "explained_short": "follows from another problem",
        "unmeasured": "(not measured)",
        "no_rule": "reported, no rule reads it",
        "not_allowed": "not allowed",
        "within": "within ±{limit}",
        "of_100": "{op} {limit} of 100",
        "wrong": "Wrong",
        "right": "Right",
        "error_code": "code {code}",
        "what_to_do": "What to do:",
    },
    "zh": {
        "passed": "合格：照片符合所检测的全部要求，可以使用。",
        "failed_one": "暂不合格：请修改下面这一项后重试。",
        "failed_many": "暂不合格：请按顺序修改下面{n}项后重试。",
        "failed_more": "暂不合格：请先按顺序修改下面几项，再重新检测。",
        "checked_spec": "检测标准：{title}。",
        "checked_default": "检测标准：通用证件照要求（不针对特定证件）。",
        "also": "其他需要检查的项目（{n}）",
        "explained": "另有{n}项可能只是由上面的问题引起，修改后请重新检测。",
        "explained_one": "另有1项可能只是由上面的问题引起，修改后请重新检测。",
        "photo": "照片测量结果",
        "photo_alt": "标注了测量结果的照片",
        "show": "在照片上显示",
        "red": "红色表示该处不符合要求。",
        "figures": "全部检测指标（{n}）",
        "figures_hint": "详细数据：每项指标、要求和结果。",
        "figure": "指标",
        "value": "测量值",
        "allowed": "要求",
        "rule": "不合格情形",
        "result": "结果",
        "ok": "✓ 合格",
        "fail": "✗ 不合格",
        "explained_short": "由其他问题引起",
        "unmeasured": "（未能测量）",
        "no_rule": "仅报告，不作判定",
        "not_allowed": "不允许",
        "within": "±{limit}以内",
        "of_100": "{op} {limit}（满分100）",
        "wrong": "错误示例",
        "right": "正确示例",
        "error_code": "错误码 {code}",
        "what_to_do": "怎么办：",
    },
}
#: What to do after each error the check can end with (the CODES' names).
ERROR_ADVICE: dict[str, tuple[str, str]] = {
    "no_face": (
        "Use a photo where your face is clearly visible and facing the camera, in good light.",
        "请使用脸部清晰可见、正对镜头、光线充足的照片。",
    ),
    "face_detection_failed": (
        "Use a photo where your face is clearly visible and facing the camera, in good light.",
        "请使用脸部清晰可见、正对镜头、光线充足的照片。",
    ),
    "no_head": (
        "Use a photo showing your whole head and the top of your shoulders.",
        "请使用能看到完整头部和肩膀上部的照片。",
    ),
    "not_suitable": (
        "Your face is too small or cut by the edge: use a photo of your head and shoulders, "
        "with your whole face inside the photo.",
        "脸部太小或被照片边缘截断：请使用头肩照，整张脸都要在照片内。",
    ),
    "too_large": (
        "Use a smaller photo: at most 2500 pixels on its longer side.",
        "请使用较小的照片：长边不超过2500像素。",
    ),
    "encoding_failed": (
        "The file could not be read as a photo: send a JPG, PNG, WebP or BMP photo.",
        "无法读取该文件：请上传JPG、PNG、WebP或BMP格式的照片。",
    ),
}
#: The illustration (good and bad example) that helps with each rule, where one does.
ILLUSTRATIONS = {
    "multiple_faces": "one_person",
    "face_too_small": "size",
    "face_too_large": "size",
    "head_too_small": "size",
    "head_too_large": "size",
    "face_too_left": "centre",
    "face_too_right": "centre",
    "face_too_high": "height",
    "face_too_low": "height",
    "head_cut_off": "height",
    "head_top_too_close": "height",
    "head_top_too_far": "height",
    "head_tilted": "tilted",
    "head_turned": "turned",
    "head_pitched": "pitched",
    "dark_glasses": "glasses",
    "glasses": "glasses",
    "wearing_hat": "hat",
    "background_cluttered": "background",
    "background_gradient": "background",
    "too_dark": "light",
    "uneven_lighting": "light",
}
#: At most this many things to fix lead the report.
MAX_FIXES = 3


def page_language() -> str:
    """The report's language: "zh" when the site speaks Chinese to this request, else "en"."""
    return "zh" if (get_language() or "").lower().startswith("zh") else "en"


def _context(job: Any) -> dict[str, Any]:
    body = job.result or {}
    data = body.get("data") or {}
    page = job.details or {}
    drawing = page.get("drawing") or _drawing_from_figures(data.get("detect_result") or {}, job)
    return report_context(
        body, page.get("reasons"), job.params.get("spec"), drawing=drawing, job=job
    )


def report_context(
    body: dict[str, Any],
    reasons: list[str] | None,
    spec_name: str | None,
    *,
    drawing: dict[str, Any] | None = None,
    job: Any = None,
) -> dict[str, Any]:
    """The check's part of a page, from a check body (and its reasons' codes when kept).

    The ID-photo maker's result page shows the check of the made photo with it
    (``photos/results/id_check.html``), without a drawing.
    """
    lang = page_language()
    text = TEXT[lang]
    data = body.get("data") or {}
    spec = SPECS.get(spec_name or "")
    detect_result = data.get("detect_result") or {}
    reasons = reasons or wire.reason_codes(data.get("reasons") or [])
    shown, hidden = leading(reasons)
    rows = figure_rows(detect_result, spec, reasons, lang=lang, hidden=hidden)
    items = _reason_items(shown, detect_result, spec, lang)
    info = wire.code_info(body.get("code"))
    svg = _svg(drawing, reasons, job) if drawing and job is not None else None
    first_layer = next(
        (layer for item in items for layer, codes in LAYER_RULES.items() if item["code"] in codes),
        "face",
    )
    passed = bool(data.get("pass"))
    if passed:
        verdict = text["passed"]
    elif len(items) == 1:
        verdict = text["failed_one"]
    elif len(items) <= MAX_FIXES:
        verdict = text["failed_many"].format(n=len(items))
    else:
        verdict = text["failed_more"]
    error = ERROR_ADVICE.get(info.name if info else "")
    return {
        "lang": lang,
        "html_lang": "zh-Hans" if lang == "zh" else "en",
        "t": text,
        "checked": body.get("code") == 200,
        "passed": passed,
        "verdict": verdict,
        "checked_against": (
            text["checked_spec"].format(title=spec.title if lang == "zh" else spec.title_en)
            if spec
            else text["checked_default"]
        ),
        "code": info,
        "code_number": body.get("code"),
        "error_message": (body.get("msg", "") if lang == "zh" else info.message if info else ""),
        "error_advice": (error[1] if lang == "zh" else error[0]) if error else "",
        "error_code": text["error_code"].format(code=body.get("code")),
        "spec": spec,
        "reason_codes": reasons,
        "fixes": items[:MAX_FIXES],
        "more": items[MAX_FIXES:],
        "also": text["also"].format(n=len(items) - MAX_FIXES),
        "explained": (
            text["explained_one"] if len(hidden) == 1 else text["explained"].format(n=len(hidden))
        )
        if hidden
        else "",
        "rows": rows,
        "figures_title": text["figures"].format(n=len(rows)),
        "svg": svg,
        "colours": LAYER_COLOURS,
        "layers": [
            (name, LAYER_COLOURS[name], zh if lang == "zh" else en, name == first_layer)
            for name, en, zh in LAYERS
            if svg and (name != "bands" or svg["bands"])
        ],
        "shown_layer": first_layer,
    }


def _title(rule: Any, lang: str) -> str:
    """A rule's short wording in ``lang`` (the check service's reason text in Chinese)."""
    return rule.zh if lang == "zh" else rule.en.rstrip(".")


def _figure_value(rule: Any, detect_result: dict[str, Any]) -> Any:
    """The figure a rule's advice speaks of (the file's own for a check against a spec)."""
    figures = rule_figures(detect_result)
    return figures.get(SPEC_CHECK_FIGURES.get(rule.figure, rule.figure))


def _reason_items(
    codes: list[str], detect_result: dict[str, Any], spec: Any, lang: str
) -> list[dict[str, Any]]:
    """Each failed rule to show: its wording, what to do (with its numbers), an illustration.

    A reason whose code no rule has (a remote's own wording) is shown as it is.
    """
    limits = {rule.code: limit for rule, limit in rule_limits(spec)}
    items = []
    for code in codes:
        rule = RULES_BY_CODE.get(code)
        if rule is None:
            items.append({"code": code, "title": code, "advice": "", "illustration": ""})
            continue
        items.append(
            {
                "code": code,
                "title": _title(rule, lang),
                "advice": advice(
                    rule,
                    limit=limits.get(code, rule.limit),
                    value=_figure_value(rule, detect_result),
                    spec=spec,
                    lang=lang,
                ),
                "illustration": ILLUSTRATIONS.get(code, ""),
            }
        )
    return items


def figure_rows(
    detect_result: dict[str, Any],
    spec: Any,
    reasons: list[str],
    *,
    lang: str = "en",
    hidden: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Return one row per rule read (and per figure no rule reads): value, limit, verdict."""
    figures = rule_figures(detect_result)
    hidden = hidden or {}
    text = TEXT[lang]
    names = [n for n in detect_result if n != "head_pose"]
    names += [n for n in ("yaw_angle", "roll_angle", "pitch_angle", "head_height") if n in figures]
    applied = rule_limits(spec)
    if detect_result:
        # A file without a resolution has no dpi figure; a spec asking for one still reads it.
        for rule, _ in applied:
            name = SPEC_CHECK_FIGURES.get(rule.figure, rule.figure)
            if rule.op == "false" and name not in figures:
                names.append(name)
                figures[name] = None
    read: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for rule, limit in applied:
        name = SPEC_CHECK_FIGURES.get(rule.figure, rule.figure)
        if name not in read:
            continue
        read[name].append(
            {
                "code": rule.code,
                "title": _title(rule, lang),
                "limit": _limit_text(rule, limit, spec, text, lang),
                "failed": rule.code in reasons,
                "explained": rule.code in hidden,
            }
        )
    rows = []
    for name in names:
        value = figures[name]
        label = f"head_pose.{name}" if name.endswith("_angle") else name
        unmeasured = value == -1 or value == [-1, -1, -1]
        for rule in read[name] or [None]:
            unit = RULES_BY_CODE[rule["code"]].unit if rule else ""
            measured = isinstance(value, (int, float)) and not isinstance(value, bool)
            if unit in ("width", "height", "degrees", "bytes") and measured and not unmeasured:
                # In the limit's own unit, so the two read side by side.
                shown = quantity(RULES_BY_CODE[rule["code"]], value, spec, lang, limit=False)
                if unit == "degrees" and value < 0:
                    shown = f"-{shown}"
            else:
                shown = _value_text(value, lang)
            rows.append(
                {
                    "figure": name,
                    "label": label,
                    "shown": shown,
                    "unmeasured": unmeasured,
                    "rule": rule,
                    "failed": bool(rule and rule["failed"]),
                }
            )
    return rows


def _limit_text(rule: Any, limit: Any, spec: Any, text: dict[str, str], lang: str) -> str:
    """The limit as the table shows it: the rule's unit, with the side that passes."""
    if rule.op == "false":
        return quantity(rule, spec_check_limit(rule, spec), spec, lang)
    if rule.op == "is":
        return text["not_allowed"] + (
            f" ({_value_text(limit, lang)})" if rule.figure == "glasses" else ""
        )
    if rule.op == "abs_max":
        return text["within"].format(limit=quantity(rule, limit, spec, lang))
    sign = "≥" if rule.op == "min" else "≤"
    if rule.unit == "none":
        return text["of_100"].format(op=sign, limit=_value_text(limit))
    return f"{sign} {quantity(rule, limit, spec, lang)}"


#: The words for the API's own values in the table (its figure names stay as they are).
VALUE_WORDS = {
    "en": {
        True: "yes",
        False: "no",
        None: "none",
        "no_glasses": "no glasses",
        "normal_glasses": "clear glasses",
        "dark_glasses": "dark glasses",
    },
    "zh": {
        True: "是",
        False: "否",
        None: "未设置",
        "no_glasses": "未戴眼镜",
        "normal_glasses": "普通眼镜",
        "dark_glasses": "墨镜或有色眼镜",
    },
}


def _value_text(value: Any, lang: str = "en") -> str:
    words = VALUE_WORDS[lang]
    if value is None:
        return words[None]
    if isinstance(value, bool):
        return words[value]
    if isinstance(value, str):
        return words.get(value, value.upper() if value in ("jpg", "png", "webp", "bmp") else value)
    if isinstance(value, (list, tuple)):
        return ", ".join(_value_text(v, lang) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _drawing_from_figures(detect_result: dict[str, Any], job: Any) -> dict[str, Any] | None:
    """What a remote answer lets us draw: the measured lines, from detect_result's fractions."""
    needed = (
        "face_x_center",
        "face_x_occupy",
        "eyes_y_center",
        "head_top",
        "head_chin_y",
        "nose_tip",
    )
    if not job.photo.width or any(name not in detect_result for name in needed):
        return None
    w, h, r = job.photo.width, job.photo.height, detect_result
    centre, half = r["face_x_center"] * w, r["face_x_occupy"] * w / 2
    return {
        "width": w,
        "height": h,
        "face_left": centre - half,
        "face_right": centre + half,
        "eye_line_y": r["eyes_y_center"] * h,
        "head_top_y": r["head_top"] * h,
        "head_left_x": r.get("head_left", 0) * w,
        "head_right_x": r.get("head_right", 1) * w,
        "chin": (centre, r["head_chin_y"] * h),
        "nose_tip": (r["nose_tip"][0] * w, r["nose_tip"][1] * h),
        "bands": {},
    }


def _svg(d: dict[str, Any], reasons: list[str], job: Any) -> dict[str, Any]:
    """Shapes for the SVG over the photo, in photo pixels, each layer marked when a rule failed."""
    w, h = job.photo.width or d["width"], job.photo.height or d["height"]
    bad = {layer for layer, codes in LAYER_RULES.items() if set(codes) & set(reasons)}
    bands, face_box = d.get("bands", {}), d.get("face_box")
    centre = (d["face_left"] + d["face_right"]) / 2
    top, bottom = (
        (face_box[1], face_box[1] + face_box[3]) if face_box else (d["eye_line_y"], d["chin"][1])
    )
    band_rects = []
    for name, (low, high) in bands.items():
        if name in ("eye_line", "head_top"):
            band_rects.append((name, 0, low, w, high - low))
        elif name == "face_centre":
            band_rects.append((name, low, 0, high - low, h))
        elif name == "face_width":  # where the face's sides may fall
            band_rects.append((name, centre - high / 2, top, (high - low) / 2, bottom - top))
            band_rects.append((name, centre + low / 2, top, (high - low) / 2, bottom - top))
        elif name == "head_height":  # where the crown may be, given the chin
            band_rects.append(
                (
                    name,
                    d["head_left_x"],
                    d["chin"][1] - high,
                    d["head_right_x"] - d["head_left_x"],
                    high - low,
                )
            )
    band_rects = [(name, *(round(v, 1) for v in rect)) for name, *rect in band_rects]
    return {
        "width": w,
        "height": h,
        "stroke": round(max(1.0, w / 300), 1),
        "bad": bad,
        "d": d,
        "centre": centre,
        "face_top": top,
        "face_bottom": bottom,
        "bands": band_rects,
        "background": [] if d.get("person_outline") else _grid_rects(d, w, h),
        "background_path": _background_path(d, w, h),
        "person_points": " ".join(f"{x:g},{y:g}" for x, y in d.get("person_outline") or []),
        "eyes_y": d["eye_line_y"],
    }


def _background_path(d: dict[str, Any], w: int, h: int) -> str:
    """The photo less the person's outline, as one SVG path (filled even-odd)."""
    outline = d.get("person_outline") or []
    if len(outline) < 3:
        return ""
    points = " ".join(f"{x:g} {y:g}" for x, y in outline)
    return f"M0 0H{w}V{h}H0Z M{points}Z"


def _grid_rects(d: dict[str, Any], w: int, h: int) -> list[tuple[float, float, float, float]]:
    """The background grid's runs of "1" cells as rectangles in photo pixels."""
    grid = d.get("background_grid") or []
    rects = []
    for row, cells in enumerate(grid):
        cw, ch = w / len(cells), h / len(grid)
        start = None
        for col, cell in enumerate(cells + "0"):
            if cell == "1" and start is None:
                start = col
            elif cell != "1" and start is not None:
                rects.append(
                    (
                        round(start * cw, 1),
                        round(row * ch, 1),
                        round((col - start) * cw, 1),
                        round(ch, 1),
                    )
                )
                start = None
    return rects


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("images", nargs="+", metavar="IMAGE")
    parser.add_argument("--spec", default=None, help="a specification name, e.g. cn_id_card")


def check_body(
    data: bytes, *, spec: str | None = None, task_no: str | None = None
) -> dict[str, Any]:
    """Check one photo's bytes and return its body, every expected failure answered."""
    try:
        report = check_id_photo(data, spec=spec, refine=settings.LANDMARK_REFINEMENT)
    except UnknownSpecError:
        return wire.error_body("unknown_spec", task_no=task_no)
    except vision.ImageError as exc:
        return wire.error_body(wire.IMAGE_ERRORS.get(exc.code, "encoding_failed"), task_no=task_no)
    return wire.report_body(report, task_no=task_no)


def run_cli(paths: list[str], spec: str | None, *, out: TextIO | None = None) -> int:
    """Check each photo and print one API body per line (JSON, UTF-8).

    Returns 0 when every photo passed, 1 when any failed the check or could
    not be checked (missing file, unknown spec, not an image...).
    """
    out = out or sys.stdout
    failed = False
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError:
            body = wire.error_body("photo_not_found")
        else:
            body = check_body(data, spec=spec)
        failed |= body["code"] != 200 or not body["data"]["pass"]
        out.write(json.dumps(body, ensure_ascii=False) + "\n")
    return 1 if failed else 0


def _command(args: argparse.Namespace) -> int:
    return run_cli(args.images, args.spec)


SERVICE = Service(
    kind="id_check",
    label=gettext_lazy("ID-photo check"),
    settings_prefix="IDPHOTO",
    wire=wire,
    local=_local,
    remote=_remote,
    succeeded=lambda body: body.get("code") == 200,
    page=Page(template="photos/results/id_check.html", context=_context),
    command=Command(
        "idcheck",
        "check ID photos against the service's rules or a specification",
        _arguments,
        _command,
    ),
    warm_up=warm_up_idphoto,
)
