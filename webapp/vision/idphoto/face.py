"""Measures on the face itself: visibility, light, sharpness, glasses.

They run on a crop of the face rotated so the eyes are level and scaled so
they are NORM_IOD pixels apart, so that no figure depends on the photo's size
or the head's tilt. The skin model is the face's own (its cheeks and
glabella), so no figure depends on the person's skin tone either. Scores
follow the ID-photo check service's scales (0-100, 100 the good end).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from ..mesh import (
    CHEEK_CENTRES,
    CHEEK_PATCHES,
    FACE_OVAL,
    GLABELLA,
    LEFT_BROW_LOWER,
    LEFT_BROW_UPPER,
    LEFT_EYE_INNER,
    LEFT_EYE_LOWER,
    LEFT_EYE_TOP,
    LEFT_EYE_UPPER,
    LIPS_INNER_LOWER,
    LIPS_INNER_UPPER,
    LIPS_OUTER_LOWER,
    LIPS_OUTER_UPPER,
    NOSE_POINTS,
    NOSE_TIP_LOWER,
    RIGHT_BROW_LOWER,
    RIGHT_BROW_UPPER,
    RIGHT_EYE_INNER,
    RIGHT_EYE_LOWER,
    RIGHT_EYE_TOP,
    RIGHT_EYE_UPPER,
)
from .geometry import FaceGeometry, ramp

#: The normalised face crop: eyes level, this many pixels apart, their
#: midpoint at NORM_EYES, in a crop of NORM_SIZE (width, height).
NORM_IOD = 64.0
NORM_SIZE = (256, 288)
NORM_EYES = (128.0, 120.0)

# Outlines of the face's parts, as closed loops. Eyes: the lower lid from the
# outer corner, then the upper lid back. Eyebrows: the upper edge from the
# outer end, then the lower edge back. Lips: the lower edge from the left
# corner, then the upper edge back. (The face oval is filled as a polygon,
# whatever point it starts at.)
_LEFT_EYE = LEFT_EYE_LOWER + LEFT_EYE_UPPER[-2:0:-1]
_RIGHT_EYE = RIGHT_EYE_LOWER + RIGHT_EYE_UPPER[-2:0:-1]
_LEFT_BROW = LEFT_BROW_UPPER + LEFT_BROW_LOWER[::-1]
_RIGHT_BROW = RIGHT_BROW_UPPER + RIGHT_BROW_LOWER[::-1]
_OUTER_LIPS = LIPS_OUTER_LOWER + LIPS_OUTER_UPPER[-2:0:-1]
_INNER_LIPS = LIPS_INNER_LOWER + LIPS_INNER_UPPER[-2:0:-1]

#: An eye opening whose luminance spreads over more than this share of the skin's
#: brightness (90th less 10th percentile) shows the white of the eye against the iris:
#: it is seen, however deep in shade (bare eyes of the labelled sets 0.22-0.8, in
#: shade too). A tinted lens or hair dims the whole opening and flattens it (opaque
#: sunglasses 0.08-0.10); a closed eye is flat too.
EYE_CONTRAST_SEEN = 0.16

#: A frame's bridge: a luminance step along a line across the nose of more than
#: this share of the skin's brightness (see glasses_kind; bare faces of the
#: labelled sets read 0.01-0.08, frowning or low brows up to 0.12-0.19, a thin
#: metal frame on a turned head 0.17, a thick dark one 0.3-0.45).
GLASSES_BRIDGE_EDGE = 0.11


# --- the normalised face crop ----------------------------------------------------------


@dataclass(frozen=True)
class FaceCrop:
    """The face, rotated so the eyes are level and scaled to NORM_IOD pixels apart.

    ``points`` is the mesh (x, y) in crop pixels; ``matrix`` the 2x3 affine
    from photo pixels to crop pixels. ``grey`` is the same crop in grey for
    the sharpness figure: a larger face is shrunk to exactly NORM_IOD by area
    averaging before it is turned (``rgb``'s bilinear step may skip pixels
    and alias, which reads as detail).
    """

    rgb: NDArray[np.float32]
    points: NDArray[np.float64]
    matrix: NDArray[np.float64]
    grey: NDArray[np.float32]


def normalise_face(
    image: NDArray[np.uint8], geometry: FaceGeometry, mesh: NDArray[np.float32]
) -> FaceCrop:
    """Cut the face out at a fixed scale and with the eyes level.

    A large face is first shrunk with area averaging, so that the crop's
    sharpness says how sharp the face is, not how it was resampled.
    """
    (x0, y0), (x1, y1) = geometry.eyes
    distance = max(math.hypot(x1 - x0, y1 - y0), 1e-3)
    angle = math.degrees(math.atan2(y1 - y0, x1 - x0))
    scale = NORM_IOD / distance
    centre = ((x0 + x1) / 2, (y0 + y1) / 2)
    source = image
    pre = 1.0
    if scale < 1.0:
        region, left, top = _face_region(image, centre, distance)
    if scale < 0.5:
        # Shrink a region around the face first: warpAffine's bilinear
        # sampling would alias a large reduction.
        pre = scale * 2.0
        size = (max(1, round(region.shape[1] * pre)), max(1, round(region.shape[0] * pre)))
        source = cv2.resize(region, size, interpolation=cv2.INTER_AREA)
        pre = size[0] / region.shape[1]
        centre = ((centre[0] - left) * pre, (centre[1] - top) * pre)
        offset = np.array([left, top], np.float64)
    else:
        offset = np.zeros(2)
    matrix = cv2.getRotationMatrix2D(centre, angle, scale / pre)
    matrix[:, 2] += (NORM_EYES[0] - centre[0], NORM_EYES[1] - centre[1])
    crop = cv2.warpAffine(
        source, matrix, NORM_SIZE, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    # Compose: photo -> (shift, pre-scale) -> crop.
    full = matrix.copy()
    full[:, :2] = matrix[:, :2] * pre
    full[:, 2] = matrix[:, 2] - (matrix[:, :2] * pre) @ offset
    points = mesh[:, :2].astype(np.float64) @ full[:, :2].T + full[:, 2]
    if scale < 1.0:
        eyes = ((x0 + x1) / 2 - left, (y0 + y1) / 2 - top)
        grey = _grey_at_scale(region, eyes, scale, angle)
    else:
        grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return FaceCrop(rgb=crop.astype(np.float32), points=points, matrix=full, grey=grey)


def _face_region(
    image: NDArray[np.uint8], centre: tuple[float, float], distance: float
) -> tuple[NDArray[np.uint8], int, int]:
    """The photo within 3.5 eye distances of the eyes' midpoint, and its left and top."""
    pad = int(distance * 3.5)
    cx, cy = int(centre[0]), int(centre[1])
    left, top = max(0, cx - pad), max(0, cy - pad)
    return (
        image[top : min(image.shape[0], cy + pad), left : min(image.shape[1], cx + pad)],
        left,
        top,
    )


