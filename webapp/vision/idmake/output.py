"""Photo files: ``encode_photo`` (JPEG or PNG, DPI in the file, a KB range).

Offices ask for a file "of 30 to 80 KB" as often as for a pixel size. The
range is met by choosing the JPEG quality, never by padding the file with
bytes (a padded file is the same picture with junk after its end, and some
upload checks reject it). When no quality meets the range, the closest file is
returned with ``kb_met=False`` so the caller can say why.

A kilobyte is 1024 bytes here, as in HivisionIDPhotos and in the size a file
manager shows.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from webapp.vision.errors import check_image

#: Formats :func:`encode_photo` writes, by the names it accepts.
FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG"}
#: The JPEG qualities searched for a KB range. Up to 95 the colour is
#: subsampled 4:2:0 (Pillow's default); 96-100 keep full colour (4:4:4) at
#: that quality: larger files, honestly larger, for a range whose minimum a
#: plain-background photo does not reach at 95.
MIN_QUALITY = 1
MAX_QUALITY = 100
SUBSAMPLED_MAX = 95
#: The quality used when no KB range is asked.
DEFAULT_QUALITY = 92
KB = 1024

KbRange = tuple[float | None, float | None]


@dataclass(frozen=True)
class EncodedPhoto:
    """A photo file and what it took to make it.

    Attributes
    ----------
    data : bytes
        The file.
    format : str
        ``"jpg"`` or ``"png"``.
    quality : int or None
        The JPEG quality used; None for PNG.
    size_kb : float
        ``len(data) / 1024``.
    kb_met : bool
        Whether the file's size is inside the asked KB range (True when no
        range was asked).
    """

    data: bytes
    format: str
    quality: int | None
    size_kb: float
    kb_met: bool


def encode_photo(
    image: NDArray[np.uint8],
    *,
    format: str = "jpg",  # noqa: A002 - the field's name in every API that asks for it
    dpi: int | None = None,
    kb: KbRange | None = None,
) -> EncodedPhoto:
    """Encode an RGB photo as a JPEG or PNG file with no metadata.

    Parameters
    ----------
    image : ndarray of shape (H, W, 3) and dtype uint8
        RGB pixels. Not modified.
    format : {"jpg", "jpeg", "png"}
        The file format.
    dpi : int, optional
        Written into the file (JFIF density for JPEG, pHYs for PNG) so a
        print shop prints it at its size in millimetres.
    kb : (min_kb, max_kb), optional
        The accepted file size in KB (1024 bytes); either end may be None.
        For JPEG the highest quality (1-100) inside the range is chosen by
        binary search. PNG is lossless: its size is reported, not changed.

    Returns
    -------
    EncodedPhoto
        When the range cannot be met, the closest file with ``kb_met=False``.

    Raises
    ------
    ValueError
        On an unknown format, a DPI outside 1-10000 or an empty KB range.
    """
    check_image(image)
    fmt = _format(format)
    if dpi is not None and not (isinstance(dpi, int | np.integer) and 1 <= dpi <= 10_000):
        raise ValueError(f"The DPI must be a whole number from 1 to 10000, not {dpi!r}.")
    low, high = _kb_range(kb)
    picture = Image.fromarray(np.ascontiguousarray(image), "RGB")
    if fmt == "png":
        data = _save(picture, "png", None, dpi)
        return _result(data, "png", None, low, high)
    if low is None and high is None:
        return _result(
            _save(picture, "jpg", DEFAULT_QUALITY, dpi), "jpg", DEFAULT_QUALITY, None, None
        )
    return _search_quality(picture, dpi, low, high)


def resize_to_kb(image: NDArray[np.uint8], kb: float, *, dpi: int | None = 300) -> EncodedPhoto:
    """HivisionIDPhotos' ``/set_kb``: the best JPEG of at most ``kb`` KB.

    Hivision lowers the quality until the file is small enough, then pads
    the file with zero bytes up to exactly ``kb``; here the file is never
    padded, so it is at most ``kb`` KB and as good as that allows.
    ``kb_met`` is False when even the lowest quality is larger.
    """
    return encode_photo(image, format="jpg", dpi=dpi, kb=(None, kb))


def _format(name: str) -> str:
    key = str(name).strip().lower().lstrip(".")
    if key not in FORMATS:
        raise ValueError(f"Unknown photo format {name!r}: use jpg or png.")
    return "png" if key == "png" else "jpg"


def _kb_range(kb: KbRange | None) -> tuple[float | None, float | None]:
    if kb is None:
        return None, None
    try:
        low, high = kb
    except (TypeError, ValueError):
        raise ValueError(f"A KB range is (min_kb, max_kb), not {kb!r}.") from None
    for value in (low, high):
        if value is not None and not (isinstance(value, int | float) and value > 0):
            raise ValueError(f"A KB limit must be a positive number, not {value!r}.")
    if low is not None and high is not None and low > high:
        raise ValueError(f"The KB range {low}-{high} is empty: its minimum is above its maximum.")
    return low, high


def _save(picture: Image.Image, fmt: str, quality: int | None, dpi: int | None) -> bytes:
    buffer = io.BytesIO()
    options: dict[str, object] = {}
    if dpi is not None:
        options["dpi"] = (dpi, dpi)
    if fmt == "png":
        picture.save(buffer, "PNG", optimize=False, **options)
    else:
        subsampling = 0 if quality is not None and quality > SUBSAMPLED_MAX else 2
        picture.save(
            buffer, "JPEG", quality=quality, optimize=True, subsampling=subsampling, **options
        )
    return buffer.getvalue()


def _inside(size: int, low: float | None, high: float | None) -> bool:
    return (low is None or size >= low * KB) and (high is None or size <= high * KB)


def _result(
    data: bytes, fmt: str, quality: int | None, low: float | None, high: float | None
) -> EncodedPhoto:
    return EncodedPhoto(data, fmt, quality, len(data) / KB, _inside(len(data), low, high))


def _search_quality(
    picture: Image.Image, dpi: int | None, low: float | None, high: float | None
) -> EncodedPhoto:
    """The highest quality whose file fits under ``high``, then checked against ``low``."""
    made: dict[int, bytes] = {}

    def encode(quality: int) -> bytes:
        if quality not in made:
            made[quality] = _save(picture, "jpg", quality, dpi)
        return made[quality]

    if high is None:
        best = MAX_QUALITY
    else:
        lo, hi = MIN_QUALITY, MAX_QUALITY
        best = None
        while lo <= hi:
            mid = (lo + hi) // 2
            if len(encode(mid)) <= high * KB:
                best, lo = mid, mid + 1
            else:
                hi = mid - 1
        if best is None:
            # Even the lowest quality is too large: the smallest file, reported.
            best = min(made, key=lambda q: len(made[q]))
    # With ``best`` the highest quality under the maximum, a file under the
    # minimum cannot grow inside the range: it is the closest, reported.
    return _result(encode(best), "jpg", best, low, high)
