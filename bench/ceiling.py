"""Issue 14's ceiling through the engine's own mesh: stages, tree levels and the mirror.

``STAGE_EYES=100 python -m bench.ceiling PARAMS.npz [TRAIN_DIR]`` reads a
parameter file that ``bench.fit_refinement stages`` (with the same
``STAGE_EYES``) and ``bench.fit_trees`` wrote, finds each annotated face of
``tests/data/landmarks68`` (and, with ``TRAIN_DIR``, of its held-out
``helen-test`` crops) with ``detect_faces``, and prints the core-point error
(as ``bench.accuracy``) of: the stages alone, the stages and every tree level,
each also averaged with its own run on the mirror image (the photo flipped,
the mesh mirrored, the 68 points un-mirrored), and the shipped refinement;
on every face and on the faces dlib finds, beside dlib; then the cost per face
on one core (the cut included). An experiment: nothing shipped reads it.

The annotations are the iBUG 300-W re-annotations of AFW and HELEN, released
for research use only (``webapp/vision/data/REFINEMENT.md``).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

import bench.fit_refinement as fitting  # applies STAGE_EYES to the cut
import webapp.vision.refine as refine
from bench.accuracy import DEFAULT_DATA_DIR, Dlib, core_error, photo_of, read_photo, read_pts
from bench.fit_trees import TreeLevel, shape_similarity, tree_pixels, tree_step
from webapp.vision import detect_faces

_ONE = np.zeros(1, np.intp)
_COMPLEX = np.array([1, 1j])


class Ceiling:
    """The stages and tree levels of a parameter file, applied to one face."""

    def __init__(self, path: Path) -> None:
        params = np.load(path)
        self.model = refine.load_model.__wrapped__(path)
        self.shipped = refine.load_model.__wrapped__(refine.PARAMS_PATH)
        self.mean = params["tree_mean"][:68] + 1j * params["tree_mean"][68:]
        self.levels = [
            TreeLevel(
                params[f"tree{n}_anchors"].astype(np.intp),
                params[f"tree{n}_offsets"] @ _COMPLEX,
                params[f"tree{n}_first"].astype(np.intp),
                params[f"tree{n}_second"].astype(np.intp),
                params[f"tree{n}_threshold"].astype(np.float32),
                params[f"tree{n}_leaves"].astype(np.float32),
            )
            for n in range(int(params["tree_levels"]))
        ]

    def run(self, image, mesh, levels: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The 68 points in the face's cut after the stages and ``levels`` tree levels."""
        cut = refine.cut_face(image, mesh)
        centre, w = refine.align(mesh, self.model.reference)
        inside = refine.mapped(mesh, self.model, centre, w) @ cut.matrix[:, :2].T
        inside += cut.matrix[:, 2]
        table = refine.gradient_integrals(cut.pixels)
        for stage in self.model.stages:
            inside = inside + refine.stage_step(table, inside, stage, self.model.mean_shape)
        if levels:
            shape = (inside @ _COMPLEX)[None]
            pixels = cv2.GaussianBlur(cut.pixels, (0, 0), 1.0)[None]
            for level in self.levels[:levels]:
                w2 = shape_similarity(self.mean, shape)
                step = tree_step(tree_pixels(pixels, shape, w2, level, _ONE), level)
                shape = shape + (step[:, :68] + 1j * step[:, 68:]) * w2[:, None]
            inside = np.column_stack([shape[0].real, shape[0].imag])
        return inside, cut.matrix

    def variants(self, image, mesh) -> dict[str, NDArray[np.float64]]:
        out = {}
        for levels in (0, len(self.levels)):
            plain, matrix = self.run(image, mesh, levels)
            flipped, flipped_mesh, _ = fitting._flipped(
                image, np.asarray(mesh, np.float64), np.zeros((68, 2))
            )
            mirror, mirror_matrix = self.run(flipped, flipped_mesh, levels)
            back = fitting.unmirrored(mirror, mirror_matrix, matrix, image.shape[1])
            name = f"{len(self.model.stages)} stages" + (
                f" + {levels} tree levels" if levels else ""
            )
            out[name] = _to_photo(plain, matrix)
            out[name + " + mirror"] = _to_photo((plain + back) / 2, matrix)
        return out

    def shipped_points(self, image, mesh) -> NDArray[np.float64]:
        """The shipped refinement, with the engine's own cut."""
        size, spread = refine.CUT_SIZE, refine.CUT_SPREAD
        refine.CUT_SIZE, refine.CUT_SPREAD = _ENGINE_CUT
        refine._pooled_cell.cache_clear()
        try:
            return refine.ibug68(mesh, image, model=self.shipped)
        finally:
            refine.CUT_SIZE, refine.CUT_SPREAD = size, spread
            refine._pooled_cell.cache_clear()


