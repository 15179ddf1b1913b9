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

from ..mesh import (
    CHIN,
    FACE_OVAL,
    LEFT_BROW_UPPER,
    LEFT_EYE_INNER,
    LEFT_EYE_OUTER,
    LIPS_INNER_LEFT,
    LIPS_INNER_RIGHT,
    MIDLINE,
    MIRROR,
    MOUTH_LEFT,
    MOUTH_RIGHT,
    N_MESH,
    RIGHT_BROW_UPPER,
    RIGHT_EYE_INNER,
    RIGHT_EYE_OUTER,
    SUBNASALE,
    face_frame,
)

#: The corners of the mesh's three openings (the eyes and the inside of the lips).
HOLE_CORNERS = (
    (LEFT_EYE_OUTER, LEFT_EYE_INNER),
    (RIGHT_EYE_OUTER, RIGHT_EYE_INNER),
    (LIPS_INNER_LEFT, LIPS_INNER_RIGHT),
)
#: Upper edges of both eyebrows.
BROWS = LEFT_BROW_UPPER + RIGHT_BROW_UPPER
#: The corners of the mouth.
MOUTH_CORNERS = (MOUTH_LEFT, MOUTH_RIGHT)
#: A user's face whose two halves differ in area by more than this factor is
#: turned enough for its far side to be completed from the near side.
TURNED = 1.5
#: Triangles seen at less than the first fraction of their mirror's area start
#: taking their texture from the mirror; below the second they take only it.
FORESHORTENED = (0.7, 0.4)
#: The ring of fixed points around the face that ends the template's
#: reshaping: each point of the face oval gets one, outside both the
#: template's outline and the new one, by the first factor times how far that
#: outline point moves (so the band between is stretched or squeezed by at
#: most about that factor's inverse) and, along the jaw, by at least the
#: second factor times the face's width; above the jaw the ring hugs the
#: outline. Outside the ring the template is untouched.
RING_MARGIN = (2.5, 0.04)
#: How much farther out (a fraction of the face's width) the lower ring may
#: go to find smooth ground for the band where the reshaping fades, searched
#: in RING_STEPS steps; see :func:`ring_points`.
RING_SEARCH = 0.1
RING_STEPS = 9
#: The outer fraction of the way from the new outline to the ring over which
#: the reshaping fades out; inside it the template is reshaped in full.
RING_FADE = 1 / 3
#: Costs of the ring search, in units of the ground (gradient magnitude) per
#: face width: going farther out (a larger band), and a change of that
#: distance between neighbouring points (a wobbly ring).
RING_COST = (150.0, 300.0)
#: Where the outline may move: the points of the face's edge above the jaw
#: (forehead, temples, the ears' level down to their lobes) stay where the
#: template has them, so its hair and ears do not move; the jaw's freedom
#: grows from 0 to full between the first and second fraction of the way
#: from the base of the nose down to the chin, gradually, so that the
#: outline bends rather than steps where it starts to follow the user's.
#: Points deeper inside the face than the first fraction of the oval's
#: radius (:data:`HELD_RADIUS`) move freely, from the second on they are
#: held like the edge.
JAW_FREEDOM = (0.1, 0.7)
HELD_RADIUS = (0.6, 0.95)
#: Where the reshaped jaw band is in the mask: from the first fraction of
#: the way from the nose base to the chin to full at the second, just above
#: where the jaw starts to move (:data:`JAW_FREEDOM`).
JAW_SHOWN = (0.03, 0.1)

Points = NDArray[np.float64]


def face_width(mesh: NDArray) -> float:
    """Return the width of the face oval in pixels, measured along the eye line."""
    frame = face_frame(mesh, eyes="middle")
    along = (np.asarray(mesh, np.float64)[list(FACE_OVAL), :2] - frame.centre) @ frame.across
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
    frame = face_frame(mesh, eyes="middle")
    jaw = _below_nose(mesh, (xy - frame.centre) @ frame.down, JAW_FREEDOM)
    return 1.0 - held * (1.0 - jaw)


