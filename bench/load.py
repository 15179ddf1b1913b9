"""Load and faults against a real `manage.py serve` on loopback.

Starts the whole app (embedded Redis, engine workers, gunicorn) in a temporary
data folder with a fresh credential, then measures:

- `POST /face/shape` (512x512, mode 1) from 1, 8 and 32 concurrent clients:
  requests a second, p50/p95/p99 latency, errors by HTTP status and code;
- the same API load while 20 heavy page uploads (about 40 megapixels each)
  wait in the queue: the API p95 against the idle one (target <= 2x);
- faults: a worker killed mid-job, the embedded Redis killed, and the app
  stopped (Ctrl-C) and started again with page jobs queued: how long each
  takes to recover, and how many jobs were lost (target 0).

Latencies are the client's, over every answer (errors included); the client
runs on the same machine. Every process the bench starts is stopped at the
end, even on Ctrl-C or an error. `--quick` runs a short version.
"""

from __future__ import annotations

import argparse
import ctypes
import io
import json
import math
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import requests
from PIL import Image
from redis import Redis

from webapp.wire.signature import sign

from .common import ROOT, machine_line, photo_path, verdict

HEAVY_PIXELS = 39_900_000  # just under the default MAX_IMAGE_PIXELS (40,000,000)
HEAVY_SOURCE = "two_people.jpg"
API_TIMEOUT = 70  # seconds; the app answers "busy" after API_WAIT_SECONDS (30)
FINISHED = ("done", "failed")
PR_SET_CHILD_SUBREAPER = 36


# --- Processes ------------------------------------------------------------------


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """Return (state, parent pid) of a process, or None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[1])


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _proc_stat(int(entry))
            if stat and stat[1] == pid and stat[0] != "Z":
                found.append(int(entry))
    return found


def _descendants(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _proc_stat(int(entry))
            if stat:
                parents.setdefault(stat[1], []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _become_subreaper() -> None:
    """Adopt the orphans of the app's processes, so that none outlives the bench."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _kill_everything_started(keep: set[int] = frozenset()) -> None:
    """SIGKILL every process below this one (the app's, and their orphans), then reap them."""
    for pid in _descendants(os.getpid()):
        if pid in keep:
            continue
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _reap_orphans(keep)


def _reap_orphans(keep: set[int] = frozenset()) -> None:
    for pid in _children_any_state(os.getpid()):
        if pid in keep:
            continue
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


def _children_any_state(pid: int) -> list[int]:
    return [
        int(e)
        for e in os.listdir("/proc")
        if e.isdigit() and (s := _proc_stat(int(e))) and s[1] == pid
    ]


