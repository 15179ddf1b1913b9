"""Fetch an image from a URL without letting the server be used to reach private networks.

Three rules hold whatever the remote server (or its resolver) does:

- one deadline for the whole fetch: resolving the name, connecting, the TLS
  handshake, sending the request and every read of the answer get only the
  time left until it, so a server that sends a byte now and then cannot keep
  a web thread;
- the host is resolved once, every address it resolves to is checked, and the
  connection goes to a checked address (the request keeps the host's name in
  its Host header, and for https in SNI and the certificate check); each
  redirect is checked the same way;
- at most `concurrency` fetches at a time in a process: one more fails at
  once as "busy" rather than waiting, so slow URLs cannot take every web thread.
"""

from __future__ import annotations

import functools
import http.client
import io
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

MAX_REDIRECTS = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "Likeness/1.0"
CHUNK = 64 * 1024
CUT_SHORT = "the server closed the connection before the end of the image"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")
# Characters left as they are in a request's path and query; the rest is percent-encoded.
_PATH_SAFE = "/%!$&'()*+,;=:@~"
_QUERY_SAFE = _PATH_SAFE + "?"


class FetchError(Exception):
    """The image at a URL cannot be had; `kind` says why for each API's own codes.

    Kinds: "bad_url", "timeout", "unreachable", "http" (an error status or a
    broken answer), "not_image", "too_large", "busy" (too many fetches at once).
    """

    def __init__(self, kind: str, reason: str, **params: int) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.params = params


def fetch_image(
    url: str,
    *,
    max_bytes: int,
    timeout: float,
    allow_private: bool,
    concurrency: int,
    tls: ssl.SSLContext | None = None,
) -> bytes:
    """Return the body at `url` if it is an image of at most `max_bytes`, or raise FetchError.

    Parameters
    ----------
    timeout : float
        Seconds for the whole fetch, redirects included.
    allow_private : bool
        Fetch from any address, loopback and private networks included.
    concurrency : int
        How many fetches the process runs at once; one more is "busy".
    tls : ssl.SSLContext, optional
        How https servers are verified (by default, against certifi's authorities).
    """
    target = _target(url, kind="bad_url")
    with _SLOTS.take(concurrency):
        deadline = time.monotonic() + timeout
        for _ in range(MAX_REDIRECTS + 1):
            location = _get(target, max_bytes, deadline, allow_private, tls)
            if isinstance(location, bytes):
                return location
            try:
                redirected = urljoin(target.url, location)
            except ValueError as exc:
                raise FetchError("http", "it redirects to an invalid URL") from exc
            target = _target(redirected, kind="http")
        raise FetchError("http", "too many redirects")


