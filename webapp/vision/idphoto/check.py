"""Check an ID photo: pass or fail, the reasons, and every measured figure.

:func:`check_id_photo` takes the uploaded file's bytes (the file itself
matters: its format, channels, transparency, resolution and size are
figures too) and returns an :class:`IdPhotoReport` whose ``detect_result``
has the field names and scales of the ID-photo check service whose API the
app answers with ("the check service" below). The rules are the table in
:mod:`webapp.vision.idphoto.rules`; the specifications the catalogue in
:mod:`webapp.vision.idphoto.specs`; the measurements
:mod:`webapp.vision.idphoto.geometry` (mesh, silhouette, pose),
:mod:`webapp.vision.idphoto.face` (the face crop) and
:mod:`webapp.vision.idphoto.scene` (hat, background, clothes).

Coordinates in :class:`IdPhotoDrawing` are pixels of the upright photo
(EXIF orientation applied), origin at the top-left corner, ``x`` = column and
``y`` = row; the figures in ``detect_result`` are fractions of the width
(``x``) or height (``y``) as the check service has them.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ..errors import check_image
from ..faces import detect_faces, warm_up
from ..images import load_image, probe_image
from ..mesh import FACE_OVAL
from ..person import Shoulders, find_shoulders, segment_person, warm_up_person
from ..refine import refine_landmarks
from . import face, scene
from . import geometry as geo
from .drawing import IdPhotoDrawing, make_drawing
from .rules import evaluate
from .specs import IdPhotoSpec, get_spec

#: The check service's limit (its code 204): no side longer than this.
MAX_SIDE = 2500
#: Photos are measured on a copy whose longer side is at most this long.
WORK_SIDE = 1200
#: Below this eye distance (pixels of the working copy) a face is too small to measure.
MIN_EYE_DISTANCE = 24.0
#: A face with more than this share of its outline outside the photo is cut off.
MAX_OUTLINE_OUTSIDE = 0.1
#: A photo stored in colour whose face is grey (a black-and-white photo saved as RGB, or
#: an ID photo made from one) has one colour channel: on a copy of the face at most
#: GREY_SIDE pixels long, 99 % of its pixels' R, G and B within GREY_SPREAD of each
#: other. Black-and-white photos read 0; the least colourful colour face of the 139
#: test photos with a face reads 26 (a tinted black-and-white scan may read a few).
GREY_SIDE = 128
GREY_SPREAD = 10
#: detect_result's fields in the order of the check service's example response.
FIELD_ORDER = (
    "color_channels",
    "nose_occlusion",
    "face_unbalance",
    "face_num",
    "face_x_occupy",
    "face_occlusion",
    "shoulder_equal",
    "photo_format",
    "mouth_occlusion",
    "eyes_close",
    "eyes_occlusion",
    "eyes_y_center",
    "is_transparent_background",
    "glasses",
    "mouth_close",
    "head_chin_y",
    "head_right",
    "face_x_center",
    "dpi",
    "background_clean",
    "size_mm",
    "eyes_spacing",
    "nose_tip",
    "size_pix",
    "head_pose",
    "face_blur",
    "file_size",
    "mouthmask",
    "head_left",
    "background_color",
    "head_top",
    "eyes_sight",
    "has_hat",
    "bf_similarity",
    "background_gradual",
    "face_darkillum",
)

_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "BMP": "bmp"}


@dataclass(frozen=True)
class IdPhotoReport:
    """The outcome of an ID-photo check.

    Attributes
    ----------
    passed : bool
        True when no rule failed and no error stopped the check.
    reasons : tuple of str
        Codes of the failed rules, in the rule table's order (see
        :data:`webapp.vision.idphoto.rules.RULES` for their wording).
    detect_result : dict
        The check service's figures, with its field names and scales. ``dpi`` and
        ``size_mm`` are present only when the file carries a resolution. A
        figure that could not be measured is -1. After an error only the
        file's figures (and ``face_num``) are present.
    error : str or None
        None, or why the photo could not be checked: ``"too_large"`` (a side
        over 2500 px), ``"no_face"``, ``"no_head"`` (no person around the
        face), ``"not_suitable"`` (face too small or cut by the border).
    spec : str or None
        The specification checked against.
    drawing : IdPhotoDrawing or None
        What to draw on the annotated page; None after an error.
    measures : dict
        Raw figures behind the scores (ratios, variances, angles), for
        tuning and debugging.
    """

    passed: bool
    reasons: tuple[str, ...]
    detect_result: dict[str, Any]
    error: str | None = None
    spec: str | None = None
    drawing: IdPhotoDrawing | None = None
    measures: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class FileFacts:
    """What the file itself says: format, channels, transparency, resolution."""

    photo_format: str
    color_channels: int
    transparent: bool
    width: int
    height: int
    dpi: tuple[int, int] | None
    file_size: int


def warm_up_idphoto() -> None:
    """Create this thread's MediaPipe graphs (faces, segmentation, pose) and run each once."""
    warm_up()
    warm_up_person()


