from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def default_retention_hours() -> int:
    return settings.RETENTION_HOURS


class SiteSettings(models.Model):
    """Settings operators change at run time in the admin (one row)."""

    retention_hours = models.PositiveIntegerField(
        _("keep photos and results for (hours)"),
        default=default_retention_hours,
        help_text=_("Uploaded photos, results and share links are deleted this long after upload."),
    )
    hivision_open = models.BooleanField(
        "open HivisionIDPhotos' endpoints to anyone",
        default=False,
        help_text=(
            "HivisionIDPhotos' own endpoints (/idphoto, /idphoto_crop, /human_matting, "
            "/add_background, /generate_layout_photos, /watermark, /set_kb) take no credentials, "
            "each address limited to the rate below. Off: they take an API credential, as "
            "/idphoto/check does."
        ),
    )
    hivision_rate_per_minute = models.PositiveIntegerField(
        "anonymous Hivision requests per address a minute",
        default=20,
        help_text="How many requests one address may send a minute while the endpoints are open.",
    )

    class Meta:
        verbose_name = _("site settings")
        verbose_name_plural = _("site settings")

    def __str__(self) -> str:
        return "Site settings"

    @classmethod
    def load(cls) -> SiteSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj

    @property
    def retention(self) -> timedelta:
        return timedelta(hours=self.retention_hours)