def ring_points(
    mesh: NDArray,
    target: NDArray,
    *,
    ground: NDArray[np.float32] | None = None,
    ground_origin: tuple[int, int] = (0, 0),
) -> Points:
    """Return the fixed points around a face whose outline moves from ``mesh`` to ``target``.

    One per point of the face oval, on the ray from the oval's centre through
    the template's point, beyond the farther of the two outlines by
    :data:`RING_MARGIN` (the moves smoothed along the oval, so the ring does
    not zigzag; above the jaw, :func:`jaw_weight`, the ring hugs the
    outline, so that the ears stay out). Given ``ground``, the points along
    the jaw go up to :data:`RING_SEARCH` farther out where that puts the band
    in which the reshaping fades out (the outer :data:`RING_FADE` of the way
    from the new outline to the ring) on lower ``ground``: a smooth path,
    found by dynamic programming, that avoids laying that band along the
    template's jawline or collar.

    Parameters
    ----------
    mesh, target : ndarray of shape (>= 468, 2 or 3)
        The template's mesh and the geometry it is reshaped to, in pixels.
    ground : ndarray of shape (h, w), optional
        The cost of the fading band crossing each pixel (e.g. the template's
        gradient magnitude), over a box whose top-left corner is
        ``ground_origin`` (x, y).

    Returns
    -------
    ndarray of shape (36, 2)
    """
    oval = np.asarray(mesh, np.float64)[list(FACE_OVAL), :2]
    moved_to = np.asarray(target, np.float64)[list(FACE_OVAL), :2]
    centre = oval.mean(axis=0)
    radius = np.hypot(*(oval - centre).T)
    unit = (oval - centre) / np.maximum(radius, 1e-9)[:, None]
    inner = np.hypot(*(moved_to - centre).T)
    reach = np.maximum(radius, inner)
    moves = np.hypot(*(moved_to - oval).T)
    # Each point's move, or a share of a larger one of its neighbours', so
    # that the ring does not zigzag.
    spread = np.max([np.roll(moves, k) * (1 - abs(k) / 3) for k in range(-2, 3)], axis=0)
    factor, least = RING_MARGIN
    width = face_width(mesh)
    weight = jaw_weight(mesh, oval)
    outer = reach + np.maximum(factor * spread, least * width * weight)
    if ground is not None:
        extra = _ring_search(mesh, centre, unit, inner, outer, weight, ground, ground_origin)
        outer = outer + extra
    return centre + outer[:, None] * unit


def _ring_search(
    mesh: NDArray,
    centre: Points,
    unit: Points,
    inner: Points,
    outer: Points,
    weight: Points,
    ground: NDArray[np.float32],
    origin: tuple[int, int],
) -> Points:
    """How much farther out each ring point goes (see :func:`ring_points`).

    Only the points along the jaw (``weight``, :func:`jaw_weight`, above 0)
    search, each up to its ``weight`` times :data:`RING_SEARCH`; the cost of
    a path is the mean ``ground`` under its fading band (wherever that band
    is in the mask) plus :data:`RING_COST`.
    """
    n = len(FACE_OVAL)
    width = face_width(mesh)
    shown = (weight > 0) & (jaw_weight(mesh, centre + outer[:, None] * unit) > 0)
    extra = np.zeros(n)
    if not shown.any() or shown.all():
        return extra
    # The path of points whose bands show, and a neighbour on either side.
    shown = shown | np.roll(shown, 1) | np.roll(shown, -1)
    start = int(np.flatnonzero(shown & ~np.roll(shown, 1))[0])
    path = [(start + k) % n for k in range(int(shown.sum()))]
    steps = np.linspace(0.0, RING_SEARCH * width, RING_STEPS)
    far_cost, wobble_cost = RING_COST
    t = np.array([1, 3, 5, 7, 9, 11])[:, None] / 12.0  # along a segment
    s = np.linspace(0.0, 1.0, 4)[None, :]  # across the fading band
    height, w = ground.shape
    # costs[j][a, b]: the segment from path[j] at step a to path[j + 1] at step b.
    costs = []
    for i, k in zip(path[:-1], path[1:], strict=True):
        reach_i, reach_k = steps * weight[i], steps * weight[k]
        u = (1 - t)[..., None] * unit[i] + t[..., None] * unit[k]
        u /= np.linalg.norm(u, axis=-1, keepdims=True)
        ring = (1 - t) * (outer[i] + reach_i)[:, None, None, None] + t * (outer[k] + reach_k)[
            None, :, None, None
        ]
        new = (1 - t) * inner[i] + t * inner[k]
        r = ring - s * (ring - new) * RING_FADE  # (K, K, 6, 4)
        xy = centre + r[..., None] * u  # (K, K, 6, 4, 2)
        cols = np.clip(np.round(xy[..., 0] - origin[0]).astype(int), 0, w - 1)
        rows = np.clip(np.round(xy[..., 1] - origin[1]).astype(int), 0, height - 1)
        seen = jaw_weight(mesh, xy) > 0
        cost = (ground[rows, cols] * seen).mean(axis=(2, 3))
        cost += far_cost * (reach_i[:, None] + reach_k[None, :]) / (2 * width)
        cost += wobble_cost * np.abs(reach_i[:, None] - reach_k[None, :]) / width
        costs.append(cost)
    # Viterbi along the path.
    total = np.zeros(RING_STEPS)
    back = []
    for cost in costs:
        options = total[:, None] + cost
        back.append(np.argmin(options, axis=0))
        total = options.min(axis=0)
    choice = [int(np.argmin(total))]
    for pointers in reversed(back):
        choice.append(int(pointers[choice[-1]]))
    choice.reverse()
    extra[path] = steps[choice] * weight[path]
    return extra


