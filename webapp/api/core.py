"""The API core: what every cloud-service API does the same way, answered in its own format.

Every API view raises :class:`ApiError` (``webapp.wire.codes``) with a name of
the shared vocabulary, or one of its wire's own; :func:`api_view` answers it
with the view's wire renderer. An API module (see faceshape.py) uses it so::

    @api_view(FaceShapeRenderer)                 # POST only, no CSRF, failures in Tencent's format
    def face_shape(request, reply):
        body = read_body(request, limit=...)     # fields and files, or request_too_large...
        info = probe(upload)                     # an ImageError as the failure of its code
        job = wait_for_job(create_job(..., suffix=FORMAT_SUFFIXES[info.format]), ...)
        return reply.answer(job_result(job))     # a failed or unfinished job raises

``fetch(url)`` gets an image URL (failing as "url_fetch_failed"). A new service
is one more :class:`~webapp.wire.codes.Renderer` in ``webapp/wire/<format>.py``
(the vocabulary's names to its bodies and HTTP statuses) and one more module here.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.http.request import UnreadablePostError
from django.utils.datastructures import MultiValueDict
from django.views.decorators.csrf import csrf_exempt

from webapp import vision
from webapp.core import metrics
from webapp.core.limits import content_length, max_upload_bytes, photo_limits
from webapp.core.storage import DISK_FULL
from webapp.core.uploads import UploadTooLarge, limit_uploads
from webapp.photos.models import Job
from webapp.wire.codes import Answer, ApiError, Renderer

from .fetch import FetchError, fetch_image

__all__ = [
    "FORMAT_SUFFIXES",
    "ApiError",
    "Body",
    "api_view",
    "fetch",
    "image_failure",
    "job_result",
    "probe",
    "read_body",
    "respond",
]

logger = logging.getLogger(__name__)

#: The file suffix a job's upload is stored with, by the probed image format.
FORMAT_SUFFIXES = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "BMP": ".bmp"}
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")

R = TypeVar("R", bound=Renderer)


def api_view(
    renderer: type[R],
) -> Callable[[Callable[[HttpRequest, R], Answer]], Callable[[HttpRequest], HttpResponse]]:
    """Make `view(request, reply)` an API view answering in `renderer`'s format.

    POST only (any other method is "method_not_allowed", HTTP 405), no CSRF
    (requests carry credentials), every ApiError answered by the request's
    renderer, and an unexpected exception logged and answered as "internal"
    ("storage_full" when the disk is full). The view carries its renderer as
    ``wire_renderer``: :mod:`webapp.api.middleware` answers what escapes it with it.
    """

    def decorate(view: Callable[[HttpRequest, R], Answer]) -> Callable[[HttpRequest], HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest) -> HttpResponse:
            start = time.perf_counter()
            reply = renderer()
            if request.method != "POST":
                answer = reply.error("method_not_allowed", {"method": request.method})
                metrics.record_api_answer(
                    request.path_info, answer.body, answer.status, time.perf_counter() - start
                )
                response = respond(answer)
                response["Allow"] = "POST"
                return response
            try:
                answer = view(request, reply)
            except ApiError as error:
                answer = reply.error(error.name, error.params)
            except OSError as exc:
                logger.exception("API view %s failed on %s", view.__name__, request.path)
                answer = reply.error("storage_full" if exc.errno in DISK_FULL else "internal", {})
            except Exception:
                logger.exception("API view %s failed on %s", view.__name__, request.path)
                answer = reply.error("internal", {})
            # Counted per API (its path), wire code and HTTP status (see webapp.core.metrics).
            metrics.record_api_answer(
                request.path_info, answer.body, answer.status, time.perf_counter() - start
            )
            return respond(answer)

        wrapper.wire_renderer = renderer  # type: ignore[attr-defined]
        return wrapper

    return decorate


def respond(answer: Answer) -> HttpResponse:
    """Return the HTTP response for a wire answer (a str body is sent as plain text).

    The response is marked ``wire_answer``: the API's own, whatever its status.
    """
    response: HttpResponse
    if isinstance(answer.body, str):
        response = HttpResponse(answer.body, status=answer.status, content_type="text/plain")
    elif answer.utf8:
        response = JsonResponse(
            answer.body,
            status=answer.status,
            json_dumps_params={"ensure_ascii": False},
            content_type="application/json; charset=utf-8",
        )
    else:
        response = JsonResponse(answer.body, status=answer.status)
    response.wire_answer = True  # type: ignore[attr-defined]
    return response


@dataclass(frozen=True)
class Body:
    """A request body's fields (JSON object or form) and uploaded files."""

    fields: dict[str, Any]
    files: MultiValueDict = field(default_factory=MultiValueDict)


