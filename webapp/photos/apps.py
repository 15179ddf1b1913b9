from __future__ import annotations

from django.apps import AppConfig


class PhotosConfig(AppConfig):
    name = "webapp.photos"
    verbose_name = "Photos and jobs"
