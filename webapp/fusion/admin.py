from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .forms import FusionTemplateForm
from .models import FusionProject, FusionTemplate

PREVIEW_WIDTH = 360


class FacePreview:
    @admin.display(description=_("preview"))
    def face_preview(self, template: FusionTemplate) -> str:
        return preview_html(template)


def preview_html(template: FusionTemplate) -> str:
    """Return the thumbnail with each detected face boxed and numbered (green: replaced)."""
    if not template.pk or not template.thumbnail:
        return "Shown once the template is saved."
    url = reverse("fusion:thumbnail", args=[template.project.project_id, template.model_id])
    w, h = template.width, template.height
    size = max(w, h) / 18
    rows = []
    for face in template.face_boxes():
        x, y, bw, bh = face["box"]
        colour = "#3ddc84" if face["replaced"] else "#ffb300"
        rows.append(
            (
                x,
                y,
                bw,
                bh,
                colour,
                size / 8,
                x + size / 5,
                y + size,
                size,
                colour,
                size / 12,
                face["number"],
            )
        )
    boxes = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="{}" stroke-width="{}"/>'
        '<text x="{}" y="{}" font-size="{}" fill="{}" stroke="#000" stroke-width="{}" '
        'font-weight="700" paint-order="stroke">{}</text>',
        rows,
    )
    return format_html(
        '<svg viewBox="0 0 {} {}" width="{}" role="img" '
        'aria-label="The template with its faces numbered">'
        '<image href="{}" x="0" y="0" width="{}" height="{}"/>{}</svg>'
        '<p class="help">Green: replaced by the user\'s face; amber: left as it is. '
        "Write the numbers in “faces to replace”.</p>",
        w,
        h,
        PREVIEW_WIDTH,
        url,
        w,
        h,
        boxes,
    )


class FusionTemplateInline(FacePreview, admin.StackedInline):
    model = FusionTemplate
    form = FusionTemplateForm
    extra = 0
    readonly_fields = ["face_preview", "face_count"]
    fields = [
        "model_id",
        "name",
        "photo",
        "face_preview",
        "face_count",
        "replace_faces",
        "shape_degree",
        "features_degree",
        "is_active",
    ]
    show_change_link = True


@admin.register(FusionProject)
class FusionProjectAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "project_id",
        "is_active",
        "ai_mark",
        "result_link_minutes",
        "template_count",
    ]
    list_filter = ["is_active", "ai_mark"]
    search_fields = ["name", "project_id"]
    filter_horizontal = ["allowed_clients"]
    inlines = [FusionTemplateInline]

    @admin.display(description=_("templates"))
    def template_count(self, project: FusionProject) -> int:
        return project.templates.count()

    def delete_model(self, request: HttpRequest, obj: FusionProject) -> None:
        obj.delete_with_files()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[FusionProject]) -> None:
        for project in queryset:
            project.delete_with_files()


@admin.register(FusionTemplate)
class FusionTemplateAdmin(FacePreview, admin.ModelAdmin):
    form = FusionTemplateForm
    list_display = [
        "model_id",
        "name",
        "project",
        "face_count",
        "replace_faces",
        "shape_degree",
        "features_degree",
        "is_active",
        "updated_at",
    ]
    list_filter = ["is_active", "project"]
    search_fields = ["model_id", "name", "project__project_id", "project__name"]
    list_select_related = ["project"]
    readonly_fields = ["face_preview", "face_count", "width", "height", "created_at", "updated_at"]
    fields = [
        "project",
        "model_id",
        "name",
        "photo",
        "face_preview",
        "face_count",
        "replace_faces",
        "shape_degree",
        "features_degree",
        "is_active",
        "width",
        "height",
        "created_at",
        "updated_at",
    ]
    #: What only a saved template has: the add form does not show them (as "0").
    SAVED_ONLY = ("face_count", "width", "height", "created_at", "updated_at")

    def get_fields(self, request: HttpRequest, obj: FusionTemplate | None = None) -> list[str]:
        fields = super().get_fields(request, obj)
        return fields if obj is not None else [f for f in fields if f not in self.SAVED_ONLY]

    def delete_model(self, request: HttpRequest, obj: FusionTemplate) -> None:
        obj.delete_with_files()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[FusionTemplate]) -> None:
        for template in queryset:
            template.delete_with_files()
