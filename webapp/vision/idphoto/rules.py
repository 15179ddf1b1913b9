"""Every ID-photo rule in one table: code, wording, the figure it reads, the limit.

The seed's threshold comments name the *passing* side: "face_x_occupy >= 0.51
脸部太小 <= 0.64 脸部太大" means a face is too small below 0.51 and too large
above 0.64; "eyes_close >= 80 闭眼" means eyes read as closed below 80. Each
rule's ``reading`` spells that out. A rule fails a photo when its figure is
outside the limit:

- ``op="min"``: fails when the figure is below ``limit``;
- ``op="max"``: fails when it is above ``limit``;
- ``op="abs_max"``: fails when its absolute value is above ``limit``;
- ``op="is"``: fails when it equals ``limit``;
- ``op="false"``: fails when it is false (a check computed against a spec).

``spec_field`` names the :class:`~webapp.vision.idphoto.specs.IdPhotoSpec`
band (``"face_width[0]"``...) that replaces ``limit`` when a specification is
given; such a rule is skipped under a specification that leaves the band
unset. ``spec_only`` rules are read only under a specification. A figure of
-1 (not measurable) never fails a rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .specs import IdPhotoSpec


@dataclass(frozen=True)
class Rule:
    """One reason an ID photo can fail."""

    code: str
    zh: str
    en: str
    figure: str
    op: str
    limit: Any
    reading: str
    spec_field: str | None = None
    spec_only: bool = False


RULES: tuple[Rule, ...] = (
    # Faces.
    Rule(
        "multiple_faces",
        "照片中有多张人脸",
        "There is more than one face in the photo.",
        "face_num",
        "max",
        1,
        "face_num above 1 fails",
    ),
    # Size and position (the seed's bands; a spec's own bands replace them).
    Rule(
        "face_too_small",
        "脸部太小",
        "The face is too small.",
        "face_x_occupy",
        "min",
        0.51,
        "'>= 0.51 脸部太小': below 0.51 of the width fails",
        "face_width[0]",
    ),
    Rule(
        "face_too_large",
        "脸部太大",
        "The face is too large.",
        "face_x_occupy",
        "max",
        0.64,
        "'<= 0.64 脸部太大': above 0.64 of the width fails",
        "face_width[1]",
    ),
    Rule(
        "face_too_left",
        "脸部太靠左",
        "The face is too far to the left.",
        "face_x_center",
        "min",
        0.47,
        "'>= 0.47 脸部太靠左': a centre left of 0.47 fails",
    ),
    Rule(
        "face_too_right",
        "脸部太靠右",
        "The face is too far to the right.",
        "face_x_center",
        "max",
        0.525,
        "'<= 0.525 脸部太靠右': a centre right of 0.525 fails",
    ),
    Rule(
        "face_too_high",
        "脸部太靠上",
        "The face is too high in the photo.",
        "eyes_y_center",
        "min",
        0.33,
        "'>= 0.33 脸部太靠上': eyes above 0.33 of the height fail",
        "eye_line[0]",
    ),
    Rule(
        "face_too_low",
        "脸部太靠下",
        "The face is too low in the photo.",
        "eyes_y_center",
        "max",
        0.62,
        "'<= 0.62 脸部太靠下': eyes below 0.62 of the height fail",
        "eye_line[1]",
    ),
    Rule(
        "head_cut_off",
        "头顶超出照片，头部不完整",
        "The top of the head is cut off.",
        "head_top",
        "min",
        0.01,
        "hair within 0.01 of the top edge fails: the head runs out of the photo",
    ),
    Rule(
        "head_too_small",
        "头部太小",
        "The head is too small for this photo size.",
        "head_height",
        "min",
        None,
        "crown to chin below the spec's band fails",
        "head_height[0]",
        True,
    ),
    Rule(
        "head_too_large",
        "头部太大",
        "The head is too large for this photo size.",
        "head_height",
        "max",
        None,
        "crown to chin above the spec's band fails",
        "head_height[1]",
        True,
    ),
    Rule(
        "head_top_too_close",
        "头顶距照片上边缘太近",
        "The top of the head is too close to the top edge.",
        "head_top",
        "min",
        None,
        "a margin above the hair below the spec's band fails",
        "head_top[0]",
        True,
    ),
    Rule(
        "head_top_too_far",
        "头顶距照片上边缘太远",
        "There is too much space above the head.",
        "head_top",
        "max",
        None,
        "a margin above the hair above the spec's band fails",
        "head_top[1]",
        True,
    ),
    # Pose.
    Rule(
        "head_tilted",
        "头部歪斜",
        "The head is tilted to one side.",
        "roll_angle",
        "abs_max",
        8.0,
        "|roll| above 8 degrees fails (ISO/IEC 19794-5 allows 8)",
    ),
    Rule(
        "head_turned",
        "头部左右偏转",
        "The head is turned to one side.",
        "yaw_angle",
        "abs_max",
        10.0,
        "|yaw| above 10 degrees fails",
    ),
    Rule(
        "head_pitched",
        "抬头或低头",
        "The head is raised or lowered.",
        "pitch_angle",
        "abs_max",
        15.0,
        "|pitch| above 15 degrees fails",
    ),
    # Eyes and mouth.
    Rule(
        "eyes_closed",
        "闭眼",
        "The eyes are closed.",
        "eyes_close",
        "min",
        80,
        "'>= 80 闭眼': below 80 reads as closed eyes",
    ),
    Rule(
        "eyes_not_looking",
        "视线未正视镜头",
        "The eyes are not looking at the camera.",
        "eyes_sight",
        "min",
        50,
        "below 50 fails (the seed sets no threshold)",
    ),
    Rule(
        "mouth_open",
        "嘴巴张开过大",
        "The mouth is open too wide.",
        "mouth_close",
        "min",
        60,
        "'>= 60 嘴巴张开过大': below 60 reads as an open mouth",
    ),
    # What covers the face.
    Rule(
        "eyes_occluded",
        "眼睛被遮挡",
        "Something covers the eyes.",
        "eyes_occlusion",
        "min",
        80,
        "below 80 fails, as face_occlusion",
    ),
    Rule(
        "nose_occluded",
        "鼻子被遮挡",
        "Something covers the nose.",
        "nose_occlusion",
        "min",
        80,
        "below 80 fails, as face_occlusion",
    ),
    Rule(
        "mouth_occluded",
        "嘴巴被遮挡",
        "Something covers the mouth.",
        "mouth_occlusion",
        "min",
        80,
        "below 80 fails, as face_occlusion",
    ),
    Rule(
        "face_occluded",
        "脸部被遮挡",
        "Something covers the face.",
        "face_occlusion",
        "min",
        80,
        "'>= 80 脸部被遮挡': below 80 fails",
    ),
    Rule(
        "wearing_mask",
        "佩戴口罩",
        "A mask covers the nose and mouth.",
        "mouthmask",
        "is",
        1,
        "mouthmask 1 fails",
    ),
    Rule(
        "dark_glasses",
        "佩戴墨镜或有色眼镜",
        "Tinted glasses or sunglasses are worn.",
        "glasses",
        "is",
        "dark_glasses",
        "glasses 'dark_glasses' fails",
    ),
    Rule(
        "glasses",
        "佩戴眼镜",
        "Glasses are not allowed for this photo.",
        "glasses",
        "is",
        "normal_glasses",
        "'normal_glasses' fails under a spec that bans glasses",
        "glasses_allowed",
        True,
    ),
    Rule(
        "wearing_hat",
        "佩戴帽子",
        "A hat or head covering is worn.",
        "has_hat",
        "is",
        1,
        "has_hat 1 fails",
    ),
    # Quality and light.
    Rule(
        "face_blurry",
        "脸部模糊",
        "The face is blurred.",
        "face_blur",
        "min",
        50,
        "below 50 fails (smaller is blurrier; the seed sets no threshold)",
    ),
    Rule(
        "too_dark",
        "照片过暗",
        "The photo is too dark.",
        "face_darkillum",
        "min",
        60,
        "'>= 60 照片过暗': below 60 fails",
    ),
    Rule(
        "uneven_lighting",
        "光照不均匀",
        "The face is lit unevenly.",
        "face_unbalance",
        "min",
        50,
        "'>= 50 光照不均匀': below 50 fails",
    ),
    Rule(
        "not_colour",
        "照片不是彩色照片",
        "The photo is not in colour.",
        "color_channels",
        "min",
        3,
        "fewer than 3 colour channels fails",
    ),
    # Body and background.
    Rule(
        "shoulders_uneven",
        "两侧肩膀姿态不佳",
        "The shoulders are not level or not square to the camera.",
        "shoulder_equal",
        "min",
        50,
        "'>= 50 两侧肩膀姿态不佳': below 50 fails",
    ),
    Rule(
        "background_cluttered",
        "背景杂乱",
        "The background is not plain.",
        "background_clean",
        "min",
        60,
        "'>= 60 背景杂乱': below 60 fails",
    ),
    Rule(
        "background_gradient",
        "背景颜色有渐变",
        "The background colour is not even (a gradient).",
        "background_gradual",
        "max",
        50,
        "above 50 fails (larger reads more as a gradient; the seed sets no threshold)",
    ),
    Rule(
        "clothes_like_background",
        "衣服颜色与背景颜色过于接近",
        "The clothes are too close to the background colour.",
        "bf_similarity",
        "min",
        30,
        "below 30 fails (smaller is more alike)",
    ),
    Rule(
        "transparent_background",
        "背景透明",
        "The background is transparent.",
        "is_transparent_background",
        "is",
        True,
        "a transparent background fails",
    ),
    # The file, against a specification.
    Rule(
        "wrong_background_colour",
        "背景颜色不符合要求",
        "The background colour is not one this photo accepts.",
        "background_colour_ok",
        "false",
        None,
        "a background outside every spec colour fails",
        None,
        True,
    ),
    Rule(
        "wrong_size",
        "照片尺寸不符合要求",
        "The photo's pixel size is not the required one.",
        "size_ok",
        "false",
        None,
        "size_pix outside the spec's sizes fails",
        None,
        True,
    ),
    Rule(
        "wrong_dpi",
        "照片分辨率(DPI)不符合要求",
        "The photo's resolution (dpi) is not the required one.",
        "dpi_ok",
        "false",
        None,
        "a dpi missing or unlike the spec's fails",
        None,
        True,
    ),
    Rule(
        "file_too_small",
        "照片文件太小",
        "The file is smaller than required.",
        "file_size",
        "min",
        None,
        "file_size below the spec's least fails",
        "file_size[0]",
        True,
    ),
    Rule(
        "file_too_large",
        "照片文件太大",
        "The file is larger than allowed.",
        "file_size",
        "max",
        None,
        "file_size above the spec's most fails",
        "file_size[1]",
        True,
    ),
    Rule(
        "wrong_format",
        "照片格式不符合要求",
        "The file format is not one this photo accepts.",
        "format_ok",
        "false",
        None,
        "a photo_format outside the spec's formats fails",
        None,
        True,
    ),
)

RULES_BY_CODE: Mapping[str, Rule] = {rule.code: rule for rule in RULES}


def _spec_limit(rule: Rule, spec: IdPhotoSpec) -> Any:
    """The limit a spec sets for a rule, or None when it sets none."""
    assert rule.spec_field is not None
    name, _, index = rule.spec_field.partition("[")
    value = getattr(spec, name)
    if value is None:
        return None
    if index:
        return value[int(index.rstrip("]"))]
    return value


def _fails(op: str, value: Any, limit: Any) -> bool:
    if (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and value == -1
        and op != "is"
    ):
        return False  # not measurable
    if op == "min":
        return bool(value < limit)
    if op == "max":
        return bool(value > limit)
    if op == "abs_max":
        return bool(abs(value) > limit)
    if op == "is":
        return bool(value == limit)
    if op == "false":
        return value is False
    raise ValueError(f"unknown rule op {op!r}")


def evaluate(figures: Mapping[str, Any], spec: IdPhotoSpec | None = None) -> tuple[str, ...]:
    """Return the codes of the rules the figures fail, in the table's order.

    Parameters
    ----------
    figures : mapping
        Every figure a rule reads (the ``detect_result`` flattened, plus
        ``head_height`` and the ``*_ok`` checks against the spec).
    spec : IdPhotoSpec, optional
        The specification whose bands replace the seed's.
    """
    failed = []
    for rule, limit in rule_limits(spec):
        value = figures.get(rule.figure)
        if value is None:
            continue
        if _fails(rule.op, value, limit):
            failed.append(rule.code)
    return tuple(failed)


def rule_limits(spec: IdPhotoSpec | None = None) -> list[tuple[Rule, Any]]:
    """Return the rules read under ``spec`` (or the seed's), each with the limit it applies.

    Parameters
    ----------
    spec : IdPhotoSpec, optional
        The specification whose bands replace the seed's; rules it leaves
        unset, and ``spec_only`` rules without one, are not returned.
    """
    applied = []
    for rule in RULES:
        if rule.spec_only and spec is None:
            continue
        limit = rule.limit
        if spec is not None and rule.spec_field is not None:
            limit = _spec_limit(rule, spec)
            if rule.code == "glasses":
                if limit:  # glasses allowed
                    continue
                limit = rule.limit
            elif limit is None:
                continue
        applied.append((rule, limit))
    return applied


def rule_table() -> list[dict[str, Any]]:
    """Return the table as plain dicts (code, zh, en, figure, op, limit, reading)."""
    return [
        {
            "code": r.code,
            "zh": r.zh,
            "en": r.en,
            "figure": r.figure,
            "op": r.op,
            "limit": r.limit,
            "reading": r.reading,
            "spec_field": r.spec_field,
            "spec_only": r.spec_only,
        }
        for r in RULES
    ]
