"""API end-to-end and pipeline timings against a real `manage.py serve` on loopback.

Starts the whole app (embedded Redis, one engine worker, gunicorn) in a
temporary data folder, signs requests with a fresh credential, and prints
medians: client-side milliseconds per `POST /face/shape`, the pipeline's
overhead from job creation to stored result (everything but the engine), and
the worker's memory.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import requests

from webapp.wire.signature import sign

from .common import ROOT, machine_line, phone_jpeg, photo_path, verdict

RUNS = 40
WARM_UP = 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def _worker_memory(serve_pid: int) -> dict[str, float]:
    """Return VmRSS and VmHWM (MB) of the worker processes started by `serve`."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        ppid = int(
            next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:"))
        )
        if "rqworker" in cmdline and ppid == serve_pid:
            for line in status.splitlines():
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split()[:2]
                    out[key.rstrip(":")] = int(value) / 1024
    return out


def _ms(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() * 1000


def _post(
    session: requests.Session, base: str, cred: dict[str, str], image: bytes, mode: int = 0
) -> tuple[float, dict]:
    start = time.perf_counter()
    response = session.post(
        f"{base}/face/shape",
        headers={"Authorization": sign(cred["appid"], cred["secret_id"], cred["secret_key"])},
        data={"appid": cred["appid"], "mode": str(mode)},
        files={"image": ("photo.jpg", image, "application/octet-stream")},
        timeout=60,
    )
    elapsed = (time.perf_counter() - start) * 1000
    return elapsed, response.json()


def measure(
    photos: dict[str, bytes], *, mode: int = 0, runs: int = RUNS, warm_up: int = WARM_UP
) -> dict[str, dict[str, float]]:
    """Median API and pipeline times per photo, and the worker's memory after them all.

    ``mode`` is the face-shape mode: 0 every face, 1 the largest.
    """
    with tempfile.TemporaryDirectory(prefix="likeness-bench-") as data_dir:
        port = _free_port()
        env = os.environ | {
            "DATA_DIR": data_dir,
            "PORT": str(port),
            "DEBUG": "False",
            "DEFAULT_RATE_LIMIT_PER_MINUTE": "100000",
        }
        env.pop("REDIS_URL", None)
        env.pop("DATABASE_URL", None)
        _manage(env, "migrate", "--noinput", "-v0")
        cred = json.loads(_manage(env, "apiclient", "create", "bench"))
        serve = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "serve", "--workers", "1"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        results: dict[str, dict[str, float]] = {}
        try:
            _wait_until_up(base + "/")
            session = requests.Session()
            for name, image in photos.items():
                for _ in range(warm_up):
                    _post(session, base, cred, image, mode)
                times, ids = [], []
                for _ in range(runs):
                    elapsed, body = _post(session, base, cred, image, mode)
                    assert body["code"] == 0, body
                    times.append(elapsed)
                    ids.append(body["data"]["session_id"])
                results[name] = {"api_ms": statistics.median(times), **_pipeline(data_dir, ids)}
            results["memory"] = _worker_memory(serve.pid)
        finally:
            serve.send_signal(signal.SIGINT)
            serve.wait(timeout=30)
        return results


def _pipeline(data_dir: str, ids: list[str]) -> dict[str, float]:
    db = sqlite3.connect(Path(data_dir) / "db.sqlite3")
    overheads, engines, queued = [], [], []
    for job_id in ids:
        created, started, finished, timings = db.execute(
            "SELECT created_at, started_at, finished_at, timings FROM photos_job WHERE id = ?",
            (job_id.replace("-", ""),),
        ).fetchone()
        engine = json.loads(timings)["engine"]
        engines.append(engine)
        overheads.append(_ms(created, finished) - engine)
        queued.append(_ms(created, started))
    db.close()
    return {
        "overhead_ms": statistics.median(overheads),
        "queued_ms": statistics.median(queued),
        "engine_in_worker_ms": statistics.median(engines),
    }


#: (photo, face-shape mode, target in ms for the API end to end): the phone photos
#: are JPEGs made at run time by bench.common.phone_jpeg.
PHONE_TARGETS = {
    "12 MP portrait": (1, 50),
    "40 MP portrait": (1, 120),
    "12 MP group photo": (0, 150),
}
PHONE_RUNS = 15


def main() -> None:
    print(f"== API and pipeline ({machine_line()}); medians of {RUNS} requests", end="")
    print(f" after {WARM_UP} warm-up")
    print(f"  load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    photos = {
        "512x512, 1 face": photo_path("astronaut.png").read_bytes(),
    }
    results = measure(photos)
    for name, r in results.items():
        if name == "memory":
            continue
        print(f"  {name}: API end-to-end {r['api_ms']:.1f} ms {verdict(r['api_ms'], 40)}")
        print(
            f"  {name}: pipeline overhead (job created -> result stored, minus engine) "
            f"{r['overhead_ms']:.1f} ms {verdict(r['overhead_ms'], 20)}"
        )
        print(
            f"  {name}: of which waiting in the queue {r['queued_ms']:.1f} ms; "
            f"engine inside the worker {r['engine_in_worker_ms']:.1f} ms"
        )
    _print_memory("after the 512x512 jobs", results["memory"])

    print(f"== Phone JPEGs (made here, EXIF orientation), medians of {PHONE_RUNS} requests,")
    print("   each photo on a fresh server (so that the worker's peak memory is its own)")
    for name, (mode, target) in PHONE_TARGETS.items():
        data = phone_jpeg(name)
        r = measure({name: data}, mode=mode, runs=PHONE_RUNS, warm_up=2)
        what = "largest face" if mode == 1 else "every face"
        print(
            f"  {name} ({len(data) / 2**20:.1f} MB), {what}: API end-to-end "
            f"{r[name]['api_ms']:.1f} ms {verdict(r[name]['api_ms'], target)}; "
            f"engine in the worker {r[name]['engine_in_worker_ms']:.1f} ms "
            f"(decoding what it needs included)"
        )
        _print_memory(f"after the {name} jobs", r["memory"])
    print(f"  load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _print_memory(when: str, memory: dict[str, float]) -> None:
    print(
        f"  worker memory {when}: RSS {memory.get('VmRSS', float('nan')):.0f} MB, "
        f"peak {memory.get('VmHWM', float('nan')):.0f} MB"
    )


if __name__ == "__main__":
    main()
