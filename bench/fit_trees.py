"""Fit a cascade of regression trees after the appearance stages (Kazemi and Sullivan's ERT).

``python -m bench.fit_trees KEEP.npz [OUT.npz]`` reads what
``python -m bench.fit_refinement stages CACHE TRAIN_DIR OUT KEEP.npz`` kept
(every face's grey cut, the stages' cross-validated points on the training
cuts and their points on the held-out ``helen-test`` cuts), fits the trees on
the training cuts, prints the held-out error after each level, and with
``OUT.npz`` adds the levels to that parameter file.

Each level reads :data:`PIXELS` grey levels round the current points
(shape-indexed: offsets from a point, turned and scaled with the shape),
and fits :data:`TREES` gradient-boosted trees of depth :data:`DEPTH` on the
differences of two of them; the leaves hold the mean residual times
:data:`SHRINK`. Seeded by the stages' points, not the mean shape.

The annotations are the iBUG 300-W re-annotations of AFW and HELEN, released
for research use only; the fitted parameters carry those terms
(``webapp/vision/data/REFINEMENT.md``).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from bench.fit_refinement import core_nme, held_out_figure
from webapp.vision.refine import N_IBUG

LEVELS = int(os.environ.get("TREE_LEVELS", 6))
TREES = int(os.environ.get("TREE_TREES", 200))
DEPTH = int(os.environ.get("TREE_DEPTH", 4))
PIXELS = int(os.environ.get("TREE_PIXELS", 400))
CANDIDATES = int(os.environ.get("TREE_CANDIDATES", 20))
SHRINK = float(os.environ.get("TREE_SHRINK", 0.1))
#: Offsets are drawn within this radius of a point (cut pixels; eyes are ~90 apart), per level.
RADII = tuple(float(r) for r in os.environ.get("TREE_RADII", "24,20,16,14,12,10,10,8").split(","))
#: Prior on a split's two pixels: accepted with probability exp(-PRIOR * distance).
PRIOR = float(os.environ.get("TREE_PRIOR", 0.05))
#: The cuts are blurred by this Gaussian sigma (cut pixels) before the pixels are read.
BLUR = float(os.environ.get("TREE_BLUR", 1.0))
#: Training starts per cut besides the stages' own points, and how far each is turned
#: (radians) and scaled (log scale) about its centre at random.
JITTER = int(os.environ.get("TREE_JITTER", 4))
TURN = float(os.environ.get("TREE_TURN", 0.0))
SCALE = float(os.environ.get("TREE_SCALE", 0.0))
#: Weight of the core points' residuals when splits are chosen (the others weigh 1).
CORE_WEIGHT = float(os.environ.get("TREE_CORE_WEIGHT", 1.0))
#: Validate on training fold 0 (fit on the rest) instead of helen-test.
VALIDATE = os.environ.get("TREE_VALIDATE", "") == "1"


@dataclass(frozen=True, eq=False)
class TreeLevel:
    """One level of the regression-tree cascade (after the appearance stages).

    ``P`` pixels are read round the current points: pixel ``p`` sits at point
    ``anchors[p]`` plus ``offsets[p]`` (mean-shape frame, cut pixels) turned
    and scaled by the similarity taking the tree cascade's mean shape onto the
    current points; their grey levels, less their mean and over their standard
    deviation, are the features. ``K`` trees of depth ``D`` (heap order: node
    ``n``'s children are ``2n + 1`` and ``2n + 2``) go right at node ``n`` when
    ``f[first[t, n]] - f[second[t, n]] > threshold[t, n]``; the leaves' moves
    (68 x then 68 y, mean-shape frame) are summed and turned back.
    """

    anchors: NDArray[np.intp]  # (P,)
    offsets: NDArray[np.complex128]  # (P,)
    first: NDArray[np.intp]  # (K, 2**D - 1)
    second: NDArray[np.intp]  # (K, 2**D - 1)
    threshold: NDArray[np.float32]  # (K, 2**D - 1)
    leaves: NDArray[np.float32]  # (K, 2**D, 136)


def shape_similarity(
    mean: NDArray[np.complex128], points: NDArray[np.complex128]
) -> NDArray[np.complex128]:
    """Per shape (rows of ``points``, complex), the factor ``w`` of ``points ~ w * mean + t``."""
    centred_mean = mean - mean.mean()
    centred = points - points.mean(axis=-1, keepdims=True)
    return (centred @ np.conj(centred_mean)) / np.vdot(centred_mean, centred_mean).real


def tree_pixels(
    pixels: NDArray[np.uint8],
    points: NDArray[np.complex128],
    w: NDArray[np.complex128],
    level: TreeLevel,
    which: NDArray[np.intp] | None = None,
) -> NDArray[np.float32]:
    """The level's features for shapes ``points`` (N, 68) in cuts ``pixels[which]`` (N, S, S)."""
    where = points[:, level.anchors] + w[:, None] * level.offsets
    size = pixels.shape[-1]
    x = np.clip(np.rint(where.real), 0, size - 1).astype(np.intp)
    y = np.clip(np.rint(where.imag), 0, size - 1).astype(np.intp)
    if which is None:
        values = pixels[y, x].astype(np.float32)
    else:
        values = pixels[which[:, None], y, x].astype(np.float32)
    values -= values.mean(axis=1, keepdims=True)
    values /= values.std(axis=1, keepdims=True) + 1.0
    return values


def tree_step(values: NDArray[np.float32], level: TreeLevel) -> NDArray[np.float32]:
    """The trees' summed move (N, 136; mean-shape frame) from the features (N, P)."""
    trees = np.arange(level.first.shape[0])
    depth = int(np.log2(level.leaves.shape[1]))
    node = np.zeros((len(values), len(trees)), np.intp)
    rows = np.arange(len(values))[:, None]
    for _ in range(depth):
        go = values[rows, level.first[trees, node]] - values[rows, level.second[trees, node]]
        node = 2 * node + 1 + (go > level.threshold[trees, node])
    leaf = node - (level.leaves.shape[1] - 1)
    return level.leaves[trees, leaf].sum(axis=1)


def _weights() -> NDArray[np.float32] | None:
    if CORE_WEIGHT == 1.0:
        return None
    from bench.accuracy import POINT_PAIRS

    w = np.ones(2 * N_IBUG, np.float32)
    for k in POINT_PAIRS.values():
        w[[k, k + N_IBUG]] = CORE_WEIGHT
    return w


WEIGHTS = _weights()


def blurred(cuts: NDArray[np.uint8]) -> NDArray[np.uint8]:
    if BLUR <= 0:
        return cuts
    return np.array([cv2.GaussianBlur(c, (0, 0), BLUR) for c in cuts])


def kept_starts(keep, starts: int):
    """The stages' own points kept by ``fit_refinement stages``: on the training cuts (the
    first of each cut's ``starts``), and on the held-out cuts. Returns ``(owner, current,
    test_index, test_current)``: the cut of each training start, its points (flat), the
    held-out cuts and their points."""
    owner, current = keep["owner"], keep["current"]
    first = np.arange(len(owner)) % starts == 0
    return owner[first], current[first], keep["test_index"], keep["test_current"]


def mean_in_cut(truth: NDArray[np.complex128], side: int) -> NDArray[np.complex128]:
    """The mean of the training truths (complex points), centred in a cut ``side`` pixels wide."""
    mean = truth.mean(axis=0)
    return mean - mean.mean() + (side / 2) * (1 + 1j)


def _complex(flat: NDArray[np.float64]) -> NDArray[np.complex128]:
    return flat[..., :N_IBUG] + 1j * flat[..., N_IBUG:]


def _flat(points: NDArray[np.complex128]) -> NDArray[np.float64]:
    return np.concatenate([points.real, points.imag], axis=-1)


def fit_level(rng, X, residual, mean_pts, anchors, offsets, weights=None):
    """Gradient-boosted trees on pixel differences; returns (first, second, threshold, leaves)."""
    n, p = X.shape
    inner, n_leaves = 2**DEPTH - 1, 2**DEPTH
    where = mean_pts[anchors] + offsets
    pool_a = rng.integers(p, size=200_000)
    pool_b = rng.integers(p, size=200_000)
    keep = (pool_a != pool_b) & (
        rng.random(200_000) < np.exp(-PRIOR * np.abs(where[pool_a] - where[pool_b]))
    )
    pool_a, pool_b = pool_a[keep], pool_b[keep]
    first = np.zeros((TREES, inner), np.int16)
    second = np.zeros((TREES, inner), np.int16)
    threshold = np.zeros((TREES, inner), np.float32)
    leaves = np.zeros((TREES, n_leaves, 2 * N_IBUG), np.float32)
    res = residual.astype(np.float32).copy()
    for t in range(TREES):
        node = np.zeros(n, np.intp)
        for d in range(DEPTH):
            for h in range(2**d - 1, 2 ** (d + 1) - 1):
                idx = np.flatnonzero(node == h)
                pick = rng.integers(len(pool_a), size=CANDIDATES)
                a, b = pool_a[pick], pool_b[pick]
                if len(idx) < 2:
                    first[t, h], second[t, h], threshold[t, h] = a[0], b[0], 0.0
                    node[idx] = 2 * h + 1
                    continue
                Xi = X[idx]
                f = Xi[:, a] - Xi[:, b]
                thr = f[rng.integers(len(idx), size=CANDIDATES), np.arange(CANDIDATES)]
                right = f > thr
                r = res[idx] if weights is None else res[idx] * weights
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
        leaf = node - inner
        counts = np.bincount(leaf, minlength=n_leaves)
        onehot = np.zeros((n, n_leaves), np.float32)
        onehot[np.arange(n), leaf] = 1.0
        sums = onehot.T @ res
        leaves[t] = SHRINK * sums / np.maximum(counts, 1)[:, None]
        res -= leaves[t][leaf]
    return first, second, threshold, leaves


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
    if os.environ.get("TREE_SEED"):  # seeded by other points (bench.fit_lbf's LBF_SEED_OUT)
        seed = np.load(os.environ["TREE_SEED"])
        owner, current = seed["owner"], seed["current"]
        test_index, test_current = seed["test_index"], seed["test_current"]
    if VALIDATE:  # fit on training folds 1-4, measure on fold 0's cross-validated points
        val = folds[face[owner]] == 0
        test_index, test_current = owner[val], current[val]
        owner, current = owner[~val], current[~val]
    rng = np.random.default_rng(14)
    # Training starts: the stages' cross-validated points, and JITTER more per cut: the
    # annotation plus another training cut's cross-validated residual, turned and scaled
    # by up to TURN radians and SCALE about the points' centre.
    residuals = current - targets[owner]
    more_owner, more_current = [owner], [current]
    for _ in range(JITTER):
        other = residuals[rng.integers(len(owner), size=len(owner))]
        start = _complex(targets[owner] + other)
        centre = start.mean(axis=1, keepdims=True)
        turn = rng.uniform(-TURN, TURN, len(owner)) * 1j
        factor = np.exp(turn + rng.uniform(-SCALE, SCALE, len(owner)))[:, None]
        more_owner.append(owner)
        more_current.append(_flat(centre + (start - centre) * factor))
    owner, current = np.concatenate(more_owner), np.concatenate(more_current)
    rng = np.random.default_rng(14)
    truth = _complex(targets[owner])
    shape = _complex(current)
    test_truth = _complex(targets[test_index])
    test_shape = _complex(test_current)
    mean_pts = mean_in_cut(truth, cuts.shape[-1])

    def held_out(points):
        return held_out_figure(_flat(points), keep, test_index, mirrors=not VALIDATE)

    def core(points, true):
        def pairs(z):
            return np.stack([z.real, z.imag], axis=-1)

        return 100 * float(core_nme(pairs(points), pairs(true)).mean())

    def every(points, true):
        scale = np.abs(true[:, 36] - true[:, 45])
        return 100 * float((np.abs(points - true).mean(axis=1) / scale).mean())

    print(
        f"{len(owner)} training starts, {len(test_index)} measured; start: measured core "
        f"{held_out(test_shape)}, training {core(shape, truth):.3f}%",
        flush=True,
    )
    saved: dict[str, NDArray] = {"tree_mean": _flat(mean_pts).astype(np.float32)}
    for lv in range(LEVELS):
        radius = RADII[min(lv, len(RADII) - 1)]
        anchors = rng.integers(N_IBUG, size=PIXELS)
        offsets = radius * np.sqrt(rng.random(PIXELS)) * np.exp(2j * np.pi * rng.random(PIXELS))
        proto = TreeLevel(anchors, offsets, None, None, None, None)  # type: ignore[arg-type]
        w = shape_similarity(mean_pts, shape)
        X = tree_pixels(cuts, shape, w, proto, owner)
        residual = _flat((truth - shape) / w[:, None])
        first, second, threshold, leaves = fit_level(
            rng, X, residual, mean_pts, anchors, offsets, WEIGHTS
        )
        level = TreeLevel(anchors, offsets, first.astype(np.intp), second.astype(np.intp),
                          threshold, leaves.astype(np.float16).astype(np.float32))  # fmt: skip
        shape = shape + _complex(tree_step(X, level)) * w[:, None]
        tw = shape_similarity(mean_pts, test_shape)
        tX = tree_pixels(cuts, test_shape, tw, level, test_index)
        test_shape = test_shape + _complex(tree_step(tX, level)) * tw[:, None]
        print(f"  level {lv} (radius {radius:g}): measured core {held_out(test_shape)}"
              f" all {every(test_shape, test_truth):.3f}%"
              f", training {core(shape, truth):.3f}%  ({time.perf_counter() - started:.0f} s)",
              flush=True)  # fmt: skip
        saved[f"tree{lv}_anchors"] = anchors.astype(np.int16)
        saved[f"tree{lv}_offsets"] = np.column_stack([offsets.real, offsets.imag]).astype(
            np.float32
        )
        saved[f"tree{lv}_first"] = first
        saved[f"tree{lv}_second"] = second
        saved[f"tree{lv}_threshold"] = threshold
        saved[f"tree{lv}_leaves"] = leaves.astype(np.float16)
    if os.environ.get("TREE_TEST_OUT"):  # the held-out cuts' points, for other measures
        np.savez(os.environ["TREE_TEST_OUT"], test_index=test_index, test_current=_flat(test_shape))
    if len(args) > 1:
        out = Path(args[1])
        with np.load(out) as params:
            base = {k: params[k] for k in params.files if not k.startswith("tree")}
        np.savez_compressed(out, **base, tree_levels=np.int16(LEVELS), **saved)
        print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
