from __future__ import annotations

from datetime import timedelta

import django_rq
import pytest
from django.utils import timezone

from webapp.photos import jobs
from webapp.photos.models import Job

pytestmark = pytest.mark.django_db(transaction=True)


def make_job(content: bytes, **fields) -> Job:
    fields.setdefault("kind", Job.Kind.FACE_SHAPE)
    fields.setdefault("params", {"mode": 0})
    fields.setdefault("source", Job.Source.WEB)
    return jobs.create_job(upload=content, suffix=".png", **fields)


def test_it_runs_a_job_once_even_if_enqueued_twice(face_photo, run_worker):
    job = make_job(face_photo)
    jobs.enqueue_job(job)  # a duplicate delivery
    assert django_rq.get_queue("default").count == 2
    run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert job.attempts == 1


def test_claim_is_conditional(face_photo):
    job = make_job(face_photo)
    assert Job.claim(str(job.id)) is not None
    assert Job.claim(str(job.id)) is None


def test_a_worker_survives_a_job_that_breaks(face_photo, run_worker):
    broken = make_job(face_photo)
    broken.photo.file.storage.delete(broken.photo.file.name)  # the file vanished
    healthy = make_job(face_photo)
    run_worker()
    broken.refresh_from_db()
    healthy.refresh_from_db()
    assert broken.status == Job.Status.FAILED
    assert broken.error_code == "internal"
    assert (
        broken.error_message
        == "The photo could not be processed because of an internal error; try again."
    )
    assert healthy.status == Job.Status.DONE


def test_a_job_whose_worker_died_is_retried_then_failed(face_photo, run_worker, settings):
    job = make_job(face_photo)
    django_rq.get_queue("default").empty()  # the worker took it...
    Job.claim(str(job.id))  # ...claimed it, then died.
    long_ago = timezone.now() - timedelta(seconds=settings.JOB_STALE_AFTER + 1)
    Job.objects.filter(pk=job.pk).update(started_at=long_ago)

    assert jobs.recover_stale_jobs() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    assert django_rq.get_queue("default").count == 1

    # The second attempt dies too: the job is failed, not left running.
    django_rq.get_queue("default").empty()
    Job.claim(str(job.id))
    Job.objects.filter(pk=job.pk).update(started_at=long_ago)
    assert jobs.recover_stale_jobs() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error_code == "worker_lost"


def test_a_job_no_worker_picked_up_is_failed(face_photo, settings):
    job = make_job(face_photo)
    Job.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - timedelta(seconds=settings.JOB_QUEUE_TIMEOUT + 1)
    )
    assert jobs.recover_stale_jobs() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error_code == "queue_timeout"


def test_the_worker_maintenance_purges_expired_results(face_photo, run_worker):
    job = make_job(face_photo)
    run_worker()
    job.refresh_from_db()
    paths = [job.photo.file.path, job.overlay.path]
    Job.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert jobs.purge_expired() == 1
    assert not Job.objects.exists()
    import os

    assert not any(os.path.exists(p) for p in paths)


def test_retention_comes_from_the_site_settings(face_photo):
    from webapp.core.models import SiteSettings

    settings_row = SiteSettings.load()
    settings_row.retention_hours = 2
    settings_row.save()
    job = make_job(face_photo)
    assert abs((job.expires_at - job.created_at) - timedelta(hours=2)) < timedelta(seconds=1)