def jaw_weight(mesh: NDArray, points: NDArray) -> NDArray[np.float64]:
    """Return how much of the jaw's reshaping each point (x, y) may take (0 to 1).

    0 above the first level of :data:`JAW_SHOWN`, 1 from the second down:
    full a little above where the outline starts to move
    (:data:`JAW_FREEDOM`), so that all that moves is taken whole.
    """
    frame = face_frame(mesh, eyes="middle")
    depth = (np.asarray(points, np.float64)[..., :2] - frame.centre) @ frame.down
    return _below_nose(mesh, depth, JAW_SHOWN)


def jaw_taper(mesh: NDArray, box: tuple[int, int, int, int]) -> NDArray[np.float32]:
    """Return :func:`jaw_weight` for each pixel of ``box`` (x, y, w, h)."""
    return _below_nose(mesh, depth_map(mesh, box), JAW_SHOWN).astype(np.float32)


def _below_nose(mesh: NDArray, depth: NDArray, levels: tuple[float, float]) -> NDArray:
    """0 above ``levels[0]``, 1 below ``levels[1]``: fractions of the way from nose base to chin.

    ``depth`` is how far down the face (:func:`depth_map`) each point lies.
    """
    frame = face_frame(mesh, eyes="middle")
    xy = np.asarray(mesh, np.float64)[:, :2]
    nose, chin = ((xy[i] - frame.centre) @ frame.down for i in (SUBNASALE, CHIN))
    top, full = (nose + level * (chin - nose) for level in levels)
    return np.clip((depth - top) / max(full - top, 1e-6), 0.0, 1.0)


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
    frame = face_frame(mesh, eyes="middle")
    origin, x_axis, y_axis = frame.centre, frame.across, frame.down
    xy = np.asarray(mesh, np.float64)[:, :2]
    oval = xy[list(FACE_OVAL)] - origin
    brow = float(((xy[list(BROWS)] - origin) @ y_axis).min())
    along, down = oval @ x_axis, oval @ y_axis
    down = np.where(down < brow, brow + (down - brow) * forehead, down)
    return origin + np.outer(along, x_axis) + np.outer(down, y_axis)


def levels(mesh: NDArray) -> tuple[float, float]:
    """Return how far down the face the brows' tops and the mouth are (as :func:`depth_map`)."""
    frame = face_frame(mesh, eyes="middle")
    origin, y_axis = frame.centre, frame.down
    xy = np.asarray(mesh, np.float64)[:, :2]
    brow = float(((xy[list(BROWS)] - origin) @ y_axis).min())
    mouth = float(((xy[list(MOUTH_CORNERS)] - origin) @ y_axis).mean())
    return brow, mouth


def depth_map(mesh: NDArray, box: tuple[int, int, int, int]) -> NDArray[np.float32]:
    """Return, for each pixel of ``box`` (x, y, w, h), how far down the face it lies.

    Distances in pixels along the face's y axis from the point between the
    eyes (negative above it), comparable with :func:`levels`.
    """
    frame = face_frame(mesh, eyes="middle")
    origin, y_axis = frame.centre, frame.down
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
    side = (target[triangles].mean(axis=1) - centre) @ face_frame(target, eyes="middle").across
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
