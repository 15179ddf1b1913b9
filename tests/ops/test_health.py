from __future__ import annotations

import json
import statistics
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from webapp.core import queue
from webapp.photos import jobs
from webapp.photos.models import Job

from ..conftest import image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def readyz(client: Client | None = None):
    response = (client or Client()).get("/readyz")
    assert response["Content-Type"] == "application/json"
    return response, response.json()


def test_healthz_says_ok_without_the_database_or_redis(redis_switch, tmp_path):
    redis_switch.gone(tmp_path)
    with pytest.MonkeyPatch.context() as patch:
        # Any query would fail: the probe must not make one.
        patch.setattr(connection, "ensure_connection", _refuse)
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Cache-Control"].startswith("max-age=0")


def _refuse(*args, **kwargs):
    raise AssertionError("the database was touched")


def test_readyz_is_ready_with_a_live_worker(run_worker):
    run_worker()  # a real worker says it is alive when it starts
    response, body = readyz()
    assert response.status_code == 200
    assert body["status"] == "ok"
    checks = body["checks"]
    assert list(checks) == ["database", "redis", "storage", "workers", "queue"]
    assert all(check["status"] == "ok" for check in checks.values())
    assert all(isinstance(check["ms"], float) for check in checks.values())
    assert checks["workers"]["alive"] == 1
    assert checks["queue"]["oldest_queued_seconds"] is None


def test_readyz_fails_without_a_worker():
    response, body = readyz()
    assert response.status_code == 503
    assert body["status"] == "fail"
    assert body["checks"]["workers"]["status"] == "fail"
    assert body["checks"]["workers"]["alive"] == 0
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["queue"]["status"] == "skipped"


def test_readyz_fails_when_the_queue_is_stuck_while_workers_live(settings, run_worker):
    run_worker()
    job = jobs.create_job(
        upload=image_bytes(), suffix=".png", kind="face_shape", params={"mode": 0}, source="web"
    )
    Job.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - timedelta(seconds=settings.READY_QUEUE_MAX_AGE + 30)
    )
    queue.connection().delete(*queue.connection().keys("rq:queue:*"))  # no worker will take it
    response, body = readyz()
    assert response.status_code == 503
    assert body["checks"]["workers"]["status"] == "ok"
    assert body["checks"]["queue"]["status"] == "fail"
    assert body["checks"]["queue"]["oldest_queued_seconds"] > settings.READY_QUEUE_MAX_AGE


def test_readyz_answers_503_json_when_redis_is_gone(redis_switch, tmp_path, run_worker):
    run_worker()
    redis_switch.gone(tmp_path)
    response, body = readyz()
    assert response.status_code == 503
    checks = body["checks"]
    assert checks["redis"]["status"] == "fail"
    assert checks["redis"]["error"] == "ConnectionError"
    assert checks["workers"]["status"] == "skipped"
    assert checks["database"]["status"] == "ok"
    assert str(tmp_path) not in json.dumps(body), "no paths or addresses in the answer"


def test_readyz_answers_503_json_when_the_database_is_gone(tmp_path, run_worker):
    run_worker()
    database = connection.settings_dict
    original = database["NAME"]
    connection.close()
    # A database that cannot be opened: a file in a missing folder, or a missing database.
    if connection.vendor == "sqlite":
        database["NAME"] = str(tmp_path / "no-such-folder" / "db.sqlite3")
    else:
        database["NAME"] = "likeness_no_such_database"
    try:
        response, body = readyz()
    finally:
        connection.close()
        database["NAME"] = original
    assert response.status_code == 503
    assert body["checks"]["database"] == {
        "status": "fail",
        "ms": body["checks"]["database"]["ms"],
        "error": "OperationalError",
    }
    assert body["checks"]["redis"]["status"] == "ok"
    assert body["checks"]["queue"]["status"] == "skipped"


def test_readyz_is_cheap(run_worker, capsys):
    """Median of 200 calls, printed (no timed assertion)."""
    run_worker()
    client = Client()
    times = []
    for _ in range(200):
        start = time.perf_counter()
        assert client.get("/readyz").status_code == 200
        times.append((time.perf_counter() - start) * 1000)
    with capsys.disabled():
        print(f"\n/readyz median of 200 calls (test client): {statistics.median(times):.2f} ms")
