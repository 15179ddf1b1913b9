"""Fit the 68-point landmark refinement on the iBUG 300-W training crops.

``python -m bench.fit_refinement collect TRAIN_DIR CACHE.npz`` runs the engine's
face mesh on every crop of the training folder (``<subset>__<stem>.jpg`` with
its iBUG ``.pts``) and stores each matched face's 478-point mesh beside its
68 annotated points.

``python -m bench.fit_refinement fit CACHE.npz`` fits the candidate
refinements on ``afw`` + ``helen-train``, prints their core-point error on the
held-out ``helen-test`` crops, and writes the chosen one's parameters to
``webapp/vision/data/refinement68.npz`` (the engine's package): the map from
the mesh alone.

``python -m bench.fit_refinement stages CACHE.npz TRAIN_DIR`` then fits the
appearance stages after that map (each point moved by a ridge step from the
HOG round it in the face's grey cut, :data:`STAGE_CELLS`), reading the
training photos again, prints each stage's cross-validated and held-out
error, and adds the stages to the same file. Run it after every ``fit``.

``python -m bench.fit_refinement score CACHE.npz TRAIN_DIR KEEP.npz [POINTS.npz]``
prints the held-out core error of the points a ``stages`` run kept (or of
``POINTS.npz``: ``bench.fit_trees``' ``TREE_TEST_OUT``) on every held-out face
and on the faces dlib finds, plain and averaged with the mirror image, beside
dlib's own.

The annotations are the iBUG 300-W re-annotations of AFW and HELEN, released
for research use only; the fitted parameters carry those terms
(``webapp/vision/data/REFINEMENT.md``).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from bench.accuracy import read_photo, read_pts
from webapp.vision import detect_faces
from webapp.vision.mesh import LEFT_EYE_OUTER, MIRROR, RIGHT_EYE_OUTER
from webapp.vision.refine import (
    MODEL_POINTS,
    N_IBUG,
    PARAMS_PATH,
    RefinementModel,
    align,
    cut_face,
    cut_pixels,
    gradient_integrals,
    ibug68,
    load_model,
    mapped,
    mesh_features,
    point_features,
    shape_features,
)

#: A face's mesh is the annotated one when their boxes overlap this much.
MATCH_IOU = 0.3
SUBSETS = ("afw", "helen-train", "helen-test")
HELD_OUT = "helen-test"


def _box(points: NDArray[np.float64]) -> tuple[float, float, float, float]:
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    return float(x0), float(y0), float(x1 - x0), float(y1 - y0)


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    union = a[2] * a[3] + b[2] * b[3] - ix * iy
    return ix * iy / union if union > 0 else 0.0


def collect(train_dir: Path, cache: Path) -> None:
    """Mesh every training crop; store (name, subset, mesh, truth) of the matched faces."""
    names, subsets, meshes, truths, missed = [], [], [], [], []
    started = time.perf_counter()
    paths = sorted(train_dir.glob("*.pts"))
    for n, pts in enumerate(paths, 1):
        subset = pts.stem.split("__")[0]
        truth = read_pts(pts)
        faces = detect_faces(read_photo(pts.with_suffix(".jpg")), max_faces=20)
        truth_box = _box(truth)
        scored = [(_iou(_box(f.mesh[:468, :2].astype(np.float64)), truth_box), f) for f in faces]
        best = max(scored, key=lambda s: s[0], default=(0.0, None))
        if best[1] is None or best[0] < MATCH_IOU:
            missed.append(pts.stem)
            continue
        names.append(pts.stem)
        subsets.append(subset)
        meshes.append(np.asarray(best[1].mesh, dtype=np.float32))
        truths.append(truth)
        if n % 100 == 0:
            print(f"{n}/{len(paths)} in {time.perf_counter() - started:.0f} s", flush=True)
    np.savez_compressed(
        cache,
        names=np.array(names),
        subsets=np.array(subsets),
        meshes=np.stack(meshes),
        truths=np.stack(truths),
        missed=np.array(missed),
    )
    print(f"{len(names)} faces meshed, {len(missed)} missed: {missed}")


#: With STAGE_EYES set, the cut is made with the outer eye corners about that many cut
#: pixels apart instead of 90 (the cut grows alike: 240 pixels for 100), for the
#: fitting only (the engine's cut is refine.CUT_SIZE's).
if os.environ.get("STAGE_EYES"):
    import webapp.vision.refine as _refine

    _factor = float(os.environ["STAGE_EYES"]) / 90.0
    _refine.CUT_SIZE = 2 * round(_refine.CUT_SIZE * _factor / 2)
    _refine.CUT_SPREAD = _refine.CUT_SPREAD * _factor

#: iBUG point i of a mirrored face is point FLIP68[i] of the face.
FLIP68 = np.array(
    [*range(16, -1, -1), *range(26, 16, -1), 27, 28, 29, 30, 35, 34, 33, 32, 31,
     45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40,
     54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55, 64, 63, 62, 61, 60, 67, 66, 65]
)  # fmt: skip
#: Mesh point i of a mirrored face is point MIRROR478[i] (the iris rims are not used).
MIRROR478 = np.concatenate([MIRROR, np.arange(473, 478), np.arange(468, 473)])
#: Ridge strengths tried (relative to the mean eigenvalue), chosen by 5-fold cross-validation.
LAMBDAS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
#: Approach B: each point from this many nearest mesh points.
LOCAL_POINTS = 64
#: The mesh's move (webapp.vision.refine.RefinementModel), chosen on 120 training crops
#: (random.seed(14), not helen-test) by the dense contours' error and order
#: (``python -m bench.fit_refinement warp``): Gaussian width as a fraction of the
#: reference's outer eye-corner distance, smoothing, and the points that move it.
WARP_SIGMA = 0.15
WARP_SMOOTHING = 0.1
WARP_POINTS = tuple(range(60))  # not the inner lips (60-67)


def mirrored(mesh: NDArray[np.float64], truth: NDArray[np.float64]):
    """The same face flipped left-right (x -> -x), mesh and annotation renumbered."""
    m = mesh[MIRROR478].copy()
    m[:, 0] = -m[:, 0]
    t = truth[FLIP68].copy()
    t[:, 0] = -t[:, 0]
    return m, t


def core_nme(points: NDArray[np.float64], truth: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per face: mean error of the 14 core points / |p36 - p45| (as bench.accuracy)."""
    from bench.accuracy import POINT_PAIRS

    core = list(POINT_PAIRS.values())
    scale = np.hypot(*(truth[:, 36] - truth[:, 45]).T)
    return np.hypot(*(points[:, core] - truth[:, core]).transpose(2, 0, 1)).mean(axis=1) / scale