def check_id_photo(
    data: bytes,
    *,
    spec: str | IdPhotoSpec | None = None,
    image: NDArray[np.uint8] | None = None,
    refine: bool = True,
) -> IdPhotoReport:
    """Check an ID photo against the check service's rules or a specification's.

    Parameters
    ----------
    data : bytes
        The photo file (JPEG, PNG, WebP or BMP).
    spec : str or IdPhotoSpec, optional
        A key of :data:`webapp.vision.idphoto.specs.SPECS`, or a specification
        itself (one made by :func:`~webapp.vision.idphoto.specs.custom_spec`);
        without one the check service's thresholds apply.
    image : ndarray of shape (H, W, 3) and dtype uint8, optional
        The photo already decoded by :func:`~webapp.vision.images.load_image`
        from ``data``, when the caller has it; otherwise it is decoded here.
    refine : bool, optional
        Read the eye line and the chin off the mesh moved onto the refined
        68 points (:mod:`webapp.vision.refine`); ``False``: off the mesh's own.

    Returns
    -------
    IdPhotoReport

    Raises
    ------
    UnknownSpecError
        If ``spec`` is not in the catalogue (checked before anything else).
    ImageError
        If the file is not an image the engine accepts (see
        :func:`webapp.vision.images.load_image`).

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO()
    >>> Image.new("RGB", (300, 400), "white").save(buf, "JPEG")
    >>> report = check_id_photo(buf.getvalue())
    >>> report.passed, report.error, report.detect_result["face_num"]
    (False, 'no_face', 0)
    """
    chosen = (
        spec if isinstance(spec, IdPhotoSpec) else (get_spec(spec) if spec is not None else None)
    )
    spec = chosen.name if chosen is not None else None
    facts = read_file_facts(data)
    result = _file_figures(facts)
    if max(facts.width, facts.height) > MAX_SIDE:
        return _stopped("too_large", result, spec)
    if image is None:
        image = load_image(data)
    else:
        check_image(image)
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
    faces = detect_faces(work)
    result["face_num"] = len(faces)
    if not faces:
        return _stopped("no_face", result, spec)
    if result["color_channels"] >= 3 and looks_grey(work, faces[0].box):
        result["color_channels"] = 1
    mesh = faces[0].mesh
    refined = refine_landmarks(mesh, work).mesh if refine else None
    geometry = geo.face_geometry(mesh, refined=refined)
    if (
        geometry.eye_distance < MIN_EYE_DISTANCE
        or _outline_outside(mesh, work.shape) > MAX_OUTLINE_OUTSIDE
    ):
        return _stopped("not_suitable", result, spec)
    mask = segment_person(work)
    head = geo.head_extent(mask, geometry)
    if head is None:
        return _stopped("no_head", result, spec)
    photo = _Photo(work, factor, faces[0].box, mesh, geometry, mask, head)
    return _measure(photo, result, facts, chosen)


def read_file_facts(data: bytes) -> FileFacts:
    """Read the file's own figures: format, channels, transparency, dpi, size.

    Only the header is read, except for files with an alpha channel (and no
    side over MAX_SIDE), whose alpha is decoded to tell a transparent
    background from an opaque one.

    Raises
    ------
    ImageError
        As :func:`webapp.vision.images.probe_image` (with its default limits).
    """
    info = probe_image(data)
    with warnings.catch_warnings():
        # probe_image has refused what is too large; Pillow's own bomb check
        # would only warn about what it let through.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        im = Image.open(io.BytesIO(data))
    mode = im.mode
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mode == "P" and "transparency" in im.info
    )
    channels = 4 if (mode == "P" and has_alpha) else (3 if mode == "P" else len(im.getbands()))
    transparent = False
    if has_alpha and max(info.width, info.height) <= MAX_SIDE:
        alpha = np.asarray(im.convert("RGBA").getchannel("A"))
        transparent = bool((alpha < 128).mean() >= 0.01)
    dpi = im.info.get("dpi")
    resolution = None
    if dpi and len(dpi) == 2 and dpi[0] and dpi[1]:
        resolution = (int(round(float(dpi[0]))), int(round(float(dpi[1]))))
    return FileFacts(
        photo_format=_FORMATS.get(info.format, info.format.lower()),
        color_channels=channels,
        transparent=transparent,
        width=info.width,
        height=info.height,
        dpi=resolution,
        file_size=len(data),
    )


