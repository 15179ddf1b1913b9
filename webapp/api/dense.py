"""`POST /facepp/v1/face/thousandlandmark`: Face++'s dense landmarks of the largest face."""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from webapp.photos.jobs import create_job, wait_for_job
from webapp.photos.models import Job
from webapp.wire import dense as wire
from webapp.wire.codes import Answer
from webapp.wire.dense import DenseRenderer

from .auth import authenticate_key
from .core import FORMAT_SUFFIXES, ApiError, Body, api_view, fetch, job_result, probe, read_body
from .models import ApiClient, FaceToken

# Face++ limits images to 2 MB; base64 makes a body about a third larger.
MAX_BODY_BYTES = wire.MAX_IMAGE_BYTES * 4 // 3 + 64 * 1024


@api_view(DenseRenderer)
def thousandlandmark(request: HttpRequest, reply: DenseRenderer) -> Answer:
    body = read_body(request, limit=MAX_BODY_BYTES, json_body=False, strict=False)
    fields = body.fields
    client = _authenticate(fields.get("api_key"), fields.get("api_secret"))
    parts = wire.parse_return_landmark(fields.get("return_landmark"))
    if fields.get("face_token"):
        return reply.answer({"face": _face_from_token(client, fields["face_token"], parts)})
    upload, field = _image(body)
    info = probe(
        upload,
        field=field,
        max_bytes=wire.MAX_IMAGE_BYTES,
        max_pixels=wire.MAX_IMAGE_SIDE**2,
        min_side=wire.MIN_IMAGE_SIDE,
    )
    if info.format not in wire.IMAGE_FORMATS:
        raise ApiError("unsupported_format", format=info.format, field=field)
    if max(info.width, info.height) > wire.MAX_IMAGE_SIDE:
        raise ApiError("too_many_pixels", width=info.width, height=info.height, field=field)
    job = create_job(
        upload=upload,
        suffix=FORMAT_SUFFIXES[info.format],
        kind=Job.Kind.DENSE,
        params={},
        source=Job.Source.API,
        api_client=client,
    )
    result = job_result(wait_for_job(job, settings.API_WAIT_SECONDS, created=True), field=field)
    face = result.get("face") or {}
    if not face:
        return reply.answer({"face": {}})
    token = FaceToken.objects.create(
        api_client=client,
        face=face,
        expires_at=timezone.now() + timedelta(hours=settings.FACE_TOKEN_HOURS),
    )
    return reply.answer(
        {"face": _filtered(face, parts, token.token), "metadata": result.get("metadata", {})}
    )


def _authenticate(api_key: str | None, api_secret: str | None) -> ApiClient:
    if not api_key:
        raise ApiError("missing_field", field="api_key")
    if not api_secret:
        raise ApiError("missing_field", field="api_secret")
    return authenticate_key(api_key, api_secret, sent_as="api_key and api_secret")


def _image(body: Body) -> tuple[bytes, str]:
    """Return the photo's bytes and the field they came from, in Face++'s order of preference."""
    if "image_file" in body.files:
        return body.files["image_file"].read(), "image_file"
    if body.fields.get("image_base64"):
        try:
            return base64.b64decode(body.fields["image_base64"], validate=False), "image_base64"
        except (binascii.Error, ValueError) as exc:
            raise ApiError("bad_field", field="image_base64") from exc
    if body.fields.get("image_url"):
        return fetch(body.fields["image_url"], max_bytes=wire.MAX_IMAGE_BYTES), "image_url"
    raise ApiError("missing_image", field="image_url, image_file, image_base64 or face_token")


def _face_from_token(client: ApiClient, token: str, parts: tuple[str, ...]) -> dict[str, Any]:
    found = FaceToken.objects.filter(
        token=token, api_client=client, expires_at__gt=timezone.now()
    ).first()
    if found is None:
        raise ApiError("INVALID_FACE_TOKEN", face_token=token)
    return _filtered(found.face, parts, found.token)


def _filtered(face: dict[str, Any], parts: tuple[str, ...], token: str) -> dict[str, Any]:
    landmark = {part: points for part, points in face["landmark"].items() if part in parts}
    return {"landmark": landmark, "face_rectangle": face["face_rectangle"], "face_token": token}
