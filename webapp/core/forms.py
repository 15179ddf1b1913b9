"""The photo upload field every form shares: checked from the file's header, never decoded."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from webapp import vision

from .limits import max_upload_bytes, photo_limits
from .messages import photo_error

# Each format's usual extensions, and the one a stored upload gets. The format is read from
# the file's content: its name does not count (a PNG named .jpg is a PNG).
FORMAT_EXTENSIONS = {
    "JPEG": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "PNG": (".png",),
    "WEBP": (".webp",),
    "BMP": (".bmp", ".dib"),
}
ACCEPT = ",".join(
    ["image/jpeg", "image/png", "image/webp", "image/bmp"]
    + sorted({ext for exts in FORMAT_EXTENSIONS.values() for ext in exts})
)


def format_suffix(image_format: str) -> str:
    """The extension a photo of `image_format` (as vision.probe_image names it) is stored under."""
    return FORMAT_EXTENSIONS[image_format][0]


class PhotoField(forms.FileField):
    """An uploaded photo checked from its header only: size, format, pixels (never its name)."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault(
            "help_text",
            format_lazy(
                _("JPEG, PNG, WebP or BMP, up to {mb} MB and {megapixels} megapixels."),
                mb=settings.MAX_UPLOAD_MB,
                megapixels=settings.MAX_IMAGE_PIXELS // 1_000_000,
            ),
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
        upload.image_info = info
        upload.content = content
        return upload

    def _error(self, code: str, **params: object) -> forms.ValidationError:
        return forms.ValidationError(photo_error(code, **params), code=code)
