"""The ID-photo maker (`POST /idphoto/make`, and HivisionIDPhotos' endpoints that need a face).

One job kind, ``id_make``, with the operation in ``params["op"]``:

- ``make``: a photo made to a specification (or a custom one), encoded to its
  KB range, re-checked as a file by the ID check, and optionally laid out on
  a print sheet. The body is ``webapp.wire.idmake``'s; the photo is the job's
  result file and the sheet its second (never inside the body).
- ``hivision_idphoto``, ``hivision_crop``, ``hivision_matting``: HivisionIDPhotos'
  /idphoto, /idphoto_crop and /human_matting. The body is ``{"status": ...}``;
  the standard (or matted) PNG is the result file, the HD PNG the second.

Both need MediaPipe, so both run in the worker; Hivision's pure image
operations run in the web process (``webapp.api.hivision``).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any, TextIO

import cv2
import numpy as np
from django.utils.translation import gettext_lazy
from PIL import Image

from webapp import vision
from webapp.vision.idmake import (
    PAPERS,
    IdMakeError,
    crop_hivision,
    encode_photo,
    layout_sheet,
    make_checked,
    matte_person,
    parse_colour,
    print_copy,
    retakes_after_check,
    rgba,
    sheet_jpeg,
)
from webapp.vision.idphoto import (
    SPECS,
    IdPhotoSpec,
    UnknownSpecError,
    custom_spec,
    warm_up_idphoto,
)
from webapp.wire import hivision as hivision_wire
from webapp.wire import idmake as wire
from webapp.wire import idphoto as check_wire

from .base import Command, Outcome, Page, Request, Service
from .idphoto import report_context
from .remote import RemoteError

#: Bytes in a KB, as the API's `kb`, the encoder and HivisionIDPhotos count them.
KB = 1024
#: The dpi of a made photo whose specification names none, and of every print sheet.
DEFAULT_DPI = 300
#: zlib level of Hivision's transparent PNGs (see _png).
PNG_COMPRESSION = 1
#: HivisionIDPhotos' operations that need the face graphs (the others run in the web process).
HIVISION_OPS = ("hivision_idphoto", "hivision_crop", "hivision_matting")


def _local(request: Request) -> Outcome:
    op = request.params.get("op", "make")
    if op in HIVISION_OPS:
        return _hivision(request.image, op, request.params)
    try:
        spec = spec_from_params(request.params)
    except (UnknownSpecError, KeyError):
        return Outcome(check_wire.error_body("unknown_spec", task_no=request.params.get("task_no")))
    try:
        return make_photo(request.image, spec, request.params)
    except IdMakeError as exc:
        body = wire.make_error_body(exc.code, detail=exc.zh, task_no=request.params.get("task_no"))
        # What a new photo should do differently, for the result page.
        retake = [*exc.params.get("retakes", ()), exc.params.get("retake")]
        return Outcome(body, details={"retake": list(dict.fromkeys(filter(None, retake)))})


def spec_from_params(params: dict[str, Any]) -> IdPhotoSpec:
    """Return the job's specification: a named one, or the custom one its fields describe."""
    if params.get("custom"):
        return custom_spec(**params["custom"])
    name = params.get("spec") or "cn_id_card"
    if name not in SPECS:
        raise UnknownSpecError(name)
    return SPECS[name]


