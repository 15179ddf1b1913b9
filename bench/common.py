"""What every benchmark prints and uses: the machine, the photos, the verdicts."""

from __future__ import annotations

import os
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


def machine_line() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def photo_path(name: str) -> Path:
    return DATA / "faces" / name


def verdict(value: float, target: float) -> str:
    """Say how a measured value compares with its target (lower is better)."""
    return f"(target <= {target:g}: {'met' if value <= target else 'MISSED'})"
