"""Every ID-photo rule in one table: code, wording, the figure it reads, the limit.

The ID-photo check service's threshold comments name the *passing* side: "face_x_occupy >= 0.51
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


@dataclass(frozen=True, kw_only=True)
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
        code="multiple_faces",
        zh="照片中有多张人脸",
        en="There is more than one face in the photo.",
        figure="face_num",
        op="max",
        limit=1,
        reading="face_num above 1 fails",
    ),
    # Size and position (the check service's bands; a spec's own bands replace them).
    Rule(
        code="face_too_small",
        zh="脸部太小",
        en="The face is too small.",
        figure="face_x_occupy",
        op="min",
        limit=0.51,
        reading="'>= 0.51 脸部太小': below 0.51 of the width fails",
        spec_field="face_width[0]",
    ),
    Rule(
        code="face_too_large",
        zh="脸部太大",
        en="The face is too large.",
        figure="face_x_occupy",
        op="max",
        limit=0.64,
        reading="'<= 0.64 脸部太大': above 0.64 of the width fails",
        spec_field="face_width[1]",
    ),
    Rule(
        code="face_too_left",
        zh="脸部太靠左",
        en="The face is too far to the left.",
        figure="face_x_center",
        op="min",
        limit=0.47,
        reading="'>= 0.47 脸部太靠左': a centre left of 0.47 fails",
    ),
    Rule(
        code="face_too_right",
        zh="脸部太靠右",
        en="The face is too far to the right.",
        figure="face_x_center",
        op="max",
        limit=0.525,
        reading="'<= 0.525 脸部太靠右': a centre right of 0.525 fails",
    ),
    Rule(
        code="face_too_high",
        zh="脸部太靠上",
        en="The face is too high in the photo.",
        figure="eyes_y_center",
        op="min",
        limit=0.33,
        reading="'>= 0.33 脸部太靠上': eyes above 0.33 of the height fail",
        spec_field="eye_line[0]",
    ),
    Rule(
        code="face_too_low",
        zh="脸部太靠下",
        en="The face is too low in the photo.",
        figure="eyes_y_center",
        op="max",
        limit=0.62,
        reading="'<= 0.62 脸部太靠下': eyes below 0.62 of the height fail",
        spec_field="eye_line[1]",
    ),
    Rule(
        code="head_cut_off",
        zh="头顶超出照片，头部不完整",
        en="The top of the head is cut off.",
        figure="head_top",
        op="min",
        limit=0.01,
        reading="hair within 0.01 of the top edge fails: the head runs out of the photo",
    ),
    Rule(
        code="head_too_small",
        zh="头部太小",
        en="The head is too small for this photo size.",
        figure="head_height",
        op="min",
        limit=None,
        reading="crown to chin below the spec's band fails",
        spec_field="head_height[0]",
        spec_only=True,
    ),
    Rule(
        code="head_too_large",
        zh="头部太大",
        en="The head is too large for this photo size.",
        figure="head_height",
        op="max",
        limit=None,
        reading="crown to chin above the spec's band fails",
        spec_field="head_height[1]",
        spec_only=True,
    ),
    Rule(
        code="head_top_too_close",
        zh="头顶距照片上边缘太近",
        en="The top of the head is too close to the top edge.",
        figure="head_top",
        op="min",
        limit=None,
        reading="a margin above the hair below the spec's band fails",
        spec_field="head_top[0]",
        spec_only=True,
    ),
    Rule(
        code="head_top_too_far",
        zh="头顶距照片上边缘太远",
        en="There is too much space above the head.",
        figure="head_top",
        op="max",
        limit=None,
        reading="a margin above the hair above the spec's band fails",
        spec_field="head_top[1]",
        spec_only=True,
    ),
    # Pose.
    Rule(
        code="head_tilted",
        zh="头部歪斜",
        en="The head is tilted to one side.",
        figure="roll_angle",
        op="abs_max",
        limit=8.0,
        reading="|roll| above 8 degrees fails (ISO/IEC 19794-5 allows 8)",
    ),
    Rule(
        code="head_turned",
        zh="头部左右偏转",
        en="The head is turned to one side.",
        figure="yaw_angle",
        op="abs_max",
        limit=10.0,
        reading="|yaw| above 10 degrees fails",
    ),
    Rule(
        code="head_pitched",
        zh="抬头或低头",
        en="The head is raised or lowered.",
        figure="pitch_angle",
        op="abs_max",
        limit=15.0,
        reading="|pitch| above 15 degrees fails",
    ),
    # Eyes and mouth.
    Rule(
        code="eyes_closed",
        zh="闭眼",
        en="The eyes are closed.",
        figure="eyes_close",
        op="min",
        limit=80,
        reading="'>= 80 闭眼': below 80 reads as closed eyes",
    ),
    Rule(
        code="eyes_not_looking",
        zh="视线未正视镜头",
        en="The eyes are not looking at the camera.",
        figure="eyes_sight",
        op="min",
        limit=50,
        reading="below 50 fails (the check service sets no threshold)",
    ),
    Rule(
        code="mouth_open",
        zh="嘴巴张开过大",
        en="The mouth is open too wide.",
        figure="mouth_close",
        op="min",
        limit=60,
        reading="'>= 60 嘴巴张开过大': below 60 reads as an open mouth",
    ),
    # What covers the face.
    Rule(
        code="eyes_occluded",
        zh="眼睛被遮挡",
        en="Something covers the eyes.",
        figure="eyes_occlusion",
        op="min",
        limit=80,
        reading="below 80 fails, as face_occlusion",
    ),
    Rule(
        code="nose_occluded",
        zh="鼻子被遮挡",
        en="Something covers the nose.",
        figure="nose_occlusion",
        op="min",
        limit=80,
        reading="below 80 fails, as face_occlusion",
    ),
    Rule(
        code="mouth_occluded",
        zh="嘴巴被遮挡",
        en="Something covers the mouth.",
        figure="mouth_occlusion",
        op="min",
        limit=80,
        reading="below 80 fails, as face_occlusion",
    ),
    Rule(
        code="face_occluded",
        zh="脸部被遮挡",
        en="Something covers the face.",
        figure="face_occlusion",
        op="min",
        limit=80,
        reading="'>= 80 脸部被遮挡': below 80 fails",
    ),
    Rule(
        code="wearing_mask",
        zh="佩戴口罩",
        en="A mask covers the nose and mouth.",
        figure="mouthmask",
        op="is",
        limit=1,
        reading="mouthmask 1 fails",
    ),
    Rule(
        code="dark_glasses",
        zh="佩戴墨镜或有色眼镜",
        en="Tinted glasses or sunglasses are worn.",
        figure="glasses",
        op="is",
        limit="dark_glasses",
        reading="glasses 'dark_glasses' fails",
    ),
    Rule(
        code="glasses",
        zh="佩戴眼镜",
        en="Glasses are not allowed for this photo.",
        figure="glasses",
        op="is",
        limit="normal_glasses",
        reading="'normal_glasses' fails under a spec that bans glasses",
        spec_field="glasses_allowed",
        spec_only=True,
    ),
    Rule(
        code="wearing_hat",
        zh="佩戴帽子",
        en="A hat or head covering is worn.",
        figure="has_hat",
        op="is",
        limit=1,
        reading="has_hat 1 fails",
    ),
    # Quality and light.
    Rule(
        code="face_blurry",
        zh="脸部模糊",
        en="The face is blurred.",
        figure="face_blur",
        op="min",
        limit=50,
        reading="below 50 fails (smaller is blurrier; the check service sets no threshold)",
    ),
    Rule(
        code="too_dark",
        zh="照片过暗",
        en="The photo is too dark.",
        figure="face_darkillum",
        op="min",
        limit=60,
        reading="'>= 60 照片过暗': below 60 fails",
    ),
    Rule(
        code="uneven_lighting",
        zh="光照不均匀",
        en="The face is lit unevenly.",
        figure="face_unbalance",
        op="min",
        limit=50,
        reading="'>= 50 光照不均匀': below 50 fails",
    ),
    Rule(
        code="not_colour",
        zh="照片不是彩色照片",
        en="The photo is not in colour.",
        figure="color_channels",
        op="min",
        limit=3,
        reading="fewer than 3 colour channels fails",
    ),
    # Body and background.
    Rule(
        code="shoulders_uneven",
        zh="两侧肩膀姿态不佳",
        en="The shoulders are not level or not square to the camera.",
        figure="shoulder_equal",
        op="min",
        limit=50,
        reading="'>= 50 两侧肩膀姿态不佳': below 50 fails",
    ),
    Rule(
        code="background_cluttered",
        zh="背景杂乱",
        en="The background is not plain.",
        figure="background_clean",
        op="min",
        limit=60,
        reading="'>= 60 背景杂乱': below 60 fails",
    ),
    Rule(
        code="background_gradient",
        zh="背景颜色有渐变",
        en="The background colour is not even (a gradient).",
        figure="background_gradual",
        op="max",
        limit=50,
        reading=(
            "above 50 fails (larger reads more as a gradient; the check service sets no threshold)"
        ),
    ),
    Rule(
        code="clothes_like_background",
        zh="衣服颜色与背景颜色过于接近",
        en="The clothes are too close to the background colour.",
        figure="bf_similarity",
        op="min",
        limit=30,
        reading="below 30 fails (smaller is more alike)",
    ),
    Rule(
        code="transparent_background",
        zh="背景透明",
        en="The background is transparent.",
        figure="is_transparent_background",
        op="is",
        limit=True,
        reading="a transparent background fails",
    ),
    # The file, against a specification.
    Rule(
        code="wrong_background_colour",
        zh="背景颜色不符合要求",
        en="The background colour is not one this photo accepts.",
        figure="background_colour_ok",
        op="false",
        limit=None,
        reading="a background outside every spec colour fails",
        spec_field=None,
        spec_only=True,
    ),
    Rule(
        code="wrong_size",
        zh="照片尺寸不符合要求",
        en="The photo's pixel size is not the required one.",
        figure="size_ok",
        op="false",
        limit=None,
        reading="size_pix outside the spec's sizes fails",
        spec_field=None,
        spec_only=True,
    ),
    Rule(
        code="wrong_dpi",
        zh="照片分辨率(DPI)不符合要求",
        en="The photo's resolution (dpi) is not the required one.",
        figure="dpi_ok",
        op="false",
        limit=None,
        reading="a dpi missing or unlike the spec's fails",
        spec_field=None,
        spec_only=True,
    ),
    Rule(
        code="file_too_small",
        zh="照片文件太小",
        en="The file is smaller than required.",
        figure="file_size",
        op="min",
        limit=None,
        reading="file_size below the spec's least fails",
        spec_field="file_size[0]",
        spec_only=True,
    ),
    Rule(
        code="file_too_large",
        zh="照片文件太大",
        en="The file is larger than allowed.",
        figure="file_size",
        op="max",
        limit=None,
        reading="file_size above the spec's most fails",
        spec_field="file_size[1]",
        spec_only=True,
    ),
    Rule(
        code="wrong_format",
        zh="照片格式不符合要求",
        en="The file format is not one this photo accepts.",
        figure="format_ok",
        op="false",
        limit=None,
        reading="a photo_format outside the spec's formats fails",
        spec_field=None,
        spec_only=True,
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


def _fails(value: Any, *, op: str, limit: Any) -> bool:
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


def evaluate(figures: Mapping[str, Any], *, spec: IdPhotoSpec | None = None) -> tuple[str, ...]:
    """Return the codes of the rules the figures fail, in the table's order.

    Parameters
    ----------
    figures : mapping
        Every figure a rule reads (the ``detect_result`` flattened, plus
        ``head_height`` and the ``*_ok`` checks against the spec).
    spec : IdPhotoSpec, optional
        The specification whose bands replace the check service's.
    """
    failed = []
    for rule, limit in rule_limits(spec):
        value = figures.get(rule.figure)
        if value is None:
            continue
        if _fails(value, op=rule.op, limit=limit):
            failed.append(rule.code)
    return tuple(failed)


def rule_limits(spec: IdPhotoSpec | None = None) -> list[tuple[Rule, Any]]:
    """Return the rules read under ``spec`` (or the check service's), each with its limit.

    Parameters
    ----------
    spec : IdPhotoSpec, optional
        The specification whose bands replace the check service's; rules it leaves
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
