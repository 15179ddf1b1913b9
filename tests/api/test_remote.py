from __future__ import annotations

import json

import django_rq
import pytest
from django.core.management import call_command

from webapp.api.models import ApiClient
from webapp.photos import jobs
from webapp.photos.models import Job
from webapp.services import RemoteError
from webapp.services.faceshape import RemoteFaceShape

pytestmark = pytest.mark.django_db(transaction=True)


def test_remote_client_calls_this_apps_own_endpoint(
    live_server, credential, face_photo, with_worker
):
    remote = RemoteFaceShape(
        live_server.url,
        appid=credential["appid"],
        secret_id=credential["secret_id"],
        secret_key=credential["secret_key"],
    )
    body = with_worker(lambda: remote.face_shape(face_photo, mode=1))
    assert body["code"] == 0
    assert len(body["data"]["face_shape"]) == 1
    assert len(body["data"]["face_shape"][0]["face_profile"]) == 21


def test_a_job_with_the_remote_backend_gets_the_remote_answer(
    live_server, credential, face_photo, with_worker, backends
):
    backends.remote("face_shape", live_server.url, credential)
    job = jobs.create_job(
        upload=face_photo,
        suffix=".png",
        kind=Job.Kind.FACE_SHAPE,
        params={"mode": 0},
        source=Job.Source.WEB,
    )
    assert job.backend == "remote"
    # This test runs the job itself (below); the worker serves only the API's job,
    # which must use the engine rather than call itself.
    django_rq.get_queue("default").empty()
    backends.local("face_shape")
    with_worker(lambda: jobs.run_job(str(job.id)))
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error_message
    assert len(job.faces) == 1
    assert Job.objects.filter(source=Job.Source.API, backend="local").count() == 1


def test_remote_client_reports_an_unreachable_service(face_photo):
    remote = RemoteFaceShape(
        "http://127.0.0.1:9", appid="1", secret_id="a", secret_key="b", timeout=2
    )
    with pytest.raises(RemoteError, match="cannot reach"):
        remote.face_shape(face_photo)


def test_apiclient_command_prints_working_credentials(capsys):
    call_command("apiclient", "create", "mobile app", "--rate-limit", "30")
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == {"appid", "secret_id", "secret_key"}
    client = ApiClient.objects.get(appid=printed["appid"])
    assert client.name == "mobile app"
    assert client.rate_limit_per_minute == 30
    assert client.secret_key == printed["secret_key"]


def test_a_dense_job_with_the_remote_backend(
    live_server, credential, face_photo, with_worker, backends
):
    backends.remote("dense", live_server.url, credential)
    job = jobs.create_job(
        upload=face_photo,
        suffix=".png",
        kind=Job.Kind.DENSE,
        params={},
        source=Job.Source.WEB,
    )
    assert job.backend == "remote"
    django_rq.get_queue("default").empty()
    backends.local("dense")
    with_worker(lambda: jobs.run_job(str(job.id)))
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error_message
    assert len(job.result["face"]["landmark"]) == 7
    assert Job.objects.filter(source=Job.Source.API, kind=Job.Kind.DENSE).count() == 1
