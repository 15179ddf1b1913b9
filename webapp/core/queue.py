"""The Redis connection and job queues, one per process.

django_rq builds a new connection pool on every call, which costs a few
milliseconds each time: a hot path (every API request counts its rate limit,
enqueues and waits) keeps one per Redis URL instead.

API jobs have a queue of their own that workers listen to first: a caller is
waiting for each of them, while a page shows its visitor that the photo waits.
"""

from __future__ import annotations

import functools

import django_rq
from django.conf import settings
from redis import Redis
from rq import Queue

API_QUEUE = "api"
PAGES_QUEUE = "default"
#: The queues a worker listens to, in the order it takes their jobs.
WORKER_QUEUES = (API_QUEUE, PAGES_QUEUE)


def connection() -> Redis:
    return _connection(settings.RQ_QUEUES["default"]["URL"], settings.REDIS_SOCKET_TIMEOUT)


def queue(name: str = PAGES_QUEUE) -> Queue:
    return django_rq.get_queue(name, connection=connection())


def wait_step() -> float:
    """The longest a blocking command (BLPOP) may wait: well within the socket's read timeout."""
    return settings.REDIS_SOCKET_TIMEOUT / 2


@functools.lru_cache(maxsize=4)
def _connection(url: str, timeout: float) -> Redis:
    # redis-py 8 gives every connection socket_timeout=5 s unless told otherwise
    # (redis._defaults.DEFAULT_SOCKET_TIMEOUT; it was None before), so a BLPOP
    # blocking 5 s raced the read timeout and raised TimeoutError about half the
    # time. The read timeout is explicit here, and waits block for half of it.
    return Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
