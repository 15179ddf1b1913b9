"""Accuracy of the 88-point face shape against iBUG 68-point ground truth.

``python -m bench.accuracy [DATA_DIR]`` prints, per image, the mean error of
the 14 points that both layouts name (tests/data/README.md gives the
mapping), normalised by the outer eye-corner distance |p36 - p45| of the
ground truth, and whether every annotated face was found; with the landmark
refinement (``webapp/vision/refine.py``) and without it.

Then, on the annotated faces of ``tests/data/landmarks68`` and on the
held-out ``helen-test`` crops of the 68-point training folder (its path in
``LANDMARKS68_TRAIN``; skipped when it is absent), it compares refined,
unrefined and dlib's 68-point predictor (benchmark-only extra) on the faces
dlib finds, counts the faces each finds, and times the refinement per face
on one core. Last, every third helen-test face enlarged to a phone photo's
size (a 4032-px JPEG) and decoded whole or on demand: the three annotated
faces of tests/data are too few to tell the two decodings apart (one brow
end of one face moves by a tenth of the eye distance).
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps

from bench.common import verdict
from webapp.vision import FaceShape, ImageError, detect_faces, face_shape, load_image, open_image
from webapp.vision.refine import refine_landmarks

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "landmarks68"
#: The 68-point training folder; its helen-test crops are held out of the fit.
TRAIN_DIR = Path(os.environ.get("LANDMARKS68_TRAIN", "/work/shared/testdata/landmarks68-train"))
HELD_OUT_GLOB = "helen-test__*.pts"

#: (88-point group, index) -> iBUG 68-point index (0-based).
POINT_PAIRS: dict[tuple[str, int], int] = {
    ("left_eye", 0): 36,
    ("left_eye", 4): 39,
    ("right_eye", 4): 42,
    ("right_eye", 0): 45,
    ("left_eyebrow", 0): 17,
    ("left_eyebrow", 4): 21,
    ("right_eyebrow", 4): 22,
    ("right_eyebrow", 0): 26,
    ("nose", 0): 30,
    ("mouth", 0): 48,
    ("mouth", 6): 54,
    ("mouth", 9): 51,
    ("mouth", 3): 57,
    ("face_profile", 10): 8,
}
#: A detected face is the annotated one when their boxes overlap this much.
MATCH_IOU = 0.3
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".webp")


def read_pts(path: Path) -> NDArray[np.float64]:
    """Read an iBUG ``.pts`` file as 0-based pixel coordinates, shape (68, 2)."""
    lines = path.read_text().splitlines()
    start = lines.index("{") + 1
    end = lines.index("}")
    points = np.array([[float(v) for v in line.split()] for line in lines[start:end]])
    return points - 1.0  # .pts files are 1-based


def read_photo(path: Path) -> NDArray[np.uint8]:
    """Decode a photo with the engine; formats it refuses (PPM) go through Pillow."""
    try:
        return load_image(path)
    except ImageError as exc:
        if exc.code != "unsupported_format":
            raise
    with Image.open(path) as im:
        return np.array(ImageOps.exif_transpose(im).convert("RGB"))


def image_error(result: FaceShape, truth: NDArray[np.float64]) -> dict[str, Any]:
    """Match the annotated face among the results and measure its 14 points."""
    truth_box = _box(truth)
    best, best_iou = None, 0.0
    for face in result.faces:
        points = np.array(
            [
                p
                for group in (
                    "face_profile",
                    "left_eye",
                    "right_eye",
                    "left_eyebrow",
                    "right_eyebrow",
                    "mouth",
                    "nose",
                )
                for p in getattr(face, group)
            ],
            dtype=np.float64,
        )
        iou = _iou(_box(points), truth_box)
        if iou > best_iou:
            best, best_iou = face, iou
    if best is None or best_iou < MATCH_IOU:
        return {"found": False, "error": float("nan"), "errors": {}}
    scale = float(np.hypot(*(truth[36] - truth[45])))
    errors = {}
    for (group, index), ibug in POINT_PAIRS.items():
        x, y = getattr(best, group)[index]
        distance = float(np.hypot(x - truth[ibug, 0], y - truth[ibug, 1]))
        errors[f"{group}[{index}]"] = distance / scale
    return {"found": True, "error": float(np.mean(list(errors.values()))), "errors": errors}


#: How the photo reaches the engine: decoded whole (``load_image``), decoded on
#: demand (``open_image``: reduced where that is enough), or enlarged to a phone
#: photo's size (longer side PHONE_SIDE, JPEG) and then decoded whole or on demand.
WAYS = ("whole", "on demand", "phone size, whole", "phone size, on demand")
PHONE_SIDE = 4032


def _engine_input(photo: Path, truth: NDArray[np.float64], way: str) -> tuple[Any, Any]:
    """The photo as ``way`` gives it to the engine, and the ground truth in its pixels."""
    if way == "whole":
        return read_photo(photo), truth
    if way == "on demand":
        try:
            return open_image(photo), truth
        except ImageError:  # PPM: only through Pillow
            return read_photo(photo), truth
    image = read_photo(photo)
    factor = PHONE_SIDE / max(image.shape[:2])
    size = (round(image.shape[1] * factor), round(image.shape[0] * factor))
    buf = io.BytesIO()
    Image.fromarray(image).resize(size, Image.Resampling.BICUBIC).save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    scaled = (truth + 0.5) * factor - 0.5  # pixel centres
    if way == "phone size, whole":
        return load_image(data), scaled
    return open_image(data), scaled


def faceshape_accuracy(
    data_dir: str | Path = DEFAULT_DATA_DIR,
    way: str = "whole",
    *,
    refine: bool = True,
    pattern: str = "*.pts",
) -> dict[str, Any]:
    """Measure every ``<name>.<image>`` + ``<name>.pts`` pair in ``data_dir``, given ``way``.

    ``refine`` is passed to :func:`webapp.vision.face_shape`; ``pattern``
    picks the ``.pts`` files.

    Returns
    -------
    dict
        ``images``: per image name, ``found`` (bool), ``error`` (mean normalised
        error of the 14 points) and ``errors`` (per point); ``mean_error``: the
        mean over images; ``all_found``: whether every annotated face was found.
    """
    images = _image_errors(sorted(Path(data_dir).glob(pattern)), way, refine=refine)
    found = [r["found"] for r in images.values()]
    errors = [r["error"] for r in images.values() if r["found"]]
    return {
        "images": images,
        "mean_error": float(np.mean(errors)) if errors else float("nan"),
        "all_found": bool(found) and all(found),
    }


def _image_errors(paths: list[Path], way: str, *, refine: bool = True) -> dict[str, Any]:
    """:func:`image_error` of each ``.pts`` file's photo given ``way``, by the photo's name."""
    images: dict[str, Any] = {}
    for pts in paths:
        photo = photo_of(pts)
        if photo is None:
            continue
        image, truth = _engine_input(photo, read_pts(pts), way)
        images[photo.name] = image_error(face_shape(image, mode=0, refine=refine), truth)
    return images


def photo_of(pts: Path) -> Path | None:
    """The image beside a ``.pts`` file, if any."""
    candidates = sorted(pts.parent.glob(pts.stem + ".*"))
    return next((p for p in candidates if p.suffix.lower() in IMAGE_SUFFIXES), None)


class Dlib:
    """dlib's HOG detector and 68-point predictor (the benchmark-only extra)."""

    def __init__(self) -> None:
        import dlib

        from bench.fusion import _models_dir

        self._dlib = dlib
        self._detector = dlib.get_frontal_face_detector()
        path = _models_dir() / "shape_predictor_68_face_landmarks.dat"
        self._predictor = dlib.shape_predictor(str(path))

    def points(self, image: NDArray[np.uint8], truth: NDArray[np.float64]):
        """dlib's 68 points of the annotated face (its box holds the points' centroid), or None."""
        image = np.ascontiguousarray(image)
        cx, cy = truth.mean(axis=0)
        for rect in self._detector(image, 1):
            if rect.left() <= cx <= rect.right() and rect.top() <= cy <= rect.bottom():
                shape = self._predictor(image, rect)
                return np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float64)
        return None


