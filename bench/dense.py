"""Dense landmarks (Face++ ``thousandlandmark``): speed, hairline share, accuracy, order.

``python -m bench.dense`` prints:

- the engine's milliseconds for the whole dense call on a 512x512 photo
  (tests/data/faces/astronaut.png), mesh included, and the share of it spent
  on the hairline: medians over repeated runs in one warm thread;
- the accuracy against the iBUG 68-point annotations in tests/data/landmarks68:
  for each annotated eyebrow (17-26), eye (36-47), lip (48-67) and jaw (0-16)
  point, the distance to the matching dense polyline, normalised by the outer
  eye-corner distance |p36 - p45|, per image and mean;
- whether every sequence runs in order along its path: no self-crossing and no
  backtracking between its pinned corners;
- the hairline method used on every test photo (skin edge or estimate).
"""

from __future__ import annotations

import itertools
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from webapp.vision import detect_faces, load_image, warm_up
from webapp.vision.landmarks.dense import DenseLandmarks, dense_landmarks
from webapp.vision.landmarks.hairline import find_hairline

from .accuracy import _iou, read_photo, read_pts
from .common import DATA, machine_line, photo_path, verdict

RUNS = 40
WARM_UP = 5
TARGET_MS = 30.0
TARGET_ERROR = 0.03

#: iBUG 68-point indices (0-based) measured against each dense polyline.
#: "jaw" is face_contour_left reversed then face_contour_right (left ear, chin, right ear).
IBUG_TO_POLYLINE: dict[str, tuple[int, ...]] = {
    "jaw": tuple(range(0, 17)),
    "left_eyebrow": tuple(range(17, 22)),
    "right_eyebrow": tuple(range(22, 27)),
    "left_eye": tuple(range(36, 42)),
    "right_eye": tuple(range(42, 48)),
    "upper_lip_outer": (48, 49, 50, 51, 52, 53, 54),
    "lower_lip_outer": (54, 55, 56, 57, 58, 59, 48),
    "upper_lip_inner": (60, 61, 62, 63, 64),
    "lower_lip_inner": (64, 65, 66, 67, 60),
}
GROUPS = {
    "eyebrows": ("left_eyebrow", "right_eyebrow"),
    "eyes": ("left_eye", "right_eye"),
    "lips": ("upper_lip_outer", "lower_lip_outer", "upper_lip_inner", "lower_lip_inner"),
    "jaw": ("jaw",),
}
#: Closed sequences and the index of their second pinned corner.
CLOSED = {
    "left_eyebrow": 32,
    "right_eyebrow": 32,
    "left_eye": 31,
    "right_eye": 31,
    "upper_lip": 32,
    "lower_lip": 32,
}
PHOTOS = (
    "faces/astronaut.png",
    "faces/obama.jpg",
    "faces/obama2.jpg",
    "faces/biden.jpg",
    "faces/two_people.jpg",
    "faces/obama_partial_face.jpg",
    "faces/32bit.png",
    "landmarks68/einstein.jpg",
    "landmarks68/breakingbad.jpg",
    "landmarks68/takeo.ppm",
)


# --- reading results ---------------------------------------------------------------


def sequences(result: DenseLandmarks) -> dict[str, NDArray[np.float64]]:
    """Every numbered sequence of a result as an (N, 2) array, e.g. ``"upper_lip"``."""
    numbered: dict[str, dict[int, tuple[int, int]]] = {}
    for part in result.landmark.values():
        for name, value in part.items():
            prefix, _, index = name.rpartition("_")
            if index.isdigit() and isinstance(value, tuple):
                numbered.setdefault(prefix, {})[int(index)] = value
    return {
        prefix: np.array([points[i] for i in range(len(points))], dtype=np.float64)
        for prefix, points in numbered.items()
    }


def polylines(result: DenseLandmarks) -> dict[str, NDArray[np.float64]]:
    """The polylines the iBUG points are measured against (see ``IBUG_TO_POLYLINE``)."""
    seq = sequences(result)
    upper, lower = seq["upper_lip"], seq["lower_lip"]
    return {
        "jaw": np.vstack([seq["face_contour_left"][::-1], seq["face_contour_right"][1:]]),
        "left_eyebrow": _closed(seq["left_eyebrow"]),
        "right_eyebrow": _closed(seq["right_eyebrow"]),
        "left_eye": _closed(seq["left_eye"]),
        "right_eye": _closed(seq["right_eye"]),
        "upper_lip_outer": upper[:33],
        "lower_lip_outer": lower[:33],
        "upper_lip_inner": np.vstack([upper[32:], upper[:1]]),
        "lower_lip_inner": np.vstack([lower[32:], lower[:1]]),
    }


