"""The cloud services' HTTP APIs, in their own request and response formats."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from webapp import vision
from webapp.core.limits import max_upload_bytes, photo_limits
from webapp.photos.jobs import create_job, wait_for_job
from webapp.photos.models import Job
from webapp.wire.codes import ERRORS, http_status
from webapp.wire.faceshape import error_body

from .auth import authenticate
from .errors import ApiFailure
from .fetch import FetchError, fetch_image

FORMAT_SUFFIXES = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "BMP": ".bmp"}


def api_view(view: Callable[[HttpRequest], JsonResponse]) -> Callable[[HttpRequest], JsonResponse]:
    """POST only, no CSRF (requests are signed), every ApiFailure answered in the wire format."""

    @csrf_exempt
    @require_POST
    @wraps(view)
    def wrapper(request: HttpRequest) -> JsonResponse:
        try:
            return view(request)
        except ApiFailure as failure:
            return failure.response()

    return wrapper


@api_view
def face_shape(request: HttpRequest) -> JsonResponse:
    """`POST /face/shape`: the 88 face-shape points of every face, or of the largest."""
    fields, upload = _read_body(request)
    client = authenticate(request, body_appid=str(fields.get("appid", "")))
    mode = _parse_mode(fields.get("mode", 0))
    if fields.get("url"):
        # As the seed says: with both, only the url is used.
        upload = _fetch(str(fields["url"]))
    if upload is None:
        raise ApiFailure("missing_image")
    info = _probe(upload)
    job = create_job(
        upload=upload,
        suffix=FORMAT_SUFFIXES[info.format],
        kind=Job.Kind.FACE_SHAPE,
        params={"mode": mode},
        source=Job.Source.API,
        api_client=client,
    )
    return _job_response(wait_for_job(job, settings.API_WAIT_SECONDS))


def fetch_url(url: str, *, max_bytes: int | None = None) -> bytes:
    """Fetch an image URL with the site's limits (raises FetchError)."""
    return fetch_image(
        url,
        max_bytes=max_bytes or max_upload_bytes(),
        timeout=settings.URL_FETCH_TIMEOUT,
        allow_private=settings.URL_FETCH_ALLOW_PRIVATE,
    )


def _fetch(url: str) -> bytes:
    try:
        return fetch_url(url)
    except FetchError as exc:
        if exc.kind == "bad_url":
            raise ApiFailure("bad_field", field="url", reason=exc.reason) from exc
        if exc.kind == "too_large":
            raise ApiFailure("too_large_bytes", **exc.params) from exc
        raise ApiFailure("url_fetch_failed", reason=exc.reason) from exc


def _read_body(request: HttpRequest) -> tuple[dict[str, Any], bytes | None]:
    """Return the request's fields and uploaded image bytes, from multipart or JSON."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    limit = max_upload_bytes() + 64 * 1024
    if length.isdigit() and int(length) > limit:
        raise ApiFailure("request_too_large", size=int(length), limit=limit)
    content_type = request.content_type or ""
    if content_type == "application/json":
        try:
            fields = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiFailure("invalid_json") from exc
        if not isinstance(fields, dict):
            raise ApiFailure("invalid_json")
        return fields, None
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        fields = request.POST.dict()
        image = request.FILES.get("image")
        return fields, (image.read() if image is not None else None)
    raise ApiFailure("bad_content_type", content_type=content_type or "no content type")


def _parse_mode(value: object) -> int:
    if str(value).strip() in ("0", "1"):
        return int(str(value).strip())
    raise ApiFailure(
        "bad_field", field="mode", reason="it must be 0 (all faces) or 1 (the largest face)"
    )


def _probe(upload: bytes) -> vision.ImageInfo:
    try:
        return vision.probe_image(
            upload,
            **photo_limits(),
        )
    except vision.ImageError as exc:
        raise ApiFailure(exc.code, **exc.params) from exc


def _job_response(job: Job) -> JsonResponse:
    if job.status == Job.Status.DONE:
        return JsonResponse(job.result, status=http_status(job.result.get("code", 0)))
    if job.status == Job.Status.FAILED:
        body = error_body(job.error_code, session_id=str(job.id))
        body["message"] = job.error_message
        return JsonResponse(body, status=ERRORS[job.error_code].http_status)
    return JsonResponse(
        error_body("busy", session_id=str(job.id)), status=ERRORS["busy"].http_status
    )
