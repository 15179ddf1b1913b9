"""Find every face in a photo and fit MediaPipe's 478-point face mesh to each.

The pipeline (``docs/engine.md`` says what it relies on):

1. Detect with MediaPipe's short-range detector and, unless it found a large
   face (a portrait) or only the largest face is wanted and it found one,
   its full-range detector too: they miss different faces. A
   :class:`~webapp.vision.images.Picture` not yet decoded is searched on a
   reduction (:data:`DETECT_SIDE`) and each crop cut from the smallest
   reduction that is enough for it (``_Photo``).
   Their boxes are merged by IoU.
   On a photo too large for them to see faces of :data:`TILED_MIN_FACE` px,
   the full-range detector is also run on tiles of a downscaled copy (unless
   ``max_faces`` faces are found already); such a candidate is kept only if it
   is not a face already found and its mesh (step 2) and a second detector
   confirm it.
2. For each face, cut a square crop about twice the detector's box, rotated so
   the eyes are level and resized to a fixed size, and run FaceMesh on it
   (refined: 478 points with the irises). A crop that finds nothing is tried
   again at a second scale.
3. Map the points back to the photo through the inverse of the crop's affine.
4. If that mesh shows the crop was badly aligned (eyes far from level, face
   far from the centre), run the mesh once more on a crop aligned with it.

MediaPipe graphs are neither fork-safe nor thread-safe (``docs/engine.md``):
each thread gets its own, created on first use (or by :func:`warm_up`) and
kept for the life of the thread. Mesh indices are named in
:mod:`webapp.vision.mesh`.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field, replace
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from .errors import check_image
from .images import REDUCTIONS, Picture, halve
from .mesh import LEFT_EYE_INNER, LEFT_EYE_OUTER, RIGHT_EYE_INNER, RIGHT_EYE_OUTER
from .meshgraph import LandmarkGraph
from .refine import CUT_SIZE, FaceCut, cut_transform, grey

#: Side in pixels of the square crop the mesh runs on. The mesh's own region of
#: interest covers about 3/4 of it, which is then at least the model's 192 px.
CROP_SIZE = 256
#: Crop side as a multiple of the detector's box side; the second (more context,
#: for a box that is too small or off-centre) is tried when the mesh finds
#: nothing in the first.
CROP_SCALES = (2.0, 3.0)
#: The landmark model's region of interest is a square this many times the
#: detector's box (or a previous mesh's extent), centred on it, as MediaPipe's
#: own pipeline derives it; the crop around it is CROP_SCALES[0] times the box.
REGION_SCALE = 1.5
#: When the first mesh shows the crop was badly aligned (the detector's eye
#: keypoints are poor on small or tilted faces: 24 degrees off on einstein.jpg),
#: the mesh is run again on a crop aligned with the first mesh's own eyes.
REALIGN_DEGREES = 8.0
REALIGN_SHIFT = 0.15
#: Boxes from the two detectors overlapping more than this are one face.
DETECTION_IOU = 0.3
#: Meshes whose boxes overlap more than this are one face found twice.
MESH_IOU = 0.5
MIN_DETECTION_SCORE = 0.5
#: With ``max_faces`` found, candidates whose detector box is smaller than
#: this fraction of the last kept one's are not meshed.
SIZE_MARGIN = 0.7
#: When the short-range detector finds a face whose box is at least this
#: fraction of the photo's shorter side, the photo is a portrait or a close
#: group: the full-range detector (5 ms, as much as the mesh) is skipped. It
#: runs otherwise, since only it finds small faces (einstein.jpg). The cost:
#: a far smaller face behind such a portrait may be missed.
CLOSE_UP_FRACTION = 0.15
#: Side in pixels of the full-range detector's square input: the whole photo is
#: letterboxed into it. The short-range detector's is 128.
FULL_RANGE_INPUT = 192
#: Width in pixels of the smallest face the full-range detector finds reliably in
#: its input. Measured: faces pasted on a plain background are found from 10 px;
#: the seated man in einstein.jpg from 14.4 px (and not at 13.4). The short-range
#: detector needs about 13 px of its 128, so it never sees smaller faces than this.
#: On the whole photo, faces narrower than 15/192 (1/13) of its longer side are
#: out of reach: 80 px on einstein.jpg, 150 px at 1920x1080.
FULL_RANGE_REACH = 15
#: Every-face detection should find faces this wide (photo pixels), a face in a
#: group photo. Large photos therefore get a tiled pass: the full-range detector
#: on FULL_RANGE_INPUT-px tiles of a copy scaled by FULL_RANGE_REACH /
#: TILED_MIN_FACE (0.31; smoothed, as the detector's own downscaling aliases),
#: where such a face is FULL_RANGE_REACH px wide.
TILED_MIN_FACE = 48
#: Neighbouring tiles overlap by this many pixels of the scaled copy (a quarter
#: tile, 154 photo px), so that a face up to that size lies whole in one tile:
#: on photos up to 1920x1080 that is every face the whole-photo pass may miss.
TILE_OVERLAP = 48
#: At most this many tiles: each costs a full-range run (4.5 ms on one core,
#: whatever its content). 1920x1080 takes 4 x 2 at the full scale; larger
#: photos are scaled down further, so the smallest face they reach grows with
#: them (135 px at 4032x3024, where the whole-photo pass reaches 315 px).
MAX_TILES = 8
#: A grid of fewer tiles is preferred if it keeps at least this fraction of the
#: scale (smallest face 56 px instead of 48): 1280x720 takes 3 tiles, not 6.
#: A one-tile grid would see what the whole-photo pass sees: so a photo is tiled
#: only if its longer side exceeds FULL_RANGE_INPUT / (0.31 * 0.85) = 722 px.
TILE_SCALE_SLACK = 0.85
#: A tiled candidate is confirmed only if the detector is fairly sure of it, the
#: mesh fitted around it lies where the detector's box is, and the short-range
#: detector, run on the crop aligned with that mesh (the face is then half the
#: crop: well within its reach), is sure of it too. Tiles show the detector
#: buttons, hands, hair and lace that FaceMesh still fits a mesh to; the mesh's
#: own detector passed those at 0.51-0.69, while the small real faces scored
#: 0.84-0.95 (measured on tiles of the test photos at scales 0.25-1 and on
#: crowds of 44-64 px faces pasted on them: 85 faces, 6 such false ones).
TILED_MIN_SCORE = 0.6
TILED_CROP_SCORE = 0.75
#: Loose bounds on that mesh, relative to the detector box's side: its width
#: (measured 0.68-1.26 on the small faces), the distance between its eye centres
#: (0.29-0.57) and how far its centre is from the box's (at most 0.29).
TILED_MESH_WIDTH = (0.6, 1.4)
TILED_EYE_DISTANCE = (0.25, 0.6)
TILED_MAX_SHIFT = 0.35

#: The detectors see a photo through their 128 and 192 px inputs: a Picture
#: (not yet decoded) whose longer side is at least twice this is given to them
#: reduced (by 2, 4 or 8; a JPEG decoded at that scale) to no less than this,
#: and the tiled pass's copy is made from that reduction when it is large
#: enough for it. An array, decoded already, is searched whole as before.
DETECT_SIDE = 800

_local = threading.local()


@dataclass(frozen=True, eq=False)
class Face:
    """One face found in a photo.

    Coordinates are in pixels of the photo, origin at the top-left corner,
    ``x`` = column, ``y`` = row.

    Attributes
    ----------
    box : tuple of float
        ``(x, y, w, h)``: the extent of the mesh's points.
    score : float
        The detector's confidence, 0 to 1.
    mesh : ndarray of shape (478, 3) and dtype float32
        MediaPipe's face mesh with refined irises (468-477), read-only.
        Columns are x, y in pixels and z, the relative depth in the same
        pixel scale (smaller is nearer the camera; 0 is about the face's
        centre).
    cut : FaceCut or None
        The face cut grey from the photo as the landmark refinement reads it
        (:func:`webapp.vision.refine.refine_landmarks`), when
        ``detect_faces(..., cut=True)`` was asked for it: the photo is not
        needed again, however it was decoded.
    """

    box: tuple[float, float, float, float]
    score: float
    mesh: NDArray[np.float32] = field(repr=False)
    cut: FaceCut | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class _Detection:
    box: tuple[float, float, float, float]  # x, y, w, h in pixels
    score: float
    left_eye: tuple[float, float]  # the image's left: the subject's right eye
    right_eye: tuple[float, float]


def detect_faces(
    image: NDArray[np.uint8] | Picture, *, max_faces: int = 20, cut: bool = False
) -> tuple[Face, ...]:
    """Find the faces in an RGB photo and fit a 478-point mesh to each.

    Parameters
    ----------
    image : ndarray of shape (H, W, 3) and dtype uint8, or Picture
        RGB photo, upright. It is not modified. A
        :class:`~webapp.vision.images.Picture` is decoded only as far as
        needed: the detectors see it reduced (see :data:`DETECT_SIDE`) and
        each face's mesh is fitted on the smallest reduction that still
        gives its crop at least :data:`CROP_SIZE` pixels of the photo's own.
    max_faces : int, optional
        At most this many faces are returned, the largest ones. Small faces
        that only the tiled pass finds are not looked for once this many are
        found: ``max_faces=1`` costs no more on a large photo than before.
    cut : bool, optional
        Keep each returned face's grey cut (:attr:`Face.cut`) for the landmark
        refinement's appearance stages: a caller that refines the points of
        a Picture asks for it (the photo is not decoded again then). An
        array's caller may give the array to the refinement instead.

    Returns
    -------
    tuple of Face
        Largest first (by box area). Empty when there is no face.

    Raises
    ------
    InvalidImageError
        If ``image`` is not an (H, W, 3) uint8 array.

    Examples
    --------
    >>> import numpy as np
    >>> detect_faces(np.full((64, 64, 3), 128, np.uint8))
    ()
    """
    photo = _Photo(image)
    if max_faces < 1:
        return ()
    found: list[tuple[float, Face]] = []  # (detector box area, face)
    detections = _detect(photo, max_faces)
    _add_faces(photo, detections, found, max_faces=max_faces, tiled=False)
    if len(found) < max_faces:
        # The faces that only the tiled pass finds are small: once max_faces
        # are found (max_faces=1 for the largest face), it is not run.
        known = [d.box for d in detections] + [f.box for _, f in found]
        tiled = _detect_tiled(photo, known)
        _add_faces(photo, tiled, found, max_faces=max_faces, tiled=True)
    faces = sorted((f for _, f in found), key=lambda f: -f.box[2] * f.box[3])[:max_faces]
    if cut:
        faces = [replace(face, cut=_cut(photo, face.mesh)) for face in faces]
    return tuple(faces)


def _add_faces(
    image: _Photo,
    detections: list[_Detection],
    found: list[tuple[float, Face]],
    *,
    max_faces: int,
    tiled: bool,
) -> None:
    """Fit a mesh to each detection, largest first, and add the new faces to ``found``.

    A face from the tiled pass (``tiled``) must also pass :func:`_confirmed`.
    """
    for detection in detections:
        area = detection.box[2] * detection.box[3]
        if len(found) >= max_faces:
            # Detector boxes rank faces only roughly: keep meshing candidates
            # that might still be among the largest by mesh.
            kth = sorted((a for a, _ in found), reverse=True)[max_faces - 1]
            if area < SIZE_MARGIN * kth:
                break
        face = _fit_mesh(image, detection)
        if face is None or (tiled and not _confirmed(image, face, detection)):
            continue
        if any(_iou(face.box, f.box) > MESH_IOU for _, f in found):
            continue
        found.append((area, face))


def warm_up() -> None:
    """Create this thread's MediaPipe graphs and run each once.

    Call it at the start of a worker process (one that will not fork
    afterwards) so that the first request does not pay for loading models.
    """
    image = np.zeros((256, 256, 3), np.uint8)
    graphs = _graphs()
    graphs.short.process(image)
    graphs.full.process(image)
    graphs.mesh.process(image)
    graphs.landmarks.process(image, region=REGION_SCALE / CROP_SCALES[0])


# --- graphs ------------------------------------------------------------------------


def _graphs() -> Any:
    """This thread's MediaPipe graphs, created on first use."""
    if not hasattr(_local, "mesh"):
        # Imported here: importing the engine must not load MediaPipe.
        from mediapipe.python.solutions import face_detection, face_mesh

        _local.short = face_detection.FaceDetection(
            model_selection=0, min_detection_confidence=MIN_DETECTION_SCORE
        )
        _local.full = face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=MIN_DETECTION_SCORE
        )
        _local.landmarks = LandmarkGraph()
        _local.mesh = face_mesh.FaceMesh(
            static_image_mode=True,
            max_num_faces=1,
            refine_landmarks=True,
            min_detection_confidence=MIN_DETECTION_SCORE,
        )
    return _local


