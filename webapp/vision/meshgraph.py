"""MediaPipe's face landmark model run on a region we give it.

MediaPipe's ``FaceMesh`` solution runs its own face detector on every image
in static mode and only then the landmark model on the region the detector
found. The engine has found the face already and cut a crop around it, eyes
level (:mod:`webapp.vision.faces`), so that second detection is paid twice
for nothing: through the solution the mesh cost 4.7 ms per face on one core,
run here on the region directly 2.4 ms (``docs/engine.md``).

:class:`LandmarkGraph` is MediaPipe's own ``FaceLandmarkCpu`` subgraph (the
same model file, ``face_landmark_with_attention.tflite`` for the 478 points
with irises, and the same face-presence gate at 0.5) with two inputs: the
image and the region of interest as a normalised rectangle. The region is
what the solution would have derived from its detection: a square 1.5 times
the detector's box (MediaPipe's ``FaceDetectionFrontDetectionToRoi``) or 1.5
times the extent of a previous mesh (its ``FaceLandmarkLandmarksToRoi``).

Like every MediaPipe graph it is neither fork-safe nor thread-safe: each
thread keeps its own (``webapp.vision.faces``).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from numpy.typing import NDArray

_CONFIG = """
input_stream: "image"
input_stream: "roi"
input_side_packet: "with_attention"
output_stream: "landmarks"
node {
  calculator: "FaceLandmarkCpu"
  input_stream: "IMAGE:image"
  input_stream: "ROI:roi"
  input_side_packet: "WITH_ATTENTION:with_attention"
  output_stream: "LANDMARKS:landmarks"
}
"""


class LandmarkGraph:
    """The face landmark model on a given region of an RGB image.

    Parameters
    ----------
    with_attention : bool
        The attention model (478 points: the 468 of the face and 5 per iris)
        or the plain one (468 points).
    """

    def __init__(self, *, with_attention: bool = True) -> None:
        # Imported here: importing the engine must not load MediaPipe.
        import mediapipe
        from google.protobuf import text_format
        from mediapipe.framework import calculator_pb2
        from mediapipe.python import packet_creator, packet_getter
        from mediapipe.python._framework_bindings import (
            calculator_graph,
            image_frame,
            resource_util,
        )

        # The model files are found relative to the installed package, as the
        # solutions find them.
        resource_util.set_resource_dir(os.path.dirname(os.path.dirname(mediapipe.__file__)))
        config = text_format.Parse(_CONFIG, calculator_pb2.CalculatorGraphConfig())
        self._creator = packet_creator
        self._getter = packet_getter
        self._srgb = image_frame.ImageFormat.SRGB
        self._graph: Any = calculator_graph.CalculatorGraph(graph_config=config)
        self._output: list[Any] = []
        self._graph.observe_output_stream(
            "landmarks", lambda _stream, packet: self._output.append(packet)
        )
        self._graph.start_run({"with_attention": packet_creator.create_bool(with_attention)})
        self._timestamp = 0
        from mediapipe.framework.formats import rect_pb2

        self._rect = rect_pb2.NormalizedRect

    def process(self, image: NDArray[np.uint8], *, region: float) -> NDArray[np.float64] | None:
        """The landmarks in a square region centred on ``image``, or None when no face is there.

        Parameters
        ----------
        image : ndarray of shape (H, W, 3) and dtype uint8
            RGB, C-contiguous.
        region : float
            Side of the square region of interest, centred and upright, as a
            fraction of the image's side.

        Returns
        -------
        ndarray of shape (N, 3) or None
            x, y in 0..1 of the image's width and height (MediaPipe's
            convention: 0 and 1 are its edges) and z in the scale of x.
        """
        self._timestamp += 1
        stamp = self._timestamp
        rect = self._rect(x_center=0.5, y_center=0.5, width=region, height=region, rotation=0.0)
        self._output.clear()
        frame = self._creator.create_image_frame(image_format=self._srgb, data=image)
        self._graph.add_packet_to_input_stream("image", frame.at(stamp))
        self._graph.add_packet_to_input_stream("roi", self._creator.create_proto(rect).at(stamp))
        self._graph.wait_until_idle()
        if not self._output:
            return None
        landmarks = self._getter.get_proto(self._output[0]).landmark
        self._output.clear()
        return np.array([(p.x, p.y, p.z) for p in landmarks], dtype=np.float64)

    def close(self) -> None:
        self._graph.close()
