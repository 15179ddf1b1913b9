"""`manage.py serve`, what `make run` starts: Redis, a worker and the web server; Ctrl-C stops."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from webapp.wire.signature import sign

from ..conftest import DATA

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_it_serves_the_site_and_the_api_then_stops_everything(tmp_path):
    port = _free_port()
    env = os.environ | {"DATA_DIR": str(tmp_path), "PORT": str(port)}
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    cred = json.loads(
        subprocess.run(
            [*manage, "apiclient", "create", "test"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    leftover = tmp_path / "metrics" / "counter_1.db"  # what a previous run's processes wrote
    leftover.parent.mkdir()
    leftover.write_bytes(b"")
    # A process group of its own, as a terminal gives a foreground command.
    serve = subprocess.Popen(
        [*manage, "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(base + "/", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        children = _children(serve.pid)
        assert len(children) == 3  # Redis, one worker, gunicorn

        response = requests.post(
            base + "/face/shape",
            headers={"Authorization": sign(cred["appid"], cred["secret_id"], cred["secret_key"])},
            data={"appid": cred["appid"], "mode": "0"},
            files={"image": (DATA / "faces" / "astronaut.png").read_bytes()},
            timeout=60,
        )
        assert response.json()["code"] == 0
        assert len(response.json()["data"]["face_shape"]) == 1

        ready = requests.get(base + "/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["workers"]["alive"] == 1
        # Counted by the web process and by the worker, added up from DATA_DIR/metrics.
        assert not leftover.exists()
        metrics = requests.get(base + "/metrics", timeout=10).text
        assert 'likeness_api_requests_total{api="/face/shape",code="0",status="200"} 1.0' in metrics
        assert (
            'likeness_jobs_total{error_code="",outcome="done",service="face_shape"} 1.0' in metrics
        )
    finally:
        os.killpg(serve.pid, signal.SIGINT)  # Ctrl-C
        out, _ = serve.communicate(timeout=60)
    assert "user: admin  password:" in out
    assert out.rstrip().endswith("Stopped.")
    assert not any(_alive(pid) for pid in children)


class Serve:
    """`manage.py serve` in a DATA_DIR of its own, as `make run` starts it from a terminal."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = os.environ | {"DATA_DIR": str(data_dir), "PORT": str(self.port), **env}
        self.env.pop("REDIS_URL", None)
        self.env.pop("DATABASE_URL", None)
        self.manage = [sys.executable, str(ROOT / "manage.py")]
        self.process: subprocess.Popen[str] | None = None

    def migrate(self) -> Serve:
        subprocess.run([*self.manage, "migrate", "-v0"], env=self.env, check=True)
        return self

    def start(self) -> Serve:
        # A process group of its own, as a terminal gives a foreground command.
        self.process = subprocess.Popen(
            [*self.manage, "serve"],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base + "/", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.3)
        raise AssertionError("serve did not answer")

    def recorded(self) -> dict:
        return json.loads((Path(self.env["DATA_DIR"]) / "serve.pid").read_text())

    def stop(self) -> str:
        """Ctrl-C; return everything it printed."""
        os.killpg(self.process.pid, signal.SIGINT)
        out, _ = self.process.communicate(timeout=60)
        return out