# --- detection ---------------------------------------------------------------------


def _detect(photo: _Photo, max_faces: int) -> list[_Detection]:
    """Detections from both detectors, merged, largest first, in the photo's pixels."""
    graphs = _graphs()
    width, height = photo.width, photo.height
    factor = photo.detection_factor()
    image = photo.level(factor)
    short = [_scaled(d, factor, photo) for d in _run_detector(graphs.short, image)]
    close_up = any(d.box[2] >= CLOSE_UP_FRACTION * min(width, height) for d in short)
    if not close_up and not (short and max_faces == 1):
        short += [_scaled(d, factor, photo) for d in _run_detector(graphs.full, image)]
    found = short
    found.sort(key=lambda d: -d.score)
    kept: list[_Detection] = []
    for det in found:
        if all(_iou(det.box, k.box) <= DETECTION_IOU for k in kept):
            kept.append(det)
    kept.sort(key=lambda d: -d.box[2] * d.box[3])
    return kept


def _run_detector(graph: Any, image: NDArray[np.uint8]) -> list[_Detection]:
    height, width = image.shape[:2]
    result = graph.process(image)
    detections = []
    for det in result.detections or ():
        box = det.location_data.relative_bounding_box
        kps = det.location_data.relative_keypoints
        detections.append(
            _Detection(
                box=(box.xmin * width, box.ymin * height, box.width * width, box.height * height),
                score=float(det.score[0]),
                left_eye=(kps[0].x * width, kps[0].y * height),
                right_eye=(kps[1].x * width, kps[1].y * height),
            )
        )
    return detections


