"""`POST /fuseapi/face`: Tencent's face fusion, the caller's face put into a project's template.

Every answer is the seed's JSON, `{"ret": ..., "img_url": ...}` (and `msg`
when ret is not 0); the HTTP status says the same in HTTP terms
(:data:`HTTP_STATUS`). The README has the whole table.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from webapp import vision
from webapp.core.limits import photo_limits
from webapp.fusion.forms import FusionApiForm
from webapp.fusion.models import FusionProject, FusionTemplate
from webapp.pages import links
from webapp.photos.jobs import create_job, wait_for_job
from webapp.photos.models import Job
from webapp.wire import fusion as wire

from .auth import authenticate
from .errors import ApiFailure
from .models import ApiClient
from .views import FORMAT_SUFFIXES

#: The seed's limit on a whole request body.
MAX_REQUEST_BYTES = 6 * 2**20

#: The HTTP status of each answer; ret 0 and 1000 (no face) are 200.
HTTP_STATUS = {
    "ok": 200,
    "no_face": 200,
    "auth_missing": 401,
    "auth_malformed": 401,
    "auth_failed": 401,
    "auth_expired": 401,
    "unknown_appid": 403,
    "operation_forbidden": 403,
    "rate_limited": 429,
    "bad_header": 400,
    "invalid_json": 400,
    "missing_field": 400,
    "bad_field": 400,
    "image_error": 400,
    "image_too_large": 413,
    "template_no_face": 422,
    "internal": 500,
    "backend_down": 503,
}

#: A failed job's error code (webapp.wire.codes) to the fusion error it is answered with.
JOB_ERRORS = {
    **wire.IMAGE_ERRORS,
    "remote_failed": "backend_down",
    "queue_timeout": "backend_down",
    "worker_lost": "internal",
    "internal": "internal",
}


class FusionFailure(Exception):
    """Stop handling a request and answer error `name` of webapp.wire.fusion.ERRORS."""

    def __init__(self, name: str, **params: object) -> None:
        super().__init__(name)
        self.name = name
        self.params = params

    def response(self) -> JsonResponse:
        return JsonResponse(
            wire.error_body(self.name, **self.params), status=HTTP_STATUS[self.name]
        )


@csrf_exempt
@require_POST
def fuse_face(request: HttpRequest) -> JsonResponse:
    """`POST /fuseapi/face`: the caller's photo fused into a template, as a link or as base64."""
    try:
        fields = _read_json(request)
        client = _authenticate(request, fields)
        form = FusionApiForm(fields)
        if not form.is_valid():
            name, params = form.first_error()
            raise FusionFailure(name, **params)
        template = _template_for(
            client, form.cleaned_data["project_id"], form.cleaned_data["model_id"]
        )
        image = form.cleaned_data["img_data"]
        job = create_job(
            upload=image,
            suffix=FORMAT_SUFFIXES[_probe(image).format],
            kind=Job.Kind.FUSION,
            params=template.job_params(**form.degrees(template)),
            source=Job.Source.API,
            api_client=client,
        )
        job = wait_for_job(job, settings.API_WAIT_SECONDS)
        return _answer(request, job, form.cleaned_data["rsp_img_type"], template.project)
    except FusionFailure as failure:
        return failure.response()


def _read_json(request: HttpRequest) -> dict[str, Any]:
    """Return the JSON body; the size is checked from the header before anything is read."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    if length.isdigit() and int(length) > MAX_REQUEST_BYTES:
        raise FusionFailure("image_too_large", reason=_too_large(int(length)))
    if request.content_type != "application/json":
        raise FusionFailure("bad_header", reason="Content-Type must be application/json")
    body = request.body
    if len(body) > MAX_REQUEST_BYTES:
        raise FusionFailure("image_too_large", reason=_too_large(len(body)))
    try:
        fields = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FusionFailure("invalid_json") from exc
    if not isinstance(fields, dict):
        raise FusionFailure("invalid_json")
    return fields


def _too_large(size: int) -> str:
    return f"The request is {size / 2**20:.1f} MB; the limit is {MAX_REQUEST_BYTES / 2**20:.0f} MB."


def _authenticate(request: HttpRequest, fields: dict[str, Any]) -> ApiClient:
    if not fields.get("appid"):
        raise FusionFailure("missing_field", field="appid")
    try:
        return authenticate(request, body_appid=str(fields["appid"]))
    except ApiFailure as failure:
        # The signature's errors have the same names, and codes, in both tables.
        raise FusionFailure(failure.name, **failure.params) from failure


def _template_for(client: ApiClient, project_id: str, model_id: str) -> FusionTemplate:
    project = FusionProject.objects.filter(project_id=project_id, is_active=True).first()
    if project is None:
        raise FusionFailure("bad_field", field="project_id", reason="no active project has this id")
    if not project.allows(client):
        raise FusionFailure("operation_forbidden")
    template = FusionTemplate.objects.visible().filter(project=project, model_id=model_id).first()
    if template is None:
        raise FusionFailure(
            "bad_field",
            field="model_id",
            reason=f"project {project_id} has no active template with this id",
        )
    if not template.has_faces:
        raise FusionFailure("template_no_face", model_id=model_id)
    return template


def _probe(image: bytes) -> vision.ImageInfo:
    try:
        return vision.probe_image(
            image,
            **photo_limits(),
        )
    except vision.ImageError as exc:
        raise FusionFailure(wire.IMAGE_ERRORS[exc.code], reason=str(exc)) from exc


def _answer(
    request: HttpRequest, job: Job, rsp_img_type: str, project: FusionProject
) -> JsonResponse:
    if job.status == Job.Status.FAILED:
        raise FusionFailure(JOB_ERRORS.get(job.error_code, "internal"), reason=job.error_message)
    if job.status != Job.Status.DONE:
        raise FusionFailure("backend_down")
    ret = wire.ret_value(job.result)
    if ret != 0:
        error = wire.error_for_ret(ret)
        return JsonResponse(job.result, status=HTTP_STATUS.get(error.name, 500) if error else 500)
    if rsp_img_type == "base64":
        return JsonResponse(
            wire.success_body(base64.b64encode(job.take_result_image()).decode("ascii"))
        )
    path = links.result_path(job, minutes=project.result_link_minutes)
    url = (
        settings.SITE_URL.rstrip("/") + path
        if settings.SITE_URL
        else request.build_absolute_uri(path)
    )
    return JsonResponse(wire.success_body(url))
