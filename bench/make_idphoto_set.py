"""Build the labelled ID-photo evaluation set in tests/data/idphoto/.

Deterministic: the same inputs give the same files (seeded random numbers,
fixed JPEG settings). Run from the project root with the shared test data
next to it::

    python -m bench.make_idphoto_set [--source ../shared/testdata]

Each compliant base photo is a HivisionIDPhotos portrait cut out with
MediaPipe's selfie segmentation, levelled, scaled and centred by its face
mesh on a plain background (600x800 JPEG, 300 dpi): face width 0.575 of the
photo's width, face centred, eyes at 0.5 of the height, inside every band
of the ID-photo check service. Each variant breaks one rule by a known amount; the labels are
written from how the photo was made, never from what the engine says. Real
photos cover what a transform cannot make (an open mouth, glasses, a tilted
head, a second face, a greyscale photo).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from bench.common import DATA, ROOT
from webapp.vision.faces import detect_faces
from webapp.vision.idphoto import get_spec
from webapp.vision.idphoto.geometry import face_geometry, head_extent
from webapp.vision.person import segment_person

OUT = DATA / "idphoto"
SHARED = ROOT.parent / "shared" / "testdata"
SIZE = (600, 800)
DPI = 300
QUALITY = 85
SEED = 20240604
#: A crown this share of the height above the top edge is labelled cut off;
#: one closer to the edge than this (either side) is refused as ambiguous.
CUT_MARGIN = 0.02

BLUE = (60, 144, 232)
WHITE = (255, 255, 255)
RED = (200, 32, 44)

#: The check service's bands and where the bases sit inside them.
FACE_WIDTH = 0.575  # face_x_occupy in [0.51, 0.64]
FACE_X = 0.4975  # face_x_center in [0.47, 0.525]
EYES_Y = 0.5  # eyes_y_center in [0.33, 0.62]


@dataclass
class Portrait:
    """A source photo with its person mask and face measures."""

    name: str
    image: NDArray[np.uint8]
    alpha: NDArray[np.float32]
    eye_centre: tuple[float, float]
    face_centre_x: float
    face_width: float
    roll: float
    crown_y: float
    chin_y: float
    mesh: NDArray[np.float32]


@dataclass
class Case:
    """How one file of the set is made and what it should fail."""

    file: str
    portrait: str
    reasons: list[str]
    made: str
    size: tuple[int, int] = SIZE
    face_width: float | None = FACE_WIDTH
    head_height: float | None = None
    face_x: float = FACE_X
    eyes_y: float | None = EYES_Y
    head_top: float | None = None
    roll: float = 0.0
    background: Any = BLUE
    effect: Callable[..., NDArray[np.uint8]] | None = None
    fmt: str = "JPEG"
    dpi: int | None = DPI
    quality: int = QUALITY
    spec: str | None = None
    level: bool = True
    raw_crop: tuple[int, int, int, int] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# --- sources ---------------------------------------------------------------------------


def load_portrait(
    name: str, path: Path, *, crop: tuple[int, int, int, int] | None = None
) -> Portrait:
    image = np.asarray(Image.open(path).convert("RGB"))
    if crop is not None:
        x, y, w, h = crop
        image = np.ascontiguousarray(image[y : y + h, x : x + w])
    faces = detect_faces(image)
    if not faces:
        raise SystemExit(f"no face in {path}")
    face = faces[0]
    geometry = face_geometry(face.mesh)
    alpha = segment_person(image)
    head = head_extent(alpha, geometry)
    if head is None:
        raise SystemExit(f"no head in {path}")
    (x0, y0), (x1, y1) = geometry.eyes
    return Portrait(
        name=name,
        image=image,
        alpha=alpha,
        eye_centre=((x0 + x1) / 2, (y0 + y1) / 2),
        face_centre_x=geometry.centre_x,
        face_width=geometry.width,
        roll=math.degrees(math.atan2(y1 - y0, x1 - x0)),
        crown_y=head.top,
        chin_y=geometry.chin[1],
        mesh=np.array(face.mesh[:, :2]),
    )


# --- composing -------------------------------------------------------------------------


def place(portrait: Portrait, case: Case) -> tuple[NDArray[np.float64], float]:
    """The affine from the source to the output, and the crown's row in the output."""
    width, height = case.size
    if case.head_height is not None:
        scale = case.head_height * height / (portrait.chin_y - portrait.crown_y)
    else:
        assert case.face_width is not None
        scale = case.face_width * width / portrait.face_width
    ex, ey = portrait.eye_centre
    crown_above_eyes = (ey - portrait.crown_y) * scale
    if case.head_top is not None:
        eyes_y = case.head_top * height + crown_above_eyes
    else:
        assert case.eyes_y is not None
        eyes_y = case.eyes_y * height
    # Level the eyes, then add the case's roll (clockwise as seen).
    angle = (portrait.roll if case.level else 0.0) - case.roll
    matrix = cv2.getRotationMatrix2D((ex, ey), angle, scale)
    anchor = np.array([portrait.face_centre_x, ey])
    mapped = matrix[:, :2] @ anchor + matrix[:, 2]
    matrix[:, 2] += (case.face_x * width - mapped[0], eyes_y - mapped[1])
    return matrix, eyes_y - crown_above_eyes