def is_public_address(address: str | IPAddress) -> bool:
    """Whether an address reaches the public internet, IPv4 embedded in IPv6 unwrapped.

    An IPv6 address carrying an IPv4 one (IPv4-mapped or -compatible, NAT64,
    6to4, Teredo) is decided by the IPv4 address(es) it really reaches.

    >>> [is_public_address(a) for a in ("8.8.8.8", "2606:4700::1111", "64:ff9b::808:808")]
    [True, True, True]
    >>> [is_public_address(a) for a in ("127.0.0.1", "::127.0.0.1", "64:ff9b::7f00:1")]
    [False, False, False]
    """
    if isinstance(address, str):
        address = ipaddress.ip_address(address.split("%")[0])
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL:
            # A local translator's prefix: where it leads depends on that translator.
            return False
        embedded = _embedded_ipv4(address)
        if embedded:
            return all(is_public_address(inner) for inner in embedded)
        if address.is_site_local:
            return False
    return address.is_global and not (
        address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address.is_link_local
        or address.is_loopback
        or address.is_private
    )


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to, if it is one of the forms carrying them."""
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)
    if address in _NAT64 or int(address) >> 32 == 0:  # NAT64, IPv4-compatible (::a.b.c.d)
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    return []


# --- The URL ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    url: str
    https: bool
    host: str  # ASCII: an IP address, or a host name in IDNA form
    port: int
    path: str  # the request target: path and query, percent-encoded

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == (443 if self.https else 80) else f"{host}:{self.port}"


def _target(url: object, *, kind: str) -> _Target:
    """Parse a URL to fetch; a URL that cannot be fetched is a FetchError of `kind`."""
    if not isinstance(url, str):
        raise FetchError(kind, "it must be an http or https URL")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
        host = parts.hostname
    except ValueError as exc:  # an unclosed "[", a port that is not a number or out of range
        raise FetchError(kind, f"it is not a valid URL ({exc})") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise FetchError(kind, "it must be an http or https URL")
    if port == 0:
        raise FetchError(kind, "it is not a valid URL (Port out of range 1-65535)")
    https = parts.scheme == "https"
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    if parts.query:
        path += "?" + quote(parts.query, safe=_QUERY_SAFE)
    return _Target(url, https, _ascii_host(host, kind), port or (443 if https else 80), path)


def _ascii_host(host: str, kind: str) -> str:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        name = host.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise FetchError(kind, "its host name is not valid") from exc
    if not _HOST_NAME.fullmatch(name):
        raise FetchError(kind, "its host name is not valid")
    return name


# --- One request ------------------------------------------------------------------------


def _get(
    target: _Target,
    max_bytes: int,
    deadline: float,
    allow_private: bool,
    tls: ssl.SSLContext | None,
) -> bytes | str:
    """Return the image at `target`, or where it redirects to; raise FetchError."""
    addresses = _addresses(target, deadline, allow_private)
    sock = _connect(addresses, deadline)
    connection = http.client.HTTPConnection(target.host, target.port)
    try:
        if target.https:
            sock = _tls(sock, target.host, deadline, tls)
        connection.sock = _DeadlineSocket(sock, deadline)
        connection.putrequest("GET", target.path, skip_host=True)
        connection.putheader("Host", target.host_header)
        connection.putheader("User-Agent", USER_AGENT)
        connection.putheader("Accept", "image/*")
        connection.putheader("Connection", "close")
        connection.endheaders()
        response = connection.getresponse()
        if response.status in REDIRECT_STATUSES:
            location = response.getheader("Location")
            if not location:
                raise FetchError("http", f"the server answered HTTP {response.status}")
            return location
        if response.status != 200:
            raise FetchError("http", f"the server answered HTTP {response.status}")
        content_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
        if not content_type.startswith("image/") and content_type != "application/octet-stream":
            raise FetchError("not_image", f"it is {content_type or 'not an image'}, not an image")
        return _read_body(response, max_bytes)
    except TimeoutError as exc:
        raise FetchError("timeout", "the server did not answer in time") from exc
    except ssl.SSLCertVerificationError as exc:
        raise FetchError("unreachable", "its TLS certificate cannot be verified") from exc
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise FetchError("http", "the server's answer is broken or incomplete") from exc
    finally:
        connection.close()
        sock.close()


def _read_body(response: http.client.HTTPResponse, max_bytes: int) -> bytes:
    declared = _content_length(response)
    if declared is not None and declared > max_bytes:
        raise FetchError("too_large", "the image is too large", size=declared, limit=max_bytes)
    chunks, size = [], 0
    while True:
        try:
            chunk = response.read(CHUNK)
        except http.client.IncompleteRead as exc:
            raise FetchError("http", CUT_SHORT) from exc
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise FetchError("too_large", "the image is too large", size=size, limit=max_bytes)
        chunks.append(chunk)
    if declared is not None and size != declared:
        raise FetchError("http", CUT_SHORT)
    return b"".join(chunks)


def _content_length(response: http.client.HTTPResponse) -> int | None:
    """The body's announced length (None: chunked, or up to the end of the connection)."""
    if response.chunked:
        return None
    values = {
        value.strip()
        for header in response.headers.get_all("Content-Length") or []
        for value in header.split(",")
    }
    if not values:
        return None
    if len(values) > 1 or not all(v.isascii() and v.isdigit() for v in values):
        raise FetchError("http", "the server sent an invalid Content-Length")
    return int(values.pop())


