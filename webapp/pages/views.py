"""Pages: upload a photo, watch its job, see and share the result."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from pathlib import PurePath

from django.conf import settings
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from webapp.core.middleware import upload_refused_page
from webapp.core.storage import DISK_FULL
from webapp.photos.jobs import create_job, new_owner_key, recover
from webapp.photos.models import Job
from webapp.services import SERVICES
from webapp.wire.codes import error_message
from webapp.wire.faceshape import ibug68_pts

from .forms import TOO_MANY_WAITING, UploadForm

logger = logging.getLogger(__name__)

OWNER_SESSION_KEY = "owner_key"


def _owner_key(request: HttpRequest, *, create: bool = False) -> str:
    key = request.session.get(OWNER_SESSION_KEY, "")
    if not key and create:
        key = request.session[OWNER_SESSION_KEY] = new_owner_key()
    return key


def _get_job_for_owner(request: HttpRequest, job_id: str) -> Job:
    """Return the visitor's job; 404 for anyone else's, so it never reveals that it exists."""
    job = (
        Job.objects.owned_by(_owner_key(request)).select_related("photo").filter(pk=job_id).first()
    )
    if job is None:
        raise Http404("No such result")
    recover(job)
    return job


def _get_shared_job(share_key: str) -> Job:
    job = Job.objects.select_related("photo").filter(share_key=share_key).first()
    if job is None:
        raise Http404("No such shared result")
    return job


def index(request: HttpRequest) -> HttpResponse:
    form = UploadForm()
    return _index(request, form)


def _index(request: HttpRequest, form: UploadForm, status: int = 200) -> HttpResponse:
    recent = Job.objects.owned_by(_owner_key(request))[:20]
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
        ("address", {"address_key": _address_key(request)}, settings.PAGE_JOBS_PER_ADDRESS),
    )
    for name, whose, limit in limits:
        if all(whose.values()) and waiting.filter(**whose).count() >= limit:
            form.add_error(None, TOO_MANY_WAITING[name].format(limit=limit))
            return 429
    return 0


def _address_key(request: HttpRequest) -> str:
    """A keyed hash of the visitor's address (the address itself is not stored).

    Behind the HTTPS proxy (BEHIND_HTTPS_PROXY), the address is the one the
    proxy adds last to X-Forwarded-For.
    """
    address = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.SECURE_PROXY_SSL_HEADER and forwarded:
        address = forwarded.split(",")[-1].strip()
    key = hashlib.sha256(b"likeness-address:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


def start_job(request: HttpRequest, form: Form, *, kind: str) -> HttpResponse:
    """Store a valid form's photo as the visitor's job, and show its result page."""
    upload = form.cleaned_data["photo"]
    try:
        job = create_job(
            upload=upload.content,
            suffix=PurePath(upload.name).suffix.lower(),
            kind=kind,
            params=form.job_params(),
            source=Job.Source.WEB,
            owner_key=_owner_key(request, create=True),
            address_key=_address_key(request),
        )
    except OSError as exc:
        if exc.errno not in DISK_FULL:
            raise
        logger.error("No room left to store an upload: %s", exc)
        return upload_refused_page(request, 503, error_message("storage_full"))
    return redirect(job)


@require_GET
def result(request: HttpRequest, job_id: str) -> HttpResponse:
    job = _get_job_for_owner(request, job_id)
    share_url = request.build_absolute_uri(job.get_share_url())
    return _render_result(request, job, owner=True, share_url=share_url)


@require_GET
def shared(request: HttpRequest, share_key: str) -> HttpResponse:
    return _render_result(request, _get_shared_job(share_key), owner=False)


def _render_result(
    request: HttpRequest, job: Job, *, owner: bool, share_url: str = ""
) -> HttpResponse:
    base = (
        reverse("photos:result", args=[job.id])
        if owner
        else reverse("photos:shared", args=[job.share_key])
    )
    page = SERVICES[job.kind].page
    context = {
        "job": job,
        "owner": owner,
        "share_url": share_url,
        "base": base,
        "result_json": json.dumps(job.result, indent=2, ensure_ascii=False) if job.result else "",
        "service_template": page.template,
        "service_has_json": page.has_json,
        **(page.context(job) if job.status == Job.Status.DONE else {}),
    }
    return render(request, "photos/result.html", context)


@require_GET
def job_status(request: HttpRequest, job_id: str) -> JsonResponse:
    return JsonResponse(_get_job_for_owner(request, job_id).to_status_dict())


@require_GET
def photo_file(
    request: HttpRequest, job_id: str | None = None, share_key: str | None = None
) -> FileResponse:
    job = _get_job_for_owner(request, job_id) if job_id else _get_shared_job(share_key)
    if not job.photo.cleaned:
        # Until the worker has stripped its metadata, the upload is never served.
        raise Http404("Photo not ready")
    return _private_file(job.photo.file, "image/jpeg")


@require_GET
def overlay_file(
    request: HttpRequest, job_id: str | None = None, share_key: str | None = None
) -> FileResponse:
    job = _get_job_for_owner(request, job_id) if job_id else _get_shared_job(share_key)
    if not job.overlay:
        raise Http404("No overlay")
    return _private_file(job.overlay, "image/png", download=f"likeness-{job.share_key[:8]}.png")


@require_GET
def result_image(
    request: HttpRequest, job_id: str | None = None, share_key: str | None = None
) -> FileResponse:
    job = _get_job_for_owner(request, job_id) if job_id else _get_shared_job(share_key)
    if not job.result_image:
        raise Http404("No result image")
    content_type = "image/png" if job.result_image.name.endswith(".png") else "image/jpeg"
    return _private_file(job.result_image, content_type)


@require_GET
def result_json(
    request: HttpRequest, job_id: str | None = None, share_key: str | None = None
) -> JsonResponse:
    job = _get_job_for_owner(request, job_id) if job_id else _get_shared_job(share_key)
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
    return redirect("photos:index")


@require_POST
def revoke_share(request: HttpRequest, job_id: str) -> HttpResponse:
    job = _get_job_for_owner(request, job_id)
    job.new_share_key()
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
