"""Landmark refinement: the 68 iBUG points where people annotate them, from the mesh.

MediaPipe's mesh finds faces well but places its points by its own
convention: the brow ends, the jaw line and the eye and mouth corners sit
measurably away from where human annotators put them. This module maps a
face's mesh to the 68 points of the iBUG 300-W layout with a model fitted on
300-W's AFW and HELEN training annotations (``bench/fit_refinement.py``
fits it; ``webapp/vision/data/REFINEMENT.md`` gives its size, its figures
and the annotations' research-only terms).

The model, in two steps:

1. **Align.** The mesh's 468 face points and two iris centres are brought
   onto the model's reference mesh by the least-squares similarity transform
   (translation, rotation, scale); depth is scaled alike.
2. **Map.** A ridge-regularised linear map takes the aligned mesh (x, y and
   depth of its 470 points) to the 68 points in the same frame; the inverse
   similarity puts them back on the photo.
3. **Look.** Given the photo (or the face's :class:`FaceCut`, which
   :func:`webapp.vision.detect_faces` keeps on each face), a short cascade
   of appearance stages moves the points by what the photo shows round
   them: in a grey cut of the face (eyes level, about 90 pixels apart),
   each point reads histograms of oriented gradients round itself, at a
   few cell sizes, and moves by a linear (ridge) step from them and the
   shape of all 68 (a supervised-descent cascade). Without the photo only
   steps 1-2 are made.

:func:`refine_landmarks` also moves the mesh onto the refined points: each
of the 68 points has an anchor vertex of the mesh, and every vertex moves by
a smooth (Gaussian radial basis) interpolation of the anchors' displacements,
so contours drawn through the mesh (the dense layout's brows, eyes, lips and
jaw) follow the refined points. The irises (points 468-477) stay where the
iris model puts them: the 68 points have no pupil, and moving the pupils with
the lids' correction moved the ID check's eye line by 0.7% of the photo's
height on one of its test photos with nothing to say it was better.
Off (``refine=False`` in the callers), the engine gives exactly the mesh's
own points.

iBUG order (0-based): 0-16 jaw (image-left to image-right, chin 8),
17-21 / 22-26 brows (image-left / image-right, outer to inner / inner to
outer), 27-30 nose bridge to tip, 31-35 nose base, 36-41 / 42-47 eyes
(clockwise from the image-left corner), 48-59 outer lips, 60-67 inner lips.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from .mesh import LEFT_EYE_OUTER, LEFT_IRIS_CENTRE, N_MESH, RIGHT_EYE_OUTER, RIGHT_IRIS_CENTRE

#: The fitted parameters, shipped inside the package.
PARAMS_PATH = Path(__file__).resolve().parent / "data" / "refinement68.npz"
#: Number of points in the iBUG 300-W layout.
N_IBUG = 68
#: The mesh points the model reads: the face's 468 and the two iris centres.
MODEL_POINTS = np.array([*range(N_MESH), LEFT_IRIS_CENTRE, RIGHT_IRIS_CENTRE], dtype=np.intp)

_COMPLEX = np.array([1.0, 1.0j])

#: The face cut the appearance stages read: a square of CUT_SIZE pixels, grey,
#: the face's mesh centred in it, its outer eye corners level, and scaled so
#: that the mesh's 468 points lie CUT_SPREAD pixels from their centroid (root
#: mean square; the outer eye corners are then about 90 pixels apart).
CUT_SIZE = 216
CUT_SPREAD = 49.5


@dataclass(frozen=True, eq=False)
class FaceCut:
    """A face's grey cut, as the appearance stages read it.

    Attributes
    ----------
    pixels : ndarray of shape (CUT_SIZE, CUT_SIZE), uint8
        The grey cut; outside the photo it is black.
    matrix : ndarray of shape (2, 3), float64
        The similarity taking photo pixels to cut pixels (pixel centres on integers).
    """

    pixels: NDArray[np.uint8]
    matrix: NDArray[np.float64]


def cut_transform(mesh: NDArray[np.floating]) -> NDArray[np.float64]:
    """The 2x3 similarity taking photo pixels to the face's cut (:data:`CUT_SIZE`)."""
    xy = np.asarray(mesh, np.float64)[:N_MESH, :2]
    centre = xy.mean(axis=0)
    spread = float(np.sqrt(((xy - centre) ** 2).sum(axis=1).mean())) or 1.0
    dx, dy = xy[RIGHT_EYE_OUTER] - xy[LEFT_EYE_OUTER]
    turn = complex(dx, -dy) / (abs(complex(dx, dy)) or 1.0)  # levels the eye line
    a = turn * CUT_SPREAD / spread
    matrix = np.array([[a.real, -a.imag, 0.0], [a.imag, a.real, 0.0]])
    matrix[:, 2] = CUT_SIZE / 2 - matrix[:, :2] @ centre
    return matrix


