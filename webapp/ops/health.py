"""What /readyz checks: database, Redis, storage, live workers and a queue that moves.

Each check is cheap (one query, one or two Redis commands, one storage lookup),
is timed, and never raises: a failure is reported by the exception's class
name only, which names no host, password or person.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone
from redis import Redis

from webapp.photos.jobs import ALIVE_KEY
from webapp.photos.models import Job

#: Seconds a probe waits for Redis: a hung server fails the probe instead of holding it.
REDIS_PROBE_TIMEOUT = 2.0


@dataclass
class Check:
    status: str = "ok"  # "ok", "fail", or "skipped" (it depends on a check that failed)
    ms: float = 0.0
    facts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "ms": self.ms, **self.facts}


def probe_connection() -> Redis:
    return _probe_connection(settings.RQ_QUEUES["default"]["URL"])


@functools.lru_cache(maxsize=4)
def _probe_connection(url: str) -> Redis:
    return Redis.from_url(
        url, socket_timeout=REDIS_PROBE_TIMEOUT, socket_connect_timeout=REDIS_PROBE_TIMEOUT
    )


def workers_alive(redis: Redis) -> int:
    """How many engine workers said they are alive within their last three heartbeats."""
    pattern = ALIVE_KEY.format("*")
    return sum(1 for _ in redis.scan_iter(match=pattern, count=100))


def oldest_queued_seconds() -> float | None:
    """The age of the oldest job waiting for a worker, or None when none waits."""
    created = (
        Job.objects.filter(status=Job.Status.QUEUED)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if created is None:
        return None
    return max(0.0, (timezone.now() - created).total_seconds())


def _timed(fn: Callable[[Check], None]) -> Check:
    check = Check()
    start = time.perf_counter()
    try:
        fn(check)
    except Exception as exc:  # noqa: BLE001  (a probe reports, never raises)
        check.status = "fail"
        check.facts["error"] = type(exc).__name__
    check.ms = round((time.perf_counter() - start) * 1000, 2)
    return check


def readiness() -> tuple[bool, dict[str, Check]]:
    """Run every check; return whether all passed, and each check by name."""
    checks: dict[str, Check] = {}

    def database(check: Check) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    def redis(check: Check) -> None:
        probe_connection().ping()

    def storage(check: Check) -> None:
        # Through the storage API only: the same lookup works on a folder and on a bucket.
        default_storage.exists("healthcheck")

    checks["database"] = _timed(database)
    checks["redis"] = _timed(redis)
    checks["storage"] = _timed(storage)

    def workers(check: Check) -> None:
        alive = workers_alive(probe_connection())
        check.facts["alive"] = alive
        if alive < 1:
            check.status = "fail"

    if checks["redis"].status == "ok":
        checks["workers"] = _timed(workers)
    else:
        checks["workers"] = Check(status="skipped")

    def queue(check: Check) -> None:
        age = oldest_queued_seconds()
        check.facts["oldest_queued_seconds"] = None if age is None else round(age, 1)
        check.facts["limit_seconds"] = settings.READY_QUEUE_MAX_AGE
        # A queue with no worker is the workers check's failure; with workers, it must move.
        if age is not None and age > settings.READY_QUEUE_MAX_AGE:
            check.status = "fail"

    if checks["database"].status == "ok" and checks["workers"].status == "ok":
        checks["queue"] = _timed(queue)
    else:
        checks["queue"] = Check(status="skipped")
    ready = all(check.status == "ok" for check in checks.values())
    return ready, checks