def _detect_tiled(
    photo: _Photo, known: list[tuple[float, float, float, float]]
) -> list[_Detection]:
    """Full-range detections on tiles of a downscaled copy, largest first.

    Empty when the photo is small enough for the whole-photo pass (see
    :data:`TILED_MIN_FACE`). Detections scoring below :data:`TILED_MIN_SCORE`,
    and those that are a ``known`` box (or a part of it) or another tile's
    detection of the same face, are left out.
    """
    width, height = photo.width, photo.height
    grid = _tile_grid(width, height)
    if grid is None:
        return []
    (small_width, small_height), xs, ys = grid
    # A Picture's copy is made from the largest reduction still at least its
    # size (already averaged: at most a 2x bilinear step is left to do); an
    # array is scaled from itself, as it always was.
    factor = max(
        f
        for f in photo.factors
        if f == 1 or (photo.picture and width / f >= small_width and height / f >= small_height)
    )
    small = _downscale(photo.level(factor), (small_width, small_height))
    to_photo = (width / small_width, height / small_height)
    graph = _graphs().full
    found = []
    for y in ys:
        for x in xs:
            tile = np.ascontiguousarray(small[y : y + FULL_RANGE_INPUT, x : x + FULL_RANGE_INPUT])
            found += [
                _to_photo(det, (x, y), to_photo)
                for det in _run_detector(graph, tile)
                if det.score >= TILED_MIN_SCORE
            ]
    found.sort(key=lambda d: -d.score)
    boxes = list(known)
    kept: list[_Detection] = []
    for det in found:
        if _is_new(det.box, boxes):
            kept.append(det)
            boxes.append(det.box)
    kept.sort(key=lambda d: -d.box[2] * d.box[3])
    return kept


