"""`.ci/postgres COMMAND`: a throwaway PostgreSQL on a Unix socket only, gone when COMMAND ends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HELPER = ROOT / ".ci" / "postgres"

PROBE = """
import json, os, sys
import dj_database_url, psycopg
db = dj_database_url.parse(os.environ["DATABASE_URL"])
with psycopg.connect(dbname=db["NAME"], user=db["USER"], host=db["OPTIONS"]["host"]) as conn:
    listen = conn.execute("SHOW listen_addresses").fetchone()[0]
    name = conn.execute("SELECT current_database()").fetchone()[0]
print(json.dumps({"url": os.environ["DATABASE_URL"], "engine": db["ENGINE"],
                  "listen": listen, "db": name}))
sys.exit(3)
"""


def _postgres_processes(folder: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().decode(errors="replace")
                state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if folder in cmdline and state != "Z":
                found.append(int(entry))
    return found


def test_it_runs_the_command_on_a_private_server_then_removes_it():
    env = os.environ.copy()
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [str(HELPER), sys.executable, "-c", PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3, done.stderr  # the command's own exit status
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["engine"] == "django.db.backends.postgresql"
    assert seen["listen"] == ""  # no TCP at all
    assert seen["db"] == "likeness"
    socket_dir = seen["url"].split("?host=", 1)[1]
    assert socket_dir.startswith("/tmp/likeness-pg.")
    folder = str(Path(socket_dir).parent)
    assert not Path(folder).exists()
    assert _postgres_processes(folder) == []
