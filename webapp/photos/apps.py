from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PhotosConfig(AppConfig):
    name = "webapp.photos"
    verbose_name = _("Photos and jobs")

    def ready(self) -> None:
        from webapp.services import checks  # noqa: F401  (registers the services' checks)
