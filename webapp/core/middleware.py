"""The site's middleware: page uploads bounded before they are read, and the pages' CSP."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse

from .limits import content_length, max_upload_bytes, max_upload_request_bytes
from .messages import photo_error
from .uploads import UploadTooLarge, limit_uploads

#: The pages' routes that take a photo (URL names); each is its form page's path + a verb.
UPLOAD_ROUTES = frozenset({"photos:upload", "photos:check_photo", "fusion:fuse"})


class UploadLimitMiddleware:
    """Refuse a page upload larger than the photo limit before reading it.

    From Content-Length first; a body without one (or that says less than it
    sends) is bounded while it is read (:class:`~webapp.core.uploads.LimitedUploadHandler`).
    Either way the answer is a page saying the limit, with status 413. The form is
    read here, before CSRF's check reads it: a form that cannot be read is a page too (400).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and _route(request) in UPLOAD_ROUTES:
            refusal = _check_upload(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)


def _route(request: HttpRequest) -> str | None:
    try:
        return resolve(request.path_info, getattr(request, "urlconf", None)).view_name
    except Resolver404:
        return None


def _check_upload(request: HttpRequest) -> HttpResponse | None:
    try:
        length = content_length(request.META.get("CONTENT_LENGTH"))
    except ValueError:
        return upload_refused_page(request, 400, photo_error("length_not_a_number"))
    if length is not None and length > max_upload_request_bytes():
        message = photo_error("too_large_bytes", size=length, limit=max_upload_bytes())
        return upload_refused_page(request, 413, message)
    limit_uploads(request)
    try:
        request.POST  # noqa: B018  (read now, bounded)
    except UploadTooLarge:
        return upload_refused_page(
            request, 413, photo_error("upload_too_large", limit=max_upload_bytes())
        )
    except RequestDataTooBig:  # the form's other fields pass Django's limit
        return upload_refused_page(
            request, 413, photo_error("upload_too_large", limit=max_upload_bytes())
        )
    except (SuspiciousOperation, MultiPartParserError, UnreadablePostError):
        # Too many fields or files, a broken multipart form, a body that ended early.
        return upload_refused_page(request, 400, photo_error("unreadable_form"))
    return None


def upload_refused_page(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """The page that says why an upload was refused, with a way back to its form."""
    back = request.path.rsplit("/", 1)[0] + "/"
    context = {"message": message, "back": back, "status": status}
    return render(request, "upload_refused.html", context, status=status)


class ContentSecurityPolicyMiddleware:
    """Send ``settings.CONTENT_SECURITY_POLICY`` with every page (the admin's excepted).

    The admin is left out: the queue's admin pages use inline scripts.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        is_page = response.get("Content-Type", "").startswith("text/html")
        if is_page and not request.path.startswith(_admin_path()):
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


@cache
def _admin_path() -> str:
    return reverse("admin:index")