def core_error(points: NDArray[np.float64], truth: NDArray[np.float64]) -> float:
    """Mean distance of the 14 core points (iBUG indices) / |p36 - p45|."""
    core = list(POINT_PAIRS.values())
    scale = float(np.hypot(*(truth[36] - truth[45])))
    return float(np.hypot(*(points[core] - truth[core]).T).mean() / scale)


def compare(pts_files: list[Path], dlib: Dlib | None) -> dict[str, Any]:
    """Refined, unrefined and dlib on the same annotated faces; the refinement's cost."""
    rows = []
    costs, mesh_costs = [], []
    for pts in pts_files:
        photo = photo_of(pts)
        if photo is None:
            continue
        image, truth = read_photo(photo), read_pts(pts)
        row: dict[str, Any] = {"name": photo.name}
        for refine in (True, False):
            row[refine] = image_error(face_shape(image, mode=0, refine=refine), truth)
        started = time.perf_counter()
        faces = detect_faces(image)
        mesh_costs.append((time.perf_counter() - started) / max(1, len(faces)))
        for face in faces[:1]:
            runs = []
            for _ in range(5):
                started = time.perf_counter()
                refine_landmarks(face.mesh, image)  # the face's cut from the photo included
                runs.append(time.perf_counter() - started)
            costs.append(min(runs))
        found = dlib.points(image, truth) if dlib else None
        row["dlib"] = core_error(found, truth) if found is not None else None
        rows.append(row)
    return {"rows": rows, "cost": costs, "mesh_cost": mesh_costs}


