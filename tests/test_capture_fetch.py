"""Fetching an address: only public hosts unless allowed, limits with clear messages, and the
exchange kept as WARC records readable with warcio."""

import io
import ipaddress

import pytest
from capture_pages import ARTICLE, site  # noqa: F401 (fixture)
from warcio.archiveiterator import ArchiveIterator

from archive.webcapture.fetch import FetchError, Limits, address_problem, fetch
from archive.webcapture.warc import warc_bytes

LOOPBACK_ONLY = (ipaddress.ip_network("127.0.0.1/32"),)


def limits(**changes):
    values = {"max_bytes": 1_000_000, "timeout": 10.0, "max_redirects": 5, "allowed_networks": ()}
    return Limits(**{**values, **changes})


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.5.5.5:8080/x",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://172.16.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fd00:ec2::254]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://localhost/",
    ],
)
def test_loopback_private_link_local_and_metadata_addresses_are_refused(url):
    with pytest.raises(FetchError, match="only captures pages on public addresses"):
        fetch(url, limits())


def test_metadata_address_is_named_as_such():
    problem = address_problem(ipaddress.ip_address("169.254.169.254"))
    assert problem == "a cloud metadata address"
    assert address_problem(ipaddress.ip_address("93.184.215.14")) is None


@pytest.mark.parametrize("url", ["ftp://example.org/", "file:///etc/passwd", "javascript:x", ""])
def test_only_http_and_https(url):
    with pytest.raises(FetchError, match="only http and https|no address"):
        fetch(url, limits())


@pytest.mark.parametrize(
    "target",
    [
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://127.0.0.2/",
    ],
)
def test_a_redirect_to_a_refused_address_is_refused(site, target):  # noqa: F811
    # The test server's own address is allowed, and nothing else private: the
    # redirect is checked as the first address was.
    start = site.redirect("/moved", target)
    with pytest.raises(FetchError, match="only captures pages on public addresses"):
        fetch(start, limits(allowed_networks=LOOPBACK_ONLY))
    assert site.requests == ["/moved"]


def test_a_page_is_fetched_through_its_redirects_and_kept_as_warc(site):  # noqa: F811
    final = site.page("/story", ARTICLE)
    start = site.redirect("/old", "/story", status=301)
    fetched = fetch(start, limits(allowed_networks=LOOPBACK_ONLY))
    assert fetched.final_url == final
    assert fetched.status == 200
    assert fetched.body == ARTICLE.encode()
    records = [
        (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
        for r in ArchiveIterator(io.BytesIO(warc_bytes(fetched)))
    ]
    # warcio writes each pair response first, as other crawlers do.
    assert [(kind, url) for kind, url, _ in records] == [
        ("warcinfo", None),
        ("response", start),
        ("request", start),
        ("response", final),
        ("request", final),
    ]
    assert records[3][2] == ARTICLE.encode()
    assert fetched.final.request.startswith(b"GET /story HTTP/1.1\r\nHost: 127.0.0.1:")
    assert b"url-asked: " + start.encode() in records[0][2]


def test_a_server_that_closes_the_connection_after_the_page_is_read_whole(site):  # noqa: F811
    url = site.page("/closing", ARTICLE, Connection="close")
    fetched = fetch(url, limits(allowed_networks=LOOPBACK_ONLY))
    assert fetched.body == ARTICLE.encode()
    assert b"Connection: close" in fetched.final.response


def test_limits_on_size_and_redirects_say_which_setting(site):  # noqa: F811
    big = site.page("/big", "x" * 5000)
    with pytest.raises(FetchError, match="larger than 1,000 bytes .ARCHIVE_CAPTURE_MAX_BYTES"):
        fetch(big, limits(max_bytes=1000, allowed_networks=LOOPBACK_ONLY))
    site.redirect("/loop", "/loop")
    with pytest.raises(FetchError, match="more than 2 redirects"):
        fetch(site.base + "/loop", limits(max_redirects=2, allowed_networks=LOOPBACK_ONLY))


def test_a_gzip_page_is_kept_compressed_and_read_decompressed(site):  # noqa: F811
    import gzip

    url = site.page("/gz", gzip.compress(ARTICLE.encode()), **{"Content-Encoding": "gzip"})
    fetched = fetch(url, limits(allowed_networks=LOOPBACK_ONLY))
    assert fetched.body == ARTICLE.encode()
    assert gzip.compress(ARTICLE.encode())[-20:] in fetched.final.response


def test_a_page_slower_than_the_limit_fails_with_its_setting():
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    try:
        with pytest.raises(FetchError, match="longer than 0.5 seconds .ARCHIVE_CAPTURE_TIMEOUT"):
            fetch(url, limits(timeout=0.5, allowed_networks=LOOPBACK_ONLY))
    finally:
        listener.close()


def test_a_server_trickling_its_page_is_cut_off_at_the_time_limit():
    import socket
    import threading
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def trickle():
        connection, _ = listener.accept()
        connection.recv(4096)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
        connection.sendall(b"Content-Length: 100000\r\n\r\n")
        try:
            for _ in range(100):
                connection.sendall(b"x")
                time.sleep(0.05)
        except OSError:
            pass
        connection.close()

    threading.Thread(target=trickle, daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match="longer than 1 seconds .ARCHIVE_CAPTURE_TIMEOUT"):
            fetch(url, limits(timeout=1.0, allowed_networks=LOOPBACK_ONLY))
    finally:
        listener.close()
    assert time.monotonic() - started < 2.5


def test_a_host_whose_name_servers_do_not_answer_fails_at_the_time_limit(monkeypatch):
    import threading
    import time

    answered = threading.Event()

    def silent_name_servers(host, port, *args, **kwargs):
        answered.wait(5)  # what a resolver does while its servers stay silent
        raise OSError("Temporary failure in name resolution")

    monkeypatch.setattr("archive.webcapture.fetch.socket.getaddrinfo", silent_name_servers)
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match="looking up the host 'news.example.org' took longer"):
            fetch("http://news.example.org/story", limits(timeout=0.5))
    finally:
        answered.set()
    assert time.monotonic() - started < 2