def all_nme(points: NDArray[np.float64], truth: NDArray[np.float64]) -> NDArray[np.float64]:
    scale = np.hypot(*(truth[:, 36] - truth[:, 45]).T)
    return np.hypot(*(points - truth).transpose(2, 0, 1)).mean(axis=1) / scale


def reference_shape(meshes: NDArray[np.float64]) -> NDArray[np.complex128]:
    """Generalised Procrustes mean of the meshes' model points, centred, unit norm."""
    points = meshes[:, MODEL_POINTS, :2] @ np.array([1, 1j])
    reference = points[0] - points[0].mean()
    reference /= np.linalg.norm(reference)
    for _ in range(4):
        aligned = []
        for mesh in meshes:
            centre, w = align(mesh, reference)
            aligned.append((mesh[MODEL_POINTS, :2] @ np.array([1, 1j]) - centre) * w)
        reference = np.mean(aligned, axis=0)
        reference -= reference.mean()
        reference /= np.linalg.norm(reference)
    return reference


def design(meshes, truths, reference, *, augment: bool):
    """Features and targets (68 x then 68 y, reference frame) of every face (and its mirror)."""
    features, targets = [], []
    for mesh, truth in zip(meshes, truths, strict=True):
        pairs = [(mesh, truth), mirrored(mesh, truth)] if augment else [(mesh, truth)]
        for m, t in pairs:
            centre, w = align(m, reference)
            features.append(mesh_features(m, centre, w))
            q = (t @ np.array([1, 1j]) - centre) * w
            targets.append(np.concatenate([q.real, q.imag]))
    return np.array(features), np.array(targets)


def ridge(features, targets, lam):
    """Centred ridge regression; ``lam`` relative to the mean eigenvalue."""
    feature_mean, target_mean = features.mean(axis=0), targets.mean(axis=0)
    centred = features - feature_mean
    gram = centred.T @ centred
    gram[np.diag_indices_from(gram)] += lam * np.trace(gram) / len(gram)
    weights = np.linalg.solve(gram, centred.T @ (targets - target_mean))
    return feature_mean, weights, target_mean


