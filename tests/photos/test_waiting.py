"""Waiting for a job: whatever Redis does, the caller gets the job back by its deadline."""

from __future__ import annotations

import threading
import time

import pytest

from webapp.core import queue
from webapp.core.embedded import start_embedded_redis
from webapp.photos import jobs
from webapp.photos.models import Job

pytestmark = pytest.mark.django_db(transaction=True)


def api_job(content: bytes) -> Job:
    return jobs.create_job(
        upload=content,
        suffix=".png",
        kind=Job.Kind.FACE_SHAPE,
        params={"mode": 0},
        source=Job.Source.API,
    )


def wait_in_thread(job: Job, timeout: float) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def target() -> None:
        from django.db import connection

        try:
            outcome["job"] = jobs.wait_for_job(Job.objects.get(pk=job.pk), timeout)
        except BaseException as exc:  # noqa: BLE001  (checked by the test)
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    return thread, outcome


def test_the_connection_reads_longer_than_a_wait_blocks(settings):
    settings.REDIS_SOCKET_TIMEOUT = 3.0
    kwargs = queue.connection().connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == 3.0
    assert queue.wait_step() < kwargs["socket_timeout"]


def test_a_job_longer_than_the_read_timeout_is_waited_for(face_photo, run_worker, settings):
    settings.REDIS_SOCKET_TIMEOUT = 0.3  # the wait blocks in Redis several times over
    job = api_job(face_photo)
    thread, outcome = wait_in_thread(job, timeout=60)
    time.sleep(1.5)  # the job takes longer than a read may: no worker yet
    run_worker()
    thread.join(60)
    assert "error" not in outcome
    assert outcome["job"].status == Job.Status.DONE


def test_a_wait_survives_redis_going_away(face_photo, redis_switch, tmp_path):
    redis = start_embedded_redis(tmp_path / "redis.sock", tmp_path / "redis")
    redis_switch.use(f"unix://{tmp_path}/redis.sock")
    job = api_job(face_photo)
    thread, outcome = wait_in_thread(job, timeout=60)
    time.sleep(0.5)  # blocked in Redis...
    redis.stop()  # ...which goes away
    jobs.run_job(str(job.id))  # the job finishes; nobody can tell the waiter through Redis
    thread.join(60)
    assert "error" not in outcome
    assert outcome["job"].status == Job.Status.DONE


def test_a_wait_without_redis_ends_at_its_deadline(face_photo, redis_switch, tmp_path):
    job = api_job(face_photo)
    redis_switch.gone(tmp_path)
    waited = jobs.wait_for_job(job, 0.5)
    assert waited.status == Job.Status.QUEUED