def print_comparison(title: str, report: dict[str, Any], with_dlib: bool) -> None:
    rows = report["rows"]
    print(f"{title}: {len(rows)} annotated faces")
    found = sum(r[True]["found"] for r in rows)
    found_off = sum(r[False]["found"] for r in rows)
    line = f"  faces found: refined {found}, unrefined {found_off}"
    if with_dlib:
        line += f", dlib {sum(r['dlib'] is not None for r in rows)}"
    print(line + f" of {len(rows)}")
    both = [r for r in rows if r[True]["found"] and r[False]["found"]]
    on = [100 * r[True]["error"] for r in both]
    off = [100 * r[False]["error"] for r in both]
    if both:
        print(f"  every face found by us: refined {statistics.mean(on):.2f}% "
              f"(median {statistics.median(on):.2f}%), unrefined {statistics.mean(off):.2f}% "
              f"(median {statistics.median(off):.2f}%)")  # fmt: skip
    if with_dlib:
        shared = [r for r in both if r["dlib"] is not None]
        if shared:
            on = statistics.mean(100 * r[True]["error"] for r in shared)
            off = statistics.mean(100 * r[False]["error"] for r in shared)
            theirs = statistics.mean(100 * r["dlib"] for r in shared)
            verdict_word = "BELOW dlib" if on < theirs else "not below dlib"
            print(f"  the {len(shared)} faces dlib finds: refined {on:.2f}%, unrefined {off:.2f}%, "
                  f"dlib {theirs:.2f}%  ({verdict_word})")  # fmt: skip
    cost = 1000 * statistics.median(report["cost"]) if report["cost"] else float("nan")
    mesh = 1000 * statistics.median(report["mesh_cost"]) if report["mesh_cost"] else float("nan")
    print(f"  refinement cost: median {cost:.2f} ms per face (detection + mesh: {mesh:.1f} ms "
          f"per face in the same run)")  # fmt: skip


def _box(points: NDArray[np.float64]) -> tuple[float, float, float, float]:
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    return float(x0), float(y0), float(x1 - x0), float(y1 - y0)


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    union = a[2] * a[3] + b[2] * b[3] - ix * iy
    return ix * iy / union if union > 0 else 0.0


