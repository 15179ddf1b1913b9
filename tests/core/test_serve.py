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
    finally:
        os.killpg(serve.pid, signal.SIGINT)  # Ctrl-C
        out, _ = serve.communicate(timeout=60)
    assert "user: admin  password:" in out
    assert out.rstrip().endswith("Stopped.")
    assert not any(_alive(pid) for pid in children)
