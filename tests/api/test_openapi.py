"""The OpenAPI description (webapp/api/openapi.json): served, complete, and what the app answers.

The answers are a live app's (``manage.py serve`` on loopback, with a real worker), checked
with Schemathesis against the description: status codes, content types and body schemas.
The last test is the short version of ``make fuzz``.
"""

from __future__ import annotations

import base64
import json
import time
import tomllib
from collections.abc import Iterator
from importlib.resources import files
from typing import Any

import pytest
import requests
from django.test import Client

from webapp.wire import dense as dense_wire
from webapp.wire import faceshape as faceshape_wire
from webapp.wire import fusion as fusion_wire
from webapp.wire import idphoto as idphoto_wire
from webapp.wire.signature import sign

from ..conftest import DATA, image_bytes
from . import fuzz

DESCRIPTION = json.loads(fuzz.DESCRIPTION.read_text())
SHAPE, DENSE, FUSION, IDPHOTO = fuzz.OPERATIONS


def response_schema(path: str, status: int) -> dict[str, Any]:
    response = DESCRIPTION["paths"][path]["post"]["responses"][str(status)]
    return next(iter(response["content"].values()))["schema"]


def enum_of(path: str, status: int, key: str) -> list[int]:
    return response_schema(path, status)["allOf"][1]["properties"][key]["enum"]


# --- the description itself ---------------------------------------------------------------


def test_the_description_loads_as_openapi_31_with_the_four_apis():
    import schemathesis

    assert DESCRIPTION["openapi"].startswith("3.1")
    schema = schemathesis.openapi.from_path(str(fuzz.DESCRIPTION))
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert {f"POST {path}" for path in fuzz.OPERATIONS} <= labels
    schemes = DESCRIPTION["components"]["securitySchemes"]
    assert schemes["TencentSignature"] == {
        **schemes["TencentSignature"],
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
    }
    assert {schemes["ApiKey"]["name"], schemes["ApiSecret"]["name"]} == {
        "X-Api-Key",
        "X-Api-Secret",
    }


def test_every_face_shape_code_is_described_at_its_http_status():
    from webapp.wire.codes import ERRORS

    for name, code in faceshape_wire.CODES.items():
        status = 405 if name == "method_not_allowed" else ERRORS[name].http_status
        if code in (0, 1000):
            assert response_schema(SHAPE, 200)["$ref"].endswith("FaceShapeResult")
        else:
            assert code in enum_of(SHAPE, status, "code"), name


def test_every_fusion_ret_is_described_at_its_http_status():
    for name, error in fusion_wire.ERRORS.items():
        status = fusion_wire.http_status({"ret": error.ret})
        if error.ret in (0, 1000):
            assert status == 200
        else:
            assert error.ret in enum_of(FUSION, status, "ret"), name
    assert -2100 in enum_of(FUSION, 405, "ret")


def test_every_id_photo_code_is_described_at_its_http_status():
    never = {"face_detection_failed", "content"}  # 202 and 208: never answered
    for name, code in idphoto_wire.CODES.items():
        if name == "success" or name in never:
            continue
        status = idphoto_wire.http_status(code.code)
        assert code.code in enum_of(IDPHOTO, status, "code"), name


def test_every_face_plus_plus_error_is_described_at_its_http_status():
    import re

    responses = DESCRIPTION["paths"][DENSE]["post"]["responses"]
    for name, (status, template) in dense_wire.ERRORS.items():
        if name == "API_NOT_FOUND":
            status = 405  # only answered to a method other than POST
        if name in dense_wire.PLAIN_TEXT_ERRORS:
            assert responses[str(status)]["content"]["text/plain"]["schema"]["const"] == template
            continue
        pattern = response_schema(DENSE, status)["allOf"][1]["properties"]["error_message"]
        values = {"key": "api_key", "param": "image_file", "face_token": "t", "reason": "r"}
        assert re.fullmatch(pattern["pattern"], template.format_map(values)), name


def test_the_app_serves_the_description_as_stored():
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert json.loads(response.content) == DESCRIPTION
    assert Client().post("/api/openapi.json").status_code == 405


def test_the_package_carries_the_description():
    assert (files("webapp.api") / "openapi.json").read_bytes() == fuzz.DESCRIPTION.read_bytes()
    pyproject = tomllib.loads((fuzz.ROOT / "pyproject.toml").read_text())
    assert "openapi.json" in pyproject["tool"]["setuptools"]["package-data"]["webapp.api"]


