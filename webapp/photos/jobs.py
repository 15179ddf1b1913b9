"""Background jobs: plain functions that take ids, run by the engine worker."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job as RQJob
from rq.registry import StartedJobRegistry

from webapp import vision
from webapp.core import metrics, queue
from webapp.core.limits import photo_limits
from webapp.core.models import SiteSettings
from webapp.services import SERVICES, RemoteError, Request

from .models import Job, Photo

logger = logging.getLogger(__name__)

DONE_KEY = "likeness:job-done:{}"
#: Set by each live worker (webapp.worker), expiring after three missed heartbeats.
ALIVE_KEY = "likeness:worker-alive:{}"
#: How often a wait whose Redis failed looks at the database instead.
POLL_SECONDS = 0.5


def create_job(
    *, upload: bytes, suffix: str, kind: str, params: dict, source: str, **fields: object
) -> Job:
    """Store an uploaded photo and its job; the job is enqueued when the transaction commits."""
    now = timezone.now()
    with transaction.atomic():
        photo = Photo(size_bytes=len(upload), created_at=now)
        photo.file.save(f"upload{suffix}", ContentFile(upload), save=False)
        photo.save()
        job = Job.objects.create(
            photo=photo,
            kind=kind,
            params=params,
            source=source,
            backend=SERVICES[kind].backend,
            created_at=now,
            expires_at=now + SiteSettings.load().retention,
            **fields,
        )
        transaction.on_commit(lambda: enqueue_job(job))
    return job


def enqueue_job(job: Job) -> bool:
    """Put the job on its queue; False if Redis is unavailable.

    The database is the source of truth: a queued job that no queue holds is
    enqueued again once Redis is back (requeue_lost_jobs).
    """
    try:
        queue.queue(queue_name(job)).enqueue_call(
            run_job,
            args=(str(job.id),),
            timeout=settings.JOB_TIMEOUT,
            # Kept as long as failures, so that the dashboard's finished count is true
            # (run_job returns None: each one is a few hundred bytes in Redis).
            result_ttl=24 * 3600,
            failure_ttl=24 * 3600,
            job_id=rq_job_id(job),
        )
    except RedisError as exc:
        logger.warning("Job %s not enqueued, Redis unavailable (%s): enqueued later", job.id, exc)
        return False
    return True


def queue_name(job: Job) -> str:
    return queue.API_QUEUE if job.source == Job.Source.API else queue.PAGES_QUEUE


def rq_job_id(job: Job) -> str:
    """The queue's id of the job's current attempt (claiming a job counts the attempt)."""
    attempt = job.attempts - 1 if job.status == Job.Status.RUNNING else job.attempts
    return f"{job.id}-{attempt}"


def run_job(job_id: str) -> None:
    """Run one job; every way out leaves it done or failed, and tells whoever waits."""
    job = Job.claim(job_id)
    if job is None:
        return
    if job.caller_gone():
        # An API job nobody waits for any more (it waited in the queue too long): not run.
        job.fail("queue_timeout")
        job.photo.discard_file()
        _record(job)
        return
    try:
        _run(job)
    except vision.ImageError as exc:
        job.fail(exc.code, **exc.params)
    except RemoteError as exc:
        logger.warning("Job %s: remote service failed: %s", job_id, exc)
        job.fail("remote_failed", reason=str(exc).rstrip("."))
    except BaseException:
        # Includes RQ's JobTimeoutException; the traceback stays in RQ's failed registry.
        logger.exception("Job %s failed", job_id)
        job.fail("internal")
        raise
    finally:
        if job.source == Job.Source.API:
            # The API answers with the result only: its upload is not kept, whatever happened.
            job.photo.discard_file()
        notify_done(job_id)
        _record(job)


def _record(job: Job) -> None:
    """Count the finished job and its run and queue times (webapp.core.metrics)."""
    if not job.is_finished:
        return
    started, finished = job.started_at, job.finished_at
    metrics.record_job(
        job.kind,
        job.status,
        job.error_code,
        (finished - started).total_seconds() if started and finished else None,
        (started - job.created_at).total_seconds() if started else None,
    )


def _run(job: Job) -> None:
    timer = _Timer(job.timings)
    with timer("decode"):
        # The header is checked here; the pixels are decoded as far as the
        # service needs (a large JPEG reduced, for finding faces): in "engine".
        with job.photo.file.open("rb") as f:
            raw = f.read()
        picture = vision.open_image(raw, **photo_limits())
    service = SERVICES[job.kind]
    request = Request(str(job.id), picture, raw, job.params)
    with timer("engine"):
        outcome = service.run(job.backend, request)
    with timer("store"):
        for field, data in (
            (job.result_image, outcome.image),
            (job.second_image, outcome.second_image),
        ):
            if data is not None:
                suffix = ".png" if data.startswith(b"\x89PNG") else ".jpg"
                field.save(f"result{suffix}", ContentFile(data), save=False)
    if job.source == Job.Source.WEB:
        with timer("clean"):
            _clean_photo(job.photo, picture)
        if service.page.render and service.succeeded(outcome.body):
            with timer("overlay"):
                png = service.page.render(request.image, outcome.body)
                job.overlay.save("overlay.png", ContentFile(png), save=False)
    job.finish(outcome.body, outcome.details)


class _Timer:
    """Record how long each step takes, in milliseconds, into `timings`."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings

    @contextmanager
    def __call__(self, step: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[step] = round((time.perf_counter() - start) * 1000, 2)


def _clean_photo(photo: Photo, picture: vision.Picture) -> None:
    """Replace the upload by a JPEG without metadata (GPS, camera), orientation applied.

    A JPEG keeps its pixels: only its metadata segments are cut out (about
    2 ms for 12 megapixels, no decoding); one a phone stored turned keeps the
    orientation tag alone, so that it is still shown upright. Any other photo
    is encoded again from its pixels, upright, without metadata.
    """
    if not photo.cleaned:
        if picture.info.format == "JPEG":
            jpeg = vision.strip_jpeg_metadata(picture.data, orientation=picture.info.orientation)
        else:
            jpeg = vision.encode_jpeg(picture.pixels())
        original = photo.file.name
        photo.file.save("photo.jpg", ContentFile(jpeg), save=False)
        photo.file.storage.delete(original)
        photo.height, photo.width = picture.shape[:2]
        photo.size_bytes = len(jpeg)
        photo.cleaned = True
        photo.save(update_fields=["file", "width", "height", "size_bytes", "cleaned"])


def notify_done(job_id: str) -> None:
    key = DONE_KEY.format(job_id)
    try:
        with queue.connection().pipeline() as pipe:
            pipe.rpush(key, 1)
            pipe.expire(key, 120)
            pipe.execute()
    except RedisError as exc:
        # Whoever waits looks at the database when Redis fails them.
        logger.warning("Job %s: could not tell waiters it finished (%s)", job_id, exc)


def wait_for_job(job: Job, timeout: float, *, created: bool = False) -> Job:
    """Block until the job is finished or `timeout` seconds pass; return it as it is then.

    ``created``: the caller has just created the job (and nobody else waits for it),
    so the database is first read once the worker says it finished.

    The worker's notice comes through Redis; if Redis fails (it restarts, or
    is gone), the wait looks at the database instead until the deadline.
    """
    deadline = time.monotonic() + timeout
    use_redis = True
    # A job its caller has just created cannot have finished unnoticed: the worker's notice
    # waits in its list until it is read, so the first look at the database waits for it.
    fresh = created
    while True:
        if not fresh:
            job.refresh_from_db()
        fresh = False
        remaining = deadline - time.monotonic()
        if job.is_finished or remaining <= 0:
            return job
        if use_redis:
            try:
                # At least 10 ms: Redis takes a timeout that rounds to 0 ms as "for ever".
                block = max(0.01, min(remaining, queue.wait_step()))
                queue.connection().blpop([DONE_KEY.format(job.id)], timeout=block)
                continue
            except RedisError as exc:
                logger.warning("Waiting for job %s without Redis (%s)", job.id, exc)
                use_redis = False
        time.sleep(max(0.0, min(remaining, POLL_SECONDS)))


def recover_stale_jobs() -> int:
    """Requeue or fail jobs whose worker vanished or that never reached one."""
    now = timezone.now()
    stale = Job.objects.filter(
        status=Job.Status.RUNNING,
        started_at__lt=now - timedelta(seconds=settings.JOB_STALE_AFTER),
    ) | Job.objects.filter(
        status=Job.Status.QUEUED,
        created_at__lt=now - timedelta(seconds=settings.JOB_QUEUE_TIMEOUT),
    )
    return sum(bool(recover(job, now)) for job in stale)


def recover(job: Job, now: datetime | None = None, *, worker_gone: bool = False) -> str:
    """Requeue or fail one job whose worker vanished (see Job.recover_if_stale)."""
    change = job.recover_if_stale(now, worker_gone=worker_gone)
    if change == "requeued":
        transaction.on_commit(lambda: enqueue_job(job))
    elif change == "failed":
        notify_done(str(job.id))
    return change


def recover_jobs_of_dead_workers() -> int:
    """Requeue or fail running jobs whose worker stopped its heartbeat (see webapp.worker).

    The queue's record of the job's attempt names its worker; a worker that
    has not said it is alive for three heartbeats is dead.
    """
    connection = queue.connection()
    count = 0
    for job in Job.objects.filter(status=Job.Status.RUNNING):
        try:
            worker = RQJob.fetch(rq_job_id(job), connection=connection).worker_name
        except NoSuchJobError:
            continue  # Redis lost it: found by its age (recover_stale_jobs)
        if worker and not connection.exists(ALIVE_KEY.format(worker)):
            logger.warning("Job %s: worker %s is dead", job.id, worker)
            count += bool(recover(job, worker_gone=True))
    return count


def requeue_lost_jobs(*, older_than: float = 0) -> int:
    """Enqueue again the queued jobs that no queue holds: their enqueue failed, or Redis lost them.

    Only jobs created more than `older_than` seconds ago, if given (a job just
    created is enqueued when its transaction commits). Harmless if a job is in
    fact on its way (claiming is conditional); an API job whose caller stopped
    waiting is failed instead.
    """
    held: set[str] = set()
    for name in queue.WORKER_QUEUES:
        rq_queue = queue.queue(name)
        held.update(rq_queue.get_job_ids())
        held.update(StartedJobRegistry(queue=rq_queue).get_job_ids(cleanup=False))
    count = 0
    created_before = timezone.now() - timedelta(seconds=older_than)
    for job in Job.objects.filter(status=Job.Status.QUEUED, created_at__lt=created_before):
        if rq_job_id(job) in held:
            continue
        if job.caller_gone():
            if job.fail_if(Job.Status.QUEUED, "queue_timeout"):
                job.photo.discard_file()
            continue
        count += enqueue_job(job)
    if count:
        logger.info("%d queued jobs were in no queue: enqueued again", count)
    return count


def purge_expired() -> int:
    """Delete jobs, photos and result files past their retention time."""
    count = 0
    for job in Job.objects.filter(expires_at__lt=timezone.now()).select_related("photo"):
        job.delete_with_files()
        count += 1
    orphans = Photo.objects.filter(jobs=None, created_at__lt=timezone.now() - timedelta(hours=1))
    for photo in orphans:
        photo.delete_files()
        photo.delete()
    return count


def new_owner_key() -> str:
    return secrets.token_hex(32)