# --- The app ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class App:
    """One `manage.py serve` in its own data folder, started and stopped like `make run`."""

    def __init__(self, data_dir: Path, workers: int) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.workers = workers
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = os.environ | {
            "DATA_DIR": str(data_dir),
            "PORT": str(self.port),
            "WORKERS": str(workers),
            "DEBUG": "False",
            "DEFAULT_RATE_LIMIT_PER_MINUTE": "1000000",
            # Every visitor of the bench comes from 127.0.0.1: the per-address limit would
            # count them as one. The per-visitor limit stays as it is.
            "PAGE_JOBS_PER_ADDRESS": "1000",
            "LOG_LEVEL": "WARNING",
        }
        for name in ("REDIS_URL", "DATABASE_URL", "MEDIA_ROOT", "DB_PATH"):
            self.env.pop(name, None)
        self.serve: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def manage(self, *args: str) -> str:
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def start(self) -> None:
        self.starts += 1
        log = open(self.data_dir / f"serve-{self.starts}.log", "wb")  # noqa: SIM115
        self.serve = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "serve"],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C on the bench reaches the bench only
        )
        log.close()

    def wait_until_up(self, timeout: float = 120) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.serve is not None and self.serve.poll() is not None:
                raise RuntimeError(f"serve exited with {self.serve.returncode}: {self.log_tail()}")
            try:
                if requests.get(self.base + "/", timeout=2).status_code == 200:
                    return time.monotonic() - start
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.base} did not come up: {self.log_tail()}")

    def log_tail(self) -> str:
        path = self.data_dir / f"serve-{self.starts}.log"
        try:
            return path.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def child(self, name: str) -> int | None:
        """The pid of a live child of serve whose command line contains `name`."""
        assert self.serve is not None
        for pid in _children(self.serve.pid):
            if name in _cmdline(pid):
                return pid
        return None

    def stop(self, grace: float = 60) -> tuple[float, bool]:
        """Ctrl-C, as a terminal sends it; SIGKILL after `grace` s. Return (seconds, killed)."""
        if self.serve is None or self.serve.poll() is not None:
            return 0.0, False
        start = time.monotonic()
        self.serve.send_signal(signal.SIGINT)
        killed = False
        try:
            self.serve.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            killed = True
        elapsed = time.monotonic() - start
        if killed:
            self.serve.kill()
            self.serve.wait()
        # Whatever serve left behind (it was killed, or lost track of a child).
        _kill_everything_started()
        return elapsed, killed

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.data_dir / "db.sqlite3", timeout=30)

    def jobs(self, ids: list[str] | None = None) -> dict[str, tuple]:
        """{job id: (status, error_code, source, created, started, finished)} from the database."""
        with self.db() as db:
            rows = db.execute(
                "SELECT id, status, error_code, source, created_at, started_at, finished_at "
                "FROM photos_job"
            ).fetchall()
        db.close()
        found = {row[0].replace("-", ""): row[1:] for row in rows}
        if ids is None:
            return found
        return {
            i: found.get(i.replace("-", ""), ("missing", "", "", None, None, None)) for i in ids
        }

    def photos_without_job(self) -> int:
        with self.db() as db:
            (count,) = db.execute(
                "SELECT COUNT(*) FROM photos_photo p "
                "WHERE NOT EXISTS (SELECT 1 FROM photos_job j WHERE j.photo_id = p.id)"
            ).fetchone()
        db.close()
        return count

    def worker_running(self, job_id: str) -> int | None:
        """The pid of the worker whose current job is `job_id`, as RQ records it."""
        redis = Redis(unix_socket_path=str(self.data_dir / "redis.sock"), socket_timeout=2)
        try:
            for key in redis.scan_iter("rq:worker:*"):
                fields = redis.hgetall(key)
                current = fields.get(b"current_job", b"").decode()
                if current.startswith(job_id) and fields.get(b"pid"):
                    return int(fields[b"pid"])
        finally:
            redis.close()
        return None


# --- Clients ------------------------------------------------------------------


@dataclass
class Client:
    app: App
    cred: dict[str, str]
    image: bytes

    def face_shape(self, session: requests.Session, timeout: float = API_TIMEOUT) -> str:
        """Call the API once; return "ok" or what went wrong ("HTTP 503 code -20005", ...)."""
        try:
            response = session.post(
                f"{self.app.base}/face/shape",
                headers={
                    "Authorization": sign(
                        self.cred["appid"], self.cred["secret_id"], self.cred["secret_key"]
                    )
                },
                data={"appid": self.cred["appid"], "mode": "1"},
                files={"image": ("photo.png", self.image, "application/octet-stream")},
                timeout=timeout,
            )
        except requests.RequestException as exc:
            return type(exc).__name__
        try:
            code = response.json().get("code")
        except ValueError:
            return f"HTTP {response.status_code} not JSON"
        if response.status_code == 200 and code == 0:
            return "ok"
        return f"HTTP {response.status_code} code {code}"


