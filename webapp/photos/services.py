"""The services behind jobs: the local engine, or a remote API that speaks the seed's format.

Each kind of job has one entry in SERVICES: how the engine answers it, how a
remote service is called instead, and what the result page draws. The job
runner and the pages only go through this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import requests
from django.conf import settings

from webapp.wire import faceshape as faceshape_wire
from webapp.wire.signature import sign

from . import overlay


class RemoteError(Exception):
    """The remote service failed or answered something that is not the wire format."""


@dataclass(frozen=True)
class Request:
    """What a job hands to a service: the decoded photo, the file as uploaded, the options."""

    job_id: str
    image: np.ndarray
    raw: bytes
    params: dict[str, Any]


@dataclass(frozen=True)
class Service:
    kind: str
    #: Run the engine on a request and return the wire body.
    local: Callable[[Request], dict[str, Any]]
    #: Call the remote service named in settings and return its wire body.
    remote: Callable[[Request], dict[str, Any]]
    #: Whether a wire body holds a result worth drawing.
    succeeded: Callable[[dict[str, Any]], bool]
    #: Draw the result over the photo as a PNG, or None.
    render: Callable[[np.ndarray, dict[str, Any]], bytes] | None = None


def run(kind: str, backend: str, request: Request) -> dict[str, Any]:
    """Return the wire body for a request, from the engine or the remote service."""
    service = SERVICES[kind]
    return service.remote(request) if backend == "remote" else service.local(request)


def backend_for(kind: str) -> str:
    return settings.SERVICE_BACKENDS.get(kind, "local")


# --- Face shape (88 points) -------------------------------------------------------


def _face_shape_local(request: Request) -> dict[str, Any]:
    from webapp import vision

    result = vision.face_shape(request.image, mode=request.params.get("mode", 0))
    return faceshape_wire.success_body(result, session_id=request.job_id)


def _face_shape_remote(request: Request) -> dict[str, Any]:
    body = RemoteFaceShape.from_settings().face_shape(request.raw, mode=request.params.get("mode", 0))
    # Results are looked up here by our own session id, not the remote one.
    body.setdefault("data", {})["session_id"] = request.job_id
    return body


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
        remote = settings.REMOTE_SERVICES["face_shape"]
        return cls(
            remote["URL"],
            appid=remote["APPID"],
            secret_id=remote["SECRET_ID"],
            secret_key=remote["SECRET_KEY"],
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
                files={"image": ("photo.jpg", image, "application/octet-stream")},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise RemoteError(f"cannot reach {self.url}: {type(exc).__name__}") from exc
        body = _json_body(response)
        if not isinstance(body.get("code"), int):
            raise RemoteError(f"HTTP {response.status_code} with an unexpected body")
        return body


def _json_body(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise RemoteError(f"HTTP {response.status_code} without a JSON body") from exc
    if not isinstance(body, dict):
        raise RemoteError(f"HTTP {response.status_code} with an unexpected body")
    return body


SERVICES: dict[str, Service] = {
    "face_shape": Service(
        kind="face_shape",
        local=_face_shape_local,
        remote=_face_shape_remote,
        succeeded=lambda body: body.get("code") == 0,
        render=overlay.render,
    ),
}
