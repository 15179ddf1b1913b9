"""Where the person is: MediaPipe's selfie segmentation and pose graphs.

The face's own graphs (detectors and mesh) are in :mod:`webapp.vision.faces`;
these two find the rest of the person: a mask of the whole person with the
hair (:func:`segment_person`) and the shoulders (:func:`find_shoulders`).
Left and right are the image's, as everywhere in the engine.

MediaPipe graphs are neither fork-safe nor thread-safe: each thread gets its
own, created on first use (or by :func:`warm_up_person`); see
``docs/engine.md``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

#: Segmentation runs on the photo with its edges extended by this share of its longer side.
SEGMENT_PAD = 0.06

_local = threading.local()


# --- graphs --------------------------------------------------------------------------


def _graphs() -> Any:
    """This thread's segmentation and pose graphs, created on first use."""
    if not hasattr(_local, "segmenter"):
        # Imported here: importing the engine must not load MediaPipe.
        from mediapipe.python.solutions import pose, selfie_segmentation

        _local.segmenter = selfie_segmentation.SelfieSegmentation(model_selection=0)
        # model_complexity=1 is the only pose model inside the wheel: 0 and 2
        # would be downloaded at run time (docs/engine.md).
        _local.pose = pose.Pose(
            static_image_mode=True, model_complexity=1, min_detection_confidence=0.5
        )
    return _local


def warm_up_person() -> None:
    """Create this thread's segmentation and pose graphs and run each once."""
    image = np.zeros((256, 256, 3), np.uint8)
    graphs = _graphs()
    graphs.segmenter.process(image)
    graphs.pose.process(image)


def segment_person(image: NDArray[np.uint8]) -> NDArray[np.float32]:
    """Return the probability that each pixel belongs to a person, shape (H, W), 0 to 1.

    Parameters
    ----------
    image : ndarray of shape (H, W, 3) and dtype uint8
        RGB photo. It is not modified.
    """
    height, width = image.shape[:2]
    # The model hesitates at the photo's edges: hair that runs into the top
    # edge reads as background there. Extending the edges outwards (the
    # rows and columns repeated) lets it see the head continue.
    pad = max(1, round(SEGMENT_PAD * max(height, width)))
    padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    result = _graphs().segmenter.process(padded)
    mask = result.segmentation_mask
    if mask is None:
        return np.zeros((height, width), np.float32)
    return np.clip(np.asarray(mask[pad : pad + height, pad : pad + width], np.float32), 0.0, 1.0)


@dataclass(frozen=True)
class Shoulders:
    """Both shoulders from the pose landmarks, in photo pixels.

    ``left`` is the shoulder on the image's left (the subject's right).
    """

    left: tuple[float, float]
    right: tuple[float, float]
    visibility: float
    inside: bool
    #: The column midway between the pose's two ears: the head's axis over the neck, in
    #: the same model's placing as the shoulders (None when the model gives no ears).
    head_x: float | None = None


def find_shoulders(image: NDArray[np.uint8]) -> Shoulders | None:
    """Return the shoulders from MediaPipe pose, or None when no body is found."""
    height, width = image.shape[:2]
    result = _graphs().pose.process(np.ascontiguousarray(image))
    if result.pose_landmarks is None:
        return None
    marks = result.pose_landmarks.landmark
    # Pose landmarks 11 and 12 are the subject's left and right shoulders, 7 and 8 the ears.
    right, left = marks[11], marks[12]
    ears = (marks[7].x + marks[8].x) / 2 * width
    return Shoulders(
        head_x=float(ears),
        left=(left.x * width, left.y * height),
        right=(right.x * width, right.y * height),
        visibility=float(min(left.visibility, right.visibility)),
        # A tight crop cuts the shoulders at the photo's sides or bottom; the
        # model still places them, a little beyond the edge.
        inside=all(-0.3 <= p.x <= 1.3 and 0 <= p.y <= 1.1 for p in (left, right)),
    )