def _tile_grid(width: int, height: int) -> tuple[tuple[int, int], list[int], list[int]] | None:
    """Size of the tiled pass's scaled copy and its tiles' origins; None if not needed."""
    full = FULL_RANGE_REACH / TILED_MIN_FACE
    grids = [  # (scale, number of tiles): each grid at the largest scale it covers
        (min(full, _tiles_span(cols) / width, _tiles_span(rows) / height), cols * rows)
        for cols in range(1, MAX_TILES + 1)
        for rows in range(1, MAX_TILES // cols + 1)
    ]
    best = max(scale for scale, _ in grids)
    scale, count = min(
        ((scale, count) for scale, count in grids if scale >= TILE_SCALE_SLACK * best),
        key=lambda grid: (grid[1], -grid[0]),
    )
    if count == 1:  # the whole-photo pass sees the photo at that scale already
        return None
    size = (max(1, math.floor(width * scale)), max(1, math.floor(height * scale)))
    return size, _tile_origins(size[0]), _tile_origins(size[1])


def _downscale(image: NDArray[np.uint8], size: tuple[int, int]) -> NDArray[np.uint8]:
    """``image`` resized down to ``size`` (width, height) without aliasing, fast.

    Halved by pixel averaging while at least twice too large, then bilinear:
    INTER_AREA at a factor that is not an integer costs 7 ms on a 1920x1080
    photo, this 1 ms.
    """
    while image.shape[1] >= 2 * size[0] and image.shape[0] >= 2 * size[1]:
        height, width = image.shape[0] // 2, image.shape[1] // 2
        image = cv2.resize(
            image[: 2 * height, : 2 * width], (width, height), interpolation=cv2.INTER_AREA
        )
    return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)