def looks_grey(
    image: NDArray[np.uint8], box: tuple[float, float, float, float] | None = None
) -> bool:
    """Whether an RGB photo (or its face, ``box`` ``(x, y, w, h)``) is black and white.

    The face is what must be in colour: a black-and-white face made into an ID photo
    on a coloured background is still a black-and-white photo.
    """
    if box is not None:
        x, y, w, h = (int(round(v)) for v in box)
        face = image[max(0, y) : max(0, y + h), max(0, x) : max(0, x + w)]
        image = face if face.size else image
    factor = min(1.0, GREY_SIDE / max(image.shape[:2]))
    small = cv2.resize(
        image[..., :3],
        (max(1, round(image.shape[1] * factor)), max(1, round(image.shape[0] * factor))),
        interpolation=cv2.INTER_AREA,
    ).astype(np.int16)
    spread = small.max(axis=2) - small.min(axis=2)
    return bool(np.percentile(spread, 99) <= GREY_SPREAD)


def _file_figures(facts: FileFacts) -> dict[str, Any]:
    result: dict[str, Any] = {
        "color_channels": facts.color_channels,
        "photo_format": facts.photo_format,
        "is_transparent_background": facts.transparent,
        "size_pix": [facts.width, facts.height],
        "file_size": facts.file_size,
    }
    if facts.dpi is not None:
        result["dpi"] = list(facts.dpi)
        result["size_mm"] = [
            round(facts.width / facts.dpi[0] * 25.4),
            round(facts.height / facts.dpi[1] * 25.4),
        ]
    return result


def _stopped(error: str, result: dict[str, Any], spec: str | None) -> IdPhotoReport:
    return IdPhotoReport(passed=False, reasons=(), detect_result=result, error=error, spec=spec)


def _outline_outside(mesh: NDArray[np.float32], shape: tuple[int, ...]) -> float:
    oval = mesh[list(FACE_OVAL), :2]
    inside = (
        (oval[:, 0] >= 0) & (oval[:, 0] < shape[1]) & (oval[:, 1] >= 0) & (oval[:, 1] < shape[0])
    )
    return float(1.0 - inside.mean())


@dataclass(frozen=True)
class _Photo:
    """What every measure shares: the working copy and where the face and person are."""

    work: NDArray[np.uint8]
    factor: float
    box: tuple[float, float, float, float]
    mesh: NDArray[np.float32]
    geometry: geo.FaceGeometry
    mask: NDArray[np.float32]
    head: geo.HeadExtent


def _measure(
    photo: _Photo, result: dict[str, Any], facts: FileFacts, spec: IdPhotoSpec | None
) -> IdPhotoReport:
    measures: dict[str, float] = {}
    result.update(_position_figures(photo))
    result.update(_face_figures(photo, measures))
    background, shoulders, scene_figures = _scene_figures(photo, measures)
    result.update(scene_figures)
    ordered = {name: result[name] for name in FIELD_ORDER if name in result}
    figures = _figures(ordered, facts, spec, background)
    measures["head_height"] = figures["head_height"]
    reasons = evaluate(figures, spec=spec)
    return IdPhotoReport(
        passed=not reasons,
        reasons=reasons,
        detect_result=ordered,
        spec=spec.name if spec else None,
        drawing=make_drawing(
            box=photo.box,
            mesh=photo.mesh,
            geometry=photo.geometry,
            head=photo.head,
            mask=photo.mask,
            factor=photo.factor,
            shoulders=shoulders,
            spec=spec,
            background=background,
        ),
        measures=measures,
    )


def _r3(value: float) -> float:
    return round(float(value), 3)


def _position_figures(photo: _Photo) -> dict[str, Any]:
    """Where the face and head are, as fractions of the photo (and the head pose)."""
    height, width = photo.mask.shape
    g, head = photo.geometry, photo.head
    yaw, roll, pitch = geo.head_pose(photo.mesh)
    return {
        "face_x_occupy": _r3(g.width / width),
        "face_x_center": _r3(g.centre_x / width),
        "eyes_y_center": _r3(g.eye_y / height),
        # Pixels of the original photo, as in the check service's example (150 on a
        # 600-wide photo), although its comment speaks of a ratio.
        "eyes_spacing": int(round(g.eye_distance / photo.factor)),
        "nose_tip": [_r3(g.nose_tip[0] / width), _r3(g.nose_tip[1] / height)],
        "head_top": _r3(head.top / height),
        "head_left": _r3(head.left / width),
        "head_right": _r3(head.right / width),
        "head_chin_y": _r3(g.chin[1] / height),
        "head_pose": {
            "yaw_angle": round(yaw, 4),
            "roll_angle": round(roll, 4),
            "pitch_angle": round(pitch, 4),
        },
    }


