"""Colour, light, masks and the visible mark of face fusion.

Colour work happens in CIE Lab (OpenCV's float convention: L 0-100, a and b
about -128 to 127) on float32 arrays; images come in and go out as RGB.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

FloatImage = NDArray[np.float32]

#: Limits on how much the user's contrast may be stretched or squeezed to
#: match the template's: beyond them noise or flat (greyscale) photos blow up.
CONTRAST_RATIO = (0.7, 1.4)
#: Smallest standard deviations assumed for the skin model (L, a, b): a
#: greyscale photo has none in a and b.
SKIN_MIN_STD = (6.0, 3.0, 3.0)
#: Squared Mahalanobis distance below which a pixel counts as skin.
SKIN_MAX_DISTANCE = 12.0
#: Scale of the finest detail (grain) compared between the faces, in pixels,
#: and the blur that gives added noise a grain of about the same size.
GRAIN_SIGMA = 1.0
GRAIN_SIZE = 0.5
#: Grain is added only when the template's is stronger than this factor
#: times the user's face's; and always from the same seed.
GRAIN_TOLERANCE = 1.1
GRAIN_SEED = 0


def rgb_to_lab(image: NDArray) -> FloatImage:
    """Return the Lab version of an RGB image (uint8 or float 0-255)."""
    return cv2.cvtColor(np.asarray(image, np.float32) / 255.0, cv2.COLOR_RGB2LAB)


def lab_to_rgb(lab: FloatImage) -> FloatImage:
    """Return the RGB (float 0-255, not clipped) version of a Lab image."""
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB) * 255.0


def skin_mask(
    lab: FloatImage, samples: NDArray, *, radius: int, region: tuple[slice, slice]
) -> NDArray[np.bool_]:
    """Return which pixels of ``region`` have a colour close to the skin around ``samples``.

    Parameters
    ----------
    lab : ndarray of shape (H, W, 3) and dtype float32
        The image in Lab.
    samples : ndarray of shape (k, 2)
        Pixel positions (x, y) known to be skin, e.g. the middle of the cheeks.
    radius : int
        Half the side of the square patch read around each sample.
    region : tuple of slice
        The rows and columns of ``lab`` to classify.

    Returns
    -------
    ndarray of dtype bool, the shape of ``lab[region]``
        True where the squared Mahalanobis distance to the samples' colour
        distribution is below :data:`SKIN_MAX_DISTANCE`.
    """
    patches = []
    for x, y in np.round(samples).astype(int):
        patch = lab[max(y - radius, 0) : y + radius + 1, max(x - radius, 0) : x + radius + 1]
        patches.append(patch.reshape(-1, 3))
    pixels = np.concatenate(patches) if patches else np.zeros((0, 3), np.float32)
    part = lab[region]
    if len(pixels) < 8:
        return np.ones(part.shape[:2], bool)
    cov = np.cov(pixels.T) + np.diag(np.square(SKIN_MIN_STD))
    diff = part.reshape(-1, 3) - pixels.mean(axis=0).astype(np.float32)
    distance = ((diff @ np.linalg.inv(cov).astype(np.float32)) * diff).sum(axis=1)
    return (distance < SKIN_MAX_DISTANCE).reshape(part.shape[:2])


def weighted_stats(lab: FloatImage, weight: FloatImage) -> tuple[NDArray, NDArray]:
    """Return the per-channel mean and standard deviation under ``weight``."""
    total = max(float(weight.sum()), 1e-6)
    mean = np.einsum("ijc,ij->c", lab, weight) / total
    var = np.einsum("ijc,ij->c", np.square(lab - mean), weight) / total
    return mean, np.sqrt(np.maximum(var, 1e-6))


def match_light(
    user: FloatImage, template: FloatImage, weight: FloatImage, *, sigma: float
) -> FloatImage:
    """Return ``user`` (Lab) with the light and skin colour of ``template`` under ``weight``.

    Each image splits into its low frequencies (a Gaussian blur of ``sigma``
    restricted to ``weight`` by normalised convolution, so the background
    does not leak in) and the details above them. The result is the
    template's low frequencies (its shading and the slow changes of its skin
    colour) plus the user's details (eyes, brows, lips, wrinkles), whose
    contrast is scaled per channel towards the template's within
    :data:`CONTRAST_RATIO`.
    """
    blur_w = np.maximum(low_pass(weight, sigma=sigma), 1e-3)[..., None]
    mask = weight[..., None]
    low_u = low_pass(user * mask, sigma=sigma) / blur_w
    low_t = low_pass(template * mask, sigma=sigma) / blur_w
    detail_u, detail_t = user - low_u, template - low_t
    _, std_u = weighted_stats(detail_u, weight)
    _, std_t = weighted_stats(detail_t, weight)
    ratio = np.clip(std_t / std_u, *CONTRAST_RATIO).astype(np.float32)
    return (low_t + detail_u * ratio).astype(np.float32)


def grain(lightness: FloatImage, weight: FloatImage) -> float:
    """Return how strong the finest detail (grain, noise) of ``lightness`` is under ``weight``.

    A robust standard deviation (from the median absolute deviation, so
    that the few strong edges of eyes and lips do not count) of what a blur
    of :data:`GRAIN_SIGMA` removes, over the pixels where ``weight`` > 0.5.
    """
    fine = lightness - _blur(lightness, GRAIN_SIGMA)
    values = fine[weight > 0.5]
    if values.size < 16:
        return 0.0
    return float(1.4826 * np.median(np.abs(values - np.median(values))))


def match_grain(lab: FloatImage, template: FloatImage, weight: FloatImage) -> FloatImage:
    """Return ``lab`` with grain added up to the template's under ``weight``.

    A face warped from a sharper, cleaner or smaller photo is smoother at the
    finest scale than the template around it, which shows as a change of
    texture at the mask's edge. The missing grain (:func:`grain`) is added to
    the lightness as Gaussian noise of the same fine scale, from a fixed seed
    so that the same inputs give the same result.
    """
    wanted, has = grain(template[..., 0], weight), grain(lab[..., 0], weight)
    if wanted <= has * GRAIN_TOLERANCE:
        return lab
    noise = np.random.default_rng(GRAIN_SEED).standard_normal(lab.shape[:2], dtype=np.float32)
    noise = _blur(noise, GRAIN_SIZE)
    level = grain(noise, np.ones_like(noise))
    out = lab.copy()
    out[..., 0] += noise * np.float32(np.sqrt(wanted**2 - has**2) / max(level, 1e-6))
    return out


def feather(mask: NDArray[np.bool_], *, sigma: float) -> FloatImage:
    """Return a soft version of ``mask`` that reaches 0 inside its edge.

    The mask is eroded by twice ``sigma`` and blurred with a Gaussian of
    ``sigma``, so the weight falls to about 0 at the original edge and never
    reaches beyond it.
    """
    radius = max(int(round(2 * sigma)), 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    core = cv2.erode(mask.astype(np.uint8), kernel).astype(np.float32)
    soft = _blur(core, sigma)
    return np.where(mask, soft, 0.0).astype(np.float32)


def low_pass(image: FloatImage, *, sigma: float) -> FloatImage:
    """Return a Gaussian blur of ``sigma`` pixels, computed at a reduced size.

    What survives a wide blur varies slowly, so the image is shrunk until the
    blur is about 3 pixels wide there, blurred, and enlarged back: the same
    result within a fraction of a grey level, at a fraction of the cost.
    """
    height, width = image.shape[:2]
    factor = max(1, min(int(sigma / 3), height // 4, width // 4))
    if factor == 1:
        return _blur(image, sigma)
    small = cv2.resize(
        image, (-(-width // factor), -(-height // factor)), interpolation=cv2.INTER_AREA
    )
    # INTER_AREA already averaged over factor-sized cells (variance factor**2 / 12).
    small_sigma = np.sqrt(max(sigma**2 - factor**2 / 12, 0.25)) / factor
    small = _blur(small, small_sigma)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def _blur(image: FloatImage, sigma: float) -> FloatImage:
    return cv2.GaussianBlur(image, (0, 0), sigmaX=max(sigma, 0.5), borderType=cv2.BORDER_REFLECT)


def draw_mark(image: NDArray[np.uint8], text: str) -> tuple[NDArray[np.uint8], tuple[int, ...]]:
    """Return a copy of ``image`` with ``text`` in its bottom-right corner, and the box.

    White text on a translucent dark label, 2.5% of the shorter side high
    (never under 12 pixels), so it stays readable on any background.

    Returns
    -------
    marked : ndarray of shape (H, W, 3) and dtype uint8
        The marked copy; ``image`` is not modified.
    box : tuple of int
        ``(x, y, w, h)`` of the label, in pixels.
    """
    height, width = image.shape[:2]
    short = min(height, width)
    text_height = max(12, round(0.025 * short))
    font = cv2.FONT_HERSHEY_SIMPLEX
    (_, unit_height), _ = cv2.getTextSize(text, font, 1.0, 1)
    scale = text_height / unit_height
    thickness = max(1, round(text_height / 12))
    (text_w, text_h), baseline = cv2.getTextSize(text, font, scale, thickness)
    pad, margin = max(3, text_height // 3), max(2, round(0.012 * short))
    box_w, box_h = min(text_w + 2 * pad, width), min(text_h + baseline + 2 * pad, height)
    x, y = max(width - margin - box_w, 0), max(height - margin - box_h, 0)
    marked = image.copy()
    label = marked[y : y + box_h, x : x + box_w].astype(np.float32)
    marked[y : y + box_h, x : x + box_w] = np.round(label * 0.4).astype(np.uint8)
    origin = (x + pad, y + pad + text_h)
    cv2.putText(marked, text, origin, font, scale, (255, 255, 255), thickness, cv2.LINE_AA)
    return marked, (x, y, box_w, box_h)
