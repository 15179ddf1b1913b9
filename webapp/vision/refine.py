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

import numpy as np
from numpy.typing import NDArray

from .mesh import LEFT_IRIS_CENTRE, N_MESH, RIGHT_IRIS_CENTRE

#: The fitted parameters, shipped inside the package.
PARAMS_PATH = Path(__file__).resolve().parent / "data" / "refinement68.npz"
#: Number of points in the iBUG 300-W layout.
N_IBUG = 68
#: The mesh points the model reads: the face's 468 and the two iris centres.
MODEL_POINTS = np.array([*range(N_MESH), LEFT_IRIS_CENTRE, RIGHT_IRIS_CENTRE], dtype=np.intp)

_COMPLEX = np.array([1.0, 1.0j])


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


def ibug68(mesh: NDArray[np.floating], model: RefinementModel | None = None) -> NDArray[np.float64]:
    """The 68 iBUG points of a face, in photo pixels, from its 478-point mesh."""
    model = model or load_model()
    centre, w = align(mesh, model.reference)
    return _predict(mesh, model, centre, w)


def refine_landmarks(mesh: NDArray[np.floating], model: RefinementModel | None = None) -> Refined:
    """The 68 refined points of a face and its mesh moved onto them.

    Parameters
    ----------
    mesh : ndarray of shape (478, 3)
        The face's mesh (:attr:`webapp.vision.faces.Face.mesh`), photo pixels.
    model : RefinementModel, optional
        The fitted parameters; the shipped ones by default.

    Returns
    -------
    Refined
    """
    model = model or load_model()
    mesh = np.asarray(mesh)
    centre, w = align(mesh, model.reference)
    points = _predict(mesh, model, centre, w)
    moved = np.array(mesh, dtype=np.float32, copy=True)
    # The irises (the pupils) are the iris model's: no annotation of the 68 says otherwise.
    moved[:N_MESH, :2] = _move(mesh, points, model, centre, w)
    moved.setflags(write=False)
    points.setflags(write=False)
    return Refined(points=points, mesh=moved)


def _predict(
    mesh: NDArray[np.floating], model: RefinementModel, centre: complex, w: complex
) -> NDArray[np.float64]:
    targets = (mesh_features(mesh, centre, w) - model.feature_mean) @ model.weights
    targets += model.target_mean
    aligned = targets[:N_IBUG] + 1j * targets[N_IBUG:]
    photo = aligned / w + centre
    return np.column_stack([photo.real, photo.imag])


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
