"""Local binary features and a global linear map, after the appearance stages (Ren et al., LBF).

``python -m bench.fit_lbf KEEP.npz`` reads what
``python -m bench.fit_refinement stages CACHE TRAIN_DIR OUT KEEP.npz`` kept
and fits :data:`LEVELS` levels seeded by the stages' points. At each level
every point has its own small random forest (:data:`TREES` trees of depth
:data:`DEPTH`, each on a random :data:`SAMPLE` of the training starts) on
differences of :data:`PIXELS` shape-indexed grey levels round that point,
fitted to that point's residual; the leaf each start reaches in each tree is
a binary feature, and one ridge map of all of them (68 x TREES x 2**DEPTH)
moves all 68 points at once (the ridge strength chosen by 5-fold
cross-validation on the training faces; the training starts move by their
out-of-fold prediction). It prints the held-out core error per level (and
averaged with the mirror image when the stages kept the mirrored held-out
cuts). Nothing is written: an experiment for issue 14 (REFINEMENT.md).
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
from scipy.linalg import solve

from bench.fit_refinement import core_nme, held_out_figure
from bench.fit_trees import (
    TreeLevel,
    _complex,
    _flat,
    blurred,
    kept_starts,
    mean_in_cut,
    shape_similarity,
    tree_pixels,
)
from webapp.vision.refine import N_IBUG

LEVELS = int(os.environ.get("LBF_LEVELS", 2))
TREES = int(os.environ.get("LBF_TREES", 5))
DEPTH = int(os.environ.get("LBF_DEPTH", 4))
PIXELS = int(os.environ.get("LBF_PIXELS", 64))
SAMPLE = int(os.environ.get("LBF_SAMPLE", 10000))
CANDIDATES = int(os.environ.get("LBF_CANDIDATES", 50))
RADII = tuple(float(r) for r in os.environ.get("LBF_RADII", "13,9,7").split(","))
JITTER = int(os.environ.get("LBF_JITTER", 1))
LAMBDAS = tuple(float(v) for v in os.environ.get("LBF_LAMBDAS", "1,3,10,30,100").split(","))


def fit_forest(rng, X, residual):
    """TREES trees on pixel differences of one point's columns; (first, second, threshold)."""
    n, p = X.shape
    inner = 2**DEPTH - 1
    first = np.zeros((TREES, inner), np.intp)
    second = np.zeros((TREES, inner), np.intp)
    threshold = np.zeros((TREES, inner), np.float32)
    for t in range(TREES):
        sub = rng.choice(n, size=min(SAMPLE, n), replace=False)
        Xs, rs = X[sub], residual[sub]
        node = np.zeros(len(sub), np.intp)
        for d in range(DEPTH):
            for h in range(2**d - 1, 2 ** (d + 1) - 1):
                idx = np.flatnonzero(node == h)
                a, b = rng.integers(p, size=CANDIDATES), rng.integers(p, size=CANDIDATES)
                if len(idx) < 2:
                    first[t, h], second[t, h] = a[0], b[0]
                    node[idx] = 2 * h + 1
                    continue
                f = Xs[idx][:, a] - Xs[idx][:, b]
                thr = f[rng.integers(len(idx), size=CANDIDATES), np.arange(CANDIDATES)]
                right = f > thr
                r = rs[idx]
                s_right = right.T.astype(np.float32) @ r
                n_right = right.sum(axis=0)
                s_left = r.sum(axis=0) - s_right
                n_left = len(idx) - n_right
                score = (s_right**2).sum(1) / np.maximum(n_right, 1) + (s_left**2).sum(
                    1
                ) / np.maximum(n_left, 1)
                c = int(np.argmax(score))
                first[t, h], second[t, h], threshold[t, h] = a[c], b[c], thr[c]
                node[idx] = 2 * h + 1 + right[:, c]
    return first, second, threshold


def leaves(X, first, second, threshold):
    """The leaf (0 .. 2**DEPTH - 1) each row reaches in each tree: (N, TREES)."""
    trees = np.arange(TREES)
    node = np.zeros((len(X), TREES), np.intp)
    rows = np.arange(len(X))[:, None]
    for _ in range(DEPTH):
        go = X[rows, first[trees, node]] - X[rows, second[trees, node]]
        node = 2 * node + 1 + (go > threshold[trees, node])
    return node - (2**DEPTH - 1)


