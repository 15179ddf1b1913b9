"""One face of a face fusion: reshape the template's face, warp the user's onto it, blend.

The steps :func:`~webapp.vision.fusion.fuse_faces` runs for each template
face; see that module for the whole. Pixels are x = column, y = row, origin
at the top left.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from ..mesh import CHEEKS, MIRROR, N_MESH
from . import blend, warp

#: Share of the forehead (brows to the top of the mesh) the mask keeps; above
#: the brows it keeps only pixels that look like skin in both faces.
FOREHEAD_KEEP = 0.6
#: Width of the band along the sides of the face where hair is looked for, as
#: a fraction of the face's width.
SIDE_BAND = 0.07
#: Width of the feathered edge, as a fraction of the face's width.
FEATHER = 0.02
#: How far inside the skin the blend's feathered edge starts, as a fraction
#: of the face's width.
INSET = 0.02
#: Scale of the light transferred from the template, as a fraction of the face's width.
LIGHT_SIGMA = 0.1
#: The user's face is shrunk (area averaging) to at most this many times the width of
#: the template face it goes into before it is warped: more detail would alias.
USER_DETAIL = 1.25


def fuse_one(
    canvas: NDArray[np.uint8],
    face_mask: NDArray[np.uint8],
    template_mesh: NDArray[np.float64],
    user_image: NDArray[np.uint8],
    user_mesh: NDArray[np.float32],
    degrees: dict[str, int],
) -> None:
    """Fuse the user's face into one template face of ``canvas``, in place.

    The mask this raises ``face_mask`` to is the whole region it changes:
    the user's face is blended in with at most the mask's weight (times
    ``features`` / 100), and the template's reshaping (``shape``) moves each
    pixel by the mask's weight times its full move, so that it fades out
    inside the mask's edge and stops there. Where the mask is 0 the canvas
    is left bit-exact. The mask is the union of the user's face as blended
    in (:func:`_face_alpha`) and, when ``shape`` > 0, the lower face with
    the band around the jaw and chin that the reshaping moves, out to the
    ring of fixed points (:func:`~webapp.vision.fusion.warp.ring_points`).

    Parameters
    ----------
    canvas : ndarray of shape (H, W, 3) and dtype uint8
        The image being made (a copy of the template), changed in place.
    face_mask : ndarray of shape (H, W) and dtype uint8
        Raised, in place, to the mask (0-255) used for this face.
    template_mesh, user_mesh : ndarray of shape (478, 3)
        The template face's and the user's meshes, in their photos' pixels.
    user_image : ndarray of shape (H', W', 3) and dtype uint8
        The user's photo.
    degrees : dict
        ``{"shape": 0-100, "features": 0-100}``.
    """
    shape, features = degrees["shape"] / 100, degrees["features"] / 100
    if shape == 0 and features == 0:
        return
    template_xy = template_mesh[:, :2]
    freedom = shape * warp.outline_freedom(template_mesh)[:, None]
    target = template_mesh + freedom * (warp.align_mesh(user_mesh, template_mesh) - template_mesh)
    target_xy = target[:, :2]
    ring = warp.ring_points(template_xy, target_xy)
    if shape > 0:
        ring = _ring_on_smooth_ground(canvas, template_xy, target_xy, ring)
    box = _box(np.vstack([ring, target_xy]), canvas.shape)
    x, y, w, h = box
    roi = canvas[y : y + h, x : x + w]
    width = warp.face_width(target_xy)
    if shape > 0:
        dst = np.vstack([target_xy[:N_MESH], ring])
        src = np.vstack([template_xy[:N_MESH], ring])
        mesh_triangles = warp.triangulate(dst)
        map_x, map_y, index = warp.piecewise_affine_map(dst, src, mesh_triangles, box)
        # 1 over the face, falling to 0 across the band out to the ring.
        inner = np.arange(len(dst)) < N_MESH
        (band,) = warp.interpolate(index, dst, inner, mesh_triangles, box)
        # Unscaled, for the skin test and the light; redone with the mask below.
        morphed = cv2.remap(canvas, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    else:
        morphed = roi
    triangles = warp.face_triangles()
    # Painted far to near, so that where the surface folds over itself (a
    # nose seen from the side) the nearer part is what shows.
    depth = target[triangles, 2].mean(axis=1)
    triangles = triangles[np.argsort(-depth, kind="stable")]
    user, user_xy = _user_source(user_image, user_mesh, target_xy)
    warped, valid = _warp_user(user, user_xy, target_xy, triangles, box)
    template_lab, user_lab = blend.rgb_to_lab(morphed), blend.rgb_to_lab(warped)
    jaw = None
    if shape > 0:
        # The jaw band: reshaped in full but for its outer RING_FADE, and only
        # below where the jaw starts to move.
        jaw = _quantize(_smoothstep(band / warp.RING_FADE) * warp.jaw_taper(template_xy, box))
    alpha = _quantize(_face_alpha(template_lab, user_lab, valid, target_xy, box, covered=jaw))
    mask = alpha
    if jaw is not None:
        mask = np.maximum(alpha, jaw)
        morphed = _warp(canvas, map_x, map_y, mask, box, keep=roi)
    if features > 0:
        fused = _match(user_lab, template_lab, blend.rgb_to_lab(roi), alpha, width)
        weight = (alpha * features)[..., None]
        blended = morphed * (1.0 - weight) + fused * weight
        morphed = np.clip(np.round(blended), 0, 255).astype(np.uint8)
    region = face_mask[y : y + h, x : x + w]
    np.maximum(region, np.round(mask * 255).astype(np.uint8), out=region)
    canvas[y : y + h, x : x + w] = morphed


def _ring_on_smooth_ground(
    canvas: NDArray[np.uint8], template_xy: NDArray, target_xy: NDArray, ring: NDArray
) -> NDArray[np.float64]:
    """The ring moved out to lay the band where the reshaping fades on smooth ground.

    The ground is the template's gradient magnitude around ``ring`` (as far
    as :func:`~webapp.vision.fusion.warp.ring_points` may search), so that
    the mask's edge does not run along the jawline, a collar or a shadow.
    """
    pad = warp.RING_SEARCH * warp.face_width(template_xy)
    x, y, w, h = _box(ring, canvas.shape, pad=pad)
    ground = _gradient(canvas[y : y + h, x : x + w])
    return warp.ring_points(template_xy, target_xy, ground=ground, ground_origin=(x, y))


def _gradient(image: NDArray[np.uint8]) -> NDArray[np.float32]:
    """The gradient magnitude of an RGB image's grey levels, slightly smoothed."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    magnitude = cv2.magnitude(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
    return cv2.GaussianBlur(magnitude, (0, 0), 1.5)