class Browser:
    """A visitor's session on the upload page."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.session = requests.Session()
        self.uploads = 0
        self.without_job = 0
        self.last_status = 0

    def upload(
        self, name: str, data: bytes, mode: int = 0, *, new_visitor: bool = False
    ) -> str | None:
        """Upload through the form; return the job id, or None when no job came of it.

        With `new_visitor`, the upload comes from a visitor of its own (a new session):
        the site limits what one visitor may have waiting.
        """
        self.uploads += 1
        session = requests.Session() if new_visitor else self.session
        self.last_status = 0
        try:
            if "csrftoken" not in session.cookies:
                session.get(self.app.base + "/", timeout=30)
            response = session.post(
                self.app.base + "/upload",
                data={
                    "csrfmiddlewaretoken": session.cookies.get("csrftoken", ""),
                    "kind": "face_shape",
                    "mode": str(mode),
                },
                files={"photo": (name, data, "image/jpeg")},
                allow_redirects=False,
                timeout=60,
            )
            self.last_status = response.status_code
            match = re.search(r"/r/([0-9a-f-]{36})/", response.headers.get("Location", ""))
        except requests.RequestException:
            match = None
        if match is None:
            self.without_job += 1
            return None
        return match.group(1)


@dataclass
class Load:
    concurrency: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def errors(self) -> int:
        return sum(n for key, n in self.outcomes.items() if key != "ok")

    def percentile(self, p: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else math.nan
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]

    def line(self, label: str) -> str:
        rate = len(self.latencies) / self.seconds if self.seconds else math.nan
        ms = {p: self.percentile(p) * 1000 for p in (50, 95, 99)}
        errors = ", ".join(f"{k}: {n}" for k, n in sorted(self.outcomes.items()) if k != "ok")
        return (
            f"  {label}: {rate:6.1f} req/s, p50 {ms[50]:7.0f} ms, p95 {ms[95]:7.0f} ms, "
            f"p99 {ms[99]:7.0f} ms; {len(self.latencies)} requests, {self.errors} errors"
            + (f" ({errors})" if errors else "")
        )


def api_load(client: Client, concurrency: int, seconds: float) -> Load:
    """`concurrency` clients, each calling the API back to back for `seconds`."""
    load = Load(concurrency, seconds)
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def run() -> None:
        with requests.Session() as session:
            while time.monotonic() < end:
                start = time.perf_counter()
                outcome = client.face_shape(session)
                elapsed = time.perf_counter() - start
                with lock:
                    load.latencies.append(elapsed)
                    load.outcomes[outcome] += 1

    start = time.monotonic()
    threads = [threading.Thread(target=run, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load.seconds = time.monotonic() - start  # the last requests end after `seconds`
    return load


def heavy_jpeg(pixels: int = HEAVY_PIXELS) -> bytes:
    """A real photo upscaled to just under the pixel limit, as a JPEG."""
    with Image.open(photo_path(HEAVY_SOURCE)) as im:
        aspect = im.width / im.height
        height = int(math.sqrt(pixels / aspect))
        width = pixels // height
        big = im.convert("RGB").resize((width, height), Image.BICUBIC)
    buffer = io.BytesIO()
    big.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


# --- Measurements ---------------------------------------------------------------


def wait_for_jobs(app: App, ids: list[str], timeout: float) -> float | None:
    """Seconds until every job is done or failed, or None after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if all(row[0] in FINISHED for row in app.jobs(ids).values()):
            return time.monotonic() - start
        time.sleep(0.25)
    return None


def until_api_answers(client: Client, timeout: float) -> tuple[float | None, Counter[str]]:
    """Call the API back to back until one succeeds; (seconds or None, what came before)."""
    seen: Counter[str] = Counter()
    start = time.monotonic()
    with requests.Session() as session:
        while (left := timeout - (time.monotonic() - start)) > 0:
            outcome = client.face_shape(session, timeout=max(1.0, min(API_TIMEOUT, left)))
            if outcome == "ok":
                return time.monotonic() - start, seen
            seen[outcome] += 1
            time.sleep(0.2)
    return None, seen


def _statuses(app: App, ids: list[str]) -> Counter[str]:
    return Counter(row[0] for row in app.jobs(ids).values())


def _fmt(seconds: float | None, timeout: float) -> str:
    return f"{seconds:.1f} s" if seconds is not None else f"not within {timeout:g} s"