def ridge_path(features, targets, lams):
    """:func:`ridge` for each of ``lams``, sharing the Gram matrix."""
    feature_mean, target_mean = features.mean(axis=0), targets.mean(axis=0)
    centred = features - feature_mean
    gram = centred.T @ centred
    moment = centred.T @ (targets - target_mean)
    unit = np.trace(gram) / len(gram)
    fits = []
    for lam in lams:
        g = gram.copy()
        g[np.diag_indices_from(g)] += lam * unit
        fits.append((feature_mean, np.linalg.solve(g, moment), target_mean))
    return fits


def local_ridge(features, targets, reference, lam):
    """Approach B: each of the 68 points from its LOCAL_POINTS nearest mesh points only."""
    n = len(MODEL_POINTS)
    mean_target = targets.mean(axis=0)
    mean_points = mean_target[:N_IBUG] + 1j * mean_target[N_IBUG:]
    weights = np.zeros((features.shape[1], 2 * N_IBUG))
    feature_mean = features.mean(axis=0)
    for k in range(N_IBUG):
        near = np.argsort(np.abs(reference - mean_points[k]))[:LOCAL_POINTS]
        cols = np.concatenate([near, near + n, near + 2 * n])
        _, w, _ = ridge(features[:, cols], targets[:, [k, k + N_IBUG]], lam)
        weights[np.ix_(cols, [k, k + N_IBUG])] = w
    return feature_mean, weights, mean_target


def cross_validated_lambda(meshes, truths, reference, fitter) -> float:
    folds = np.arange(len(meshes)) % 5
    scores = {}
    for lam in LAMBDAS:
        errors = []
        for k in range(5):
            X, Y = design(meshes[folds != k], truths[folds != k], reference, augment=True)
            model = _model(reference, *fitter(X, Y, lam))
            pred = np.array([ibug68(m, model=model) for m in meshes[folds == k]])
            errors.append(core_nme(pred, truths[folds == k]))
        scores[lam] = float(np.concatenate(errors).mean())
        print(f"    lambda {lam:g}: cross-validated core error {100 * scores[lam]:.2f}%")
    return min(scores, key=scores.get)


def _model(reference, feature_mean, weights, target_mean, anchors=None, sigma=0.0):
    return RefinementModel(
        reference=reference,
        feature_mean=feature_mean,
        weights=weights,
        target_mean=target_mean,
        anchors=np.zeros(N_IBUG, np.intp) if anchors is None else anchors,
        warp_sigma=sigma,
    )


def anchor_vertices(reference, target_mean) -> NDArray[np.intp]:
    """For each iBUG point, the nearest mesh vertex (of the 468) on the mean face; all distinct."""
    points = target_mean[:N_IBUG] + 1j * target_mean[N_IBUG:]
    taken: set[int] = set()
    anchors = []
    for p in points:
        for v in np.argsort(np.abs(reference[:468] - p)):
            if int(v) not in taken:
                taken.add(int(v))
                anchors.append(int(v))
                break
    return np.array(anchors, np.intp)


def today(meshes) -> NDArray[np.float64]:
    """The 14 core points as the 88-point layout places them without refinement (iBUG slots)."""
    from bench.accuracy import POINT_PAIRS
    from webapp.vision.landmarks.faceshape import _shape_points

    out = np.full((len(meshes), N_IBUG, 2), np.nan)
    for n, mesh in enumerate(meshes):
        shape = _shape_points(mesh.astype(np.float32), width=1 << 16, height=1 << 16, refined=None)
        for (group, index), ibug in POINT_PAIRS.items():
            out[n, ibug] = getattr(shape, group)[index]
    return out


