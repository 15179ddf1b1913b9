"""What /metrics computes when it is scraped: queue depths, live workers, waiting jobs."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from rq import Queue
from rq.registry import StartedJobRegistry

from webapp.core import queue
from webapp.photos.models import Job

from .health import oldest_queued_seconds, probe_connection, workers_alive

logger = logging.getLogger(__name__)


class StateCollector(Collector):
    """Gauges read from Redis and the database at each scrape (one process answers them)."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("likeness_redis_up", "Whether Redis answered this scrape.")
        try:
            redis = probe_connection()
            depth = GaugeMetricFamily(
                "likeness_queue_depth", "Jobs waiting in each queue.", labels=["queue"]
            )
            running = GaugeMetricFamily(
                "likeness_queue_started", "Jobs a worker runs, by queue.", labels=["queue"]
            )
            for name in queue.WORKER_QUEUES:
                rq_queue = Queue(name, connection=redis)
                depth.add_metric([name], rq_queue.count)
                running.add_metric([name], StartedJobRegistry(queue=rq_queue).count)
            alive = GaugeMetricFamily(
                "likeness_workers_alive", "Engine workers whose heartbeat is current."
            )
            alive.add_metric([], workers_alive(redis))
        except Exception as exc:  # noqa: BLE001  (a scrape reports what it can)
            logger.warning("Metrics: Redis is unavailable (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
        else:
            up.add_metric([], 1)
            yield from (up, depth, running, alive)
        try:
            counts = dict(
                Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
                .values_list("status")
                .annotate(n=Count("pk"))
                .order_by()
            )
            oldest = oldest_queued_seconds()
        except Exception as exc:  # noqa: BLE001
            logger.warning("Metrics: the database is unavailable (%s)", type(exc).__name__)
            return
        jobs = GaugeMetricFamily(
            "likeness_jobs_unfinished", "Jobs queued or running (database).", labels=["status"]
        )
        for status in (Job.Status.QUEUED, Job.Status.RUNNING):
            jobs.add_metric([status.value], counts.get(status.value, 0))
        yield jobs
        age = GaugeMetricFamily(
            "likeness_oldest_queued_job_seconds",
            "Age of the oldest job waiting for a worker (0 when none waits).",
        )
        age.add_metric([], oldest or 0.0)
        yield age
