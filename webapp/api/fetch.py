"""Fetch an image from a URL without letting the server be used to reach private networks."""

from __future__ import annotations

import ipaddress
import socket
import time
from urllib.parse import urljoin, urlsplit

import requests

MAX_REDIRECTS = 3


class FetchError(Exception):
    """The image at a URL cannot be had; `kind` says why for each API's own codes.

    Kinds: "bad_url", "timeout", "unreachable", "http", "not_image", "too_large".
    """

    def __init__(self, kind: str, reason: str, **params: int) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.params = params


def fetch_image(url: str, *, max_bytes: int, timeout: float, allow_private: bool) -> bytes:
    """Return the body at `url` if it is an image of at most `max_bytes`, or raise FetchError."""
    deadline = time.monotonic() + timeout
    for _ in range(MAX_REDIRECTS + 1):
        _check_url(url, allow_private=allow_private)
        try:
            response = requests.get(
                url,
                stream=True,
                timeout=min(timeout, 5.0),
                allow_redirects=False,
                headers={"User-Agent": "Likeness/1.0"},
            )
        except requests.Timeout as exc:
            raise FetchError("timeout", "the server did not answer in time") from exc
        except requests.RequestException as exc:
            raise FetchError("unreachable", "the server cannot be reached") from exc
        with response:
            if response.is_redirect:
                url = urljoin(url, response.headers.get("Location", ""))
                continue
            if response.status_code != 200:
                raise FetchError("http", f"the server answered HTTP {response.status_code}")
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if not content_type.startswith("image/") and content_type != "application/octet-stream":
                raise FetchError(
                    "not_image", f"it is {content_type or 'not an image'}, not an image"
                )
            return _read_limited(response, max_bytes=max_bytes, deadline=deadline)
    raise FetchError("http", "too many redirects")


def _read_limited(response: requests.Response, *, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError("too_large", "the image is too large", size=int(declared), limit=max_bytes)
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise FetchError("too_large", "the image is too large", size=size, limit=max_bytes)
        if time.monotonic() > deadline:
            raise FetchError("timeout", "the download took too long")
        chunks.append(chunk)
    return b"".join(chunks)


def _check_url(url: str, *, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError("bad_url", "it must be an http or https URL")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError("unreachable", "its host name cannot be resolved") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            raise FetchError("unreachable", "its address is not a public one")
