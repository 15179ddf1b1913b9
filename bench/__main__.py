"""`make bench`: every benchmark, each in its own process (some pin themselves to one core)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

from .common import ROOT, machine_line

BENCHES = [
    "engine",
    "accuracy",
    "pipeline",
    "dense",
    "idphoto",
    "idmake",
    "fusion",
    "load",
    "scale",
    "idmake_matting",
    "result_page",
]


def main() -> int:
    print(f"Likeness benchmarks on {machine_line()}\n")
    failed = []
    for name in BENCHES:
        if importlib.util.find_spec(f"bench.{name}") is None:
            continue
        print(f"=== bench.{name} " + "=" * 50, flush=True)
        code = subprocess.call([sys.executable, "-m", f"bench.{name}"], cwd=ROOT)
        if code:
            failed.append(name)
        print(flush=True)
    if failed:
        print(f"benchmarks that reported a problem: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
