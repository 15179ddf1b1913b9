"""The RQ worker that runs every job: non-forking, with the engine kept warm."""

from __future__ import annotations

import logging

from rq import SimpleWorker

logger = logging.getLogger(__name__)

# Jobs whose worker died are found by the age of their claim, so look often.
MAINTENANCE_SECONDS = 30


class EngineWorker(SimpleWorker):
    """Run jobs in this process, never in a forked child.

    MediaPipe graphs break in a process forked after a graph has run, so RQ's
    default fork-per-job worker cannot be used; every service's graphs are
    loaded once, before the first job, and reused by every job.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("maintenance_interval", MAINTENANCE_SECONDS)
        super().__init__(*args, **kwargs)

    def bootstrap(self, *args: object, **kwargs: object) -> None:
        super().bootstrap(*args, **kwargs)
        from webapp import services

        services.warm_up()
        logger.info("Worker %s: engine loaded", self.name)

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        from webapp.api.models import FaceToken
        from webapp.photos.jobs import purge_expired, recover_stale_jobs

        try:
            recovered, purged = recover_stale_jobs(), purge_expired()
            FaceToken.objects.expired().delete()
        except Exception:  # noqa: BLE001  (maintenance must never stop the worker)
            logger.exception("Maintenance failed")
            return
        if recovered or purged:
            logger.info(
                "Maintenance: %d stale jobs recovered, %d expired results deleted",
                recovered,
                purged,
            )