# --- Resolving and connecting, by a deadline --------------------------------------------


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the fetch took too long")
    return left


def _addresses(
    target: _Target, deadline: float, allow_private: bool
) -> list[tuple[int, tuple[object, ...]]]:
    """Resolve the host once; every address must be public unless `allow_private`."""
    infos = _resolve(target.host, target.port, deadline)
    addresses = []
    for family, _, _, _, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        if not allow_private and not is_public_address(str(sockaddr[0])):
            raise FetchError("unreachable", "its address is not a public one")
        if (family, sockaddr) not in addresses:
            addresses.append((family, sockaddr))
    if not addresses:
        raise FetchError("unreachable", "its host name cannot be resolved")
    return addresses


def _resolve(host: str, port: int, deadline: float) -> list[tuple]:
    """getaddrinfo by the deadline: a lookup that takes longer is left to finish alone."""
    found: dict[str, object] = {}
    done = threading.Event()

    def lookup() -> None:
        try:
            found["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            found["error"] = exc
        finally:
            done.set()

    try:
        ipaddress.ip_address(host)
        lookup()  # an address: nothing to look up
    except ValueError:
        threading.Thread(target=lookup, name="url-fetch-resolve", daemon=True).start()
        if not done.wait(max(0.0, deadline - time.monotonic())):
            raise FetchError("timeout", "its host name was not resolved in time") from None
    if "error" in found:
        raise FetchError("unreachable", "its host name cannot be resolved") from found["error"]
    return found["infos"]  # type: ignore[return-value]


def _connect(addresses: list[tuple[int, tuple[object, ...]]], deadline: float) -> socket.socket:
    """Connect to the first of the checked addresses that answers."""
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(_remaining(deadline))
            sock.connect(sockaddr)
            return sock
        except TimeoutError as exc:
            sock.close()
            raise FetchError("timeout", "the server did not answer in time") from exc
        except OSError:
            sock.close()
    raise FetchError("unreachable", "the server cannot be reached")


def _tls(
    sock: socket.socket, host: str, deadline: float, tls: ssl.SSLContext | None
) -> ssl.SSLSocket:
    """The TLS handshake by the deadline; the certificate must be valid for `host`."""
    sock.settimeout(_remaining(deadline))
    return (tls or _default_tls()).wrap_socket(sock, server_hostname=host)


@functools.cache
def _default_tls() -> ssl.SSLContext:
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with requests
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


class _DeadlineSocket:
    """A connected socket for http.client whose every send and receive ends by `deadline`."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline

    def arm(self) -> None:
        self.sock.settimeout(_remaining(self.deadline))

    def sendall(self, data: bytes) -> None:
        self.arm()
        self.sock.sendall(data)

    def makefile(self, mode: str = "rb") -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self), CHUNK)

    def close(self) -> None:
        """Nothing: http.client closes the connection as soon as the response is begun,
        while the body is still to be read; the fetch closes the socket when done."""


class _DeadlineReader(io.RawIOBase):
    def __init__(self, owner: _DeadlineSocket) -> None:
        self.owner = owner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        self.owner.arm()
        return self.owner.sock.recv_into(buffer)


# --- How many at a time -----------------------------------------------------------------


class _Slots:
    """Fetches running in this process, up to a limit given with each one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.running = 0

    @contextmanager
    def take(self, limit: int) -> Iterator[None]:
        with self._lock:
            if self.running >= limit:
                raise FetchError(
                    "busy", "too many images are being fetched at the moment; try again shortly"
                )
            self.running += 1
        try:
            yield
        finally:
            with self._lock:
                self.running -= 1


_SLOTS = _Slots()
