from __future__ import annotations

from django.apps import AppConfig


class PhotosConfig(AppConfig):
    name = "webapp.photos"
    verbose_name = "Photos and jobs"

    def ready(self) -> None:
        from webapp.services import checks  # noqa: F401  (registers the services' checks)
