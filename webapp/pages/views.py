"""Pages: upload a photo, watch its job, see and share the result."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.contrib import messages
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from webapp.core.forms import format_suffix
from webapp.core.limits import address_key
from webapp.core.messages import job_failure, photo_error
from webapp.core.middleware import upload_refused_page
from webapp.core.storage import DISK_FULL
from webapp.photos.jobs import create_job, new_owner_key, recover, wait_for_job
from webapp.photos.models import Job
from webapp.services import SERVICES
from webapp.wire.faceshape import ibug68_pts

from .forms import TOO_MANY_WAITING, UploadForm
from .lists import recent_results
from .previews import PREVIEW_SIDE, THUMBNAIL_SIDE, best_picture, small_jpeg

logger = logging.getLogger(__name__)

OWNER_SESSION_KEY = "owner_key"


def _owner_key(request: HttpRequest, *, create: bool = False) -> str:
    key = request.session.get(OWNER_SESSION_KEY, "")
    if not key and create:
        key = request.session[OWNER_SESSION_KEY] = new_owner_key()
    return key


def _get_job_for_owner(request: HttpRequest, job_id: str, *, staff: bool = False) -> Job:
    """Return the visitor's job; 404 for anyone else's, so it never reveals that it exists.

    With `staff`, staff see any job (the admin's "View on site"), read-only.
    """
    jobs = Job.objects.select_related("photo")
    if not (staff and request.user.is_staff):
        jobs = jobs.owned_by(_owner_key(request))
    job = jobs.filter(pk=job_id).first()
    if job is None:
        raise Http404("No such result")
    recover(job)
    return job


def _get_shared_job(share_key: str) -> Job:
    """Return a shared job; a link the owner stopped, or to a failure, is a friendly 404."""
    job = Job.objects.select_related("photo").filter(share_key=share_key, sharing=True).first()
    if job is None or not job.shareable:
        raise Http404("No such shared result")
    return job


def index(request: HttpRequest) -> HttpResponse:
    form = UploadForm()
    return _index(request, form)


def _index(request: HttpRequest, form: UploadForm, status: int = 200) -> HttpResponse:
    recent = recent_results(Job.objects.owned_by(_owner_key(request)).select_related("photo"))
    return render(request, "photos/index.html", {"form": form, "recent": recent}, status=status)


@require_POST
def upload_photo(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES)
    if status := refuse_upload(request, form):
        return _index(request, form, status=status)
    return start_job(request, form, kind=form.cleaned_data["kind"])


def refuse_upload(request: HttpRequest, form: Form) -> int:
    """Return 0 if the form's photo may be uploaded, else the status of the form showing why.

    A visitor (session) may have PAGE_JOBS_PER_SESSION photos waiting (queued
    or running), and one address PAGE_JOBS_PER_ADDRESS.
    """
    if not form.is_valid():
        return 400
    waiting = Job.objects.filter(
        source=Job.Source.WEB, status__in=(Job.Status.QUEUED, Job.Status.RUNNING)
    )
    limits = (
        ("session", {"owner_key": _owner_key(request)}, settings.PAGE_JOBS_PER_SESSION),
        ("address", {"address_key": address_key(request)}, settings.PAGE_JOBS_PER_ADDRESS),
    )
    for name, whose, limit in limits:
        if all(whose.values()) and waiting.filter(**whose).count() >= limit:
            form.add_error(None, str(TOO_MANY_WAITING[name]).format(limit=limit))
            return 429
    return 0


def start_job(request: HttpRequest, form: Form, *, kind: str) -> HttpResponse:
    """Store a valid form's photo as the visitor's job, and show its result page."""
    upload = form.cleaned_data["photo"]
    try:
        job = create_job(
            upload=upload.content,
            suffix=format_suffix(upload.image_info.format),
            kind=kind,
            params=form.job_params(),
            source=Job.Source.WEB,
            owner_key=_owner_key(request, create=True),
            address_key=address_key(request),
        )
    except OSError as exc:
        if exc.errno not in DISK_FULL:
            raise
        logger.error("No room left to store an upload: %s", exc)
        return upload_refused_page(request, 503, photo_error("storage_full"))
    if request.headers.get("X-Upload") == "widget":
        # The upload widget (static/js/upload.js) goes to the result page itself: a redirect
        # would have its request fetch the page once more, for nothing.
        return JsonResponse({"location": job.get_absolute_url()}, status=201)
    return redirect(job)


@require_GET
def result(request: HttpRequest, job_id: str) -> HttpResponse:
    """The result page; a job about to finish is waited for, so that it shows at once.

    Most jobs take well under RESULT_PAGE_WAIT_SECONDS: the page right after the
    upload is then the result itself, with no "working" page in between. A longer
    job shows the working page, whose script waits for the end (job_status).
    """
    job = _get_job_for_owner(request, job_id, staff=True)
    if not job.is_finished:
        job = wait_for_job(job, RESULT_PAGE_WAIT_SECONDS)
    owner = job.owner_key == _owner_key(request) != ""
    share_url = request.build_absolute_uri(job.get_share_url()) if job.sharing else ""
    return _render_result(
        request, job, owner=owner, share_url=share_url, base=reverse("photos:result", args=[job.id])
    )


@require_GET
def shared(request: HttpRequest, share_key: str) -> HttpResponse:
    job = _get_shared_job(share_key)
    base = reverse("photos:shared", args=[job.share_key])
    return _render_result(request, job, owner=False, base=base, stranger=True)


def _render_result(
    request: HttpRequest,
    job: Job,
    *,
    owner: bool,
    base: str,
    share_url: str = "",
    stranger: bool = False,
) -> HttpResponse:
    page = SERVICES[job.kind].page
    context = {
        "job": job,
        "owner": owner,
        "stranger": stranger,
        "share_url": share_url,
        "base": base,
        "preview_url": request.build_absolute_uri(base + "preview.jpg") if stranger else "",
        "result_json": json.dumps(job.result, indent=2, ensure_ascii=False) if job.result else "",
        "service_template": page.template,
        "service_has_json": page.has_json,
        "failure": job_failure(job.error_code, job.error_message),
        **(page.context(job) if job.status == Job.Status.DONE else {}),
    }
    return render(request, "photos/result.html", context)


#: The longest the result page waits for its job before it shows the "working" page (seconds).
RESULT_PAGE_WAIT_SECONDS = 2.0
#: The longest a status request with `?wait=1` waits for its job to finish (seconds).
STATUS_WAIT_SECONDS = 20.0


@require_GET
def job_status(request: HttpRequest, job_id: str) -> JsonResponse:
    """The job's status; with `?wait=1`, answered when the job finishes (or after a while).

    The result page asks again and again with `wait`: it learns the moment the
    worker is done, instead of on its next poll.
    """
    job = _get_job_for_owner(request, job_id, staff=True)
    if request.GET.get("wait") and not job.is_finished:
        job = wait_for_job(job, STATUS_WAIT_SECONDS)
    return JsonResponse(job.to_status_dict())


def _job_for_file(request: HttpRequest, job_id: str | None, share_key: str | None) -> Job:
    if job_id:
        return _get_job_for_owner(request, job_id, staff=True)
    return _get_shared_job(share_key)


@require_GET
def photo_file(
    request: HttpRequest, job_id: str | None = None, share_key: str | None = None
) -> FileResponse:
    job = _job_for_file(request, job_id, share_key)
    if not job.photo.cleaned:
        # Until the worker has stripped its metadata, the upload is never served.
        raise Http404("Photo not ready")
    return _private_file(job.photo.file, "image/jpeg")


@require_GET
def overlay_file(
    request: HttpRequest, job_id: str | None = None, share_key: str | None = None
) -> FileResponse:
    job = _job_for_file(request, job_id, share_key)
    if not job.overlay:
        raise Http404("No overlay")
    return _private_file(job.overlay, "image/png", download=f"likeness-{job.share_key[:8]}.png")


@require_GET
def result_image(
    request: HttpRequest, job_id: str | None = None, share_key: str | None = None
) -> FileResponse:
    job = _job_for_file(request, job_id, share_key)
    if not job.result_image:
        raise Http404("No result image")
    content_type = "image/png" if job.result_image.name.endswith(".png") else "image/jpeg"
    return _private_file(job.result_image, content_type)


@require_GET
def thumbnail(request: HttpRequest, job_id: str) -> HttpResponse:
    """A small picture of the owner's result, for the lists of recent photos."""
    return _small_picture(_get_job_for_owner(request, job_id, staff=True), THUMBNAIL_SIDE)


@require_GET
def preview_image(request: HttpRequest, share_key: str) -> HttpResponse:
    """The picture a chat or social site shows for a share link (Open Graph image)."""
    return _small_picture(_get_shared_job(share_key), PREVIEW_SIDE)


def _small_picture(job: Job, side: int) -> HttpResponse:
    picture = best_picture(job)
    if picture is None:
        raise Http404("No picture yet")
    try:
        data = small_jpeg(picture, side)
    except FileNotFoundError as exc:
        raise Http404("File gone") from exc
    response = HttpResponse(data, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def result_json(
    request: HttpRequest, job_id: str | None = None, share_key: str | None = None
) -> JsonResponse:
    job = _job_for_file(request, job_id, share_key)
    if job.result is None:
        raise Http404("No result yet")
    response = JsonResponse(job.result, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="likeness-{job.share_key[:8]}.json"'
    return response


@require_GET
def points_file(
    request: HttpRequest, face: int, job_id: str | None = None, share_key: str | None = None
) -> HttpResponse:
    """One face's 68 points as an iBUG .pts file (a face-shape result's second download)."""
    job = _get_job_for_owner(request, job_id) if job_id else _get_shared_job(share_key)
    faces = ((job.details or {}).get("ibug68") or []) if job.kind == "face_shape" else []
    if not 0 <= face < len(faces):
        raise Http404("No such face")
    response = HttpResponse(ibug68_pts(faces[face]), content_type="text/plain; charset=utf-8")
    name = f"likeness-{job.share_key[:8]}-face{face + 1}.pts"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_POST
def delete_result(request: HttpRequest, job_id: str) -> HttpResponse:
    _get_job_for_owner(request, job_id).delete_with_files()
    messages.success(request, _("The photo and its result are deleted."))
    return redirect("photos:index")


@require_POST
def start_sharing(request: HttpRequest, job_id: str) -> HttpResponse:
    job = _get_job_for_owner(request, job_id)
    if job.start_sharing():
        messages.success(request, _("Sharing is on: anyone with the link below sees this result."))
    else:
        messages.error(request, _("Only a finished result can be shared."))
    return redirect(job)


@require_POST
def stop_sharing(request: HttpRequest, job_id: str) -> HttpResponse:
    job = _get_job_for_owner(request, job_id)
    job.stop_sharing()
    messages.success(request, _("Sharing stopped: the link no longer works."))
    return redirect(job)


@require_POST
def revoke_share(request: HttpRequest, job_id: str) -> HttpResponse:
    job = _get_job_for_owner(request, job_id)
    job.new_share_key()
    messages.success(request, _("New link made: the old one no longer works."))
    return redirect(job)


def _private_file(field: object, content_type: str, download: str = "") -> FileResponse:
    try:
        handle = field.open("rb")
    except FileNotFoundError as exc:
        raise Http404("File gone") from exc
    response = FileResponse(
        handle, content_type=content_type, as_attachment=bool(download), filename=download
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Robots-Tag"] = "noindex"
    return response


def bad_link(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "bad_link.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)