def _seen(outcomes: Counter[str]) -> str:
    if not outcomes:
        return ""
    return " (before that: " + ", ".join(f"{k} x{n}" for k, n in outcomes.most_common()) + ")"


def run(args: argparse.Namespace) -> None:
    image = photo_path("astronaut.png").read_bytes()
    tmp = tempfile.mkdtemp(prefix="likeness-load-")
    if args.keep:
        print(f"  data folder (kept, with the app's logs): {tmp}")
    try:
        _run(args, image, tmp)
    finally:
        _kill_everything_started()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def _run(args: argparse.Namespace, image: bytes, tmp: str) -> None:
    data_dir = Path(tmp) / "data"
    data_dir.mkdir()
    heavy_file = Path(tmp) / "heavy.jpg"
    heavy_file.write_bytes(heavy_jpeg())
    heavy = heavy_file.read_bytes()
    with Image.open(io.BytesIO(heavy)) as im:
        heavy_size = im.size
    print(
        f"  heavy page photo: {heavy_size[0]}x{heavy_size[1]} "
        f"({heavy_size[0] * heavy_size[1] / 1e6:.1f} MP, {len(heavy) / 2**20:.1f} MB JPEG, "
        f"{HEAVY_SOURCE} upscaled)"
    )
    light = photo_path("obama.jpg").read_bytes()
    app = App(data_dir, args.workers)
    app.manage("migrate", "--noinput", "-v0")
    cred = json.loads(app.manage("apiclient", "create", "load", "--rate-limit", "1000000"))
    client = Client(app, cred, image)
    app.start()
    up = app.wait_until_up()
    print(
        f"  app: manage.py serve, {args.workers} engine worker(s), gunicorn "
        f"{app.env.get('WEB_CONCURRENCY', '2')}x8 threads; up in {up:.1f} s"
    )
    for _ in range(3):
        client.face_shape(requests.Session())

    # 1. The API alone.
    print(f"\n-- POST /face/shape (512x512, mode 1), {args.seconds:g} s per level")
    idle: dict[int, Load] = {}
    for concurrency in args.concurrency:
        idle[concurrency] = api_load(client, concurrency, args.seconds)
        print(idle[concurrency].line(f"{concurrency:2d} clients"), flush=True)

    # 2. The API while heavy page jobs wait in the queue.
    print(f"\n-- The same API load while {args.heavy} heavy page uploads are queued")
    browser = Browser(app)
    start = time.monotonic()
    # Twenty visitors, one heavy photo each (one visitor may only have a few waiting).
    uploads = (browser.upload("big.jpg", heavy, new_visitor=True) for _ in range(args.heavy))
    heavy_ids = [i for i in uploads if i]
    print(
        f"  {len(heavy_ids)} of {args.heavy} uploads made a job, "
        f"in {time.monotonic() - start:.1f} s; queued now: {dict(_statuses(app, heavy_ids))}"
    )
    c = args.backlog_concurrency
    backlog = api_load(client, c, args.seconds)
    print(backlog.line(f"{c:2d} clients"))
    print(f"  page jobs after it: {dict(_statuses(app, heavy_ids))}")
    base_p95 = idle[c].percentile(95) if c in idle else api_load(client, c, 5).percentile(95)
    ratio = backlog.percentile(95) / base_p95
    print(
        f"  API p95 with the backlog / idle p95 ({c} clients): "
        f"{backlog.percentile(95) * 1000:.0f} / {base_p95 * 1000:.0f} ms = {ratio:.1f}x "
        f"{verdict(ratio, 2)}"
    )
    drained = wait_for_jobs(app, heavy_ids, args.drain_timeout)
    if drained is not None:
        drained += backlog.seconds
    runs = [
        (datetime.fromisoformat(f) - datetime.fromisoformat(s)).total_seconds()
        for status, _, _, _, s, f in app.jobs(heavy_ids).values()
        if s and f
    ]
    print(
        f"  backlog drained {_fmt(drained, args.drain_timeout)} "
        f"after the API load began; {dict(_statuses(app, heavy_ids))}; one heavy job runs "
        f"{statistics.median(runs) if runs else math.nan:.1f} s (median)"
    )

    # 3a. A worker killed in the middle of a job.
    print("\n-- Faults")
    killed = fault_worker(app, browser, client, heavy, args)
    # 3b. The embedded Redis killed.
    fault_redis(app, client, args)
    # 3c. Stopped with page jobs queued, then started again.
    fault_restart(app, browser, client, heavy, light, args)

    # What was lost, over the whole run.
    pending = [i for i, row in app.jobs().items() if row[0] not in FINISHED]
    if pending:
        wait_for_jobs(app, pending, args.drain_timeout)
    jobs = app.jobs()
    by_status = Counter(row[0] for row in jobs.values())
    unfinished = [row for row in jobs.values() if row[0] not in FINISHED]
    lost = len(unfinished) + browser.without_job
    print(
        f"\n-- Jobs over the whole run: {len(jobs)} ({dict(by_status)}); "
        f"by source {dict(Counter(row[2] for row in jobs.values()))}"
    )
    print(
        f"  lost: {len(unfinished)} jobs never done or failed "
        f"({dict(Counter(row[2] for row in unfinished))}), "
        f"{browser.without_job} of {browser.uploads} page uploads made no job, "
        f"{app.photos_without_job()} stored photos without a job: {lost} {verdict(lost, 0)}"
    )
    if killed:
        status, _, _, _, _, finished = app.jobs([killed[0]])[killed[0]]
        if finished:
            ended = datetime.fromisoformat(finished)  # Django keeps UTC in SQLite, without zone
            later = (ended.replace(tzinfo=ended.tzinfo or UTC) - killed[1]).total_seconds()
            print(f"  the job of (a) ended {status} {later:.0f} s after its worker was killed")
        else:
            print(f"  the job of (a) never ended ({status})")
    failed = Counter(row[1] for row in jobs.values() if row[0] == "failed")
    if failed:
        print(f"  failed jobs by error: {dict(failed)}")
    app.stop()


