from __future__ import annotations

from django.http import HttpRequest

from .models import SiteSettings


def site(request: HttpRequest) -> dict[str, object]:
    """Give every page the retention period, which the footer promises."""
    return {"site_settings": SiteSettings.load()}
