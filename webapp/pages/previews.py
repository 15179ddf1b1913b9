"""Small JPEGs of a result: the lists' thumbnails and the share link's preview image."""

from __future__ import annotations

import io

from PIL import Image, ImageOps

from webapp.photos.models import Job

#: The longest side of a list's thumbnail, and of a link preview (Open Graph image).
THUMBNAIL_SIDE = 160
PREVIEW_SIDE = 800


def best_picture(job: Job) -> object | None:
    """The file that shows the result best: the fused image, the drawing, else the clean photo."""
    if job.result_image:
        return job.result_image
    if job.overlay:
        return job.overlay
    if job.photo.cleaned and job.photo.file:
        return job.photo.file
    return None


def small_jpeg(field: object, side: int) -> bytes:
    """Return the image of `field` scaled to fit `side` pixels, as a JPEG without metadata."""
    with field.open("rb") as handle:  # type: ignore[attr-defined]
        with Image.open(handle) as im:
            im.draft("RGB", (side, side))  # JPEGs decode at a fraction of their size
            # A clean phone photo may keep its EXIF orientation (stored turned).
            picture = ImageOps.exif_transpose(im.convert("RGB"))
    picture.thumbnail((side, side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=82, optimize=True)
    return buffer.getvalue()
