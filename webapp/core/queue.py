"""The Redis connection and job queue, one per process.

django_rq builds a new connection pool on every call, which costs a few
milliseconds each time: a hot path (every API request counts its rate limit,
enqueues and waits) keeps one per Redis URL instead.
"""

from __future__ import annotations

import functools

import django_rq
from django.conf import settings
from redis import Redis
from rq import Queue


def connection() -> Redis:
    return _connection(settings.RQ_QUEUES["default"]["URL"])


def queue() -> Queue:
    return django_rq.get_queue("default", connection=connection())


@functools.lru_cache(maxsize=4)
def _connection(url: str) -> Redis:
    return Redis.from_url(url)
