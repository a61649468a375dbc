"""Fetching an address an editor typed, without letting it reach the archive's own network.

Only http and https. The host name is resolved, every address it resolves to is checked
(loopback, private, link-local, multicast, reserved and cloud-metadata addresses are refused)
and the connection goes to the address that was checked, so a second DNS answer cannot swap
it (DNS rebinding). Each redirect is checked the same way. The bytes sent and received are
kept exactly as they crossed the socket, for the WARC file (archive.webcapture.warc).
"""

import datetime
import http.client
import ipaddress
import socket
import threading
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.utils import timezone

USER_AGENT = "uyghur-archive-capture/1.0 (+https://github.com/; a news archive keeping a copy)"
REDIRECTS = {301, 302, 303, 307, 308}
CHUNK = 64 * 1024
# Cloud providers' instance-metadata services; most are link-local or private already.
METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("169.254.170.2"),
    ipaddress.ip_address("100.100.100.200"),
    ipaddress.ip_address("fd00:ec2::254"),
}
# What getaddrinfo answers when DNS says the name does not exist (not a failed lookup).
HOST_UNKNOWN_ERRORS = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}
EVERYWHERE = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchError(Exception):
    """The address could not be captured; the message says why, for the editor.

    `host_unknown` is true only when DNS answered that the host name does not exist (the
    domain is gone), not when the lookup itself failed (which may pass).
    """

    def __init__(self, message: str, *, host_unknown: bool = False):
        super().__init__(message)
        self.host_unknown = host_unknown


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    timeout: float  # seconds for the whole fetch, redirects included
    max_redirects: int
    # Networks where non-public addresses are let through (ARCHIVE_CAPTURE_ALLOW_PRIVATE).
    allowed_networks: tuple = ()

    @classmethod
    def from_settings(cls) -> "Limits":
        return cls(
            max_bytes=settings.ARCHIVE_CAPTURE_MAX_BYTES,
            timeout=settings.ARCHIVE_CAPTURE_TIMEOUT,
            max_redirects=settings.ARCHIVE_CAPTURE_MAX_REDIRECTS,
            allowed_networks=EVERYWHERE if settings.ARCHIVE_CAPTURE_ALLOW_PRIVATE else (),
        )


@dataclass
class Exchange:
    """One request and its response, as bytes on the wire."""

    url: str
    ip: str
    request: bytes
    response: bytes
    status: int
    headers: http.client.HTTPMessage


@dataclass
class Fetched:
    """What fetching an address gave: every exchange (redirects first) and the final page."""

    url: str
    fetched_at: datetime.datetime
    exchanges: list[Exchange] = field(default_factory=list)
    body: bytes = b""  # the final response's content, transfer and content encodings undone

    @property
    def final(self) -> Exchange:
        return self.exchanges[-1]

    @property
    def final_url(self) -> str:
        return self.final.url

    @property
    def status(self) -> int:
        return self.final.status

    @property
    def content_type(self) -> str:
        return self.final.headers.get("Content-Type", "")


def address_problem(address: IPAddress, allowed_networks=()) -> str | None:
    """Why the archive must not connect to this address, or None if it may."""
    if any(
        address in network for network in allowed_networks if network.version == address.version
    ):
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        return address_problem(mapped, allowed_networks)
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    for kind in ("loopback", "link_local", "multicast", "private", "reserved", "unspecified"):
        if getattr(address, f"is_{kind}"):
            return f"a {kind.replace('_', '-')} address"
    if not address.is_global:
        return "not a public address"
    return None


