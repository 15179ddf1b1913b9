from __future__ import annotations

import io
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from .browser import browser_session  # noqa: F401  (the page tests' browser, with axe-core)

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """An embedded Redis server for the whole run, on its own socket."""
    from webapp.core.embedded import start_embedded_redis

    with tempfile.TemporaryDirectory(prefix="likeness-redis-") as tmp:
        server = start_embedded_redis(Path(tmp) / "redis.sock", Path(tmp) / "data")
        try:
            yield f"unix://{tmp}/redis.sock"
        finally:
            server.stop()


@pytest.fixture
def isolated(settings: Any, tmp_path: Path, redis_url: str) -> Iterator[None]:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RQ_QUEUES = {
        name: {"URL": redis_url, "DEFAULT_TIMEOUT": 60} for name in ("default", "api")
    }
    settings.SERVICE_ENV = {}  # every service local, whatever this machine's environment says
    yield
    import django_rq

    django_rq.get_connection("default").flushdb()


class RedisSwitch:
    """Point the site at another Redis URL for a while (a server gone, or one of the test's)."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.original = settings.RQ_QUEUES

    def use(self, url: str) -> None:
        self.settings.RQ_QUEUES = {
            name: {**config, "URL": url} for name, config in self.original.items()
        }

    def gone(self, tmp_path: Path) -> None:
        """No server at all: every command fails to connect."""
        self.use(f"unix://{tmp_path}/no-redis.sock")

    def back(self) -> None:
        self.settings.RQ_QUEUES = self.original


@pytest.fixture
def redis_switch(isolated: None, settings: Any) -> Iterator[RedisSwitch]:
    switch = RedisSwitch(settings)
    yield switch
    switch.back()  # before `isolated` empties the test Redis


class Backends:
    """Choose each service's backend in a test, as the environment variables would."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings

    def remote(self, kind: str, url: str, credential: dict[str, str]) -> None:
        from webapp.services import SERVICES

        prefix = SERVICES[kind].settings_prefix
        self.settings.SERVICE_ENV = {
            **self.settings.SERVICE_ENV,
            f"{prefix}_BACKEND": "remote",
            f"{prefix}_REMOTE_URL": url,
            f"{prefix}_REMOTE_APPID": credential.get("appid", ""),
            f"{prefix}_REMOTE_SECRET_ID": credential["secret_id"],
            f"{prefix}_REMOTE_SECRET_KEY": credential["secret_key"],
        }

    def local(self, kind: str) -> None:
        from webapp.services import SERVICES

        prefix = SERVICES[kind].settings_prefix
        self.settings.SERVICE_ENV = {**self.settings.SERVICE_ENV, f"{prefix}_BACKEND": "local"}


@pytest.fixture
def backends(settings: Any) -> Backends:
    return Backends(settings)


@pytest.fixture
def run_worker() -> Callable[[], bool]:
    """Return a function that runs a real engine worker in burst mode until the queue is empty."""
    import django_rq

    from webapp.core.queue import WORKER_QUEUES
    from webapp.worker import EngineWorker

    def run() -> bool:
        # As `manage.py serve` runs them: API jobs first, then the pages'.
        queues = [django_rq.get_queue(name) for name in WORKER_QUEUES]
        worker = EngineWorker(queues, connection=queues[0].connection)
        return worker.work(burst=True, logging_level="WARNING")

    return run


@pytest.fixture
def with_worker(run_worker: Callable[[], bool]) -> Callable[[Callable[[], Any]], Any]:
    """Call `fn` in a thread while a real worker runs in this (main) thread; return its result.

    API requests wait for their job, so something must work the queue meanwhile.
    """

    def call(fn: Callable[[], Any], timeout: float = 60) -> Any:
        outcome: dict[str, Any] = {}

        def target() -> None:
            try:
                outcome["value"] = fn()
            except BaseException as exc:  # noqa: BLE001  (re-raised in the main thread)
                outcome["error"] = exc
            finally:
                from django.db import connection

                connection.close()

        thread = threading.Thread(target=target)
        thread.start()
        deadline = time.monotonic() + timeout
        while thread.is_alive() and time.monotonic() < deadline:
            run_worker()
            thread.join(0.02)
        assert not thread.is_alive(), "the request did not finish"
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    return call


def image_bytes(size: tuple[int, int] = (64, 64), color: str = "white", fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture
def face_photo() -> bytes:
    """A real photo with one face (Eileen Collins, NASA, public domain), 512x512 PNG."""
    return (DATA / "faces" / "astronaut.png").read_bytes()


@pytest.fixture
def two_faces_photo() -> bytes:
    return (DATA / "faces" / "two_people.jpg").read_bytes()
