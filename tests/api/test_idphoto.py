"""`POST /idphoto/check`: the service's body and codes, credentials, base64, url, remote client."""

from __future__ import annotations

import base64
import json
import time

import django_rq
import pytest
from django.test import Client

from webapp.api.models import ApiClient
from webapp.photos import jobs
from webapp.photos.models import Job
from webapp.services import RemoteError
from webapp.services.idphoto import RemoteIdPhoto
from webapp.wire.signature import sign

from ..conftest import DATA, image_bytes

pytestmark = pytest.mark.django_db(transaction=True)

SET = DATA / "idphoto"
URL = "/idphoto/check"


def keys(cred: dict[str, str]) -> dict[str, str]:
    return {"X-Api-Key": cred["secret_id"], "X-Api-Secret": cred["secret_key"]}


def b64(name: str) -> str:
    return base64.b64encode((SET / name).read_bytes()).decode()


def post_json(fields: dict, headers: dict[str, str]):
    return Client().post(URL, json.dumps(fields), content_type="application/json", headers=headers)


def test_it_answers_a_compliant_photo_in_the_services_format(credential, with_worker, settings):
    response = with_worker(lambda: post_json({"base64": b64("hv1-base.jpg")}, keys(credential)))
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["code", "msg", "taskNo", "data"]
    assert (body["code"], body["msg"]) == (200, "成功")
    assert len(body["taskNo"]) == 24 and body["taskNo"].isdigit()
    assert list(body["data"]) == ["pass", "reasons", "detect_result"]
    assert body["data"]["pass"] is True and body["data"]["reasons"] == []
    result = body["data"]["detect_result"]
    assert result["size_pix"] == [600, 800] and result["photo_format"] == "jpg"
    assert result["file_size"] == (SET / "hv1-base.jpg").stat().st_size  # the file as sent
    job = Job.objects.get()
    assert (job.kind, job.source, job.api_client.name) == (
        Job.Kind.ID_CHECK,
        Job.Source.API,
        "partner",
    )
    assert job.result["taskNo"] == body["taskNo"]
    assert "page" not in job.result and job.details["drawing"], "the drawing is stored apart"
    assert not job.photo.file, "the API keeps no copy of the photo"


def test_it_reads_a_form_and_gives_the_reasons_in_chinese(credential, with_worker):
    # '+' not percent-encoded arrives as a space: it is read back as '+'.
    raw = b"base64=" + b64("hv1-small.jpg").encode()
    assert b"+" in raw

    def call():
        return Client().post(
            URL, raw, content_type="application/x-www-form-urlencoded", headers=keys(credential)
        )

    body = with_worker(call).json()
    assert body["code"] == 200
    assert body["data"]["pass"] is False
    assert body["data"]["reasons"] == ["脸部太小"]


def test_it_reads_multipart_and_a_data_uri(credential, with_worker):
    data_uri = "data:image/jpeg;base64," + b64("hv2-left.jpg")
    body = with_worker(
        lambda: Client().post(URL, {"base64": data_uri}, headers=keys(credential))
    ).json()
    assert body["code"] == 200
    assert body["data"]["reasons"] == ["脸部太靠左"]


def test_it_accepts_the_signature_of_the_face_shape_api(credential, with_worker):
    header = sign(credential["appid"], credential["secret_id"], credential["secret_key"])
    body = with_worker(
        lambda: post_json({"base64": b64("hv3-base.jpg")}, {"Authorization": header})
    ).json()
    assert body["code"] == 200 and body["data"]["pass"] is True


