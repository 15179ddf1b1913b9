"""Make an ID photo from an ordinary one: straightened, framed, on a plain background.

:func:`make_id_photo` frames the photo for a specification of the checker's
own catalogue (:mod:`webapp.vision.idphoto.specs`), measuring the head the way
the checker does (the crown from the person mask by
:func:`~webapp.vision.idphoto.geometry.head_extent`, the chin and eyes from
the face mesh), so that the maker and the checker cannot disagree about a
band:

1. one face (the largest; a second one at least half its width is refused);
2. the eye line made level (the roll turned away);
3. scale and offset chosen so that each band the specification sets (head
   height, top margin, eye line, face width) holds its figure as near its
   middle as the face allows (a weighted fit that evens the worst band out),
   the face centred left to right, at exactly ``spec.size_px``;
4. the person matted and put on the background colour;
5. optional gentle corrections (:mod:`.corrections`); and the light the
   check would refuse (``uneven_lighting``, ``too_dark``), read with the
   check's own measures on the framed face, is corrected by the maker itself
   (even light, brightness) and listed in ``fixed`` (``"light"``,
   ``"brightness"``).

Pixels are never invented for the person: where the frame would reach past the
photo's edge over the head, or far past it over the shoulders,
:class:`IdMakeError` (``not_enough_photo``) says so. Beyond the edge over the
background, the background colour fills in (it replaces the old one anyway).

:func:`crop_hivision` is HivisionIDPhotos' own framing (its ``/idphoto``
parameters), for callers of that API.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from ..errors import check_image
from ..faces import Face, detect_faces
from ..idphoto import face as idface
from ..idphoto import geometry as geo
from ..idphoto.check import (
    MAX_OUTLINE_OUTSIDE,
    WORK_SIDE,
    IdPhotoReport,
    _outline_outside,
    check_id_photo,
    looks_grey,
)
from ..idphoto.rules import RULES_BY_CODE, evaluate
from ..idphoto.scene import lab_colour
from ..idphoto.specs import IdPhotoSpec, get_spec
from ..person import find_shoulders, segment_person
from .background import compose
from .corrections import Corrections, apply_corrections
from .matting import WORK_SIDE as MATTE_SIDE
from .matting import refine_edge
from .reach import BODY_SHORTFALL_MAX, SIDE_SHORTFALL_MAX, carry_on, shortfall

#: The made photo is at most this many output pixels per input pixel (more is inventing detail).
MAX_UPSCALE = 2.0
#: Below this eye distance (pixels of the working copy) a face is too small to make a photo of.
MIN_EYE_DISTANCE = 24.0
#: A second face at least this share of the first one's width makes the photo a group photo.
SECOND_FACE_SHARE = 0.5
#: Rolls below this many degrees are left alone.
LEVEL_DEGREES = 0.5
#: A head whose top is within this many working pixels of the photo's edge is cut off ...
HEAD_EDGE_PX = 2
#: ... and so is one whose person probability reaches this in those rows over the face.
HEAD_EDGE_PROBABILITY = 0.3
#: The high-resolution copy is at most this many times the specification's size ...
HD_MAX_FACTOR = 3.0
#: ... and its longer side at most this long.
HD_MAX_SIDE = 1800
#: Where the top of the head goes when a specification sets no vertical band: this share
#: of the room the head leaves (the rest is below the chin), at most HEAD_TOP_MAX.
HEAD_TOP_SHARE = 0.4
HEAD_TOP_MAX = 0.12
#: The weight of such a default against the specification's own bands.
DEFAULT_WEIGHT = 0.25
#: The weight that pins the frame's bottom to the photo's when the photo is short below.
PIN_WEIGHT = 1000.0
#: A figure must stay this share of its half-band inside the band ("none on the edge").
EDGE_MARGIN = 0.2
#: Above this share of the clothes close to the first background colour, another accepted
#: colour is chosen (the check fails at 0.35: its bf_similarity of 30).
CLOTHES_ALIKE_MAX = 0.15
#: Retake codes read from the input photo (the checker's rule codes for what a new photo fixes).
RETAKE_RULES = (
    "head_turned",
    "head_pitched",
    "eyes_closed",
    "eyes_not_looking",
    "mouth_open",
    "dark_glasses",
    "glasses",
    "shoulders_uneven",
    "not_colour",
)

#: The topics of the check's rules whose failure in a made photo only a new photo fixes,
#: and the framing rules among them (the body's pose, not the crop).
RETAKE_TOPICS = ("visible", "light", "person")
RETAKE_FRAMING = ("shoulders_uneven",)

#: The check's light rules the maker's own corrections can fix (read on the framed face).
LIGHT_RULES = ("uneven_lighting", "too_dark")
#: Even-light and brightness steps tried, strongest first, for a face the check finds
#: unevenly lit or too dark (Corrections' scale).
EVEN_LIGHT_STEPS = (100, 75, 50)
BRIGHTNESS_STEPS = (100, 50)

#: Every error code, with its message in Chinese and English.
MESSAGES: dict[str, tuple[str, str]] = {
    "no_face": ("照片中没有找到人脸", "No face was found in the photo."),
    "many_faces": (
        "照片中有多张人脸，请上传只有一个人的照片",
        "There is more than one face in the photo; use a photo of one person.",
    ),
    "face_too_small": (
        "人脸太小或照片分辨率太低，无法制作证件照",
        "The face is too small (or the photo too low in resolution) to make an ID photo.",
    ),
    "no_head": (
        "没有找到脸周围的人像",
        "No person was found around the face.",
    ),
    "not_enough_photo": (
        "照片拍得不够完整（头顶或肩膀超出了照片），请重新拍一张留出更多空间的照片",
        "The photo does not reach far enough (the top of the head or the shoulders "
        "are cut off); take one with more room around you.",
    ),
}


class IdMakeError(ValueError):
    """The photo cannot be made into an ID photo; ``code`` says why, ``params`` the figures."""

    def __init__(self, code: str, **params: Any) -> None:
        if code not in MESSAGES:
            raise KeyError(code)
        self.code = code
        self.params = params
        super().__init__(MESSAGES[code][1])

    @property
    def zh(self) -> str:
        return MESSAGES[self.code][0]

    @property
    def en(self) -> str:
        return MESSAGES[self.code][1]


@dataclass(frozen=True)
class Framing:
    """Where the head landed, as fractions of the made photo (as the planner placed it).

    ``head_height`` crown to chin, ``head_top`` the margin above the crown,
    ``eye_line`` the eyes' row, all over the height; ``face_width`` ear to ear
    and ``face_centre`` over the width. ``roll`` is the angle turned away
    (degrees), ``scale`` the made photo's pixels per input pixel.
    """

    head_height: float
    head_top: float
    eye_line: float
    face_width: float
    face_centre: float
    roll: float
    scale: float


@dataclass(frozen=True)
class MadePhoto:
    """A made ID photo.

    Attributes
    ----------
    image : ndarray (H, W, 3) uint8
        The photo at exactly the specification's ``size_px``.
    hd : ndarray (H', W', 3) uint8
        The same framing at a higher resolution when the input has the
        pixels (else the same as ``image``).
    alpha : ndarray (H, W) float32
        The person's matte on ``image`` (1 = person).
    fixed : tuple of str
        What was done: ``"straightened"``, ``"cropped"``, ``"background"``,
        ``"light"`` (asked for, or the face's light evened out by the maker
        itself when the check would refuse it), ``"brightness"`` (a face the
        check finds too dark brightened by the maker), ``"white_balance"``.
    retake : tuple of str
        What only a new photo can fix (the checker's rule codes, e.g.
        ``"eyes_closed"``, ``"glasses"``, ``"head_turned"``, and
        ``"shoulders_missing"`` when the body had to be carried on past the edge);
        empty from :func:`crop_hivision`, which only frames.
    framing : Framing
    background : (r, g, b)
        The background colour the person was put on.
    """

    image: NDArray[np.uint8]
    hd: NDArray[np.uint8]
    alpha: NDArray[np.float32]
    fixed: tuple[str, ...]
    retake: tuple[str, ...]
    framing: Framing
    background: tuple[int, int, int] = (255, 255, 255)


@dataclass(frozen=True)
class _Subject:
    """The face and person in the straightened working copy."""

    work: NDArray[np.uint8]  # the working copy, as taken
    factor: float  # working pixels per input pixel
    rotation: NDArray[np.float64]  # 2x3: working copy -> straightened working copy
    roll: float
    face: Face
    mesh: NDArray[np.float32]  # straightened
    geometry: geo.FaceGeometry
    mask: NDArray[np.float32]  # straightened person mask
    valid: NDArray[np.float32]  # 1 where the straightened copy has photo
    head: geo.HeadExtent


def make_id_photo(
    image: NDArray[np.uint8],
    spec: IdPhotoSpec | str,
    *,
    background: tuple[int, int, int] | None = None,
    render: str = "plain",
    corrections: Corrections | None = None,
    hd: bool = True,
    offsets: Mapping[str, float] | None = None,
) -> MadePhoto:
    """Make an ID photo for ``spec`` from an RGB photo.

    Parameters
    ----------
    image : ndarray (H, W, 3) uint8
        The photo, upright (EXIF orientation applied).
    spec : IdPhotoSpec or str
        The specification (or its catalogue key).
    background : (r, g, b), optional
        The background colour; by default the specification's first, or
        another it accepts when the clothes are too like the first.
    render : str
        ``"plain"``, ``"updown"`` or ``"center"`` (see ``background.compose``).
    corrections : Corrections, optional
        Gentle light and colour corrections.
    hd : bool
        Whether to make the high-resolution copy too (matting and composing
        it costs about (its size / the specification's size) squared as much);
        without it ``MadePhoto.hd`` is ``image``.
    offsets : mapping, optional
        How much the check reads each band figure (``head_height``,
        ``head_top``, ``eye_line``, ``face_width``) above the maker's own
        reading of the same photo; the framing aims the check's reading at the
        bands' middles (see :func:`make_checked`).

    Raises
    ------
    IdMakeError
        ``no_face``, ``many_faces``, ``face_too_small``, ``no_head`` or
        ``not_enough_photo``.
    InvalidImageError
        If ``image`` is not an (H, W, 3) uint8 array.
    """
    check_image(image)
    if isinstance(spec, str):
        spec = get_spec(spec)
    subject = _find_subject(image, spec=spec)
    options = {"background": background, "render": render, "corrections": corrections, "hd": hd}
    return _make_for(subject, image, spec, options, offsets, _input_retakes(subject, spec))


def _make_for(
    subject: _Subject,
    image: NDArray[np.uint8],
    spec: IdPhotoSpec,
    options: Mapping[str, Any],
    offsets: Mapping[str, float] | None,
    input_retakes: list[str],
) -> MadePhoto:
    """``_make`` with ``options`` (``make_id_photo``'s), its refusals carrying ``input_retakes``."""
    try:
        return _make(
            subject,
            image,
            spec,
            options["background"],
            options["render"],
            options["corrections"],
            options["hd"],
            input_retakes,
            offsets or {},
        )
    except IdMakeError as error:
        # Say at once what else a new photo must fix.
        error.params.setdefault("retakes", tuple(input_retakes))
        raise


#: The check's framing rules a second framing can meet when the check reads the made
#: photo's head a little differently from the maker (a band's figure just past its edge).
REFRAMING_RULES = (
    "face_too_small",
    "face_too_large",
    "head_too_small",
    "head_too_large",
    "head_top_too_close",
    "head_top_too_far",
    "face_too_high",
    "face_too_low",
)


def make_checked(
    image: NDArray[np.uint8],
    spec: IdPhotoSpec | str,
    encode: Callable[[MadePhoto], Any],
    **options: Any,
) -> tuple[MadePhoto, Any, IdPhotoReport]:
    """Make, encode (``encode(made)``) and check an ID photo; frame it again once if needed.

    The maker frames with its own reading of the head (on the input photo);
    the check reads the made file again, which may differ by a few thousandths
    of the photo. When the check then fails only a framing rule
    (REFRAMING_RULES), the photo is framed again from the same subject with
    the differences as :func:`make_id_photo`'s ``offsets``, encoded and
    checked, and kept if it fails fewer rules. Returns ``(made, encoded,
    report)``; ``options`` are :func:`make_id_photo`'s.
    """
    check_image(image)
    if isinstance(spec, str):
        spec = get_spec(spec)
    subject = _find_subject(image, spec=spec)
    full = {"background": None, "render": "plain", "corrections": None, "hd": True, **options}
    # Read once: the input's face and body are the same whichever way it is framed.
    input_retakes = _input_retakes(subject, spec)
    made = _make_for(subject, image, spec, full, None, input_retakes)
    encoded = encode(made)
    report = check_made(made, spec, encoded)
    reasons = set(report.reasons)
    if report.passed or report.error or not reasons <= set(REFRAMING_RULES):
        return made, encoded, report
    offsets = check_offsets(made.framing, report.detect_result)
    try:
        again = _make_for(subject, image, spec, full, offsets, input_retakes)
    except IdMakeError:
        return made, encoded, report
    encoded_again = encode(again)
    report_again = check_made(again, spec, encoded_again)
    if len(report_again.reasons) < len(report.reasons):
        return again, encoded_again, report_again
    return made, encoded, report


def check_offsets(framing: Framing, detect_result: Mapping[str, Any]) -> dict[str, float]:
    """The check's reading of each band figure less the maker's (see ``make_id_photo``)."""
    read = {
        "head_top": detect_result.get("head_top"),
        "eye_line": detect_result.get("eyes_y_center"),
        "face_width": detect_result.get("face_x_occupy"),
    }
    if read["head_top"] is not None and detect_result.get("head_chin_y") is not None:
        read["head_height"] = detect_result["head_chin_y"] - read["head_top"]
    return {
        name: float(value) - float(getattr(framing, name))
        for name, value in read.items()
        if value is not None
    }


def _make(
    subject: _Subject,
    image: NDArray[np.uint8],
    spec: IdPhotoSpec,
    background: tuple[int, int, int] | None,
    render: str,
    corrections: Corrections | None,
    hd: bool,
    input_retakes: list[str],
    offsets: Mapping[str, float],
) -> MadePhoto:
    width, height = spec.size_px
    g, head = subject.geometry, subject.head
    u, v = _plan(
        spec,
        top=head.top,
        chin=g.chin[1],
        eye=g.eye_y,
        face_width=g.width,
        bottom=_photo_bottom(subject),
        offsets=offsets,
    )
    scale = u * subject.factor  # made pixels per input pixel
    if scale > MAX_UPSCALE:
        raise IdMakeError("face_too_small", scale=round(scale, 2), max_scale=MAX_UPSCALE)
    x0 = g.centre_x - width / (2 * u)
    y0 = v / u
    # The working copy's straightened frame -> the made photo.
    to_made = np.array([[u, 0.0, -u * x0], [0.0, u, -u * y0]])
    k = _hd_factor(scale, spec.size_px) if hd else 1.0
    hd_size = (round(width * k), round(height * k))
    to_hd = to_made * np.array([[hd_size[0] / width], [hd_size[1] / height]])
    hd_image, valid, person = _warp(image, subject, to_hd, hd_size)
    # The person mask is already there (the working copy's, carried into the frame): the
    # matte is its edge refined on the frame, as matte_person does with its own mask.
    alpha = _matte(hd_image, person)
    hd_image, carried, retake_reach = _check_reach(hd_image, valid, person, alpha, to_hd, subject)
    # Past the photo's edge only the carried-on body is person; the rest is background.
    outside = valid < 0.5
    alpha[outside] = carried[outside]
    fixed = ["cropped"]
    if abs(subject.roll) > LEVEL_DEGREES:
        fixed.insert(0, "straightened")
    box = _face_box(subject, to_hd)
    if corrections is not None and corrections.any:
        hd_image, done = apply_corrections(hd_image, alpha, box, corrections)
        fixed.extend(done)
    hd_image, done = _fix_light(
        hd_image, alpha, box, _mesh_in(subject.mesh, to_hd), (width, height)
    )
    fixed.extend(code for code in done if code not in fixed)
    colour = (
        tuple(background)
        if background is not None
        else _unlike_clothes(spec, hd_image, alpha, subject, to_hd)
    )
    hd_made = compose(hd_image, alpha, colour, render=render)
    fixed.append("background")
    if hd_size != (width, height):
        made = cv2.resize(hd_made, (width, height), interpolation=cv2.INTER_AREA)
        made_alpha = cv2.resize(alpha, (width, height), interpolation=cv2.INTER_AREA)
    else:
        made, made_alpha = hd_made, alpha
    framing = Framing(
        head_height=(g.chin[1] - head.top) * u / height,
        head_top=(head.top - y0) * u / height,
        eye_line=(g.eye_y - y0) * u / height,
        face_width=g.width * u / width,
        face_centre=(g.centre_x - x0) * u / width,
        roll=subject.roll,
        scale=scale,
    )
    retake = input_retakes + list(retake_reach)
    if _crown_crowded(spec, framing, offsets):
        retake.append("hair_too_high")
    return MadePhoto(
        image=np.ascontiguousarray(made),
        hd=np.ascontiguousarray(hd_made),
        alpha=np.clip(made_alpha, 0.0, 1.0).astype(np.float32),
        fixed=tuple(fixed),
        retake=tuple(dict.fromkeys(retake)),
        framing=framing,
        background=tuple(int(c) for c in colour),  # type: ignore[arg-type]
    )


def _find_subject(
    image: NDArray[np.uint8], *, straighten: bool = True, spec: IdPhotoSpec | None = None
) -> _Subject:
    """Find the one face and its person in a working copy, straightened when asked."""
    factor = min(1.0, WORK_SIDE / max(image.shape[:2]))
    work = (
        image
        if factor == 1.0
        else cv2.resize(
            image,
            (round(image.shape[1] * factor), round(image.shape[0] * factor)),
            interpolation=cv2.INTER_AREA,
        )
    )
    faces = detect_faces(work, max_faces=4)
    if not faces:
        raise IdMakeError("no_face")
    if len(faces) > 1 and faces[1].box[2] >= SECOND_FACE_SHARE * faces[0].box[2]:
        raise IdMakeError("many_faces", count=len(faces))
    face = faces[0]
    g0 = geo.face_geometry(face.mesh)
    if g0.eye_distance < MIN_EYE_DISTANCE:
        raise IdMakeError("face_too_small", eye_distance=round(g0.eye_distance / factor, 1))
    side_cut = _outline_outside(face.mesh, work.shape) > MAX_OUTLINE_OUTSIDE
    (ex0, ey0), (ex1, ey1) = g0.eyes
    roll = math.degrees(math.atan2(ey1 - ey0, ex1 - ex0)) if straighten else 0.0
    mask = segment_person(work)
    height, width = mask.shape
    # Hair the segmentation is unsure of (a crown running into the top edge) still touches it.
    band = slice(max(0, int(g0.centre_x - 0.3 * g0.width)), int(g0.centre_x + 0.3 * g0.width) + 1)
    top_touched = bool(mask[:HEAD_EDGE_PX, band].max(initial=0.0) >= HEAD_EDGE_PROBABILITY)
    if abs(roll) > LEVEL_DEGREES:
        centre = ((ex0 + ex1) / 2, (ey0 + ey1) / 2)
        rotation = cv2.getRotationMatrix2D(centre, roll, 1.0)
        mask = cv2.warpAffine(
            mask, rotation, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        valid = cv2.warpAffine(
            np.ones((height, width), np.float32),
            rotation,
            (width, height),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0.0,
        )
        mesh = face.mesh.copy()
        mesh[:, :2] = mesh[:, :2] @ rotation[:, :2].T.astype(np.float32) + rotation[:, 2].astype(
            np.float32
        )
    else:
        roll = 0.0 if abs(roll) <= LEVEL_DEGREES else roll
        rotation = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
        valid = np.ones((height, width), np.float32)
        mesh = face.mesh
    g = geo.face_geometry(mesh)
    head = geo.head_extent(mask, g)
    if head is None:
        raise IdMakeError("no_head")
    top_row = int(math.floor(head.top))
    cx = int(round(np.clip(g.centre_x, 0, width - 1)))
    above = max(0, top_row - HEAD_EDGE_PX)
    subject = _Subject(work, factor, rotation, roll, face, mesh, g, mask, valid, head)
    if side_cut or top_touched or top_row < HEAD_EDGE_PX or valid[above, cx] < 0.5:
        raise IdMakeError(
            "not_enough_photo",
            side="sides" if side_cut else "top",
            retake="head_cut_off",
            # What else a new photo must fix (for a specification: Hivision's framing asks none).
            retakes=() if spec is None else tuple(_input_retakes(subject, spec)),
        )
    return subject


@dataclass(frozen=True)
class _Row:
    """One row of the framing fit: a figure linear in (u, v), its target and weight.

    u is made pixels per working pixel and v = u * y0 (y0 the frame's top in
    working pixels): the head height is (chin - top) u / H, the top margin
    (top u - v) / H, the eye line (eye u - v) / H, the face width
    face_width u / W. ``band`` is the specification's band (None for a default).
    """

    coeffs: tuple[float, float]
    target: float
    weight: float
    band: tuple[float, float] | None


def _band_rows(
    spec: IdPhotoSpec,
    *,
    top: float,
    chin: float,
    eye: float,
    face_width: float,
    offsets: Mapping[str, float] | None = None,
) -> list[_Row]:
    """The fit's rows, one per band the specification sets (and a default when needed).

    ``offsets`` move a band's target so that the check's reading, not the
    maker's, lands in its middle (see ``make_id_photo``); the band itself
    (``_Row.band``, for the edge tests) stays the specification's.
    """
    width, height = spec.size_px
    rows: list[_Row] = []
    offsets = offsets or {}

    def add(
        name: str, coeffs: tuple[float, float], band: tuple[float, float], weight: float = 1.0
    ) -> None:
        low, high = band
        middle = (low + high) / 2 - offsets.get(name, 0.0)
        rows.append(_Row(coeffs, middle, weight / ((high - low) / 2), band))

    if spec.head_height is not None:
        add("head_height", ((chin - top) / height, 0.0), spec.head_height)
    if spec.face_width is not None:
        add("face_width", (face_width / width, 0.0), spec.face_width)
    if spec.head_top is not None:
        add("head_top", (top / height, -1.0 / height), spec.head_top)
    if spec.eye_line is not None:
        add("eye_line", (eye / height, -1.0 / height), spec.eye_line)
    if spec.head_top is None and spec.eye_line is None:
        # No vertical band: the crown goes a little below the top (never touching it).
        size = spec.head_height or (0.6, 0.7)
        margin = min(HEAD_TOP_MAX, HEAD_TOP_SHARE * (1 - sum(size) / 2))
        rows.append(_Row((top / height, -1.0 / height), margin, DEFAULT_WEIGHT / 0.02, None))
    return rows


def _solve(rows: list[_Row]) -> NDArray[np.float64]:
    """Weighted least squares re-weighted towards the furthest-off row (about a minimax fit)."""
    a = np.array([r.coeffs for r in rows], np.float64)
    b = np.array([r.target for r in rows], np.float64)
    w = np.array([r.weight for r in rows], np.float64)
    boost = np.ones_like(w)
    solution = np.zeros(2)
    for _ in range(12):
        weights = w * boost
        solution, *_ = np.linalg.lstsq(a * weights[:, None], b * weights, rcond=None)
        off = np.abs(a @ solution - b) * w
        if off.max() < 1e-9:
            break
        boost = boost * (1.0 + off / off.max())
    return solution


def _plan(
    spec: IdPhotoSpec,
    *,
    top: float,
    chin: float,
    eye: float,
    face_width: float,
    bottom: float | None = None,
    offsets: Mapping[str, float] | None = None,
) -> tuple[float, float]:
    """Solve for (u, v): each band's figure near its middle, the worst band evened out.

    When the frame would end below ``bottom`` (the last row of the working
    copy with photo under the face), the frame's bottom is pinned to it and
    the bands use their room instead; if a band's figure then comes within
    EDGE_MARGIN of its edge (or past it), the photo does not reach far enough
    below the chin: ``not_enough_photo``.
    """
    rows = _band_rows(spec, top=top, chin=chin, eye=eye, face_width=face_width, offsets=offsets)
    u, v = (float(x) for x in _solve(rows))
    height = spec.size_px[1]
    if bottom is not None and (v + height) / u > bottom + 0.5:
        pinned = _Row((bottom / height, -1.0 / height), 1.0, PIN_WEIGHT, None)
        u, v = (float(x) for x in _solve([*rows, pinned]))
        for row in rows:
            if row.band is None:
                continue
            low, high = row.band
            margin = EDGE_MARGIN * (high - low) / 2
            figure = row.coeffs[0] * u + row.coeffs[1] * v
            if not low + margin <= figure <= high - margin:
                raise IdMakeError("not_enough_photo", side="bottom", retake="shoulders_missing")
    return u, v


def _crown_crowded(
    spec: IdPhotoSpec, framing: Framing, offsets: Mapping[str, float] | None = None
) -> bool:
    """Whether the top of the head (hair, or what is on it) ends within EDGE_MARGIN of the
    edge of the specification's top-margin or head-height band, or past it (as the check
    reads it, when ``offsets`` say how its reading differs: see ``make_id_photo``).

    The fit aims at each band's middle, so this happens only when the bands cannot all
    be met at once: hair rising far above the forehead makes the head too tall for
    the frame with the face at the size the document asks for. Only a new photo (the
    hair tied or smoothed down) fixes that.
    """

    def margin(band: tuple[float, float]) -> float:
        return EDGE_MARGIN * (band[1] - band[0]) / 2

    top, size = spec.head_top, spec.head_height
    offsets = offsets or {}
    head_top = framing.head_top + offsets.get("head_top", 0.0)
    head_height = framing.head_height + offsets.get("head_height", 0.0)
    return bool(
        (top is not None and head_top < top[0] + margin(top))
        or (size is not None and head_height > size[1] - margin(size))
    )


def _unlike_clothes(
    spec: IdPhotoSpec,
    image: NDArray[np.uint8],
    alpha: NDArray[np.float32],
    subject: _Subject,
    to_out: NDArray[np.float64],
) -> tuple[int, int, int]:
    """The specification's first background, or the accepted one least like the clothes.

    Clothes are read as the check reads them (the person below the neck);
    when more than CLOTHES_ALIKE_MAX of them are within delta E 15 of the
    first colour (a white shirt on white), the accepted colour with the
    fewest such pixels is chosen.
    """
    first = spec.backgrounds[0].rgb
    if len(spec.backgrounds) == 1:
        return first
    g = subject.geometry
    chin = to_out[1, 1] * g.chin[1] + to_out[1, 2]
    eye = to_out[1, 1] * g.eye_y + to_out[1, 2]
    start = int(chin + 0.6 * (chin - eye))
    if start >= image.shape[0]:
        return first
    step = max(1, int(max(image.shape[:2]) / 256))
    worn = alpha[start::step, ::step] >= 0.9
    if worn.sum() < 20:
        return first
    pixels = image[start::step, ::step][worn].astype(np.float32).reshape(-1, 1, 3) / 255.0
    lab = cv2.cvtColor(pixels, cv2.COLOR_RGB2LAB).reshape(-1, 3)

    def alike(rgb: tuple[int, int, int]) -> float:
        return float((np.linalg.norm(lab - lab_colour(np.asarray(rgb)), axis=1) < 15.0).mean())

    if alike(first) <= CLOTHES_ALIKE_MAX:
        return first
    return min((c.rgb for c in spec.backgrounds), key=alike)


def _photo_bottom(subject: _Subject) -> float:
    """The last row (straightened working copy) with photo under the face's middle."""
    column = subject.valid[
        :, int(np.clip(round(subject.geometry.centre_x), 0, subject.valid.shape[1] - 1))
    ]
    rows = np.nonzero(column >= 0.5)[0]
    return float(rows[-1] + 1) if rows.size else float(column.size)


def _hd_factor(scale: float, size_px: tuple[int, int]) -> float:
    """How many times the specification's size the high-resolution copy is (>= 1)."""
    native = 1.0 / max(scale, 1e-6)
    return float(np.clip(min(native, HD_MAX_FACTOR, HD_MAX_SIDE / max(size_px)), 1.0, None))


def _warp(
    image: NDArray[np.uint8],
    subject: _Subject,
    to_out: NDArray[np.float64],
    size: tuple[int, int],
) -> tuple[NDArray[np.uint8], NDArray[np.float32], NDArray[np.float32]]:
    """Cut the frame out of the input: the photo, where it has pixels, the person mask.

    The photo is resampled bicubically: an enlargement by bilinear
    interpolation alone is visibly soft (the check reads a 1.5x bilinear
    enlargement of a sharp face as blurred, a bicubic one not).
    """
    # Input -> working copy -> straightened -> frame.
    straighten = _compose(
        subject.rotation, np.array([[subject.factor, 0, 0], [0, subject.factor, 0]])
    )
    from_input = _compose(to_out, straighten)
    scale = math.sqrt(abs(np.linalg.det(from_input[:, :2])))
    source = image
    if scale < 0.7:
        # A large reduction: shrink with area averaging first (warpAffine would alias).
        pre = min(1.0, scale * 1.25)
        source = cv2.resize(
            image,
            (max(1, round(image.shape[1] * pre)), max(1, round(image.shape[0] * pre))),
            interpolation=cv2.INTER_AREA,
        )
        from_input = from_input.copy()
        from_input[:, :2] /= pre
    out = cv2.warpAffine(
        source, from_input, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    valid = cv2.warpAffine(subject.valid, to_out, size, flags=cv2.INTER_LINEAR, borderValue=0.0)
    person = cv2.warpAffine(
        subject.mask, to_out, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return out, valid, person


def _matte(image: NDArray[np.uint8], person: NDArray[np.float32]) -> NDArray[np.float32]:
    """The matte of ``image`` from its person probability, as ``matte_person`` makes it.

    The edge is refined on a copy at most the matting's working size, and
    scaled back (``matte_person`` does the same with its own segmentation).
    """
    height, width = image.shape[:2]
    scale = min(1.0, MATTE_SIDE / max(height, width))
    if scale == 1.0:
        return refine_edge(image, person)
    size = (round(width * scale), round(height * scale))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    alpha = refine_edge(small, cv2.resize(person, size, interpolation=cv2.INTER_AREA))
    return np.clip(cv2.resize(alpha, (width, height), interpolation=cv2.INTER_LINEAR), 0, 1)


def _compose(second: NDArray[np.float64], first: NDArray[np.float64]) -> NDArray[np.float64]:
    """The 2x3 affine map ``second`` after ``first``."""
    a = np.vstack([first, [0.0, 0.0, 1.0]])
    b = np.vstack([second, [0.0, 0.0, 1.0]])
    return (b @ a)[:2]


def _check_reach(
    image: NDArray[np.uint8],
    valid: NDArray[np.float32],
    person: NDArray[np.float32],
    alpha: NDArray[np.float32],
    to_out: NDArray[np.float64],
    subject: _Subject,
) -> tuple[NDArray[np.uint8], NDArray[np.float32], tuple[str, ...]]:
    """Where the frame carries the body on past the photo (0 to 1), and whether that is too much.

    Past the photo's edge above the chin there is only background (the head
    itself was found inside the photo). Below the chin the person (the
    mask's edge rows and columns carried on) may cover at most
    BODY_SHORTFALL_MAX of the made photo's rows under the face (on average over the
    middle third of its columns) and
    SIDE_SHORTFALL_MAX of its columns; more is ``not_enough_photo``. Returns the frame
    with the carried-on body's colours, the carried-on body
    (:func:`~webapp.vision.idmake.reach.carry_on`) and ``("shoulders_missing",)``
    when there is any.
    """
    height = valid.shape[0]
    chin_row = int(np.clip(to_out[1, 1] * subject.geometry.chin[1] + to_out[1, 2], 0, height))
    image, carried, beside = carry_on(image, valid, person, alpha, chin_row)
    if not (carried >= 0.5).any():
        return image, carried, ()
    below, sides = shortfall(carried, beside)
    if below > BODY_SHORTFALL_MAX or sides > SIDE_SHORTFALL_MAX:
        raise IdMakeError(
            "not_enough_photo",
            side="bottom" if below > BODY_SHORTFALL_MAX else "sides",
            retake="shoulders_missing",
            share=round(max(below, sides), 3),
        )
    return image, carried, ("shoulders_missing",)


def _mesh_in(mesh: NDArray[np.float32], to_out: NDArray[np.float64]) -> NDArray[np.float32]:
    """The mesh (x, y) carried by a 2x3 affine map (z scaled with it)."""
    out = mesh.astype(np.float64).copy()
    out[:, :2] = mesh[:, :2] @ to_out[:, :2].T + to_out[:, 2]
    out[:, 2] *= math.sqrt(abs(np.linalg.det(to_out[:, :2])))
    return out.astype(np.float32)


def _face_reasons(
    image: NDArray[np.uint8], mesh: NDArray[np.float32], size: tuple[int, int]
) -> set[str]:
    """The check's light rules (LIGHT_RULES) and its sharpness rule that fail on this face.

    Read with the check's own measures on the photo at ``size`` (the made
    photo's, as the check will see it). Sharpness is read because it is
    normalised by the skin's brightness: lifting a shaded side lowers it.
    """
    height, width = image.shape[:2]
    if (width, height) != size:
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        mesh = mesh.copy()
        mesh[:, 0] *= size[0] / width
        mesh[:, 1] *= size[1] / height
    crop = idface.normalise_face(image, geo.face_geometry(mesh), mesh)
    skin = idface.skin_model(crop)
    darkillum, unbalance, _, _ = idface.face_light(skin, crop)
    figures = {
        "face_darkillum": darkillum,
        "face_unbalance": unbalance,
        "face_blur": idface.blur_score(crop, skin)[0],
    }
    return {code for code in evaluate(figures) if code in (*LIGHT_RULES, "face_blurry")}


def _fix_light(
    image: NDArray[np.uint8],
    alpha: NDArray[np.float32],
    box: tuple[float, float, float, float],
    mesh: NDArray[np.float32],
    size: tuple[int, int],
) -> tuple[NDArray[np.uint8], tuple[str, ...]]:
    """Correct the light the check would refuse on the framed face, as far as gentle means go.

    A face lit from one side gets the even-light correction (a gain rising
    across the face towards its shaded side, on the person only), a face too
    dark brightness, each at the strongest of its steps (EVEN_LIGHT_STEPS,
    BRIGHTNESS_STEPS) after which the check's own measure passes the rule
    and fails no rule of the face it passed before. A photo no step helps
    is left as it was (and the re-check says why). Returns the photo and
    what was done: ``"light"`` (evened out), ``"brightness"``.
    """
    reasons = _face_reasons(image, mesh, size)
    out, done = image, []
    for code, fixed, steps in (
        ("uneven_lighting", "light", [Corrections(even_light=e) for e in EVEN_LIGHT_STEPS]),
        ("too_dark", "brightness", [Corrections(brightness=b) for b in BRIGHTNESS_STEPS]),
    ):
        if code not in reasons:
            continue
        for step in steps:
            candidate, _ = apply_corrections(out, alpha, box, step)
            found = _face_reasons(candidate, mesh, size)
            if code not in found and found <= reasons:
                out, reasons = candidate, found
                done.append(fixed)
                break
    return out, tuple(done)


def _face_box(subject: _Subject, to_out: NDArray[np.float64]) -> tuple[float, float, float, float]:
    g = subject.geometry
    corners = np.array([[g.left, g.forehead[1], 1.0], [g.right, g.chin[1], 1.0]])
    (x0, y0), (x1, y1) = corners @ to_out.T
    return float(x0), float(y0), float(x1), float(y1)


def _input_retakes(subject: _Subject, spec: IdPhotoSpec) -> list[str]:
    """The checker's rules a new photo would have to fix, read on the input's face and body."""
    mesh = subject.face.mesh
    yaw, _, pitch = geo.head_pose(mesh)
    shoulders, _ = geo.shoulder_score(find_shoulders(subject.work), geo.face_geometry(mesh))
    figures: dict[str, Any] = {
        "yaw_angle": yaw,
        "pitch_angle": pitch,
        "eyes_close": int(round(geo.eye_openness(mesh)[0])),
        "mouth_close": int(round(geo.mouth_closedness(mesh)[0])),
        "eyes_sight": int(round(geo.gaze_score(mesh))),
        # A body turned from the camera stays turned in any crop of it; read on the whole
        # photo, where both shoulders show, not on a made photo that cuts them at its edges.
        "shoulder_equal": shoulders,
        # A black-and-white photo stays one on a coloured background.
        "color_channels": 1 if looks_grey(subject.work, subject.face.box) else 3,
    }
    if not spec.glasses_allowed:
        # Reading glasses costs a third of the making; tinted ones (refused everywhere) are
        # left to the re-check of the made photo.
        crop = idface.normalise_face(subject.work, geo.face_geometry(mesh), mesh)
        figures["glasses"] = idface.glasses_kind(crop, idface.skin_model(crop))[0]
    return [code for code in evaluate(figures, spec=spec) if code in RETAKE_RULES]


def check_made(made: MadePhoto, spec: IdPhotoSpec | str, encoded: Any) -> IdPhotoReport:
    """Re-check a made photo's file with the ID-photo check, for the same specification.

    ``encoded`` is the :class:`~webapp.vision.idmake.output.EncodedPhoto` of
    ``made.image`` (the file is what is judged: its size, DPI and JPEG
    artefacts count). Custom specifications are checked too.
    """
    if isinstance(spec, str):
        spec = get_spec(spec)
    return check_id_photo(encoded.data, spec=spec)


def retakes_after_check(made: MadePhoto, report: IdPhotoReport) -> tuple[str, ...]:
    """What only a new photo fixes: the maker's own list, then what the made photo's check
    still finds that the maker does not decide (RETAKE_TOPICS: the face and body as
    photographed, the light it could not even out), never framing, background or file."""
    found = [
        code
        for code in report.reasons
        if code in RULES_BY_CODE
        and (RULES_BY_CODE[code].topic in RETAKE_TOPICS or code in RETAKE_FRAMING)
    ]
    return tuple(dict.fromkeys([*made.retake, *found]))


def crop_hivision(
    image: NDArray[np.uint8],
    *,
    height: int = 413,
    width: int = 295,
    head_measure_ratio: float = 0.2,
    head_height_ratio: float = 0.45,
    top_distance_max: float = 0.12,
    top_distance_min: float = 0.10,
    background: tuple[int, int, int] | None = (255, 255, 255),
) -> MadePhoto:
    """Frame a photo the way HivisionIDPhotos' ``/idphoto`` does, with its parameters.

    - ``head_measure_ratio``: the face's box area over the photo's area (the
      frame is as large as the face box's area divided by it);
    - ``head_height_ratio``: where the face box's centre sits, as a share of
      the frame's height from its top;
    - ``top_distance_max``, ``top_distance_min``: the band for the margin
      above the head (share of the frame's height); the frame moves up or
      down into it;
    - when the person does not reach the frame's sides, the frame shrinks
      to the person's width (its height with it); when the person does not
      reach its bottom, the frame moves up so the body ends at the bottom.

    The face box is the face mesh's extent (HivisionIDPhotos uses its
    detector's box); the head is not straightened (its default). ``hd`` is the
    frame at the photo's own resolution with its shorter side at least
    max(600, width), as HivisionIDPhotos' high-definition photo.
    ``background`` fills in behind the person (``alpha`` gives the
    transparent version); ``None`` keeps the photo's own background, as
    HivisionIDPhotos' ``/idphoto_crop`` does (``alpha`` is then 1 where the
    frame has photo and 0 past its edges).

    Raises
    ------
    IdMakeError
        As :func:`make_id_photo` (``not_enough_photo`` when the head is cut by
        the photo's top).
    ValueError
        If a size or ratio is out of range.
    """
    check_image(image)
    if not (16 <= width <= 4000 and 16 <= height <= 4000):
        raise ValueError(f"the size must be 16-4000 px a side, not {width}x{height}")
    if not (0.01 <= head_measure_ratio <= 1.0 and 0.0 <= head_height_ratio <= 1.0):
        raise ValueError("head_measure_ratio must be 0.01-1 and head_height_ratio 0-1")
    if not 0.0 <= top_distance_min <= top_distance_max <= 1.0:
        raise ValueError("top_distance_min must be 0-1 and not above top_distance_max")
    subject = _find_subject(image, straighten=False)
    bx, by, bw, bh = subject.face.box
    face_centre = (bx + bw / 2, by + bh / 2)
    r = math.sqrt(bw * bh / head_measure_ratio / (width * height))
    crop_w, crop_h = width * r, height * r
    x1 = face_centre[0] - crop_w / 2
    y1 = face_centre[1] - crop_h * head_height_ratio
    person = subject.mask >= 0.5
    left_gap, right_gap, top_gap, _ = _person_gaps(person, x1, y1, crop_w, crop_h)
    cut = 0.0
    if left_gap > 0 or right_gap > 0:
        cut = (left_gap + right_gap) * height / width / 2
    margin = (top_gap - cut) / crop_h
    move = 0.0
    if margin > top_distance_max:
        move = (margin - top_distance_max) * crop_h
    elif margin < top_distance_min:
        move = -(top_distance_min - margin) * crop_h
    x1, x2 = x1 + left_gap, x1 + crop_w - right_gap
    y1, y2 = y1 + cut + move, y1 + crop_h - cut + move
    _, _, _, bottom_gap = _person_gaps(person, x1, y1, x2 - x1, y2 - y1)
    y1, y2 = y1 - bottom_gap, y2 - bottom_gap
    u = width / (x2 - x1)
    to_made = np.array([[u, 0.0, -u * x1], [0.0, height / (y2 - y1), -height / (y2 - y1) * y1]])
    native = 1.0 / (u * subject.factor)
    k = max(1.0, min(native, HD_MAX_SIDE / max(width, height)))
    k = max(k, max(600, width) / min(width, height))
    hd_size = (round(width * k), round(height * k))
    to_hd = to_made * np.array([[hd_size[0] / width], [hd_size[1] / height]])
    hd_image, valid, mask = _warp(image, subject, to_hd, hd_size)
    if background is None:
        alpha = (valid >= 0.5).astype(np.float32)
        hd_made = hd_image
        fixed: tuple[str, ...] = ("cropped",)
    else:
        alpha = _matte(hd_image, mask)
        alpha[valid < 0.5] = 0.0
        hd_made = compose(hd_image, alpha, background)
        fixed = ("cropped", "background")
    made = cv2.resize(hd_made, (width, height), interpolation=cv2.INTER_AREA)
    made_alpha = cv2.resize(alpha, (width, height), interpolation=cv2.INTER_AREA)
    g, head = subject.geometry, subject.head
    sy = to_made[1, 1]
    return MadePhoto(
        image=np.ascontiguousarray(made),
        hd=np.ascontiguousarray(hd_made),
        alpha=np.clip(made_alpha, 0.0, 1.0).astype(np.float32),
        fixed=fixed,
        # HivisionIDPhotos' framing judges nothing, and its answers have no such list:
        # the reading of the face and body (a pose run among it) is not paid for.
        retake=(),
        framing=Framing(
            head_height=(g.chin[1] - head.top) * sy / height,
            head_top=(head.top - y1) * sy / height,
            eye_line=(g.eye_y - y1) * sy / height,
            face_width=g.width * u / width,
            face_centre=(g.centre_x - x1) * u / width,
            roll=0.0,
            scale=u * subject.factor,
        ),
        background=tuple(int(c) for c in background or (0, 0, 0)),  # type: ignore[arg-type]
    )


def _person_gaps(
    person: NDArray[np.bool_], x: float, y: float, w: float, h: float
) -> tuple[float, float, float, float]:
    """Empty (left, right, top, bottom) margins around the person inside a frame (working px).

    Like HivisionIDPhotos, the frame's part outside the photo counts as empty.
    """
    rows, cols = person.shape
    x0, y0 = int(math.floor(max(0, x))), int(math.floor(max(0, y)))
    x1, y1 = int(math.ceil(min(cols, x + w))), int(math.ceil(min(rows, y + h)))
    inside = person[y0:y1, x0:x1]
    if inside.size == 0 or not inside.any():
        return 0.0, 0.0, 0.0, 0.0
    ys = np.nonzero(inside.any(axis=1))[0]
    xs = np.nonzero(inside.any(axis=0))[0]
    left = x0 + xs[0] - x
    right = (x + w) - (x0 + xs[-1] + 1)
    top = y0 + ys[0] - y
    bottom = (y + h) - (y0 + ys[-1] + 1)
    return max(0.0, left), max(0.0, right), max(0.0, top), max(0.0, bottom)