def _grey_at_scale(
    region: NDArray[np.uint8], eyes: tuple[float, float], scale: float, angle: float
) -> NDArray[np.float32]:
    """The crop in grey, shrunk by area averaging to exactly ``scale``, then only turned.

    ``region`` is :func:`_face_region`'s; ``eyes`` the eyes' midpoint in it.
    """
    grey = cv2.cvtColor(np.ascontiguousarray(region), cv2.COLOR_RGB2GRAY)
    size = (max(1, round(grey.shape[1] * scale)), max(1, round(grey.shape[0] * scale)))
    small = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    sx, sy = size[0] / grey.shape[1], size[1] / grey.shape[0]
    centre = (eyes[0] * sx, eyes[1] * sy)
    matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
    matrix[:, 2] += (NORM_EYES[0] - centre[0], NORM_EYES[1] - centre[1])
    turned = cv2.warpAffine(
        small, matrix, NORM_SIZE, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return turned.astype(np.float32)


def _polygon_mask(
    shape: tuple[int, int], points: NDArray[np.float64], *, hull: bool = False
) -> NDArray[np.bool_]:
    mask = np.zeros(shape, np.uint8)
    pts = np.round(points).astype(np.int32)
    if hull:
        pts = cv2.convexHull(pts)
    cv2.fillPoly(mask, [pts.reshape(-1, 1, 2)], 1)
    return mask.astype(bool)


def _disk_mask(
    shape: tuple[int, int], centre: NDArray[np.float64], radius: float
) -> NDArray[np.bool_]:
    mask = np.zeros(shape, np.uint8)
    cv2.circle(
        mask, (int(round(centre[0])), int(round(centre[1]))), max(1, int(round(radius))), 1, -1
    )
    return mask.astype(bool)


def _scaled(points: NDArray[np.float64], factor: float) -> NDArray[np.float64]:
    centre = points.mean(axis=0)
    return centre + (points - centre) * factor


# --- skin and light ---------------------------------------------------------------------


@dataclass(frozen=True)
class SkinModel:
    """Which pixels of the face crop look like this face's skin.

    ``skin`` and ``lips`` are boolean maps over the crop; ``luma`` the crop's
    luminance (0-255); ``reference`` the median skin chromaticity (r, g).
    """

    skin: NDArray[np.bool_]
    lips: NDArray[np.bool_]
    luma: NDArray[np.float32]
    reference: tuple[float, float]


def skin_model(crop: FaceCrop) -> SkinModel:
    """Classify the crop's pixels as skin-like from the face's own cheeks and glabella.

    Chromaticity (r, g) does not change when light is dimmed, so a darker half
    of the face stays skin; brightness is compared with the nearer cheek's,
    so that hair (dark, with a skin-like hue) is not skin.
    """
    rgb = crop.rgb
    shape = rgb.shape[:2]
    total = rgb.sum(axis=2) + 1e-3
    r, g = rgb[..., 0] / total, rgb[..., 1] / total
    luma = (0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]).astype(np.float32)
    radius = 0.1 * NORM_IOD
    patches = [_disk_mask(shape, crop.points[i], radius) for i in (*CHEEK_CENTRES, GLABELLA)]
    sample = np.logical_or.reduce(patches) & (luma > 15)
    if sample.sum() < 10:
        sample = np.ones(shape, bool)
    r0, g0 = float(np.median(r[sample])), float(np.median(g[sample]))
    spread = float(np.median(np.hypot(r[sample] - r0, g[sample] - g0)))
    tolerance = max(0.03, 3.0 * 1.4826 * spread)
    distance = np.hypot(r - r0, g - g0)
    # Brightness reference: each cheek's, interpolated across the face.
    y_left = float(np.median(luma[patches[0]])) if patches[0].any() else float(np.median(luma))
    y_right = float(np.median(luma[patches[1]])) if patches[1].any() else y_left
    xs = np.arange(shape[1], dtype=np.float32)
    x_left, x_right = crop.points[CHEEK_CENTRES[0], 0], crop.points[CHEEK_CENTRES[1], 0]
    t = np.clip((xs - x_left) / max(x_right - x_left, 1e-3), 0.0, 1.0)
    y_ref = (y_left + (y_right - y_left) * t)[None, :]
    bright = (luma >= 0.45 * y_ref) & (luma <= np.maximum(1.6 * y_ref, y_ref + 40)) & (luma > 12)
    skin = (distance <= tolerance) & bright
    redder = (
        (r - r0 >= -tolerance)
        & (r - r0 <= 4 * tolerance)
        & (g - g0 <= tolerance)
        & (g - g0 >= -4 * tolerance)
    )
    lips = redder & (luma >= 0.3 * y_ref) & (luma > 12)
    return SkinModel(skin=skin, lips=lips, luma=luma, reference=(r0, g0))


