"""Fixtures for the engine's tests: real photos from tests/data, no Django."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from webapp.vision import load_image

DATA = Path(__file__).resolve().parent.parent / "data"


@cache
def _photo(name: str) -> NDArray[np.uint8]:
    path = DATA / name
    if path.suffix == ".ppm":  # the engine refuses PPM; the ground-truth set has one
        with Image.open(path) as im:
            image = np.array(im.convert("RGB"))
    else:
        image = load_image(path)
    image.flags.writeable = False  # shared between tests: nobody may change it
    return image


@pytest.fixture
def photo() -> Callable[[str], NDArray[np.uint8]]:
    """Load a photo from tests/data by relative name, e.g. ``photo("faces/astronaut.png")``."""
    return _photo


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def make_image_bytes() -> Callable[..., bytes]:
    """Real image bytes made with Pillow.

    ``make_image_bytes(size=, color=, fmt=, mode=, **save)``: unlike the root
    conftest's ``image_bytes`` it also takes a mode and save options.
    """

    def make(
        size: tuple[int, int] = (64, 48),
        color: object = (200, 100, 50),
        fmt: str = "PNG",
        mode: str = "RGB",
        **save: object,
    ) -> bytes:
        buf = io.BytesIO()
        Image.new(mode, size, color).save(buf, fmt, **save)
        return buf.getvalue()

    return make
