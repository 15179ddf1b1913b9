from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "webapp.core"
    verbose_name = _("Site")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
