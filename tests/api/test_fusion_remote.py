"""The fusion service's remote backend, against this app's own `POST /fuseapi/face`, live."""

from __future__ import annotations

import base64
import io

import django_rq
import pytest
from PIL import Image

from webapp.photos import jobs
from webapp.photos.models import Job
from webapp.services import RemoteError
from webapp.services.fusion import RemoteFusion

from ..conftest import image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def remote_for(live_server, credential, **kwargs) -> RemoteFusion:
    return RemoteFusion(
        live_server.url,
        appid=credential["appid"],
        secret_id=credential["secret_id"],
        secret_key=credential["secret_key"],
        **kwargs,
    )


def use_remote(backends, live_server, credential) -> None:
    backends.remote("fusion", live_server.url, credential)


def run_remote_job(job: Job, backends, with_worker) -> Job:
    # This test runs the job itself; the worker serves only the API's job, with the engine.
    django_rq.get_queue("default").empty()
    backends.local("fusion")
    with_worker(lambda: jobs.run_job(str(job.id)))
    job.refresh_from_db()
    return job


def test_remote_client_calls_this_apps_own_endpoint(
    live_server, credential, template, obama, with_worker
):
    remote = remote_for(live_server, credential)
    body = with_worker(
        lambda: remote.fuse(obama, project_id="demo", model_id="astronaut", shape=50)
    )
    assert body["ret"] == 0
    image = Image.open(io.BytesIO(base64.b64decode(body["img_url"])))
    assert image.size == (512, 512)
    assert Job.objects.get().params["shape"] == 50


def test_a_job_with_the_remote_backend_keeps_the_remote_image(
    live_server, credential, template, obama, with_worker, backends
):
    use_remote(backends, live_server, credential)
    job = jobs.create_job(
        upload=obama,
        suffix=".jpg",
        kind=Job.Kind.FUSION,
        params=template.job_params(shape=80, features=70),
        source=Job.Source.WEB,
    )
    assert job.backend == "remote"
    job = run_remote_job(job, backends, with_worker)
    assert job.status == Job.Status.DONE, job.error_message
    assert job.result == {"ret": 0, "img_url": ""}
    with job.result_image.open("rb") as f:
        assert Image.open(f).size == (512, 512)
    api_job = Job.objects.get(source=Job.Source.API)
    assert (api_job.params["shape"], api_job.params["features"]) == (80, 70)


def test_no_face_at_the_remote_is_the_same_outcome(
    live_server, credential, template, with_worker, backends
):
    use_remote(backends, live_server, credential)
    job = jobs.create_job(
        upload=image_bytes((300, 300), "grey", "JPEG"),
        suffix=".jpg",
        kind=Job.Kind.FUSION,
        params=template.job_params(shape=100, features=100),
        source=Job.Source.WEB,
    )
    job = run_remote_job(job, backends, with_worker)
    assert job.status == Job.Status.DONE
    assert job.result["ret"] == 1000


def test_a_remote_that_refuses_the_credential_fails_the_job(
    live_server, credential, template, obama, backends
):
    credential = {**credential, "secret_key": "wrong"}
    use_remote(backends, live_server, credential)
    job = jobs.create_job(
        upload=obama,
        suffix=".jpg",
        kind=Job.Kind.FUSION,
        params=template.job_params(shape=100, features=100),
        source=Job.Source.WEB,
    )
    django_rq.get_queue("default").empty()
    jobs.run_job(str(job.id))
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error_code == "remote_failed"
    assert "ret -20003" in job.error_message


def test_remote_client_reports_an_unreachable_service(obama):
    remote = RemoteFusion("http://127.0.0.1:9", appid="1", secret_id="a", secret_key="b", timeout=2)
    with pytest.raises(RemoteError, match="cannot reach"):
        remote.fuse(obama, project_id="p", model_id="m")
