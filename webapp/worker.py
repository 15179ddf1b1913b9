"""The RQ worker that runs every job: non-forking, with the engine kept warm."""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.exceptions import StopRequested

logger = logging.getLogger(__name__)

# Expired results are deleted, and jobs lost by Redis found by their age, this often.
MAINTENANCE_SECONDS = 30
# Maintenance enqueues again a queued job in no queue once it is this old; a worker that
# sees Redis come back does so at once, whatever the job's age.
LOST_AFTER_SECONDS = 60


class EngineWorker(SimpleWorker):
    """Run jobs in this process, never in a forked child.

    MediaPipe graphs break in a process forked after a graph has run, so RQ's
    default fork-per-job worker cannot be used; every service's graphs are
    loaded once, before the first job, and reused by every job.

    A thread of its own says every WORKER_HEARTBEAT_SECONDS that the worker is
    alive (RQ's own heartbeat is stretched to the job's timeout while a job
    runs in this process), and looks for running jobs whose worker went
    silent, and for queued jobs Redis lost while it was down.
    """

    # RQ doubles its wait after each failed reconnection, up to a minute: Redis
    # restarted by `manage.py serve` is back within seconds, so look every 5 s.
    max_connection_wait_time = 5.0

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("maintenance_interval", MAINTENANCE_SECONDS)
        super().__init__(*args, **kwargs)
        self._burst = False
        self._stop_heartbeat = threading.Event()
        self._heartbeat: threading.Thread | None = None

    @property
    def dequeue_timeout(self) -> int:
        # RQ runs maintenance only between jobs or when waiting for one times out,
        # which is after 405 s by default: an idle worker would hardly ever run it.
        return MAINTENANCE_SECONDS

    def check_for_suspension(self, burst: bool) -> None:
        # RQ quits on a Redis error here (only its wait for a job retries): wait for
        # Redis instead, as that wait does, rather than exit and load the engine again.
        while True:
            try:
                return super().check_for_suspension(burst)
            except RedisConnectionError as exc:
                if self._stop_requested:
                    return None
                logger.warning("Worker %s: waiting for Redis (%s)", self.name, exc)
                time.sleep(self.max_connection_wait_time)

    def work(self, burst: bool = False, *args: object, **kwargs: object) -> bool:
        self._burst = burst
        return super().work(burst, *args, **kwargs)

    def bootstrap(self, *args: object, **kwargs: object) -> None:
        super().bootstrap(*args, **kwargs)
        from webapp import services

        self.say_alive()
        if not self._burst:
            # A burst worker (tests) only works the queue empty; a long-lived one watches.
            self._heartbeat = threading.Thread(
                target=self._beat, name=f"heartbeat-{self.name}", daemon=True
            )
            self._heartbeat.start()
        services.warm_up()
        logger.info("Worker %s: engine loaded", self.name)

    def teardown(self) -> None:
        self._stop_heartbeat.set()
        super().teardown()

    def say_alive(self) -> None:
        from webapp.core import queue
        from webapp.photos.jobs import ALIVE_KEY

        ttl = max(1, round(3 * settings.WORKER_HEARTBEAT_SECONDS))
        queue.connection().set(ALIVE_KEY.format(self.name), 1, ex=ttl)

    def _beat(self) -> None:
        from webapp.photos.jobs import recover_jobs_of_dead_workers, requeue_lost_jobs

        # Whatever happened before this worker started (Redis restarted, or lost jobs
        # while no worker ran), look for lost jobs on the first beat.
        redis_was_down = True
        while not self._stop_heartbeat.wait(settings.WORKER_HEARTBEAT_SECONDS):
            try:
                self.say_alive()
                if redis_was_down:
                    # Jobs created while Redis was away were saved but not enqueued.
                    requeue_lost_jobs()
                    redis_was_down = False
                recover_jobs_of_dead_workers()
            except RedisError as exc:
                if not redis_was_down:
                    logger.warning("Worker %s: Redis is unavailable (%s)", self.name, exc)
                redis_was_down = True
            except Exception:  # noqa: BLE001  (the heartbeat must never stop)
                logger.exception("Worker %s: heartbeat failed", self.name)
            finally:
                close_old_connections()

    def run_maintenance_tasks(self) -> None:
        try:
            super().run_maintenance_tasks()
        except RedisError as exc:
            logger.warning("Maintenance: Redis is unavailable (%s)", exc)
            return
        from webapp.api.models import FaceToken
        from webapp.photos.jobs import purge_expired, recover_stale_jobs, requeue_lost_jobs

        try:
            recovered, purged = recover_stale_jobs(), purge_expired()
            requeue_lost_jobs(older_than=LOST_AFTER_SECONDS)
            FaceToken.objects.expired().delete()
        except StopRequested:
            raise  # a stop signal while idle (RQ raises it from the signal handler): stop
        except Exception:  # noqa: BLE001  (maintenance must never stop the worker)
            logger.exception("Maintenance failed")
            return
        if recovered or purged:
            logger.info(
                "Maintenance: %d stale jobs recovered, %d expired results deleted",
                recovered,
                purged,
            )
