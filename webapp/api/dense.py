"""`POST /facepp/v1/face/thousandlandmark`: Face++'s dense landmarks of the largest face."""

from __future__ import annotations

import base64
import binascii
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from webapp import vision
from webapp.photos.jobs import create_job, wait_for_job
from webapp.photos.models import Job
from webapp.wire import dense as wire
from webapp.wire.dense import DenseRequestError

from .auth import RateLimited, client_for_key, count_request
from .fetch import FetchError
from .models import ApiClient, FaceToken
from .views import FORMAT_SUFFIXES, fetch_url

# The seed limits images to 2 MB; base64 makes a body about a third larger.
MAX_BODY_BYTES = wire.MAX_IMAGE_BYTES * 4 // 3 + 64 * 1024


@csrf_exempt
@require_POST
def thousandlandmark(request: HttpRequest) -> HttpResponse:
    start = time.perf_counter()
    request_id = wire.new_request_id()
    try:
        body = _answer(request)
    except DenseRequestError as error:
        if error.name in wire.PLAIN_TEXT_ERRORS:
            return HttpResponse(
                wire.error_message(error.name), status=error.status, content_type="text/plain"
            )
        used = round(1000 * (time.perf_counter() - start))
        return JsonResponse(
            wire.error_body(error.name, request_id=request_id, time_used=used, **error.params),
            status=error.status,
        )
    body.update(request_id=request_id, time_used=round(1000 * (time.perf_counter() - start)))
    return JsonResponse(body)


def _answer(request: HttpRequest) -> dict[str, Any]:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise DenseRequestError("REQUEST_ENTITY_TOO_LARGE")
    fields = request.POST
    client = _authenticate(fields.get("api_key"), fields.get("api_secret"))
    parts = wire.parse_return_landmark(fields.get("return_landmark"))
    if fields.get("face_token"):
        return {"face": _face_from_token(client, fields["face_token"], parts)}
    upload, param = _image(request)
    job = create_job(
        upload=upload,
        suffix=FORMAT_SUFFIXES[_probe(upload, param).format],
        kind=Job.Kind.DENSE,
        params={},
        source=Job.Source.API,
        api_client=client,
    )
    job = wait_for_job(job, settings.API_WAIT_SECONDS)
    if job.status == Job.Status.FAILED and job.error_code in vision.errors.IMAGE_ERROR_CODES:
        raise wire.image_error(job.error_code, param=param)
    if job.status != Job.Status.DONE:
        raise DenseRequestError("INTERNAL_ERROR")
    face = job.result.get("face") or {}
    if not face:
        return {"face": {}}
    token = FaceToken.objects.create(
        api_client=client,
        face=face,
        expires_at=timezone.now() + timedelta(hours=settings.FACE_TOKEN_HOURS),
    )
    return {"face": _filtered(face, parts, token.token), "metadata": job.result.get("metadata", {})}


def _authenticate(api_key: str | None, api_secret: str | None) -> ApiClient:
    if not api_key:
        raise DenseRequestError("MISSING_ARGUMENTS", key="api_key")
    if not api_secret:
        raise DenseRequestError("MISSING_ARGUMENTS", key="api_secret")
    client = client_for_key(api_key, api_secret)
    if client is None:
        raise DenseRequestError("AUTHENTICATION_ERROR")
    try:
        count_request(client)
    except RateLimited as exc:
        raise DenseRequestError("CONCURRENCY_LIMIT_EXCEEDED") from exc
    return client


def _image(request: HttpRequest) -> tuple[bytes, str]:
    """Return the photo's bytes and the field they came from, in the seed's order of preference."""
    if "image_file" in request.FILES:
        return request.FILES["image_file"].read(), "image_file"
    if request.POST.get("image_base64"):
        try:
            return base64.b64decode(request.POST["image_base64"], validate=False), "image_base64"
        except (binascii.Error, ValueError) as exc:
            raise DenseRequestError("BAD_ARGUMENTS", key="image_base64") from exc
    if request.POST.get("image_url"):
        try:
            return fetch_url(request.POST["image_url"], max_bytes=wire.MAX_IMAGE_BYTES), "image_url"
        except FetchError as exc:
            if exc.kind == "timeout":
                raise DenseRequestError("IMAGE_DOWNLOAD_TIMEOUT") from exc
            if exc.kind == "too_large":
                raise DenseRequestError("IMAGE_FILE_TOO_LARGE") from exc
            raise DenseRequestError("INVALID_IMAGE_URL") from exc
    raise DenseRequestError(
        "MISSING_ARGUMENTS", key="image_url, image_file, image_base64 or face_token"
    )


def _probe(upload: bytes, param: str) -> vision.ImageInfo:
    try:
        info = vision.probe_image(
            upload,
            max_bytes=wire.MAX_IMAGE_BYTES,
            max_pixels=wire.MAX_IMAGE_SIDE**2,
            min_side=wire.MIN_IMAGE_SIDE,
        )
    except vision.ImageError as exc:
        raise wire.image_error(exc.code, param=param) from exc
    if info.format not in wire.IMAGE_FORMATS:
        raise DenseRequestError("IMAGE_ERROR_UNSUPPORTED_FORMAT", param=param)
    if max(info.width, info.height) > wire.MAX_IMAGE_SIDE:
        raise DenseRequestError("INVALID_IMAGE_SIZE", param=param)
    return info


def _face_from_token(client: ApiClient, token: str, parts: tuple[str, ...]) -> dict[str, Any]:
    found = FaceToken.objects.filter(
        token=token, api_client=client, expires_at__gt=timezone.now()
    ).first()
    if found is None:
        raise DenseRequestError("INVALID_FACE_TOKEN", face_token=token)
    return _filtered(found.face, parts, found.token)


def _filtered(face: dict[str, Any], parts: tuple[str, ...], token: str) -> dict[str, Any]:
    landmark = {part: points for part, points in face["landmark"].items() if part in parts}
    return {"landmark": landmark, "face_rectangle": face["face_rectangle"], "face_token": token}