def binary(leaf_ids, width):
    """Dense 0/1 features from per-row active indices (N, A)."""
    phi = np.zeros((len(leaf_ids), width), np.float32)
    phi[np.arange(len(leaf_ids))[:, None], leaf_ids] = 1.0
    return phi


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print(__doc__)
        return 2
    started = time.perf_counter()
    keep = np.load(args[0])
    cuts = blurred(keep["cuts"])
    targets, face, folds = keep["targets"], keep["face"], keep["folds"]
    starts = int(os.environ.get("STAGE_STARTS", 5))
    owner, current, test_index, test_current = kept_starts(keep, starts)
    rng = np.random.default_rng(14)
    residuals = current - targets[owner]
    more_owner, more_current = [owner], [current]
    for _ in range(JITTER):
        other = residuals[rng.integers(len(owner), size=len(owner))]
        more_owner.append(owner)
        more_current.append(targets[owner] + other)
    n_plain = len(owner)
    owner, current = np.concatenate(more_owner), np.concatenate(more_current)
    truth, shape = _complex(targets[owner]), _complex(current)
    test_shape = _complex(test_current)
    mean_pts = mean_in_cut(truth, cuts.shape[-1])
    sample_fold = folds[face[owner]]
    scored = np.arange(len(owner)) < n_plain  # the stages' own points (not the jittered)

    def held_out(points):
        return held_out_figure(_flat(points), keep, test_index)

    def trained(points):
        mine = np.stack([points[scored].real, points[scored].imag], -1)
        true = np.stack([truth[scored].real, truth[scored].imag], -1)
        return 100 * float(core_nme(mine, true).mean())

    print(f"{len(owner)} training starts; start: held-out core {held_out(test_shape)}, "
          f"training {trained(shape):.3f}%", flush=True)  # fmt: skip
    width = N_IBUG * TREES * 2**DEPTH
    for lv in range(LEVELS):
        radius = RADII[min(lv, len(RADII) - 1)]
        anchors = np.repeat(np.arange(N_IBUG), PIXELS)
        count = len(anchors)
        offsets = radius * np.sqrt(rng.random(count)) * np.exp(2j * np.pi * rng.random(count))
        proto = TreeLevel(anchors, offsets, None, None, None, None)  # type: ignore[arg-type]
        w = shape_similarity(mean_pts, shape)
        X = tree_pixels(cuts, shape, w, proto, owner)
        tw = shape_similarity(mean_pts, test_shape)
        tX = tree_pixels(cuts, test_shape, tw, proto, test_index)
        residual = _flat((truth - shape) / w[:, None]).astype(np.float32)
        ids = np.zeros((len(X), N_IBUG * TREES), np.intp)
        test_ids = np.zeros((len(tX), N_IBUG * TREES), np.intp)
        for k in range(N_IBUG):
            cols = slice(k * PIXELS, (k + 1) * PIXELS)
            forest = fit_forest(rng, X[:, cols], residual[:, [k, k + N_IBUG]])
            base = np.arange(k * TREES, (k + 1) * TREES) * 2**DEPTH
            ids[:, k * TREES : (k + 1) * TREES] = base + leaves(X[:, cols], *forest)
            test_ids[:, k * TREES : (k + 1) * TREES] = base + leaves(tX[:, cols], *forest)
        print(f"  level {lv}: forests fitted ({time.perf_counter() - started:.0f} s)", flush=True)
        del X
        phi = binary(ids, width)
        target_mean = residual.mean(axis=0)
        Y = residual - target_mean
        grams = [phi[sample_fold == f].T @ phi[sample_fold == f] for f in range(5)]
        moments = [phi[sample_fold == f].T @ Y[sample_fold == f] for f in range(5)]
        gram, moment = sum(grams), sum(moments)
        unit = float(np.trace(gram)) / width
        oofs = {}
        for lam in LAMBDAS:
            oof = np.zeros_like(Y)
            for f in range(5):
                g = (gram - grams[f]).astype(np.float64)
                g[np.diag_indices_from(g)] += lam * unit
                W = solve(g, (moment - moments[f]).astype(np.float64), assume_a="pos")
                fold = sample_fold == f
                oof[fold] = phi[fold] @ W + target_mean
            oofs[lam] = oof
            moved = shape + _complex(oof) * w[:, None]
            print(f"    lambda {lam:g}: training (cross-validated) {trained(moved):.3f}%",
                  flush=True)  # fmt: skip
        lam = min(oofs, key=lambda v: trained(shape + _complex(oofs[v]) * w[:, None]))
        g = gram.astype(np.float64)
        g[np.diag_indices_from(g)] += lam * unit
        W = solve(g, moment.astype(np.float64), assume_a="pos")
        shape = shape + _complex(oofs[lam]) * w[:, None]
        step = binary(test_ids, width) @ W + target_mean
        test_shape = test_shape + _complex(step) * tw[:, None]
        print(f"  level {lv} (radius {radius:g}, lambda {lam:g}): held-out core "
              f"{held_out(test_shape)}, training (cross-validated) {trained(shape):.3f}%  "
              f"({time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip
    if os.environ.get("LBF_SEED_OUT"):  # to seed bench.fit_trees (its TREE_SEED)
        np.savez(os.environ["LBF_SEED_OUT"], owner=owner[:n_plain],
                 current=_flat(shape[:n_plain]), test_index=test_index,
                 test_current=_flat(test_shape))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