def _smoothstep(t: NDArray[np.float32]) -> NDArray[np.float32]:
    """0 up to 0, 1 from 1, and a smooth S between."""
    t = np.clip(t, 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).astype(np.float32)


def _quantize(weight: NDArray[np.float32]) -> NDArray[np.float32]:
    """``weight`` rounded to 1/255: what the uint8 mask reports is what is used."""
    return (np.round(weight * 255) / 255).astype(np.float32)


def _warp(
    image: NDArray[np.uint8],
    map_x: NDArray[np.float32],
    map_y: NDArray[np.float32],
    weight: NDArray[np.float32],
    box: tuple[int, int, int, int],
    *,
    keep: NDArray[np.uint8],
) -> NDArray[np.uint8]:
    """Return ``box`` of ``image`` pulled through the map, each move scaled by ``weight``.

    Where the scaled move is under OpenCV's 1/32-pixel resolution (and
    wherever ``weight`` is 0) the pixel is ``keep``'s, bit-exact rather than
    resampled.
    """
    x, y, w, h = box
    xs = np.arange(x, x + w, dtype=np.float32)[None, :]
    ys = np.arange(y, y + h, dtype=np.float32)[:, None]
    dx, dy = weight * (map_x - xs), weight * (map_y - ys)
    still = (np.abs(dx) < 1 / 64) & (np.abs(dy) < 1 / 64)
    moved = cv2.remap(image, xs + dx, ys + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return np.where(still[..., None], keep, moved)


def _warp_user(
    user: NDArray[np.uint8],
    user_xy: NDArray,
    target: NDArray,
    triangles: NDArray[np.int32],
    box: tuple[int, int, int, int],
) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    """The user's face warped onto ``target`` over ``box``, and where it is real pixels.

    The far side of a turned face is completed with its near side, mirrored
    (:func:`~webapp.vision.fusion.warp.mirror_weights`).
    """
    n = N_MESH
    target, user_xy = target[:n], user_xy[:n]
    map_x, map_y, index = warp.piecewise_affine_map(target, user_xy, triangles, box)
    warped = _remap(user, map_x, map_y)
    weights = warp.mirror_weights(user_xy, target, triangles)
    if weights is None:
        return warped.astype(np.uint8), (index > 0) & _sampled(user, map_x, map_y)
    (share,) = warp.interpolate(index, target, weights, triangles, box)
    mirror_x, mirror_y = warp.interpolate(
        index, target, user_xy[MIRROR], triangles, box, identity=True
    )
    share = np.clip(share, 0.0, 1.0)
    mixed = warped * (1.0 - share[..., None]) + _remap(user, mirror_x, mirror_y) * share[..., None]
    # Each source counts only where it is used.
    valid = (index > 0) & ((share > 0.999) | _sampled(user, map_x, map_y))
    valid &= (share < 0.001) | _sampled(user, mirror_x, mirror_y)
    return np.clip(np.round(mixed), 0, 255).astype(np.uint8), valid


def _remap(image: NDArray[np.uint8], map_x: NDArray, map_y: NDArray) -> NDArray[np.float32]:
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(
        np.float32
    )


def _sampled(image: NDArray[np.uint8], map_x: NDArray, map_y: NDArray) -> NDArray[np.bool_]:
    """Where a map reads inside the image: a face cut by the border has no pixels beyond it."""
    height, width = image.shape[:2]
    return (map_x >= 0) & (map_y >= 0) & (map_x <= width - 1) & (map_y <= height - 1)


def _user_source(
    user_image: NDArray[np.uint8], user_mesh: NDArray, target: NDArray
) -> tuple[NDArray[np.uint8], NDArray[np.float64]]:
    """The user's face, cropped and shrunk near the size it will have; its mesh there.

    Bilinear sampling of a face much larger than its destination aliases
    (and reads pixels it does not need), so the crop is first shrunk with
    area averaging to at most 1.25 times the target's size.
    """
    xy = np.asarray(user_mesh, np.float64)[:, :2]
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    margin = 0.1 * max(x1 - x0, y1 - y0)
    height, width = user_image.shape[:2]
    left, top = max(int(x0 - margin), 0), max(int(y0 - margin), 0)
    right, bottom = min(int(x1 + margin) + 1, width), min(int(y1 + margin) + 1, height)
    crop = user_image[top:bottom, left:right]
    xy = xy - (left, top)
    factor = min(1.0, USER_DETAIL * warp.face_width(target) / max(warp.face_width(user_mesh), 1.0))
    if factor < 0.9:
        size = (max(round(crop.shape[1] * factor), 1), max(round(crop.shape[0] * factor), 1))
        scale = np.array([size[0] / crop.shape[1], size[1] / crop.shape[0]])
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        # Pixel centres: x' + 0.5 = (x + 0.5) * scale.
        xy = (xy + 0.5) * scale - 0.5
    return crop, xy


def _face_alpha(
    template_lab: NDArray[np.float32],
    user_lab: NDArray[np.float32],
    valid: NDArray[np.bool_],
    target: NDArray,
    box: tuple[int, int, int, int],
    *,
    covered: NDArray[np.float32] | None = None,
) -> NDArray[np.float32]:
    """The feathered blend mask over ``box``: the face's surface, minus hair.

    ``valid`` is where the user's face was warped to. Its forehead is
    lowered (:data:`FOREHEAD_KEEP`); above the brows, and along the sides of
    the face down to the mouth (sideburns, strands), only pixels that look
    like skin in both faces stay, so neither the template's hair is covered
    nor the user's hair brought in. Where its edge is the mask's edge, the
    feathered band starts :data:`INSET` inside it; where ``covered`` (the
    reshaped jaw band's weight, which the mask also holds) is 1 it does not
    need to.
    """
    x, y, w, h = box
    polygon = warp.mask_polygon(target, forehead=FOREHEAD_KEEP) - (x, y)
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [np.round(polygon * 16).astype(np.int32)], 1, cv2.LINE_8, shift=4)
    width = warp.face_width(target)
    brow, mouth = warp.levels(target)
    depth = warp.depth_map(target, box)
    # The face's surface (a nose in profile sticks out of the oval), its
    # forehead cut lower.
    keep = valid & (mask.astype(bool) | (depth >= brow))
    edge = cv2.distanceTransform(keep.astype(np.uint8), cv2.DIST_L2, 3) < SIDE_BAND * width
    check = keep & ((depth < brow) | (edge & (depth < mouth)))
    rows, cols = np.flatnonzero(check.any(axis=1)), np.flatnonzero(check.any(axis=0))
    if len(rows):
        radius = max(2, round(0.04 * width))
        region = (
            slice(max(rows[0] - radius, 0), rows[-1] + radius + 1),
            slice(max(cols[0] - radius, 0), cols[-1] + radius + 1),
        )
        cheeks = target[list(CHEEKS)] - (x, y)
        skin = blend.skin_mask(template_lab, cheeks, radius=radius, region=region)
        skin &= blend.skin_mask(user_lab, cheeks, radius=radius, region=region)
        # A smoothed vote: single pixels of skin colour in hair do not count.
        skin = cv2.GaussianBlur(skin.astype(np.float32), (0, 0), radius / 2) > 0.5
        keep[region] &= skin | ~check[region]
    # The mask's edge is usually on an edge of the template (the face's
    # silhouette, a hairline, an ear): the feathered band starts a little
    # inside it, so that it lies on skin.
    inset = max(1, round(INSET * width))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * inset + 1, 2 * inset + 1))
    inner = cv2.erode(keep.astype(np.uint8), kernel).astype(bool)
    alpha = blend.feather(inner, sigma=FEATHER * width)
    if covered is not None:
        alpha = np.maximum(alpha, blend.feather(keep, sigma=FEATHER * width) * covered)
    return alpha