def main(argv: list[str] | None = None) -> int:
    """Print the errors, each way the photo can come; exit 1 if a face was missed."""
    args = sys.argv[1:] if argv is None else argv
    data_dir = Path(args[0]) if args else DEFAULT_DATA_DIR
    print(f"88-point face shape vs iBUG 68 ground truth in {data_dir}")
    print("error = mean distance of 14 points / outer eye-corner distance |p36-p45|")
    all_found = True
    reports = {}
    for way in WAYS:
        reports[way] = report = faceshape_accuracy(data_dir, way)
        print(f" decoded {way}:")
        for name, r in report["images"].items():
            if not r["found"]:
                print(f"  {name:20s} annotated face NOT found")
                continue
            worst = max(r["errors"], key=r["errors"].get)
            worst_error = 100 * r["errors"][worst]
            print(f"  {name:20s} {100 * r['error']:5.2f}%   worst {worst} {worst_error:.1f}%")
        mean = 100 * report["mean_error"]
        print(f"  {'mean':20s} {mean:5.2f}%   {verdict(mean, 4)}")
        print(f"  every annotated face found: {'yes' if report['all_found'] else 'NO'}")
        all_found = all_found and report["all_found"]
    for whole, demand in ((WAYS[0], WAYS[1]), (WAYS[2], WAYS[3])):
        print(f"on demand vs whole ({whole}): {_comparison(reports[whole], reports[demand])}")
    off = faceshape_accuracy(data_dir, refine=False)
    print(
        f"  without the refinement (LANDMARK_REFINEMENT off): mean {100 * off['mean_error']:.2f}%"
    )
    print()
    _pin_one_core()
    try:
        dlib: Dlib | None = Dlib()
    except (ImportError, RuntimeError) as exc:
        print(f"dlib: SKIPPED ({exc}); install the bench extra")
        dlib = None
    print("core-point error (14 points / |p36-p45|), with and without the refinement")
    print_comparison(
        f"tests/data ({data_dir.name})",
        compare(sorted(data_dir.glob("*.pts")), dlib),
        dlib is not None,
    )
    held_out = sorted(TRAIN_DIR.glob(HELD_OUT_GLOB))
    if held_out:
        print_comparison(
            f"held-out helen-test ({TRAIN_DIR})", compare(held_out, dlib), dlib is not None
        )
    else:
        print(f"held-out helen-test: SKIPPED ({TRAIN_DIR} has no {HELD_OUT_GLOB})")
    if held_out:
        sample = held_out[::PHONE_SAMPLE_STEP]
        whole, demand = (_image_errors(sample, way) for way in WAYS[2:])
        both = [n for n in whole if whole[n]["found"] and demand[n]["found"]]
        a = np.array([whole[n]["error"] for n in both])
        b = np.array([demand[n]["error"] for n in both])
        print(
            f"phone size on helen-test (1 face in {PHONE_SAMPLE_STEP}, {len(sample)}): "
            f"whole {100 * a.mean():.2f}%, on demand {100 * b.mean():.2f}% over the {len(both)} "
            f"both found; on demand better for {int((b < a).sum())}: "
            f"{'unchanged or better' if b.mean() <= a.mean() + 0.0001 else 'WORSE'}"
        )
    return 0 if all_found else 1


#: The phone-size comparison on helen-test takes every this many-th face (each is
#: enlarged to a 12-megapixel JPEG and decoded whole and on demand).
PHONE_SAMPLE_STEP = 3


def _comparison(whole: dict[str, Any], demand: dict[str, Any]) -> str:
    """Faces found each way, and the mean error over the faces both found."""
    both = [n for n, r in whole["images"].items() if r["found"] and demand["images"][n]["found"]]
    found = [sum(r["found"] for r in report["images"].values()) for report in (whole, demand)]
    if not both:
        return f"faces found {found[1]} vs {found[0]}"
    errors = [100 * np.mean([rep["images"][n]["error"] for n in both]) for rep in (whole, demand)]
    same = found[1] >= found[0] and errors[1] <= errors[0] + 0.05
    return (
        f"faces found {found[1]} vs {found[0]}; mean error over the {len(both)} both found "
        f"{errors[1]:.2f}% vs {errors[0]:.2f}%: {'unchanged or better' if same else 'WORSE'}"
    )


def _pin_one_core() -> None:
    """Time on one core, as the engine's other benchmarks do."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


if __name__ == "__main__":
    sys.exit(main())
