from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from webapp.photos.models import Job
from webapp.wire.signature import sign

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


def scrape(client: Client | None = None, **headers: str) -> dict[tuple[str, tuple], float]:
    response = (client or Client()).get("/metrics", headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return samples(response.content.decode())


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def face_shape(credential, photo: bytes):
    return Client().post(
        "/face/shape",
        {
            "appid": credential["appid"],
            "mode": 0,
            "image": SimpleUploadedFile("a.png", photo),
        },
        headers={
            "Authorization": sign(
                credential["appid"], credential["secret_id"], credential["secret_key"]
            )
        },
    )


def test_api_answers_and_jobs_are_counted(credential, face_photo, with_worker):
    before = scrape()
    assert with_worker(lambda: face_shape(credential, face_photo)).json()["code"] == 0
    assert Client().get("/face/shape").status_code == 405
    after = scrape()

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("likeness_api_requests_total", api="/face/shape", code="0", status="200") == 1
    assert moved("likeness_api_requests_total", api="/face/shape", code="-2100", status="405") == 1
    assert (
        moved("likeness_api_request_duration_seconds_count", api="/face/shape", status="200") == 1
    )
    labels = {"service": "face_shape", "outcome": "done", "error_code": ""}
    assert moved("likeness_jobs_total", **labels) == 1
    assert (
        moved("likeness_job_run_duration_seconds_count", service="face_shape", outcome="done") == 1
    )
    assert moved("likeness_job_queue_wait_seconds_count", service="face_shape") == 1
    assert value(after, "likeness_workers_alive") == 1
    assert value(after, "likeness_redis_up") == 1
    assert value(after, "likeness_queue_depth", queue="api") == 0
    assert value(after, "likeness_jobs_unfinished", status="queued") == 0


def test_a_failed_job_is_counted_by_its_error_code(credential, face_photo, with_worker):
    before = scrape()
    # The header is whole (the API takes it), the pixels are cut off: the job fails.
    response = with_worker(lambda: face_shape(credential, face_photo[: len(face_photo) // 2]))
    job = Job.objects.get()
    assert job.status == Job.Status.FAILED
    after = scrape()
    labels = {"service": "face_shape", "outcome": "failed", "error_code": job.error_code}
    assert (
        value(after, "likeness_jobs_total", **labels)
        - value(before, "likeness_jobs_total", **labels)
        == 1
    )
    code = str(response.json()["code"])
    assert (
        value(
            after,
            "likeness_api_requests_total",
            api="/face/shape",
            code=code,
            status=str(response.status_code),
        )
        >= 1
    )


def test_queue_depth_is_read_from_redis_at_scrape_time(face_photo):
    Client().post(
        "/upload",
        {"photo": SimpleUploadedFile("a.png", face_photo), "mode": 0, "kind": "face_shape"},
    )
    found = scrape()
    assert value(found, "likeness_queue_depth", queue="default") == 1
    assert value(found, "likeness_jobs_unfinished", status="queued") == 1
    assert value(found, "likeness_workers_alive") == 0


def test_metrics_without_redis_still_answer(redis_switch, tmp_path):
    redis_switch.gone(tmp_path)
    found = scrape()
    assert value(found, "likeness_redis_up") == 0
    assert ("likeness_queue_depth", (("queue", "api"),)) not in found


def test_only_loopback_or_the_token_may_read_them(settings):
    settings.METRICS_TOKEN = "s3cret-token"
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="::1").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code == 404
    # Through a proxy on this machine, the loopback address says nothing of the client.
    proxied = Client(REMOTE_ADDR="127.0.0.1").get(
        "/metrics", headers={"X-Forwarded-For": "203.0.113.9"}
    )
    assert proxied.status_code == 404
    outside = Client(REMOTE_ADDR="203.0.113.9")
    assert outside.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    good = outside.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert good.status_code == 200
    assert b"likeness_redis_up" in good.content


def test_allowed_networks_and_no_token(settings):
    settings.METRICS_ALLOWED_ADDRESSES = ["10.0.0.0/8"]
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 404
    # Without METRICS_TOKEN, no bearer token opens them.
    response = Client(REMOTE_ADDR="10.1.2.3").get("/metrics", headers={"Authorization": "Bearer "})
    assert response.status_code == 403


def test_processes_add_up_in_multiprocess_mode(tmp_path):
    """As `manage.py serve` runs them: each process writes its values to a shared folder."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "DATA_DIR": str(tmp_path / "data"),
        "REDIS_URL": f"unix://{tmp_path}/no-redis.sock",
        "DJANGO_SETTINGS_MODULE": "webapp.settings",
        "ALLOWED_HOSTS": "testserver",
    }
    record = textwrap.dedent(
        """
        import django; django.setup()
        from webapp.core import metrics
        metrics.record_job("face_shape", "failed", "no_face", 1.5, 0.2)
        """
    )
    for _ in range(2):  # two workers, one after the other
        subprocess.run([sys.executable, "-c", record], env=env, cwd=ROOT, check=True)
    read = textwrap.dedent(
        """
        import django; django.setup()
        from django.test import Client
        print(Client().get("/metrics").content.decode())
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", read], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    found = samples(out)
    labels = {"service": "face_shape", "outcome": "failed", "error_code": "no_face"}
    assert value(found, "likeness_jobs_total", **labels) == 2
    assert value(found, "likeness_redis_up") == 0
