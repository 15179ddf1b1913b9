"""System checks of the services' settings: a wrong backend shows up when the app starts."""

from __future__ import annotations

from django.core.checks import Error, register

from . import SERVICES
from .base import BACKENDS


@register()
def check_remote_backends(app_configs: object, **kwargs: object) -> list[Error]:
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
