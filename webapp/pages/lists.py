"""The lists of a visitor's recent results: what each one is, how it ended, and when."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from webapp.fusion.models import FusionTemplate
from webapp.photos.models import Job
from webapp.vision.idphoto import SPECS, IdPhotoSpec

#: Below this age a result was made "just now" (timesince would say "0 minutes").
JUST_NOW_SECONDS = 60


def human_age(moment: datetime, now: datetime | None = None) -> str:
    """How long ago `moment` was, as a person says it: "just now", "5 minutes ago"."""
    now = now or timezone.now()
    if (now - moment).total_seconds() < JUST_NOW_SECONDS:
        return _("just now")
    return _("%(time)s ago") % {"time": timesince(moment, now, depth=1)}


def spec_title(spec: IdPhotoSpec) -> str:
    """A specification's name in the page's language."""
    return spec.title if (get_language() or "").startswith("zh") else spec.title_en


def describe(job: Job, templates: dict[int, FusionTemplate]) -> str:
    """What tells this result apart: the specification, the template, the option."""
    if job.kind in (Job.Kind.ID_CHECK, Job.Kind.ID_MAKE):
        spec = SPECS.get(job.params.get("spec") or "")
        if spec is None:
            return _("The check service's own rules") if job.kind == Job.Kind.ID_CHECK else ""
        return spec_title(spec)
    if job.kind == Job.Kind.FUSION:
        template = templates.get(job.params.get("template"))
        return template.name or template.model_id if template else ""
    if job.kind == Job.Kind.FACE_SHAPE:
        return _("The largest face") if job.params.get("mode") == 1 else _("Every face")
    return ""


def recent_results(jobs: QuerySet[Job], limit: int = 20) -> list[Job]:
    """The newest `limit` jobs, each with its `detail` and `age` for the list."""
    recent = list(jobs[:limit])
    ids = {job.params.get("template") for job in recent if job.kind == Job.Kind.FUSION}
    templates = FusionTemplate.objects.in_bulk([i for i in ids if isinstance(i, int)])
    now = timezone.now()
    for job in recent:
        job.detail = describe(job, templates)
        job.age = human_age(job.created_at, now)
    return recent
