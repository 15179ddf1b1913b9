"""The database is the source of truth: jobs Redis never got, or whose worker died, recover."""

from __future__ import annotations

from datetime import timedelta

import django_rq
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rq.executions import Execution
from rq.job import Job as RQJob
from rq.registry import StartedJobRegistry

from webapp.core import queue
from webapp.photos import jobs
from webapp.photos.models import Job
from webapp.worker import EngineWorker

pytestmark = pytest.mark.django_db(transaction=True)


def make_job(content: bytes, **fields) -> Job:
    fields.setdefault("kind", Job.Kind.FACE_SHAPE)
    fields.setdefault("params", {"mode": 0})
    fields.setdefault("source", Job.Source.WEB)
    return jobs.create_job(upload=content, suffix=".png", **fields)


def queued_ids(name: str) -> list[str]:
    return django_rq.get_queue(name).get_job_ids()


def test_a_page_upload_without_redis_waits_then_runs_once_redis_is_back(
    client, face_photo, redis_switch, tmp_path, run_worker
):
    redis_switch.gone(tmp_path)
    photo = SimpleUploadedFile("a.png", face_photo)
    response = client.post("/upload", {"photo": photo, "mode": 0, "kind": "face_shape"})
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/r/{job.id}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Your photo is waiting for a worker" in page.content.decode()
    assert client.get(f"/r/{job.id}/status").json()["status"] == "queued"

    redis_switch.back()
    assert queued_ids("default") == []
    assert jobs.requeue_lost_jobs() == 1
    assert jobs.requeue_lost_jobs() == 0  # once only
    run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE


def test_api_jobs_have_their_own_queue_which_workers_take_first(face_photo, run_worker):
    page = make_job(face_photo)
    api = make_job(face_photo, source=Job.Source.API)
    assert queued_ids("default") == [jobs.rq_job_id(page)]
    assert queued_ids("api") == [jobs.rq_job_id(api)]
    assert EngineWorker([queue.queue(name) for name in queue.WORKER_QUEUES]).queue_names() == [
        "api",
        "default",
    ]
    run_worker()
    page.refresh_from_db()
    api.refresh_from_db()
    assert api.started_at < page.started_at


def test_a_job_on_its_way_is_not_enqueued_again(face_photo):
    waiting = make_job(face_photo)
    started = make_job(face_photo)
    rq_queue = queue.queue()
    rq_queue.remove(jobs.rq_job_id(started))  # a worker took it and has not claimed it yet
    with rq_queue.connection.pipeline() as pipe:
        Execution.create(rq_queue.fetch_job(jobs.rq_job_id(started)), ttl=60, pipeline=pipe)
        pipe.execute()
    assert StartedJobRegistry(queue=rq_queue).get_job_ids() == [jobs.rq_job_id(started)]
    assert jobs.requeue_lost_jobs() == 0
    assert queued_ids("default") == [jobs.rq_job_id(waiting)]


def test_a_lost_api_job_whose_caller_left_is_failed_not_run(face_photo, settings):
    job = make_job(face_photo, source=Job.Source.API)
    queue.queue("api").empty()  # Redis lost it
    long_ago = timezone.now() - timedelta(seconds=settings.API_WAIT_SECONDS + 60)
    Job.objects.filter(pk=job.pk).update(created_at=long_ago)
    assert jobs.requeue_lost_jobs() == 0
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error_code == "queue_timeout"
    assert not job.photo.file


def test_a_worker_skips_an_api_job_nobody_waits_for(face_photo, settings, run_worker):
    job = make_job(face_photo, source=Job.Source.API)
    long_ago = timezone.now() - timedelta(seconds=settings.API_WAIT_SECONDS + 60)
    Job.objects.filter(pk=job.pk).update(created_at=long_ago)
    run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error_code == "queue_timeout"
    assert "engine" not in job.timings


def started_by(job: Job, worker: str) -> None:
    """The job as a worker named `worker` leaves it when it dies: claimed, in no queue."""
    rq_queue = queue.queue(jobs.queue_name(job))
    rq_job = rq_queue.fetch_job(jobs.rq_job_id(job))
    rq_queue.remove(rq_job)
    rq_job.worker_name = worker
    rq_job.save()
    Job.claim(str(job.id))


def test_the_job_of_a_worker_whose_heartbeat_stopped_is_requeued(face_photo, run_worker):
    job = make_job(face_photo)
    started_by(job, "worker-that-died")
    assert jobs.recover_jobs_of_dead_workers() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    assert queued_ids("default") == [jobs.rq_job_id(job)]  # the second attempt
    run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert job.attempts == 2


def test_the_job_of_a_live_worker_is_left_alone(face_photo):
    job = make_job(face_photo)
    worker = EngineWorker([queue.queue()], connection=queue.connection())
    started_by(job, worker.name)
    worker.say_alive()
    assert jobs.recover_jobs_of_dead_workers() == 0
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING
    ttl = queue.connection().ttl(jobs.ALIVE_KEY.format(worker.name))
    assert 0 < ttl <= 3 * 5


def test_an_api_job_of_a_dead_worker_whose_caller_left_is_failed(face_photo, settings):
    job = make_job(face_photo, source=Job.Source.API)
    started_by(job, "worker-that-died")
    long_ago = timezone.now() - timedelta(seconds=settings.API_WAIT_SECONDS + 60)
    Job.objects.filter(pk=job.pk).update(created_at=long_ago)
    assert jobs.recover_jobs_of_dead_workers() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error_code == "worker_lost"
    assert queued_ids("api") == []


def test_a_job_redis_forgot_is_left_to_its_age(face_photo):
    job = make_job(face_photo)
    Job.claim(str(job.id))
    queue.connection().delete(RQJob.key_for(jobs.rq_job_id(job)))
    assert jobs.recover_jobs_of_dead_workers() == 0


def test_maintenance_leaves_a_job_just_created_to_its_own_enqueue(face_photo):
    job = make_job(face_photo)
    queue.queue().empty()  # as if its enqueue had not happened yet
    assert jobs.requeue_lost_jobs(older_than=60) == 0
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(seconds=61))
    assert jobs.requeue_lost_jobs(older_than=60) == 1
