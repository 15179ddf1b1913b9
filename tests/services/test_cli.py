"""python -m webapp faceshape: one API response body per line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

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


def test_ibug68_writes_a_pts_file_per_face(tmp_path):
    run = _run(
        str(DATA / "faces" / "two_people.jpg"), "--format", "ibug68", "--output-dir", str(tmp_path)
    )
    assert run.returncode == 0, run.stderr
    written = [Path(line) for line in run.stdout.splitlines()]
    assert [p.name for p in written] == ["two_people.pts", "two_people_2.pts"]
    for path in written:
        lines = path.read_text().splitlines()
        assert lines[:3] == ["version: 1", "n_points: 68", "{"] and lines[-1] == "}"
        points = [tuple(map(float, line.split())) for line in lines[3:-1]]
        assert len(points) == 68
        assert all(1 <= x <= 1126 and 1 <= y <= 661 for x, y in points)  # 1-based, in the photo


def test_ibug68_makes_its_folder_and_fails_an_image_without_a_face(tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), "white").save(blank)
    out = tmp_path / "out"
    run = _run(str(DATA / "faces" / "astronaut.png"), str(blank), "--format", "ibug68",
               "--output-dir", str(out))  # fmt: skip
    assert run.returncode == 1  # one image had no face
    assert (out / "astronaut.pts").exists() and not (out / "blank.pts").exists()
    assert "blank.png" in run.stderr


def test_tencent90_prints_90_points_per_face():
    run = _run(str(DATA / "faces" / "two_people.jpg"), "--format", "tencent90")
    assert run.returncode == 0, run.stderr
    body = json.loads(run.stdout)
    assert (body["ImageWidth"], body["ImageHeight"]) == (1126, 661)
    assert len(body["FaceShapeSet"]) == 2
    for face in body["FaceShapeSet"]:
        assert list(face)[-2:] == ["LeftPupil", "RightPupil"]
        assert sum(len(points) for points in face.values()) == 90


def test_the_setting_turns_the_refinement_off():
    photo = str(DATA / "faces" / "astronaut.png")
    unrefined = json.loads((ROOT / "tests" / "vision" / "faceshape_unrefined.json").read_text())
    off = subprocess.run(
        [sys.executable, "-m", "webapp", "faceshape", photo],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "LANDMARK_REFINEMENT": "False"},
    )
    on = _run(photo)
    faces_off = json.loads(off.stdout)["data"]["face_shape"]
    faces_on = json.loads(on.stdout)["data"]["face_shape"]
    expected = [
        {group: [{"x": x, "y": y} for x, y in points] for group, points in face.items()}
        for face in unrefined["faces/astronaut.png"]
    ]
    assert faces_off == expected
    assert faces_on != expected