@dataclass(frozen=True)
class Occlusion:
    """How unoccluded each part is, 0-100 (100: all skin where skin belongs)."""

    eyes: int
    nose: int
    mouth: int
    face: int
    mask: int  # the check service's mouthmask: 1 when a mask covers nose and mouth


def occlusion(crop: FaceCrop, skin: SkinModel) -> Occlusion:
    """Measure what covers the eyes, nose, mouth and face.

    An eye counts as visible when its opening shows the white of the eye
    against the iris (EYE_CONTRAST_SEEN), or when the brightest part of the
    opening is about as bright as the skin beside it: hair, dark lenses or a
    hand make it dark and flat; shade only makes it dark. The nose, the skin around the mouth and
    the face below the brows count by the share of their region that looks
    like this face's skin (or lips), against the share a bare face shows
    (about 0.85). A bare hand is skin-coloured and is not seen.
    """
    pts = crop.points
    shape = skin.skin.shape
    regions = _part_regions(pts, shape)
    share = lambda region, ok: float(ok[region].mean()) if region.any() else 1.0  # noqa: E731
    score = lambda fraction: int(round(ramp(fraction, 0.35, 0.8)))  # noqa: E731
    level = _skin_level(skin)
    eyes = min(
        1.0
        if _eye_contrast(skin.luma, opening, level) >= EYE_CONTRAST_SEEN
        # Dark and flat: a lens, hair or a hand, or the eye closed.
        else _eye_light(skin, opening, pts[cheek])
        for opening, cheek in zip(regions["eyes"], CHEEK_CENTRES, strict=True)
    )
    # The nose's tip, wings and the shade round the nostrils are redder and
    # darker than the cheeks the skin model learns from, as lips are: they
    # count as the nose's own colour (a mask or a hand-held object is neither).
    nose_skin = share(regions["nose"], skin.skin)
    nose = share(regions["nose"], skin.skin | skin.lips)
    mouth = share(regions["mouth"], skin.skin | skin.lips)
    face = share(regions["face"], skin.skin | skin.lips)
    lower = share(regions["lower"], skin.skin | skin.lips)
    return Occlusion(
        eyes=int(round(ramp(eyes, 0.2, 0.5))),
        nose=score(nose),
        mouth=score(mouth),
        face=score(face),
        mask=int(lower < 0.3 and nose_skin < 0.5),
    )


