"""Dense landmarks (`POST /facepp/v1/face/thousandlandmark`, Face++'s format)."""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.utils.translation import gettext_lazy
from PIL import Image, ImageDraw

from webapp import vision
from webapp.vision.landmarks import dense_landmarks
from webapp.wire import dense as wire

from .base import Command, Outcome, Page, Request, Service
from .overlay import GROUP_COLOURS, GROUP_LABELS
from .remote import RemoteError, post

#: One colour per part, on the page and in the PNG: the 88-point groups' colours.
PART_COLOURS = {"face": GROUP_COLOURS["face_profile"]} | {
    part: GROUP_COLOURS[part]
    for part in ("left_eyebrow", "right_eyebrow", "left_eye", "right_eye", "nose", "mouth")
}
#: The sequences of each part, as field-name prefixes and whether the line closes on itself.
SEQUENCES = {
    "face": [
        ("face_hairline_", False),
        ("face_contour_right_", False),
        ("face_contour_left_", False),
    ],
    "left_eyebrow": [("left_eyebrow_", True)],
    "right_eyebrow": [("right_eyebrow_", True)],
    "left_eye": [("left_eye_", True)],
    "right_eye": [("right_eye_", True)],
    "nose": [("nose_left_", False), ("nose_right_", False), ("nose_midline_", False)],
    "mouth": [("upper_lip_", True), ("lower_lip_", True)],
}


def _local(request: Request) -> Outcome:
    start = time.perf_counter()
    result = dense_landmarks(request.picture, refine=settings.LANDMARK_REFINEMENT)
    used = round(1000 * (time.perf_counter() - start))
    body = wire.success_body(result, request_id=wire.new_request_id(), time_used=used)
    if result.found:
        # Not a Face++ field: says whether the hairline was seen or estimated.
        body["metadata"] = {
            "hairline": "estimated" if result.hairline_estimated else "detected",
            "hairline_coverage": round(result.hairline_coverage, 2),
        }
    return Outcome(body)


def _remote(request: Request) -> Outcome:
    remote = SERVICE.remote_settings()
    url = remote["URL"].rstrip("/") + "/facepp/v1/face/thousandlandmark"
    body = post(
        url,
        accepts=lambda body: "error_message" in body or "face" in body,
        timeout=settings.REMOTE_TIMEOUT,
        data={
            "api_key": remote["SECRET_ID"],
            "api_secret": remote["SECRET_KEY"],
            "return_landmark": "all",
        },
        files={"image_file": ("photo.jpg", request.raw, "application/octet-stream")},
    )
    if "error_message" in body or not isinstance(body.get("face"), dict):
        # Face++ answers no face with an empty `face`; an error_message is never an outcome.
        raise RemoteError(str(body.get("error_message") or "no face object in the answer"))
    return Outcome(body)