def _tiles_span(count: int) -> int:
    """Length covered by ``count`` overlapping tiles in a row."""
    return count * (FULL_RANGE_INPUT - TILE_OVERLAP) + TILE_OVERLAP


def _tile_origins(length: int) -> list[int]:
    """Evenly spread tile origins along a side, overlapping by TILE_OVERLAP at least."""
    if length <= FULL_RANGE_INPUT:
        return [0]
    count = math.ceil((length - TILE_OVERLAP) / (FULL_RANGE_INPUT - TILE_OVERLAP))
    return [round(i * (length - FULL_RANGE_INPUT) / (count - 1)) for i in range(count)]


def _to_photo(det: _Detection, origin: tuple[int, int], scale: tuple[float, float]) -> _Detection:
    """A detection on a tile moved to the photo's pixels."""
    (ox, oy), (sx, sy) = origin, scale
    x, y, w, h = det.box
    return _Detection(
        box=((x + ox) * sx, (y + oy) * sy, w * sx, h * sy),
        score=det.score,
        left_eye=((det.left_eye[0] + ox) * sx, (det.left_eye[1] + oy) * sy),
        right_eye=((det.right_eye[0] + ox) * sx, (det.right_eye[1] + oy) * sy),
    )


def _is_new(box: tuple[float, ...], known: list[tuple[float, float, float, float]]) -> bool:
    """Whether ``box`` is neither one of ``known`` nor centred inside one."""
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    return all(
        _iou(box, k) <= DETECTION_IOU and not (k[0] < cx < k[0] + k[2] and k[1] < cy < k[1] + k[3])
        for k in known
    )


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


# --- mesh --------------------------------------------------------------------------


def _fit_mesh(image: _Photo, detection: _Detection) -> Face | None:
    mesh = _mesh_on_crop(image, detection, CROP_SCALES[0])
    if mesh is None:
        # The detector's box may be poor (too small, off-centre): the
        # solution's own detector looks again in the crop, and then in a
        # wider one.
        for scale in CROP_SCALES:
            mesh = _mesh_on_crop(image, detection, scale, search=True)
            if mesh is not None:
                break
    if mesh is None:
        return None
    realigned = _detection_from_mesh(mesh, detection.score)
    if _misaligned(detection, realigned):
        second = _mesh_on_crop(image, realigned, CROP_SCALES[0])
        if second is not None:
            mesh = second
    x0, y0 = mesh[:, :2].min(axis=0)
    x1, y1 = mesh[:, :2].max(axis=0)
    box = (float(x0), float(y0), float(x1 - x0), float(y1 - y0))
    mesh.flags.writeable = False
    return Face(box=box, score=detection.score, mesh=mesh)


def _cut(image: _Photo, mesh: NDArray[np.float32]) -> FaceCut:
    """The face's grey cut, as :func:`webapp.vision.refine.cut_face` makes it from an array."""
    matrix = cut_transform(mesh)
    pixels = grey(image.crop(matrix, CUT_SIZE))
    pixels.flags.writeable = False
    return FaceCut(pixels, matrix)


