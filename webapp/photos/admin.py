from __future__ import annotations

import json

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .models import Job, Photo

#: The colour of each outcome's badge in the admin's list (Job.outcome).
OUTCOME_COLOURS = {
    "done": "#0f6446",
    "passed": "#0f6446",
    "not_passed": "#a32222",
    "failed": "#a32222",
    "nothing": "#7a4b00",
    "queued": "#3d4757",
    "running": "#1d47b3",
}


def pretty_json(value: object) -> str:
    """JSON as people read it: indented, non-ASCII as it is, in a scrollable block."""
    if value in (None, {}, []):
        return "-"
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return format_html(
        '<pre style="max-height: 32rem; overflow: auto; white-space: pre; margin: 0">{}</pre>',
        text,
    )


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = [
        "short_id",
        "kind",
        "outcome_badge",
        "source",
        "error_code",
        "created_at",
        "run_time",
    ]
    list_display_links = ["short_id"]
    list_filter = ["status", "kind", "source", "error_code"]
    list_select_related = ["photo"]
    search_fields = ["id", "error_code"]
    date_hierarchy = "created_at"
    fields = [
        "id",
        "kind",
        "status",
        "outcome_badge",
        "source",
        "backend",
        "api_client",
        "params",
        "error_code",
        "error_message",
        "created_at",
        "started_at",
        "finished_at",
        "timing_steps",
        "attempts",
        "photo",
        "overlay",
        "result_image",
        "second_image",
        "sharing",
        "share_key",
        "expires_at",
        "result_json",
        "details_json",
    ]
    readonly_fields = [
        "id",
        "kind",
        "status",
        "outcome_badge",
        "source",
        "backend",
        "api_client",
        "params",
        "error_code",
        "error_message",
        "created_at",
        "started_at",
        "finished_at",
        "timing_steps",
        "attempts",
        "photo",
        "overlay",
        "result_image",
        "sharing",
        "share_key",
        "expires_at",
        "result_json",
        "details_json",
    ]
    actions = ["delete_with_files"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def view_on_site(self, job: Job) -> str | None:
        """The job's own result page (staff see any job's, read only); none for API jobs."""
        return job.get_absolute_url() if job.source == Job.Source.WEB else None

    @admin.display(description=_("id"), ordering="id")
    def short_id(self, job: Job) -> str:
        return format_html('<span title="{}">{}</span>', job.id, str(job.id)[:8])

    @admin.display(description=_("outcome"), ordering="status")
    def outcome_badge(self, job: Job) -> str:
        return format_html(
            '<strong style="color: {}">{}</strong>',
            OUTCOME_COLOURS.get(job.outcome, "inherit"),
            job.outcome_label,
        )

    @admin.display(description=_("run (ms)"))
    def run_time(self, job: Job) -> str:
        return f"{job.run_ms:.0f}" if job.run_ms is not None else "-"

    @admin.display(description=_("timings"))
    def timing_steps(self, job: Job) -> str:
        """The time in the queue, then each step the worker recorded, in milliseconds."""
        steps = []
        if job.started_at:
            waited = (job.started_at - job.created_at).total_seconds() * 1000
            steps.append(("queue", f"{waited:.0f}"))
        steps += [(step, f"{ms:.0f}") for step, ms in (job.timings or {}).items()]
        if job.run_ms is not None:
            steps.append(("run in all", f"{job.run_ms:.0f}"))
        if not steps:
            return "-"
        return format_html(
            "<table><tbody>{}</tbody></table>",
            format_html_join("", '<tr><th scope="row">{}</th><td>{} ms</td></tr>', steps),
        )

    @admin.display(description=_("result (the API's answer)"))
    def result_json(self, job: Job) -> str:
        return pretty_json(job.result)

    @admin.display(description=_("details (for the page)"))
    def details_json(self, job: Job) -> str:
        return pretty_json(job.details)

    @admin.action(description=_("Delete the selected jobs and their files"))
    def delete_with_files(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        for job in queryset.select_related("photo"):
            job.delete_with_files()

    def delete_model(self, request: HttpRequest, obj: Job) -> None:
        obj.delete_with_files()


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ["id", "width", "height", "size_bytes", "cleaned", "created_at"]
    list_filter = ["cleaned"]
    readonly_fields = ["file", "width", "height", "size_bytes", "cleaned", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Photo) -> None:
        for job in obj.jobs.all():
            job.delete_with_files()
        if Photo.objects.filter(pk=obj.pk).exists():
            obj.delete_files()
            obj.delete()