@pytest.mark.parametrize(
    ("make_headers", "status", "detail"),
    [
        (lambda c: {}, 401, "send X-Api-Key and X-Api-Secret, or a signed Authorization header"),
        (lambda c: {"X-Api-Key": c["secret_id"], "X-Api-Secret": "wrong"}, 401, "do not match"),
        (lambda c: {"X-Api-Key": c["secret_id"]}, 401, "do not match"),
        (
            lambda c: {"X-Api-Key": "AKIDunknown", "X-Api-Secret": c["secret_key"]},
            401,
            "do not match",
        ),
        (lambda c: {"Authorization": "not base64!"}, 401, "cannot be parsed"),
        (
            lambda c: {"Authorization": sign(c["appid"], c["secret_id"], "wrong")},
            401,
            "does not match",
        ),
        (
            lambda c: {"Authorization": sign("999", c["secret_id"], c["secret_key"])},
            403,
            "Unknown appid",
        ),
        (
            lambda c: {
                "Authorization": sign(
                    c["appid"],
                    c["secret_id"],
                    c["secret_key"],
                    now=int(time.time()) - 7200,
                    expires_in=60,
                )
            },
            401,
            "expired",
        ),
    ],
    ids=[
        "none",
        "wrong-secret",
        "no-secret",
        "unknown-key",
        "not-base64",
        "wrong-signature",
        "wrong-a",
        "expired",
    ],
)
def test_it_refuses_bad_credentials_with_code_400(credential, make_headers, status, detail):
    response = post_json({"base64": b64("hv1-base.jpg")}, make_headers(credential))
    assert response.status_code == status
    body = response.json()
    assert body["code"] == 400 and body["data"] is None
    assert body["msg"].startswith("参数错误: ") and detail in body["msg"]
    assert not Job.objects.exists()


def test_it_limits_the_rate_per_credential(credential):
    ApiClient.objects.update(rate_limit_per_minute=2)
    responses = [post_json({}, keys(credential)) for _ in range(3)]
    assert [r.status_code for r in responses] == [400, 400, 429]
    assert "limit is 2 a minute" in responses[2].json()["msg"]


@pytest.mark.parametrize(
    ("fields", "status", "detail"),
    [
        ({}, 400, "send the photo as 'base64' or 'url'"),
        ({"base64": "", "url": ""}, 400, "send the photo as 'base64' or 'url'"),
        ({"base64": "!!not*base64!!"}, 400, "'base64' is not valid base64"),
        ({"base64": 12}, 400, "'base64' must be a string"),
        ({"url": "ftp://example.com/a.jpg"}, 400, "'url': it must be an http or https URL"),
    ],
    ids=["nothing", "empty", "bad-base64", "not-a-string", "not-http"],
)
def test_it_answers_400_for_bad_parameters(credential, fields, status, detail):
    response = post_json(fields, keys(credential))
    assert response.status_code == status
    assert response.json()["code"] == 400
    assert detail in response.json()["msg"]


def test_it_answers_400_for_a_body_it_cannot_read(credential):
    bad_json = Client().post(
        URL, "{nope", content_type="application/json", headers=keys(credential)
    )
    assert (bad_json.status_code, bad_json.json()["code"]) == (400, 400)
    plain = Client().post(URL, "base64=x", content_type="text/plain", headers=keys(credential))
    assert (plain.status_code, plain.json()["code"]) == (400, 400)
    huge = Client().post(
        URL,
        b"{}",
        content_type="application/json",
        headers=keys(credential),
        CONTENT_LENGTH=str(60 * 2**20),
    )
    assert (huge.status_code, huge.json()["code"]) == (413, 400)


def test_get_is_not_allowed():
    assert Client().get(URL).status_code == 405


def test_it_answers_207_for_an_unknown_spec(credential):
    response = post_json({"base64": b64("hv1-base.jpg"), "spec": "mars_passport"}, keys(credential))
    assert (response.status_code, response.json()["code"]) == (400, 207)
    assert response.json()["msg"].startswith("证件照规格不存在: 'mars_passport'; known: cn_id_card")
    assert not Job.objects.exists()


def test_it_checks_against_a_spec(credential, with_worker):
    def call():
        ok = post_json(
            {"base64": b64("spec-cn_id_card-ok.jpg"), "spec": "cn_id_card"}, keys(credential)
        )
        low_dpi = post_json(
            {"base64": b64("spec-cn_id_card-72dpi.jpg"), "spec": "cn_id_card"}, keys(credential)
        )
        return ok.json(), low_dpi.json()

    ok, low_dpi = with_worker(call)
    assert ok["code"] == 200 and ok["data"]["pass"] is True, ok["data"]["reasons"]
    assert low_dpi["data"]["reasons"] == ["照片分辨率(DPI)不符合要求"]
    assert low_dpi["data"]["detect_result"]["dpi"] == [72, 72]


def test_it_answers_204_for_a_side_over_2500_pixels(credential):
    wide = base64.b64encode(image_bytes((2600, 40))).decode()
    response = post_json({"base64": wide}, keys(credential))
    assert (response.status_code, response.json()["code"]) == (422, 204)
    assert response.json()["msg"] == "图片尺寸过大，最大边长为2500像素: 2600x40"
    assert not Job.objects.exists()


