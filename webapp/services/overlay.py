"""Draw face-shape points over a photo, as the PNG people download."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageDraw

# One colour per group, shared with the page's SVG (static/css/site.css).
GROUP_COLOURS = {
    "face_profile": (255, 221, 51),
    "left_eyebrow": (255, 64, 255),
    "right_eyebrow": (255, 160, 0),
    "left_eye": (64, 128, 255),
    "right_eye": (255, 48, 48),
    "nose": (0, 200, 200),
    "mouth": (40, 220, 60),
}
#: What the page calls each group (and each dense part: "face" is the outline with the hairline).
GROUP_LABELS = {
    "face_profile": _("Face outline"),
    "face": _("Face outline"),
    "left_eyebrow": _("Left eyebrow"),
    "right_eyebrow": _("Right eyebrow"),
    "left_eye": _("Left eye"),
    "right_eye": _("Right eye"),
    "nose": _("Nose"),
    "mouth": _("Mouth"),
}
CLOSED_GROUPS = {"left_eye", "right_eye", "left_eyebrow", "right_eyebrow"}
Point = tuple[int, int]


def polylines(group: str, xy: list[Point]) -> list[list[Point]]:
    """Return the lines that outline a group (the same on the PNG and on the page)."""
    if group in CLOSED_GROUPS:
        return [xy + xy[:1]]
    if group == "mouth":  # outer lip 0-11, inner lip 12-21, each a loop
        return [xy[:12] + xy[:1], xy[12:] + xy[12:13]]
    if group == "nose":  # 1-12 run round the nose; 0 is the tip
        return [xy[1:]]
    return [xy]


def render(image: np.ndarray, body: dict[str, Any]) -> bytes:
    """Return a PNG of `image` with every face's points and outlines drawn on it."""
    canvas = Image.fromarray(image).convert("RGB")
    draw = ImageDraw.Draw(canvas)
    radius = max(1.5, min(canvas.size) / 300)
    width = max(1, round(radius / 1.5))
    for face in body.get("data", {}).get("face_shape", []):
        for group, points in face.items():
            colour = GROUP_COLOURS.get(group, (255, 255, 255))
            xy = [(p["x"], p["y"]) for p in points]
            for line in polylines(group, xy):
                draw.line(line, fill=colour, width=width)
            for x, y in xy:
                draw.ellipse(
                    (x - radius, y - radius, x + radius, y + radius), fill=colour, outline=(0, 0, 0)
                )
    buffer = io.BytesIO()
    canvas.save(buffer, "PNG", compress_level=3)
    return buffer.getvalue()
