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

Each rule also says what a person should do (``fix_en``/``fix_zh``), with the
limit it applies and the figure it read written by :func:`advice` in units
people know (mm of the printed photo under a specification, % of the photo
otherwise, degrees, KB): the text, the limit shown and the rule applied come
from this one table. :func:`leading` orders failed rules by what matters to a
person (:data:`TOPICS`) and drops those another failure explains
(:data:`CAUSES`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    #: What a person reads: the kind of problem (see TOPICS) and what to do about it,
    #: in English and Chinese, with ``{limit}`` and ``{value}`` written in ``unit``
    #: (see :func:`advice`).
    topic: str
    unit: str
    fix_en: str
    fix_zh: str


RULES: tuple[Rule, ...] = (
    # Faces.
    Rule(
        code="multiple_faces",
        topic="person",
        unit="count",
        fix_en=(
            "Use a photo of one person only: crop everyone else out, or take a new "
            "photo on your own."
        ),
        fix_zh="请使用只有一个人的照片：把其他人裁掉，或单独重拍一张。",
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
        topic="framing",
        unit="width",
        fix_en=(
            "Move closer or crop tighter: your face (ear to ear) must be at least "
            "{limit} of the photo's width; here it is {value}."
        ),
        fix_zh="请靠近镜头或裁得更紧：脸部宽度（两耳之间）至少应为{limit}（以照片宽度计），现在是{value}。",
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
        topic="framing",
        unit="width",
        fix_en=(
            "Step back or crop looser: your face (ear to ear) must be at most "
            "{limit} of the photo's width; here it is {value}."
        ),
        fix_zh="请离镜头远一点或裁得宽松些：脸部宽度（两耳之间）最多应为{limit}（以照片宽度计），现在是{value}。",
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
        topic="framing",
        unit="width",
        fix_en=(
            "Put your face in the middle: its centre must be at least {limit} from "
            "the left edge; here it is {value}. Stand in the middle of the frame, "
            "or crop so your face is centred."
        ),
        fix_zh="请让脸部居中：脸部中线距左边缘至少应为{limit}，现在是{value}。请站在画面正中，或重新裁剪使脸部居中。",
        zh="脸部太靠左",
        en="The face is too far to the left.",
        figure="face_x_center",
        op="min",
        limit=0.47,
        reading="'>= 0.47 脸部太靠左': a centre left of 0.47 fails",
    ),
    Rule(
        code="face_too_right",
        topic="framing",
        unit="width",
        fix_en=(
            "Put your face in the middle: its centre must be at most {limit} from "
            "the left edge; here it is {value}. Stand in the middle of the frame, "
            "or crop so your face is centred."
        ),
        fix_zh="请让脸部居中：脸部中线距左边缘最多应为{limit}，现在是{value}。请站在画面正中，或重新裁剪使脸部居中。",
        zh="脸部太靠右",
        en="The face is too far to the right.",
        figure="face_x_center",
        op="max",
        limit=0.525,
        reading="'<= 0.525 脸部太靠右': a centre right of 0.525 fails",
    ),
    Rule(
        code="face_too_high",
        topic="framing",
        unit="height",
        fix_en=(
            "Leave more room above your head: your eyes must be at least {limit} "
            "below the top edge; here they are {value}. Crop with more space above "
            "you, or hold the camera a little higher."
        ),
        fix_zh="请在头顶上方多留些空间：眼睛距上边缘至少应为{limit}，现在是{value}。裁剪时上方多留一些，或把相机举高一点。",
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
        topic="framing",
        unit="height",
        fix_en=(
            "Leave less room above your head: your eyes must be at most {limit} "
            "below the top edge; here they are {value}. Crop some of the space "
            "above your head, or hold the camera a little lower."
        ),
        fix_zh="请减少头顶上方的空间：眼睛距上边缘最多应为{limit}，现在是{value}。裁掉一些头顶上方的空间，或把相机放低一点。",
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
        topic="framing",
        unit="height",
        fix_en=(
            "Show your whole head: leave at least {limit} between the top of your "
            "hair and the top edge; here it is {value}. Step back, or crop with "
            "room above your head."
        ),
        fix_zh="请拍进整个头部：头发顶部与上边缘之间至少应留{limit}，现在是{value}。请后退一点，或裁剪时在头顶上方留出空间。",
        zh="头顶超出照片，头部不完整",
        en="The top of the head is cut off.",
        figure="head_top",
        op="min",
        limit=0.01,
        reading="hair within 0.01 of the top edge fails: the head runs out of the photo",
    ),
    Rule(
        code="head_too_small",
        topic="framing",
        unit="height",
        fix_en=(
            "Move closer or crop tighter: your head (chin to the top of the hair) "
            "must be at least {limit} tall; here it is {value}."
        ),
        fix_zh="请靠近镜头或裁得更紧：头部（下巴到头顶）至少应高{limit}，现在是{value}。",
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
        topic="framing",
        unit="height",
        fix_en=(
            "Step back or crop looser: your head (chin to the top of the hair) must"
            " be at most {limit} tall; here it is {value}."
        ),
        fix_zh="请离镜头远一点或裁得宽松些：头部（下巴到头顶）最多应高{limit}，现在是{value}。",
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
        topic="framing",
        unit="height",
        fix_en=(
            "Leave more room above your head: the top of your hair must be at least"
            " {limit} below the top edge; here it is {value}."
        ),
        fix_zh="请在头顶上方多留空间：头顶距上边缘至少应为{limit}，现在是{value}。",
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
        topic="framing",
        unit="height",
        fix_en=(
            "Leave less room above your head: the top of your hair must be at most "
            "{limit} below the top edge; here it is {value}."
        ),
        fix_zh="请减少头顶上方的空间：头顶距上边缘最多应为{limit}，现在是{value}。",
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
        topic="visible",
        unit="degrees",
        fix_en=(
            "Hold your head level, both eyes at the same height: it leans {value} "
            "to one side; at most {limit} is allowed."
        ),
        fix_zh="请保持头部端正，双眼保持同一高度：现在向一侧歪了{value}，最多允许{limit}。",
        zh="头部歪斜",
        en="The head is tilted to one side.",
        figure="roll_angle",
        op="abs_max",
        limit=8.0,
        reading="|roll| above 8 degrees fails (ISO/IEC 19794-5 allows 8)",
    ),
    Rule(
        code="head_turned",
        topic="visible",
        unit="degrees",
        fix_en=(
            "Face the camera straight on, both ears showing equally: your head is "
            "turned {value} to the side; at most {limit} is allowed."
        ),
        fix_zh="请正对镜头，让两只耳朵露出得一样多：头部向一侧转了{value}，最多允许{limit}。",
        zh="头部左右偏转",
        en="The head is turned to one side.",
        figure="yaw_angle",
        op="abs_max",
        limit=10.0,
        reading="|yaw| above 10 degrees fails",
    ),
    Rule(
        code="head_pitched",
        topic="visible",
        unit="degrees",
        fix_en=(
            "Keep your chin level and hold the camera at eye height: your head is "
            "tipped {value} up or down; at most {limit} is allowed."
        ),
        fix_zh="请平视前方，把相机放在与眼睛同高的位置：头部抬起或低下了{value}，最多允许{limit}。",
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
        topic="visible",
        unit="none",
        fix_en=(
            "Keep your eyes open and look into the lens. Take a few photos and keep"
            " one where you did not blink."
        ),
        fix_zh="请睁开眼睛看镜头。多拍几张，选一张没有眨眼的。",
        zh="闭眼",
        en="The eyes are closed.",
        figure="eyes_close",
        op="min",
        limit=80,
        reading="'>= 80 闭眼': below 80 reads as closed eyes",
    ),
    Rule(
        code="eyes_not_looking",
        topic="visible",
        unit="none",
        fix_en="Look straight into the camera lens, not at the screen or to the side.",
        fix_zh="请直视镜头，不要看屏幕或旁边。",
        zh="视线未正视镜头",
        en="The eyes are not looking at the camera.",
        figure="eyes_sight",
        op="min",
        limit=50,
        reading="below 50 fails (the check service sets no threshold)",
    ),
    Rule(
        code="mouth_open",
        topic="visible",
        unit="none",
        fix_en="Close your mouth and keep a neutral expression: no broad smile showing your teeth.",
        fix_zh="请闭上嘴，保持自然表情，不要露齿大笑。",
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
        topic="visible",
        unit="none",
        fix_en=(
            "Make sure both eyes are clearly visible: move hair, hands or frames "
            "away from them and avoid glare on lenses."
        ),
        fix_zh="请确保双眼清晰可见：拨开头发，移开手或镜框，避免镜片反光。",
        zh="眼睛被遮挡",
        en="Something covers the eyes.",
        figure="eyes_occlusion",
        op="min",
        limit=80,
        reading="below 80 fails, as face_occlusion",
    ),
    Rule(
        code="nose_occluded",
        topic="visible",
        unit="none",
        fix_en="Make sure nothing covers your nose: move hands, hair or objects away from it.",
        fix_zh="请确保鼻子没有被遮挡：移开手、头发或其他物品。",
        zh="鼻子被遮挡",
        en="Something covers the nose.",
        figure="nose_occlusion",
        op="min",
        limit=80,
        reading="below 80 fails, as face_occlusion",
    ),
    Rule(
        code="mouth_occluded",
        topic="visible",
        unit="none",
        fix_en=(
            "Make sure nothing covers your mouth: move hands, a scarf or a microphone away from it."
        ),
        fix_zh="请确保嘴巴没有被遮挡：移开手、围巾或话筒。",
        zh="嘴巴被遮挡",
        en="Something covers the mouth.",
        figure="mouth_occlusion",
        op="min",
        limit=80,
        reading="below 80 fails, as face_occlusion",
    ),
    Rule(
        code="face_occluded",
        topic="visible",
        unit="none",
        fix_en="Show your whole face: move hair, hands and anything else away from it.",
        fix_zh="请露出整张脸：把头发、手和其他物品移开。",
        zh="脸部被遮挡",
        en="Something covers the face.",
        figure="face_occlusion",
        op="min",
        limit=80,
        reading="'>= 80 脸部被遮挡': below 80 fails",
    ),
    Rule(
        code="wearing_mask",
        topic="visible",
        unit="none",
        fix_en="Take off your mask: your nose and mouth must be visible.",
        fix_zh="请摘下口罩：鼻子和嘴巴必须露出来。",
        zh="佩戴口罩",
        en="A mask covers the nose and mouth.",
        figure="mouthmask",
        op="is",
        limit=1,
        reading="mouthmask 1 fails",
    ),
    Rule(
        code="dark_glasses",
        topic="visible",
        unit="none",
        fix_en="Take off sunglasses or tinted glasses: your eyes must be clearly visible.",
        fix_zh="请摘下墨镜或有色眼镜：眼睛必须清晰可见。",
        zh="佩戴墨镜或有色眼镜",
        en="Tinted glasses or sunglasses are worn.",
        figure="glasses",
        op="is",
        limit="dark_glasses",
        reading="glasses 'dark_glasses' fails",
    ),
    Rule(
        code="glasses",
        topic="visible",
        unit="none",
        fix_en="Take off your glasses: this photo does not allow them.",
        fix_zh="请摘下眼镜：这种证件照不允许佩戴眼镜。",
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
        topic="visible",
        unit="none",
        fix_en="Take off your hat or head covering.",
        fix_zh="请摘下帽子或头饰。",
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
        topic="light",
        unit="none",
        fix_en=(
            "Take a sharp photo: hold the camera steady or lean it on something, "
            "tap your face on the screen to focus, and use good light."
        ),
        fix_zh="请拍一张清晰的照片：拿稳相机或把它靠在物体上，点击屏幕上的脸部对焦，并保证光线充足。",
        zh="脸部模糊",
        en="The face is blurred.",
        figure="face_blur",
        op="min",
        limit=50,
        reading="below 50 fails (smaller is blurrier; the check service sets no threshold)",
    ),
    Rule(
        code="too_dark",
        topic="light",
        unit="none",
        fix_en=(
            "Use more light: face a window in daylight or a bright lamp, with no light behind you."
        ),
        fix_zh="请增加光线：白天面向窗户或明亮的灯，不要背光。",
        zh="照片过暗",
        en="The photo is too dark.",
        figure="face_darkillum",
        op="min",
        limit=60,
        reading="'>= 60 照片过暗': below 60 fails",
    ),
    Rule(
        code="uneven_lighting",
        topic="light",
        unit="none",
        fix_en=(
            "Light your face evenly: face the window or lamp straight on so neither"
            " side of your face is in shadow."
        ),
        fix_zh="请让脸部光线均匀：正对窗户或灯光，避免一侧脸在阴影中。",
        zh="光照不均匀",
        en="The face is lit unevenly.",
        figure="face_unbalance",
        op="min",
        limit=50,
        reading="'>= 50 光照不均匀': below 50 fails",
    ),
    Rule(
        code="not_colour",
        topic="light",
        unit="count",
        fix_en="Send a colour photo, not a black-and-white one.",
        fix_zh="请使用彩色照片，不要用黑白照片。",
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
        topic="framing",
        unit="none",
        fix_en="Face the camera with your body too: both shoulders level and square to the lens.",
        fix_zh="请身体也正对镜头：两肩保持水平，正对相机。",
        zh="两侧肩膀姿态不佳",
        en="The shoulders are not level or not square to the camera.",
        figure="shoulder_equal",
        op="min",
        limit=50,
        reading="'>= 50 两侧肩膀姿态不佳': below 50 fails",
    ),
    Rule(
        code="background_cluttered",
        topic="background",
        unit="none",
        fix_en="Stand half a metre in front of a plain, light wall with nothing else behind you.",
        fix_zh="请站在一面素色浅色墙前约半米处，身后不要有其他物品。",
        zh="背景杂乱",
        en="The background is not plain.",
        figure="background_clean",
        op="min",
        limit=60,
        reading="'>= 60 背景杂乱': below 60 fails",
    ),
    Rule(
        code="background_gradient",
        topic="background",
        unit="none",
        fix_en=(
            "Use a plain background lit evenly: no shadow, patch of sunlight or "
            "colour change on the wall behind you."
        ),
        fix_zh="请使用光线均匀的纯色背景：身后墙面不要有阴影、光斑或颜色变化。",
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
        topic="background",
        unit="none",
        fix_en=(
            "Wear clothes that stand out from the background, e.g. a dark top in "
            "front of a white wall."
        ),
        fix_zh="请穿与背景颜色反差明显的衣服，例如白墙前穿深色上衣。",
        zh="衣服颜色与背景颜色过于接近",
        en="The clothes are too close to the background colour.",
        figure="bf_similarity",
        op="min",
        limit=30,
        reading="below 30 fails (smaller is more alike)",
    ),
    Rule(
        code="transparent_background",
        topic="background",
        unit="none",
        fix_en="Save the photo with a solid background, not a transparent one (e.g. as a JPG).",
        fix_zh="请用纯色背景保存照片，不要用透明背景（例如保存为JPG）。",
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
        topic="background",
        unit="colour",
        fix_en="Use a {limit} background: stand in front of a plain wall of that colour.",
        fix_zh="请使用{limit}背景：站在这种颜色的素色墙前。",
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
        topic="file",
        unit="size",
        fix_en="The photo must be {limit}; this one is {value}. Crop and resize it to that size.",
        fix_zh="照片尺寸应为{limit}，这张是{value}。请裁剪并调整到该尺寸。",
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
        topic="file",
        unit="dpi",
        fix_en=(
            "The file must carry a resolution of {limit}; this one has {value}. "
            "Save it again with that resolution set (most photo editors can)."
        ),
        fix_zh="照片文件的分辨率应为{limit}，这张的分辨率：{value}。请在图片编辑软件中设置该分辨率后重新保存。",
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
        topic="file",
        unit="bytes",
        fix_en=(
            "The file must be at least {limit}; this one is {value}. Save it at a higher quality."
        ),
        fix_zh="文件至少应为{limit}，这张是{value}。请以更高画质保存。",
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
        topic="file",
        unit="bytes",
        fix_en=(
            "The file must be at most {limit}; this one is {value}. Save it at a "
            "lower quality or a smaller size."
        ),
        fix_zh="文件最多应为{limit}，这张是{value}。请降低画质或尺寸后重新保存。",
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
        topic="file",
        unit="format",
        fix_en="Save the photo as {limit}; this one is {value}.",
        fix_zh="请把照片保存为{limit}格式，这张是{value}格式。",
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

#: The kinds of problem, in the order a person should fix them: one person, the face
#: visible and facing the camera, then framing, light, background, and the file itself.
TOPICS = ("person", "visible", "framing", "light", "background", "file")

#: A failure that explains others: a second face makes every measure of "the" face
#: doubtful; a turned head hides part of the face and shades it (a visible nose reads
#: as covered); dark glasses cover the eyes; a mask covers nose and mouth; a transparent
#: background has no colour to read.
CAUSES: Mapping[str, frozenset[str]] = {
    "multiple_faces": frozenset(
        rule.code
        for rule in RULES
        if rule.topic not in ("person", "file") and rule.code != "transparent_background"
    ),
    "head_turned": frozenset(
        {
            "eyes_occluded",
            "nose_occluded",
            "mouth_occluded",
            "face_occluded",
            "eyes_not_looking",
            "uneven_lighting",
        }
    ),
    "dark_glasses": frozenset({"eyes_occluded", "eyes_closed", "eyes_not_looking"}),
    "wearing_mask": frozenset({"nose_occluded", "mouth_occluded", "face_occluded", "mouth_open"}),
    "transparent_background": frozenset(
        {
            "background_cluttered",
            "background_gradient",
            "wrong_background_colour",
            "clothes_like_background",
        }
    ),
}

#: Accepted background colours' names in Chinese.
COLOUR_NAMES_ZH: Mapping[str, str] = {
    "white": "白色",
    "off-white": "米白色",
    "light grey": "浅灰色",
    "cream": "奶油色",
    "light blue": "浅蓝色",
    "blue": "蓝色",
}


def leading(reasons: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """Order failed rules by what a person should fix first; set aside those explained.

    Returns the codes to show, by :data:`TOPICS` then the table's order, and
    each code left out with the failure that explains it (:data:`CAUSES`).
    Unknown codes (a remote's wording) come last, as they are.
    """
    failed = set(reasons)
    hidden = {
        code: cause
        for cause, caused in CAUSES.items()
        if cause in failed
        for code in reasons
        if code in caused and code != cause
    }
    # Within a topic, a failure that explains others comes first (a turned head before a
    # tilted one: turning hides part of the face).
    order = {
        rule.code: (TOPICS.index(rule.topic), rule.code not in CAUSES, i)
        for i, rule in enumerate(RULES)
    }
    shown = sorted(
        (code for code in dict.fromkeys(reasons) if code not in hidden),
        key=lambda code: order.get(code, (len(TOPICS), True, 0)),
    )
    return shown, hidden


def _number(value: float, digits: int = 1) -> str:
    return f"{round(value, digits):g}"


def quantity(
    rule: Rule, value: Any, spec: IdPhotoSpec | None, lang: str, *, limit: bool = True
) -> str:
    """Write a rule's limit (or a figure it reads) in the rule's unit, in ``lang``.

    ``lang`` is ``"en"`` or ``"zh"``. Fractions of the photo become millimetres of
    the printed photo under a specification (with the percentage), percentages
    otherwise; angles degrees; file sizes KB (1000 bytes, as the specifications
    count). ``limit=False`` writes a measured figure of the rule (as the file
    has it for the checks against a specification).
    """
    zh = lang == "zh"
    unit = rule.unit
    if unit in ("width", "height"):
        pct = f"{_number(value * 100, 2)}%"
        if spec is None:
            return pct
        mm = value * spec.size_mm[0 if unit == "width" else 1]
        return f"{_number(mm)}毫米（{pct}）" if zh else f"{_number(mm)} mm ({pct})"
    if unit == "degrees":
        return f"{_number(abs(value))}°"
    if unit == "bytes":
        return f"{_number(value / 1000)} KB"
    if unit == "size":
        if not limit:
            sizes = [tuple(value)]
        else:
            assert spec is not None
            sizes = [spec.size_px] + ([spec.size_px_max] if spec.size_px_max else [])
        words = [f"{w}×{h}像素" if zh else f"{w} × {h} px" for w, h in sizes]
        return ("至" if zh else " to ").join(words)
    if unit == "dpi":
        if value is None:
            return "未设置" if zh else "none"
        dpi = value if isinstance(value, int) else value[0]
        return f"每英寸{dpi}像素" if zh else f"{dpi} dpi"
    if unit == "format":
        value = [value] if isinstance(value, str) else value
        return "、".join(f.upper() for f in value) if zh else " or ".join(f.upper() for f in value)
    if unit == "colour":
        if zh:
            return "或".join(COLOUR_NAMES_ZH[colour.name] for colour in value)
        return " or ".join(colour.name for colour in value)
    return "" if value is None else str(value)


def spec_check_limit(rule: Rule, spec: IdPhotoSpec) -> Any:
    """What a check against a specification (``op="false"``) compares the file with."""
    return {
        "size": spec.size_px,
        "dpi": spec.dpi,
        "format": spec.formats,
        "colour": spec.backgrounds,
    }[rule.unit]


def advice(rule: Rule, *, limit: Any, value: Any, spec: IdPhotoSpec | None, lang: str) -> str:
    """What to do about a failed rule, with its limit and the figure, in ``lang`` ("en"/"zh").

    ``limit`` is the one :func:`rule_limits` applies; ``value`` the figure the rule
    read (for a check against a specification, the file's own: ``size_pix``,
    ``dpi``, ``photo_format``), or None when unknown.
    """
    text = rule.fix_zh if lang == "zh" else rule.fix_en
    if rule.op == "false" and spec is not None:
        limit = spec_check_limit(rule, spec)
    fields = {}
    if "{limit}" in text:
        fields["limit"] = quantity(rule, limit, spec, lang)
    if "{value}" in text:
        if (value is None and rule.unit != "dpi") or value == -1:
            fields["value"] = "未能测量" if lang == "zh" else "not measured"
        else:
            fields["value"] = quantity(rule, value, spec, lang, limit=False)
    return text.format(**fields)


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
        if spec is not None and rule.op == "false" and spec_check_limit(rule, spec) is None:
            continue  # a check the spec does not ask for (no dpi required)
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
