"""Start everything on one machine: embedded Redis, workers and the web server."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from webapp.core.embedded import start_embedded_redis

WORKER_CLASS = "webapp.worker.EngineWorker"
# How long workers may take to finish their job, and gunicorn its requests, on Ctrl-C.
STOP_SECONDS = 40


def _start(command: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, cwd=settings.BASE_DIR, start_new_session=True)


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
        redis = None
        if not os.environ.get("REDIS_URL"):
            redis = start_embedded_redis(
                settings.EMBEDDED_REDIS_SOCKET, settings.DATA_DIR / "redis", own_session=True
            )
            self.stdout.write(f"Embedded Redis on {settings.EMBEDDED_REDIS_SOCKET}")
        self._ensure_admin(port)
        python = sys.executable
        manage = str(settings.BASE_DIR / "manage.py")
        worker_cmd = [python, manage, "rqworker", "default", "--worker-class", WORKER_CLASS]
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
            self.stdout.write("Stopped.")

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