def resolved(host: str, port: int, timeout: float) -> list[tuple]:
    """getaddrinfo's answer for `host`, within `timeout` seconds; FetchError otherwise.

    getaddrinfo takes no time limit, and a host whose DNS servers do not answer can hold it
    for many seconds per server: it runs in a thread of its own, left to finish in the
    background if it takes too long (a daemon thread, which does not hold the process).
    """
    answer: dict = {}

    def look_up():
        try:
            answer["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            answer["error"] = exc

    lookup = threading.Thread(target=look_up, name=f"dns {host}", daemon=True)
    lookup.start()
    lookup.join(timeout)
    if lookup.is_alive():
        raise FetchError(
            f"looking up the host {host!r} took longer than {timeout:g} seconds "
            "(ARCHIVE_CAPTURE_TIMEOUT): its name servers did not answer in time"
        )
    if "error" in answer:
        exc = answer["error"]
        raise FetchError(
            f"the host {host!r} cannot be resolved ({exc})",
            host_unknown=getattr(exc, "errno", None) in HOST_UNKNOWN_ERRORS,
        )
    return answer["infos"]


def checked_addresses(
    host: str, port: int, limits: Limits, timeout: float | None = None
) -> list[str]:
    """Every address `host` resolves to, all checked; FetchError if any one is refused.

    The lookup may take `timeout` seconds (by default the whole fetch's limit)."""
    infos = resolved(host, port, limits.timeout if timeout is None else timeout)
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        problem = address_problem(address, limits.allowed_networks)
        if problem:
            raise FetchError(
                f"{host} resolves to {address}, {problem}: the archive only captures pages "
                "on public addresses (ARCHIVE_CAPTURE_ALLOW_PRIVATE=1 allows others, for tests "
                "and trusted networks only)"
            )
    return addresses


def _checked_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an address the archive may fetch."""
    if not isinstance(url, str) or not url.strip():
        raise FetchError("no address given")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"not a valid address ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise FetchError(
            f"only http and https addresses can be captured, not {parts.scheme or 'this'!r}"
        )
    if not parts.hostname:
        raise FetchError("the address has no host")
    if parts.username or parts.password:
        raise FetchError("addresses with a user name or password are not captured")
    port = port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port, path


class _Recorder:
    """Keeps the bytes a connection sends and the bytes its response reads."""

    def __init__(self):
        self.sent = bytearray()
        self.received = bytearray()


class _RecordingStream:
    def __init__(self, fp, recorder: _Recorder):
        self.fp = fp
        self.recorder = recorder

    def readinto(self, buffer):
        count = self.fp.readinto(buffer)
        self.recorder.received += bytes(memoryview(buffer)[:count]) if count else b""
        return count

    def read(self, amount=-1):
        data = self.fp.read(amount)
        self.recorder.received += data
        return data

    def read1(self, amount=-1):
        data = self.fp.read1(amount)
        self.recorder.received += data
        return data

    def readline(self, limit=-1):
        line = self.fp.readline(limit)
        self.recorder.received += line
        return line

    def peek(self, n=0):
        return self.fp.peek(n)

    def close(self):
        self.fp.close()

    def flush(self):
        return self.fp.flush()


def _connection(scheme: str, host: str, port: int, ip: str, timeout: float, recorder):
    """An HTTP(S) connection to `host` that connects to `ip` (checked) and records its bytes.

    TLS still verifies the certificate for `host`, and sends it as SNI.
    """
    base = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection

    class Pinned(base):
        def _create_connection(self, address, timeout=None, source_address=None):
            return socket.create_connection((ip, port), timeout, source_address)

        def send(self, data):
            recorder.sent += data
            super().send(data)

        def response_class(self, sock, *args, **kwargs):
            response = http.client.HTTPResponse(sock, *args, **kwargs)
            response.fp = _RecordingStream(response.fp, recorder)
            return response

    return Pinned(host, port, timeout=timeout)


def fetch(url: str, limits: Limits | None = None) -> Fetched:
    """GET `url`, following redirects, within the limits; FetchError says what went wrong."""
    limits = limits or Limits.from_settings()
    deadline = time.monotonic() + limits.timeout
    fetched = Fetched(url=url, fetched_at=timezone.now())
    current = url.strip() if isinstance(url, str) else url
    while True:
        exchange, body = _exchange(current, limits, deadline)
        fetched.exchanges.append(exchange)
        if exchange.status in REDIRECTS and exchange.headers.get("Location"):
            if len(fetched.exchanges) > limits.max_redirects:
                raise FetchError(
                    f"more than {limits.max_redirects} redirects "
                    "(ARCHIVE_CAPTURE_MAX_REDIRECTS); the last led to "
                    f"{exchange.headers['Location']}"
                )
            current = urljoin(current, exchange.headers["Location"])
            continue
        fetched.body = _decoded(body, exchange.headers.get("Content-Encoding", ""), limits)
        return fetched


def _remaining(deadline: float, limits: Limits) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError(
            f"the page took longer than {limits.timeout:g} seconds (ARCHIVE_CAPTURE_TIMEOUT)"
        )
    return left


def _exchange(url: str, limits: Limits, deadline: float) -> tuple[Exchange, bytes]:
    scheme, host, port, path = _checked_url(url)
    addresses = checked_addresses(host, port, limits, _remaining(deadline, limits))
    last_error = None
    for ip in addresses:
        recorder = _Recorder()
        connection = _connection(scheme, host, port, ip, _remaining(deadline, limits), recorder)
        try:
            connection.connect()
        except OSError as exc:
            last_error = exc
            connection.close()
            continue
        try:
            return _get(connection, url, host, path, ip, recorder, limits, deadline)
        finally:
            connection.close()
    raise FetchError(f"cannot connect to {host} ({last_error})")


def _get(connection, url, host, path, ip, recorder, limits, deadline) -> tuple[Exchange, bytes]:
    # Kept: the connection forgets its socket once a response that closes it is read.
    sock = connection.sock
    # Socket timeouts bound each wait, not a server trickling a byte at a time: at the
    # deadline the watchdog shuts the socket, and the next read ends.
    watchdog = threading.Timer(_remaining(deadline, limits), _shut, args=(sock,))
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.putheader("User-Agent", USER_AGENT)
        connection.putheader("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
        connection.putheader("Accept-Encoding", "gzip, deflate")
        connection.putheader("Connection", "close")
        connection.endheaders()
        sock.settimeout(_remaining(deadline, limits))
        response = connection.getresponse()
        body = bytearray()
        while chunk := response.read1(CHUNK):
            body += chunk
            if len(body) > limits.max_bytes:
                raise FetchError(
                    f"the page is larger than {limits.max_bytes:,} bytes "
                    "(ARCHIVE_CAPTURE_MAX_BYTES)"
                )
            _remaining(deadline, limits)
        _remaining(deadline, limits)  # a body cut short by the watchdog is not a page
    except (OSError, http.client.HTTPException) as exc:
        if isinstance(exc, TimeoutError) or time.monotonic() >= deadline:
            raise FetchError(
                f"the page took longer than {limits.timeout:g} seconds (ARCHIVE_CAPTURE_TIMEOUT)"
            ) from None
        raise FetchError(
            f"{host} did not answer properly ({exc.__class__.__name__}: {exc})"
        ) from None
    finally:
        watchdog.cancel()
    exchange = Exchange(
        url=url,
        ip=ip,
        request=bytes(recorder.sent),
        response=bytes(recorder.received),
        status=response.status,
        headers=response.headers,
    )
    return exchange, bytes(body)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed: the fetch has ended


def _decoded(body: bytes, encoding: str, limits: Limits) -> bytes:
    """The content with its Content-Encoding undone, no larger than the limit."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise FetchError(f"the page came in an encoding the archive cannot read ({encoding})")
    try:
        if encoding == "deflate":
            decoder = zlib.decompressobj()
        else:
            decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        content = decoder.decompress(body, limits.max_bytes + 1)
    except zlib.error as exc:
        raise FetchError(f"the page's {encoding} content is damaged ({exc})") from None
    if len(content) > limits.max_bytes:
        raise FetchError(
            f"the page is larger than {limits.max_bytes:,} bytes once decompressed "
            "(ARCHIVE_CAPTURE_MAX_BYTES)"
        )
    return content
