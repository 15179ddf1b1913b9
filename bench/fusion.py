"""Face fusion: identity, untouched surroundings, seams and speed.

For templates made from the test photos (1024x1024) and users from the
others, at shape 100 and features 100, prints:

- identity: dlib's 128-d face embedding distance of the result to the user
  and to the template. The result should be closer to the user, and within
  dlib's same-person threshold (0.6) of them. dlib is a benchmark-only extra
  (`pip install dlib-bin==20.0.1.post1 face-recognition-models==0.3.0`);
  without it this part is skipped with a note.
- the template outside the blended face: PSNR of the pixels where the
  mask the engine reports (FusionResult.face_mask, the whole region it
  changes: the blended face and the band the reshaped jaw moves) is 0, the
  mark's corner excluded, target >= 40 dB, and the share of those pixels
  that changed at all; at shape 100 and at shape 0 (both should be
  bit-exact: infinite PSNR, 0% changed).
- seams, the issue's measure: the mean gradient magnitude of the result in
  the mask's feathered edge (0 < mask < 255) must be no larger than inside
  the face (mask = 255), on every pair. The template's own gradient on the
  same edge is printed too, for information only (a jawline or an ear lying
  there makes the edge busy whatever the blend does).
- engine milliseconds per fusion on a 1024x1024 template whose faces are
  prepared once (median), with OpenCV limited to one thread; the process
  pins itself to one core.

`python -m bench.fusion [--out DIR] [--docs DIR]` (--out: write each result
as a PNG; --docs: also redraw the illustrations of docs/fusion/).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from webapp.vision.faces import detect_faces, warm_up
from webapp.vision.fusion import FusionResult, fuse_faces, prepare_template
from webapp.vision.images import load_image

from .common import DATA, machine_line, photo_path, verdict

SIZE = 1024
RUNS = 15
SAME_THRESHOLD = 0.6
PSNR_TARGET = 40.0
#: Pairs that show the same person twice: no identity verdict.
SAME_PERSON = {("obama", "obama2"), ("biden", "biden2"), ("astronaut", "astronaut")}

Image8 = NDArray[np.uint8]


def _square(image: Image8, *, top: int | None = None, side: int | None = None) -> Image8:
    """A square cut (centred across, from ``top`` down) resized to SIZE x SIZE."""
    height, width = image.shape[:2]
    side = side or min(height, width)
    top = (height - side) // 2 if top is None else top
    left = (width - side) // 2
    crop = image[top : top + side, left : left + side]
    interpolation = cv2.INTER_AREA if side > SIZE else cv2.INTER_CUBIC
    return cv2.resize(crop, (SIZE, SIZE), interpolation=interpolation)


def _face_crop(image: Image8, index: int) -> Image8:
    """A square around face ``index`` of a group photo, 1.8 times the face."""
    x, y, w, h = detect_faces(image)[index].box
    side = int(max(w, h) * 1.8)
    left, top = max(int(x + w / 2) - side // 2, 0), max(int(y + h / 2) - side // 2, 0)
    return np.ascontiguousarray(image[top : top + side, left : left + side])


def templates() -> dict[str, Image8]:
    return {
        "obama": _square(load_image(photo_path("obama.jpg")), top=0),
        "astronaut": _square(load_image(photo_path("astronaut.png"))),
        "biden": _square(load_image(photo_path("biden.jpg")), top=0),
    }


def users() -> dict[str, Image8]:
    breakingbad = load_image(DATA / "landmarks68" / "breakingbad.jpg")
    # load_image refuses PPM (not an upload format); the bench reads it directly.
    takeo = np.asarray(Image.open(DATA / "landmarks68" / "takeo.ppm").convert("RGB"))
    return {
        "takeo": takeo,
        "jesse": _face_crop(breakingbad, 1),
        "walter": _face_crop(breakingbad, 0),
        "obama2": load_image(photo_path("obama2.jpg")),
        "astronaut": load_image(photo_path("astronaut.png")),
        "biden2": _face_crop(load_image(photo_path("two_people.jpg")), 0),
    }


class Identity:
    """dlib's face recognition model (ResNet, 128-d), loaded on first use."""

    def __init__(self) -> None:
        import dlib  # benchmark-only extra

        models = _models_dir()
        self._dlib = dlib
        self._detector = dlib.get_frontal_face_detector()
        self._shape = dlib.shape_predictor(str(models / "shape_predictor_68_face_landmarks.dat"))
        self._model = dlib.face_recognition_model_v1(
            str(models / "dlib_face_recognition_resnet_model_v1.dat")
        )
        self.fallbacks = 0

    def embed(self, image: Image8) -> NDArray[np.float64] | None:
        """The embedding of the largest face (dlib's detector, else MediaPipe's box)."""
        image = np.ascontiguousarray(image)
        found = sorted(self._detector(image, 1), key=lambda r: -r.area())
        if found:
            rect = found[0]
        else:
            faces = detect_faces(image, max_faces=1)
            if not faces:
                return None
            x, y, w, h = faces[0].box
            rect = self._dlib.rectangle(int(x), int(y), int(x + w), int(y + h))
            self.fallbacks += 1
        shape = self._shape(image, rect)
        return np.array(self._model.compute_face_descriptor(image, shape, 1))