# --- real answers against the description --------------------------------------------------


@pytest.fixture(scope="module")
def app() -> Iterator[fuzz.LiveApp]:
    with fuzz.live_app() as live:
        live.slow = json.loads(live.manage("apiclient", "create", "slow", "--rate-limit", "1"))
        yield live


class Api:
    """Requests to the live app; every answer checked against the description."""

    def __init__(self, app: fuzz.LiveApp) -> None:
        import schemathesis

        self.app = app
        self.schema = schemathesis.openapi.from_path(str(fuzz.DESCRIPTION))
        self.checks = fuzz._checks()[1:]  # the description's checks; 5xx are asserted apart

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, **kwargs)

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = requests.request(method, self.app.url + path, timeout=150, **kwargs)
        self.conforms(path, response)
        return response

    def conforms(self, path: str, response: requests.Response) -> None:
        case = self.schema[path]["POST"].Case()
        case.validate_response(response, checks=self.checks)

    def signed(self, cred: dict[str, str] | None = None, **kwargs: Any) -> dict[str, str]:
        cred = cred or self.app.credential
        key = kwargs.pop("secret_key", cred["secret_key"])
        return {"Authorization": sign(cred["appid"], cred["secret_id"], key, **kwargs)}


@pytest.fixture(scope="module")
def api(app: fuzz.LiveApp) -> Api:
    return Api(app)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


FACE = (DATA / "faces" / "astronaut.png").read_bytes()
NO_FACE = image_bytes((200, 200))
NOT_IMAGE = b"not an image"


def test_face_shape_answers_match_the_description(api: Api):
    cred = api.app.credential
    form = {"appid": cred["appid"], "mode": "1"}

    def shape(files=None, data=None, headers=None, **kwargs):
        return api.post(SHAPE, files=files, data=data, headers=headers, **kwargs)

    ok = shape({"image": FACE}, form, api.signed())
    assert (ok.status_code, ok.json()["code"]) == (200, 0)
    assert len(ok.json()["data"]["face_shape"]) == 1
    none = shape({"image": NO_FACE}, form, api.signed())
    assert (none.status_code, none.json()["code"]) == (200, 1000)
    answers = {
        "no auth": shape({"image": FACE}, form, {}),
        "malformed": shape({"image": FACE}, form, {"Authorization": "not base64!"}),
        "wrong secret": shape({"image": FACE}, form, api.signed(secret_key="wrong")),
        "expired": shape({"image": FACE}, form, api.signed(now=int(time.time()) - 7200)),
        "other appid": shape({"image": FACE}, {**form, "appid": "1"}, api.signed()),
        "rate": [
            shape({"image": NOT_IMAGE}, {"appid": api.app.slow["appid"]}, api.signed(api.app.slow))
            for _ in range(2)
        ][1],
        "content type": shape(data="x", headers={**api.signed(), "Content-Type": "text/plain"}),
        "json": shape(data="{", headers={**api.signed(), "Content-Type": "application/json"}),
        "no image": shape(None, form, api.signed()),
        "mode": shape({"image": FACE}, {**form, "mode": "2"}, api.signed()),
        "not image": shape({"image": NOT_IMAGE}, form, api.signed()),
        "url": shape(None, {**form, "url": "ftp://example.com/a.jpg"}, api.signed()),
        "private url": shape(None, {**form, "url": "http://127.0.0.1:9/a.jpg"}, api.signed()),
        "oversize": shape({"image": b"\0" * (10 * 2**20 + 128 * 1024)}, form, api.signed()),
        "method": api.call("GET", SHAPE),
    }
    codes = {name: (r.status_code, r.json()["code"]) for name, r in answers.items()}
    assert codes == {
        "no auth": (401, -20001),
        "malformed": (401, -20002),
        "wrong secret": (401, -20003),
        "expired": (401, -7),
        "other appid": (403, -1),
        "rate": (429, -2011),
        "content type": (400, -2100),
        "json": (400, -1009),
        "no image": (400, -6),
        "mode": (400, -1000),
        "not image": (400, -1001),
        "url": (400, -1000),
        "private url": (400, -1005),
        "oversize": (413, -3),
        "method": (405, -2100),
    }
    assert answers["method"].headers["Allow"] == "POST"


