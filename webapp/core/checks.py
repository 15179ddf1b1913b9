"""System checks: configuration mistakes show up when the app starts."""

from __future__ import annotations

import io

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def check_secret_key(app_configs: object, **kwargs: object) -> list[Error]:
    if not settings.DEBUG and len(settings.SECRET_KEY) < 40:
        return [
            Error(
                "SECRET_KEY is too short for production.",
                hint="Set SECRET_KEY to at least 50 random characters, "
                "or unset it to use a generated one.",
                id="core.E001",
            )
        ]
    return []


@register()
def check_image_decoders(app_configs: object, **kwargs: object) -> list[Warning]:
    from PIL import Image

    problems = []
    for fmt in ("JPEG", "PNG", "WEBP"):
        buffer = io.BytesIO()
        try:
            Image.new("RGB", (8, 8), "white").save(buffer, fmt)
            buffer.seek(0)
            Image.open(buffer).load()
        except Exception as exc:  # noqa: BLE001  (any failure means the codec is unusable)
            problems.append(
                Warning(
                    f"Pillow cannot encode and decode {fmt} images: {exc}",
                    hint="Reinstall Pillow from its wheel.",
                    id="core.W001",
                )
            )
    return problems
