"""The 88-point face shape (`POST /face/shape`, Tencent's format)."""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings

from webapp.wire import faceshape as faceshape_wire
from webapp.wire.signature import sign

from .. import overlay
from ..models import Job
from . import Request, Service, post


def _face_shape_local(request: Request) -> dict[str, Any]:
    from webapp import vision

    result = vision.face_shape(request.image, mode=request.params.get("mode", 0))
    return faceshape_wire.success_body(result, session_id=request.job_id)


def _face_shape_remote(request: Request) -> dict[str, Any]:
    body = RemoteFaceShape.from_settings().face_shape(
        request.raw, mode=request.params.get("mode", 0)
    )
    # Results are looked up here by our own session id, not the remote one.
    body.setdefault("data", {})["session_id"] = request.job_id
    return body


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

    @classmethod
    def from_settings(cls) -> RemoteFaceShape:
        remote = settings.REMOTE_SERVICES["face_shape"]
        return cls(
            remote["URL"],
            appid=remote["APPID"],
            secret_id=remote["SECRET_ID"],
            secret_key=remote["SECRET_KEY"],
            timeout=settings.REMOTE_TIMEOUT,
        )

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


def _svg_shapes(job: Job) -> list[dict[str, object]]:
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


def _zoom_box(job: Job) -> str:
    """Return an SVG viewBox around every face, with a margin, for "zoom to faces"."""
    points = [(p["x"], p["y"]) for face in job.faces for ps in face.values() for p in ps]
    if not points or not job.photo.width:
        return ""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    margin = 0.35 * max(max(xs) - min(xs), max(ys) - min(ys))
    x0, y0 = max(0, min(xs) - margin), max(0, min(ys) - margin)
    x1, y1 = min(job.photo.width, max(xs) + margin), min(job.photo.height, max(ys) + margin)
    return f"{x0:.0f} {y0:.0f} {x1 - x0:.0f} {y1 - y0:.0f}"


def _context(job: Job) -> dict[str, Any]:
    return {
        "groups": [(g, _hex(c)) for g, c in overlay.GROUP_COLOURS.items()],
        "shapes": _svg_shapes(job),
        "zoom_box": _zoom_box(job),
    }


SERVICE = Service(
    kind=Job.Kind.FACE_SHAPE,
    local=_face_shape_local,
    remote=_face_shape_remote,
    succeeded=lambda body: body.get("code") == 0,
    template="photos/results/face_shape.html",
    context=_context,
    render=overlay.render,
)
