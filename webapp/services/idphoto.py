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

from webapp import vision
from webapp.vision.idphoto import (
    SPECS,
    UnknownSpecError,
    check_id_photo,
    rule_figures,
    rule_limits,
    warm_up_idphoto,
)
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
    ("bands", "Allowed bands", "允许范围"),
    ("background", "Background measured", "背景区域"),
    ("face", "Face box, width, centre", "脸部位置与宽度"),
    ("eyes", "Eye line", "眼睛连线"),
    ("head", "Head top, chin, sides", "头顶、下巴与头部两侧"),
    ("pose", "Head pose axes", "头部姿态"),
    ("shoulders", "Shoulders", "肩膀"),
)
OPS = {"min": "≥ {}", "max": "≤ {}", "abs_max": "|·| ≤ {}", "is": "≠ {}"}


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


def _context(job: Any) -> dict[str, Any]:
    body = job.result or {}
    data = body.get("data") or {}
    page = job.details or {}
    spec = SPECS.get(job.params.get("spec") or "")
    reasons = page.get("reasons") or wire.reason_codes(data.get("reasons") or [])
    rows = figure_rows(data.get("detect_result") or {}, spec, reasons)
    info = wire.code_info(body.get("code"))
    drawing = page.get("drawing") or _drawing_from_figures(data.get("detect_result") or {}, job)
    return {
        "checked": body.get("code") == 200,
        "passed": bool(data.get("pass")),
        "code": info,
        "code_number": body.get("code"),
        "code_msg": body.get("msg", ""),
        "spec": spec,
        "reasons": _reason_items(reasons, rows),
        "rows": rows,
        "svg": _svg(drawing, reasons, job) if drawing else None,
        "colours": LAYER_COLOURS,
        "layers": [(name, LAYER_COLOURS[name], en, zh) for name, en, zh in LAYERS],
    }


def figure_rows(
    detect_result: dict[str, Any], spec: Any, reasons: list[str]
) -> list[dict[str, Any]]:
    """Return one row per figure: its value, and each rule reading it with its limit and verdict."""
    figures = rule_figures(detect_result)
    names = [n for n in detect_result if n != "head_pose"]
    names += [n for n in ("yaw_angle", "roll_angle", "pitch_angle", "head_height") if n in figures]
    rows = {name: {"figure": name, "value": figures[name], "rules": []} for name in names}
    for rule, limit in rule_limits(spec):
        row = rows.get(SPEC_CHECK_FIGURES.get(rule.figure, rule.figure))
        if row is None:
            continue
        row["rules"].append(
            {
                "code": rule.code,
                "zh": rule.zh,
                "en": rule.en,
                "reading": rule.reading,
                "limit": _limit_text(rule, limit, spec),
                "failed": rule.code in reasons,
            }
        )
    for row in rows.values():
        row["label"] = (
            f"head_pose.{row['figure']}" if row["figure"].endswith("_angle") else row["figure"]
        )
        row["shown"] = _value_text(row["value"])
        row["unmeasured"] = row["value"] == -1 or row["value"] == [-1, -1, -1]
        row["failed"] = any(r["failed"] for r in row["rules"])
    return list(rows.values())


def _reason_items(reasons: list[str], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each failed rule with its wording and the figure against its limit; unknown texts as is."""
    found = {
        r["code"]: {**r, "figure": row["label"], "shown": row["shown"]}
        for row in rows
        for r in row["rules"]
    }
    return [found.get(code) or {"code": code, "zh": code, "en": code} for code in reasons]


def _limit_text(rule: Any, limit: Any, spec: Any) -> str:
    if rule.op != "false":
        return OPS[rule.op].format(_value_text(limit))
    if rule.figure == "size_ok":
        (w0, h0), top = spec.size_px, spec.size_px_max
        return f"{w0} × {h0} px" + (f" – {top[0]} × {top[1]} px" if top else "")
    if rule.figure == "dpi_ok":
        return f"{spec.dpi} dpi"
    if rule.figure == "format_ok":
        return " / ".join(spec.formats)
    return " / ".join(colour.name for colour in spec.backgrounds)


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(_value_text(v) for v in value)
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
        "background": _grid_rects(d, w, h),
        "eyes_y": d["eye_line_y"],
    }


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
    label="ID-photo check",
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