def _face_figures(photo: _Photo, measures: dict[str, float]) -> dict[str, Any]:
    """The face's own figures: eyes, mouth, what covers it, light, sharpness, glasses."""
    crop = face.normalise_face(photo.work, photo.geometry, photo.mesh)
    skin = face.skin_model(crop)
    hidden = face.occlusion(crop, skin)
    glasses, bridge, eye_light = face.glasses_kind(crop, skin)
    darkillum, unbalance, level, balance = face.face_light(skin, crop)
    blur, sharpness = face.blur_score(crop, skin)
    eyes_close, ear = geo.eye_openness(photo.mesh)
    mouth_close, mar = geo.mouth_closedness(photo.mesh)
    measures.update(
        eye_aspect_ratio=ear,
        mouth_gap_ratio=mar,
        blur_laplacian_variance=sharpness,
        face_luma_p75=level,
        face_side_ratio=balance,
        glasses_bridge_edge=bridge,
        glasses_eye_light=eye_light,
        eyes_spacing_ratio=photo.geometry.eye_distance / photo.mask.shape[1],
    )
    return {
        "eyes_close": int(round(eyes_close)),
        "eyes_sight": int(round(geo.gaze_score(photo.mesh))),
        "mouth_close": int(round(mouth_close)),
        "eyes_occlusion": hidden.eyes,
        "nose_occlusion": hidden.nose,
        "mouth_occlusion": hidden.mouth,
        "face_occlusion": hidden.face,
        "mouthmask": hidden.mask,
        "glasses": glasses,
        "face_blur": blur,
        "face_darkillum": darkillum,
        "face_unbalance": unbalance,
    }


def _scene_figures(
    photo: _Photo, measures: dict[str, float]
) -> tuple[scene.Background | None, Shoulders | None, dict[str, Any]]:
    """Around the face: hat, shoulders, background and clothes."""
    shoulders = find_shoulders(photo.work)
    shoulder_equal, shoulder_angle = geo.shoulder_score(shoulders, photo.geometry)
    background = scene.measure_background(photo.work, photo.mask)
    bf_similarity, alike = -1, 0.0
    if background is not None:
        bf_similarity, alike = scene.clothes_similarity(
            photo.work, photo.mask, photo.geometry, background
        )
        measures.update(
            background_edges=background.edges,
            background_residual=background.residual,
            background_spread=background.spread,
        )
    measures.update(shoulder_angle=shoulder_angle, clothes_like_background_share=alike)
    return (
        background,
        shoulders,
        {
            "has_hat": scene.hat_present(photo.work, photo.mask, photo.geometry, photo.head),
            "shoulder_equal": shoulder_equal,
            "background_clean": background.clean if background else -1,
            "background_color": list(background.colour) if background else [-1, -1, -1],
            "background_gradual": background.gradual if background else -1,
            "bf_similarity": bf_similarity,
        },
    )


def _figures(
    result: dict[str, Any],
    facts: FileFacts,
    spec: IdPhotoSpec | None,
    background: scene.Background | None,
) -> dict[str, Any]:
    """Flatten the result and add the figures only rules read."""
    figures = rule_figures(result)
    if spec is not None:
        figures["size_ok"] = spec.accepts_size(facts.width, facts.height)
        figures["dpi_ok"] = spec.dpi is None or (
            facts.dpi is not None and all(abs(d - spec.dpi) <= 1 for d in facts.dpi)
        )
        figures["format_ok"] = facts.photo_format in spec.formats
        if background is not None:
            lab = np.asarray(background.lab, np.float32)
            figures["background_colour_ok"] = any(
                float(np.linalg.norm(scene.lab_colour(colour.rgb) - lab)) <= colour.tolerance
                for colour in spec.backgrounds
            )
    return figures


def rule_figures(detect_result: dict[str, Any]) -> dict[str, Any]:
    """Return ``detect_result`` as the rules read it: head_pose's angles and head_height added.

    The checks against a specification (``size_ok``...) are not among them.
    """
    figures = dict(detect_result)
    if "head_pose" in detect_result:
        figures.update(detect_result["head_pose"])
    if "head_chin_y" in detect_result and "head_top" in detect_result:
        figures["head_height"] = round(detect_result["head_chin_y"] - detect_result["head_top"], 3)
    return figures


__all__ = [
    "FileFacts",
    "IdPhotoDrawing",
    "IdPhotoReport",
    "check_id_photo",
    "looks_grey",
    "read_file_facts",
    "rule_figures",
    "warm_up_idphoto",
]