def make_photo(image: np.ndarray, spec: IdPhotoSpec, params: dict[str, Any]) -> Outcome:
    """Make, encode, check and lay out one photo; raise IdMakeError when it cannot be made."""
    background = parse_colour(params["background"]) if params.get("background") else None
    kb = tuple(params["kb"]) if params.get("kb") else spec_kb(spec)
    dpi = spec.dpi or DEFAULT_DPI
    made, encoded, report = make_checked(
        image,
        spec,
        lambda made: encode_photo(made.image, format="jpg", dpi=dpi, kb=kb),
        background=background,
        render=params.get("render", "plain"),
        hd=bool(params.get("paper")),  # the sheet is laid out from the HD copy
    )
    check = check_wire.report_body(report)
    height, width = made.image.shape[:2]
    photo = {
        "format": encoded.format,
        "width": width,
        "height": height,
        "dpi": dpi,
        "size_kb": round(encoded.size_kb, 1),
        "quality": encoded.quality,
        "kb_met": encoded.kb_met,
    }
    sheet_info, sheet_data = None, None
    if params.get("paper"):
        try:
            sheet = layout_sheet(
                print_copy(made.hd, spec.size_mm, centre_x=made.framing.face_centre),
                photo_mm=spec.size_mm,
                paper=params["paper"],
                dpi=DEFAULT_DPI,
                cut_lines=bool(params.get("cut_lines")),
            )
        except ValueError as exc:  # a custom size larger than the paper
            detail = f"'layout': {str(exc).rstrip('.')}"
            return Outcome(
                check_wire.error_body(
                    "bad_parameters", detail=detail, task_no=params.get("task_no")
                )
            )
        sheet_data = sheet_jpeg(sheet)
        sheet_info = {
            "format": "jpg",
            "paper": params["paper"],
            "paper_mm": list(sheet.paper_mm),
            "dpi": sheet.dpi,
            "copies": sheet.copies,
            "rows": sheet.rows,
            "columns": sheet.columns,
            "rotated": sheet.rotated,
        }
    body = wire.made_body(
        photo=photo,
        sheet=sheet_info,
        fixed=made.fixed,
        retake=retakes_after_check(made, report),
        check=check,
        task_no=params.get("task_no"),
    )
    details = {"reasons": list(report.reasons), "spec": spec.name}
    return Outcome(body, image=encoded.data, second_image=sheet_data, details=details)


def spec_kb(spec: IdPhotoSpec) -> tuple[float | None, float | None] | None:
    """A specification's file-size range (bytes) in the encoder's KB (1024 bytes), or None."""
    low, high = spec.file_size
    if low is None and high is None:
        return None
    return (low / KB if low else None, high / KB if high else None)


# --- HivisionIDPhotos' operations ---------------------------------------------------


def _hivision(image: np.ndarray, op: str, params: dict[str, Any]) -> Outcome:
    dpi = params.get("dpi", DEFAULT_DPI)
    if op == "hivision_matting":
        alpha = matte_person(image)
        return Outcome({"status": True}, image=_png(rgba(image, alpha), dpi))
    try:
        made = crop_hivision(
            image,
            # The crop keeps the photo's own background; the ID photo is transparent.
            background=None if op == "hivision_crop" else (255, 255, 255),
            height=params["height"],
            width=params["width"],
            head_measure_ratio=params["head_measure_ratio"],
            head_height_ratio=params["head_height_ratio"],
            top_distance_max=params["top_distance_max"],
            top_distance_min=params["top_distance_min"],
        )
    except IdMakeError:
        return Outcome(hivision_wire.no_face_body())
    if op == "hivision_idphoto":
        standard = rgba(made.image, made.alpha)
        hd_alpha = cv2.resize(made.alpha, made.hd.shape[1::-1], interpolation=cv2.INTER_LINEAR)
        hd = rgba(made.hd, hd_alpha)
    else:  # cropped only: the photo as it is, transparent only past its edges
        standard = rgba(made.image, made.alpha)
        hd_alpha = cv2.resize(made.alpha, made.hd.shape[1::-1], interpolation=cv2.INTER_NEAREST)
        hd = rgba(made.hd, hd_alpha)
    second = _png(hd, dpi) if params.get("hd", True) else None
    return Outcome({"status": True}, image=_png(standard, dpi), second_image=second)


def _png(image: np.ndarray, dpi: int) -> bytes:
    """A transparent PNG with its dpi and no other metadata, as Hivision answers.

    Fast compression (level 1, as OpenCV's default that Hivision writes with): on a
    600x840 photo about 6 times faster than Pillow's default for a quarter more bytes.
    """
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image), "RGBA").save(
        buffer, "PNG", dpi=(dpi, dpi), compress_level=PNG_COMPRESSION
    )
    return buffer.getvalue()


# --- The result page ---------------------------------------------------------------


def _context(job: Any) -> dict[str, Any]:
    body = job.result or {}
    data = body.get("data") or {}
    made = body.get("code") == 200 and bool(data.get("photo"))
    spec_name = (job.details or {}).get("spec") or job.params.get("spec")
    check_body = {"code": 200, "msg": body.get("msg", ""), "data": data.get("check")}
    context = {
        "made": made,
        "ready": bool(data.get("ready")),
        "photo_info": data.get("photo"),
        "sheet_info": data.get("sheet"),
        "paper_name": wire.PAPER_NAMES.get((data.get("sheet") or {}).get("paper", "")),
        "fixed_items": [wire.wording(c, wire.FIXED) for c in data.get("fixed") or []],
        "retake_items": [
            wire.wording(c, wire.RETAKE)
            for c in data.get("retake") or (job.details or {}).get("retake") or []
        ],
        "refusal": None if made else check_wire.code_info(body.get("code")),
        "refusal_msg": body.get("msg", ""),
        "spec": SPECS.get(spec_name or ""),
    }
    if made and data.get("check"):
        context.update(
            report_context(check_body, (job.details or {}).get("reasons"), spec_name, drawing=None)
        )
    return context