_ENGINE_CUT = (216, 49.5)


def _to_photo(inside, matrix):
    inverse = cv2.invertAffineTransform(matrix)
    return inside @ inverse[:, :2].T + inverse[:, 2]


def _mesh_of(image, truth):
    """The engine's mesh of the annotated face (boxes overlapping), or None."""
    box = fitting._box(truth)
    scored = [
        (fitting._iou(fitting._box(f.mesh[:468, :2].astype(np.float64)), box), f)
        for f in detect_faces(image, max_faces=20)
    ]
    best = max(scored, key=lambda s: s[0], default=(0.0, None))
    return best[1].mesh if best[1] is not None and best[0] >= fitting.MATCH_IOU else None


def measure(ceiling: Ceiling, title: str, pts_files: list[Path], dlib: Dlib) -> None:
    rows, theirs = {}, {}
    for pts in pts_files:
        image, truth = read_photo(photo_of(pts)), read_pts(pts)
        mesh = _mesh_of(image, truth)
        if mesh is None:
            print(f"  {pts.stem}: not found")
            continue
        errors = {k: core_error(v, truth) for k, v in ceiling.variants(image, mesh).items()}
        errors["shipped"] = core_error(ceiling.shipped_points(image, mesh), truth)
        rows[pts.stem] = errors
        found = dlib.points(image, truth)
        if found is not None:
            theirs[pts.stem] = core_error(found, truth)
    print(f"{title}: {len(rows)} faces found of {len(pts_files)}, dlib finds {len(theirs)}")
    for label, names in (("every face", list(rows)), ("the faces dlib finds", list(theirs))):
        figures = ", ".join(
            f"{k} {100 * np.mean([rows[n][k] for n in names]):.3f}%"
            for k in next(iter(rows.values()))
        )
        line = f"  {label}: {figures}"
        if label.endswith("finds"):
            line += f"; dlib {100 * np.mean(list(theirs.values())):.3f}%"
        print(line)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print(__doc__)
        return 2
    ceiling, dlib = Ceiling(Path(args[0])), Dlib()
    data = sorted((Path(DEFAULT_DATA_DIR)).glob("*.pts"))
    measure(ceiling, "tests/data", data, dlib)
    image = read_photo(photo_of(data[0]))
    mesh = _mesh_of(image, read_pts(data[0]))
    for levels in (0, len(ceiling.levels)):
        runs = []
        for _ in range(20):
            started = time.perf_counter()
            ceiling.run(image, mesh, levels)
            runs.append(time.perf_counter() - started)
        print(f"cost, {levels} tree levels (the cut included; twice with the mirror): "
              f"{1000 * min(runs):.2f} ms (median {1000 * np.median(runs):.2f})")  # fmt: skip
    runs = []
    for _ in range(20):
        started = time.perf_counter()
        ceiling.shipped_points(image, mesh)
        runs.append(time.perf_counter() - started)
    print(f"cost, shipped: {1000 * min(runs):.2f} ms (median {1000 * np.median(runs):.2f})")
    if len(args) > 1:
        held_out = sorted(Path(args[1]).glob("helen-test__*.pts"))
        measure(ceiling, "helen-test", held_out, dlib)
    return 0


if __name__ == "__main__":
    sys.exit(main())