def fit(cache: Path, out: Path = PARAMS_PATH) -> None:
    """Fit both approaches on afw + helen-train, measure on helen-test, save the best."""
    data = np.load(cache)
    meshes, truths = data["meshes"].astype(np.float64), data["truths"]
    held = data["subsets"] == HELD_OUT
    train_m, train_t = meshes[~held], truths[~held]
    print(
        f"fitting on {len(train_m)} faces (afw + helen-train) and their mirror images; "
        f"measuring on {held.sum()} {HELD_OUT} faces"
    )
    reference = reference_shape(train_m)
    X, Y = design(train_m, train_t, reference, augment=True)
    base = core_nme(today(meshes[held]), truths[held])
    print(
        f"  today's points (no refinement): core {100 * base.mean():.2f}% "
        f"(median {100 * np.median(base):.2f}%)"
    )
    results = {}
    for name, fitter in (
        ("A: ridge map of the whole aligned mesh", ridge),
        (
            "B: local ridge maps, 64 nearest mesh points each",
            lambda X, Y, lam: local_ridge(X, Y, reference, lam),
        ),
    ):
        print(f"  {name}")
        lam = cross_validated_lambda(train_m, train_t, reference, fitter)
        model = _model(reference, *fitter(X, Y, lam))
        pred = np.array([ibug68(m, model=model) for m in meshes[held]])
        core, every = core_nme(pred, truths[held]), all_nme(pred, truths[held])
        print(
            f"    lambda {lam:g}: {HELD_OUT} core {100 * core.mean():.2f}% "
            f"(median {100 * np.median(core):.2f}%), all 68 {100 * every.mean():.2f}%"
        )
        results[name] = (core.mean(), model, lam)
    best = min(results, key=lambda k: results[k][0])
    _, model, lam = results[best]
    anchors = anchor_vertices(reference, model.target_mean)
    eye = abs(reference[RIGHT_EYE_OUTER] - reference[LEFT_EYE_OUTER])
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out,
        reference=np.column_stack([reference.real, reference.imag]).astype(np.float32),
        feature_mean=model.feature_mean.astype(np.float32),
        weights=model.weights.astype(np.float32),
        target_mean=model.target_mean.astype(np.float32),
        anchors=anchors.astype(np.int16),
        warp_sigma=np.float32(WARP_SIGMA * eye),
        warp_smoothing=np.float32(WARP_SMOOTHING),
        warp_points=np.array(WARP_POINTS, np.int16),
        ridge_lambda=np.float32(lam),
    )
    print(f"chosen: {best}; wrote {out} ({out.stat().st_size / 1e6:.2f} MB)")


def compare_warps(train_dir: Path) -> None:
    """The dense contours' error and order on 120 training crops, per way of moving the mesh."""
    import dataclasses
    import random

    from bench.dense import image_accuracy, order_problems
    from webapp.vision.refine import load_model

    files = sorted(p for p in train_dir.glob("*.pts") if not p.name.startswith(HELD_OUT))
    random.seed(14)
    data = [(read_photo(p.with_suffix(".jpg")), read_pts(p)) for p in random.sample(files, 120)]
    shipped = load_model()
    eye = abs(shipped.reference[RIGHT_EYE_OUTER] - shipped.reference[LEFT_EYE_OUTER])
    every, outer = tuple(range(N_IBUG)), tuple(range(60))
    configs = [("off", None, 0.0, 0.0)] + [
        (label, points, sigma, smoothing)
        for label, points in (("all 68", every), ("no inner lips", outer))
        for sigma, smoothing in ((0.15, 1e-3), (0.3, 1e-3), (0.15, 0.1), (0.3, 0.1), (0.3, 1.0))
    ]
    for label, points, sigma, smoothing in configs:
        model = None
        if points is not None:
            model = dataclasses.replace(
                shipped, warp_sigma=sigma * eye, warp_smoothing=smoothing, warp_points=points
            )
        errors, groups, disordered = [], {}, 0
        for image, truth in data:
            result = _dense_with(image, model)
            disordered += bool(order_problems(result))
            accuracy = image_accuracy(result, truth)
            if accuracy.get("found"):
                errors.append(accuracy["mean"])
                for group, value in accuracy["groups"].items():
                    groups.setdefault(group, []).append(value)
        by_group = " ".join(f"{g} {100 * np.mean(v):.2f}%" for g, v in groups.items())
        mean = 100 * np.mean(errors)
        print(f"{label:14s} sigma {sigma:<5g} smoothing {smoothing:<6g} mean {mean:.2f}%"
              f"  {by_group}  out of order {disordered}", flush=True)  # fmt: skip


def _dense_with(image, model):
    """Dense landmarks with the refinement off (model None) or moved by ``model``."""
    import webapp.vision.refine as refine_module
    from webapp.vision.landmarks import dense_landmarks

    if model is None:
        return dense_landmarks(image, refine=False)
    shipped = refine_module.load_model
    refine_module.load_model = lambda path=None: model  # type: ignore[assignment]
    try:
        return dense_landmarks(image)
    finally:
        refine_module.load_model = shipped


