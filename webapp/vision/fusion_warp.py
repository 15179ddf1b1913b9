"""Geometry of face fusion: aligning meshes, triangulating them, warping pixels.

Everything here works on MediaPipe face-mesh points in image pixels (x =
column, y = row, origin at the top left; z is relative depth on the same
scale). The warps are piecewise affine: a triangulation of the destination
points is rasterised once into a map of triangle indices, each triangle gets
the affine that takes it back to its source triangle, and ``cv2.remap``
samples the source through the resulting dense map.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray

#: Points of the 468-point mesh proper (468-477 are the irises).
N_MESH = 468
#: The face oval of MediaPipe's mesh, in order around the face, starting at the
#: top of the forehead and going towards the image right.
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip
#: Eye corners: the subject's right eye (image left), then the left eye.
RIGHT_EYE = (33, 133)
LEFT_EYE = (263, 362)
#: The corners of the mesh's three openings (the eyes and the inside of the lips).
HOLE_CORNERS = ((33, 133), (263, 362), (78, 308))
#: Upper edges of both eyebrows.
BROWS = (70, 63, 105, 66, 107, 300, 293, 334, 296, 336)
#: The base of the nose, between the nostrils.
NOSE_BASE = 2
#: The corners of the mouth.
MOUTH_CORNERS = (61, 291)
#: Points in the middle of the cheeks, where skin is sampled.
CHEEKS = (50, 280, 101, 330, 117, 346, 36, 266)
#: Points on the face's line of symmetry. MediaPipe numbers the rest so that
#: the k-th other point below 248 mirrors point 248 + k (checked against the
#: mesh's tessellation in the tests).
MIDLINE = (0, 1, 2, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
           94, 151, 152, 164, 168, 175, 195, 197, 199, 200)  # fmt: skip
#: A user's face whose two halves differ in area by more than this factor is
#: turned enough for its far side to be completed from the near side.
TURNED = 1.5
#: Triangles seen at less than the first fraction of their mirror's area start
#: taking their texture from the mirror; below the second they take only it.
FORESHORTENED = (0.7, 0.4)
#: The ring of fixed points around the face, as a multiple of the face oval's
#: distance from its centre. Between the oval and the ring the template is
#: stretched to meet the new outline; outside the ring it is untouched.
RING_SCALE = 1.2
#: Where the outline may move: the points of the face's edge above the nose
#: (forehead, temples, ears' level) stay where the template has them, so its
#: hair and ears do not move; from the nose down to the mouth the jaw's
#: freedom grows to full. Points deeper inside the face than the first
#: fraction of the oval's radius move freely, from the second on they are
#: held like the edge.
HELD_RADIUS = (0.6, 0.95)

Points = NDArray[np.float64]


def _mirror_table() -> NDArray[np.intp]:
    table = np.arange(N_MESH)
    sided = [i for i in range(248) if i not in MIDLINE]
    table[sided] = np.arange(248, N_MESH)
    table[248:] = sided
    return table


#: ``MIRROR[i]`` is the mesh point symmetric to point ``i`` across the face.
MIRROR = _mirror_table()


def face_frame(mesh: NDArray) -> tuple[Points, Points, Points]:
    """Return the origin (between the eyes) and the unit x and y axes of the face.

    x runs from the subject's right eye to the left eye; y is perpendicular,
    pointing down the face (in image coordinates, where y grows downwards).
    """
    xy = np.asarray(mesh, np.float64)[:, :2]
    right, left = xy[list(RIGHT_EYE)].mean(axis=0), xy[list(LEFT_EYE)].mean(axis=0)
    axis = left - right
    axis /= max(float(np.hypot(*axis)), 1e-9)
    return (right + left) / 2, axis, np.array([-axis[1], axis[0]])


def face_width(mesh: NDArray) -> float:
    """Return the width of the face oval in pixels, measured along the eye line."""
    origin, x_axis, _ = face_frame(mesh)
    along = (np.asarray(mesh, np.float64)[list(FACE_OVAL), :2] - origin) @ x_axis
    return float(along.max() - along.min())


def align_mesh(source: NDArray, target: NDArray) -> Points:
    """Return ``source`` moved onto ``target`` by the best 3-D similarity.

    A least-squares rotation, uniform scale and translation (Umeyama) of the
    468 mesh points in 3-D, so that a face turned differently is brought into
    the target's pose before its outline is compared with the target's.

    Parameters
    ----------
    source, target : ndarray of shape (478, 3)
        Meshes in pixels (x, y, z).

    Returns
    -------
    ndarray of shape (478, 3)
        The source's points in the target's image: x, y in pixels and z.
    """
    src = np.asarray(source, np.float64)
    dst = np.asarray(target, np.float64)
    a, b = src[:N_MESH], dst[:N_MESH]
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    ca, cb = a - mean_a, b - mean_b
    u, sigma, vt = np.linalg.svd(cb.T @ ca / len(a))
    d = np.ones(3)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[-1] = -1.0  # a reflection is not a pose
    rotation = u @ np.diag(d) @ vt
    scale = float((sigma * d).sum() / (ca**2).sum(axis=1).mean())
    return scale * (src - mean_a) @ rotation.T + mean_b


def outline_freedom(mesh: NDArray) -> Points:
    """Return how free each mesh point is to move when the face changes shape (0 to 1).

    1 inside the face and along the jaw; 0 along the upper outline (see
    :data:`HELD_RADIUS`), so that reshaping the face moves the template's
    jaw and chin but not its hair or ears.
    """
    xy = np.asarray(mesh, np.float64)[:, :2]
    (cx, cy), (width, height), angle = cv2.fitEllipse(xy[list(FACE_OVAL)].astype(np.float32))
    theta = np.deg2rad(angle)
    dx, dy = xy[:, 0] - cx, xy[:, 1] - cy
    u = (dx * np.cos(theta) + dy * np.sin(theta)) / (width / 2)
    v = (-dx * np.sin(theta) + dy * np.cos(theta)) / (height / 2)
    inner, outer = HELD_RADIUS
    held = np.clip((np.hypot(u, v) - inner) / (outer - inner), 0.0, 1.0)
    origin, _, y_axis = face_frame(mesh)
    depth = (xy - origin) @ y_axis
    nose, mouth = float(depth[NOSE_BASE]), float(depth[list(MOUTH_CORNERS)].mean())
    jaw = np.clip((depth - nose) / max(mouth - nose, 1e-6), 0.0, 1.0)
    return 1.0 - held * (1.0 - jaw)


def ring_points(mesh: NDArray) -> Points:
    """Return the fixed points around a face: its oval scaled by :data:`RING_SCALE`."""
    oval = np.asarray(mesh, np.float64)[list(FACE_OVAL), :2]
    centre = oval.mean(axis=0)
    return centre + RING_SCALE * (oval - centre)


@lru_cache(maxsize=1)
def face_triangles() -> NDArray[np.int32]:
    """Return the triangles of the face's surface: MediaPipe's tessellation, holes closed.

    The tessellation (its edges, from ``mediapipe``) leaves the eyes and the
    mouth open; each opening is closed with a ladder of triangles between
    its upper and lower edges, so the eyes and the inside of the mouth are
    warped too. Fixed topology: the same triangles fit every face.

    Returns
    -------
    ndarray of shape (m, 3)
        Indices into the 468 mesh points.
    """
    from mediapipe.python.solutions.face_mesh_connections import FACEMESH_TESSELATION

    edges = {tuple(sorted(e)) for e in FACEMESH_TESSELATION}
    neighbours: dict[int, set[int]] = {i: set() for i in range(N_MESH)}
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    cliques = {tuple(sorted((a, b, c))) for a, b in edges for c in neighbours[a] & neighbours[b]}
    uses: dict[tuple[int, int], int] = {}
    for t in cliques:
        for edge in ((t[0], t[1]), (t[0], t[2]), (t[1], t[2])):
            uses[edge] = uses.get(edge, 0) + 1
    # A triangle of edges that all border three triangles is not a face of the
    # mesh but a hole in the middle of three faces.
    faces = [
        t for t in cliques if any(uses[e] < 3 for e in ((t[0], t[1]), (t[0], t[2]), (t[1], t[2])))
    ]
    boundary = [e for e, n in uses.items() if n == 1]
    for corners in HOLE_CORNERS:
        faces.extend(_ladder(_loop(boundary, corners[0]), corners))
    return np.array(sorted(faces), np.int32)


def _loop(edges: list[tuple[int, int]], start: int) -> list[int]:
    """The closed boundary path through ``start``, in order."""
    nxt: dict[int, list[int]] = {}
    for a, b in edges:
        nxt.setdefault(a, []).append(b)
        nxt.setdefault(b, []).append(a)
    loop, previous = [start], None
    while True:
        current = loop[-1]
        step = next(p for p in nxt[current] if p != previous)
        if step == start:
            return loop
        previous = current
        loop.append(step)


def _ladder(loop: list[int], corners: tuple[int, int]) -> list[tuple[int, ...]]:
    """Triangles closing a hole bounded by ``loop``, between its two sides."""
    k = loop.index(corners[1])
    upper, lower = loop[: k + 1], [loop[0], *loop[: k - len(loop) - 1 : -1]]
    triangles = []
    for i in range(len(upper) - 1):
        a, b, c, d = upper[i], upper[i + 1], lower[i + 1], lower[i]
        triangles.extend(t for t in ((a, b, c), (a, c, d)) if len(set(t)) == 3)
    return [tuple(sorted(t)) for t in triangles]


def triangulate(points: Points) -> NDArray[np.int32]:
    """Return the Delaunay triangles of ``points`` (n, 2) as an (m, 3) index array.

    Points that coincide are one vertex: the first of them gets the triangles.
    """
    pts = np.asarray(points, np.float32)
    (x0, y0), (x1, y1) = np.floor(pts.min(axis=0)) - 1, np.ceil(pts.max(axis=0)) + 1
    subdiv = cv2.Subdiv2D((int(x0), int(y0), int(x1 - x0) + 1, int(y1 - y0) + 1))
    index: dict[tuple[float, float], int] = {}
    for i, (x, y) in enumerate(pts.tolist()):
        index.setdefault((x, y), i)
    subdiv.insert(list(index))
    corners = subdiv.getTriangleList().astype(np.float32).reshape(-1, 3, 2).tolist()
    triangles = [[index.get((x, y), -1) for x, y in corner] for corner in corners]
    # Triangles that touch Subdiv2D's virtual outer vertices are not ours.
    return np.array([t for t in triangles if min(t) >= 0], np.int32).reshape(-1, 3)


def mask_polygon(mesh: Points | NDArray, *, forehead: float) -> Points:
    """Return the face oval with its forehead lowered towards the eyebrows.

    Parameters
    ----------
    mesh : ndarray of shape (478, 2) or (478, 3)
        Mesh points in pixels.
    forehead : float
        The fraction of the forehead (between the brows' upper edge and the
        oval's top) that stays in the polygon: 0 cuts at the brows, 1 keeps
        the whole oval.

    Returns
    -------
    ndarray of shape (36, 2)
        The polygon, in pixels.
    """
    origin, x_axis, y_axis = face_frame(mesh)
    xy = np.asarray(mesh, np.float64)[:, :2]
    oval = xy[list(FACE_OVAL)] - origin
    brow = float(((xy[list(BROWS)] - origin) @ y_axis).min())
    along, down = oval @ x_axis, oval @ y_axis
    down = np.where(down < brow, brow + (down - brow) * forehead, down)
    return origin + np.outer(along, x_axis) + np.outer(down, y_axis)


def levels(mesh: NDArray) -> tuple[float, float]:
    """Return how far down the face (see :func:`face_frame`) the brows' tops and the mouth are."""
    origin, _, y_axis = face_frame(mesh)
    xy = np.asarray(mesh, np.float64)[:, :2]
    brow = float(((xy[list(BROWS)] - origin) @ y_axis).min())
    mouth = float(((xy[list(MOUTH_CORNERS)] - origin) @ y_axis).mean())
    return brow, mouth


def depth_map(mesh: NDArray, box: tuple[int, int, int, int]) -> NDArray[np.float32]:
    """Return, for each pixel of ``box`` (x, y, w, h), how far down the face it lies.

    Distances in pixels along the face's y axis from the point between the
    eyes (negative above it), comparable with :func:`levels`.
    """
    origin, _, y_axis = face_frame(mesh)
    x0, y0, w, h = box
    xs = np.arange(x0, x0 + w, dtype=np.float32) - np.float32(origin[0])
    ys = np.arange(y0, y0 + h, dtype=np.float32) - np.float32(origin[1])
    return xs[None, :] * np.float32(y_axis[0]) + ys[:, None] * np.float32(y_axis[1])


def mirror_weights(user: Points, target: Points, triangles: NDArray[np.int32]) -> Points | None:
    """Return how much each mesh point should take its texture from its mirror image.

    A turned face shows its far side foreshortened, folded or hidden. Points
    whose surrounding triangles the user's photo shows at a fraction of the
    area of their mirror image's (:data:`FORESHORTENED`) are better taken
    from the near side, mirrored.

    Parameters
    ----------
    user, target : ndarray of shape (>= 468, 2)
        The user's mesh in the user's photo, and the geometry it goes to.
    triangles : ndarray of shape (m, 3)
        Triangles over the first 468 points.

    Returns
    -------
    ndarray of shape (468,) or None
        Weights from 0 (the user's own pixels) to 1 (the mirror's), or None
        when the face is not turned enough (:data:`TURNED`) to need them.
    """
    area_user = _signed_areas(user, triangles)
    area_target = _signed_areas(target, triangles)
    centre = target[list(MIDLINE)].mean(axis=0)
    _, x_axis, _ = face_frame(target)
    side = (target[triangles].mean(axis=1) - centre) @ x_axis
    halves = [np.abs(area_user[side < 0]).sum(), np.abs(area_user[side > 0]).sum()]
    if max(halves) <= TURNED * max(min(halves), 1e-9):
        return None
    # What the photo shows around each point: the area of the triangles
    # around it, those folded over (seen from behind) counting for nothing.
    # Summed over a point's triangles, so that slivers do not decide.
    shown = np.where(np.sign(area_user) == np.sign(area_target), np.abs(area_user), 0.0)
    around = np.zeros(N_MESH)
    np.add.at(around, triangles.ravel(), np.repeat(shown, 3))
    ratio = around / np.maximum(around[MIRROR], 1e-9)
    high, low = FORESHORTENED
    return np.clip((high - ratio) / (high - low), 0.0, 1.0)


def _signed_areas(points: Points, triangles: NDArray) -> Points:
    a, b, c = (points[triangles[:, k], :2] for k in range(3))
    return 0.5 * (
        (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    )


def piecewise_affine_map(
    dst: Points,
    src: Points,
    triangles: NDArray[np.int32],
    box: tuple[int, int, int, int],
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.int32]]:
    """Return the dense map that pulls ``src`` triangles onto ``dst`` triangles.

    Parameters
    ----------
    dst, src : ndarray of shape (n, 2)
        Corresponding points in pixels: where each point goes, and where it
        comes from.
    triangles : ndarray of shape (m, 3)
        Triangles over the points; they should not overlap in ``dst``.
    box : tuple of int
        ``(x, y, w, h)``: the destination pixels to map.

    Returns
    -------
    map_x, map_y : ndarray of shape (h, w) and dtype float32
        For each destination pixel, the source pixel to sample (absolute
        coordinates, as ``cv2.remap`` wants them). Identity outside the
        triangles.
    index : ndarray of shape (h, w) and dtype int32
        The triangle covering each pixel, plus one; 0 outside them. Pass it
        to :func:`interpolate` to spread other values over the same pixels.
    """
    index = rasterize(dst, triangles, box)
    map_x, map_y = interpolate(index, dst, src, triangles, box, identity=True)
    return map_x, map_y, index


def rasterize(
    dst: Points, triangles: NDArray[np.int32], box: tuple[int, int, int, int]
) -> NDArray[np.int32]:
    """Return which triangle (plus one; 0 for none) covers each pixel of ``box``."""
    x0, y0, w, h = box
    index = np.zeros((h, w), np.int32)
    # Four fractional bits: vertices keep their sub-pixel position.
    corners = np.round((dst[triangles] - (x0, y0)) * 16).astype(np.int32)
    for i, corner in enumerate(corners, start=1):
        cv2.fillConvexPoly(index, corner, i, lineType=cv2.LINE_8, shift=4)
    return index


def interpolate(
    index: NDArray[np.int32],
    dst: Points,
    values: NDArray,
    triangles: NDArray[np.int32],
    box: tuple[int, int, int, int],
    *,
    identity: bool = False,
) -> list[NDArray[np.float32]]:
    """Spread per-point ``values`` (n, k) linearly over the triangles of ``index``.

    Returns one (h, w) float32 map per column of ``values``. Outside the
    triangles the maps are 0, or with ``identity`` (k = 2) the pixels' own
    x and y.
    """
    x0, y0, w, h = box
    values = np.asarray(values, np.float64).reshape(len(values), -1)
    k = values.shape[1]
    outside = np.zeros((1, k, 3))
    if identity:
        outside[0, :, :2] = np.eye(2)
    coefficients = np.concatenate([outside, _affines(dst, values, triangles)]).astype(np.float32)
    xs = np.arange(x0, x0 + w, dtype=np.float32)[None, :]
    ys = np.arange(y0, y0 + h, dtype=np.float32)[:, None]
    return [
        coefficients[index, j, 0] * xs + coefficients[index, j, 1] * ys + coefficients[index, j, 2]
        for j in range(k)
    ]


def _affines(dst: Points, values: Points, triangles: NDArray[np.int32]) -> NDArray[np.float64]:
    """The (m, k, 3) linear functions of (x, y, 1) giving each triangle's corner values."""
    d = np.concatenate([dst[triangles, :2], np.ones((len(triangles), 3, 1))], axis=2)
    v = values[triangles]  # (m, 3, k)
    flat = np.abs(np.linalg.det(d)) < 1e-6
    d[flat] = np.eye(3)
    solved = np.linalg.solve(d, v)  # d @ solved = v
    # A flat triangle covers at most a line of pixels: give it its mean value.
    solved[flat] = 0.0
    solved[flat, 2] = v[flat].mean(axis=1)
    return solved.transpose(0, 2, 1)
