"""A remote service that fails is a failed job, never a result; nothing the API was sent is kept.

The remote here is a live stand-in server on loopback that answers what a
cloud service answers when it refuses our credentials or is down.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from webapp.photos import jobs
from webapp.photos.models import Job, Photo
from webapp.wire.signature import sign

from ..conftest import DATA

pytestmark = pytest.mark.django_db(transaction=True)


class StandIn:
    """A remote service on loopback that answers every POST with `body` and `status`."""

    def __init__(self) -> None:
        self.body: object = {}
        self.status = 200
        self.requests: list[str] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (the standard library's name)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stand_in.requests.append(self.path)
                data = json.dumps(stand_in.body).encode()
                self.send_response(stand_in.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def answer(self, body: object, status: int = 200) -> None:
        self.body, self.status = body, status


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    server = StandIn()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def face_photo() -> bytes:
    return (DATA / "faces" / "astronaut.png").read_bytes()


def web_job(kind: str, photo: bytes, **params: object) -> Job:
    """A page's job, run right here (the worker is not needed to call a remote)."""
    job = jobs.create_job(
        upload=photo, suffix=".png", kind=kind, params=params, source=Job.Source.WEB
    )
    jobs.run_job(str(job.id))
    job.refresh_from_db()
    return job


# --- Face shape --------------------------------------------------------------------


def test_a_refused_credential_at_the_remote_fails_the_job(stand_in, backends, face_photo):
    stand_in.answer({"code": -20003, "message": "auth failed", "data": {}}, 401)
    backends.remote("face_shape", stand_in.url, {"appid": "1", "secret_id": "a", "secret_key": "b"})
    job = web_job("face_shape", face_photo, mode=0)
    assert stand_in.requests == ["/face/shape"]
    assert job.status == Job.Status.FAILED
    assert job.error_code == "remote_failed"
    assert "code -20003: auth failed" in job.error_message


def test_no_face_at_the_remote_is_an_outcome_not_a_failure(stand_in, backends, face_photo):
    stand_in.answer({"code": 1000, "message": "no face", "data": {"session_id": "theirs"}})
    backends.remote("face_shape", stand_in.url, {"appid": "1", "secret_id": "a", "secret_key": "b"})
    job = web_job("face_shape", face_photo, mode=0)
    assert job.status == Job.Status.DONE
    assert job.result["code"] == 1000
    assert job.result["data"]["session_id"] == str(job.id)


def test_an_api_caller_gets_our_own_busy_code_not_the_remotes_auth_code(
    stand_in, backends, credential, face_photo, with_worker
):
    stand_in.answer({"code": -20003, "message": "auth failed", "data": {}}, 401)
    backends.remote("face_shape", stand_in.url, {"appid": "1", "secret_id": "a", "secret_key": "b"})
    auth = sign(credential["appid"], credential["secret_id"], credential["secret_key"])
    response = with_worker(
        lambda: Client().post(
            "/face/shape",
            {"appid": credential["appid"], "mode": "1", "image": _upload(face_photo)},
            headers={"authorization": auth},
        )
    )
    body = response.json()
    assert (response.status_code, body["code"]) == (503, -20005)
    assert "auth failed" in body["message"]
    job = Job.objects.get()
    assert job.status == Job.Status.FAILED
    assert not job.photo.file, "a failed API upload is deleted too"
    assert stored_photos() == []


# --- Dense landmarks ---------------------------------------------------------------


def test_a_dense_remote_error_is_a_failed_job_not_no_face(stand_in, backends, face_photo):
    stand_in.answer({"error_message": "AUTHENTICATION_ERROR"}, 401)
    backends.remote("dense", stand_in.url, {"appid": "", "secret_id": "a", "secret_key": "b"})
    job = web_job("dense", face_photo)
    assert job.status == Job.Status.FAILED
    assert job.error_code == "remote_failed"
    assert "AUTHENTICATION_ERROR" in job.error_message


def test_a_dense_remote_without_a_face_is_no_face(stand_in, backends, face_photo):
    stand_in.answer({"request_id": "1", "time_used": 3, "face": {}})
    backends.remote("dense", stand_in.url, {"appid": "", "secret_id": "a", "secret_key": "b"})
    job = web_job("dense", face_photo)
    assert job.status == Job.Status.DONE
    assert job.result["face"] == {}


# --- ID-photo check ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "msg"),
    [(500, "服务商维护，请稍候再试"), (400, "参数错误: bad key"), (201, "照片处理失败")],
)
def test_an_id_check_remote_that_fails_fails_the_job(stand_in, backends, face_photo, code, msg):
    stand_in.answer({"code": code, "msg": msg, "taskNo": "1", "data": None})
    backends.remote("id_check", stand_in.url, {"secret_id": "a", "secret_key": "b"})
    job = web_job("id_check", face_photo, spec=None)
    assert job.status == Job.Status.FAILED
    assert job.error_code == "remote_failed"
    assert f"code {code}: {msg}" in job.error_message


def test_an_id_check_remote_finding_no_face_is_an_outcome(stand_in, backends, face_photo):
    stand_in.answer({"code": 205, "msg": "图片中找不到人脸", "taskNo": "1", "data": None})
    backends.remote("id_check", stand_in.url, {"secret_id": "a", "secret_key": "b"})
    job = web_job("id_check", face_photo, spec=None)
    assert job.status == Job.Status.DONE
    assert job.result["code"] == 205


# --- Uploads the API was sent ------------------------------------------------------


def test_an_api_upload_whose_job_fails_is_deleted(credential, with_worker):
    """A JPEG whose header is fine but whose data is cut off passes the probe, fails the job."""
    photo = (DATA / "faces" / "obama.jpg").read_bytes()
    broken = photo[: len(photo) // 3]
    auth = sign(credential["appid"], credential["secret_id"], credential["secret_key"])
    response = with_worker(
        lambda: Client().post(
            "/face/shape",
            {"appid": credential["appid"], "mode": "0", "image": _upload(broken, "photo.jpg")},
            headers={"authorization": auth},
        )
    )
    assert response.status_code == 400, response.content
    job = Job.objects.get()
    assert (job.status, job.error_code) == (Job.Status.FAILED, "damaged")
    assert not job.photo.file
    assert stored_photos() == []


def stored_photos() -> list[str]:
    storage = Photo._meta.get_field("file").storage
    return storage.listdir("photos")[1] if storage.exists("photos") else []


def _upload(data: bytes, name: str = "photo.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)