#: The appearance stages: per stage (the cascade stops at the first stage that does
#: not lower the cross-validated training error), the cell sides of the HOG each point reads
#: round itself, in pooled pixels (refine.POOL cut pixels; the outer eye corners
#: are about 90 cut pixels apart).
STAGE_CELLS = tuple(
    tuple(int(c) for c in stage.split("+"))
    for stage in os.environ.get("STAGE_CELLS", "8+4+2,6+3+2,5+3+2,4+2").split(",")
)
#: Starts per training face (and per mirror image) for each stage: the map's own
#: cross-validated points, and the annotation plus the map's cross-validated
#: residual on another training face, drawn at random.
STARTS = int(os.environ.get("STAGE_STARTS", 5))
#: STAGE_FORCE=1 fits every stage of STAGE_CELLS even when one does not lower the
#: cross-validated training error (to measure the ceiling on helen-test).
FORCE = os.environ.get("STAGE_FORCE", "") == "1"
#: STAGE_TEST_MIRROR=1 also cuts each held-out face's mirror image, so that the
#: cascade's points can be averaged with its own on the mirror (un-mirrored).
TEST_MIRROR = os.environ.get("STAGE_TEST_MIRROR", "") == "1"
#: Ridge strengths tried per stage (relative to the mean eigenvalue), chosen by 5-fold
#: cross-validation on the training faces.
STAGE_LAMBDAS = tuple(
    float(v) for v in os.environ.get("STAGE_LAMBDAS", "0.01,0.03,0.1,0.3").split(",")
)


#: Each training cut is also made this many more times, its similarity turned, scaled
#: and shifted at random (uniform within STAGE_TURN radians, STAGE_SCALE on the log
#: scale, STAGE_SHIFT cut pixels) about the cut's centre: the same face as a slightly
#: different mesh would have cut it.
AUGMENT = int(os.environ.get("STAGE_AUGMENT", 0))
AUG_TURN = float(os.environ.get("STAGE_TURN", 0.08))
AUG_SCALE = float(os.environ.get("STAGE_SCALE", 0.05))
AUG_SHIFT = float(os.environ.get("STAGE_SHIFT", 3.0))
#: The jittered starts are also turned and scaled about their centre at random
#: (uniform within START_TURN radians and START_SCALE on the log scale).
START_TURN = float(os.environ.get("STAGE_START_TURN", 0.0))
START_SCALE = float(os.environ.get("STAGE_START_SCALE", 0.0))


def _jittered(matrix, rng):
    """AUGMENT random similarities about the cut's centre, after ``matrix``."""
    from webapp.vision.refine import CUT_SIZE

    out = []
    for _ in range(AUGMENT):
        a = np.exp(rng.uniform(-AUG_SCALE, AUG_SCALE) + 1j * rng.uniform(-AUG_TURN, AUG_TURN))
        shift = rng.uniform(-AUG_SHIFT, AUG_SHIFT, 2)
        jitter = np.array([[a.real, -a.imag, 0.0], [a.imag, a.real, 0.0]])
        jitter[:, 2] = CUT_SIZE / 2 + shift - jitter[:, :2] @ np.array([CUT_SIZE / 2] * 2)
        turned = jitter[:, :2] @ matrix[:, :2]
        out.append(np.column_stack([turned, jitter[:, :2] @ matrix[:, 2] + jitter[:, 2]]))
    return out


def _flipped(image, mesh, truth):
    """The photo flipped left-right, the mesh and the annotation with it (renumbered)."""
    m, t = mirrored(mesh, truth)
    m, t = m.copy(), t.copy()
    m[:, 0] += image.shape[1] - 1
    t[:, 0] += image.shape[1] - 1
    return np.ascontiguousarray(image[:, ::-1]), m, t


def unmirrored(points, matrix, plain_matrix, width):
    """Points (68 x 2) in the cut of a photo's mirror image, in the plain photo's cut."""
    inverse = cv2.invertAffineTransform(matrix)
    photo = points @ inverse[:, :2].T + inverse[:, 2]
    photo[:, 0] = width - 1 - photo[:, 0]
    return _in_cut(photo[FLIP68], plain_matrix)


def held_out_error(points, index, targets, face, flips, matrices, widths) -> str:
    """The held-out core error of ``points`` (flat, on cuts ``index``): plain, and (when the
    mirrors were cut) averaged with the same cascade's points on the mirror image."""
    plain = flips[index] == 0
    error = core_nme(_pairs(points[plain]), _pairs(targets[index[plain]]))
    text = f"{100 * float(error.mean()):.3f}%"
    if plain.all():
        return text
    where = {(int(face[j]), int(flips[j])): n for n, j in enumerate(index)}
    averaged, truth = [], []
    for n, j in enumerate(index):
        if flips[j]:
            continue
        m = where[(int(face[j]), 1)]
        back = unmirrored(_pairs(points[m]), matrices[index[m]], matrices[j], widths[j])
        averaged.append((_pairs(points[n]) + back) / 2)
        truth.append(_pairs(targets[j]))
    mean = 100 * float(core_nme(np.array(averaged), np.array(truth)).mean())
    return f"{text} (averaged with its mirror: {mean:.3f}%)"