# --- The command line --------------------------------------------------------------


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("images", nargs="+", metavar="IMAGE")
    parser.add_argument("--spec", default="cn_id_card", help="a specification name")
    parser.add_argument("--background", default=None, help="white, blue, red, light grey or #hex")
    parser.add_argument("--render", default="plain", choices=("plain", "updown", "center"))
    parser.add_argument("--kb", default=None, help="the file's size range in KB, e.g. 10-30")
    parser.add_argument("--sheet", default=None, choices=tuple(PAPERS), help="print sheet paper")
    parser.add_argument("-o", "--out", required=True, help="the folder to write the files to")


def run_cli(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """Make each photo; write its files; print one JSON line each (0 when every one is ready).

    The graphs are loaded once, by the first photo, and kept for the others.
    """
    out = out or sys.stdout
    params: dict[str, Any] = {
        "background": args.background,
        "render": args.render,
        "paper": args.sheet,
    }
    problem = ""
    try:
        if args.background:
            parse_colour(args.background)
        if args.kb:
            params["kb"] = list(wire.parse_kb(args.kb))
        spec = spec_from_params({"spec": args.spec})
    except ValueError as exc:  # UnknownSpecError included: its words list the known ones
        problem = str(exc)
    if problem:
        sys.stderr.write(f"idmake: {problem}\n")
        return 2
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    failed = False
    for path in args.images:
        line = _make_one(Path(path), spec, params, folder)
        failed |= not line.get("ready")
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return 1 if failed else 0


def _make_one(path: Path, spec: IdPhotoSpec, params: dict[str, Any], folder: Path) -> dict:
    line: dict[str, Any] = {"image": str(path)}
    try:
        image = vision.load_image(path.read_bytes())
    except OSError:
        return {**line, **check_wire.error_body("photo_not_found")}
    except vision.ImageError as exc:
        code = check_wire.IMAGE_ERRORS.get(exc.code, "encoding_failed")
        return {**line, **check_wire.error_body(code, detail=str(exc))}
    try:
        outcome = make_photo(image, spec, params)
    except IdMakeError as exc:
        return {**line, **wire.make_error_body(exc.code, detail=exc.zh)}
    body = outcome.body
    files = {}
    stem = path.stem
    photo_path = folder / f"{stem}-{spec.name}.jpg"
    photo_path.write_bytes(outcome.image or b"")
    files["photo"] = str(photo_path)
    if outcome.second_image:
        sheet_path = folder / f"{stem}-{spec.name}-{params['paper']}.jpg"
        sheet_path.write_bytes(outcome.second_image)
        files["sheet"] = str(sheet_path)
    data = body["data"]
    data["photo"].pop("base64")
    if data["sheet"]:
        data["sheet"].pop("base64")
    return {**line, "code": body["code"], "ready": data["ready"], "files": files, **data}


def _command(args: argparse.Namespace) -> int:
    return run_cli(args)


def _remote(request: Request) -> Outcome:
    raise RemoteError("the ID-photo maker has no remote backend: set IDMAKE_BACKEND=local")


def _succeeded(body: dict[str, Any]) -> bool:
    return body.get("code") == 200 or body.get("status") is True


def warm_up_idmake() -> None:
    """The maker's graphs: the check's (faces, segmentation, pose), which it uses too."""
    warm_up_idphoto()


SERVICE = Service(
    kind="id_make",
    label=gettext_lazy("ID-photo maker"),
    settings_prefix="IDMAKE",
    wire=wire,
    local=_local,
    remote=_remote,
    succeeded=_succeeded,
    page=Page(template="photos/results/id_make.html", context=_context),
    command=Command(
        "idmake",
        "make ID photos to a specification: background, size, KB, print sheet",
        _arguments,
        _command,
    ),
    warm_up=warm_up_idmake,
)
