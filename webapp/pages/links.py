"""Result links for API answers (`rsp_img_type=url`): signed, expiring, no credentials needed.

The token carries the job's id and the link's expiry, signed with SECRET_KEY,
so nobody can make one or extend it. The expiry is fixed when the link is
made: changing the project's minutes later does not change links already given.
"""

from __future__ import annotations

import time

from django.core import signing
from django.urls import reverse

from webapp.photos.models import Job

SALT = "fusion.result-link"


def now() -> float:
    """The clock, in its own function so that tests can move it."""
    return time.time()


def result_path(job: Job, *, minutes: int) -> str:
    """Return the path of a link to the job's result image that works for `minutes`."""
    token = signing.dumps({"job": str(job.id), "exp": int(now()) + minutes * 60}, salt=SALT)
    return reverse("fusion:result_link", args=[token])


def job_for_token(token: str) -> tuple[Job, int] | None:
    """Return the job a link names and the seconds it still works, or None if bad or expired."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    remaining = int(data["exp"] - now())
    if remaining <= 0:
        return None
    job = Job.objects.filter(pk=data["job"], kind=Job.Kind.FUSION).first()
    return (job, remaining) if job is not None else None
