from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "webapp.core"
    verbose_name = "Site"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
