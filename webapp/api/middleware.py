"""The API routes' last line of defence: nothing they answer is ever an HTML page.

:func:`~webapp.api.core.api_view` answers every failure of its view in the
wire's format. What escapes it is answered here, for the API routes only (the
URLconf's views made by ``api_view``, which carry their ``wire_renderer``): an
exception raised before the view or by other middleware, and every error
response Django made itself (a bad Host header, a body refused by another
middleware, its 500 page...), each logged and answered as the wire's
"bad_request", "method_not_allowed", "request_too_large" or "internal". Pages
keep their own pages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import resolve

from webapp.wire.codes import Renderer

from .core import respond

logger = logging.getLogger(__name__)


def api_renderer(request: HttpRequest) -> type[Renderer] | None:
    """Return the wire renderer of the API route `request` is for, or None for any other route."""
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Exception:  # noqa: BLE001  (no route, or a path the resolver cannot read)
        return None
    return getattr(match.func, "wire_renderer", None)


class ApiLastLineMiddleware:
    """Answer an API route's unexpected exception or Django error page in the wire's format.

    First in ``MIDDLEWARE``, so that it sees what every other middleware does.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        except Exception:
            renderer = api_renderer(request)
            if renderer is None:
                raise
            logger.exception("API %s failed outside its view", request.path)
            return respond(renderer().error("internal", {}))
        if response.status_code < 400 or getattr(response, "wire_answer", False):
            return response
        renderer = api_renderer(request)
        if renderer is None:
            return response
        name, params = _failure(request, response.status_code)
        logger.warning(
            "API %s: Django answered HTTP %s; answered as %s",
            request.path,
            response.status_code,
            name,
        )
        answer = respond(renderer().error(name, params))
        if name == "method_not_allowed":
            answer["Allow"] = "POST"
        return answer


def _failure(request: HttpRequest, status: int) -> tuple[str, dict[str, object]]:
    """Return the failure of the shared vocabulary that answers Django's HTTP `status`."""
    if status == HTTPStatus.METHOD_NOT_ALLOWED:
        return "method_not_allowed", {"method": request.method}
    if status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
        return "request_too_large", {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
    if status < 500:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "refused"
        return "bad_request", {"field": "request", "reason": f"HTTP {status} {phrase}"}
    return "internal", {}