def _gone(pids: set[int], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(_alive(pid) for pid in pids):
            return True
        time.sleep(0.2)
    return False


def test_a_second_copy_says_so_and_a_killed_one_leaves_nothing_behind(tmp_path):
    first = Serve(tmp_path).migrate().start()
    children = _children(first.process.pid)
    try:
        second = subprocess.run(
            [*first.manage, "serve", "--port", str(_free_port())],
            env=first.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode != 0
        said = (second.stdout + second.stderr).strip()
        assert len(said.splitlines()) == 1
        assert "already running" in said
        assert f"http://127.0.0.1:{first.port}/" in said
        assert "another DATA_DIR and PORT" in said
    finally:
        os.killpg(first.process.pid, signal.SIGKILL)  # a crash, or the OOM killer
        first.process.wait()
    # Redis, the worker and gunicorn (with its own workers) end with it.
    assert _gone(children)

    again = Serve(tmp_path).start()
    assert again.stop().rstrip().endswith("Stopped.")


def test_it_stops_an_embedded_redis_a_dead_run_left(tmp_path):
    from webapp.core.embedded import start_embedded_redis

    serve = Serve(tmp_path).migrate()
    leftover = start_embedded_redis(tmp_path / "redis.sock", tmp_path / "redis", own_session=True)
    dead = subprocess.Popen(["true"])
    dead.wait()
    (tmp_path / "serve.pid").write_text(
        json.dumps({"serve": dead.pid, "port": serve.port, "redis": leftover.pid})
    )
    serve.start()
    try:
        assert leftover.process.wait(timeout=30) is not None
        assert serve.recorded()["redis"] != leftover.pid
    finally:
        out = serve.stop()
    assert f"Stopping the embedded Redis a previous run left (pid {leftover.pid})" in out
    assert "Traceback" not in out


def test_redis_that_dies_comes_back_and_a_photo_saved_meanwhile_is_done(tmp_path):
    serve = Serve(tmp_path, REDIS_SOCKET_TIMEOUT="1", WORKER_HEARTBEAT_SECONDS="1")
    serve.migrate().start()
    try:
        redis_pid = serve.recorded()["redis"]
        os.kill(redis_pid, signal.SIGSTOP)  # Redis hangs: the upload cannot be enqueued...
        visitor = requests.Session()
        visitor.get(serve.base + "/", timeout=10)
        page = visitor.post(
            serve.base + "/upload",
            data={
                "csrfmiddlewaretoken": visitor.cookies["csrftoken"],
                "kind": "face_shape",
                "mode": "0",
            },
            files={"photo": ("photo.png", (DATA / "faces" / "astronaut.png").read_bytes())},
            timeout=30,
        )
        assert page.status_code == 200
        assert "Your photo is waiting for a worker" in page.text
        killed = time.monotonic()
        os.kill(redis_pid, signal.SIGKILL)  # ...then it dies
        status_url = page.url.rstrip("/") + "/status"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            status = visitor.get(status_url, timeout=10).json()
            if status["finished"]:
                break
            time.sleep(0.3)
        print(f"Redis killed -> photo done: {time.monotonic() - killed:.1f} s")
        assert status["status"] == "done"
        assert serve.recorded()["redis"] != redis_pid
    finally:
        out = serve.stop()
    assert "Redis exited with" in out
    assert out.rstrip().endswith("Stopped.")


def test_the_job_of_a_killed_worker_is_taken_up_by_the_next_one(tmp_path):
    import http.server
    import threading

    calls: list[float] = []
    release = threading.Event()

    class SlowService(http.server.BaseHTTPRequestHandler):
        """The remote face service: the first call hangs (the worker dies meanwhile)."""

        def do_POST(self) -> None:
            calls.append(time.monotonic())
            if len(calls) == 1:
                release.wait(60)
            self.send_response(500)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    remote = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowService)
    threading.Thread(target=remote.serve_forever, daemon=True).start()
    serve = Serve(
        tmp_path,
        WORKER_HEARTBEAT_SECONDS="1",
        FACE_SHAPE_BACKEND="remote",
        FACE_SHAPE_REMOTE_URL=f"http://127.0.0.1:{remote.server_port}",
        FACE_SHAPE_REMOTE_APPID="1",
        FACE_SHAPE_REMOTE_SECRET_ID="id",
        FACE_SHAPE_REMOTE_SECRET_KEY="key",
    )
    serve.migrate().start()
    try:
        visitor = requests.Session()
        visitor.get(serve.base + "/", timeout=10)
        page = visitor.post(
            serve.base + "/upload",
            data={
                "csrfmiddlewaretoken": visitor.cookies["csrftoken"],
                "kind": "face_shape",
                "mode": "0",
            },
            files={"photo": ("photo.png", (DATA / "faces" / "astronaut.png").read_bytes())},
            timeout=30,
        )
        assert page.status_code == 200
        deadline = time.monotonic() + 60
        while not calls and time.monotonic() < deadline:
            time.sleep(0.1)
        (worker,) = [
            pid
            for pid in _children(serve.process.pid)
            if b"rqworker" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        os.kill(worker, signal.SIGKILL)  # in the middle of the job
        killed = time.monotonic()
        release.set()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            status = visitor.get(page.url.rstrip("/") + "/status", timeout=10).json()
            if status["finished"]:
                break
            time.sleep(0.3)
        print(f"worker killed -> its job taken up again: {calls[1] - killed:.1f} s")
        assert len(calls) == 2
        assert status["error_code"] == "remote_failed"  # the second attempt ran, and ended
    finally:
        serve.stop()
        remote.shutdown()


def test_a_port_in_use_is_said_in_one_line(tmp_path):
    serve = Serve(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", serve.port))
        taken.listen()
        result = subprocess.run(
            [*serve.manage, "serve"], env=serve.env, capture_output=True, text=True, timeout=60
        )
    assert result.returncode != 0
    said = (result.stdout + result.stderr).strip()
    assert said.splitlines() == [
        f"CommandError: Port {serve.port} is in use (Address already in use); "
        "choose another, e.g. PORT=8001 make run"
    ]
    assert not (tmp_path / "serve.pid").exists()


def test_a_port_a_stopped_run_left_connections_on_is_free_again():
    """Connections in TIME_WAIT from the last run do not keep `make run` from starting."""
    from webapp.core.management.commands.serve import port_taken

    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    assert port_taken(port)  # a server listens there
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server's side closes first: its end waits in TIME_WAIT
    client.close()
    server.close()
    assert port_taken(port) == ""