def fault_worker(
    app: App, browser: Browser, client: Client, heavy: bytes, args: argparse.Namespace
) -> tuple[str, datetime] | None:
    """Kill the worker in the middle of a job; return (the job, when) for the final count."""
    job_id = browser.upload("big.jpg", heavy)
    if job_id is None:
        print("  (a) worker killed mid-job: the upload made no job; skipped")
        return None
    deadline = time.monotonic() + 60
    while app.jobs([job_id])[job_id][0] != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # well inside the job (decoding a heavy photo takes longer)
    pid = app.worker_running(job_id) or app.child("rqworker")
    if pid is None or app.jobs([job_id])[job_id][0] != "running":
        print(f"  (a) worker killed mid-job: job not running ({app.jobs([job_id])[job_id][0]})")
        return None
    os.kill(pid, signal.SIGKILL)
    killed_at = datetime.now(UTC)
    probe: dict[str, object] = {}

    def probe_api() -> None:
        probe["seconds"], probe["seen"] = until_api_answers(client, args.recover_timeout)

    thread = threading.Thread(target=probe_api, daemon=True)
    thread.start()
    ended = wait_for_jobs(app, [job_id], args.recover_timeout)
    thread.join()
    status, error, *_ = app.jobs([job_id])[job_id]
    replaced = app.child("rqworker")
    print(
        f"  (a) worker killed mid-job (SIGKILL, a heavy page job): the job ended "
        f"{_fmt(ended, args.recover_timeout)} later"
        + (f" ({status}{', ' + error if error else ''})" if ended is not None else f" ({status})")
    )
    print(
        f"      new API jobs complete again after "
        f"{_fmt(probe.get('seconds'), args.recover_timeout)}{_seen(probe.get('seen'))}; "
        f"worker replaced: {'yes' if replaced and replaced != pid else 'no'}"
    )
    return job_id, killed_at


