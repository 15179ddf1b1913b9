from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Job, Photo


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "status",
        "source",
        "error_code",
        "api_client",
        "created_at",
        "run_time",
    ]
    list_filter = ["status", "kind", "source", "error_code"]
    search_fields = ["id", "error_code"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "id",
        "share_key",
        "photo",
        "kind",
        "status",
        "source",
        "backend",
        "params",
        "result",
        "error_code",
        "error_message",
        "overlay",
        "result_image",
        "second_image",
        "api_client",
        "attempts",
        "created_at",
        "started_at",
        "finished_at",
    ]
    exclude = ["owner_key"]
    actions = ["delete_with_files"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="run (ms)")
    def run_time(self, job: Job) -> str:
        return f"{job.run_ms:.0f}" if job.run_ms is not None else "-"

    @admin.action(description="Delete the selected jobs and their files")
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
