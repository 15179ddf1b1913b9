"""`POST /idphoto/check`: the ID-photo check service's format (code, msg, taskNo, data).

Credentials: `X-Api-Key` and `X-Api-Secret` headers (a credential's secret_id
and secret_key), or the face-shape API's signed `Authorization` header, whose
`a` must be the appid of the credential named by `k` (the body has no appid).
How each refusal is answered: webapp.wire.idphoto.IdPhotoRenderer.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from webapp.photos.jobs import create_job, wait_for_job
from webapp.photos.models import Job
from webapp.vision.idphoto import MAX_SIDE, SPECS
from webapp.wire.codes import Answer
from webapp.wire.idphoto import IdPhotoRenderer

from .auth import authenticate, authenticate_key
from .core import FORMAT_SUFFIXES, ApiError, api_view, fetch, job_result, probe, read_body
from .models import ApiClient


@api_view(IdPhotoRenderer)
def check_photo(request: HttpRequest, reply: IdPhotoRenderer) -> Answer:
    client = authenticate_caller(request)
    fields = read_body(request, limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE, empty_ok=True).fields
    spec = _spec(fields.get("spec"))
    upload = photo_bytes(fields)
    info = probe(upload)
    if max(info.width, info.height) > MAX_SIDE:
        raise ApiError("too_large", detail=f"{info.width}x{info.height}")
    job = create_job(
        upload=upload,
        suffix=FORMAT_SUFFIXES[info.format],
        kind=Job.Kind.ID_CHECK,
        params={"spec": spec, "task_no": reply.task_no},
        source=Job.Source.API,
        api_client=client,
    )
    return reply.answer(job_result(wait_for_job(job, settings.API_WAIT_SECONDS, created=True)))


def authenticate_caller(request: HttpRequest) -> ApiClient:
    """Return the credential of the request's headers, counted against its rate limit."""
    key, secret = request.headers.get("X-Api-Key", ""), request.headers.get("X-Api-Secret", "")
    if key or secret:
        return authenticate_key(key, secret, sent_as="X-Api-Key and X-Api-Secret")
    if not request.headers.get("Authorization"):
        raise ApiError(
            "auth_missing",
            message="send X-Api-Key and X-Api-Secret, or a signed Authorization header",
        )
    return authenticate(request, body_appid=None)


def _spec(value: object) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or value not in SPECS:
        raise ApiError("unknown_spec", detail=f"{value!r}; known: {', '.join(SPECS)}")
    return value


def photo_bytes(fields: dict[str, Any]) -> bytes:
    """Return the photo's bytes from `base64`, else from `url` (the service's order)."""
    if fields.get("base64"):
        return decode_base64(fields["base64"], "base64")
    url = fields.get("url")
    if not url:
        raise ApiError("missing_image", message="send the photo as 'base64' or 'url'")
    if not isinstance(url, str):
        raise ApiError("bad_parameters", detail="'url' must be a string")
    return fetch(url)


def decode_base64(value: object, name: str = "base64") -> bytes:
    """Decode standard or URL-safe base64, with or without a data: prefix, line breaks, padding."""
    if not isinstance(value, str):
        raise ApiError("bad_parameters", detail=f"'{name}' must be a string")
    text = value.strip()
    if text.startswith("data:"):
        text = text.partition(",")[2]
    # A '+' sent in a form without percent-encoding arrives as a space.
    text = (
        text.replace(" ", "+")
        .translate({ord(c): None for c in "\r\n\t"})
        .translate(str.maketrans("-_", "+/"))
    )
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApiError("bad_parameters", detail=f"'{name}' is not valid base64") from exc
    if not data:
        raise ApiError("bad_parameters", detail=f"'{name}' is empty")
    return data
