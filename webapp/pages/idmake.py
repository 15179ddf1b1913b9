"""The ID-photo maker's pages: upload, choose the document, and the print sheet's downloads.

The result page is the shared one (``photos/result.html`` with the maker's
part, ``photos/results/id_make.html``); the photo is the job's result image,
the sheet its second, offered as a JPEG and as a PDF of the paper's size.
"""

from __future__ import annotations

import io

import numpy as np
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST
from PIL import Image

from webapp.photos.models import Job
from webapp.vision.idmake import Sheet, sheet_pdf
from webapp.vision.idphoto import SPECS

from .forms import IdMakeForm, colour_label
from .lists import recent_results, spec_title
from .views import (
    _get_job_for_owner,
    _get_shared_job,
    _owner_key,
    _private_file,
    refuse_upload,
    start_job,
)


@require_GET
def maker(request: HttpRequest) -> HttpResponse:
    return _page(request, IdMakeForm())


def _page(request: HttpRequest, form: IdMakeForm, status: int = 200) -> HttpResponse:
    mine = Job.objects.owned_by(_owner_key(request)).filter(kind=Job.Kind.ID_MAKE)
    recent = recent_results(mine.select_related("photo"), limit=10)
    documents = [
        {
            "spec": spec,
            "label": spec_title(spec),
            # Typing finds a document by either name or its key, whatever the page's language.
            "search": f"{spec.title} {spec.title_en} {spec.name}",
            "backgrounds": ",".join(c.name for c in spec.backgrounds),
            "colours": ", ".join(colour_label(c.name) for c in spec.backgrounds),
        }
        for spec in SPECS.values()
    ]
    context = {"form": form, "documents": documents, "recent": recent}
    return render(request, "photos/idmake.html", context, status=status)


@require_POST
def make_photo(request: HttpRequest) -> HttpResponse:
    form = IdMakeForm(request.POST, request.FILES)
    if status := refuse_upload(request, form):
        return _page(request, form, status=status)
    return start_job(request, form, kind=Job.Kind.ID_MAKE)


@require_GET
def sheet_file(
    request: HttpRequest, job_id: str | None = None, share_key: str | None = None
) -> HttpResponse:
    """The print sheet as its JPEG."""
    job = _job(request, job_id, share_key)
    return _private_file(job.second_image, "image/jpeg")


@require_GET
def sheet_pdf_file(
    request: HttpRequest, job_id: str | None = None, share_key: str | None = None
) -> HttpResponse:
    """The print sheet as a PDF page of exactly the paper's size, to print at 100 %."""
    job = _job(request, job_id, share_key)
    info = (job.result.get("data") or {}).get("sheet") or {}
    try:
        with job.second_image.open("rb") as f:
            image = np.array(Image.open(io.BytesIO(f.read())).convert("RGB"))
    except FileNotFoundError as exc:
        raise Http404("File gone") from exc
    sheet = Sheet(
        image=image,
        copies=info["copies"],
        rows=info["rows"],
        columns=info["columns"],
        rotated=info["rotated"],
        dpi=info["dpi"],
        paper_mm=tuple(info["paper_mm"]),
    )
    response = HttpResponse(sheet_pdf(sheet), content_type="application/pdf")
    name = f"likeness-{job.share_key[:8]}-{info['paper']}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Robots-Tag"] = "noindex"
    return response


def _job(request: HttpRequest, job_id: str | None, share_key: str | None) -> Job:
    job = _get_job_for_owner(request, job_id) if job_id else _get_shared_job(share_key)
    if job.kind != Job.Kind.ID_MAKE or not job.second_image or not job.result:
        raise Http404("No print sheet")
    return job