def read_body(
    request: HttpRequest,
    *,
    limit: int,
    json_body: bool = True,
    forms: bool = True,
    strict: bool = True,
    empty_ok: bool = False,
) -> Body:
    """Return the body's fields, from JSON or a form (urlencoded or multipart).

    The size is checked from Content-Length before anything is read, then on a
    JSON body, and Django's own limit on form data ("request_too_large"); a
    form's files are held to the photo limit while they are read
    ("upload_too_large"). A body that cannot be read (a Content-Length that is
    not a number, a broken multipart form, too many fields, a body shorter than
    announced) is "bad_request".

    Parameters
    ----------
    limit : int
        The largest body in bytes.
    json_body, forms : bool
        Which bodies the API reads: a JSON object, a form.
    strict : bool
        Refuse any other content type ("bad_content_type"); if False, read it
        as a body without fields.
    empty_ok : bool
        Answer an empty body (Content-Length 0) with no fields, whatever its type.
    """
    try:
        length = content_length(request.META.get("CONTENT_LENGTH"))
    except ValueError as exc:
        raise ApiError(
            "bad_request", field="Content-Length", reason="Content-Length is not a number"
        ) from exc
    if length is not None and length > limit:
        raise ApiError("request_too_large", size=length, limit=limit)
    if empty_ok and not length:
        return Body({})
    content_type = request.content_type or ""
    size = {"size": length} if length is not None else {}
    try:
        if json_body and content_type == "application/json":
            return Body(_json_object(request.body, limit))
        if forms and content_type in FORM_TYPES:
            limit_uploads(request)
            return Body(request.POST.dict(), request.FILES)
    except UploadTooLarge as exc:
        raise ApiError("upload_too_large", limit=exc.limit) from exc
    except RequestDataTooBig as exc:
        raise ApiError(
            "request_too_large", **size, limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        ) from exc
    except TooManyFieldsSent as exc:
        count = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        raise ApiError(
            "bad_request", field="body", reason=f"the body has over {count} fields"
        ) from exc
    except TooManyFilesSent as exc:
        count = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        raise ApiError(
            "bad_request", field="body", reason=f"the body has over {count} files"
        ) from exc
    except MultiPartParserError as exc:
        why = str(exc)[:80]  # Django's words, which quote the boundary
        raise ApiError(
            "bad_request", field="body", reason=f"the multipart form cannot be parsed ({why})"
        ) from exc
    except UnreadablePostError as exc:
        raise ApiError(
            "bad_request", field="body", reason="the body ended before its Content-Length"
        ) from exc
    if not strict:
        return Body({})
    raise ApiError("bad_content_type", content_type=content_type or "no content type")


#: How deep a JSON body's arrays and objects may nest (the APIs' bodies are flat objects).
MAX_JSON_DEPTH = 32


def _json_object(body: bytes, limit: int) -> dict[str, Any]:
    if len(body) > limit:
        raise ApiError("request_too_large", size=len(body), limit=limit)
    too_deep = f"the body nests more than {MAX_JSON_DEPTH} levels deep"
    try:
        fields = json.loads(body)
    except RecursionError as exc:
        raise ApiError("invalid_json", reason=too_deep) from exc
    except ValueError as exc:  # UnicodeDecodeError included
        raise ApiError("invalid_json", reason="the body is not valid JSON") from exc
    if not isinstance(fields, dict):
        raise ApiError("invalid_json", reason="the body is not a JSON object")
    if _too_deep(fields, MAX_JSON_DEPTH):
        raise ApiError("invalid_json", reason=too_deep)
    return fields


def _too_deep(value: object, limit: int) -> bool:
    """Return whether `value`'s lists and dicts nest more than `limit` levels (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def image_failure(exc: vision.ImageError, **params: Any) -> ApiError:
    """Return the failure for an image the engine refuses: its code, params and own words."""
    return ApiError(exc.code, detail=str(exc), **exc.params, **params)


def probe(upload: bytes, *, field: str = "image", **limits: int) -> vision.ImageInfo:
    """Return the image's header facts under `limits` (the site's by default), or raise.

    The failure names the request `field` the image came from.
    """
    try:
        return vision.probe_image(upload, **(limits or photo_limits()))
    except vision.ImageError as exc:
        raise image_failure(exc, field=field) from exc


def fetch(url: str, *, max_bytes: int | None = None) -> bytes:
    """Fetch an image URL with the site's limits, or raise "url_fetch_failed".

    The failure carries FetchError's ``kind`` and ``reason`` (and ``size`` and
    ``limit`` when the image is too large), for each wire to answer its way.
    """
    try:
        return fetch_image(
            url,
            max_bytes=max_bytes or max_upload_bytes(),
            timeout=settings.URL_FETCH_TIMEOUT,
            allow_private=settings.URL_FETCH_ALLOW_PRIVATE,
            concurrency=settings.URL_FETCH_CONCURRENCY,
        )
    except FetchError as exc:
        raise ApiError("url_fetch_failed", kind=exc.kind, reason=exc.reason, **exc.params) from exc


def job_result(job: Job, **params: Any) -> dict[str, Any]:
    """Return a done job's result; raise a failed job's failure, or "busy" if it is not done.

    A failed job's failure is its error_code, with its stored message as
    ``message``; both carry ``job_id`` and `params`.
    """
    if job.status == Job.Status.DONE:
        return job.result
    if job.status == Job.Status.FAILED:
        raise ApiError(job.error_code, message=job.error_message, job_id=str(job.id), **params)
    raise ApiError("busy", job_id=str(job.id), **params)
