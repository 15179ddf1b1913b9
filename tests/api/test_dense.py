from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from webapp.api.models import ApiClient, FaceToken
from webapp.photos.models import Job

from ..conftest import image_bytes

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/facepp/v1/face/thousandlandmark"

COUNTS = {
    "face": 145 + 64 + 64,
    "left_eyebrow": 64,
    "right_eyebrow": 64,
    "left_eye": 63 + 2,
    "right_eye": 63 + 2,
    "nose": 63 + 63 + 2 + 60,
    "mouth": 64 + 64,
}


@pytest.fixture
def keys() -> dict[str, str]:
    client = ApiClient(name="facepp client")
    secret = client.set_new_secret_key()
    client.save()
    return {"api_key": client.secret_id, "api_secret": secret}


def post(data: dict, files: dict | None = None):
    payload = dict(data)
    for name, content in (files or {}).items():
        payload[name] = SimpleUploadedFile("photo.png", content)
    return Client().post(URL, payload)


def test_it_answers_every_part_with_its_names(keys, face_photo, with_worker):
    response = with_worker(
        lambda: post({**keys, "return_landmark": "all"}, {"image_file": face_photo})
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"request_id", "time_used", "face"}
    assert isinstance(body["time_used"], int)
    landmark = body["face"]["landmark"]
    assert {part: len(fields) for part, fields in landmark.items()} == COUNTS
    assert set(body["face"]["face_rectangle"]) == {"top", "left", "width", "height"}
    assert "face_hairline_144" in landmark["face"]
    assert isinstance(landmark["left_eye"]["left_eye_pupil_radius"], int)
    assert set(landmark["mouth"]["upper_lip_0"]) == {"x", "y"}
    # Face++'s directions: lips from the left corner to the right, contours from the chin.
    mouth = landmark["mouth"]
    assert mouth["upper_lip_0"]["x"] < mouth["upper_lip_31"]["x"]
    face = landmark["face"]
    assert face["face_contour_right_0"]["y"] > face["face_contour_right_63"]["y"]


def test_it_filters_parts_and_accepts_base64(keys, face_photo, with_worker):
    data = {
        **keys,
        "return_landmark": "left_eye,mouth",
        "image_base64": base64.b64encode(face_photo).decode(),
    }
    body = with_worker(lambda: post(data)).json()
    assert set(body["face"]["landmark"]) == {"left_eye", "mouth"}


def test_a_face_token_answers_again_without_a_photo(keys, face_photo, with_worker):
    first = with_worker(
        lambda: post({**keys, "return_landmark": "all"}, {"image_file": face_photo})
    ).json()
    token = first["face"]["face_token"]
    jobs = Job.objects.count()
    again = post({**keys, "return_landmark": "nose", "face_token": token}).json()
    assert Job.objects.count() == jobs
    assert again["face"]["landmark"] == {"nose": first["face"]["landmark"]["nose"]}

    FaceToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = post({**keys, "return_landmark": "nose", "face_token": token})
    assert expired.status_code == 400
    assert expired.json()["error_message"] == f"INVALID_FACE_TOKEN: {token}"


def test_no_face_is_an_empty_face(keys, with_worker):
    body = with_worker(
        lambda: post({**keys, "return_landmark": "all"}, {"image_file": image_bytes((200, 200))})
    ).json()
    assert body["face"] == {}


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"api_key": None}, 400, "MISSING_ARGUMENTS: api_key"),
        ({"api_secret": None}, 400, "MISSING_ARGUMENTS: api_secret"),
        ({"api_secret": "wrong"}, 401, "AUTHENTICATION_ERROR"),
        ({"return_landmark": None}, 400, "MISSING_ARGUMENTS: return_landmark"),
        ({"return_landmark": "ears"}, 400, "BAD_ARGUMENTS: return_landmark"),
        ({"face_token": "0" * 32}, 400, "INVALID_FACE_TOKEN: " + "0" * 32),
        ({"image_url": "http://127.0.0.1:9/a.jpg"}, 400, "INVALID_IMAGE_URL"),
    ],
    ids=[
        "no-key",
        "no-secret",
        "wrong-secret",
        "no-return",
        "bad-part",
        "bad-token",
        "private-url",
    ],
)
def test_it_answers_face_plus_plus_errors(keys, change, status, message):
    data = {**keys, "return_landmark": "all"} | change
    data = {k: v for k, v in data.items() if v is not None}
    response = post(data)
    assert response.status_code == status
    assert response.json()["error_message"] == message
    assert "request_id" in response.json()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (image_bytes((64, 64)), "INVALID_IMAGE_SIZE: image_file"),
        (image_bytes((200, 200), fmt="WEBP"), "IMAGE_ERROR_UNSUPPORTED_FORMAT: image_file"),
        (b"not an image at all", "IMAGE_ERROR_UNSUPPORTED_FORMAT: image_file"),
    ],
    ids=["too-small", "webp", "not-image"],
)
def test_it_applies_face_plus_plus_image_rules(keys, content, message):
    response = post({**keys, "return_landmark": "all"}, {"image_file": content})
    assert response.status_code == 400
    assert response.json()["error_message"] == message


def test_a_photo_is_required(keys):
    response = post({**keys, "return_landmark": "all"})
    assert response.status_code == 400
    assert response.json()["error_message"].startswith("MISSING_ARGUMENTS: image_url")


def test_a_body_over_the_limit_gets_plain_text_413(keys):
    response = Client().post(URL, {**keys, "return_landmark": "all"}, CONTENT_LENGTH=str(5 * 2**20))
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"Request Entity Too Large"


def test_it_limits_concurrency_per_credential(keys):
    ApiClient.objects.update(rate_limit_per_minute=1)
    post({**keys, "return_landmark": "all"})
    response = post({**keys, "return_landmark": "all"})
    assert response.status_code == 403
    assert response.json()["error_message"] == "CONCURRENCY_LIMIT_EXCEEDED"
