"""The API routes' last line of defence: what escapes an API view is answered in its format."""

from __future__ import annotations

import json
import logging

import pytest
from django.conf import settings as django_settings
from django.http import HttpRequest
from django.test import Client, RequestFactory

from webapp.api.middleware import ApiLastLineMiddleware, api_renderer
from webapp.wire.fusion import FusionRenderer

pytestmark = pytest.mark.django_db(transaction=True)

HERE = __name__

# Each API, and how its wire answers a request Django refused and an internal error.
APIS = {
    "/face/shape": (
        lambda b: b["code"] == -2100 and b["message"].startswith("The request cannot be read"),
        lambda b: b["code"] == -5,
    ),
    "/fuseapi/face": (
        lambda b: b["ret"] == -2100 and b["msg"].startswith("Bad HTTP header: HTTP 400"),
        lambda b: b == {"ret": -5, "img_url": "", "msg": "Internal error; please try again."},
    ),
    "/facepp/v1/face/thousandlandmark": (
        lambda b: b["error_message"] == "BAD_ARGUMENTS: request",
        lambda b: b["error_message"] == "INTERNAL_ERROR",
    ),
    "/idphoto/check": (
        lambda b: b["code"] == 400 and "HTTP 400 Bad Request" in b["msg"],
        lambda b: b["code"] == 201,
    ),
}


class RaisesBeforeTheView:
    """A middleware that fails on every request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise RuntimeError("a middleware's bug")


class ReadsTheForm:
    """A middleware that reads the form before the view (as CSRF does on pages)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.POST  # noqa: B018
        return self.get_response(request)


def _json(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    return response.json()


def test_the_api_routes_are_found_from_the_urlconf():
    factory = RequestFactory()
    assert api_renderer(factory.post("/fuseapi/face")) is FusionRenderer
    assert api_renderer(factory.post("/upload")) is None
    assert api_renderer(factory.post("/no/such/route")) is None


@pytest.mark.parametrize("path", APIS)
def test_a_bad_host_header_is_a_bad_request_in_the_wire_format(path, caplog):
    with caplog.at_level(logging.WARNING, logger="webapp.api.middleware"):
        response = Client().post(path, {}, headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert APIS[path][0](_json(response)), response.json()
    assert any("Django answered HTTP 400" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("path", APIS)
def test_an_exception_in_another_middleware_is_an_internal_error_in_the_wire_format(path, settings):
    settings.MIDDLEWARE = [*django_settings.MIDDLEWARE, f"{HERE}.RaisesBeforeTheView"]
    response = Client(raise_request_exception=False).post(path, {})
    assert response.status_code >= 500
    assert APIS[path][1](_json(response)), response.json()


@pytest.mark.parametrize("path", APIS)
def test_too_many_fields_read_by_another_middleware_is_a_bad_request(path, settings):
    settings.MIDDLEWARE = [*django_settings.MIDDLEWARE, f"{HERE}.ReadsTheForm"]
    body = "&".join(f"f{i}=1" for i in range(1500))
    response = Client().post(path, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert APIS[path][0](_json(response)), response.json()


def test_an_exception_that_escapes_django_is_an_internal_error(caplog):
    def broken(request: HttpRequest):
        raise RuntimeError("escaped")

    with caplog.at_level(logging.ERROR, logger="webapp.api.middleware"):
        response = ApiLastLineMiddleware(broken)(RequestFactory().post("/face/shape"))
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["code"] == -5
    assert any("escaped" in (r.exc_text or "") for r in caplog.records)
    with pytest.raises(RuntimeError):
        ApiLastLineMiddleware(broken)(RequestFactory().post("/upload"))


def test_pages_keep_their_own_error_pages(settings):
    response = Client().get("/", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    settings.MIDDLEWARE = [*django_settings.MIDDLEWARE, f"{HERE}.RaisesBeforeTheView"]
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    assert b"Something went wrong" in response.content


def test_the_apis_own_answers_pass_unchanged():
    response = Client().get("/face/shape")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert _json(response)["message"] == "Send a POST request, not GET."