def test_face_plus_plus_answers_match_the_description(api: Api):
    cred = api.app.credential
    keys = {"api_key": cred["secret_id"], "api_secret": cred["secret_key"]}
    form = {**keys, "return_landmark": "all"}

    ok = api.post(DENSE, data=form, files={"image_file": FACE})
    assert ok.status_code == 200 and ok.json()["face"]["landmark"]
    token = ok.json()["face"]["face_token"]
    again = api.post(DENSE, data={**form, "face_token": token, "return_landmark": "mouth"})
    assert list(again.json()["face"]["landmark"]) == ["mouth"]
    none = api.post(DENSE, data={**form, "image_base64": b64(NO_FACE)})
    assert (none.status_code, none.json()["face"]) == (200, {})
    slow = api.app.slow
    slow_form = {"api_key": slow["secret_id"], "api_secret": slow["secret_key"]}
    answers = {
        "no key": api.post(DENSE, data={"return_landmark": "all"}),
        "wrong secret": api.post(DENSE, data={**form, "api_secret": "wrong"}),
        "rate": [api.post(DENSE, data={**slow_form, "return_landmark": "all"}) for _ in range(2)][
            1
        ],
        "no parts": api.post(DENSE, data=keys),
        "bad part": api.post(DENSE, data={**form, "return_landmark": "ears"}),
        "no image": api.post(DENSE, data=form),
        "token": api.post(DENSE, data={**form, "face_token": "nope"}),
        "not image": api.post(DENSE, data=form, files={"image_file": NOT_IMAGE}),
        "small": api.post(DENSE, data={**form, "image_base64": b64(image_bytes((64, 64)))}),
        "url": api.post(DENSE, data={**form, "image_url": "http://127.0.0.1:9/a.jpg"}),
        "method": api.call("GET", DENSE),
    }
    messages = {name: (r.status_code, r.json()["error_message"]) for name, r in answers.items()}
    assert messages == {
        "no key": (400, "MISSING_ARGUMENTS: api_key"),
        "wrong secret": (401, "AUTHENTICATION_ERROR"),
        "rate": (403, "CONCURRENCY_LIMIT_EXCEEDED"),
        "no parts": (400, "MISSING_ARGUMENTS: return_landmark"),
        "bad part": (400, "BAD_ARGUMENTS: return_landmark"),
        "no image": (400, "MISSING_ARGUMENTS: image_url, image_file, image_base64 or face_token"),
        "token": (400, "INVALID_FACE_TOKEN: nope"),
        "not image": (400, "IMAGE_ERROR_UNSUPPORTED_FORMAT: image_file"),
        "small": (400, "INVALID_IMAGE_SIZE: image_base64"),
        "url": (400, "INVALID_IMAGE_URL"),
        "method": (405, "API_NOT_FOUND"),
    }
    big = api.post(DENSE, data=form, files={"image_file": b"\0" * (3 * 2**20)})
    assert (big.status_code, big.headers["Content-Type"], big.text) == (
        413,
        "text/plain",
        "Request Entity Too Large",
    )


def test_fusion_answers_match_the_description(api: Api):
    cred = api.app.credential
    body = {
        "appid": cred["appid"],
        "uin": "10001",
        "project_id": fuzz.PROJECT_ID,
        "model_id": fuzz.MODEL_ID,
        "img_data": b64((DATA / "faces" / "obama.jpg").read_bytes()),
        "rsp_img_type": "url",
    }

    def fuse(fields=None, headers=None, **kwargs):
        headers = api.signed() if headers is None else headers
        return api.post(FUSION, json=fields, headers=headers, **kwargs)

    link = fuse(body)
    assert (link.status_code, link.json()["ret"]) == (200, 0)
    assert link.json()["img_url"].startswith(api.app.url)
    inline = fuse({**body, "rsp_img_type": "base64", "fuse_face_degree": 50})
    assert base64.b64decode(inline.json()["img_url"])[:2] == b"\xff\xd8"
    none = fuse({**body, "img_data": b64(NO_FACE)})
    assert (none.status_code, none.json()["ret"]) == (200, 1000)
    slow = api.app.slow
    slow_body = {**body, "appid": slow["appid"], "img_data": b64(NOT_IMAGE)}
    answers = {
        "no auth": fuse(body, {}),
        "malformed": fuse(body, {"Authorization": "YWJj"}),
        "wrong secret": fuse(body, api.signed(secret_key="wrong")),
        "expired": fuse(body, api.signed(now=int(time.time()) - 7200)),
        "other appid": fuse({**body, "appid": "1"}),
        "rate": [fuse(slow_body, api.signed(slow)) for _ in range(2)][1],
        "content type": fuse(headers=api.signed(), data=json.dumps(body)),
        "json": fuse(headers={**api.signed(), "Content-Type": "application/json"}, data="[1]"),
        "missing": fuse({k: v for k, v in body.items() if k != "model_id"}),
        "type": fuse({**body, "rsp_img_type": "png"}),
        "project": fuse({**body, "project_id": "nope"}),
        "degree": fuse({**body, "fuse_profile_degree": 101}),
        "data url": fuse({**body, "img_data": "data:image/png;base64," + body["img_data"]}),
        "not image": fuse({**body, "img_data": b64(NOT_IMAGE)}),
        "oversize": fuse({**body, "img_data": "A" * (6 * 2**20)}),
        "method": api.call("GET", FUSION),
    }
    rets = {name: (r.status_code, r.json()["ret"]) for name, r in answers.items()}
    assert rets == {
        "no auth": (401, -20001),
        "malformed": (401, -20002),
        "wrong secret": (401, -20003),
        "expired": (401, -7),
        "other appid": (403, -1),
        "rate": (429, -2011),
        "content type": (400, -2100),
        "json": (400, -1009),
        "missing": (400, -6),
        "type": (400, -1000),
        "project": (400, -1000),
        "degree": (400, -1000),
        "data url": (400, -1000),
        "not image": (400, -1001),
        "oversize": (413, -3),
        "method": (405, -2100),
    }