def _skin_level(skin: SkinModel) -> float:
    """The median luminance of the face's skin (of the whole crop when none is found)."""
    pixels = skin.luma[skin.skin] if skin.skin.any() else skin.luma
    return float(np.median(pixels))


def _eye_contrast(luma: NDArray[np.float32], opening: NDArray[np.bool_], level: float) -> float:
    """The spread (90th less 10th percentile) of an eye opening's luminance over the skin's."""
    if not opening.any():
        return 0.0
    high, low = np.percentile(luma[opening], (90, 10))
    return float(high - low) / max(level, 1.0)


def _eye_light(skin: SkinModel, opening: NDArray[np.bool_], cheek: NDArray[np.float64]) -> float:
    """The 90th percentile of an eye opening's luminance over the skin's beside it."""
    if not opening.any():
        return 1.0
    patch = _disk_mask(opening.shape, cheek, 0.12 * NORM_IOD) & skin.skin
    level = float(np.median(skin.luma[patch])) if patch.sum() >= 10 else float(np.median(skin.luma))
    return float(np.percentile(skin.luma[opening], 90)) / max(level, 1.0)


def _part_regions(pts: NDArray[np.float64], shape: tuple[int, int]) -> dict[str, Any]:
    brows = _polygon_mask(shape, _scaled(pts[list(_LEFT_BROW)], 1.3), hull=True) | _polygon_mask(
        shape, _scaled(pts[list(_RIGHT_BROW)], 1.3), hull=True
    )
    eye_openings = [_polygon_mask(shape, pts[list(contour)]) for contour in (_LEFT_EYE, _RIGHT_EYE)]
    openings = _polygon_mask(shape, _scaled(pts[list(_LEFT_EYE)], 1.2)) | _polygon_mask(
        shape, _scaled(pts[list(_RIGHT_EYE)], 1.2)
    )
    inner = _polygon_mask(shape, pts[list(_INNER_LIPS)])
    outer = pts[list(_OUTER_LIPS)]
    lips = _polygon_mask(shape, _scaled(outer, 1.05))
    around_mouth = _polygon_mask(shape, _scaled(outer, 1.6)) & ~lips
    nose = _polygon_mask(shape, pts[list(NOSE_POINTS)], hull=True)
    oval = _polygon_mask(shape, pts[list(FACE_OVAL)])
    brow_line = pts[list(_LEFT_BROW) + list(_RIGHT_BROW), 1].max()
    below_brows = np.zeros(shape, bool)
    below_brows[int(np.clip(brow_line, 0, shape[0])) :] = True
    face = oval & below_brows & ~openings & ~inner & ~brows
    lower = oval & ~inner
    lower[: int(np.clip(pts[NOSE_TIP_LOWER, 1], 0, shape[0]))] = False
    return {
        "eyes": eye_openings,
        "nose": nose,
        "mouth": around_mouth & ~nose,
        "face": face,
        "lower": lower,
    }


