"""python -m webapp faceshape: one API response body per line."""

from __future__ import annotations

import json
import subprocess
import sys
import time
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


def test_a_batch_is_answered_photo_by_photo():
    # 40 photos in one process: the graphs are loaded once, and each answer is
    # written as soon as it is ready, not when the batch ends.
    names = ["astronaut.png", "obama.jpg", "obama2.jpg", "two_people.jpg"]
    photos = [str(DATA / "faces" / names[i % len(names)]) for i in range(40)]
    process = subprocess.Popen(
        [sys.executable, "-m", "webapp", "faceshape", "--mode", "1", *photos],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    arrivals, bodies = [], []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            arrivals.append(time.monotonic())
            bodies.append(json.loads(line))
            if len(arrivals) == 1:
                # The first answer is out while the other 39 photos are still to do.
                assert process.poll() is None
        assert process.wait(timeout=120) == 0
    finally:
        process.kill()
    assert len(bodies) == 40 and all(b["code"] == 0 for b in bodies)
    sizes = {(b["data"]["image_width"], b["data"]["image_height"]) for b in bodies}
    assert len(sizes) == len(names)
    # Answers buffered to the end would all arrive within a few milliseconds.
    assert arrivals[-1] - arrivals[0] > 0.1
