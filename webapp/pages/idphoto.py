"""The ID-photo check page: upload a photo, choose a specification (the result page is shared)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from webapp.photos.models import Job
from webapp.vision.idphoto import SPECS

from .forms import IdPhotoForm
from .lists import recent_results
from .views import _owner_key, refuse_upload, start_job


@require_GET
def idphoto(request: HttpRequest) -> HttpResponse:
    return _page(request, IdPhotoForm())


def _page(request: HttpRequest, form: IdPhotoForm, status: int = 200) -> HttpResponse:
    mine = Job.objects.owned_by(_owner_key(request)).filter(kind=Job.Kind.ID_CHECK)
    recent = recent_results(mine.select_related("photo"), limit=10)
    context = {"form": form, "specs": SPECS.values(), "recent": recent}
    return render(request, "photos/idphoto.html", context, status=status)


@require_POST
def check_photo(request: HttpRequest) -> HttpResponse:
    form = IdPhotoForm(request.POST, request.FILES)
    if status := refuse_upload(request, form):
        return _page(request, form, status=status)
    return start_job(request, form, kind=Job.Kind.ID_CHECK)
