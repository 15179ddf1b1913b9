"""What every benchmark prints and uses: the machine, the photos, the verdicts."""

from __future__ import annotations

import os
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


def machine_line() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def photo_path(name: str) -> Path:
    return DATA / "faces" / name


def verdict(value: float, target: float) -> str:
    """Say how a measured value compares with its target (lower is better)."""
    return f"(target <= {target:g}: {'met' if value <= target else 'MISSED'})"


def verdict_at_least(value: float, target: float) -> str:
    """Say how a measured value compares with its target (higher is better)."""
    return f"(target >= {target:g}: {'met' if value >= target else 'MISSED'})"


#: Phone photos for the benchmarks, made from the test photos at run time (nothing
#: large is committed): (source, upright size, EXIF orientation). A phone held
#: upright stores its picture turned, with orientation 6 telling viewers to turn it.
PHONE_PHOTOS = {
    "12 MP portrait": ("obama.jpg", (3024, 4032), 6),
    "40 MP portrait": ("obama.jpg", (5472, 7296), 6),
    "12 MP group photo": ("two_people.jpg", (4520, 2653), 1),
}


def phone_jpeg(kind: str, *, quality: int = 90, seed: int = 0) -> bytes:
    """One of :data:`PHONE_PHOTOS` as a phone would save it: enlarged, a little sensor grain, EXIF.

    The photo is cropped to the size's aspect ratio, enlarged (bicubic), given
    a faint noise (a phone's sensor: without it the JPEG would be unrealistically
    small and quick to decode), turned as stored and saved with the orientation
    tag, a camera make and a GPS position.
    """
    import io

    import numpy as np
    from PIL import Image

    name, (width, height), orientation = PHONE_PHOTOS[kind]
    with Image.open(photo_path(name)) as im:
        photo = im.convert("RGB")
    aspect = width / height
    if photo.width / photo.height > aspect:
        crop = round(photo.height * aspect)
        left = (photo.width - crop) // 2
        photo = photo.crop((left, 0, left + crop, photo.height))
    else:
        crop = round(photo.width / aspect)
        top = (photo.height - crop) // 2
        photo = photo.crop((0, top, photo.width, top + crop))
    big = np.asarray(photo.resize((width, height), Image.Resampling.BICUBIC), dtype=np.int16)
    grain = np.random.default_rng(seed).integers(-3, 4, size=big.shape[:2], dtype=np.int16)
    big = np.clip(big + grain[:, :, None], 0, 255).astype(np.uint8)
    image = Image.fromarray(big)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825)[2] = (48.0, 51.0, 24.0)
    if orientation == 6:
        image = image.transpose(Image.Transpose.ROTATE_90)
        exif[0x0112] = 6
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality, exif=exif)
    return buf.getvalue()
