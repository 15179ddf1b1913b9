from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import time

import pytest
from django.test import Client

from webapp.api.models import ApiClient
from webapp.photos.models import Job
from webapp.wire.signature import sign

from ..conftest import DATA, image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def auth(cred: dict[str, str], **kwargs) -> str:
    return sign(cred["appid"], cred["secret_id"], cred["secret_key"], **kwargs)


def post_image(cred, image: bytes, *, mode=0, headers=None, client=None):
    client = client or Client()
    headers = {"Authorization": auth(cred)} if headers is None else headers
    return client.post(
        "/face/shape",
        {"appid": cred["appid"], "mode": mode, "image": _file(image)},
        headers=headers,
    )


def _file(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("test.jpg", content)


def test_it_answers_in_tencents_format(credential, face_photo, with_worker, settings):
    response = with_worker(lambda: post_image(credential, face_photo))
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 0
    assert body["message"] == "OK"
    assert body["data"]["image_width"] == 512
    assert body["data"]["image_height"] == 512
    job = Job.objects.get()
    assert body["data"]["session_id"] == str(job.id)
    assert job.source == Job.Source.API
    assert not job.photo.file, "the API keeps no copy of the photo"
    assert not any((settings.MEDIA_ROOT / "photos").iterdir())
    (face,) = body["data"]["face_shape"]
    assert list(face) == [
        "face_profile",
        "left_eye",
        "right_eye",
        "left_eyebrow",
        "right_eyebrow",
        "mouth",
        "nose",
    ]
    assert all(
        set(p) == {"x", "y"} and all(isinstance(v, int) for v in p.values())
        for g in face.values()
        for p in g
    )


def test_it_gives_the_same_body_as_the_command_line(credential, face_photo, with_worker, tmp_path):
    body = with_worker(lambda: post_image(credential, face_photo, mode=1)).json()
    path = tmp_path / "face.png"
    path.write_bytes(face_photo)
    out = subprocess.run(
        [sys.executable, "-m", "webapp", "faceshape", str(path), "--mode", "1"],
        capture_output=True,
        text=True,
        check=True,
    )
    cli = json.loads(out.stdout.strip().splitlines()[0])
    assert cli["code"] == body["code"]
    assert cli["data"]["face_shape"] == body["data"]["face_shape"]


@pytest.fixture
def image_server():
    """A plain HTTP server on loopback serving the test photos."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(DATA / "faces"))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_it_accepts_json_with_a_url(credential, with_worker, image_server, settings):
    settings.URL_FETCH_ALLOW_PRIVATE = True
    url = f"{image_server}/astronaut.png"

    def call():
        return Client().post(
            "/face/shape",
            json.dumps({"appid": credential["appid"], "mode": 1, "url": url}),
            content_type="application/json",
            headers={"Authorization": auth(credential)},
        )

    body = with_worker(call).json()
    assert body["code"] == 0, body
    assert len(body["data"]["face_shape"]) == 1


def test_it_says_when_a_url_cannot_be_fetched(credential, image_server, settings):
    settings.URL_FETCH_ALLOW_PRIVATE = True
    for path, reason in [("/missing.png", "HTTP 404"), ("/", "text/html")]:
        body = (
            Client()
            .post(
                "/face/shape",
                json.dumps({"appid": credential["appid"], "url": image_server + path}),
                content_type="application/json",
                headers={"Authorization": auth(credential)},
            )
            .json()
        )
        assert body["code"] == -1005
        assert reason in body["message"]


def test_it_never_fetches_private_addresses_by_default(credential):
    response = Client().post(
        "/face/shape",
        json.dumps({"appid": credential["appid"], "url": "http://127.0.0.1:9/x.jpg"}),
        content_type="application/json",
        headers={"Authorization": auth(credential)},
    )
    assert response.json()["code"] == -1005
    assert "not a public one" in response.json()["message"]
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/a.png",
        "http://[::1]/a.png",
    ):
        body = (
            Client()
            .post(
                "/face/shape",
                json.dumps({"appid": credential["appid"], "url": url}),
                content_type="application/json",
                headers={"Authorization": auth(credential)},
            )
            .json()
        )
        assert body["code"] == -1005, url


def test_it_reports_no_face_with_code_1000(credential, with_worker):
    body = with_worker(lambda: post_image(credential, image_bytes((300, 300), "gray"))).json()
    assert body["code"] == 1000
    assert body["data"]["face_shape"] == []


@pytest.mark.parametrize(
    ("make_header", "code"),
    [
        (lambda c: None, -20001),
        (lambda c: "not base64 at all!", -20002),
        (lambda c: base64.b64encode(b"x" * 20 + b"a=1&k=2").decode(), -20002),
        (lambda c: sign(c["appid"], c["secret_id"], "wrong-secret"), -20003),
        (
            lambda c: sign(
                c["appid"],
                c["secret_id"],
                c["secret_key"],
                now=int(time.time()) - 7200,
                expires_in=60,
            ),
            -7,
        ),
        (lambda c: sign("999", c["secret_id"], c["secret_key"]), -1),
        (lambda c: sign(c["appid"], "AKIDunknown", c["secret_key"]), -1),
    ],
    ids=[
        "missing",
        "not-base64",
        "missing-fields",
        "wrong-signature",
        "expired",
        "wrong-appid",
        "unknown-secret-id",
    ],
)
def test_it_refuses_bad_signatures(credential, face_photo, make_header, code):
    header = make_header(credential)
    headers = {} if header is None else {"Authorization": header}
    response = post_image(credential, face_photo, headers=headers)
    assert response.status_code in (401, 403)
    assert response.json()["code"] == code
    assert not Job.objects.exists()


def test_it_accepts_the_plain_text_keys_in_any_order(credential, face_photo, with_worker):
    now = int(time.time())
    secret_id, appid = credential["secret_id"], credential["appid"]
    plain = f"k={secret_id}&e={now + 60}&a={appid}&r=42&t={now}&u=123".encode()
    digest = hmac.new(credential["secret_key"].encode(), plain, hashlib.sha1).digest()
    header = base64.b64encode(digest + plain).decode()
    response = with_worker(
        lambda: post_image(credential, face_photo, headers={"Authorization": header})
    )
    assert response.json()["code"] == 0


def test_body_appid_must_match_the_signature(credential, face_photo):
    response = Client().post(
        "/face/shape",
        {"appid": "12345", "image": _file(face_photo)},
        headers={"Authorization": auth(credential)},
    )
    assert response.json()["code"] == -1


def test_it_refuses_invalid_json(credential):
    response = Client().post(
        "/face/shape",
        "{not json",
        content_type="application/json",
        headers={"Authorization": auth(credential)},
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": -1009,
        "message": "The request body is not valid JSON.",
        "data": {"session_id": ""},
    }


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        (b"", -1001, "The image is empty."),
        (b"\x00" * 3000, -1001, "The file is not an image."),
        (image_bytes((1, 1)), -1001, "The image is too small (1x1)"),
    ],
    ids=["empty", "not-an-image", "1x1"],
)
def test_it_refuses_bad_images(credential, content, code, message):
    response = post_image(credential, content)
    assert response.json()["code"] == code
    assert message in response.json()["message"]


def test_it_asks_for_an_image(credential):
    response = Client().post(
        "/face/shape",
        {"appid": credential["appid"], "mode": 0},
        headers={"Authorization": auth(credential)},
    )
    assert response.status_code == 400
    assert response.json()["code"] == -6
    assert (
        response.json()["message"] == "Send the photo as 'image' (multipart/form-data) or as 'url'."
    )


def test_it_refuses_a_bad_mode(credential, face_photo):
    response = post_image(credential, face_photo, mode=7)
    assert response.json()["code"] == -1000
    assert "mode" in response.json()["message"]


def test_it_refuses_a_body_over_the_limit(credential):
    response = Client().post(
        "/face/shape",
        b"x" * 100,
        content_type="application/octet-stream",
        headers={"Authorization": auth(credential)},
        CONTENT_LENGTH=str(60 * 2**20),
    )
    assert response.status_code == 413
    assert response.json()["code"] == -3


def test_it_limits_the_rate_per_credential(credential, face_photo):
    ApiClient.objects.update(rate_limit_per_minute=2)
    codes = [post_image(credential, b"junk").json()["code"] for _ in range(3)]
    assert codes == [-1001, -1001, -2011]


def test_it_does_not_use_get():
    assert Client().get("/face/shape").status_code == 405


def test_the_secret_key_is_stored_encrypted(credential):
    stored = ApiClient.objects.get().secret_key_encrypted
    assert credential["secret_key"] not in stored
    assert ApiClient.objects.get().secret_key == credential["secret_key"]
