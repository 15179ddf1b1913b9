"""The services behind jobs: the local engine, or a remote API that speaks the seed's format."""

from __future__ import annotations

from typing import IO, Any

import numpy as np
import requests
from django.conf import settings

from webapp.wire import faceshape as wire
from webapp.wire.signature import sign


class RemoteError(Exception):
    """The remote service failed or answered something that is not the wire format."""


def face_shape(
    image: np.ndarray, photo_file: IO[bytes], *, mode: int, backend: str
) -> dict[str, Any]:
    """Return the face-shape response body for a decoded photo, from the chosen backend."""
    if backend == "remote":
        with photo_file.open("rb") as f:
            return RemoteFaceShape.from_settings().face_shape(f.read(), mode=mode)
    from webapp import vision

    return wire.success_body(vision.face_shape(image, mode=mode))


class RemoteFaceShape:
    """A client of `POST /face/shape` at another service: the cloud one or another Likeness."""

    def __init__(
        self, base_url: str, *, appid: str, secret_id: str, secret_key: str, timeout: float = 30.0
    ) -> None:
        self.url = base_url.rstrip("/") + "/face/shape"
        self.appid = appid
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.timeout = timeout
        self.session = requests.Session()

    @classmethod
    def from_settings(cls) -> RemoteFaceShape:
        return cls(
            settings.FACE_SHAPE_REMOTE_URL,
            appid=settings.FACE_SHAPE_REMOTE_APPID,
            secret_id=settings.FACE_SHAPE_REMOTE_SECRET_ID,
            secret_key=settings.FACE_SHAPE_REMOTE_SECRET_KEY,
            timeout=settings.REMOTE_TIMEOUT,
        )

    def face_shape(self, image: bytes, *, mode: int = 0) -> dict[str, Any]:
        """Send a photo and return the service's response body (any code)."""
        auth = sign(self.appid, self.secret_id, self.secret_key, expires_in=600)
        try:
            response = self.session.post(
                self.url,
                headers={"Authorization": auth},
                data={"appid": self.appid, "mode": str(mode)},
                files={"image": ("photo.jpg", image, "image/jpeg")},
                timeout=self.timeout,
            )
            body = response.json()
        except requests.RequestException as exc:
            raise RemoteError(f"cannot reach {self.url}: {type(exc).__name__}") from exc
        except ValueError as exc:
            raise RemoteError(f"HTTP {response.status_code} without a JSON body") from exc
        if not isinstance(body, dict) or not isinstance(body.get("code"), int):
            raise RemoteError(f"HTTP {response.status_code} with an unexpected body")
        return body