def test_id_photo_answers_match_the_description(api: Api):
    cred = api.app.credential
    keys = {"X-Api-Key": cred["secret_id"], "X-Api-Secret": cred["secret_key"]}
    photo = b64((DATA / "idphoto" / "hv1-base.jpg").read_bytes())

    ok = api.post(IDPHOTO, json={"base64": photo, "spec": "cn_id_card"}, headers=keys)
    assert (ok.status_code, ok.json()["code"]) == (200, 200)
    assert ok.headers["Content-Type"] == "application/json; charset=utf-8"
    form = api.post(IDPHOTO, data={"base64": photo}, headers=api.signed())
    assert (form.status_code, form.json()["data"]["pass"]) == (200, True)
    slow = api.app.slow
    slow_keys = {"X-Api-Key": slow["secret_id"], "X-Api-Secret": slow["secret_key"]}
    other = {**cred, "appid": api.app.slow["appid"]}
    answers = {
        "no auth": api.post(IDPHOTO, json={"base64": photo}),
        "wrong secret": api.post(IDPHOTO, json={}, headers={**keys, "X-Api-Secret": "x"}),
        "bad signature": api.post(IDPHOTO, json={}, headers=api.signed(secret_key="x")),
        "other appid": api.post(IDPHOTO, json={}, headers=api.signed(other)),
        "rate": [api.post(IDPHOTO, json={}, headers=slow_keys) for _ in range(2)][1],
        "no photo": api.post(IDPHOTO, json={}, headers=keys),
        "base64": api.post(IDPHOTO, json={"base64": "@@@"}, headers=keys),
        "spec": api.post(IDPHOTO, json={"base64": photo, "spec": "mars"}, headers=keys),
        "body": api.post(IDPHOTO, data="[1]", headers={**keys, "Content-Type": "text/csv"}),
        "url": api.post(IDPHOTO, json={"url": "http://127.0.0.1:9/a.jpg"}, headers=keys),
        "no face": api.post(IDPHOTO, json={"base64": b64(NO_FACE)}, headers=keys),
        "not image": api.post(IDPHOTO, json={"base64": b64(NOT_IMAGE)}, headers=keys),
        "oversize": api.post(IDPHOTO, data={"base64": "A" * (11 * 2**20)}, headers=keys),
        "method": api.call("GET", IDPHOTO),
    }
    codes = {name: (r.status_code, r.json()["code"]) for name, r in answers.items()}
    assert codes == {
        "no auth": (401, 400),
        "wrong secret": (401, 400),
        "bad signature": (401, 400),
        "other appid": (403, 400),
        "rate": (429, 400),
        "no photo": (400, 400),
        "base64": (400, 400),
        "spec": (400, 207),
        "body": (400, 400),
        "url": (404, 203),
        "no face": (422, 205),
        "not image": (422, 209),
        "oversize": (413, 400),
        "method": (405, 400),
    }


