"""Exceptions raised by the vision engine.

Two kinds of error exist. :class:`ImageError` is about the *input file*: a
person uploaded something the engine refuses (empty, too big, not an image,
damaged...). It carries a short ``code`` and the numbers a message needs in
``params``; the web layer turns both into words. :class:`InvalidImageError`
is a programming error: an array of the wrong dtype or shape was passed to an
engine function.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

#: Every code :class:`ImageError` can carry, with the names of its params.
IMAGE_ERROR_CODES: Mapping[str, tuple[str, ...]] = {
    "empty": (),
    "too_large_bytes": ("size", "limit"),
    "not_image": (),
    "unsupported_format": ("format",),
    "animated": ("frames",),
    "too_many_pixels": ("width", "height", "limit"),
    "too_small": ("width", "height", "min_side"),
    "damaged": (),
}

_MESSAGES: Mapping[str, str] = {
    "empty": "The file is empty.",
    "too_large_bytes": "The file is {size} bytes; the limit is {limit} bytes.",
    "not_image": "The file is not an image.",
    "unsupported_format": "{format} images are not supported; use JPEG, PNG, WebP or BMP.",
    "animated": "The image is animated ({frames} frames); use a still image.",
    "too_many_pixels": "The image is {width}x{height} pixels; the limit is {limit} pixels.",
    "too_small": "The image is {width}x{height} pixels; each side must be at least {min_side}.",
    "damaged": "The image is damaged or truncated.",
}


class ImageError(ValueError):
    """An uploaded file the engine refuses.

    Parameters
    ----------
    code : str
        One of the keys of ``IMAGE_ERROR_CODES``.
    **params
        The values the message needs (numbers, or the format name).

    Attributes
    ----------
    code : str
        Machine-readable reason, e.g. ``"too_small"``.
    params : dict
        E.g. ``{"width": 1, "height": 1, "min_side": 32}``.
    """

    def __init__(self, code: str, **params: Any) -> None:
        if code not in IMAGE_ERROR_CODES:
            raise ValueError(f"unknown ImageError code {code!r}")
        self.code = code
        self.params = dict(params)
        super().__init__(_MESSAGES[code].format(**params))

    def __repr__(self) -> str:
        return f"ImageError({self.code!r}, **{self.params!r})"


class InvalidImageError(ValueError):
    """An engine function got an array that is not an RGB uint8 image."""


def check_image(image: Any, name: str = "image") -> None:
    """Raise :class:`InvalidImageError` unless ``image`` is an (H, W, 3) uint8 array.

    Parameters
    ----------
    image : object
        The value to check.
    name : str, optional
        The parameter name used in the message.

    Raises
    ------
    InvalidImageError
        If ``image`` is not a numpy array of shape (H, W, 3) and dtype uint8,
        or if it has no pixels.
    """
    if (
        not isinstance(image, np.ndarray)
        or image.dtype != np.uint8
        or image.ndim != 3
        or image.shape[2] != 3
        or image.shape[0] == 0
        or image.shape[1] == 0
    ):
        raise InvalidImageError(
            f"The parameter `{name}` must be a 3-dimensional array of shape (H, W, 3) "
            "and dtype uint8"
        )
