"""How clean the ID-photo maker's matte is at the edge, and how fast, on one core.

For every photo (by default tests/data/idmake/matting_*.jpg; ``--folder`` for
another set), scaled to a 1000-pixel longer side, each method makes a matte
and the photo is composed on each target colour. Printed per method: the
mean halo (CIEDE2000 between the target and the band just outside the
person, :func:`webapp.vision.idmake.measure.halo_delta_e`), the share of
photos whose halo is at most 6, the mean background difference away from
the person, and the median time per photo (matte + composition; the
segmentation itself is timed apart). Times are the process's CPU time pinned
to one core: on a shared machine wall-clock times swing with other load,
CPU time much less::

    python -m bench.idmake_matting [--folder DIR] [--repeat 3] [--crops DIR]

Methods:

- ``segmentation``: MediaPipe's probability as the alpha, composed as is;
- ``guided``: the edge refined by one guided-filter pass, composed as is;
- ``refined+fg``: the product, timed whole: :func:`matting.matte_person`
  (its own segmentation; guided filter, colour-line estimate, finer guided
  passes on a copy at most 640 pixels long) and :func:`background.compose`
  (the foreground colours estimated on the edge);
- ``closed-form+fg``: pymatting's closed-form matting on the edge band and
  its multi-level foreground estimation (only when pymatting is importable;
  it is not a dependency).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from bench.common import DATA, machine_line, verdict
from webapp.vision import load_image
from webapp.vision.idmake import background, matting
from webapp.vision.idmake.measure import background_delta_e, delta_e2000, halo_band
from webapp.vision.person import segment_person, warm_up_person

SIDE = 1000
TARGETS = {"blue": (67, 142, 219), "white": (255, 255, 255), "red": (255, 0, 0)}
HALO_TARGET = 6.0
BACKGROUND_TARGET = 2.0
TIME_TARGET_MS = 80.0
MATTE_TIMES: list[float] = []


def _scaled(image: np.ndarray) -> np.ndarray:
    scale = SIDE / max(image.shape[:2])
    size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


def _plain(image, alpha, colour):
    weight = alpha[..., None]
    out = image.astype(np.float32) * weight + np.asarray(colour, np.float32) * (1 - weight)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _composer(image, alpha, foreground=None):
    if foreground is None:
        foreground = image.astype(np.float32)

    def compose(colour):
        weight = alpha[..., None]
        out = foreground * weight + np.asarray(colour, np.float32) * (1 - weight)
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)

    return compose


def _methods() -> dict[str, Callable]:
    def segmentation(image, probability):
        return probability, _composer(image, probability)

    def guided(image, probability):
        # One guided pass and a stretch: the first version of the matte.
        side = max(image.shape[:2])
        radius = max(2, round(matting.GUIDE_RADIUS * side))
        guide = image.astype(np.float32) / 255.0
        alpha = cv2.ximgproc.guidedFilter(guide, probability, radius, matting.GUIDE_EPS)
        alpha = np.clip((alpha - 0.5) * 2.0 + 0.5, 0, 1).astype(np.float32)
        return alpha, _composer(image, alpha)

    def product(image, probability):
        # The product: matte_person (its own segmentation, on its working
        # copy) and compose's foreground estimation. Timed whole, and the
        # matte alone.
        start = time.process_time()
        alpha = matting.matte_person(image)
        MATTE_TIMES.append(time.process_time() - start)
        return alpha, lambda colour: background.compose(image, alpha, colour)

    methods = {"segmentation": segmentation, "guided": guided, "refined+fg": product}
    try:
        import pymatting
    except ImportError:
        return methods

    def closed_form(image, probability):
        hard = (probability >= 0.5).astype(np.uint8)
        band = max(3, round(matting.BAND * max(image.shape[:2])))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
        trimap = np.full(hard.shape, 0.5)
        trimap[cv2.erode(hard, kernel) > 0] = 1.0
        trimap[cv2.dilate(hard, kernel) == 0] = 0.0
        photo = image.astype(np.float64) / 255.0
        alpha = pymatting.estimate_alpha_cf(photo, trimap).astype(np.float32)
        foreground = (pymatting.estimate_foreground_ml(photo, alpha) * 255.0).astype(np.float32)
        return alpha, _composer(image, alpha, foreground)

    methods["closed-form+fg"] = closed_form
    return methods


def _halo(composed, alpha, colour) -> float:
    band = halo_band(alpha)
    return float(delta_e2000(composed[band], colour).mean()) if band.any() else 0.0


def run(folder: Path, pattern: str, repeat: int, crops: Path | None) -> int:
    paths = sorted(folder.glob(pattern))
    if not paths:
        print(f"no photos matching {pattern} in {folder}")
        return 1
    warm_up_person()
    methods = _methods()
    halos = {name: [] for name in methods}
    backgrounds = {name: [] for name in methods}
    times = {name: [] for name in methods}
    segment_times = []
    for path in paths:
        image = _scaled(load_image(path))
        runs = []
        for _ in range(repeat):
            start = time.process_time()
            probability = segment_person(image)
            runs.append(time.process_time() - start)
        segment_times.append(statistics.median(runs))
        for name, method in methods.items():
            runs = []
            for _ in range(repeat if name != "closed-form+fg" else 1):
                start = time.process_time()
                alpha, compose = method(image, probability)
                composed = compose(TARGETS["blue"])
                runs.append(time.process_time() - start)
            times[name].append(statistics.median(runs))
            for colour in TARGETS.values():
                composed = compose(colour)
                halos[name].append(_halo(composed, alpha, colour))
                backgrounds[name].append(background_delta_e(composed, alpha, colour))
            if crops is not None and name == "refined+fg":
                _save_crop(crops, path.stem, image, alpha, compose(TARGETS["blue"]))
        print(
            f"  {path.name}: " + ", ".join(f"{n} {halos[n][-3]:.1f}" for n in methods), flush=True
        )

    print(
        f"\n{len(paths)} photos at {SIDE} px, targets {', '.join(TARGETS)}; segmentation "
        f"{statistics.median(segment_times) * 1000:.0f} ms median"
    )
    print(f"{'method':16} {'halo mean':>9} {'halo<=6':>8} {'bg mean':>8} {'ms median':>9}")
    for name in methods:
        share = np.mean(np.asarray(halos[name]) <= HALO_TARGET)
        print(
            f"{name:16} {np.mean(halos[name]):9.2f} {share:8.0%} {np.mean(backgrounds[name]):8.2f}"
            f" {statistics.median(times[name]) * 1000:9.1f}"
        )
    product = "refined+fg"
    halo_share = float(np.mean(np.asarray(halos[product]) <= HALO_TARGET))
    total_ms = statistics.median(times[product]) * 1000
    matte_ms = statistics.median(MATTE_TIMES) * 1000
    print(
        f"\n{product}: halo <= {HALO_TARGET:g} on {halo_share:.0%} of photo-colour pairs "
        "(target >= 95%)"
    )
    mean_background = float(np.mean(backgrounds[product]))
    print(
        f"{product}: background {mean_background:.2f} {verdict(mean_background, BACKGROUND_TARGET)}"
    )
    print(
        f"{product}: segmentation + matte {matte_ms:.0f} ms {verdict(matte_ms, TIME_TARGET_MS)}; "
        f"with compose {total_ms:.0f} ms"
    )
    return 0


def _save_crop(folder: Path, stem: str, image, alpha, composed) -> None:
    """The top of the head (where the hair is): photo, matte and result side by side."""
    folder.mkdir(parents=True, exist_ok=True)
    ys, xs = np.nonzero(alpha > 0.5)
    if not len(ys):
        return
    top = ys.min()
    cx = int(np.median(xs[ys < top + 40])) if (ys < top + 40).any() else image.shape[1] // 2
    half = 120
    y0, x0 = max(0, top - 40), max(0, cx - half)
    window = (slice(y0, y0 + 2 * half), slice(x0, x0 + 2 * half))
    matte = np.repeat((alpha[window] * 255).astype(np.uint8)[..., None], 3, axis=2)
    strip = np.hstack([image[window], matte, composed[window]])
    cv2.imwrite(str(folder / f"{stem}.png"), cv2.cvtColor(strip, cv2.COLOR_RGB2BGR))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=DATA / "idmake")
    parser.add_argument("--pattern", default="matting_*.jpg")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--crops", type=Path, default=None, help="save hair-edge crops here")
    parser.add_argument("--all-cores", action="store_true")
    args = parser.parse_args()
    if not args.all_cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    cv2.setNumThreads(1)
    print(f"ID-photo matte on {machine_line()}")
    return run(args.folder, args.pattern, args.repeat, args.crops)


if __name__ == "__main__":
    raise SystemExit(main())
