"""Calling a remote service: the cloud one, or another Likeness."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests


class RemoteError(Exception):
    """The remote service failed: unreachable, or an answer that is neither a result nor an
    outcome its format documents (such as "no face"). The job fails with this message."""


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