def cut_face(image: NDArray[np.uint8], mesh: NDArray[np.floating]) -> FaceCut:
    """The face's grey cut from an RGB photo (or a grey one)."""
    matrix = cut_transform(mesh)
    return FaceCut(pixels=cut_pixels(image, matrix), matrix=matrix)


def cut_pixels(image: NDArray[np.uint8], matrix: NDArray[np.float64]) -> NDArray[np.uint8]:
    """The grey CUT_SIZE square that ``matrix`` (photo to cut pixels) maps an RGB photo to."""
    pixels = cv2.warpAffine(
        np.ascontiguousarray(image),
        matrix,
        (CUT_SIZE, CUT_SIZE),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )
    return grey(pixels)


def grey(pixels: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """An RGB cut made grey (a grey one as it is)."""
    return cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY) if pixels.ndim == 3 else pixels


#: The points' shape as the stages read it: cut pixels less the mean shape, in this unit.
SHAPE_UNIT = 10.0
#: Orientation bins of the gradient histograms (unsigned, 0-180 degrees).
BINS = 9
#: The histograms are pooled over POOL x POOL cut pixels before cells are summed.
POOL = 2


def gradient_integrals(pixels: NDArray[np.uint8]) -> NDArray[np.float64]:
    """Summed-area tables of the cut's gradient-orientation histograms.

    Each pixel's gradient (central differences) votes its magnitude into its
    orientation's two nearest bins (of :data:`BINS`); votes are pooled over POOL x POOL
    pixels. Returns shape (G + 1, G + 1, BINS), G = CUT_SIZE / POOL: the sum
    over pooled cells ``[y0, y1) x [x0, x1)`` is
    ``t[y1, x1] - t[y0, x1] - t[y1, x0] + t[y0, x0]``.
    """
    img = pixels.astype(np.float32)
    gx = np.zeros_like(img)
    gy = np.zeros_like(img)
    gx[:, 1:-1] = img[:, 2:] - img[:, :-2]
    gy[1:-1] = img[2:] - img[:-2]
    magnitude = cv2.magnitude(gx, gy)
    angle = cv2.phase(gx, gy, angleInDegrees=True)
    # Split between the two nearest bins' centres (angles 0-360: unsigned, so modulo BINS).
    position = angle * (BINS / 180.0) - 0.5
    lower = np.floor(position)
    share = (position - lower) * magnitude
    below = lower.astype(np.int32) + 1  # 0 .. 2 * BINS
    cell = _pooled_cell()
    size = (CUT_SIZE // POOL) ** 2 * BINS
    pooled = np.bincount((cell + _LOWER[below]).ravel(), (magnitude - share).ravel(), size)
    pooled += np.bincount((cell + _UPPER[below]).ravel(), share.ravel(), size)
    side = CUT_SIZE // POOL
    return cv2.integral(pooled.reshape(side, side, BINS), sdepth=cv2.CV_64F)


_LOWER = ((np.arange(2 * BINS + 1) - 1) % BINS).astype(np.int32)
_UPPER = (np.arange(2 * BINS + 1) % BINS).astype(np.int32)


@lru_cache(maxsize=1)
def _pooled_cell() -> NDArray[np.int32]:
    """Each cut pixel's pooled cell, times BINS (the histograms' flat index less the bin)."""
    index = np.arange(CUT_SIZE) // POOL
    return ((index[:, None] * (CUT_SIZE // POOL) + index[None, :]) * BINS).astype(np.int32)


@dataclass(frozen=True, eq=False)
class Stage:
    """One appearance stage: each point moves by a linear step from what it sees.

    Point ``k`` reads, for each side ``c`` in ``cells``, a histogram of
    gradient orientations (HOG) of the 4 x 4 cells of ``c`` pooled pixels
    (``POOL * c`` cut pixels) round it, normalised per 2 x 2 cells (144
    numbers), and the shape of all 68 points (cut pixels less ``mean_shape``,
    over :data:`SHAPE_UNIT`); its step (x, y, cut pixels) is
    ``hog_k @ local[k] + shape @ shape_weights[:, k] + bias[k]``.
    """

    cells: tuple[int, ...]
    local: NDArray[np.float32]  # (68, 144 * len(cells), 2)
    shape_weights: NDArray[np.float32]  # (136, 68, 2)
    bias: NDArray[np.float32]  # (68, 2)


def point_features(
    table: NDArray[np.float64], points: NDArray[np.float64], cells: tuple[int, ...]
) -> NDArray[np.float32]:
    """The HOG round each point, for each cell side: shape (68, 144 * len(cells))."""
    width = table.shape[1]
    sizes = np.asarray(cells, np.intp)
    # Cut pixel x is pooled coordinate (x - (POOL - 1) / 2) / POOL; cell j is centred on j + 1/2.
    centre = (points - (POOL - 1) / 2) / POOL + 0.5
    first = np.rint(centre[:, None, :] - 2 * sizes[None, :, None]).astype(np.intp)
    # (68, scales, x or y, 5 edges)
    edges = np.clip(first[..., None] + sizes[None, :, None, None] * _EDGES, 0, width - 1)
    flat = edges[:, :, 1, :, None] * width + edges[:, :, 0, None, :]
    corners = table.reshape(-1, BINS)[flat]  # (68, scales, 5 y, 5 x, BINS)
    # (68, scales, 4, 4, BINS)
    sums = corners[:, :, 1:, 1:] + corners[:, :, :-1, :-1]
    sums -= corners[:, :, :-1, 1:] + corners[:, :, 1:, :-1]
    sums = sums.astype(np.float32)
    n = len(cells)
    blocks = sums.reshape(N_IBUG, n, 2, 2, 2, 2, BINS).transpose(0, 1, 2, 4, 3, 5, 6)
    blocks = blocks.reshape(N_IBUG, n, 4, 4 * BINS)  # 2 x 2 blocks of 2 x 2 cells: L2-Hys
    blocks = blocks / np.sqrt(np.einsum("...i,...i->...", blocks, blocks) + 1.0)[..., None]
    np.minimum(blocks, 0.2, out=blocks)
    blocks /= np.sqrt(np.einsum("...i,...i->...", blocks, blocks) + 1e-3)[..., None]
    return blocks.reshape(N_IBUG, -1)


_EDGES = np.arange(5)


def shape_features(
    points: NDArray[np.float64], mean_shape: NDArray[np.float64]
) -> NDArray[np.float32]:
    """The points as the stages read them: 68 x then 68 y, less the mean, in SHAPE_UNIT."""
    flat = np.concatenate([points[:, 0], points[:, 1]])
    return ((flat - mean_shape) / SHAPE_UNIT).astype(np.float32)


@dataclass(frozen=True, eq=False)
class RefinementModel:
    """The fitted parameters (``webapp/vision/data/refinement68.npz``).

    Attributes
    ----------
    reference : ndarray of shape (470,), complex
        The reference mesh the face is aligned onto, centred, unit norm.
    feature_mean, weights, target_mean : ndarray
        The linear map: ``targets = (features - feature_mean) @ weights + target_mean``,
        targets being the 68 x then the 68 y in the reference frame.
    anchors : ndarray of shape (68,), int
        The mesh vertex that stands for each iBUG point when the mesh is moved.
    warp_sigma : float
        Width of the Gaussian that spreads the anchors' displacements, in the
        reference frame's units.
    warp_smoothing : float
        Added to the Gaussian kernel's diagonal: 0 would pass exactly through
        the anchors; more keeps the mesh's own shape between close anchors
        that move apart (lids, lips), which otherwise fold.
    warp_points : tuple of int
        The iBUG points whose anchors move the mesh (the inner lips' do not:
        on a closed mouth they sit on top of each other).
    stages : tuple of Stage
        The appearance stages that move the mapped points in the face's cut
        (:class:`FaceCut`), in order; none when the file has none.
    mean_shape : ndarray of shape (136,)
        The stages' mean points in the cut (68 x then 68 y).
    spread : ndarray of shape (468, 68)
        The move of each face vertex per unit move of each anchor: Gaussian
        radial-basis smoothing on the reference mesh, made once from the
        fields above.
    """

    reference: NDArray[np.complex128]
    feature_mean: NDArray[np.float64]
    weights: NDArray[np.float64]
    target_mean: NDArray[np.float64]
    anchors: NDArray[np.intp]
    warp_sigma: float
    warp_smoothing: float = 1e-3
    warp_points: tuple[int, ...] = tuple(range(N_IBUG))
    stages: tuple[Stage, ...] = ()
    mean_shape: NDArray[np.float64] = field(default_factory=lambda: np.zeros(2 * N_IBUG))
    spread: NDArray[np.float64] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        vertices = self.reference[:N_MESH]  # the 468 face points come first
        anchors = vertices[self.anchors[list(self.warp_points)]]
        two_sigma2 = 2.0 * self.warp_sigma**2 or 1.0
        kernel = np.exp(-(np.abs(anchors[:, None] - anchors[None, :]) ** 2) / two_sigma2)
        kernel[np.diag_indices_from(kernel)] += self.warp_smoothing
        reach = np.exp(-(np.abs(vertices[:, None] - anchors[None, :]) ** 2) / two_sigma2)
        spread = np.zeros((N_MESH, N_IBUG))
        spread[:, list(self.warp_points)] = np.linalg.solve(kernel.T, reach.T).T
        object.__setattr__(self, "spread", spread)


@dataclass(frozen=True, eq=False)
class Refined:
    """A face's refined landmarks.

    Attributes
    ----------
    points : ndarray of shape (68, 2), float64
        The iBUG 300-W points in photo pixels (0-based, ``x`` = column).
    mesh : ndarray of shape (478, 3), float32
        The face's mesh moved onto ``points`` (depth and irises unchanged), read-only.
    """

    points: NDArray[np.float64]
    mesh: NDArray[np.float32]


@lru_cache(maxsize=1)
def load_model(path: Path = PARAMS_PATH) -> RefinementModel:
    """Read the fitted parameters (once per process)."""
    with np.load(path) as params:
        return RefinementModel(
            reference=params["reference"].astype(np.float64) @ _COMPLEX,
            feature_mean=params["feature_mean"].astype(np.float64),
            weights=params["weights"].astype(np.float64),
            target_mean=params["target_mean"].astype(np.float64),
            anchors=params["anchors"].astype(np.intp),
            warp_sigma=float(params["warp_sigma"]),
            warp_smoothing=float(params["warp_smoothing"]),
            warp_points=tuple(int(i) for i in params["warp_points"]),
            stages=tuple(
                Stage(
                    cells=tuple(int(c) for c in params[f"stage{n}_cells"]),
                    local=params[f"stage{n}_local"].astype(np.float32),
                    shape_weights=params[f"stage{n}_shape"].astype(np.float32),
                    bias=params[f"stage{n}_bias"].astype(np.float32),
                )
                for n in range(int(params["stages"]) if "stages" in params else 0)
            ),
            mean_shape=(
                params["mean_shape"].astype(np.float64)
                if "mean_shape" in params
                else np.zeros(2 * N_IBUG)
            ),
        )


def align(mesh: NDArray[np.floating], reference: NDArray[np.complex128]) -> tuple[complex, complex]:
    """The similarity ``q = w * (p - c)`` taking the mesh onto the reference.

    Points are complex numbers ``x + iy``; returns ``(c, w)``: the mesh's
    centroid and the rotation-and-scale factor.
    """
    points = np.asarray(mesh, np.float64)[MODEL_POINTS, :2] @ _COMPLEX
    centre = complex(points.mean())
    points = points - centre
    w = complex(np.vdot(points, reference) / (np.vdot(points, points).real or 1.0))
    return centre, w


def mesh_features(mesh: NDArray[np.floating], centre: complex, w: complex) -> NDArray[np.float64]:
    """The aligned mesh as the model reads it: 470 x, 470 y, 470 depths."""
    points = np.asarray(mesh, np.float64)[MODEL_POINTS]
    aligned = (points[:, :2] @ _COMPLEX - centre) * w
    depth = (points[:, 2] - points[:, 2].mean()) * abs(w)
    return np.concatenate([aligned.real, aligned.imag, depth])


def ibug68(
    mesh: NDArray[np.floating],
    image: NDArray[np.uint8] | FaceCut | None = None,
    *,
    model: RefinementModel | None = None,
) -> NDArray[np.float64]:
    """The 68 iBUG points of a face, in photo pixels, from its 478-point mesh and the photo.

    Without ``image`` (the photo, or the face's :class:`FaceCut`), only the
    map from the mesh: the appearance stages need the pixels.
    """
    model = model or load_model()
    centre, w = align(mesh, model.reference)
    return _predict(mesh, image, model, centre, w)


def refine_landmarks(
    mesh: NDArray[np.floating],
    image: NDArray[np.uint8] | FaceCut | None = None,
    *,
    model: RefinementModel | None = None,
) -> Refined:
    """The 68 refined points of a face and its mesh moved onto them.

    Parameters
    ----------
    mesh : ndarray of shape (478, 3)
        The face's mesh (:attr:`webapp.vision.faces.Face.mesh`), photo pixels.
    image : ndarray of shape (H, W, 3), uint8, or FaceCut, optional
        The RGB photo the mesh is in, or the face's cut
        (:attr:`webapp.vision.faces.Face.cut`): the appearance stages read it.
        Without it, only the map from the mesh (step 2), which is less exact.
    model : RefinementModel, optional
        The fitted parameters; the shipped ones by default.

    Returns
    -------
    Refined
    """
    model = model or load_model()
    mesh = np.asarray(mesh)
    centre, w = align(mesh, model.reference)
    points = _predict(mesh, image, model, centre, w)
    moved = np.array(mesh, dtype=np.float32, copy=True)
    # The irises (the pupils) are the iris model's: no annotation of the 68 says otherwise.
    moved[:N_MESH, :2] = _move(mesh, points, model, centre, w)
    moved.setflags(write=False)
    points.setflags(write=False)
    return Refined(points=points, mesh=moved)


def _predict(
    mesh: NDArray[np.floating],
    image: NDArray[np.uint8] | FaceCut | None,
    model: RefinementModel,
    centre: complex,
    w: complex,
) -> NDArray[np.float64]:
    points = mapped(mesh, model, centre, w)
    if image is None or not model.stages:
        return points
    cut = image if isinstance(image, FaceCut) else cut_face(image, mesh)
    inside = points @ cut.matrix[:, :2].T + cut.matrix[:, 2]
    table = gradient_integrals(cut.pixels)
    for stage in model.stages:
        inside = inside + stage_step(table, inside, stage, model.mean_shape)
    inverse = cv2.invertAffineTransform(cut.matrix)
    return inside @ inverse[:, :2].T + inverse[:, 2]


def mapped(
    mesh: NDArray[np.floating], model: RefinementModel, centre: complex, w: complex
) -> NDArray[np.float64]:
    """Step 2 alone: the ridge map of the aligned mesh, in photo pixels."""
    targets = (mesh_features(mesh, centre, w) - model.feature_mean) @ model.weights
    targets += model.target_mean
    aligned = targets[:N_IBUG] + 1j * targets[N_IBUG:]
    photo = aligned / w + centre
    return np.column_stack([photo.real, photo.imag])


def stage_step(
    table: NDArray[np.float64],
    points: NDArray[np.float64],
    stage: Stage,
    mean_shape: NDArray[np.float64],
) -> NDArray[np.float64]:
    """One stage's move of the points (68 x 2, cut pixels)."""
    local = point_features(table, points, stage.cells)
    shape = shape_features(points, mean_shape)
    step = np.matmul(local[:, None, :], stage.local)[:, 0]
    step += np.einsum("s,sko->ko", shape, stage.shape_weights) + stage.bias
    return step.astype(np.float64)


def _move(
    mesh: NDArray[np.floating],
    points: NDArray[np.float64],
    model: RefinementModel,
    centre: complex,
    w: complex,
) -> NDArray[np.float64]:
    """The 468 face vertices moved by the anchors' displacements, spread by Gaussians."""
    xy = np.asarray(mesh, np.float64)[:N_MESH, :2]
    # In the reference frame, where the spread was made.
    vertices = (xy @ _COMPLEX - centre) * w
    shift = (points @ _COMPLEX - centre) * w - vertices[model.anchors]
    moved = (vertices + model.spread @ shift) / w + centre
    return np.column_stack([moved.real, moved.imag])
