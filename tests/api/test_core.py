"""The API core: what every API answers the same way, each in its own wire format."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from webapp.wire.codes import ERRORS
from webapp.wire.dense import DenseRenderer
from webapp.wire.faceshape import CODES as FACE_SHAPE_CODES
from webapp.wire.faceshape import FaceShapeRenderer
from webapp.wire.fusion import FusionRenderer
from webapp.wire.idphoto import IdPhotoRenderer

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]

# Each API: its path, and a function its view calls early that a test can make fail.
APIS = {
    "face-shape": ("/face/shape", "webapp.api.faceshape.authenticate"),
    "fusion": ("/fuseapi/face", "webapp.api.fusion.authenticate"),
    "dense": ("/facepp/v1/face/thousandlandmark", "webapp.api.dense.authenticate_key"),
    "idphoto": ("/idphoto/check", "webapp.api.idphoto.authenticate_key"),
}
FIELDS = {
    "face-shape": {"appid": "1"},
    "fusion": {"appid": "1"},
    "dense": {"api_key": "k", "api_secret": "s"},
    "idphoto": {},
}
HEADERS = {"idphoto": {"X-Api-Key": "k", "X-Api-Secret": "s"}}


def _post(api: str) -> object:
    path, _ = APIS[api]
    if api == "fusion":
        return Client().post(path, FIELDS[api], content_type="application/json")
    return Client().post(path, FIELDS[api], headers=HEADERS.get(api, {}))


@pytest.mark.parametrize(
    ("api", "status", "expected"),
    [
        ("face-shape", 503, {"code": -5}),
        ("fusion", 500, {"ret": -5, "img_url": "", "msg": "Internal error; please try again."}),
        ("dense", 500, {"error_message": "INTERNAL_ERROR"}),
        ("idphoto", 503, {"code": 201, "data": None}),
    ],
)
def test_an_unexpected_error_is_logged_and_answered_in_the_wire_format(
    api, status, expected, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(APIS[api][1], broken)
    with caplog.at_level(logging.ERROR, logger="webapp.api.core"):
        response = _post(api)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body.items() >= expected.items(), body
    assert any("a bug" in (r.exc_text or "") for r in caplog.records)


@pytest.mark.parametrize(
    ("api", "expected"),
    [
        ("face-shape", {"code": -2100, "message": "Send a POST request, not GET."}),
        ("fusion", {"ret": -2100, "img_url": "", "msg": "Bad HTTP header: use POST, not GET."}),
        ("dense", {"error_message": "API_NOT_FOUND"}),
        ("idphoto", {"code": 400, "msg": "参数错误: Send a POST request, not GET."}),
    ],
)
def test_a_get_is_a_405_in_the_wire_format(api, expected):
    response = Client().get(APIS[api][0])
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json().items() >= expected.items()


def test_form_data_over_djangos_limit_is_request_too_large(credential, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = Client().post(
        "/face/shape",
        "appid=1&filler=" + "x" * 5000,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert response.json()["code"] == -3


def test_the_wire_formats_do_not_import_django():
    code = (
        "import sys; import webapp.wire.codes, webapp.wire.faceshape, webapp.wire.fusion, "
        "webapp.wire.dense, webapp.wire.idphoto, webapp.wire.signature; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


PARAMS = {
    "reason": "why",
    "field": "image_file",
    "content_type": "text/plain",
    "method": "GET",
    "size": 3 * 2**20,
    "limit": 2 * 2**20,
    "width": 1,
    "height": 1,
    "min_side": 32,
    "format": "GIF",
    "frames": 2,
    "kind": "http",
    "job_id": "00000000-0000-0000-0000-000000000000",
}


@pytest.mark.parametrize("name", sorted(ERRORS))
@pytest.mark.parametrize(
    "renderer", [FaceShapeRenderer, FusionRenderer, DenseRenderer, IdPhotoRenderer]
)
def test_every_renderer_answers_every_name_of_the_vocabulary(renderer, name):
    answer = renderer().error(name, PARAMS)
    assert 200 <= answer.status < 600
    assert isinstance(answer.body, (dict, str)) and answer.body


def test_tencents_face_shape_table_has_a_code_for_every_name():
    assert set(FACE_SHAPE_CODES) == set(ERRORS)