def _in_cut(points, matrix):
    return points @ matrix[:, :2].T + matrix[:, 2]


def held_out_figure(points, keep, index, *, mirrors: bool = True) -> str:
    """:func:`held_out_error` of flat ``points`` on the kept cuts ``index`` of a keep file
    (``fit_stages``' KEEP.npz); the plain error alone when the file has no mirrored cuts'
    transforms (it predates them) or ``mirrors`` is false."""
    targets = keep["targets"]
    if not mirrors or "matrices" not in keep.files:
        return f"{100 * float(core_nme(_pairs(points), _pairs(targets[index])).mean()):.3f}%"
    return held_out_error(points, index, targets, keep["face"], keep["flips"],
                          keep["matrices"], keep["widths"])  # fmt: skip


def _flat(points):
    """(..., 68, 2) -> (..., 136): 68 x then 68 y."""
    return np.concatenate([points[..., 0], points[..., 1]], axis=-1)


def _pairs(flat):
    return np.stack([flat[..., :N_IBUG], flat[..., N_IBUG:]], axis=-1)


def fit_stages(
    cache: Path, train_dir: Path, out: Path = PARAMS_PATH, keep: Path | None = None
) -> None:
    """Fit the appearance stages on afw + helen-train after the shipped map; add them to ``out``.

    With ``keep``, also stores there every cut, the stages' cross-validated
    points on the training cuts (every start) and their points on the held-out
    cuts, for the tree cascade (``bench.fit_trees``).
    """
    started = time.perf_counter()
    data = np.load(cache)
    names, subsets = data["names"], data["subsets"]
    meshes, truths = data["meshes"].astype(np.float64), data["truths"]
    shipped = load_model(out)
    with np.load(out) as params:
        base = {
            k: params[k] for k in params.files if not k.startswith("stage") and k != "mean_shape"
        }
        lam0 = float(params["ridge_lambda"]) if "ridge_lambda" in params else 1e-3
    held = subsets == HELD_OUT
    # Every face (and, for training, its mirror image): its cut, the map's points and the truth.
    cuts, starts, targets, face, flips, plain, matrices, widths = [], [], [], [], [], [], [], []
    oof_model = {}
    train_index = np.flatnonzero(~held)
    folds = np.arange(len(names)) % 5
    for k in range(5):
        fold = train_index[folds[train_index] != k]
        X, Y = design(meshes[fold], truths[fold], shipped.reference, augment=True)
        oof_model[k] = _model(shipped.reference, *ridge(X, Y, lam0))
    rng_cut = np.random.default_rng(41)
    for i, name in enumerate(names):
        image = read_photo(train_dir / f"{name}.jpg")
        versions = [(image, meshes[i], truths[i])]
        if not held[i] or TEST_MIRROR:
            versions.append(_flipped(image, meshes[i], truths[i]))
        for flip, (img, mesh, truth) in enumerate(versions):
            # Training faces start where the map fitted without their fold puts them.
            model = shipped if held[i] else oof_model[folds[i]]
            cut = cut_face(img, mesh)
            centre, w = align(mesh, model.reference)
            start = mapped(mesh, model, centre, w)
            for matrix in [cut.matrix, *([] if held[i] else _jittered(cut.matrix, rng_cut))]:
                cuts.append(cut.pixels if matrix is cut.matrix else cut_pixels(img, matrix))
                starts.append(_flat(_in_cut(start, matrix)))
                targets.append(_flat(_in_cut(truth, matrix)))
                face.append(i)
                flips.append(flip)
                matrices.append(matrix)
                widths.append(img.shape[1])
                plain.append(matrix is cut.matrix)
    starts, targets, face = np.array(starts), np.array(targets), np.array(face)
    test = held[face]
    train = np.flatnonzero(~test)
    print(f"{len(train)} training cuts (with mirrors), {test.sum()} {HELD_OUT} cuts "
          f"in {time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    mean_shape = targets[train].mean(axis=0)

    def core(points, truth):
        return float(core_nme(_pairs(points), _pairs(truth)).mean())

    test_index = np.flatnonzero(test)
    matrices, widths = np.array(matrices), np.array(widths)
    flips = np.array(flips)

    def held_out(points):
        return held_out_error(points, test_index, targets, face, flips, matrices, widths)

    alone = held_out(starts[test_index]), core(starts[train], targets[train])
    print(f"  map alone: {HELD_OUT} core {alone[0]}, "
          f"training (cross-validated) {100 * alone[1]:.2f}%")  # fmt: skip
    rng = np.random.default_rng(14)
    residuals = starts[train] - targets[train]
    owner = np.repeat(train, STARTS)
    current = np.repeat(starts[train], STARTS, axis=0)
    jitter = np.arange(len(owner)) % STARTS != 0
    current[jitter] = (
        targets[owner[jitter]] + residuals[rng.integers(len(train), size=jitter.sum())]
    )
    if START_TURN or START_SCALE:  # the jittered starts also turned and scaled about their centre
        moved = _pairs(current[jitter]) @ np.array([1, 1j])
        centre = moved.mean(axis=1, keepdims=True)
        count = int(jitter.sum())
        factor = np.exp(
            rng.uniform(-START_SCALE, START_SCALE, count)
            + 1j * rng.uniform(-START_TURN, START_TURN, count)
        )
        moved = centre + (moved - centre) * factor[:, None]
        current[jitter] = np.concatenate([moved.real, moved.imag], axis=1)
    first = np.flatnonzero(~jitter & np.array(plain)[owner])  # the cross-validated score's
    test_current = starts[test_index].copy()
    sample_fold = folds[face[owner]]
    saved: dict[str, NDArray] = {}
    for n, cells in enumerate(STAGE_CELLS):

        def features(index, points, cells=cells):
            local = np.zeros((len(index), N_IBUG, 144 * len(cells)), np.float32)
            for j in np.unique(index):
                rows = np.flatnonzero(index == j)
                table = gradient_integrals(cuts[j])
                for r in rows:
                    local[r] = point_features(table, _pairs(points[r]), cells)
            shape = np.array([shape_features(_pairs(p), mean_shape) for p in points])
            return local, shape

        local, shape = features(owner, current)
        Y = targets[owner] - current
        oofs = {lam: np.zeros_like(Y) for lam in STAGE_LAMBDAS}
        for k in range(N_IBUG):
            X = np.concatenate([local[:, k], shape], axis=1).astype(np.float64)
            for fold in range(5):
                fit_on, predict = sample_fold != fold, sample_fold == fold
                fits = ridge_path(X[fit_on], Y[fit_on][:, [k, k + N_IBUG]], STAGE_LAMBDAS)
                for lam, (xm, W, ym) in zip(STAGE_LAMBDAS, fits, strict=True):
                    oofs[lam][np.ix_(predict, [k, k + N_IBUG])] = (X[predict] - xm) @ W + ym
        scores = {}
        for lam, oof in oofs.items():
            scores[lam] = core(current[first] + oof[first], targets[owner[first]])
            print(f"    stage {n} (cells {cells}) lambda {lam:g}: cross-validated core "
                  f"{100 * scores[lam]:.2f}%", flush=True)  # fmt: skip
        lam = min(scores, key=scores.get)
        before = core(current[first], targets[owner[first]])
        if scores[lam] >= before and not FORCE:
            print(f"  stage {n}: no better than {100 * before:.2f}% cross-validated; the "
                  f"cascade stops at {n} stages", flush=True)  # fmt: skip
            break
        d = local.shape[2]
        weights = np.zeros((N_IBUG, d, 2), np.float32)
        shape_weights = np.zeros((2 * N_IBUG, N_IBUG, 2), np.float32)
        bias = np.zeros((N_IBUG, 2), np.float32)
        for k in range(N_IBUG):
            X = np.concatenate([local[:, k], shape], axis=1).astype(np.float64)
            xm, W, ym = ridge(X, Y[:, [k, k + N_IBUG]], lam)
            weights[k], shape_weights[:, k] = W[:d], W[d:]
            bias[k] = ym - xm @ W
        test_local, test_shape = features(test_index, test_current)
        step = np.einsum("nkd,kdo->nko", test_local, weights)
        step += np.einsum("ns,sko->nko", test_shape, shape_weights) + bias
        test_current = test_current + _flat(step)
        current = current + oofs[lam]
        saved[f"stage{n}_cells"] = np.array(cells, np.int16)
        saved[f"stage{n}_local"] = weights
        saved[f"stage{n}_shape"] = shape_weights
        saved[f"stage{n}_bias"] = bias
        print(f"  stage {n} (cells {cells}, lambda {lam:g}): {HELD_OUT} core "
              f"{held_out(test_current)}, training (cross-validated) "
              f"{100 * scores[lam]:.2f}%  ({time.perf_counter() - started:.0f} s)",
              flush=True)  # fmt: skip
    if keep is not None:
        np.savez(
            keep, cuts=np.array(cuts), targets=targets, face=face, flips=flips,
            matrices=matrices, widths=widths,
            held=held, folds=folds, owner=owner, current=current, test_index=test_index,
            test_current=test_current, map_starts=starts, mean_shape=mean_shape,
        )  # fmt: skip
    np.savez_compressed(
        out, **base, stages=np.int16(len(saved) // 4),
        mean_shape=mean_shape.astype(np.float32), **saved,
    )  # fmt: skip
    load_model.cache_clear()
    model = load_model(out)
    if FORCE or TEST_MIRROR or os.environ.get("STAGE_EYES"):  # an experiment: not the engine's
        print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB)")
        return
    points = np.array([ibug68(meshes[i], read_photo(train_dir / f"{names[i]}.jpg"), model=model)
                       for i in np.flatnonzero(held)])  # fmt: skip
    every = core_nme(points, truths[held])
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB); through the engine's code: "
          f"{HELD_OUT} core {100 * every.mean():.2f}% (median {100 * np.median(every):.2f}%), "
          f"all 68 {100 * all_nme(points, truths[held]).mean():.2f}%")  # fmt: skip


