"""Speed of the 88-point face shape, and of dlib's 68-point pipeline on the same photos.

``python -m bench.engine [--runs N] [--all-cores]`` prints medians over N runs
(after warm-up) of:

- decoding the file (``load_image``), separately;
- the engine: ``face_shape(image, mode=0)`` and ``mode=1``;
- dlib (benchmark-only extra: ``pip install .[bench]``): the HOG frontal face
  detector (one upsampling, as face_recognition does) plus
  ``shape_predictor_68_face_landmarks`` on every face it finds, and the
  ratio dlib / ours.

Photos: (a) tests/data/faces/astronaut.png, 512x512, one face; (b) a
1920x1080 picture of three faces composed here from three test photos.
By default the process is pinned to one core, the engine's cost target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from bench.common import PHONE_PHOTOS, ROOT, machine_line, phone_jpeg, verdict, verdict_at_least
from webapp.vision import encode_jpeg, face_shape, load_image, open_image, warm_up
from webapp.vision.fusion import fuse_faces, prepare_template
from webapp.vision.landmarks import dense_landmarks

FACES_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "faces"
COMPOSITION_SIZE = (1920, 1080)
#: (photo, vertical anchor of the crop: 0 top, 0.5 centre) for the three panels.
COMPOSITION_PANELS = (("obama2.jpg", 0.5), ("astronaut.png", 0.5), ("biden.jpg", 0.0))


def compose_three_faces() -> NDArray[np.uint8]:
    """A 1920x1080 RGB picture: three test photos side by side, one face each.

    Each panel is 640x1080: the photo scaled to cover it and cropped
    (horizontally centred; vertically at the panel's anchor). Deterministic.
    """
    width, height = COMPOSITION_SIZE
    panel_width = width // len(COMPOSITION_PANELS)
    canvas = Image.new("RGB", (width, height))
    for i, (name, anchor) in enumerate(COMPOSITION_PANELS):
        photo = Image.fromarray(load_image(FACES_DIR / name))
        scale = max(panel_width / photo.width, height / photo.height)
        size = (round(photo.width * scale), round(photo.height * scale))
        photo = photo.resize(size, Image.Resampling.LANCZOS)
        left = (size[0] - panel_width) // 2
        top = round((size[1] - height) * anchor)
        panel = photo.crop((left, top, left + panel_width, top + height))
        canvas.paste(panel, (i * panel_width, 0))
    return np.asarray(canvas)


def median_ms(function: Callable[[], Any], *, runs: int, warm: int = 3) -> float:
    """Median wall time of ``function()`` in milliseconds, after ``warm`` untimed calls."""
    for _ in range(warm):
        function()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def load_dlib() -> Callable[[NDArray[np.uint8]], list[Any]] | str:
    """dlib's HOG + 68-point pipeline as a function, or why it is unavailable."""
    try:
        import dlib
    except ImportError:
        return (
            "dlib is not installed "
            "(pip install 'dlib-bin==20.0.1.post1' 'face-recognition-models==0.3.0')"
        )
    model = _dlib_model_path()
    if model is None:
        return "face_recognition_models is not installed: no shape_predictor_68_face_landmarks.dat"
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(str(model))

    def landmarks68(image: NDArray[np.uint8]) -> list[Any]:
        return [predictor(image, box) for box in detector(image, 1)]

    return landmarks68


def _models_alone(image: NDArray[np.uint8], *, runs: int) -> float:
    """Median ms of MediaPipe's short-range detector and the landmark graph on its crop."""
    from webapp.vision import faces as engine

    photo = engine._Photo(image)
    detection = engine._detect(photo, 1)[0]
    scale = engine.CROP_SCALES[0]
    crop = photo.crop(engine._crop_transform(detection, scale))
    graphs = engine._graphs()

    def both() -> None:
        graphs.short.process(image)
        graphs.landmarks.process(crop, region=engine.REGION_SCALE / scale)

    return median_ms(both, runs=runs)


def _dlib_model_path() -> Path | None:
    # face_recognition_models' own helper needs pkg_resources; find the file directly.
    import importlib.util

    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    package = Path(list(spec.submodule_search_locations)[0])
    path = package / "models" / "shape_predictor_68_face_landmarks.dat"
    return path if path.exists() else None


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.engine")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--all-cores", action="store_true", help="do not pin to one core")
    args = parser.parse_args(argv)
    if not args.all_cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: {machine_line()}; this process uses {usable} core(s)")
    print(f"runs: median of {args.runs} after warm-up")
    started = time.perf_counter()
    warm_up()
    print(f"warm_up (graphs created and run once): {(time.perf_counter() - started) * 1000:.0f} ms")

    astronaut_file = (FACES_DIR / "astronaut.png").read_bytes()
    composed = compose_three_faces()
    photos = {
        "astronaut.png 512x512 (PNG)": astronaut_file,
        "composed 1920x1080, 3 faces (JPEG q92)": encode_jpeg(composed),
    }
    dlib_run = load_dlib()
    if isinstance(dlib_run, str):
        print(f"dlib: skipped, {dlib_run}")
    for label, data in photos.items():
        image = load_image(data)
        decode = median_ms(lambda data=data: load_image(data), runs=args.runs)
        faces = len(face_shape(image, mode=0).faces)
        ours = median_ms(lambda image=image: face_shape(image, mode=0), runs=args.runs)
        ours_largest = median_ms(lambda image=image: face_shape(image, mode=1), runs=args.runs)
        print(f"\n{label}")
        print(f"  decode (load_image)                {decode:8.1f} ms")
        target = f"  {verdict(ours, 15)}" if faces == 1 else ""
        print(f"  ours: face_shape mode=0, {faces} face(s) {ours:8.1f} ms{target}")
        print(f"  ours: face_shape mode=1            {ours_largest:8.1f} ms")
        if not isinstance(dlib_run, str):
            found = len(dlib_run(image))
            theirs = median_ms(lambda image=image: dlib_run(image), runs=args.runs, warm=1)
            print(f"  dlib: HOG(upsample=1) + 68 points, {found} face(s) {theirs:8.1f} ms")
            ratio = theirs / ours
            target = f"  {verdict_at_least(ratio, 20)}" if faces == 1 else ""
            print(f"  ratio dlib / ours (mode=0)         {ratio:8.1f} x{target}")
            if faces == 1:
                floor = _models_alone(image, runs=args.runs)
                print(
                    f"  the two models alone (detector + landmark graph) {floor:5.1f} ms: "
                    f"dlib / that = {theirs / floor:.1f} x, the most any code around them reaches"
                )
                _command_line(data, theirs_with_decode=theirs + decode, runs=args.runs)
    _phone_photos(runs=max(5, args.runs // 3))
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


#: Photos in one run of the command line.
CLI_PHOTOS = 40


def _command_line(data: bytes, *, theirs_with_decode: float, runs: int) -> None:
    """Per photo through ``python -m webapp faceshape`` over CLI_PHOTOS copies, against dlib.

    The command prints each answer as it is ready: the time per photo is the
    time between the first and the last answer over the photos in between
    (the process's start and its graphs' loading, once per run, left out).
    dlib's figure is the same photo decoded and run in-process (decode +
    detector + 68 points), as a loop over files would spend at best.
    """
    with tempfile.TemporaryDirectory(prefix="likeness-cli-") as folder:
        paths = []
        for i in range(CLI_PHOTOS):
            path = Path(folder) / f"photo{i:02d}.png"
            path.write_bytes(data)
            paths.append(str(path))
        per_photo = []
        for _ in range(max(3, runs // 10)):
            process = subprocess.Popen(
                [sys.executable, "-m", "webapp", "faceshape", "--mode", "0", *paths],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                cwd=ROOT,
            )
            assert process.stdout is not None
            arrivals = [time.perf_counter() for _line in process.stdout]
            process.wait()
            if len(arrivals) == CLI_PHOTOS:
                per_photo.append((arrivals[-1] - arrivals[0]) * 1000 / (CLI_PHOTOS - 1))
    if not per_photo:
        print("  command line: did not answer every photo")
        return
    ours = statistics.median(per_photo)
    ratio = theirs_with_decode / ours
    print(f"  command line, per photo over {CLI_PHOTOS} photos {ours:8.1f} ms")
    print(f"  dlib per photo with its decode     {theirs_with_decode:8.1f} ms")
    print(f"  ratio dlib / command line          {ratio:8.1f} x  {verdict_at_least(ratio, 15)}")


def _phone_photos(*, runs: int) -> None:
    """Phone JPEGs decoded whole then searched, against decoded only as far as needed."""
    print(f"\nphone JPEGs (made here from the test photos, EXIF orientation), median of {runs}")
    for name in PHONE_PHOTOS:
        data = phone_jpeg(name)
        mode = 0 if "group" in name else 1
        whole = median_ms(
            lambda data=data, mode=mode: face_shape(load_image(data, **PHONE_LIMITS), mode=mode),
            runs=runs,
            warm=1,
        )
        demand = median_ms(
            lambda data=data, mode=mode: face_shape(open_image(data, **PHONE_LIMITS), mode=mode),
            runs=runs,
            warm=1,
        )
        what = "every face" if mode == 0 else "largest face"
        print(
            f"  {name}, {what}: decoded whole + engine {whole:7.1f} ms; "
            f"decoded as needed + engine {demand:7.1f} ms ({whole / demand:.1f}x)"
        )
    # The other services that take a phone photo: dense landmarks (hairline) and fusion.
    data = phone_jpeg("12 MP portrait")
    template = load_image(FACES_DIR / "astronaut.png")
    faces = prepare_template(template)
    for what, run in (
        ("dense landmarks", lambda image: dense_landmarks(image)),
        ("fusion into a 512x512 template", lambda image: fuse_faces(template, faces, image)),
    ):
        whole = median_ms(lambda run=run: run(load_image(data, **PHONE_LIMITS)), runs=runs, warm=1)
        demand = median_ms(lambda run=run: run(open_image(data, **PHONE_LIMITS)), runs=runs, warm=1)
        print(
            f"  12 MP portrait, {what}: decoded whole {whole:7.1f} ms; "
            f"decoded as needed {demand:7.1f} ms ({whole / demand:.1f}x)"
        )


PHONE_LIMITS = {"max_bytes": 20 * 2**20, "max_pixels": 40_000_000}


if __name__ == "__main__":
    raise SystemExit(main())
