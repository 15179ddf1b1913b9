"""`POST /fuseapi/face`: Tencent's face fusion, the caller's face put into a project's template.

Every answer is Tencent's JSON, `{"ret": ..., "img_url": ...}` (and `msg`
when ret is not 0); the HTTP status says the same in HTTP terms
(webapp.wire.fusion.HTTP_STATUS). The README has the whole table.
"""

from __future__ import annotations

import base64

from django.conf import settings
from django.http import HttpRequest

from webapp.fusion.forms import FusionApiForm
from webapp.fusion.models import FusionProject, FusionTemplate
from webapp.pages import links
from webapp.photos.jobs import create_job, wait_for_job
from webapp.photos.models import Job
from webapp.wire import fusion as wire
from webapp.wire.codes import Answer
from webapp.wire.fusion import FusionRenderer

from .auth import authenticate
from .core import FORMAT_SUFFIXES, ApiError, api_view, job_result, probe, read_body
from .models import ApiClient

#: Tencent's limit on a whole request body.
MAX_REQUEST_BYTES = 6 * 2**20


@api_view(FusionRenderer)
def fuse_face(request: HttpRequest, reply: FusionRenderer) -> Answer:
    """The caller's photo fused into a template, as a link or as base64."""
    fields = read_body(request, limit=MAX_REQUEST_BYTES, forms=False).fields
    if not fields.get("appid"):
        raise ApiError("missing_field", field="appid")
    client = authenticate(request, body_appid=str(fields["appid"]))
    form = FusionApiForm(fields)
    if not form.is_valid():
        name, params = form.first_error()
        raise ApiError(name, **params)
    template = _template_for(client, form.cleaned_data["project_id"], form.cleaned_data["model_id"])
    image = form.cleaned_data["img_data"]
    job = create_job(
        upload=image,
        suffix=FORMAT_SUFFIXES[probe(image).format],
        kind=Job.Kind.FUSION,
        params=template.job_params(**form.degrees(template)),
        source=Job.Source.API,
        api_client=client,
    )
    job = wait_for_job(job, settings.API_WAIT_SECONDS, created=True)
    result = job_result(job)
    if wire.ret_value(result) != 0:
        return reply.answer(result)
    if form.cleaned_data["rsp_img_type"] == "base64":
        data = base64.b64encode(job.take_result_image()).decode("ascii")
        return reply.answer(dict(wire.success_body(data)))
    path = links.result_path(job, minutes=template.project.result_link_minutes)
    url = (
        settings.SITE_URL.rstrip("/") + path
        if settings.SITE_URL
        else request.build_absolute_uri(path)
    )
    return reply.answer(dict(wire.success_body(url)))


def _template_for(client: ApiClient, project_id: str, model_id: str) -> FusionTemplate:
    project = FusionProject.objects.filter(project_id=project_id, is_active=True).first()
    if project is None:
        raise ApiError("bad_field", field="project_id", reason="no active project has this id")
    if not project.allows(client):
        raise ApiError("operation_forbidden")
    template = FusionTemplate.objects.visible().filter(project=project, model_id=model_id).first()
    if template is None:
        raise ApiError(
            "bad_field",
            field="model_id",
            reason=f"project {project_id} has no active template with this id",
        )
    if not template.has_faces:
        raise ApiError("template_no_face", model_id=model_id)
    return template
