"""The 88-point face shape (`POST /face/shape`, in the format of Tencent's face-shape API)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.utils.translation import gettext_lazy

from webapp import vision
from webapp.wire import faceshape as wire
from webapp.wire.signature import sign

from . import overlay
from .base import Command, Outcome, Page, Request, Service
from .remote import RemoteError, post


def _local(request: Request) -> Outcome:
    result = vision.face_shape(
        request.picture, mode=request.params.get("mode", 0), refine=settings.LANDMARK_REFINEMENT
    )
    # The 68 iBUG points are the result page's second download (a .pts per face).
    return Outcome(
        wire.success_body(result, session_id=request.job_id),
        details={"ibug68": wire.ibug68_details(result)},
    )


def _remote(request: Request) -> Outcome:
    remote = SERVICE.remote_settings()
    client = RemoteFaceShape(
        remote["URL"],
        appid=remote["APPID"],
        secret_id=remote["SECRET_ID"],
        secret_key=remote["SECRET_KEY"],
        timeout=settings.REMOTE_TIMEOUT,
    )
    body = client.face_shape(request.raw, mode=request.params.get("mode", 0))
    if body["code"] not in (wire.OK_CODE, wire.CODES["no_face"]):
        # Its refusal of our credentials or of its own state is not the caller's problem.
        raise RemoteError(f"code {body['code']}: {body.get('message') or 'no message'}")
    # Results are looked up here by our own session id, not the remote one.
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    return Outcome({**body, "data": {**data, "session_id": request.job_id}})


class RemoteFaceShape:
    """A client of `POST /face/shape` at another service: the cloud one or another Likeness."""

    def __init__(
        self, base_url: str, *, appid: str, secret_id: str, secret_key: str, timeout: float = 30.0
    ) -> None:
        self.url = base_url.rstrip("/") + "/face/shape"
        self.appid = appid
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.timeout = timeout
        self.session = requests.Session()

    def face_shape(self, image: bytes, *, mode: int = 0) -> dict[str, Any]:
        """Send a photo and return the service's response body (any code)."""
        auth = sign(self.appid, self.secret_id, self.secret_key, expires_in=600)
        return post(
            self.url,
            accepts=lambda body: isinstance(body.get("code"), int),
            timeout=self.timeout,
            session=self.session,
            headers={"Authorization": auth},
            data={"appid": self.appid, "mode": str(mode)},
            files={"image": ("photo.jpg", image, "application/octet-stream")},
        )


def _hex(colour: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


def _svg_shapes(job: Any) -> list[dict[str, object]]:
    """Return, per face, each group's points and lines for the SVG, and a dot size to match."""
    faces = []
    for face in job.faces:
        groups = []
        xs = [p["x"] for points in face.values() for p in points]
        for group, points in face.items():
            xy = [(p["x"], p["y"]) for p in points]
            groups.append(
                {
                    "name": group,
                    "colour": _hex(overlay.GROUP_COLOURS.get(group, (255, 255, 255))),
                    "points": xy,
                    "lines": [
                        " ".join(f"{x},{y}" for x, y in line)
                        for line in overlay.polylines(group, xy)
                    ],
                }
            )
        faces.append({"groups": groups, "radius": round(max(1.0, (max(xs) - min(xs)) / 90), 1)})
    return faces


def _zoom_box(job: Any) -> str:
    """Return an SVG viewBox around every face, with a margin, for "zoom to faces"."""
    points = [(p["x"], p["y"]) for face in job.faces for ps in face.values() for p in ps]
    if not points or not job.photo.width:
        return ""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    margin = 0.35 * max(max(xs) - min(xs), max(ys) - min(ys))
    x0, y0 = max(0, min(xs) - margin), max(0, min(ys) - margin)
    x1, y1 = min(job.photo.width, max(xs) + margin), min(job.photo.height, max(ys) + margin)
    return f"{x0:.0f} {y0:.0f} {x1 - x0:.0f} {y1 - y0:.0f}"


def _context(job: Any) -> dict[str, Any]:
    return {
        "groups": [(g, _hex(c), overlay.GROUP_LABELS[g]) for g, c in overlay.GROUP_COLOURS.items()],
        "shapes": _svg_shapes(job),
        "zoom_box": _zoom_box(job),
        # One .pts download per face with 68 iBUG points (a job done remotely has none).
        "pts_faces": range(len((job.details or {}).get("ibug68") or [])),
    }


#: The command's output formats: the API's body, iBUG .pts files, Tencent's 90 points.
FORMATS = ("json", "ibug68", "tencent90")


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("images", nargs="+", metavar="IMAGE")
    parser.add_argument("--mode", type=int, choices=(0, 1), default=0)
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="json",
        help="json: the face-shape API's body; ibug68: a 68-point iBUG .pts file per face "
        "(written to --output-dir, their paths printed); tencent90: the 88 points and the "
        "two pupils as Tencent's face-analysis API answers them",
    )
    parser.add_argument(
        "--output-dir", default=".", help="where --format ibug68 writes its .pts files"
    )


def pts_names(image: str, count: int) -> list[str]:
    """The .pts file names of an image's faces: ``photo.pts``, then ``photo_2.pts``, ..."""
    stem = Path(image).stem
    return [f"{stem}.pts" if n == 0 else f"{stem}_{n + 1}.pts" for n in range(count)]


def _write_pts(path: str, result: vision.FaceShape, output_dir: Path) -> None:
    output_dir.mkdir(parents=True, exist_ok=True)
    for name, points in zip(pts_names(path, len(result.ibug68)), result.ibug68, strict=True):
        target = output_dir / name
        target.write_text(wire.ibug68_pts(points))
        print(target, flush=True)


def _command(args: argparse.Namespace) -> int:
    """Print the API's body for each image, one JSON object per line (or write .pts files)."""
    status = 0
    for path in args.images:
        try:
            result = vision.face_shape(
                vision.open_image(path), mode=args.mode, refine=settings.LANDMARK_REFINEMENT
            )
        except OSError as exc:
            print(f"{path}: {exc.strerror or exc}", file=sys.stderr)
            status = 1
            continue
        except vision.ImageError as exc:
            body = wire.error_body(exc.code, **exc.params)
            status = 1
        else:
            if not result.faces:
                status = 1
            if args.format == "ibug68":
                if not result.faces:
                    print(f"{path}: {wire.error_message('no_face')}", file=sys.stderr)
                    continue
                try:
                    _write_pts(path, result, Path(args.output_dir))
                except OSError as exc:
                    print(f"{args.output_dir}: {exc.strerror or exc}", file=sys.stderr)
                    return 1
                continue
            # success_body answers "no_face" itself (code 1000, with the image size).
            body = (
                wire.tencent90_body(result)
                if args.format == "tencent90"
                else wire.success_body(result)
            )
        print(json.dumps(body, ensure_ascii=False), flush=True)
    return status


SERVICE = Service(
    kind="face_shape",
    label=gettext_lazy("88 face-shape points"),
    settings_prefix="FACE_SHAPE",
    wire=wire,
    local=_local,
    remote=_remote,
    succeeded=lambda body: body.get("code") == wire.OK_CODE,
    page=Page(template="photos/results/face_shape.html", context=_context, render=overlay.render),
    command=Command("faceshape", "88 face-shape points per image, as JSON", _arguments, _command),
    warm_up=vision.warm_up,
)
