"""`GET /api/openapi.json`: the OpenAPI 3.1 description of the four APIs, kept in openapi.json.

The file ships inside the package (pyproject's package-data), so an installed
Likeness serves it too; tests/api/test_openapi.py checks the app's answers against it.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

FILE_NAME = "openapi.json"


@cache
def description_bytes() -> bytes:
    """Return the description as it is stored (UTF-8 JSON)."""
    return (files(__package__) / FILE_NAME).read_bytes()


@require_safe
def openapi_description(request: HttpRequest) -> HttpResponse:
    return HttpResponse(description_bytes(), content_type="application/json; charset=utf-8")
