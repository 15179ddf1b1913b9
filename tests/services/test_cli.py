"""python -m webapp faceshape: one API response body per line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ..conftest import DATA

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "webapp", "faceshape", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_it_prints_one_body_per_image(tmp_path):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    run = _run(str(DATA / "faces" / "two_people.jpg"), str(empty), "--mode", "1")
    assert run.returncode == 1  # one image failed
    first, second = (json.loads(line) for line in run.stdout.splitlines())
    assert first["code"] == 0 and first["message"] == "OK"
    data = first["data"]
    assert (data["image_width"], data["image_height"]) == (1126, 661)
    assert len(data["face_shape"]) == 1
    assert {k: len(v) for k, v in data["face_shape"][0].items()} == {
        "face_profile": 21, "left_eye": 8, "right_eye": 8, "left_eyebrow": 8,
        "right_eyebrow": 8, "mouth": 22, "nose": 13,
    }  # fmt: skip
    assert second["code"] != 0


def test_it_exits_0_when_every_image_succeeds():
    run = _run(
        str(DATA / "faces" / "astronaut.png"),
        str(DATA / "landmarks68" / "breakingbad.jpg"),
    )
    assert run.returncode == 0
    bodies = [json.loads(line) for line in run.stdout.splitlines()]
    assert [len(b["data"]["face_shape"]) for b in bodies] == [1, 2]
