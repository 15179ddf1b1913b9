"""`POST /idphoto/check`: the ID-photo check in the seed's format (code, msg, taskNo, data).

Credentials: `X-Api-Key` and `X-Api-Secret` headers (a credential's secret_id
and secret_key), or the face-shape API's signed `Authorization` header, whose
`a` must be the appid of the credential named by `k` (the body has no appid).
Every refusal is a body with a code of the seed's table: the photo's problems
have their own codes; what is wrong with the request itself (credentials,
rate, fields, size) is code 400 with the reason after the seed's message and
an HTTP status that says which (401, 403, 413, 429 or 400).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from webapp import vision
from webapp.photos.jobs import create_job, wait_for_job
from webapp.photos.limits import photo_limits
from webapp.photos.models import Job
from webapp.photos.services.idphoto import api_body
from webapp.vision.idphoto import MAX_SIDE, SPECS
from webapp.wire import idphoto as wire
from webapp.wire.codes import ERRORS, error_message

from .auth import RateLimited, authenticate, client_for_key, count_request
from .errors import ApiFailure
from .fetch import FetchError
from .models import ApiClient
from .views import FORMAT_SUFFIXES, fetch_url

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
#: How a failed job answers: the image loader's refusals by the wire's table, the rest as below.
JOB_FAILURES = {"internal": "processing_failed"}


class Refused(Exception):
    """Stop and answer error `name` of the wire's CODES, with a detail and an HTTP status."""

    def __init__(self, name: str, detail: str = "", status: int | None = None) -> None:
        super().__init__(detail)
        self.name, self.detail, self.status = name, detail, status


@csrf_exempt
@require_POST
def check_photo(request: HttpRequest) -> JsonResponse:
    task_no = wire.new_task_no()
    try:
        client = _authenticate(request)
        fields = _fields(request)
        spec = _spec(fields.get("spec"))
        upload = _photo(fields)
        suffix = _probe(upload)
        job = create_job(
            upload=upload,
            suffix=suffix,
            kind=Job.Kind.ID_CHECK,
            params={"spec": spec, "task_no": task_no},
            source=Job.Source.API,
            api_client=client,
        )
        body = _job_body(wait_for_job(job, settings.API_WAIT_SECONDS), task_no)
        return _response(body)
    except Refused as refused:
        body = wire.error_body(refused.name, task_no=task_no, detail=refused.detail)
        return _response(body, refused.status)


def _response(body: dict[str, Any], status: int | None = None) -> JsonResponse:
    return JsonResponse(
        body,
        status=status or wire.http_status(body["code"]),
        json_dumps_params={"ensure_ascii": False},
        content_type="application/json; charset=utf-8",
    )


def _authenticate(request: HttpRequest) -> ApiClient:
    """Return the credential of the request's headers, counted against its rate limit."""
    key, secret = request.headers.get("X-Api-Key", ""), request.headers.get("X-Api-Secret", "")
    if not key and not secret:
        if not request.headers.get("Authorization"):
            raise Refused(
                "bad_parameters",
                "send X-Api-Key and X-Api-Secret, or a signed Authorization header",
                401,
            )
        try:
            return authenticate(request, body_appid=None)
        except ApiFailure as failure:
            detail = error_message(failure.name, **failure.params)
            raise Refused("bad_parameters", detail, ERRORS[failure.name].http_status) from failure
    client = client_for_key(key, secret)
    if client is None:
        raise Refused(
            "bad_parameters", "X-Api-Key and X-Api-Secret do not match an active credential", 401
        )
    try:
        count_request(client)
    except RateLimited as exc:
        raise Refused(
            "bad_parameters", error_message("rate_limited", limit=exc.args[0]), 429
        ) from exc
    return client


def _fields(request: HttpRequest) -> dict[str, Any]:
    """Return the body's fields, from JSON or a form (urlencoded or multipart)."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    too_large = Refused("bad_parameters", f"the request is larger than {limit // 2**20} MB", 413)
    if length.isdigit() and int(length) > limit:
        raise too_large
    if length in ("", "0"):
        return {}  # nothing sent: answered "send the photo"
    try:
        if request.content_type == "application/json":
            try:
                fields = json.loads(request.body or b"null")
            except (ValueError, UnicodeDecodeError) as exc:
                raise Refused("bad_parameters", "the body is not valid JSON") from exc
            if not isinstance(fields, dict):
                raise Refused("bad_parameters", "the body is not a JSON object")
            return fields
        if request.content_type in FORM_TYPES:
            return request.POST.dict()
    except RequestDataTooBig as exc:
        raise too_large from exc
    raise Refused(
        "bad_parameters",
        "send application/json, application/x-www-form-urlencoded or multipart/form-data",
    )


def _spec(value: object) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or value not in SPECS:
        raise Refused("unknown_spec", f"{value!r}; known: {', '.join(SPECS)}")
    return value


def _photo(fields: dict[str, Any]) -> bytes:
    """Return the photo's bytes from `base64`, else from `url` (the seed's order)."""
    if fields.get("base64"):
        return _decode_base64(fields["base64"])
    url = fields.get("url")
    if not url:
        raise Refused("bad_parameters", "send the photo as 'base64' or 'url'")
    if not isinstance(url, str):
        raise Refused("bad_parameters", "'url' must be a string")
    try:
        return fetch_url(url)
    except FetchError as exc:
        if exc.kind in ("bad_url", "too_large"):
            raise Refused("bad_parameters", f"'url': {exc.reason}") from exc
        raise Refused("photo_not_found", exc.reason) from exc


def _decode_base64(value: object) -> bytes:
    """Decode standard or URL-safe base64, with or without a data: prefix, line breaks, padding."""
    if not isinstance(value, str):
        raise Refused("bad_parameters", "'base64' must be a string")
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
        raise Refused("bad_parameters", "'base64' is not valid base64") from exc
    if not data:
        raise Refused("bad_parameters", "'base64' is empty")
    return data


def _probe(upload: bytes) -> str:
    """Refuse from the header what the check would refuse; return the file's suffix."""
    try:
        info = vision.probe_image(
            upload,
            **photo_limits(),
        )
    except vision.ImageError as exc:
        raise Refused(wire.IMAGE_ERRORS.get(exc.code, "encoding_failed"), str(exc)) from exc
    if max(info.width, info.height) > MAX_SIDE:
        raise Refused("too_large", f"{info.width}x{info.height}")
    return FORMAT_SUFFIXES[info.format]


def _job_body(job: Job, task_no: str) -> dict[str, Any]:
    if job.status == Job.Status.DONE:
        return api_body(job.result)
    if job.status == Job.Status.FAILED:
        name = wire.IMAGE_ERRORS.get(job.error_code) or JOB_FAILURES.get(
            job.error_code, "maintenance"
        )
        return wire.error_body(name, task_no=task_no, detail=job.error_message)
    return wire.error_body("maintenance", task_no=task_no, detail=error_message("busy"))