def _models_dir() -> Path:
    # Found without importing the package: its __init__ needs pkg_resources,
    # which recent setuptools no longer ship.
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("face_recognition_models is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def outside_psnr(template: Image8, result: FusionResult) -> tuple[float, float]:
    """PSNR (dB) and share of changed pixels where the blend mask is 0, mark excluded."""
    assert result.image is not None and result.face_mask is not None
    outside = result.face_mask == 0
    if result.mark_box is not None:
        x, y, w, h = result.mark_box
        outside[y : y + h, x : x + w] = False
    diff = result.image[outside].astype(np.float64) - template[outside]
    mse = float(np.mean(diff**2))
    changed = float(np.mean(np.any(diff != 0, axis=1)))
    psnr = float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)
    return psnr, changed


def seam(template: Image8, result: FusionResult) -> tuple[float, float, float]:
    """Mean gradient magnitude: result in the mask's edge, result inside, template in the edge."""
    assert result.image is not None and result.face_mask is not None
    mask = result.face_mask
    edge = (mask > 0) & (mask < 255)
    inside = mask == 255
    grad_result, grad_template = _gradient(result.image), _gradient(template)
    return (
        float(grad_result[edge].mean()),
        float(grad_result[inside].mean()),
        float(grad_template[edge].mean()),
    )


def _gradient(image: Image8) -> NDArray[np.float32]:
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return cv2.magnitude(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))


