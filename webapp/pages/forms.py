"""The upload forms of the pages: a photo and each service's options."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from webapp.core.forms import PhotoField
from webapp.core.messages import photo_error
from webapp.fusion.forms import DegreeField
from webapp.fusion.models import FusionTemplate

#: What an upload form says when its visitor ("session"), or everyone at the visitor's
#: address ("address"), already has this many photos waiting (PAGE_JOBS_PER_*).
TOO_MANY_WAITING = {
    "session": _(
        "You already have as many photos waiting as a visitor may ({limit}). "
        "When one of them is done, upload this one again."
    ),
    "address": _(
        "Your network already has as many photos waiting as it may ({limit}). "
        "Please try again in a minute."
    ),
}


class UploadForm(forms.Form):
    photo = PhotoField(label=_("Photo"))
    kind = forms.ChoiceField(
        label=_("What to find"),
        choices=[
            (
                "face_shape",
                _("88 points: eyebrows, eyes, nose, mouth and face outline, for every face"),
            ),
            (
                "dense",
                _(
                    "Dense: about 850 named points of the largest face along 12 lines, "
                    "hairline included"
                ),
            ),
        ],
        initial="face_shape",
        widget=forms.RadioSelect,
    )

    def job_params(self) -> dict[str, object]:
        """Return the job's parameters for the chosen service."""
        if self.cleaned_data["kind"] == "face_shape":
            return {"mode": self.cleaned_data["mode"]}
        return {}

    mode = forms.TypedChoiceField(
        label=_("Faces (88 points)"),
        choices=[(0, _("Every face")), (1, _("The largest face only"))],
        coerce=int,
        initial=0,
        widget=forms.RadioSelect,
    )


def _spec_choices() -> list[tuple[str, str]]:
    from webapp.vision.idphoto import SPECS

    chinese = get_language().startswith("zh")
    return [("", _("The ID-photo check service rules (no specification)"))] + [
        (spec.name, spec.title if chinese else f"{spec.title_en} · {spec.title}")
        for spec in SPECS.values()
    ]


class IdPhotoForm(forms.Form):
    """An ID photo to check, and the specification to check it against (or none)."""

    photo = PhotoField(label=_("Photo"))
    spec = forms.ChoiceField(
        label=_("Check against"), choices=_spec_choices, required=False, initial=""
    )

    def clean_photo(self) -> UploadedFile:
        """A photo larger than an ID photo may be is scaled down to MAX_SIDE, not refused."""
        from webapp import vision
        from webapp.core.limits import photo_limits
        from webapp.vision.idphoto import MAX_SIDE

        upload = self.cleaned_data["photo"]
        width, height = upload.image_info.width, upload.image_info.height
        if max(width, height) > MAX_SIDE:
            try:
                upload.content = vision.scale_down(upload.content, MAX_SIDE)
                upload.image_info = vision.probe_image(upload.content, **photo_limits())
            except vision.ImageError as exc:
                raise forms.ValidationError(photo_error(exc.code, **exc.params)) from exc
            self.scaled_from = (width, height)
        return upload

    scaled_from: tuple[int, int] | None = None

    def job_params(self) -> dict[str, object]:
        params: dict[str, object] = {"spec": self.cleaned_data["spec"] or None}
        if self.scaled_from:
            params["scaled_from"] = list(self.scaled_from)
        return params


class FusionUploadForm(forms.Form):
    """The page's form: the visitor's photo and the two degrees, prefilled with the template's."""

    photo = PhotoField(label=_("Your photo"))
    shape = DegreeField(
        label=_("Face shape"), help_text=_("0 keeps the template's face outline, 100 takes yours.")
    )
    features = DegreeField(
        label=_("Features"),
        help_text=_("0 keeps the template's eyes, nose and mouth, 100 takes yours."),
    )

    def __init__(self, *args: Any, template: FusionTemplate, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {"shape": template.shape_degree, "features": template.features_degree}
        )
        super().__init__(*args, **kwargs)
        self.template = template

    def job_params(self) -> dict[str, Any]:
        return self.template.job_params(
            shape=self.cleaned_data["shape"], features=self.cleaned_data["features"]
        )
