"""Fetching `url` images: one deadline for everything, checked addresses only, broken answers.

Loopback servers stand in for the image servers; a stand-in resolver (and,
where a "public" address must answer, a stand-in for the outside network)
replace the parts of the network a test cannot have.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.test import Client

from webapp.api.fetch import CUT_SHORT, FetchError, fetch_image, is_public_address
from webapp.api.models import ApiClient
from webapp.wire.signature import sign

from ..conftest import image_bytes

PNG = image_bytes((40, 40))
PUBLIC = "93.184.215.14"  # an address of the outside network, never really reached here
#: Long enough that a fetch still waiting on a server when it ends has ignored its deadline.
GIVE_UP = 20.0


class Server:
    """A loopback TCP server answering each connection with `handler(conn, request)`.

    ``request`` is the request head as received; ``heads`` keeps every one.
    A handler that drips watches ``stopping`` (set when the test ends).
    """

    def __init__(
        self,
        handler: Callable[[socket.socket, bytes], None],
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.handler = handler
        self.tls = tls
        self.heads: list[bytes] = []
        self.received = threading.Event()
        self.stopping = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(GIVE_UP)
            try:
                if self.tls:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                head = b""
                while b"\r\n\r\n" not in head:
                    data = conn.recv(4096)
                    if not data:
                        return
                    head += data
                self.heads.append(head)
                self.received.set()
                self.handler(conn, head)
            except OSError:
                pass

    def drip(self, conn: socket.socket, data: bytes, every: float = 0.1) -> None:
        """Send `data` a byte at a time until the test ends or GIVE_UP seconds pass."""
        for i in range(int(GIVE_UP / every)):
            if self.stopping.wait(every):
                return
            conn.sendall(data[i % len(data) : i % len(data) + 1])

    def close(self) -> None:
        self.stopping.set()
        self.listener.close()


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(
        handler: Callable[[socket.socket, bytes], None], tls: ssl.SSLContext | None = None
    ) -> Server:
        servers.append(Server(handler, tls))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def answer(
    body: bytes = PNG,
    *,
    status: str = "200 OK",
    headers: dict[str, str] | None = None,
    length: bool = True,
) -> Callable[[socket.socket, bytes], None]:
    """A handler sending one whole answer (by default a PNG with its Content-Length)."""
    head = {"Content-Type": "image/png", "Connection": "close"}
    if length:
        head["Content-Length"] = str(len(body))
    head.update(headers or {})
    lines = "".join(f"{name}: {value}\r\n" for name, value in head.items())
    raw = f"HTTP/1.1 {status}\r\n{lines}\r\n".encode("latin-1") + body
    return lambda conn, request: conn.sendall(raw)


def fetch(url: str, **options) -> bytes:
    kwargs = {"max_bytes": 2**20, "timeout": 5.0, "allow_private": True, "concurrency": 4}
    return fetch_image(url, **(kwargs | options))


def failure(url: str, **options) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch(url, **options)
    return caught.value


@pytest.fixture
def resolver(monkeypatch) -> Callable[..., list[str]]:
    """Answer host names ending in .example with the given addresses, one answer per lookup.

    The last answer repeats; returns the names looked up.
    """
    real = socket.getaddrinfo
    looked_up: list[str] = []

    def install(*answers: list[str]) -> list[str]:
        remaining = list(answers)

        def getaddrinfo(host, port, *args, **kwargs):
            if not str(host).endswith(".example"):
                return real(host, port, *args, **kwargs)
            looked_up.append(host)
            addresses = remaining.pop(0) if len(remaining) > 1 else remaining[0]
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    socket.IPPROTO_TCP,
                    "",
                    (a, int(port)),
                )
                for a in addresses
            ]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        return looked_up

    return install


@pytest.fixture
def outside(monkeypatch) -> dict[tuple[str, int], tuple[str, int]]:
    """The outside network: connections to a public (address, port) go to a loopback server."""
    routes: dict[tuple[str, int], tuple[str, int]] = {}
    real = socket.socket.connect

    def connect(self, address):
        return real(self, routes.get(tuple(address[:2]), address))

    monkeypatch.setattr(socket.socket, "connect", connect)
    return routes


# --- 1. One deadline for the whole fetch, and a bounded number of fetches ---------------


def test_a_server_dripping_its_headers_cannot_outlast_the_deadline(serve):
    server = serve(lambda conn, req: server.drip(conn, b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * 64))
    error = failure(f"{server.url}/a.png", timeout=1.0)
    assert error.kind == "timeout", error.reason


def test_a_server_dripping_its_body_cannot_outlast_the_deadline(serve):
    def handler(conn, request):
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n"
        )
        server.drip(conn, PNG)

    server = serve(handler)
    error = failure(f"{server.url}/a.png", timeout=1.0)
    assert error.kind == "timeout", error.reason


def test_a_resolver_that_never_answers_cannot_outlast_the_deadline(monkeypatch):
    released = threading.Event()

    def getaddrinfo(*args, **kwargs):
        released.wait(GIVE_UP)
        raise socket.gaierror("no answer")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    try:
        error = failure("http://images.example/a.png", timeout=1.0)
    finally:
        released.set()
    assert error.kind == "timeout", error.reason


def test_a_silent_tls_server_cannot_outlast_the_deadline():
    # It never answers the client's hello: the handshake itself has to end by the deadline.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        error = failure(f"https://127.0.0.1:{silent.getsockname()[1]}/a.png", timeout=1.0)
    assert error.kind == "timeout", error.reason


def test_fetches_over_the_limit_are_busy_at_once(serve):
    go_on = threading.Event()

    def slow(conn, request):
        go_on.wait(GIVE_UP)
        answer()(conn, request)

    server = serve(slow)
    results: list[object] = []
    first = threading.Thread(
        target=lambda: results.append(fetch(f"{server.url}/a.png", concurrency=1))
    )
    first.start()
    assert server.received.wait(GIVE_UP)
    error = failure(f"{server.url}/a.png", concurrency=1)
    go_on.set()
    first.join(GIVE_UP)
    assert error.kind == "busy", error.reason
    assert results == [PNG], "the fetch that had a slot finishes"
    assert len(server.heads) == 1
    assert fetch(f"{server.url}/a.png", concurrency=1) == PNG, "its slot is given back"


def test_a_failed_fetch_gives_its_slot_back(serve):
    server = serve(answer(status="404 Not Found"))
    for _ in range(3):
        assert failure(f"{server.url}/a.png", concurrency=1).kind == "http"
    assert failure("http://[::1/a.png", concurrency=1).kind == "bad_url"
    assert fetch(serve(answer()).url + "/a.png", concurrency=1) == PNG


# --- 2. Resolved once, checked, connected to the address checked ------------------------


def test_the_connection_goes_to_the_address_that_was_checked(serve, resolver, outside):
    internal = serve(answer(b"secret", headers={"Content-Type": "image/png"}))
    public = serve(answer())
    outside[(PUBLIC, internal.port)] = ("127.0.0.1", public.port)
    looked_up = resolver([PUBLIC], ["127.0.0.1"])  # a rebinding resolver
    url = f"http://images.example:{internal.port}/a.png"
    assert fetch(url, allow_private=False) == PNG
    assert looked_up == ["images.example"], "the host is resolved once"
    assert not internal.heads, "nothing reached the loopback server"
    assert f"Host: images.example:{internal.port}\r\n".encode() in public.heads[0]


def test_every_address_of_the_host_is_checked(serve, resolver):
    internal = serve(answer())
    resolver([PUBLIC, "127.0.0.1"])
    error = failure(f"http://images.example:{internal.port}/a.png", allow_private=False)
    assert (error.kind, error.reason) == ("unreachable", "its address is not a public one")
    assert not internal.heads


@pytest.mark.parametrize("inside", ["127.0.0.1", "inside.example"])
def test_each_redirect_is_checked_the_same_way(inside, serve, resolver, outside):
    internal = serve(answer())
    location = f"http://{inside}:{internal.port}/a.png"
    public = serve(answer(b"", status="302 Found", headers={"Location": location}))
    outside[(PUBLIC, public.port)] = ("127.0.0.1", public.port)
    resolver([PUBLIC], ["127.0.0.1"])
    error = failure(f"http://images.example:{public.port}/a.png", allow_private=False)
    assert (error.kind, error.reason) == ("unreachable", "its address is not a public one")
    assert len(public.heads) == 1
    assert not internal.heads


def test_redirects_are_followed_a_few_times(serve):
    target = serve(answer())
    hops = serve(
        lambda conn, request: answer(
            b"",
            status="301 Moved Permanently",
            headers={"Location": f"/{len(hops.heads)}" if len(hops.heads) < 3 else target.url},
        )(conn, request)
    )
    assert fetch(f"{hops.url}/0") == PNG
    assert len(hops.heads) == 3

    loop = serve(answer(b"", status="307 Temporary Redirect", headers={"Location": "/again"}))
    error = failure(f"{loop.url}/a.png")
    assert (error.kind, error.reason) == ("http", "too many redirects")
    assert len(loop.heads) == 4, "the first request and three redirects"


def test_a_redirect_to_an_invalid_url_is_the_servers_fault(serve):
    for location in ("http://[::1/a.png", "http://example.com:99999/", "ftp://example.com/a"):
        server = serve(answer(b"", status="302 Found", headers={"Location": location}))
        error = failure(f"{server.url}/a.png")
        assert error.kind == "http", location


# --- https: SNI and the certificate checked against the host name -----------------------


def _certificate(name: str) -> tuple[ssl.SSLContext, ssl.SSLContext, list[str]]:
    """A server context for `name` (its own authority) and a client context trusting it."""
    now = datetime.datetime.now(datetime.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    server_names: list[str] = []
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.NamedTemporaryFile() as cert_file, tempfile.NamedTemporaryFile() as key_file:
        cert_file.write(pem)
        key_file.write(key_pem)
        cert_file.flush()
        key_file.flush()
        server.load_cert_chain(cert_file.name, key_file.name)
    server.sni_callback = lambda sock, sni, ctx: server_names.append(sni)
    client = ssl.create_default_context(cadata=pem.decode())
    return server, client, server_names


@pytest.fixture
def tls_server(serve) -> Callable[[str], tuple[Server, ssl.SSLContext, list[str]]]:
    """An https image server whose certificate is for `name`, and a client context trusting it."""

    def start(name: str) -> tuple[Server, ssl.SSLContext, list[str]]:
        server_context, client_context, names = _certificate(name)
        return serve(answer(), tls=server_context), client_context, names

    return start


def test_https_keeps_the_host_name_for_sni_and_the_certificate(tls_server, resolver):
    server, trusted, names = tls_server("images.example")
    resolver(["127.0.0.1"])
    url = f"https://images.example:{server.port}/a.png"
    assert fetch(url, tls=trusted) == PNG
    assert names == ["images.example"]
    assert f"Host: images.example:{server.port}\r\n".encode() in server.heads[0]


def test_https_refuses_a_certificate_for_another_name(tls_server, resolver):
    server, trusted, names = tls_server("other.example")
    resolver(["127.0.0.1"])
    error = failure(f"https://images.example:{server.port}/a.png", tls=trusted)
    assert (error.kind, error.reason) == ("unreachable", "its TLS certificate cannot be verified")
    assert not server.heads


# --- 3. Private addresses, in every form ------------------------------------------------

PRIVATE_HOSTS = [
    # IPv4, in the forms a resolver reads too.
    "127.0.0.1",
    "127.255.255.254",
    "127.1",
    "127.0.1",
    "2130706433",
    "0x7f000001",
    "0x7f.0.0.1",
    "0177.0.0.1",
    "017700000001",
    "0",
    "0.0.0.0",
    "localhost",
    "LOCALHOST",
    "１２７.０.０.１",
    "10.0.0.1",
    "10.255.255.255",
    "100.64.0.1",
    "169.254.169.254",
    "172.16.0.1",
    "172.31.255.255",
    "192.0.0.1",
    "192.0.2.1",
    "192.168.0.1",
    "198.18.0.1",
    "198.51.100.1",
    "203.0.113.1",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    # IPv6, and IPv6 forms carrying a private IPv4 address.
    "[::1]",
    "[::]",
    "[::ffff:127.0.0.1]",
    "[0:0:0:0:0:ffff:7f00:1]",
    "[::ffff:169.254.169.254]",
    "[::127.0.0.1]",
    "[::10.0.0.1]",
    "[64:ff9b::7f00:1]",
    "[64:ff9b::a9fe:a9fe]",
    "[64:ff9b:1::808:808]",
    "[2002:7f00:1::1]",
    "[2002:a9fe:a9fe::1]",
    "[2001:0:4136:e378:8000:63bf:80ff:fffe]",
    "[fe80::1]",
    "[fec0::1]",
    "[fc00::1]",
    "[fd00:ec2::254]",
    "[ff02::1]",
    "[100::1]",
    "[2001:db8::1]",
]


@pytest.mark.parametrize("host", PRIVATE_HOSTS)
def test_private_addresses_are_refused_in_every_form(host):
    error = failure(f"http://{host}:9/a.png", allow_private=False)
    assert (error.kind, error.reason) == ("unreachable", "its address is not a public one")


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "2606:4700::1111", "64:ff9b::808:808", "::ffff:8.8.8.8", "2002:808:808::1"],
)
def test_public_addresses_count_as_public(address):
    assert is_public_address(address)
    assert is_public_address(ipaddress.ip_address(address))


# --- 4. Inputs and answers that are not what they should be -----------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://images.example:99999/a.png",
        "http://images.example:port/a.png",
        "http://images.example:0/a.png",
        "http://[::1/a.png",
        "http://[images.example]/a.png",
        "ftp://images.example/a.png",
        "http:///a.png",
        "http://images..example/a.png",
        "http://ima ges.example/a.png",
        "javascript:alert(1)",
        "",
        None,
        12,
    ],
)
def test_a_url_that_is_not_one_is_a_bad_url(url, resolver):
    looked_up = resolver(["127.0.0.1"])
    assert failure(url).kind == "bad_url"
    assert not looked_up


@pytest.mark.parametrize(
    "content_length",
    ["²", "-5", "abc", "1e3", "0x10", "10, 11", " ", "٣"],
    ids=["superscript", "negative", "garbage", "exponent", "hex", "two", "blank", "arabic"],
)
def test_an_invalid_content_length_is_the_servers_fault(content_length, serve):
    def handler(conn, request):
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: "
            + content_length.encode("utf-8")
            + b"\r\n\r\n"
            + PNG
        )

    error = failure(f"{serve(handler).url}/a.png")
    assert (error.kind, error.reason) == ("http", "the server sent an invalid Content-Length")


def test_a_body_cut_short_is_the_servers_fault(serve):
    server = serve(answer(PNG, headers={"Content-Length": str(len(PNG) + 1000)}))
    error = failure(f"{server.url}/a.png")
    assert (error.kind, error.reason) == ("http", CUT_SHORT)


def test_a_chunked_body_cut_short_is_the_servers_fault(serve):
    body = b"%x\r\n%s\r\n" % (len(PNG), PNG) + b"1000\r\nonly this"
    server = serve(answer(body, headers={"Transfer-Encoding": "chunked"}, length=False))
    error = failure(f"{server.url}/a.png")
    assert (error.kind, error.reason) == ("http", CUT_SHORT)


def chunked(body: bytes, size: int = 1000) -> bytes:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


@pytest.mark.parametrize(
    ("body", "headers", "length"),
    [
        (PNG, {}, True),
        (chunked(PNG), {"Transfer-Encoding": "chunked"}, False),
        (PNG, {}, False),
        (PNG, {"Content-Length": f"{len(PNG)}, {len(PNG)}"}, True),
    ],
    ids=["content-length", "chunked", "until-closed", "repeated-length"],
)
def test_whole_bodies_are_read_however_they_are_sent(body, headers, length, serve):
    assert fetch(serve(answer(body, headers=headers, length=length)).url + "/a.png") == PNG


@pytest.mark.parametrize(
    ("body", "headers", "length"),
    [
        (PNG * 40, {}, True),
        (chunked(PNG * 40), {"Transfer-Encoding": "chunked"}, False),
        (PNG * 40, {}, False),
        (b"", {"Content-Length": str(10**30)}, False),
    ],
    ids=["content-length", "chunked", "until-closed", "huge-length"],
)
def test_the_size_limit_holds_however_the_body_is_sent(body, headers, length, serve):
    server = serve(answer(body, headers=headers, length=length))
    error = failure(f"{server.url}/a.png", max_bytes=10 * len(PNG))
    assert error.kind == "too_large"
    assert error.params["limit"] == 10 * len(PNG)


def test_only_images_are_fetched(serve):
    server = serve(answer(b"<html>", headers={"Content-Type": "text/html; charset=utf-8"}))
    error = failure(f"{server.url}/a.png")
    assert (error.kind, error.reason) == ("not_image", "it is text/html, not an image")


def test_a_path_and_query_are_sent_percent_encoded(serve):
    server = serve(answer())
    assert fetch(f"{server.url}/photos/é a.png?size=big&name=ü#part") == PNG
    assert server.heads[0].startswith(b"GET /photos/%C3%A9%20a.png?size=big&name=%C3%BC HTTP/1.1")


# --- Through the APIs: every failure in the route's own format --------------------------


def _face_shape(url: str):
    client = ApiClient(name="face shape")
    secret = client.set_new_secret_key()
    client.save()
    cred = client.credentials(secret)
    return Client().post(
        "/face/shape",
        json.dumps({"appid": cred["appid"], "url": url}),
        content_type="application/json",
        headers={"Authorization": sign(cred["appid"], cred["secret_id"], cred["secret_key"])},
    )


def _dense(url: str):
    client = ApiClient(name="dense")
    secret = client.set_new_secret_key()
    client.save()
    return Client().post(
        "/facepp/v1/face/thousandlandmark",
        {
            "api_key": client.secret_id,
            "api_secret": secret,
            "return_landmark": "all",
            "image_url": url,
        },
    )


def _idphoto(url: str):
    client = ApiClient(name="idphoto")
    secret = client.set_new_secret_key()
    client.save()
    return Client().post(
        "/idphoto/check",
        json.dumps({"url": url}),
        content_type="application/json",
        headers={"X-Api-Key": client.secret_id, "X-Api-Secret": secret},
    )


ROUTES = {"face-shape": _face_shape, "dense": _dense, "idphoto": _idphoto}

#: What each route answers, by the failure: (HTTP status, its code or error_message).
EXPECTED = {
    "bad_url": {
        "face-shape": (400, -1000),
        "dense": (400, "INVALID_IMAGE_URL"),
        "idphoto": (400, 400),
    },
    "cannot": {
        "face-shape": (400, -1005),
        "dense": (400, "INVALID_IMAGE_URL"),
        "idphoto": (404, 203),
    },
    "timeout": {
        "face-shape": (400, -1005),
        "dense": (412, "IMAGE_DOWNLOAD_TIMEOUT"),
        "idphoto": (404, 203),
    },
}


def _outcome(response) -> tuple[int, object]:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    return response.status_code, body.get("code", body.get("error_message"))


@pytest.fixture
def route_servers(serve):
    def drip_body(conn, request):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 9999\r\n\r\n")
        drip.drip(conn, PNG)

    drip = serve(drip_body)
    return {
        "cut-short": serve(answer(PNG, headers={"Content-Length": "99999"})).url + "/a.png",
        "superscript-length": serve(answer(PNG, headers={"Content-Length": "²"})).url + "/a.png",
        "negative-length": serve(answer(PNG, headers={"Content-Length": "-1"})).url + "/a.png",
        "drip": drip.url + "/a.png",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES)
def test_the_apis_answer_url_failures_in_their_own_format(route, route_servers, settings):
    settings.URL_FETCH_ALLOW_PRIVATE = True
    settings.URL_FETCH_TIMEOUT = 1.0
    post = ROUTES[route]
    cases = {
        "http://images.example:99999/a.png": "bad_url",
        "http://[::1/a.png": "bad_url",
        route_servers["cut-short"]: "cannot",
        route_servers["superscript-length"]: "cannot",
        route_servers["negative-length"]: "cannot",
        route_servers["drip"]: "timeout",
    }
    for url, case in cases.items():
        assert _outcome(post(url)) == EXPECTED[case][route], (case, url)


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES)
def test_the_apis_answer_when_too_many_urls_are_being_fetched(route, serve, settings):
    settings.URL_FETCH_ALLOW_PRIVATE = True
    settings.URL_FETCH_CONCURRENCY = 0
    server = serve(answer())
    response = ROUTES[route](f"{server.url}/a.png")
    assert _outcome(response) == EXPECTED["cannot"][route]
    assert not server.heads
    if route != "dense":  # Face++ answers a bare INVALID_IMAGE_URL
        words = json.dumps(response.json(), ensure_ascii=False)
        assert "too many images are being fetched" in words