def fault_redis(app: App, client: Client, args: argparse.Namespace) -> None:
    pid = app.child("valkey-server") or app.child("redis-server")
    if pid is None:
        print("  (b) Redis killed: no embedded Redis found; skipped")
        return
    os.kill(pid, signal.SIGKILL)
    seconds, seen = until_api_answers(client, args.redis_timeout)
    print(
        f"  (b) Redis killed (SIGKILL): an API call succeeds again after "
        f"{_fmt(seconds, args.redis_timeout)}"
        + (" -- not recovered" if seconds is None else "")
        + _seen(seen)
    )


def fault_restart(
    app: App,
    browser: Browser,
    client: Client,
    heavy: bytes,
    light: bytes,
    args: argparse.Namespace,
) -> None:
    # Start from an app that answers: after (b) it may not.
    if until_api_answers(client, 5)[0] is None:
        took, killed = app.stop()
        app.start()
        up = app.wait_until_up()
        seconds, _ = until_api_answers(client, args.recover_timeout)
        print(
            f"      after (b): stopped in {took:.1f} s{' (SIGKILL)' if killed else ''}, "
            f"started again, site up in {up:.1f} s, "
            f"API answers in {_fmt(seconds, args.recover_timeout)}"
        )
    # One heavy job keeps the worker busy, so that the light ones are still queued at Ctrl-C.
    front = browser.upload("big.jpg", heavy)
    uploads = (
        browser.upload("face.jpg", light, new_visitor=True) for _ in range(args.restart_jobs)
    )
    ids = [i for i in uploads if i]
    queued = _statuses(app, ids)
    took, killed = app.stop()
    at_stop = _statuses(app, ids)
    app.start()
    up = app.wait_until_up()
    done = wait_for_jobs(app, ids, args.recover_timeout)
    done = None if done is None else done + up
    after = _statuses(app, ids)
    front_status = app.jobs([front])[front][0] if front else "no job"
    print(
        f"  (c) Ctrl-C with {len(ids)} page jobs queued ({dict(queued)}) behind a heavy one: "
        f"stopped in {took:.1f} s{' (SIGKILL after 60 s)' if killed else ''} "
        f"({dict(at_stop)} at the stop); started again, site up in {up:.1f} s"
    )
    print(
        f"      all {len(ids)} done or failed {_fmt(done, args.recover_timeout)} after the "
        f"start ({dict(after)}); the heavy job in front: {front_status}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run, to try the bench")
    parser.add_argument("--seconds", type=float, help="seconds per API load level (30)")
    parser.add_argument("--concurrency", type=lambda s: [int(c) for c in s.split(",")])
    parser.add_argument("--backlog-concurrency", type=int, default=8)
    parser.add_argument("--heavy", type=int, help="heavy page uploads queued (20)")
    parser.add_argument("--restart-jobs", type=int, help="page jobs queued at the restart (12)")
    parser.add_argument("--recover-timeout", type=float, help="seconds to wait for recovery (300)")
    parser.add_argument("--redis-timeout", type=float, help="seconds to wait for Redis (60)")
    parser.add_argument("--drain-timeout", type=float, help="seconds to wait for a backlog (600)")
    parser.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 1) // 2))
    parser.add_argument("--keep", action="store_true", help="keep the data folder and logs")
    args = parser.parse_args()
    defaults = {
        "seconds": (5, 30),
        "concurrency": ([1, 8, 32], [1, 8, 32]),
        "heavy": (4, 20),
        "restart_jobs": (4, 12),
        "recover_timeout": (60, 300),
        "redis_timeout": (15, 60),
        "drain_timeout": (120, 600),
    }
    for name, (quick, full) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)

    print(f"== Load and faults ({machine_line()})")
    print(f"  load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    _become_subreaper()

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    # Even where SIGINT was ignored (started in the background), Ctrl-C cleans up.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        run(args)
    except KeyboardInterrupt:
        print("\n  interrupted", flush=True)
        raise SystemExit(130) from None
    finally:
        _kill_everything_started()
        print(f"  load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
