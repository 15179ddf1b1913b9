from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from webapp.core.fields import OrderedJSONField
from webapp.services import SERVICES
from webapp.wire.codes import error_message


def random_photo_name(instance: Photo, filename: str) -> str:
    """Store uploads under a random name: nothing of the original name is kept."""
    suffix = PurePath(filename).suffix.lower()[:6]
    return f"photos/{secrets.token_hex(16)}{suffix}"


def random_result_name(instance: Job, filename: str) -> str:
    return f"results/{secrets.token_hex(16)}{PurePath(filename).suffix.lower()}"


def new_share_key() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


class Photo(models.Model):
    """A photo someone uploaded; after the first job it is a clean JPEG without metadata."""

    file = models.FileField(_("file"), upload_to=random_photo_name, max_length=200, blank=True)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"), default=0)
    cleaned = models.BooleanField(
        _("cleaned"),
        default=False,
        help_text=_("Re-encoded without metadata (EXIF, GPS), orientation applied."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return f"Photo {self.file.name}"

    def delete_files(self) -> None:
        if self.file:
            self.file.delete(save=False)

    def discard_file(self) -> None:
        """Delete the stored file but keep the row (its jobs' results stay until they expire)."""
        self.delete_files()
        self.save(update_fields=["file"])


class JobQuerySet(models.QuerySet["Job"]):
    def owned_by(self, owner_key: str) -> JobQuerySet:
        if not owner_key:
            return self.none()
        return self.filter(owner_key=owner_key)


class Job(models.Model):
    """One request for a service on one photo, from the page or the API."""

    #: One member per service of webapp.services.SERVICES: Job.Kind.FACE_SHAPE == "face_shape".
    Kind = models.TextChoices(
        "Kind", [(s.kind.upper(), (s.kind, s.label)) for s in SERVICES.values()]
    )

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Source(models.TextChoices):
        WEB = "web", _("Web page")
        API = "api", _("API")

    # The id appears in the owner's URLs: random, never sequential.
    id = models.UUIDField(_("id"), primary_key=True, default=uuid.uuid4, editable=False)
    share_key = models.CharField(
        _("share key"), max_length=64, unique=True, default=new_share_key, editable=False
    )
    sharing = models.BooleanField(
        _("sharing"),
        default=False,
        help_text=_("Whether the share link works: off until the owner shares the result."),
    )
    photo = models.ForeignKey(
        Photo, verbose_name=_("photo"), on_delete=models.CASCADE, related_name="jobs"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    source = models.CharField(_("source"), max_length=5, choices=Source.choices, default=Source.WEB)
    backend = models.CharField(_("backend"), max_length=10, default="local")
    params = models.JSONField(_("params"), default=dict, blank=True)
    result = OrderedJSONField(
        _("result"),
        null=True,
        blank=True,
        help_text=_("The service's answer, exactly as its API sends it."),
    )
    details = models.JSONField(
        _("details"),
        default=dict,
        blank=True,
        help_text=_("What only the result page needs (never in the API)."),
    )
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    error_message = models.TextField(_("error message"), blank=True)
    overlay = models.FileField(
        _("overlay"), upload_to=random_result_name, blank=True, max_length=200
    )
    result_image = models.FileField(
        _("result image"),
        upload_to=random_result_name,
        blank=True,
        max_length=200,
        help_text=_(
            "The service's result as an image (the fused photo); served only through views."
        ),
    )
    second_image = models.FileField(
        _("second image"),
        upload_to=random_result_name,
        blank=True,
        max_length=200,
        help_text=_("A second result image (the made ID photo's print sheet, or its HD version)."),
    )
    owner_key = models.CharField(_("owner key"), max_length=64, blank=True, db_index=True)
    address_key = models.CharField(
        _("address key"),
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_("A keyed hash of the uploader's address: what the pages' upload limit counts."),
    )
    api_client = models.ForeignKey(
        "api.ApiClient",
        verbose_name=_("api client"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
    )
    timings = models.JSONField(
        _("timings"),
        default=dict,
        blank=True,
        help_text=_("Milliseconds spent in each step of the job."),
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.id} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("photos:result", args=[self.id])

    def get_share_url(self) -> str:
        return reverse("photos:shared", args=[self.share_key])

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def faces(self) -> list[dict[str, Any]]:
        if not self.result:
            return []
        return self.result.get("data", {}).get("face_shape", [])

    @property
    def run_ms(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds() * 1000

    # --- State changes, each one conditional so that running a job twice is harmless.

    @classmethod
    def claim(cls, job_id: str) -> Job | None:
        """Mark a queued job running and return it, or None if it was not queued."""
        now = timezone.now()
        changed = cls.objects.filter(pk=job_id, status=cls.Status.QUEUED).update(
            status=cls.Status.RUNNING, started_at=now, attempts=models.F("attempts") + 1
        )
        if changed != 1:
            return None
        return cls.objects.select_related("photo").get(pk=job_id)

    def finish(self, result: dict[str, Any], details: dict[str, Any]) -> None:
        self.result = result
        self.details = details
        self.status = self.Status.DONE
        self.finished_at = timezone.now()
        self.save(
            update_fields=[
                "result",
                "details",
                "status",
                "finished_at",
                "overlay",
                "result_image",
                "second_image",
                "timings",
            ]
        )

    def fail(self, code: str, **params: object) -> None:
        """End the job as failed with error `code` (a key of wire.codes.ERRORS)."""
        self.status = self.Status.FAILED
        self.error_code = code
        self.error_message = error_message(code, **params)
        self.finished_at = timezone.now()
        self.save(update_fields=["status", "error_code", "error_message", "finished_at", "timings"])

    def caller_gone(self, now: timezone.datetime | None = None) -> bool:
        """Whether this is an API job whose caller has stopped waiting (and was answered busy)."""
        now = now or timezone.now()
        waited = timedelta(seconds=settings.API_WAIT_SECONDS + CALLER_GRACE_SECONDS)
        return self.source == self.Source.API and self.created_at < now - waited

    def recover_if_stale(
        self, now: timezone.datetime | None = None, *, worker_gone: bool = False
    ) -> str:
        """Requeue or fail a job whose worker vanished.

        A running job counts as lost when `worker_gone` (its worker's heartbeat
        stopped) or when it started longer than JOB_STALE_AFTER ago. It is tried
        again unless it was tried MAX_ATTEMPTS times already or nobody waits for
        it any more (an API job past its caller's wait): then it is failed.

        Return "requeued" (the caller enqueues it again), "failed", or "" when
        nothing changed.
        """
        now = now or timezone.now()
        if self.status == self.Status.RUNNING and self.started_at:
            stale = self.started_at < now - timedelta(seconds=settings.JOB_STALE_AFTER)
            if not (worker_gone or stale):
                return ""
            if self.attempts < MAX_ATTEMPTS and not self.caller_gone(now):
                changed = Job.objects.filter(pk=self.pk, status=self.Status.RUNNING).update(
                    status=self.Status.QUEUED, started_at=None
                )
                if changed:
                    self.status = self.Status.QUEUED
                    self.started_at = None
                return "requeued" if changed else ""
            return self.fail_if(self.Status.RUNNING, "worker_lost")
        if self.status == self.Status.QUEUED:
            if self.created_at > now - timedelta(seconds=settings.JOB_QUEUE_TIMEOUT):
                return ""
            return self.fail_if(self.Status.QUEUED, "queue_timeout")
        return ""

    def fail_if(self, status: str, code: str) -> str:
        """Fail the job with `code` if it is still in `status`; "failed" if it was."""
        changed = Job.objects.filter(pk=self.pk, status=status).update(
            status=self.Status.FAILED,
            error_code=code,
            error_message=error_message(code),
            finished_at=timezone.now(),
        )
        if changed:
            self.refresh_from_db()
        return "failed" if changed else ""

    def delete_with_files(self) -> None:
        """Delete the job, its result files and, when no other job uses it, its photo."""
        photo = self.photo
        for field in (self.overlay, self.result_image, self.second_image):
            if field:
                field.delete(save=False)
        self.delete()
        if not photo.jobs.exists():
            photo.delete_files()
            photo.delete()

    def take_result_image(self, name: str = "result_image") -> bytes:
        """Return a result image and delete its file: for answers that carry it, keep no copy.

        `name` is the field: ``result_image`` or ``second_image``.
        """
        field = getattr(self, name)
        with field.open("rb") as f:
            data = f.read()
        field.delete(save=False)
        self.save(update_fields=[name])
        return data

    def new_share_key(self) -> None:
        """Replace the share key: the old link stops working."""
        self.share_key = new_share_key()
        self.save(update_fields=["share_key"])

    def start_sharing(self) -> bool:
        """Open the share link; False (nothing changed) for a result that is not worth sharing."""
        if not self.shareable:
            return False
        self.sharing = True
        self.save(update_fields=["sharing"])
        return True

    def stop_sharing(self) -> None:
        """Close the share link for good: sharing again makes a new one."""
        self.sharing = False
        self.share_key = new_share_key()
        self.save(update_fields=["sharing", "share_key"])

    @property
    def outcome(self) -> str:
        """What happened, as a person sees it: one of OUTCOMES' keys.

        A job that is done but found nothing (no face) is "nothing", not a success;
        an ID check that ran is "passed" or "not_passed"; a made ID photo "ready" or
        "not_ready" (its own check passed or not).
        """
        if not self.is_finished:
            return self.status
        if self.status == self.Status.FAILED:
            return "failed"
        body = self.result or {}
        if not SERVICES[self.kind].succeeded(body):
            return "nothing"
        if self.kind == self.Kind.ID_CHECK:
            return "passed" if (body.get("data") or {}).get("pass") else "not_passed"
        if self.kind == self.Kind.ID_MAKE and "ready" in (body.get("data") or {}):
            return "ready" if body["data"]["ready"] else "not_ready"
        return "done"

    @property
    def outcome_label(self) -> str:
        return OUTCOMES[self.outcome]

    @property
    def shareable(self) -> bool:
        """Only a result worth showing may be shared: never a failure or "no face"."""
        return self.outcome in ("done", "passed", "not_passed", "ready", "not_ready")

    def to_status_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "status": self.status,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "finished": self.is_finished,
            "outcome": self.outcome,
        }


#: Each outcome of a job (Job.outcome) and its badge on the pages.
OUTCOMES = {
    "queued": _("Waiting"),
    "running": _("Working"),
    "done": _("Done"),
    "passed": _("Passed"),
    "not_passed": _("Did not pass"),
    "ready": _("Ready to use"),
    "not_ready": _("Not ready"),
    "nothing": _("No result"),
    "failed": _("Failed"),
}

# A job whose worker died is tried this many times in all, then failed.
MAX_ATTEMPTS = 2
# An API caller waits API_WAIT_SECONDS from a moment after its job was created.
CALLER_GRACE_SECONDS = 5
