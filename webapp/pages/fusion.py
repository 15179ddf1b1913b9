"""Face fusion pages: the template gallery, a template's upload form, its images, result links.

The fusion job's result page is the shared one (webapp.pages.views.result).
"""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from webapp.fusion.models import FusionTemplate
from webapp.photos.models import Job

from . import links
from .forms import FusionUploadForm
from .views import refuse_upload, start_job


def _get_template(request: HttpRequest, project_id: str, model_id: str) -> FusionTemplate:
    """Return a template people may use; staff also see inactive ones (the admin's previews)."""
    templates = FusionTemplate.objects.select_related("project")
    if not request.user.is_staff:
        templates = templates.visible()
    template = templates.filter(project__project_id=project_id, model_id=model_id).first()
    if template is None:
        raise Http404("No such template")
    return template


@require_GET
def gallery(request: HttpRequest) -> HttpResponse:
    """The active templates of the active projects, grouped by project."""
    templates = FusionTemplate.objects.visible().order_by(
        "project__name", "project__project_id", "name", "model_id"
    )
    return render(request, "fusion/gallery.html", {"templates": templates})


@require_GET
def template_page(request: HttpRequest, project_id: str, model_id: str) -> HttpResponse:
    template = _get_template(request, project_id, model_id)
    return _template_page(request, FusionUploadForm(template=template))


def _template_page(request: HttpRequest, form: FusionUploadForm, status: int = 200) -> HttpResponse:
    return render(
        request, "fusion/template.html", {"template": form.template, "form": form}, status=status
    )


@require_POST
def fuse_photo(request: HttpRequest, project_id: str, model_id: str) -> HttpResponse:
    template = _get_template(request, project_id, model_id)
    form = FusionUploadForm(request.POST, request.FILES, template=template)
    if status := refuse_upload(request, form):
        return _template_page(request, form, status=status)
    return start_job(request, form, kind=Job.Kind.FUSION)


@require_GET
def template_image(request: HttpRequest, project_id: str, model_id: str) -> FileResponse:
    return _serve(_get_template(request, project_id, model_id).image, max_age=3600)


@require_GET
def template_thumbnail(request: HttpRequest, project_id: str, model_id: str) -> FileResponse:
    return _serve(_get_template(request, project_id, model_id).thumbnail, max_age=3600)


@require_GET
def result_link(request: HttpRequest, token: str) -> FileResponse:
    """The result image an API answer links to, until the link expires; then the friendly 404."""
    found = links.job_for_token(token)
    if found is None:
        raise Http404("No such result, or the link expired")
    job, remaining = found
    return _serve(job.result_image, max_age=min(remaining, 3600))


def _serve(field: FieldFile, *, max_age: int) -> FileResponse:
    if not field:
        raise Http404("No image")
    try:
        handle = field.open("rb")
    except FileNotFoundError as exc:
        raise Http404("File gone") from exc
    content_type = "image/png" if field.name.endswith(".png") else "image/jpeg"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = f"private, max-age={max_age}"
    response["X-Robots-Tag"] = "noindex"
    return response