def face_light(skin: SkinModel, crop: FaceCrop) -> tuple[int, int, float, float]:
    """Return the check service's (face_darkillum, face_unbalance) and the raw figures.

    ``face_darkillum`` (100 bright enough, 0 dark) reads the 75th percentile
    of the face's skin luminance: 0 at 30, 100 at 120 (of 255).
    ``face_unbalance`` (100 even, 0 one-sided) compares the median luminance
    of matching patches on both sides of the face: 0 when the darker side is
    at 0.4 of the brighter, 100 at 0.9.
    """
    shape = skin.skin.shape
    oval = _polygon_mask(shape, crop.points[list(FACE_OVAL)])
    face_skin = oval & skin.skin
    if face_skin.sum() < 20:
        face_skin = oval
    level = float(np.percentile(skin.luma[face_skin], 75))
    sides = []
    for patch in CHEEK_PATCHES:
        region = np.logical_or.reduce(
            [_disk_mask(shape, crop.points[i], 0.13 * NORM_IOD) for i in patch]
        )
        ok = region & skin.skin
        sides.append(float(np.median(skin.luma[ok if ok.sum() >= 10 else region])))
    ratio = min(sides) / max(max(sides), 1e-3)
    return int(round(ramp(level, 30, 120))), int(round(ramp(ratio, 0.4, 0.9))), level, ratio


#: The sharpness figure (see :func:`blur_score`) that scores 0 and 100; the check fails
#: below 50, their geometric mean (40). On the labelled photos of tests/data, faces
#: blurred by motion or by a 3-pixel Gaussian read 13-35; every made photo of a fixable
#: one reads 54 or more; photos whose faces are too small for an ID photo read 12-40.
BLUR_VARIANCE = (20.0, 80.0)


def blur_score(crop: FaceCrop, skin: SkinModel) -> tuple[int, float]:
    """Return the check service's ``face_blur`` (100 sharp, 0 blurred) and the raw figure.

    The raw figure is the variance of the Laplacian over the eyes, nose and
    mouth of the normalised crop's grey (eyes 64 px apart, a larger face
    shrunk by area averaging: :class:`FaceCrop`), so it does not depend on
    the photo's size, divided by the square of the skin's brightness over 128,
    so it does not depend on the exposure either. The score maps its
    logarithm from BLUR_VARIANCE[0] (0) to BLUR_VARIANCE[1] (100).
    """
    lap = cv2.Laplacian(crop.grey, cv2.CV_32F, ksize=1)
    features = list(_LEFT_BROW) + list(_RIGHT_BROW) + list(_OUTER_LIPS)
    region = _polygon_mask(crop.grey.shape, crop.points[features], hull=True)
    level = (
        float(np.median(skin.luma[skin.skin])) if skin.skin.any() else float(np.median(skin.luma))
    )
    variance = float(lap[region].var()) if region.any() else 0.0
    variance /= (max(level, 8.0) / 128.0) ** 2
    low, high = BLUR_VARIANCE
    score = ramp(math.log(max(variance, 1e-3)), math.log(low), math.log(high))
    return int(round(score)), variance


# --- glasses and hats ---------------------------------------------------------------

#: Slopes (rows per column) of the lines along which a frame's bridge is sought: up to
#: about 17 degrees either way, in steps of 0.05.
BRIDGE_SLOPES = np.linspace(-0.3, 0.3, 13)