def _confirmed(image: _Photo, face: Face, detection: _Detection) -> bool:
    """Whether a tiled candidate's mesh and a second detector bear it out.

    See :data:`TILED_CROP_SCORE` and :data:`TILED_MESH_WIDTH`.
    """
    x, y, w, h = detection.box
    side = max(w, h)
    fitted = _detection_from_mesh(face.mesh, face.score)
    fx, fy, fw, fh = fitted.box
    shift = math.hypot(fx + fw / 2 - x - w / 2, fy + fh / 2 - y - h / 2) / side
    (lx, ly), (rx, ry) = fitted.left_eye, fitted.right_eye
    eyes = math.hypot(rx - lx, ry - ly) / side
    width = face.box[2] / side
    if not (
        TILED_MESH_WIDTH[0] <= width <= TILED_MESH_WIDTH[1]
        and TILED_EYE_DISTANCE[0] <= eyes <= TILED_EYE_DISTANCE[1]
        and shift <= TILED_MAX_SHIFT
    ):
        return False
    crop = image.crop(_crop_transform(fitted, CROP_SCALES[0]))
    centre, near = CROP_SIZE / 2, CROP_SIZE / 6
    return any(
        det.score >= TILED_CROP_SCORE
        and abs(det.box[0] + det.box[2] / 2 - centre) < near
        and abs(det.box[1] + det.box[3] / 2 - centre) < near
        for det in _run_detector(_graphs().short, crop)
    )


def _detection_from_mesh(mesh: NDArray[np.float32], score: float) -> _Detection:
    """A detection (square box, eye centres) derived from a fitted mesh."""
    xy = mesh[:, :2].astype(np.float64)
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    side = max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    left_eye = xy[[LEFT_EYE_OUTER, LEFT_EYE_INNER]].mean(axis=0)
    right_eye = xy[[RIGHT_EYE_OUTER, RIGHT_EYE_INNER]].mean(axis=0)
    return _Detection(
        box=(cx - side / 2, cy - side / 2, side, side),
        score=score,
        left_eye=(float(left_eye[0]), float(left_eye[1])),
        right_eye=(float(right_eye[0]), float(right_eye[1])),
    )


def _eye_angle(detection: _Detection) -> float:
    (lx, ly), (rx, ry) = detection.left_eye, detection.right_eye
    return math.degrees(math.atan2(ry - ly, rx - lx))


def _misaligned(used: _Detection, fitted: _Detection) -> bool:
    turn = abs((_eye_angle(fitted) - _eye_angle(used) + 180) % 360 - 180)
    ux, uy, uw, uh = used.box
    fx, fy, fw, fh = fitted.box
    shift = math.hypot(fx + fw / 2 - ux - uw / 2, fy + fh / 2 - uy - uh / 2) / max(uw, uh)
    return turn > REALIGN_DEGREES or shift > REALIGN_SHIFT


def _crop_transform(detection: _Detection, scale: float) -> NDArray[np.float64]:
    """The 2x3 affine taking photo pixels to crop pixels: eyes level, face centred."""
    x, y, w, h = detection.box
    cx, cy = x + w / 2, y + h / 2
    angle = _eye_angle(detection)
    zoom = CROP_SIZE / (scale * max(w, h))
    matrix = cv2.getRotationMatrix2D((cx, cy), angle, zoom)
    matrix[:, 2] += (CROP_SIZE / 2 - cx, CROP_SIZE / 2 - cy)
    return matrix


