from __future__ import annotations

from django.http import HttpRequest

from .models import SiteSettings


def site(request: HttpRequest) -> dict[str, object]:
    """Give every page the retention period, which the footer promises."""
    return {"site_settings": SiteSettings.load()}


def language_next(request: HttpRequest) -> dict[str, str]:
    """Where the header's language switch comes back to: this page, or its form after a POST.

    A page shown in answer to a POST (a form with an error, a refused upload) is at the
    form's path + a verb, which only takes POSTs: the switch goes back to the form.
    """
    if request.method == "POST":
        return {"language_next": request.path.rsplit("/", 1)[0] + "/"}
    return {"language_next": request.get_full_path()}
