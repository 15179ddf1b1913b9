"""Extra appearance stages for the weak points only (brow ends, nose tip, chin).

``python -m bench.fit_weak KEEP.npz`` reads what
``python -m bench.fit_refinement stages CACHE TRAIN_DIR OUT KEEP.npz`` kept
(every grey cut, the stages' cross-validated points on every training start
and their points on the held-out ``helen-test`` cuts) and fits, for each of
:data:`POINTS` only, :data:`ROUNDS` more ridge steps from a richer HOG round
the point (:data:`CELLS`: more and larger cells than the shared stages) and
the shape of all 68, the ridge strength chosen by 5-fold cross-validation on
the training faces. It prints the held-out core error before and after (and
averaged with the mirror image when the stages kept the mirrored held-out
cuts). Nothing is written: an experiment for issue 14 (REFINEMENT.md).

Run with the same ``STAGE_EYES`` and ``STAGE_STARTS`` as the stages were.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from bench.fit_refinement import _pairs, core_nme, held_out_figure, ridge, ridge_path
from webapp.vision.refine import gradient_integrals, point_features, shape_features

POINTS = tuple(int(k) for k in os.environ.get("WEAK_POINTS", "17,21,22,26,30,8").split(","))
#: Cell sides (pooled pixels) of the HOG each weak point reads round itself.
CELLS = tuple(int(c) for c in os.environ.get("WEAK_CELLS", "12+9+6+4+3+2").split("+"))
ROUNDS = int(os.environ.get("WEAK_ROUNDS", 2))
LAMBDAS = tuple(float(v) for v in os.environ.get("WEAK_LAMBDAS", "0.03,0.3,3,30,300").split(","))


def _features(cuts, index, points, mean_shape):
    """Per row: the weak points' HOG (len(POINTS), D) and the shape (136,)."""
    local = np.zeros((len(index), len(POINTS), 144 * len(CELLS)), np.float32)
    shape = np.zeros((len(index), points.shape[1]), np.float32)
    for j in np.unique(index):
        table = gradient_integrals(cuts[j])
        for r in np.flatnonzero(index == j):
            local[r] = point_features(table, _pairs(points[r]), CELLS)[list(POINTS)]
            shape[r] = shape_features(_pairs(points[r]), mean_shape)
    return local, shape


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print(__doc__)
        return 2
    started = time.perf_counter()
    keep = np.load(args[0])
    cuts, targets, face, folds = keep["cuts"], keep["targets"], keep["face"], keep["folds"]
    owner, current = keep["owner"], keep["current"].copy()
    starts = int(os.environ.get("STAGE_STARTS", 5))
    if os.environ.get("WEAK_FIRST_ONLY", "") == "1":  # fit on the stages' own points only
        own = np.arange(len(owner)) % starts == 0
        owner, current, starts = owner[own], current[own], 1
    test_index, test_current = keep["test_index"], keep["test_current"].copy()
    mean_shape = keep["mean_shape"]
    if os.environ.get("WEAK_FROM_MAP", "") == "1":  # a check: from the map's points, no stages
        own = np.arange(len(owner)) % starts == 0
        owner, starts = owner[own], 1
        current, test_current = keep["map_starts"][owner], keep["map_starts"][test_index]
    first = np.flatnonzero(np.arange(len(owner)) % starts == 0)
    sample_fold = folds[face[owner]]
    n68 = targets.shape[1] // 2

    def held_out(points):
        return held_out_figure(points, keep, test_index)

    def trained(points):
        return 100 * float(core_nme(_pairs(points[first]), _pairs(targets[owner[first]])).mean())

    def per_point(points, truth, k):
        scale = np.hypot(*(_pairs(truth)[:, 36] - _pairs(truth)[:, 45]).T)
        return 100 * float(
            (np.hypot(*(_pairs(points)[:, k] - _pairs(truth)[:, k]).T) / scale).mean()
        )

    def weak(points, index):  # on the plain held-out cuts
        plain = keep["flips"][index] == 0
        return " ".join(
            f"{k}: {per_point(points[plain], targets[index[plain]], k):.2f}%" for k in POINTS
        )

    print(f"{len(owner)} training starts; points {POINTS}, cells {CELLS}; start: held-out core "
          f"{held_out(test_current)}, training (cross-validated) {trained(current):.3f}%\n"
          f"  weak points held-out {weak(test_current, test_index)}", flush=True)  # fmt: skip
    for n in range(ROUNDS):
        local, shape = _features(cuts, owner, current, mean_shape)
        test_local, test_shape = _features(cuts, test_index, test_current, mean_shape)
        step = np.zeros_like(current)
        test_step = np.zeros_like(test_current)
        for p, k in enumerate(POINTS):
            X = np.concatenate([local[:, p], shape], axis=1).astype(np.float64)
            Y = (targets[owner] - current)[:, [k, k + n68]]
            oofs = {lam: np.zeros_like(Y) for lam in LAMBDAS}
            for fold in range(5):
                fit_on, predict = sample_fold != fold, sample_fold == fold
                for lam, (xm, W, ym) in zip(
                    LAMBDAS, ridge_path(X[fit_on], Y[fit_on], LAMBDAS), strict=True
                ):
                    oofs[lam][predict] = (X[predict] - xm) @ W + ym
            errors = {
                lam: float(np.hypot(*(Y[first] - oof[first]).T).mean()) for lam, oof in oofs.items()
            }
            lam = min(errors, key=errors.get)
            unmoved = float(np.hypot(*Y[first].T).mean())
            print(f"    point {k}: cross-validated error {errors[lam]:.3f} cut pixels "
                  f"(lambda {lam:g}) against {unmoved:.3f} unmoved", flush=True)  # fmt: skip
            if errors[lam] >= unmoved:
                continue  # no better cross-validated: the point stays
            step[:, [k, k + n68]] = oofs[lam]
            xm, W, ym = ridge(X, Y, lam)
            tX = np.concatenate([test_local[:, p], test_shape], axis=1).astype(np.float64)
            test_step[:, [k, k + n68]] = (tX - xm) @ W + ym
        current = current + step
        test_current = test_current + test_step
        print(f"  round {n}: held-out core {held_out(test_current)}, training (cross-validated) "
              f"{trained(current):.3f}%  ({time.perf_counter() - started:.0f} s)\n"
              f"    weak points held-out {weak(test_current, test_index)}", flush=True)  # fmt: skip
    out = os.environ.get("WEAK_TEST_OUT")
    if out:
        np.savez(out, test_index=test_index, test_current=test_current)
    return 0


if __name__ == "__main__":
    sys.exit(main())