def score(cache: Path, train_dir: Path, keep: Path, points: Path | None = None) -> None:
    """The held-out core error of the kept points (or ``points``' from bench.fit_trees'
    TREE_TEST_OUT or bench.fit_weak's WEAK_TEST_OUT): on every held-out face and on the
    faces dlib finds, plain and averaged with the mirror, beside dlib's own (bench.accuracy's)."""
    from bench.accuracy import Dlib, core_error

    names = np.load(cache)["names"]
    kept = np.load(keep)
    targets, face, flips = kept["targets"], kept["face"], kept["flips"]
    source = kept if points is None else np.load(points)
    index = source["test_index"]
    pts = source["test_current"]
    where = {(int(face[j]), int(flips[j])): n for n, j in enumerate(index)}
    dlib = Dlib()
    rows = []  # (plain, mirror-averaged or nan, dlib or None)
    for n, j in enumerate(index):
        if flips[j]:
            continue
        mine, truth = _pairs(pts[n]), _pairs(targets[j])
        plain = float(core_nme(mine[None], truth[None])[0])
        averaged = float("nan")
        if (int(face[j]), 1) in where:
            m = where[(int(face[j]), 1)]
            matrices = kept["matrices"]
            back = unmirrored(_pairs(pts[m]), matrices[index[m]], matrices[j], kept["widths"][j])
            averaged = float(core_nme(((mine + back) / 2)[None], truth[None])[0])
        pts_file = train_dir / f"{names[face[j]]}.pts"
        found = dlib.points(read_photo(pts_file.with_suffix(".jpg")), read_pts(pts_file))
        rows.append(
            (plain, averaged, None if found is None else core_error(found, read_pts(pts_file)))
        )
    table = np.array([(a, b, np.nan if c is None else c) for a, b, c in rows])
    found = ~np.isnan(table[:, 2])
    for label, chosen in (("every held-out face", slice(None)), ("the faces dlib finds", found)):
        plain, averaged = 100 * table[chosen, 0].mean(), 100 * table[chosen, 1].mean()
        line = f"{label} ({len(table[chosen])}): {plain:.3f}%, with the mirror {averaged:.3f}%"
        if label.endswith("finds"):
            line += f"; dlib {100 * table[found, 2].mean():.3f}%"
        print(line)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 3 and args[0] == "collect":
        collect(Path(args[1]), Path(args[2]))
        return 0
    if len(args) == 2 and args[0] == "fit":
        fit(Path(args[1]))
        return 0
    if len(args) in (3, 4, 5) and args[0] == "stages":
        out = Path(args[3]) if len(args) > 3 else PARAMS_PATH
        fit_stages(Path(args[1]), Path(args[2]), out, Path(args[4]) if len(args) > 4 else None)
        return 0
    if len(args) in (4, 5) and args[0] == "score":
        score(*(Path(a) for a in args[1:]))
        return 0
    if len(args) == 2 and args[0] == "warp":
        compare_warps(Path(args[1]))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