def _match(
    user_lab: NDArray[np.float32],
    template_lab: NDArray[np.float32],
    original_lab: NDArray[np.float32],
    alpha: NDArray[np.float32],
    width: float,
) -> NDArray[np.float32]:
    """The user's face with the template's skin colour, light and grain, RGB float.

    The grain is the template's before it was reshaped (resampling smooths it).
    """
    weight = (alpha > 0.5).astype(np.float32)
    matched = blend.match_light(user_lab, template_lab, weight, sigma=LIGHT_SIGMA * width)
    return blend.lab_to_rgb(blend.match_grain(matched, original_lab, weight))


def _box(
    points: NDArray, image_shape: tuple[int, ...], *, pad: float = 0.0
) -> tuple[int, int, int, int]:
    """The (x, y, w, h) pixel box around ``points``, ``pad`` + 2 pixels wider, inside the image."""
    height, width = image_shape[:2]
    (x0, y0), (x1, y1) = points.min(axis=0) - pad, points.max(axis=0) + pad
    left, top = max(int(np.floor(x0)) - 2, 0), max(int(np.floor(y0)) - 2, 0)
    right, bottom = min(int(np.ceil(x1)) + 3, width), min(int(np.ceil(y1)) + 3, height)
    return left, top, max(right - left, 1), max(bottom - top, 1)
