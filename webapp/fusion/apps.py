from __future__ import annotations

from django.apps import AppConfig


class FusionConfig(AppConfig):
    name = "webapp.fusion"
    verbose_name = "Face fusion"