def test_an_answer_off_the_description_is_caught(api: Api):
    from schemathesis.core.failures import FailureGroup

    answer = api.call("GET", SHAPE)
    assert answer.status_code == 405
    body = answer.json()
    for status, content, content_type in [
        (405, {**body, "code": str(body["code"])}, "application/json"),  # a string code
        (405, {**body, "code": 0}, "application/json"),  # a code of another status
        (418, body, "application/json"),  # an undescribed status
        (405, body, "text/html"),  # another content type
    ]:
        answer.status_code = status
        answer._content = json.dumps(content).encode()
        answer.raw.headers["Content-Type"] = content_type  # what Schemathesis reads
        with pytest.raises(FailureGroup):
            api.conforms(SHAPE, answer)


# --- broken requests: each found by the fuzzer once, answered 5xx instead of a client error ---


def broken_requests():
    """Each broken request's smallest form to each API it reaches: (path, auth, type, body)."""
    many = "&".join(f"f{i}={i}" for i in range(1001))
    nested = "[" * 10_000 + "]" * 10_000
    form, json_type = "application/x-www-form-urlencoded", "application/json"
    cases = {
        "MultiPartParserError": [
            (SHAPE, "none", "multipart/form-data", "x"),
            (DENSE, "none", "multipart/form-data", "x"),
            (IDPHOTO, "keys", "multipart/form-data", "x"),
            (SHAPE, "none", "multipart/form-data; boundary=b", "x" * 10_000),
        ],
        "TooManyFieldsSent": [
            (SHAPE, "none", form, many),
            (DENSE, "none", form, many),
            (IDPHOTO, "keys", form, many),
        ],
        "RecursionError": [
            (SHAPE, "none", json_type, nested),
            (FUSION, "none", json_type, nested),
            (IDPHOTO, "keys", json_type, nested),
        ],
        "ValueError: invalid literal for int()": [
            (SHAPE, "odd signature", json_type, '{"appid": "%(appid)s"}'),
            (FUSION, "odd signature", json_type, '{"appid": "%(appid)s"}'),
            (IDPHOTO, "odd signature", json_type, "{}"),
        ],
        "ValueError: Port": [
            (SHAPE, "signed", form, "appid=%(appid)s&url=http://127.0.0.1:99999/a.jpg"),
            (SHAPE, "signed", form, "appid=%(appid)s&url=http://127.0.0.1:port/a.jpg"),
            (DENSE, "none", form, "%(keys)s&return_landmark=all&image_url=http://127.0.0.1:99999/"),
            (IDPHOTO, "keys", json_type, '{"url": "http://127.0.0.1:99999/a.jpg"}'),
        ],
        "ValueError: Invalid IPv6 URL": [
            (SHAPE, "signed", form, "appid=%(appid)s&url=http://[::1"),
            (DENSE, "none", form, "%(keys)s&return_landmark=all&image_url=http://[::1"),
            (IDPHOTO, "keys", json_type, '{"url": "http://[::1"}'),
        ],
    }
    for cause, requests_ in cases.items():
        for path, auth, content_type, body in requests_:
            yield pytest.param(path, auth, content_type, body, id=f"{cause}-{path}")


@pytest.mark.parametrize(("path", "auth", "content_type", "body"), list(broken_requests()))
def test_a_broken_request_is_a_client_error(api: Api, path, auth, content_type, body):
    cred = api.app.credential
    headers = {
        "none": {},
        "keys": {"X-Api-Key": cred["secret_id"], "X-Api-Secret": cred["secret_key"]},
        "signed": api.signed(),
        "odd signature": {"Authorization": fuzz.signature(cred, "odd_signature", 0)},
    }[auth]
    keys = f"api_key={cred['secret_id']}&api_secret={cred['secret_key']}"
    data = (body % {"appid": cred["appid"], "keys": keys}).encode()
    response = api.post(path, data=data, headers={**headers, "Content-Type": content_type})
    assert response.status_code < 500, response.text


# --- the short fuzz run --------------------------------------------------------------------


def test_a_short_fuzz_run_finds_no_server_error_and_no_answer_off_the_description(app):
    report = fuzz.fuzz(app, examples=30, derandomize=True)
    assert all(t.requests >= 30 for t in report.tallies.values()), report.table()
    assert report.ok, report.table() + "\n\n" + report.details()


def test_a_short_fuzz_run_of_the_maker_and_hivisions_endpoints(app):
    report = fuzz.fuzz(app, examples=12, derandomize=True, endpoints=fuzz.MAKER_OPERATIONS)
    assert set(report.tallies) == set(fuzz.MAKER_OPERATIONS), report.table()
    assert all(t.requests >= 12 for t in report.tallies.values()), report.table()
    assert report.ok, report.table() + "\n\n" + report.details()
