"""An API caller always gets its wire format back: the result, or "busy" at its deadline."""

from __future__ import annotations

import base64
import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from webapp.core.embedded import start_embedded_redis
from webapp.photos import jobs
from webapp.photos.models import Job
from webapp.wire.signature import sign

pytestmark = pytest.mark.django_db(transaction=True)


def post_face_shape(cred: dict[str, str], image: bytes):
    return Client().post(
        "/face/shape",
        {"appid": cred["appid"], "mode": 0, "image": SimpleUploadedFile("a.png", image)},
        headers={"Authorization": sign(cred["appid"], cred["secret_id"], cred["secret_key"])},
    )


def test_a_caller_nobody_works_for_is_answered_busy_in_its_format(credential, face_photo, settings):
    settings.API_WAIT_SECONDS = 0.5
    settings.REDIS_SOCKET_TIMEOUT = 0.2  # the wait outlasts several reads
    response = post_face_shape(credential, face_photo)
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == -20005
    assert Job.objects.get().status == Job.Status.QUEUED


def test_a_caller_whose_redis_goes_away_still_gets_its_result(
    credential, face_photo, redis_switch, tmp_path
):
    redis = start_embedded_redis(tmp_path / "redis.sock", tmp_path / "redis")
    redis_switch.use(f"unix://{tmp_path}/redis.sock")
    outcome = {}

    def call() -> None:
        from django.db import connection

        outcome["response"] = post_face_shape(credential, face_photo)
        connection.close()

    thread = threading.Thread(target=call)
    thread.start()
    while not Job.objects.exists():
        time.sleep(0.05)
    redis.stop()  # while the caller waits
    jobs.run_job(str(Job.objects.get().id))
    thread.join(60)
    response = outcome["response"]
    assert response.status_code == 200
    assert response.json()["code"] == 0


@pytest.mark.parametrize("route", ["face_shape", "dense", "idphoto"])
def test_while_redis_is_down_every_api_says_try_again_at_once(
    credential, face_photo, redis_switch, tmp_path, route
):
    """The queue is unreachable: each API answers its own busy code, never HTML, no job waits."""
    redis_switch.gone(tmp_path)
    client = Client()
    if route == "face_shape":
        response = post_face_shape(credential, face_photo)
        assert (response.status_code, response.json()["code"]) == (503, -20005)
    elif route == "dense":
        response = client.post(
            "/facepp/v1/face/thousandlandmark",
            {
                "api_key": credential["secret_id"],
                "api_secret": credential["secret_key"],
                "return_landmark": "all",
                "image_file": SimpleUploadedFile("a.png", face_photo),
            },
        )
        assert response.json()["error_message"] == "INTERNAL_ERROR"
    else:
        response = client.post(
            "/idphoto/check",
            {"base64": base64.b64encode(face_photo).decode()},
            headers={
                "x-api-key": credential["secret_id"],
                "x-api-secret": credential["secret_key"],
            },
        )
        assert response.json()["code"] == 500
    assert response["Content-Type"].startswith("application/json")
    assert not Job.objects.exists()