def test_it_answers_205_when_there_is_no_face(credential, with_worker):
    blank = base64.b64encode(image_bytes((300, 400), "white", "JPEG")).decode()
    response = with_worker(lambda: post_json({"base64": blank}, keys(credential)))
    assert response.status_code == 422
    assert response.json() == {
        "code": 205,
        "msg": "图片中找不到人脸",
        "taskNo": response.json()["taskNo"],
        "data": None,
    }


def test_it_answers_209_for_what_is_not_an_image(credential):
    response = post_json(
        {"base64": base64.b64encode(b"just some text, no pixels").decode()}, keys(credential)
    )
    assert (response.status_code, response.json()["code"]) == (422, 209)
    assert "not an image" in response.json()["msg"]


@pytest.fixture
def image_server():
    """A plain HTTP server on loopback serving the ID-photo set."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(SET))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_it_fetches_a_url(credential, with_worker, image_server, settings):
    settings.URL_FETCH_ALLOW_PRIVATE = True
    body = with_worker(
        lambda: post_json({"url": f"{image_server}/hv4-left.jpg"}, keys(credential))
    ).json()
    assert body["code"] == 200
    assert body["data"]["reasons"] == ["脸部太靠左"]


def test_base64_comes_before_url(credential, with_worker, image_server, settings):
    settings.URL_FETCH_ALLOW_PRIVATE = True
    fields = {"base64": b64("hv1-base.jpg"), "url": f"{image_server}/hv4-left.jpg"}
    body = with_worker(lambda: post_json(fields, keys(credential))).json()
    assert body["data"]["pass"] is True


def test_it_answers_203_when_the_url_cannot_be_fetched(credential, image_server, settings):
    settings.URL_FETCH_ALLOW_PRIVATE = True
    for path, reason in [("/missing.jpg", "HTTP 404"), ("/", "text/html")]:
        response = post_json({"url": image_server + path}, keys(credential))
        assert (response.status_code, response.json()["code"]) == (404, 203)
        assert (
            response.json()["msg"].startswith("照片找不到: ") and reason in response.json()["msg"]
        )
    settings.URL_FETCH_ALLOW_PRIVATE = False
    private = post_json({"url": "http://127.0.0.1:9/a.jpg"}, keys(credential))
    assert private.json()["code"] == 203 and "not a public one" in private.json()["msg"]


# --- The remote client, against this app's own endpoint ------------------------------


def test_remote_client_calls_this_apps_own_endpoint(live_server, credential, with_worker):
    remote = RemoteIdPhoto(
        live_server.url, secret_id=credential["secret_id"], secret_key=credential["secret_key"]
    )
    image = (SET / "hv2-large.jpg").read_bytes()
    body = with_worker(lambda: remote.check(image))
    assert body["code"] == 200
    assert body["data"]["reasons"] == ["脸部太大"]
    assert "page" not in body
    assert remote.check(image, spec="nope")["code"] == 207


def test_a_job_with_the_remote_backend_gets_the_remote_answer(
    live_server, credential, with_worker, backends
):
    backends.remote("id_check", live_server.url, credential)
    job = jobs.create_job(
        upload=(SET / "spec-us_passport-png.png").read_bytes(),
        suffix=".png",
        kind=Job.Kind.ID_CHECK,
        params={"spec": "us_passport"},
        source=Job.Source.WEB,
    )
    assert job.backend == "remote"
    # This test runs the job itself; the worker serves only the API's job, with the engine.
    django_rq.get_queue("default").empty()
    backends.local("id_check")
    with_worker(lambda: jobs.run_job(str(job.id)))
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error_message
    assert job.result["code"] == 200
    assert "照片格式不符合要求" in job.result["data"]["reasons"]  # the file went as it was: a PNG
    assert (
        Job.objects.filter(source=Job.Source.API, kind=Job.Kind.ID_CHECK, backend="local").count()
        == 1
    )


def test_remote_client_reports_an_unreachable_service():
    remote = RemoteIdPhoto("http://127.0.0.1:9", secret_id="a", secret_key="b", timeout=2)
    with pytest.raises(RemoteError, match="cannot reach"):
        remote.check(image_bytes())
