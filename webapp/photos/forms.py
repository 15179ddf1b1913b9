from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from webapp import vision
from webapp.wire.codes import error_message

from .limits import max_upload_bytes, photo_limits

# The extensions each format may carry; a PNG named .jpg is refused.
FORMAT_EXTENSIONS = {
    "JPEG": {".jpg", ".jpeg", ".jpe", ".jfif"},
    "PNG": {".png"},
    "WEBP": {".webp"},
    "BMP": {".bmp", ".dib"},
}
ACCEPT = ",".join(sorted({ext for exts in FORMAT_EXTENSIONS.values() for ext in exts}))


class PhotoField(forms.FileField):
    """An uploaded photo checked from its header only: size, format, pixels, extension."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault(
            "help_text",
            f"JPEG, PNG, WebP or BMP, up to {settings.MAX_UPLOAD_MB} MB and "
            f"{settings.MAX_IMAGE_PIXELS // 1_000_000} megapixels.",
        )
        super().__init__(**kwargs)
        self.widget.attrs["accept"] = ACCEPT

    def to_python(self, data: UploadedFile | None) -> UploadedFile | None:
        upload = super().to_python(data)
        if upload is None:
            return None
        if upload.size > max_upload_bytes():
            raise self._error("too_large_bytes", size=upload.size, limit=max_upload_bytes())
        content = upload.read()
        upload.seek(0)
        try:
            info = vision.probe_image(
                content,
                **photo_limits(),
            )
        except vision.ImageError as exc:
            raise self._error(exc.code, **exc.params) from exc
        extension = PurePath(upload.name or "").suffix.lower()
        if extension not in FORMAT_EXTENSIONS[info.format]:
            raise forms.ValidationError(
                f"This file is a {info.format} image but its name ends in "
                f"'{extension or 'nothing'}'. Rename it or export it again.",
                code="extension_mismatch",
            )
        upload.image_info = info
        upload.content = content
        return upload

    def _error(self, code: str, **params: object) -> forms.ValidationError:
        return forms.ValidationError(error_message(code, **params), code=code)


class UploadForm(forms.Form):
    photo = PhotoField(label="Photo")
    kind = forms.ChoiceField(
        label="What to find",
        choices=[
            (
                "face_shape",
                "88 points: eyebrows, eyes, nose, mouth and face outline, for every face",
            ),
            (
                "dense",
                "Dense: about 850 named points of the largest face along 12 lines, hairline included",
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
        label="Faces (88 points)",
        choices=[(0, "Every face"), (1, "The largest face only")],
        coerce=int,
        initial=0,
        widget=forms.RadioSelect,
    )


def _spec_choices() -> list[tuple[str, str]]:
    from webapp.vision.idphoto import SPECS

    return [("", "Seed thresholds (the cloud service's own rules, no specification)")] + [
        (spec.name, f"{spec.title_en} · {spec.title}") for spec in SPECS.values()
    ]


class IdPhotoForm(forms.Form):
    """An ID photo to check, and the specification to check it against (or none)."""

    photo = PhotoField(label="Photo")
    spec = forms.ChoiceField(
        label="Check against", choices=_spec_choices, required=False, initial=""
    )

    def clean_photo(self) -> UploadedFile:
        from webapp.vision.idphoto import MAX_SIDE

        upload = self.cleaned_data["photo"]
        width, height = upload.image_info.width, upload.image_info.height
        if max(width, height) > MAX_SIDE:
            raise forms.ValidationError(
                f"This photo is {width}x{height} pixels; an ID photo may be at most {MAX_SIDE} "
                "pixels a side. Make it smaller and upload it again.",
                code="too_large_side",
            )
        return upload

    def job_params(self) -> dict[str, object]:
        return {"spec": self.cleaned_data["spec"] or None}
