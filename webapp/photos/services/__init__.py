"""The services behind jobs: the local engine, or a remote API that speaks the seed's format.

Each kind of job has one entry in SERVICES: how the engine answers it, how a
remote service is called instead, and what the result page draws. The job
runner and the pages only go through this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import requests
from django.conf import settings

if TYPE_CHECKING:
    from ..models import Job


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
    #: The result page's part for this kind, and the context it needs.
    template: str
    context: Callable[[Job], dict[str, Any]]
    #: Draw the result over the photo as a PNG, or None.
    render: Callable[[np.ndarray, dict[str, Any]], bytes] | None = None
    #: Split a successful body into the result image to keep (bytes, suffix) and the body to store.
    output: Callable[[dict[str, Any]], tuple[bytes, str, dict[str, Any]]] | None = None
    #: Whether the result page offers the answer as JSON (a fused image's answer is only a link).
    has_json: bool = True
    #: A stored body as the API answers it, when the page keeps more than the API shows.
    api_body: Callable[[dict[str, Any]], dict[str, Any]] | None = None


def run(kind: str, backend: str, request: Request) -> dict[str, Any]:
    """Return the wire body for a request, from the engine or the remote service."""
    service = SERVICES[kind]
    return service.remote(request) if backend == "remote" else service.local(request)


def backend_for(kind: str) -> str:
    return settings.SERVICE_BACKENDS.get(kind, "local")


def post(
    url: str,
    *,
    accepts: Callable[[dict[str, Any]], bool],
    timeout: float,
    session: requests.Session | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """POST to a remote service; return its JSON body if `accepts` it, or raise RemoteError."""
    try:
        response = (session or requests).post(url, timeout=timeout, **kwargs)
    except requests.RequestException as exc:
        raise RemoteError(f"cannot reach {url}: {type(exc).__name__}") from exc
    try:
        body = response.json()
    except ValueError as exc:
        raise RemoteError(f"HTTP {response.status_code} without a JSON body") from exc
    if not isinstance(body, dict) or not accepts(body):
        raise RemoteError(f"HTTP {response.status_code} with an unexpected body")
    return body


def _registry() -> dict[str, Service]:
    from . import dense, faceshape, fusion, idphoto

    return {
        service.kind: service
        for service in (faceshape.SERVICE, dense.SERVICE, fusion.SERVICE, idphoto.SERVICE)
    }


SERVICES: dict[str, Service] = _registry()
