"""Fusion projects ("activities" in Tencent's face fusion) and their templates ("models").

A template's faces are found once, when the operator saves it
(:mod:`webapp.fusion.preparation`), and stored as JSON; requests only read them.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from webapp.vision.fusion import TemplateFaces

if TYPE_CHECKING:
    from .preparation import PreparedTemplate

# Ids appear in page URLs and API bodies: keep them to characters that need no escaping.
ID_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9_.-]+$", "Use letters, digits, '.', '_' and '-' only.", code="invalid_id"
)
DEFAULT_DEGREE = 100


def random_template_name(instance: FusionTemplate, filename: str) -> str:
    return f"fusion/templates/{secrets.token_hex(16)}.jpg"


def random_thumbnail_name(instance: FusionTemplate, filename: str) -> str:
    return f"fusion/thumbnails/{secrets.token_hex(16)}.jpg"


class FusionProject(models.Model):
    """An activity: a set of templates that clients name by `project_id`."""

    project_id = models.CharField(
        _("project id"),
        max_length=64,
        unique=True,
        validators=[ID_VALIDATOR],
        help_text=_("What API clients send as project_id."),
    )
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_(
            "Inactive projects are hidden from the gallery and refused by the API (code -1000)."
        ),
    )
    allowed_clients = models.ManyToManyField(
        "api.ApiClient",
        blank=True,
        related_name="fusion_projects",
        verbose_name=_("allowed credentials"),
        help_text=_(
            "The API credentials that may use this project. None chosen: every active "
            "credential may. Any other credential is refused with code -2103."
        ),
    )
    ai_mark = models.BooleanField(
        _("mark results as AI-generated"),
        default=True,
        help_text=_(
            "Draw a visible “AI-generated” label on every result. The statement is always "
            "written into the image's metadata."
        ),
    )
    result_link_minutes = models.PositiveIntegerField(
        _("result links work for (minutes)"),
        default=60,
        validators=[MinValueValidator(1)],
        help_text=_(
            "How long the link the API answers with (rsp_img_type=url) works without "
            "credentials. After that it shows “This link does not work”."
        ),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "project_id"]
        verbose_name = _("fusion project")
        verbose_name_plural = _("fusion projects")

    def __str__(self) -> str:
        return f"{self.name} ({self.project_id})"

    def allows(self, client: models.Model) -> bool:
        """Return whether `client` may use this project; costs a query or two."""
        chosen = self.allowed_clients.all()
        return not chosen.exists() or chosen.filter(pk=client.pk).exists()

    def delete_with_files(self) -> None:
        for template in self.templates.all():
            template.delete_files()
        self.delete()


class FusionTemplateQuerySet(models.QuerySet["FusionTemplate"]):
    def visible(self) -> FusionTemplateQuerySet:
        """Templates people and clients may use: active, in an active project."""
        return self.filter(is_active=True, project__is_active=True).select_related("project")


class FusionTemplate(models.Model):
    """A template photo whose faces a user's face replaces."""

    # Careful: `project_id` here is the FK's column (the project's pk), while
    # `project.project_id` is the id clients send.
    project = models.ForeignKey(
        FusionProject, verbose_name=_("project"), on_delete=models.CASCADE, related_name="templates"
    )
    model_id = models.CharField(
        _("model id"),
        max_length=64,
        validators=[ID_VALIDATOR],
        help_text=_("What API clients send as model_id; unique within the project."),
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    image = models.FileField(
        _("image"), upload_to=random_template_name, max_length=200, editable=False
    )
    thumbnail = models.FileField(
        _("thumbnail"), upload_to=random_thumbnail_name, max_length=200, editable=False, blank=True
    )
    shape_degree = models.PositiveSmallIntegerField(
        _("face shape degree"),
        default=DEFAULT_DEGREE,
        validators=[MaxValueValidator(100)],
        help_text=_(
            "0-100: how much of the user's face shape (outline, where the eyes, nose and "
            "mouth sit) replaces the template's. The page's slider starts here; the API uses it."
        ),
    )
    features_degree = models.PositiveSmallIntegerField(
        _("features degree"),
        default=DEFAULT_DEGREE,
        validators=[MaxValueValidator(100)],
        help_text=_(
            "0-100: how much of the user's eyes, nose, mouth and skin replace the template's."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    replace_faces = models.CharField(
        _("faces to replace"),
        max_length=100,
        default="all",
        help_text=_(
            "“all”, or the numbers of the faces to replace, e.g. 0,2 (see the preview; "
            "0 is the largest face)."
        ),
    )
    faces = models.JSONField(
        _("faces"),
        default=dict,
        editable=False,
        help_text=_("The faces found when the photo was saved (TemplateFaces.to_dict())."),
    )
    face_count = models.PositiveSmallIntegerField(_("faces found"), default=0, editable=False)
    width = models.PositiveIntegerField(_("width"), default=0, editable=False)
    height = models.PositiveIntegerField(_("height"), default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = FusionTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["project__name", "name", "model_id"]
        verbose_name = _("fusion template")
        verbose_name_plural = _("fusion templates")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "model_id"], name="fusion_template_model_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.model_id

    def get_absolute_url(self) -> str:
        return reverse("fusion:template", args=[self.project.project_id, self.model_id])

    @property
    def has_faces(self) -> bool:
        """Whether the stored faces give the user's face somewhere to go."""
        return (
            bool(self.faces) and not self.faces.get("reasons") and bool(self.faces.get("replace"))
        )

    @property
    def replaced(self) -> list[int]:
        return list(self.faces.get("replace", [])) if self.faces else []

    def template_faces(self) -> TemplateFaces:
        return TemplateFaces.from_dict(self.faces)

    def face_boxes(self) -> list[dict[str, Any]]:
        """Return each face found: its number, box and whether it is replaced."""
        replaced = set(self.replaced)
        return [
            {"number": i, "box": face["box"], "replaced": i in replaced}
            for i, face in enumerate(self.faces.get("faces", []) if self.faces else [])
        ]

    def job_params(self, *, shape: int, features: int) -> dict[str, Any]:
        """Return a fusion job's parameters: this template and the degrees, as plain data."""
        return {
            "template": self.pk,
            "project_id": self.project.project_id,
            "model_id": self.model_id,
            "shape": shape,
            "features": features,
            "mark": self.project.ai_mark,
        }

    def use(self, prepared: PreparedTemplate, *, new_photo: bool) -> None:
        """Take the faces of `prepared` and, for a new photo, its clean JPEG and thumbnail.

        Writes the files at once (not the row); the old files are deleted.
        """
        self.faces = prepared.faces.to_dict()
        self.face_count = len(prepared.faces.boxes)
        self.width, self.height = prepared.faces.width, prepared.faces.height
        if new_photo:
            old = [f.name for f in (self.image, self.thumbnail) if f]
            self.image.save("template.jpg", ContentFile(prepared.jpeg), save=False)
            self.thumbnail.save("thumbnail.jpg", ContentFile(prepared.thumbnail), save=False)
            for name in old:
                self.image.storage.delete(name)

    def read_image(self) -> bytes:
        with self.image.open("rb") as f:
            return f.read()

    def delete_files(self) -> None:
        for field in (self.image, self.thumbnail):
            if field:
                field.delete(save=False)

    def delete_with_files(self) -> None:
        self.delete_files()
        self.delete()