def _crop(
    image: NDArray[np.uint8], matrix: NDArray[np.float64], size: int = CROP_SIZE
) -> NDArray[np.uint8]:
    """The ``size`` square crop that ``matrix`` (from :func:`_crop_transform`) maps to."""
    # Outside the photo the crop is black: a face cut by the border still fits.
    return cv2.warpAffine(
        image,
        matrix,
        (size, size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(0, 0, 0),
    )


def _mesh_on_crop(
    image: _Photo, detection: _Detection, scale: float, *, search: bool = False
) -> NDArray[np.float32] | None:
    """The mesh fitted in the crop around ``detection``, in the photo's pixels.

    The landmark model is given the region the detection implies
    (:data:`REGION_SCALE`); with ``search`` the crop is searched by the
    FaceMesh solution's own detector first instead.
    """
    matrix = _crop_transform(detection, scale)
    crop = image.crop(matrix)
    if search:
        result = _graphs().mesh.process(crop)
        if not result.multi_face_landmarks:
            return None
        landmarks = result.multi_face_landmarks[0].landmark
        points = np.array([(p.x, p.y, p.z) for p in landmarks], dtype=np.float64)
    else:
        found = _graphs().landmarks.process(crop, region=REGION_SCALE / scale)
        if found is None:
            return None
        points = found
    points *= CROP_SIZE
    # MediaPipe's 0..1 spans the crop's edges; OpenCV (and our output) puts
    # pixel centres on integers: pixel i covers [i - 0.5, i + 0.5].
    inverse = cv2.invertAffineTransform(matrix)
    xy = (points[:, :2] - 0.5) @ inverse[:, :2].T + inverse[:, 2]
    # MediaPipe's z is in the crop's x scale; bring it to the photo's.
    z = points[:, 2] * math.hypot(inverse[0, 0], inverse[0, 1])
    return np.column_stack([xy, z]).astype(np.float32)


# --- the photo, whole or reduced ---------------------------------------------------


class _Photo:
    """The photo a call works on: an array, or a Picture decoded only as far as needed.

    ``level(f)`` is the photo reduced by ``f`` (one of :data:`REDUCTIONS`):
    its pixel ``i`` covers the photo's pixels ``f * i`` to ``f * (i + 1) - 1``.
    An array's reductions are made by halving it; a Picture's are decoded.
    """

    def __init__(self, image: NDArray[np.uint8] | Picture) -> None:
        if isinstance(image, Picture):
            self.picture: Picture | None = image
            self.height, self.width = image.shape[:2]
            self._levels: dict[int, NDArray[np.uint8]] = {}
        else:
            check_image(image)
            self.picture = None
            self.height, self.width = image.shape[:2]
            self._levels = {1: np.ascontiguousarray(image)}
        # No reduction leaves a side under 32 px (the smallest photo accepted).
        shorter = min(self.width, self.height)
        self.factors = tuple(f for f in REDUCTIONS if f == 1 or shorter / f >= 32)

    def level(self, factor: int) -> NDArray[np.uint8]:
        if factor not in self._levels:
            if self.picture is not None:
                self._levels[factor] = self.picture.reduced(factor)
            else:
                self._levels[factor] = halve(self.level(factor // 2))
        return self._levels[factor]

    def detection_factor(self) -> int:
        """The largest reduction whose longer side is still at least DETECT_SIDE.

        An array is decoded already: the detectors see it whole, as they always did.
        """
        if self.picture is None:
            return 1
        longer = max(self.width, self.height)
        return max(f for f in self.factors if f == 1 or longer / f >= DETECT_SIDE)

    def crop(self, matrix: NDArray[np.float64], size: int = CROP_SIZE) -> NDArray[np.uint8]:
        """The ``size`` square crop ``matrix`` (photo to crop pixels) maps to, cut from the photo.

        From the largest reduction that still has at least one of its pixels per
        crop pixel: the crop is then never enlarged from a reduction when the
        photo had more detail, and a JPEG is decoded no larger than needed.
        """
        zoom = math.hypot(matrix[0, 0], matrix[0, 1])  # crop pixels per photo pixel
        factor = max(f for f in self.factors if f == 1 or f * zoom <= 1.0)
        if self.picture is None:
            # An array is decoded already: its crops are cut from it as they always were.
            factor = 1
        else:
            # A finer reduction at hand is used as it is rather than decoding another.
            factor = max((f for f in self._levels if f <= factor), default=factor)
        if factor == 1:
            return _crop(self.level(1), matrix, size)
        assert self.picture is not None  # an array's crops are cut at factor 1
        level = self.level(factor)
        centre = self.picture.first_centre(factor)
        via = matrix.copy()
        via[:, :2] = matrix[:, :2] * factor
        via[:, 2] = matrix[:, 2] + matrix[:, :2] @ centre
        return _crop(level, via, size)

    def offset(self, factor: int) -> NDArray[np.float64]:
        """(x, y) photo pixels of the reduction's first pixel that lie before the photo."""
        if self.picture is None or factor == 1:
            return np.zeros(2)
        return np.array(self.picture.offset(factor), dtype=np.float64)


def _scaled(det: _Detection, factor: int, photo: _Photo) -> _Detection:
    """A detection on the reduction by ``factor`` moved to the photo's pixels.

    The detector's coordinates are fractions of its input's sides: the edge
    of reduction pixel ``i`` is the edge of photo pixel ``factor * i - offset``.
    """
    if factor == 1:
        return det
    ox, oy = photo.offset(factor)

    def point(x: float, y: float) -> tuple[float, float]:
        return (x * factor - ox, y * factor - oy)

    x, y, w, h = det.box
    return _Detection(
        box=(*point(x, y), w * factor, h * factor),
        score=det.score,
        left_eye=point(*det.left_eye),
        right_eye=point(*det.right_eye),
    )