def background_layer(
    spec: Any, size: tuple[int, int], rng: np.random.Generator
) -> NDArray[np.float32]:
    width, height = size
    if callable(spec):
        return spec(size, rng).astype(np.float32)
    return np.broadcast_to(np.array(spec, np.float32), (height, width, 3)).copy()


def compose(
    portrait: Portrait, case: Case, rng: np.random.Generator
) -> tuple[NDArray[np.uint8], NDArray[np.float32], float, NDArray[np.float64]]:
    size = case.size
    if case.raw_crop is not None:
        x, y, w, h = case.raw_crop
        region = portrait.image[y : y + h, x : x + w]
        image = cv2.resize(region, size, interpolation=cv2.INTER_AREA)
        scale = size[0] / w
        mesh = (portrait.mesh - (x, y)) * scale
        return image, np.ones(size[::-1], np.float32), 0.0, mesh
    matrix, crown = place(portrait, case)
    person = cv2.warpAffine(
        portrait.image, matrix, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    alpha = cv2.warpAffine(
        portrait.alpha, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    alpha = np.clip(alpha, 0, 1)[..., None]
    back = background_layer(case.background, size, rng)
    out = person.astype(np.float32) * alpha + back * (1 - alpha)
    mesh = portrait.mesh.astype(np.float64) @ matrix[:, :2].T + matrix[:, 2]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8), alpha[..., 0], crown, mesh


def encode(image: NDArray[np.uint8], case: Case, alpha: NDArray[np.float32] | None = None) -> bytes:
    buf = io.BytesIO()
    extra: dict[str, Any] = {}
    if case.dpi is not None:
        extra["dpi"] = (case.dpi, case.dpi)
    if case.fmt == "JPEG":
        Image.fromarray(image).save(buf, "JPEG", quality=case.quality, **extra)
    elif alpha is not None:
        rgba = np.dstack([image, np.clip(np.rint(alpha * 255), 0, 255).astype(np.uint8)])
        Image.fromarray(rgba, "RGBA").save(buf, "PNG", optimize=True, **extra)
    else:
        Image.fromarray(image).save(buf, "PNG", optimize=True, **extra)
    return buf.getvalue()


# --- effects and backgrounds -------------------------------------------------------------


def blur(sigma: float) -> Callable[..., NDArray[np.uint8]]:
    def apply(
        image: NDArray[np.uint8],
        alpha: NDArray[np.float32],
        rng: np.random.Generator,
        mesh: NDArray[np.float64],
    ) -> NDArray[np.uint8]:
        return cv2.GaussianBlur(image, (0, 0), sigma)

    return apply


def darken(factor: float) -> Callable[..., NDArray[np.uint8]]:
    def apply(
        image: NDArray[np.uint8],
        alpha: NDArray[np.float32],
        rng: np.random.Generator,
        mesh: NDArray[np.float64],
    ) -> NDArray[np.uint8]:
        return np.clip(np.rint(image * factor), 0, 255).astype(np.uint8)

    return apply


def side_light(low: float) -> Callable[..., NDArray[np.uint8]]:
    """Dim the person (not the background) from 1 at the face's left edge to ``low`` at its right.

    The background keeps its light, so only the face (and body) is lit unevenly.
    """

    def apply(
        image: NDArray[np.uint8],
        alpha: NDArray[np.float32],
        rng: np.random.Generator,
        mesh: NDArray[np.float64],
    ) -> NDArray[np.uint8]:
        width = image.shape[1]
        x0, x1 = (FACE_X - FACE_WIDTH / 2) * width, (FACE_X + FACE_WIDTH / 2) * width
        t = np.clip((np.arange(width) - x0) / (x1 - x0), 0, 1)
        gain = (1 - t * (1 - low))[None, :, None]
        lit = image * (alpha[..., None] * gain + (1 - alpha[..., None]))
        return np.clip(np.rint(lit), 0, 255).astype(np.uint8)

    return apply


def glasses(*, tinted: bool) -> Callable[..., NDArray[np.uint8]]:
    """Draw a pair of dark metal-framed glasses over the eyes (tinted lenses if asked)."""

    def apply(
        image: NDArray[np.uint8],
        alpha: NDArray[np.float32],
        rng: np.random.Generator,
        mesh: NDArray[np.float64],
    ) -> NDArray[np.uint8]:
        canvas = image.copy()
        lenses = np.zeros(image.shape[:2], np.uint8)
        ends = []
        for outer, inner, edge in ((33, 133, 234), (263, 362, 454)):
            a, b = mesh[outer], mesh[inner]
            width = float(np.linalg.norm(a - b))
            centre = (a + b) / 2 + (0, 0.12 * width)
            angle = math.degrees(math.atan2(b[1] - a[1], b[0] - a[0]))
            axes = (int(0.8 * width), int(0.55 * width))
            c = (int(centre[0]), int(centre[1]))
            cv2.ellipse(lenses, c, axes, angle, 0, 360, 1, -1)
            thickness = max(2, int(0.07 * width))
            cv2.ellipse(canvas, c, axes, angle, 0, 360, (28, 28, 32), thickness, cv2.LINE_AA)
            side = 1 if outer == 33 else -1
            ends.append((c, axes[0], side, thickness, mesh[edge]))
        (c0, r0, s0, t, e0), (c1, r1, s1, _, e1) = ends
        bridge_y = int(min(c0[1], c1[1]) - 0.25 * r0)
        cv2.line(
            canvas,
            (c0[0] + r0 - t, bridge_y),
            (c1[0] - r1 + t, bridge_y),
            (28, 28, 32),
            t,
            cv2.LINE_AA,
        )
        for c, r, side, t, edge in ends:
            cv2.line(
                canvas,
                (c[0] - side * r, c[1] - t),
                (int(edge[0]), int(edge[1]) - t),
                (28, 28, 32),
                t,
                cv2.LINE_AA,
            )
        if tinted:
            shade = lenses.astype(bool)
            canvas[shade] = (canvas[shade] * 0.12 + np.array([20, 22, 26]) * 0.88).astype(np.uint8)
        return canvas

    return apply


def cap(colour: tuple[int, int, int]) -> Callable[..., NDArray[np.uint8]]:
    """Draw a cap over the crown: a dome down to the forehead with a brim."""

    def apply(
        image: NDArray[np.uint8],
        alpha: NDArray[np.float32],
        rng: np.random.Generator,
        mesh: NDArray[np.float64],
    ) -> NDArray[np.uint8]:
        canvas = image.copy()
        left, right = mesh[234], mesh[454]
        width = float(np.linalg.norm(right - left))
        centre = (int((left[0] + right[0]) / 2), int(mesh[10][1] + 0.08 * width))
        axes = (int(0.6 * width), int(0.78 * width))
        cv2.ellipse(canvas, centre, axes, 0, 180, 360, colour, -1, cv2.LINE_AA)
        brim = (centre[0] - int(0.66 * width), centre[1] - int(0.06 * width))
        cv2.rectangle(canvas, brim, (centre[0] + int(0.66 * width), centre[1]), colour, -1)
        shade = tuple(int(c * 0.7) for c in colour)
        cv2.line(canvas, brim, (centre[0] + int(0.66 * width), brim[1]), shade, 3, cv2.LINE_AA)
        return canvas

    return apply


def gradient(
    top: tuple[int, int, int], bottom: tuple[int, int, int]
) -> Callable[..., NDArray[np.float32]]:
    def layer(size: tuple[int, int], rng: np.random.Generator) -> NDArray[np.float32]:
        width, height = size
        t = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
        column = np.array(top, np.float32) * (1 - t) + np.array(bottom, np.float32) * t
        return np.broadcast_to(column, (height, width, 3)).copy()

    return layer


def clutter(base: tuple[int, int, int], shapes: int) -> Callable[..., NDArray[np.float32]]:
    """A plain background with random rectangles, circles, lines and text on it."""

    def layer(size: tuple[int, int], rng: np.random.Generator) -> NDArray[np.float32]:
        width, height = size
        canvas = np.full((height, width, 3), base, np.uint8)
        for _ in range(shapes):
            colour = tuple(int(c) for c in rng.integers(0, 256, 3))
            kind = rng.integers(0, 4)
            x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
            if kind == 0:
                w, h = int(rng.integers(20, 120)), int(rng.integers(20, 120))
                cv2.rectangle(canvas, (x, y), (x + w, y + h), colour, -1)
            elif kind == 1:
                cv2.circle(canvas, (x, y), int(rng.integers(10, 60)), colour, -1)
            elif kind == 2:
                x2, y2 = int(rng.integers(0, width)), int(rng.integers(0, height))
                cv2.line(canvas, (x, y), (x2, y2), colour, int(rng.integers(2, 8)))
            else:
                cv2.putText(canvas, "ID 2024", (x, y), cv2.FONT_HERSHEY_SIMPLEX, 1.2, colour, 3)
        return canvas.astype(np.float32)

    return layer


# --- the set -------------------------------------------------------------------------------


BASES = {
    # name: (file, background)
    "hv1": ("idphoto-inputs/test1.jpg", BLUE),
    "hv2": ("idphoto-inputs/test2.jpg", RED),
    "hv3": ("idphoto-inputs/test3.jpg", WHITE),
    "hv4": ("idphoto-inputs/test4.jpg", BLUE),
}


def base_cases() -> list[Case]:
    cases = []
    for index, (name, (_path, colour)) in enumerate(sorted(BASES.items())):
        odd = index % 2 == 1
        # The girl of test4 wears her hair in a tall bun: a smaller face keeps it in the photo.
        width, eyes = (0.53, 0.53) if name == "hv4" else (FACE_WIDTH, EYES_Y)
        base = Case(
            file=f"{name}-base.jpg",
            portrait=name,
            reasons=[],
            made=f"compliant base, face width {width}, eyes at {eyes}",
            background=colour,
            face_width=width,
            eyes_y=eyes,
        )
        cases += [
            base,
            replace(
                base,
                file=f"{name}-roll12.jpg",
                roll=12.0 if odd else -12.0,
                face_width=0.52,
                reasons=["head_tilted", "shoulders_uneven"],
                made="rotated 12 degrees about the eyes (face width 0.52): head and shoulders tilt",
            ),
            replace(
                base,
                file=f"{name}-small.jpg",
                face_width=0.44,
                reasons=["face_too_small"],
                made="face width 0.44 of the photo (band 0.51-0.64)",
            )
            if not odd
            else replace(
                base,
                file=f"{name}-large.jpg",
                face_width=0.72,
                eyes_y=0.56,
                reasons=["face_too_large"],
                made="face width 0.72 of the photo (band 0.51-0.64), eyes at 0.56",
            ),
            replace(
                base,
                file=f"{name}-left.jpg",
                face_x=0.41,
                reasons=["face_too_left"],
                made="face centre at 0.41 of the width (band 0.47-0.525)",
            )
            if odd
            else replace(
                base,
                file=f"{name}-right.jpg",
                face_x=0.59,
                reasons=["face_too_right"],
                made="face centre at 0.59 of the width (band 0.47-0.525)",
            ),
            replace(
                base,
                file=f"{name}-high.jpg",
                eyes_y=0.29,
                face_width=0.55,
                reasons=["face_too_high"],
                made="eyes at 0.29 of the height (band 0.33-0.62), face width 0.55",
            )
            if odd
            else replace(
                base,
                file=f"{name}-low.jpg",
                eyes_y=0.68,
                reasons=["face_too_low"],
                made="eyes at 0.68 of the height (band 0.33-0.62)",
            ),
            replace(
                base,
                file=f"{name}-blur.jpg",
                effect=blur(3.0),
                reasons=["face_blurry"],
                made="Gaussian blur, sigma 3 px",
            ),
            replace(
                base,
                file=f"{name}-dark.jpg",
                effect=darken(0.35),
                reasons=["too_dark"],
                made="every pixel times 0.35 (1.5 stops under)",
            ),
            replace(
                base,
                file=f"{name}-sidelight.jpg",
                effect=side_light(0.3),
                reasons=["uneven_lighting"],
                made="person dimmed from 1 at the face's left edge to 0.3 at its right",
            ),
            replace(
                base,
                file=f"{name}-clutter.jpg",
                background=clutter(colour, 40),
                reasons=["background_cluttered"],
                made="40 random shapes, lines and words on the background",
            ),
            replace(
                base,
                file=f"{name}-gradient.jpg",
                reasons=["background_gradient"],
                background=gradient((20, 80, 170), (200, 225, 250)),
                made="background blends from (20, 80, 170) at the top to (200, 225, 250) "
                "at the bottom",
            ),
        ]
        if index == 2:
            cases.append(
                replace(
                    base,
                    file=f"{name}-glasses.jpg",
                    effect=glasses(tinted=False),
                    reasons=[],
                    made="clear glasses with thin dark frames drawn on (allowed without a spec)",
                )
            )
            cases.append(
                replace(
                    base,
                    file=f"{name}-glasses-us.jpg",
                    effect=glasses(tinted=False),
                    size=(600, 600),
                    face_width=None,
                    head_height=0.6,
                    eyes_y=0.39,
                    spec="us_passport",
                    background=WHITE,
                    reasons=["glasses"],
                    made="clear glasses drawn on, laid out for us_passport (no glasses allowed)",
                )
            )
        if index == 0:
            cases.append(
                replace(
                    base,
                    file=f"{name}-cap.jpg",
                    effect=cap((38, 52, 96)),
                    reasons=["wearing_hat"],
                    made="a navy cap drawn over the crown, down to the forehead",
                )
            )
        if index == 3:
            cases.append(
                replace(
                    base,
                    file=f"{name}-sunglasses.jpg",
                    effect=glasses(tinted=True),
                    reasons=["dark_glasses", "eyes_occluded"],
                    made="glasses with lenses tinted to 12 % drawn on",
                )
            )
        if index < 2:
            cases.append(
                replace(
                    base,
                    file=f"{name}-transparent.png",
                    fmt="PNG",
                    reasons=["transparent_background"],
                    made="RGBA PNG, the background fully transparent",
                )
            )
        else:
            cases.append(
                replace(
                    base,
                    file=f"{name}-grey.jpg",
                    reasons=["not_colour"],
                    extra={"grey": True},
                    made="greyscale JPEG (one channel)",
                )
            )
    return cases


REAL = {
    # name: (file, crop (x, y, w, h) or None)
    "obama": ("faces/obama.jpg", None),
    "obama2": ("faces/obama2.jpg", None),
    "astronaut": ("faces/astronaut.png", None),
    "biden": ("faces/biden.jpg", None),
    "walter": ("landmarks68/breakingbad.jpg", (1100, 0, 820, 1080)),
}


def real_cases() -> list[Case]:
    return [
        Case(
            file="real-obama-smile.jpg",
            portrait="obama",
            background=BLUE,
            reasons=["mouth_open"],
            made="obama.jpg cut out: a broad smile showing the teeth",
        ),
        Case(
            file="real-obama2-talking.jpg",
            portrait="obama2",
            background=WHITE,
            reasons=["eyes_not_looking", "head_turned", "mouth_open"],
            made="obama2.jpg cut out: talking, mouth open, head turned, looking away",
        ),
        Case(
            file="real-astronaut-smile.jpg",
            portrait="astronaut",
            background=BLUE,
            reasons=["mouth_open"],
            made="astronaut.png cut out: a broad smile showing the teeth",
        ),
        Case(
            file="real-biden-tilt.jpg",
            portrait="biden",
            background=BLUE,
            reasons=["head_pitched", "head_tilted"],
            made="biden.jpg cut out, not levelled: the head leans to one side, chin raised",
            level=False,
        ),
        Case(
            file="real-walter-glasses.jpg",
            portrait="walter",
            size=(600, 600),
            dpi=None,
            raw_crop=(0, 0, 820, 820),
            spec="us_passport",
            reasons=["background_cluttered", "glasses", "head_tilted", "head_turned"],
            made="breakingbad.jpg, the right man's head, 600x600: glasses, head turned and "
            "tilted, in a car",
        ),
        Case(
            file="real-two-faces.jpg",
            portrait="two_people",
            size=(600, 400),
            dpi=None,
            raw_crop=(120, 0, 1006, 661),
            reasons=["background_cluttered", "face_too_small", "multiple_faces"],
            made="two_people.jpg cropped and shrunk to 600x400: two faces, small, in a room",
        ),
    ]


def spec_cases() -> list[Case]:
    id_card = get_spec("cn_id_card")
    us = get_spec("us_passport")
    xuexin = get_spec("cn_xuexin")
    card = Case(
        file="spec-cn_id_card-ok.jpg",
        portrait="hv3",
        background=WHITE,
        spec="cn_id_card",
        size=id_card.size_px,
        dpi=350,
        face_width=0.578,
        head_top=0.032,
        eyes_y=None,
        reasons=[],
        made="358x441, 350 dpi, white, face 207 px wide, hair 14 px from the top",
    )
    passport = Case(
        file="spec-us_passport-ok.jpg",
        portrait="hv3",
        background=WHITE,
        spec="us_passport",
        size=us.size_px,
        face_width=None,
        head_height=0.6,
        eyes_y=0.39,
        reasons=[],
        made="600x600, white, head 0.6 of the height, eyes at 0.39",
    )
    exam = Case(
        file="spec-cn_xuexin-ok.jpg",
        portrait="hv4",
        background=BLUE,
        spec="cn_xuexin",
        size=xuexin.size_px,
        face_width=None,
        head_height=0.6,
        head_top=0.1,
        eyes_y=None,
        dpi=None,
        reasons=[],
        made="480x640, blue, head 0.6 of the height, 0.1 above the hair",
    )
    return [
        card,
        replace(
            card,
            file="spec-cn_id_card-72dpi.jpg",
            dpi=72,
            reasons=["wrong_dpi"],
            made="as spec-cn_id_card-ok.jpg but the file says 72 dpi",
        ),
        replace(
            card,
            file="spec-cn_id_card-blue.jpg",
            background=BLUE,
            reasons=["wrong_background_colour"],
            made="as spec-cn_id_card-ok.jpg on a blue background",
        ),
        passport,
        replace(
            passport,
            file="spec-us_passport-600x800.jpg",
            size=(600, 800),
            reasons=["wrong_size"],
            made="as spec-us_passport-ok.jpg laid out on 600x800",
        ),
        replace(
            passport,
            file="spec-us_passport-png.png",
            fmt="PNG",
            reasons=["file_too_large", "wrong_format"],
            made="as spec-us_passport-ok.jpg saved as PNG (over 240 kB)",
        ),
        exam,
        replace(
            exam,
            file="spec-cn_xuexin-white-shirt-on-white.jpg",
            background=WHITE,
            reasons=["clothes_like_background"],
            made="as spec-cn_xuexin-ok.jpg (white blouse) on a white background",
        ),
    ]


def make_portraits(source: Path) -> dict[str, Portrait]:
    portraits = {name: load_portrait(name, source / path) for name, (path, _) in BASES.items()}
    for name, (path, crop) in REAL.items():
        portraits[name] = load_portrait(name, source / path, crop=crop)
    portraits["two_people"] = load_portrait("two_people", source / "faces/two_people.jpg")
    return portraits


def build(source: Path, out: Path) -> dict[str, dict[str, Any]]:
    portraits = make_portraits(source)
    out.mkdir(parents=True, exist_ok=True)
    # README.md is written by hand; everything else here is made below.
    for old in [*out.glob("*.jpg"), *out.glob("*.png"), out / "labels.json"]:
        old.unlink(missing_ok=True)
    labels: dict[str, dict[str, Any]] = {}
    for index, case in enumerate(base_cases() + real_cases() + spec_cases()):
        rng = np.random.default_rng(SEED + index)
        portrait = portraits[case.portrait]
        image, alpha, crown, mesh = compose(portrait, case, rng)
        if case.effect is not None:
            image = case.effect(image, alpha, rng, mesh)
        if case.extra.get("grey"):
            image = np.repeat(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
        reasons = list(case.reasons)
        height = case.size[1]
        if crown < -CUT_MARGIN * height and "head_cut_off" not in reasons:
            reasons.append("head_cut_off")
        elif crown < CUT_MARGIN * height and case.raw_crop is None:
            raise SystemExit(
                f"{case.file}: the crown is {crown:.0f} px from the top edge, too close to label"
            )
        if case.extra.get("grey"):
            data = encode_grey(image, case)
        else:
            data = encode(
                image, case, alpha if case.fmt == "PNG" and "transparent" in case.file else None
            )
        (out / case.file).write_bytes(data)
        entry: dict[str, Any] = {"reasons": sorted(reasons), "made": case.made}
        if case.spec:
            entry["spec"] = case.spec
        labels[case.file] = entry
    (out / "labels.json").write_text(json.dumps(labels, indent=1, ensure_ascii=False) + "\n")
    shutil.copy(
        source / "idphoto-inputs" / "LICENSE-HivisionIDPhotos", out / "LICENSE-HivisionIDPhotos"
    )
    return labels


def encode_grey(image: NDArray[np.uint8], case: Case) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image[..., 0], "L").save(buf, "JPEG", quality=case.quality, dpi=(DPI, DPI))
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SHARED, help="the shared testdata folder")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    labels = build(args.source, args.out)
    total = sum(p.stat().st_size for p in args.out.iterdir())
    print(f"{len(labels)} photos, {total / 2**20:.1f} MB in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
