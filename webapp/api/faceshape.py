"""`POST /face/shape`: Tencent's face-shape API, the 88 face-shape points of each face."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from webapp.core.limits import max_upload_bytes
from webapp.photos.jobs import create_job, wait_for_job
from webapp.photos.models import Job
from webapp.wire.codes import Answer
from webapp.wire.faceshape import FaceShapeRenderer

from .auth import authenticate
from .core import FORMAT_SUFFIXES, ApiError, api_view, fetch, job_result, probe, read_body


@api_view(FaceShapeRenderer)
def face_shape(request: HttpRequest, reply: FaceShapeRenderer) -> Answer:
    """The face-shape points of every face, or of the largest (mode 1)."""
    body = read_body(request, limit=max_upload_bytes() + 64 * 1024)
    client = authenticate(request, body_appid=str(body.fields.get("appid", "")))
    mode = _parse_mode(body.fields.get("mode", 0))
    image = body.files.get("image")
    upload = image.read() if image is not None else None
    if body.fields.get("url"):
        # As Tencent's API does: with both, only the url is used.
        upload = fetch(str(body.fields["url"]))
    if upload is None:
        raise ApiError("missing_image")
    info = probe(upload)
    job = create_job(
        upload=upload,
        suffix=FORMAT_SUFFIXES[info.format],
        kind=Job.Kind.FACE_SHAPE,
        params={"mode": mode},
        source=Job.Source.API,
        api_client=client,
    )
    return reply.answer(job_result(wait_for_job(job, settings.API_WAIT_SECONDS, created=True)))


def _parse_mode(value: object) -> int:
    if str(value).strip() in ("0", "1"):
        return int(str(value).strip())
    raise ApiError(
        "bad_field", field="mode", reason="it must be 0 (all faces) or 1 (the largest face)"
    )