def _bridge_edge(luma: NDArray[np.float32], pts: NDArray[np.float64]) -> float:
    """The strongest mean vertical luminance step along a line across the nose's bridge.

    Lines span the inner eye corners less a tenth of their distance at each
    end, at every slope of BRIDGE_SLOPES, centred on rows from a quarter of
    the eye distance above the upper lids to a tenth below the inner corners.
    """
    gy = cv2.Sobel(luma, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    x0, x1 = sorted((pts[LEFT_EYE_INNER, 0], pts[RIGHT_EYE_INNER, 0]))
    span = x1 - x0
    y0 = int(pts[[LEFT_EYE_TOP, RIGHT_EYE_TOP], 1].mean() - 0.25 * NORM_IOD)
    y1 = int(pts[[LEFT_EYE_INNER, RIGHT_EYE_INNER], 1].mean() + 0.1 * NORM_IOD)
    height, width = gy.shape
    xs = np.arange(max(0, int(x0 + 0.1 * span)), min(width, int(x1 - 0.1 * span) + 1))
    rows = np.arange(max(0, y0), min(height, y1 + 1))
    if xs.size == 0 or rows.size == 0:
        return 0.0
    middle = (xs[0] + xs[-1]) / 2
    best = 0.0
    for slope in BRIDGE_SLOPES:
        ys = rows[:, None] + np.round(slope * (xs - middle)).astype(int)[None, :]
        line = gy[np.clip(ys, 0, height - 1), xs[None, :]]
        best = max(best, float(np.abs(line.mean(axis=1)).max()))
    return best


def glasses_kind(crop: FaceCrop, skin: SkinModel) -> tuple[str, float, float]:
    """Return the check service's ``glasses`` and the two figures it is read from.

    ``dark_glasses`` when the eye openings are dark and flat (neither shows
    its white against its iris: EYE_CONTRAST_SEEN) and the eye surroundings
    are dark too (tinted lenses; eyes in the shade of their sockets are dark
    but not flat); ``normal_glasses`` when the nose bridge
    between the eyes shows the horizontal edges of a frame; otherwise
    ``no_glasses``. Returns (kind, bridge edge strength, eye darkness).
    """
    pts = crop.points
    luma = skin.luma
    shape = luma.shape
    # Eye darkness: the brightest part of the openings (the white of the eye)
    # against the skin's brightness.
    eyes = [_polygon_mask(shape, pts[list(c)]) for c in (_LEFT_EYE, _RIGHT_EYE)]
    openings = eyes[0] | eyes[1]
    skin_level = _skin_level(skin)
    bright_eye = float(np.percentile(luma[openings], 90)) if openings.any() else skin_level
    darkness = bright_eye / max(skin_level, 1.0)
    # Whether either eye shows its white against its iris (then no lens hides it).
    seen = max(_eye_contrast(luma, eye, skin_level) for eye in eyes)
    # Bridge: an edge running straight across the nose between the eyes, at
    # the height of the upper lids (a frame's bridge), in luminance steps over
    # the skin's brightness. Signed means along a line: a frame's edge keeps
    # its sign across the bridge, skin texture does not. The line runs over
    # the whole span between the inner eye corners (less a tenth at each end)
    # and may slope (BRIDGE_SLOPES): on a turned or tilted head the bridge
    # is oblique in the crop, and a short level window both misses part of it
    # and moves off it when the mesh's points move by a pixel or two.
    edge = _bridge_edge(luma, pts) / max(skin_level, 1.0)
    around = np.logical_or.reduce(
        [
            _polygon_mask(shape, _scaled(pts[list(c)], 1.6))
            & ~_polygon_mask(shape, _scaled(pts[list(c)], 1.1))
            for c in (_LEFT_EYE, _RIGHT_EYE)
        ]
    )
    around_dark = float(np.median(luma[around])) / max(skin_level, 1.0) if around.any() else 1.0
    if darkness < 0.55 and around_dark < 0.6 and seen < EYE_CONTRAST_SEEN:
        return "dark_glasses", edge, darkness
    if edge > GLASSES_BRIDGE_EDGE:
        return "normal_glasses", edge, darkness
    return "no_glasses", edge, darkness
