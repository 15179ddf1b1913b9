from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FusionConfig(AppConfig):
    name = "webapp.fusion"
    verbose_name = _("Face fusion")