def sequences(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Return every polyline of a result: part, sequence name, points in order, closed or not."""
    landmark = body.get("face", {}).get("landmark", {})
    lines = []
    for part, specs in SEQUENCES.items():
        fields = landmark.get(part, {})
        for prefix, closed in specs:
            points = []
            index = 0
            while (point := fields.get(f"{prefix}{index}")) is not None:
                points.append((point["x"], point["y"]))
                index += 1
            if points:
                lines.append(
                    {"part": part, "name": prefix.rstrip("_"), "points": points, "closed": closed}
                )
    return lines


def render(image: np.ndarray, body: dict[str, Any]) -> bytes:
    """Return a PNG of the photo with every dense sequence drawn as a line."""
    canvas = Image.fromarray(image).convert("RGB")
    draw = ImageDraw.Draw(canvas)
    rect = body["face"]["face_rectangle"]
    width = max(1, round(rect["width"] / 250))
    for line in sequences(body):
        xy = line["points"] + (line["points"][:1] if line["closed"] else [])
        draw.line(xy, fill=PART_COLOURS[line["part"]], width=width)
    for part in ("left_eye", "right_eye"):
        fields = body["face"]["landmark"].get(part, {})
        centre, radius = fields.get(f"{part}_pupil_center"), fields.get(f"{part}_pupil_radius")
        if centre and radius:
            x, y = centre["x"], centre["y"]
            draw.ellipse(
                (x - radius, y - radius, x + radius, y + radius),
                outline=(255, 255, 255),
                width=width,
            )
    buffer = io.BytesIO()
    canvas.save(buffer, "PNG", compress_level=3)
    return buffer.getvalue()


def _context(job: Any) -> dict[str, Any]:
    body = job.result or {}
    face = body.get("face") or {}
    lines = [
        {
            **line,
            "svg": " ".join(
                f"{x},{y}"
                for x, y in line["points"] + (line["points"][:1] if line["closed"] else [])
            ),
        }
        for line in sequences(body)
    ]
    pupils = []
    for part in ("left_eye", "right_eye"):
        fields = face.get("landmark", {}).get(part, {})
        if fields.get(f"{part}_pupil_center"):
            pupils.append(
                {
                    "part": part,
                    **fields[f"{part}_pupil_center"],
                    "r": fields[f"{part}_pupil_radius"],
                }
            )
    rect = face.get("face_rectangle")
    zoom = ""
    if rect:
        margin = 0.6 * max(rect["width"], rect["height"])
        x0, y0 = max(0, rect["left"] - margin), max(0, rect["top"] - 1.3 * margin)
        x1 = min(job.photo.width or 0, rect["left"] + rect["width"] + margin)
        y1 = min(job.photo.height or 0, rect["top"] + rect["height"] + margin)
        zoom = f"{x0:.0f} {y0:.0f} {x1 - x0:.0f} {y1 - y0:.0f}"
    return {
        "lines": lines,
        "pupils": pupils,
        "rect": rect,
        "zoom_box": zoom,
        "parts": [
            (part, "#{:02x}{:02x}{:02x}".format(*colour), GROUP_LABELS[part])
            for part, colour in PART_COLOURS.items()
        ],
        "point_count": sum(len(line["points"]) for line in lines),
        "stroke": max(1.0, (rect["width"] if rect else 100) / 250),
        "metadata": body.get("metadata", {}),
    }


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("images", nargs="+", metavar="IMAGE")
    parser.add_argument("--parts", default="all", help="all, or a comma-separated list of parts")


def load_request_image(source: bytes | str | Path, *, param: str = "image_file") -> vision.Picture:
    """Decode an image under Face++'s rules (JPEG or PNG, 100 to 4096 px a side, 2 MB).

    Parameters
    ----------
    source : bytes or str or Path
        The file's content (``image_file``, decoded ``image_base64``, a
        downloaded ``image_url``) or its path.
    param : str, optional
        The request field it came from, named in the error messages.

    Returns
    -------
    vision.Picture
        The checked photo, decoded only as far as the engine needs it.

    Raises
    ------
    wire.DenseRequestError
        ``IMAGE_FILE_TOO_LARGE``, ``IMAGE_ERROR_UNSUPPORTED_FORMAT: <param>``
        or ``INVALID_IMAGE_SIZE: <param>``.
    """
    limits = {
        "max_bytes": wire.MAX_IMAGE_BYTES,
        "max_pixels": wire.MAX_IMAGE_SIDE**2,
        "min_side": wire.MIN_IMAGE_SIDE,
    }
    try:
        info = vision.probe_image(source, **limits)
        if info.format not in wire.IMAGE_FORMATS:
            raise wire.DenseRequestError("IMAGE_ERROR_UNSUPPORTED_FORMAT", param=param)
        if max(info.width, info.height) > wire.MAX_IMAGE_SIDE:
            raise wire.DenseRequestError("INVALID_IMAGE_SIZE", param=param)
        return vision.open_image(source, **limits)
    except vision.ImageError as exc:
        raise wire.image_error(exc.code, param=param) from exc


def run_cli(paths: Sequence[str], parts: str = "all") -> int:
    """Print the API's body for each image, one JSON object per line.

    Parameters
    ----------
    paths : sequence of str
        Image files.
    parts : str, optional
        A ``return_landmark`` value, e.g. ``"all"`` or ``"left_eye,mouth"``.

    Returns
    -------
    int
        0 when every image got a 200 body (a photo without a face included),
        1 when any got an error body or could not be read (reported on stderr).
    """
    try:
        wanted = wire.parse_return_landmark(parts)
    except wire.DenseRequestError as exc:
        print(
            json.dumps(
                wire.error_body(
                    exc.name, request_id=wire.new_request_id(), time_used=0, **exc.params
                )
            ),
            flush=True,
        )
        return 1
    status = 0
    for path in paths:
        start = time.perf_counter()
        request_id = wire.new_request_id()
        try:
            picture = load_request_image(Path(path))
            try:
                result = dense_landmarks(picture, parts=wanted, refine=settings.LANDMARK_REFINEMENT)
            except vision.ImageError as exc:  # damaged data shows when it is decoded
                raise wire.image_error(exc.code, param="image_file") from exc
        except OSError as exc:
            print(f"{path}: {exc.strerror or exc}", file=sys.stderr)
            status = 1
            continue
        except wire.DenseRequestError as exc:
            used = round(1000 * (time.perf_counter() - start))
            body = wire.error_body(exc.name, request_id=request_id, time_used=used, **exc.params)
            status = 1
        else:
            used = round(1000 * (time.perf_counter() - start))
            body = wire.success_body(result, request_id=request_id, time_used=used)
        print(json.dumps(body, ensure_ascii=False), flush=True)
    return status


def _command(args: argparse.Namespace) -> int:
    return run_cli(args.images, args.parts)


SERVICE = Service(
    kind="dense",
    label=gettext_lazy("Dense landmarks"),
    settings_prefix="DENSE",
    wire=wire,
    local=_local,
    remote=_remote,
    succeeded=lambda body: bool(body.get("face")),
    page=Page(template="photos/results/dense.html", context=_context, render=render),
    command=Command(
        "dense", "the dense landmarks of the largest face, as JSON", _arguments, _command
    ),
    warm_up=vision.warm_up,
)
