"""System checks: configuration mistakes show up when the app starts."""

from __future__ import annotations

import io

from django.conf import settings
from django.core.checks import Error, Warning, register

BACKENDS = ("local", "remote")


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
def check_remote_backends(app_configs: object, **kwargs: object) -> list[Error]:
    from webapp.services import SERVICES

    errors = []
    for service in SERVICES.values():
        prefix = service.settings_prefix
        if service.backend not in BACKENDS:
            errors.append(
                Error(
                    f"{prefix}_BACKEND is {service.backend!r}.",
                    hint=f"Set {prefix}_BACKEND to one of: {', '.join(BACKENDS)}.",
                    id="core.E003",
                )
            )
        elif service.backend == "remote" and not service.remote_settings()["URL"]:
            errors.append(
                Error(
                    f"{prefix}_BACKEND is 'remote' but {prefix}_REMOTE_URL is empty.",
                    hint=f"Set {prefix}_REMOTE_URL to the base URL of the service to call.",
                    id="core.E002",
                )
            )
    return errors


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
