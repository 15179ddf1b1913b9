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

WORKER_CLASS = "webapp.core.worker.EngineWorker"


class Command(BaseCommand):
    help = "Run Likeness: the embedded Redis (unless REDIS_URL is set), job workers and the web server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument("--workers", type=int, default=settings.WORKERS)

    def handle(self, *args: object, port: int, workers: int, **options: object) -> None:
        redis = None
        if not os.environ.get("REDIS_URL"):
            redis = start_embedded_redis(settings.EMBEDDED_REDIS_SOCKET, settings.DATA_DIR / "redis")
            self.stdout.write(f"Embedded Redis on {settings.EMBEDDED_REDIS_SOCKET}")
        self._ensure_admin(port)
        python = sys.executable
        manage = str(settings.BASE_DIR / "manage.py")
        worker_cmd = [python, manage, "rqworker", "default", "--worker-class", WORKER_CLASS]
        web_cmd = [
            python, "-m", "gunicorn", "webapp.wsgi",
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(settings.WEB_CONCURRENCY),
            "--threads", "8",
            "--timeout", str(int(settings.API_WAIT_SECONDS) + 30),
            "--access-logfile", "-",
        ]
        children = {f"worker-{i}": worker_cmd for i in range(workers)} | {"web": web_cmd}
        processes = {name: subprocess.Popen(cmd, cwd=settings.BASE_DIR) for name, cmd in children.items()}
        self.stdout.write(self.style.SUCCESS(f"Likeness is running on http://127.0.0.1:{port}/  (Ctrl-C stops it)"))
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                time.sleep(0.5)
                for name, process in processes.items():
                    if process.poll() is not None and not stopping:
                        # A worker that died (even on a photo that crashed the engine) is replaced.
                        self.stderr.write(f"{name} exited with {process.returncode}; restarting it")
                        processes[name] = subprocess.Popen(children[name], cwd=settings.BASE_DIR)
        finally:
            self.stdout.write("Stopping...")
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()
            for process in processes.values():
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
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
        self.stdout.write(self.style.WARNING(
            f"Admin: {admin_url}  user: admin  password: {password}  (shown once)"
        ))