def _closed(points: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.vstack([points, points[:1]])


def point_to_polyline(point: NDArray[np.float64], line: NDArray[np.float64]) -> float:
    """Shortest distance from a point to a polyline's segments."""
    a, b = line[:-1], line[1:]
    ab = b - a
    length2 = np.maximum((ab * ab).sum(axis=1), 1e-12)
    t = np.clip(((point - a) * ab).sum(axis=1) / length2, 0.0, 1.0)
    nearest = a + t[:, None] * ab
    return float(np.hypot(*(nearest - point).T).min())


# --- accuracy ----------------------------------------------------------------------


def image_accuracy(result: DenseLandmarks, truth: NDArray[np.float64]) -> dict[str, Any]:
    """Normalised point-to-polyline errors of one annotated face, by polyline and group."""
    if not result.found:
        return {"found": False}
    lines = polylines(result)
    seq = sequences(result)
    box = _bounds(np.vstack(list(seq.values())))
    if _iou(box, _bounds(truth)) < 0.3:
        return {"found": False}  # the largest face is not the annotated one
    scale = float(np.hypot(*(truth[36] - truth[45])))
    per_line = {
        name: [point_to_polyline(truth[i], lines[name]) / scale for i in indices]
        for name, indices in IBUG_TO_POLYLINE.items()
    }
    groups = {
        g: float(np.mean([e for n in names for e in per_line[n]])) for g, names in GROUPS.items()
    }
    every = [e for errors in per_line.values() for e in errors]
    return {
        "found": True,
        "groups": groups,
        "mean": float(np.mean(every)),
        "max": float(np.max(every)),
    }


def _bounds(points: NDArray[np.float64]) -> tuple[float, float, float, float]:
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    return float(x0), float(y0), float(x1 - x0), float(y1 - y0)


def accuracy(data_dir: Path = DATA / "landmarks68", *, refine: bool = True) -> dict[str, Any]:
    """Measure every ``<name>.<image>`` + ``<name>.pts`` pair in ``data_dir``."""
    images = {}
    for pts in sorted(data_dir.glob("*.pts")):
        photo = next(p for p in sorted(data_dir.glob(pts.stem + ".*")) if p.suffix != ".pts")
        result = dense_landmarks(read_photo(photo), refine=refine)
        images[photo.name] = image_accuracy(result, read_pts(pts))
    found = [r for r in images.values() if r["found"]]
    mean = float(np.mean([r["mean"] for r in found])) if found else float("nan")
    return {"images": images, "mean": mean, "all_found": len(found) == len(images)}


# --- order -------------------------------------------------------------------------


def order_problems(result: DenseLandmarks) -> list[str]:
    """Names of the sequences that cross themselves or backtrack (empty when all is well)."""
    problems = []
    for name, points in sequences(result).items():
        corner = CLOSED.get(name)
        if corner is None:
            pieces, whole = [points], points
        else:
            pieces, whole = [points[: corner + 1], _closed(points)[corner:]], _closed(points)
        if any(backtracks(piece) for piece in pieces) or crosses_itself(whole):
            problems.append(name)
    return problems


def backtracks(
    points: NDArray[np.float64], *, min_step: float = 1.5, max_turn: float = 120.0
) -> bool:
    """Whether a polyline turns back on itself.

    Integer rounding makes tiny zigzags, so consecutive points are merged
    into steps of at least ``min_step`` pixels before the turning angle
    between successive steps is compared with ``max_turn`` degrees.
    """
    steps, anchor = [], points[0]
    for p in points[1:]:
        if np.hypot(*(p - anchor)) >= min_step:
            steps.append(p - anchor)
            anchor = p
    for u, v in itertools.pairwise(steps):
        cos = float(u @ v) / (np.linalg.norm(u) * np.linalg.norm(v))
        if cos < np.cos(np.radians(max_turn)):
            return True
    return False


def crosses_itself(points: NDArray[np.float64]) -> bool:
    """Whether two non-adjacent segments of a polyline properly cross."""
    keep = np.concatenate([[True], np.any(np.diff(points, axis=0) != 0, axis=1)])
    p = points[keep]
    a, b = p[:-1], p[1:]
    n = len(a)
    for i in range(n):
        j = np.arange(i + 2, n)
        if i == 0 and len(j) and np.all(p[0] == p[-1]):
            j = j[:-1]  # a closed loop's first and last segments meet at the start
        if not len(j):
            continue
        d1 = _cross(a[i], b[i], a[j])
        d2 = _cross(a[i], b[i], b[j])
        d3 = _cross(a[j], b[j], a[i][None, :])
        d4 = _cross(a[j], b[j], b[i][None, :])
        if np.any((d1 * d2 < 0) & (d3 * d4 < 0)):
            return True
    return False


def _cross(
    o: NDArray[np.float64], e: NDArray[np.float64], q: NDArray[np.float64]
) -> NDArray[np.float64]:
    oe, oq = e - o, q - o
    return oe[..., 0] * oq[..., 1] - oe[..., 1] * oq[..., 0]


# --- timing ------------------------------------------------------------------------


def timings(image: NDArray[np.uint8], runs: int = RUNS) -> dict[str, float]:
    """Median milliseconds of the whole call, the mesh alone and the hairline alone."""
    for _ in range(WARM_UP):
        dense_landmarks(image)
    total, mesh, hair = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        dense_landmarks(image)
        t1 = time.perf_counter()
        faces = detect_faces(image, max_faces=1)
        t2 = time.perf_counter()
        find_hairline(image, faces[0].mesh)
        t3 = time.perf_counter()
        total.append(t1 - t0)
        mesh.append(t2 - t1)
        hair.append(t3 - t2)
    return {
        key: 1000 * statistics.median(v)
        for key, v in (("total", total), ("mesh", mesh), ("hairline", hair))
    }


def main() -> None:
    print(f"Machine: {machine_line()}")
    warm_up()
    image = load_image(photo_path("astronaut.png"))
    t = timings(image)
    size = f"{image.shape[1]}x{image.shape[0]}"
    print(f"\nDense landmarks, astronaut.png {size}, median of {RUNS} runs, one thread:")
    print(f"  whole call (mesh included): {t['total']:.1f} ms {verdict(t['total'], TARGET_MS)}")
    print(
        f"  of which mesh (detect_faces): {t['mesh']:.1f} ms; hairline: {t['hairline']:.2f} ms "
        f"({100 * t['hairline'] / t['total']:.0f}% of the call); the other sequences: "
        f"{max(t['total'] - t['mesh'] - t['hairline'], 0):.2f} ms"
    )

    print("\nAccuracy against iBUG 68 points (point to dense polyline / |p36-p45|):")
    acc = accuracy()
    for name, r in acc["images"].items():
        if not r["found"]:
            print(f"  {name:16s} annotated face NOT found")
            continue
        groups = "  ".join(f"{g} {100 * e:.2f}%" for g, e in r["groups"].items())
        print(f"  {name:16s} mean {100 * r['mean']:.2f}%  (max {100 * r['max']:.1f}%)  {groups}")
    mean = 100 * acc["mean"]
    print(f"  mean over images: {mean:.2f}% {verdict(mean, 100 * TARGET_ERROR)}")
    off = accuracy(refine=False)
    print("  without the landmark refinement (LANDMARK_REFINEMENT off):")
    for name, r in off["images"].items():
        if r["found"]:
            groups = "  ".join(f"{g} {100 * e:.2f}%" for g, e in r["groups"].items())
            print(
                f"  {name:16s} mean {100 * r['mean']:.2f}%  (max {100 * r['max']:.1f}%)  {groups}"
            )
    print(f"  mean over images: {100 * off['mean']:.2f}%")

    print("\nOrder of every sequence, and hairline method, per photo:")
    bad = 0
    for name in PHOTOS:
        result = dense_landmarks(read_photo(DATA / name))
        if not result.found:
            print(f"  {name:30s} no face")
            continue
        problems = order_problems(result)
        bad += bool(problems)
        order = "in order" if not problems else "OUT OF ORDER: " + ", ".join(problems)
        print(
            f"  {name:30s} {order:24s}"
            f" hairline {result.hairline_method} (coverage {result.hairline_coverage:.2f})"
        )
    print(f"  {len(PHOTOS) - bad}/{len(PHOTOS)} photos with every sequence in order")


if __name__ == "__main__":
    main()