def timing(template: Image8, user: Image8) -> float:
    faces = prepare_template(template)
    fuse_faces(template, faces, user)
    runs = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fuse_faces(template, faces, user)
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def pin_to_one_core() -> str:
    """Run this process (and MediaPipe's threads, created later) on one CPU."""
    if not hasattr(os, "sched_setaffinity"):
        return "all cores (no CPU affinity on this system)"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"one core (CPU {cpu})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fusion", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--out", type=Path, help="write each 100/100 result here as a PNG")
    parser.add_argument("--docs", type=Path, help="redraw docs/fusion/'s JPEGs into this folder")
    args = parser.parse_args(argv)
    cores = pin_to_one_core()
    cv2.setNumThreads(1)
    warm_up()
    print(machine_line())
    print(f"running on {cores}; load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    identity = _identity()
    all_templates, all_users = templates(), users()
    rows = []
    for t_name, template in all_templates.items():
        faces = prepare_template(template)
        t_embedding = identity.embed(template) if identity else None
        for u_name, user in all_users.items():
            result = fuse_faces(template, faces, user)
            if not result.ok or result.image is None:
                print(f"{t_name:>9} <- {u_name:<9} failed: {result.reasons}")
                continue
            if args.out:
                args.out.mkdir(parents=True, exist_ok=True)
                Image.fromarray(result.image).save(args.out / f"{t_name}_{u_name}.png")
            row = _row(t_name, u_name, template, user, result, identity, t_embedding)
            row["psnr_shape0"], _ = outside_psnr(
                template, fuse_faces(template, faces, user, shape=0)
            )
            rows.append(row)
    _summary(rows, identity)
    if args.docs:
        write_docs(args.docs, all_templates, all_users)
    print("speed: 1024x1024 template (faces prepared once), OpenCV on 1 thread")
    for t_name, u_name in (("obama", "obama2"), ("biden", "jesse"), ("astronaut", "takeo")):
        ms = timing(all_templates[t_name], all_users[u_name])
        print(
            f"  {t_name} <- {u_name}: {ms:.0f} ms per fusion (median of {RUNS}) {verdict(ms, 300)}"
        )


def write_docs(
    folder: Path, all_templates: dict[str, Image8], all_users: dict[str, Image8]
) -> None:
    """Draw docs/fusion/'s illustrations, from the public-domain photos only."""
    folder.mkdir(parents=True, exist_ok=True)
    boxes = {name: prepare_template(image).boxes[0] for name, image in all_templates.items()}

    def crop(name: str, image: Image8) -> Image8:
        x, y, w, h = boxes[name]
        side = int(1.5 * max(w, h))
        left, top = max(int(x + w / 2 - side / 2), 0), max(int(y + h / 2 - side / 2), 0)
        part = image[top : top + side, left : left + side]
        return cv2.resize(part, (300, 300), interpolation=cv2.INTER_AREA)

    def square_user(name: str) -> Image8:
        x, y, w, h = detect_faces(all_users[name], max_faces=1)[0].box
        side = int(1.6 * max(w, h))
        left, top = max(int(x + w / 2 - side / 2), 0), max(int(y + h / 2 - side / 2), 0)
        part = all_users[name][top : top + side, left : left + side]
        return cv2.resize(part, (300, 300), interpolation=cv2.INTER_AREA)

    rows = []
    for t_name, u_name in (("astronaut", "obama2"), ("obama", "astronaut"), ("biden", "obama2")):
        template = all_templates[t_name]
        result = fuse_faces(template, prepare_template(template), all_users[u_name], mark=False)
        assert result.image is not None
        rows.append(
            np.hstack([crop(t_name, template), square_user(u_name), crop(t_name, result.image)])
        )
    _save(folder / "pairs.jpg", np.vstack(rows))

    template, user = all_templates["obama"], all_users["astronaut"]
    faces = prepare_template(template)
    tiles = []
    for shape, features in ((0, 0), (100, 0), (0, 100), (50, 50), (100, 100)):
        result = fuse_faces(template, faces, user, shape=shape, features=features, mark=False)
        assert result.image is not None
        tile = crop("obama", result.image).copy()
        cv2.putText(tile, f"shape {shape} features {features}", (8, 20), cv2.FONT_HERSHEY_SIMPLEX,
                    0.55, (255, 255, 255), 2, cv2.LINE_AA)  # fmt: skip
        tiles.append(tile)
    _save(folder / "degrees.jpg", np.hstack(tiles))

    overlays = []
    for t_name, u_name in (("astronaut", "obama2"), ("biden", "astronaut")):
        template = all_templates[t_name]
        result = fuse_faces(template, prepare_template(template), all_users[u_name], mark=False)
        assert result.image is not None and result.face_mask is not None
        alpha = result.face_mask[..., None].astype(np.float32) / 255 * 0.6
        tinted = (result.image * (1 - alpha) + np.array([0, 255, 0]) * alpha).astype(np.uint8)
        overlays.append(crop(t_name, tinted))
    marked = fuse_faces(all_templates["obama"], faces, all_users["astronaut"])
    assert marked.image is not None
    _save(folder / "mask.jpg", np.hstack(overlays))
    _save(folder / "marked.jpg", cv2.resize(marked.image, (512, 512), interpolation=cv2.INTER_AREA))


def _save(path: Path, image: Image8) -> None:
    Image.fromarray(image).save(path, "JPEG", quality=85)
    print(f"wrote {path}")


def _identity() -> Identity | None:
    try:
        return Identity()
    except ImportError as exc:
        print(f"identity: SKIPPED, dlib or its models are missing ({exc}); install the bench extra")
        return None


def _row(
    t_name: str,
    u_name: str,
    template: Image8,
    user: Image8,
    result: FusionResult,
    identity: Identity | None,
    t_embedding: NDArray | None,
) -> dict[str, Any]:
    assert result.image is not None
    psnr, changed = outside_psnr(template, result)
    edge, inside, template_edge = seam(template, result)
    row: dict[str, Any] = {
        "pair": (t_name, u_name), "psnr": psnr, "changed": changed,
        "edge": edge, "inside": inside, "template_edge": template_edge,
    }  # fmt: skip
    line = (
        f"{t_name:>9} <- {u_name:<9} outside PSNR {psnr:5.1f} dB ({changed:5.1%} changed)"
        f"  gradient edge {edge:5.1f} inside {inside:5.1f} {'ok' if edge <= inside else 'SEAM'}"
        f" (template edge {template_edge:5.1f})"
    )
    if identity is not None and t_embedding is not None:
        u_embedding, r_embedding = identity.embed(user), identity.embed(result.image)
        if u_embedding is not None and r_embedding is not None:
            row["to_user"] = float(np.linalg.norm(r_embedding - u_embedding))
            row["to_template"] = float(np.linalg.norm(r_embedding - t_embedding))
            line += f"  dlib to user {row['to_user']:.3f} to template {row['to_template']:.3f}"
    print(line)
    return row


def _summary(rows: list[dict[str, Any]], identity: Identity | None) -> None:
    print(f"{len(rows)} fusions at shape 100, features 100")
    for key, label in (("psnr", "shape 100"), ("psnr_shape0", "shape 0")):
        worst = min(r[key] for r in rows)
        status = "met" if worst >= PSNR_TARGET else "MISSED"
        print(f"outside the blend mask at {label}, features 100: worst PSNR {worst:.1f} dB "
              f"(target >= {PSNR_TARGET:g}: {status})")  # fmt: skip
    seams = sum(r["edge"] <= r["inside"] for r in rows)
    status = "met" if seams == len(rows) else "MISSED"
    closest = min(rows, key=lambda r: r["inside"] - r["edge"])
    pair = " <- ".join(closest["pair"])
    lenient = sum(r["edge"] <= max(r["inside"], r["template_edge"]) for r in rows)
    print(
        f"seams: edge gradient <= inside the face in {seams}/{len(rows)} ({status}); "
        f"closest {pair} {closest['edge']:.1f} vs {closest['inside']:.1f}"
    )
    print(f"  (for information: <= max(inside, template's own edge) in {lenient}/{len(rows)})")
    if identity is None:
        return
    judged = [r for r in rows if "to_user" in r and r["pair"] not in SAME_PERSON]
    closer = sum(r["to_user"] < r["to_template"] for r in judged)
    within = sum(r["to_user"] < SAME_THRESHOLD for r in judged)
    print(f"identity ({len(judged)} pairs of different people; dlib fell back to MediaPipe's box "
          f"{identity.fallbacks} times):")  # fmt: skip
    print(f"  closer to the user than to the template: {closer}/{len(judged)} "
          f"({'met' if closer == len(judged) else 'MISSED'})")  # fmt: skip
    print(f"  distance to the user < {SAME_THRESHOLD}: {within}/{len(judged)} "
          f"({'met' if within == len(judged) else 'MISSED'})")  # fmt: skip
    if judged:
        print(f"  median distance to user {statistics.median(r['to_user'] for r in judged):.3f}, "
              f"to template {statistics.median(r['to_template'] for r in judged):.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
