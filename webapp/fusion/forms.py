from __future__ import annotations

import base64
import binascii
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from webapp.core.forms import PhotoField

from .models import FusionTemplate
from .preparation import PreparedTemplate, format_faces, parse_faces, prepare_photo


class FusionTemplateForm(forms.ModelForm):
    """A template as the admin and the `fusion` command save it: the photo's faces found once."""

    photo = PhotoField(
        label=_("Template photo"),
        required=False,
        help_text=_(
            "JPEG, PNG, WebP or BMP with at least one clear face. It is stored upright, "
            "without its metadata; leave empty to keep the current photo."
        ),
    )

    class Meta:
        model = FusionTemplate
        fields = [
            "project",
            "model_id",
            "name",
            "photo",
            "replace_faces",
            "shape_degree",
            "features_degree",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prepared: PreparedTemplate | None = None

    def clean_replace_faces(self) -> str:
        return format_faces(parse_faces(self.cleaned_data["replace_faces"]))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        photo = cleaned.get("photo")
        if not photo and not self.instance.image:
            self.add_error(
                "photo", forms.ValidationError(_("Choose the template photo."), code="required")
            )
        elif not self.errors and (
            photo or "replace_faces" in self.changed_data or not self.instance.faces
        ):
            # The faces are found here, once; requests only read what is stored.
            content = photo.content if photo else self.instance.read_image()
            try:
                self.prepared = prepare_photo(content, faces=parse_faces(cleaned["replace_faces"]))
            except forms.ValidationError as error:
                self.add_error("photo" if photo else "replace_faces", error)
        return cleaned

    def save(self, commit: bool = True) -> FusionTemplate:
        template = super().save(commit=False)
        if self.prepared is not None:
            template.use(self.prepared, new_photo=bool(self.cleaned_data.get("photo")))
        if commit:
            template.save()
            self._save_m2m()
        return template


class DegreeField(forms.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.NumberInput(attrs={"type": "range", "step": 1}))
        super().__init__(min_value=0, max_value=100, **kwargs)


class FusionApiForm(forms.Form):
    """The JSON fields of `POST /fuseapi/face`, in Tencent's face-fusion order."""

    appid = forms.CharField(max_length=20)
    uin = forms.CharField(max_length=64)
    project_id = forms.CharField(max_length=64)
    model_id = forms.CharField(max_length=64)
    img_data = forms.CharField()
    rsp_img_type = forms.ChoiceField(
        choices=[("url", "url"), ("base64", "base64")],
        error_messages={"invalid_choice": "use url or base64"},
    )
    # Not in Tencent's face-fusion format: the degrees of Tencent's later FuseFace API
    # (0-100); default: the template's.
    fuse_profile_degree = forms.IntegerField(min_value=0, max_value=100, required=False)
    fuse_face_degree = forms.IntegerField(min_value=0, max_value=100, required=False)

    error_messages = {
        "data_url": "send the base64 data alone, without a 'data:...;base64,' header",
        "not_base64": "it is not base64 data",
    }

    def clean_img_data(self) -> bytes:
        text = self.cleaned_data["img_data"]
        if text.startswith("data:"):
            raise forms.ValidationError(self.error_messages["data_url"], code="data_url")
        try:
            # Line breaks, as some encoders write every 76 characters, are allowed.
            return base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise forms.ValidationError(
                self.error_messages["not_base64"], code="not_base64"
            ) from exc

    def first_error(self) -> tuple[str, dict[str, str]]:
        """Return the wire error for the first invalid field: missing (-6) or invalid (-1000)."""
        field, errors = next(iter(self.errors.as_data().items()))
        error = errors[0]
        if error.code == "required":
            return "missing_field", {"field": field}
        reason = " ".join(error.messages).rstrip(".")
        return "bad_field", {"field": field, "reason": reason[:1].lower() + reason[1:]}

    def degrees(self, template: FusionTemplate) -> dict[str, int]:
        shape, features = (
            self.cleaned_data["fuse_profile_degree"],
            self.cleaned_data["fuse_face_degree"],
        )
        return {
            "shape": template.shape_degree if shape is None else shape,
            "features": template.features_degree if features is None else features,
        }
