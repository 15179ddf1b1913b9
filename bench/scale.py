"""Throughput with 1 and 2 engine workers: the same API load, one worker process more.

    python -m bench.scale [--seconds 30] [--concurrency 8] [--workers 1,2]

For each worker count, starts a fresh `manage.py serve` (its own data folder,
WORKERS=n, a fresh credential), sends `POST /face/shape` (512x512, mode 1) from
`--concurrency` clients for `--seconds`, and prints throughput, p50 and p95,
with the machine's core count. A worker is one process running one job at a
time, so throughput grows with workers up to the cores the engine can use.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import tempfile
from pathlib import Path

from .common import machine_line, photo_path
from .load import App, Client, _become_subreaper, _kill_everything_started, api_load


def measure(workers: int, concurrency: int, seconds: float, image: bytes) -> dict[str, float]:
    tmp = tempfile.mkdtemp(prefix="likeness-scale-")
    try:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        app = App(data_dir, workers)
        app.manage("migrate", "--noinput", "-v0")
        cred = json.loads(app.manage("apiclient", "create", "scale", "--rate-limit", "1000000"))
        client = Client(app, cred, image)
        app.start()
        app.wait_until_up()
        api_load(client, concurrency, min(5.0, seconds))  # every worker warm
        load = api_load(client, concurrency, seconds)
        app.stop()
        return {
            "rps": len(load.latencies) / load.seconds,
            "p50": load.percentile(50) * 1000,
            "p95": load.percentile(95) * 1000,
            "errors": load.errors,
            "requests": len(load.latencies),
        }
    finally:
        _kill_everything_started()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=lambda s: [int(n) for n in s.split(",")], default=[1, 2])
    args = parser.parse_args()
    print(f"== Workers and throughput ({machine_line()})")
    print(f"  load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"  POST /face/shape, 512x512, mode 1; {args.concurrency} clients for {args.seconds:g} s "
        "per worker count, after a warm-up"
    )
    _become_subreaper()
    signal.signal(signal.SIGTERM, lambda signum, frame: (_ for _ in ()).throw(KeyboardInterrupt))
    image = photo_path("astronaut.png").read_bytes()
    results = {}
    try:
        for workers in args.workers:
            result = measure(workers, args.concurrency, args.seconds, image)
            results[workers] = result
            print(
                f"  {workers} worker(s): {result['rps']:6.1f} req/s, p50 {result['p50']:6.0f} ms, "
                f"p95 {result['p95']:6.0f} ms; {result['requests']} requests, "
                f"{result['errors']} errors",
                flush=True,
            )
    finally:
        _kill_everything_started()
    if len(results) > 1:
        first, last = min(results), max(results)
        ratio = results[last]["rps"] / results[first]["rps"]
        print(f"  throughput {last} / {first} worker(s): {ratio:.2f}x on {os.cpu_count()} cores")
    print(f"  load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
