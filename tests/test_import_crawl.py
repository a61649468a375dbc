"""Importing crawls made by other tools: `manage.py import_crawl` reads WARC files as wget and
ArchiveBox write them and WACZ files as Browsertrix writes them, and archives each HTML page
as a capture dated by the crawl, its WARC records copied unchanged and checked by `verify`.

The crawl files are written here with warcio, small, in each test's temporary directory."""

import datetime
import gzip
import io
import json
import shutil
import subprocess
import zipfile

import pytest
from capture_pages import ARTICLE, captures_allowed_on_loopback, site  # noqa: F401 (fixtures)
from django.core.management import CommandError, call_command
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.integrity import verify_captures
from archive.models import Article, Capture
from archive.webcapture.as_captured import page_as_captured

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("captures_allowed_on_loopback")]

STORY = "https://news.example.org/2021/almaty"
CHANGED = ARTICLE.replace("third this month", "fourth this month")
OTHER = ARTICLE.replace("Almaty", "Bishkek").replace("Kazakhstan", "Kyrgyzstan")


class Crawl:
    """A WARC file written record by record as a crawler writes it."""

    def __init__(self, *, gzip=True, request_first=True):
        self.out = io.BytesIO()
        self.writer = WARCWriter(self.out, gzip=gzip)
        # wget writes each request before its response; Browsertrix after it.
        self.request_first = request_first
        info = self.writer.create_warcinfo_record("crawl.warc", {"software": "Wget/1.21.3"})
        self.writer.write_record(info)

    def exchange(self, url, body, *, date, status="200 OK", content_type="text/html", **more):
        headers = [("Content-Type", content_type), *more.items()]
        http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
        stamp = {"WARC-Date": date or "2020-01-01T00:00:00Z"}
        response = self.writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body.encode() if isinstance(body, str) else body),
            http_headers=http,
            warc_headers_dict=dict(stamp),
        )
        path = "/" + url.split("/", 3)[3]
        asked = StatusAndHeaders(f"GET {path} HTTP/1.1", [("Host", "news.example.org")])
        asked.is_http_request = True
        request = self.writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""), http_headers=asked, warc_headers_dict=stamp
        )
        if date is None:  # a record without a date, which the WARC standard requires
            response.rec_headers.remove_header("WARC-Date")
        if self.request_first:
            link = request.rec_headers.get_header("WARC-Record-ID")
            response.rec_headers.add_header("WARC-Concurrent-To", link)
            self.writer.write_record(request)
            self.writer.write_record(response)
        else:
            link = response.rec_headers.get_header("WARC-Record-ID")
            request.rec_headers.add_header("WARC-Concurrent-To", link)
            self.writer.write_record(response)
            self.writer.write_record(request)
        return response.rec_headers.get_header("WARC-Record-ID")

    def revisit(self, url, *, date):
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        record = self.writer.create_revisit_record(
            url,
            "sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            url,
            "2021-03-05T10:00:00Z",
            http_headers=http,
            warc_headers_dict={"WARC-Date": date},
        )
        self.writer.write_record(record)

    def save(self, path):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.out.getvalue())
        return path


def wget_crawl(gzip=True) -> Crawl:
    """A wget --warc-file crawl: the story twice, a stylesheet, a redirect, a missing page
    and a revisit record."""
    crawl = Crawl(gzip=gzip)
    crawl.exchange(STORY, ARTICLE, date="2021-03-06T08:00:00Z")
    crawl.exchange(
        "https://news.example.org/site.css",
        "body{}",
        date="2021-03-06T08:00:01Z",
        content_type="text/css",
    )
    crawl.exchange(
        "https://news.example.org/old",
        "",
        date="2021-03-06T08:00:02Z",
        status="301 Moved Permanently",
        Location=STORY,
    )
    crawl.exchange(
        "https://news.example.org/gone",
        "<p>Not found</p>",
        date="2021-03-06T08:00:03Z",
        status="404 Not Found",
    )
    crawl.revisit(STORY, date="2021-03-07T08:00:00Z")
    crawl.exchange(STORY, CHANGED, date="2021-03-08T08:00:00Z")
    return crawl


def import_crawl(*paths, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_crawl", *map(str, paths), stdout=out, stderr=err, **options)
    return out.getvalue().splitlines()


def records_of(path):
    with open(path, "rb") as stream:
        return [
            (record.rec_type, record.rec_headers, record.content_stream().read())
            for record in ArchiveIterator(stream)
        ]


@pytest.mark.parametrize("gzip", [True, False], ids=["warc.gz", "uncompressed warc"])
def test_a_wget_crawl_is_archived_page_by_page_dated_by_the_crawl(tmp_path, settings, gzip):
    name = "crawl.warc.gz" if gzip else "crawl.warc"
    path = wget_crawl(gzip).save(tmp_path / name)
    lines = import_crawl(path)
    article = Article.objects.get()
    assert lines[0] == f"{STORY}\t/articles/{article.slug}/"
    assert lines[1] == (
        f"{STORY}\t/articles/{article.slug}/ (captured again; text changed since the capture "
        "before)"
    )
    assert lines[2] == (
        "Read 12 record(s) in 1 crawl file(s): 2 page(s) archived, 0 already archived, "
        "0 failed. Skipped: 1 not HTML, 1 redirect, 1 HTTP error or other status than 200, "
        "1 revisit record (no new copy kept by the crawler)."
    )
    first, second = article.captures.order_by("fetched_at")
    utc = datetime.UTC
    assert first.fetched_at == datetime.datetime(2021, 3, 6, 8, tzinfo=utc)  # WARC-Date
    assert second.fetched_at == datetime.datetime(2021, 3, 8, 8, tzinfo=utc)
    assert article.captured_at == first.fetched_at
    assert "third this month" in article.body  # the later capture never overwrites
    assert "fourth this month" in second.text
    assert first.imported_from == name and first.url == first.final_url == STORY
    assert article.title == "Relatives of detained Uyghurs gather in Almaty"
    assert article.quotes.exists() and article.history.count() == 1  # the one save path

    # The capture's WARC: the archive's note of provenance, then the crawl's records as
    # they were (the same record ids), the request paired with its response.
    records = records_of(settings.DATA_DIR / first.warc_path)
    assert [kind for kind, _, _ in records] == ["warcinfo", "warcinfo", "request", "response"]
    assert f"imported-from: {name}".encode() in records[0][2]
    assert b"Wget/1.21.3" in records[1][2]
    request_id = records[2][1].get_header("WARC-Record-ID")
    assert records[3][1].get_header("WARC-Concurrent-To") == request_id
    assert records[3][2] == ARTICLE.encode()
    assert not verify_captures().problems
    assert page_as_captured(first).url == STORY


def test_the_records_are_copied_byte_for_byte_from_the_crawl(tmp_path, settings):
    path = wget_crawl(gzip=True).save(tmp_path / "crawl.warc.gz")
    import_crawl(path)
    first = Capture.objects.order_by("fetched_at").first()
    copied = (settings.DATA_DIR / first.warc_path).read_bytes()
    crawl = path.read_bytes()
    # Every gzip member after the archive's own warcinfo is a member of the crawl file.
    with open(settings.DATA_DIR / first.warc_path, "rb") as stream:
        iterator = ArchiveIterator(stream)
        offsets = []
        for record in iterator:
            offsets.append(iterator.get_record_offset())
            iterator.read_to_end(record)
    members = [copied[a:b] for a, b in zip(offsets[1:], [*offsets[2:], len(copied)], strict=True)]
    assert len(members) == 3 and all(member in crawl for member in members)


def test_importing_a_crawl_again_adds_nothing(tmp_path):
    path = wget_crawl().save(tmp_path / "crawl.warc.gz")
    import_crawl(path)
    lines = import_crawl(path)
    assert lines[:2] == [f"{STORY}\talready archived (this capture)"] * 2
    assert "0 page(s) archived, 2 already archived" in lines[2]
    assert Capture.objects.count() == 2


def test_a_browsertrix_wacz_gives_the_pages_it_lists_not_its_frames(tmp_path, settings):
    crawl = Crawl(request_first=False)
    crawl.exchange(STORY, ARTICLE, date="2024-05-01T10:00:00.250Z")
    crawl.exchange("https://ads.example.net/frame", OTHER, date="2024-05-01T10:00:01Z")
    crawl.exchange("https://news.example.org/bishkek", OTHER, date="2024-05-01T10:00:02Z")
    wacz = tmp_path / "crawl.wacz"
    pages = [
        {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"},
        {"id": "1", "url": STORY.replace("https://news.", "https://NEWS.") + "#top"},
    ]
    extra = [{"format": "json-pages-1.0"}, {"id": "2", "url": "https://news.example.org/bishkek"}]
    with zipfile.ZipFile(wacz, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("archive/data.warc.gz"), crawl.out.getvalue()
        )  # stored, as Browsertrix stores them
        archive.writestr("pages/pages.jsonl", "\n".join(map(json.dumps, pages)) + "\n")
        archive.writestr("pages/extraPages.jsonl", "\n".join(map(json.dumps, extra)) + "\n")
        archive.writestr("datapackage.json", json.dumps({"profile": "data-package"}))
    lines = import_crawl(wacz, "--draft")
    assert [line.split("\t")[0] for line in lines[:2]] == [
        STORY,
        "https://news.example.org/bishkek",
    ]
    assert "Skipped: 1 HTML not in the WACZ's page list (frames, embeds)." in lines[2]
    story = Article.objects.get(original_url=STORY)
    assert story.status == Article.Status.DRAFT
    capture = story.captures.get()
    assert capture.fetched_at == datetime.datetime(
        2024, 5, 1, 10, 0, 0, 250000, tzinfo=datetime.UTC
    )
    assert capture.imported_from == "crawl.wacz (archive/data.warc.gz)"
    kinds = [kind for kind, _, _ in records_of(settings.DATA_DIR / capture.warc_path)]
    assert kinds == ["warcinfo", "warcinfo", "response", "request"]  # the crawl's order
    assert not verify_captures().problems


def test_a_wacz_with_compressed_members_is_read_too(tmp_path):
    crawl = Crawl()
    crawl.exchange(STORY, ARTICLE, date="2024-05-01T10:00:00Z")
    wacz = tmp_path / "crawl.wacz"
    with zipfile.ZipFile(wacz, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.warc.gz", crawl.out.getvalue())
    import_crawl(wacz)
    assert Article.objects.get().original_url == STORY


def test_an_archivebox_folder_is_read_file_by_file(tmp_path):
    first, second = Crawl(), Crawl()
    first.exchange(STORY, ARTICLE, date="2023-01-01T00:00:00Z")
    second.exchange("https://news.example.org/bishkek", OTHER, date="2023-01-02T00:00:00Z")
    folder = tmp_path / "archivebox" / "archive"
    first.save(folder / "1672531200.0" / "warc" / "1672531200.warc.gz")
    second.save(folder / "1672617600.0" / "warc" / "1672617600.warc.gz")
    (folder / "1672531200.0" / "index.json").write_text("{}")
    lines = import_crawl(tmp_path / "archivebox")
    assert "in 2 crawl file(s): 2 page(s) archived" in lines[-1]
    assert Article.objects.count() == 2


@pytest.mark.parametrize("gzip", [True, False], ids=["warc.gz", "uncompressed warc"])
def test_a_crawl_cut_short_keeps_the_pages_before_and_says_where_it_stopped(tmp_path, gzip):
    crawl = Crawl(gzip=gzip)
    crawl.exchange(STORY, ARTICLE, date="2023-01-01T00:00:00Z")
    whole = len(crawl.out.getvalue())
    crawl.exchange("https://news.example.org/bishkek", OTHER, date="2023-01-02T00:00:00Z")
    path = tmp_path / "cut.warc"
    path.write_bytes(crawl.out.getvalue()[: whole + 800])  # inside the second page
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 file"):
        call_command("import_crawl", str(path), stdout=io.StringIO(), stderr=err)
    assert "cut.warc: the file ends inside" in err.getvalue()
    assert "(a crawl cut short?); the pages before were archived" in err.getvalue()
    assert Article.objects.get().original_url == STORY


def test_pages_that_hold_no_article_say_why_and_files_that_are_not_crawls_are_refused(tmp_path):
    crawl = Crawl()
    crawl.exchange(
        "https://news.example.org/empty", "<html><body></body></html>", date="2023-01-01T00:00:00Z"
    )
    path = crawl.save(tmp_path / "crawl.warc.gz")
    (tmp_path / "notes.txt").write_text("not a crawl")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 file.* 1 page"):
        call_command("import_crawl", str(path), str(tmp_path / "notes.txt"), stdout=out, stderr=err)
    assert out.getvalue().splitlines()[0] == (
        "https://news.example.org/empty\tfailed: no article text was found on the page"
    )
    assert "notes.txt: not a crawl file (expected .warc, .warc.gz or .wacz)" in err.getvalue()


def test_the_article_page_and_the_page_as_captured_say_a_crawler_took_it(tmp_path, client):
    path = wget_crawl().save(tmp_path / "crawl.warc.gz")
    import_crawl(path)
    article = Article.objects.get()
    page = client.get(article.get_absolute_url()).content.decode()
    assert "by a crawler (imported from the crawl file" in page
    first = article.captures.order_by("fetched_at").first()
    banner = page_as_captured(first).html
    assert "Captured by a crawler (imported from the crawl file crawl.warc.gz)" in banner
    assert "6 March 2021" in banner


def test_import_articles_given_a_crawl_points_to_import_crawl(tmp_path):
    path = wget_crawl().save(tmp_path / "crawl.warc.gz")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_articles", str(path), stdout=io.StringIO(), stderr=err)
    assert "crawl.warc.gz: a crawl: `manage.py import_crawl` archives its pages" in err.getvalue()


def test_a_long_crawl_reports_its_progress(tmp_path, monkeypatch):
    monkeypatch.setattr("archive.webcapture.crawls.PROGRESS_EVERY", 5)
    path = wget_crawl().save(tmp_path / "crawl.warc.gz")
    err = io.StringIO()
    call_command("import_crawl", str(path), stdout=io.StringIO(), stderr=err)
    progress = err.getvalue().splitlines()
    assert [line.split(" (")[0] for line in progress] == [
        "crawl.warc.gz: 5 records read",
        "crawl.warc.gz: 10 records read",
    ]
    assert progress[1].endswith("% of the file)")


@pytest.mark.skipif(shutil.which("wget") is None, reason="wget is not installed")
def test_crawls_written_by_wget_itself_are_read(site, tmp_path):  # noqa: F811
    """wget's own WARC files: a page, an image, a redirect to a second page, a missing page;
    then a second crawl with --warc-dedup, where the unchanged page is a revisit record."""
    story = site.page("/almaty", ARTICLE)
    image = site.page("/photo.jpg", b"\xff\xd8\xff" + bytes(500), content_type="image/jpeg")
    other = site.page("/bishkek", OTHER)
    moved = site.redirect("/old", other, status=301)
    missing = site.base + "/missing"
    first, second = tmp_path / "first", tmp_path / "second"
    wget = ["wget", "--quiet", "--no-proxy", "--output-document", "/dev/null", "--tries", "1"]
    run = {"cwd": tmp_path, "check": False, "timeout": 30}  # wget exits 8 on the 404
    subprocess.run(
        [*wget, f"--warc-file={first}", "--warc-cdx", story, image, moved, missing], **run
    )
    subprocess.run([*wget, f"--warc-file={second}", f"--warc-dedup={first}.cdx", story], **run)
    lines = import_crawl(f"{first}.warc.gz", f"{second}.warc.gz")
    assert [line.split("\t")[0] for line in lines[:2]] == [story, other]
    assert lines[2].endswith(
        "2 page(s) archived, 0 already archived, 0 failed. Skipped: 1 not HTML, 1 redirect, "
        "1 HTTP error or other status than 200, 1 revisit record (no new copy kept by the "
        "crawler)."
    ), lines[2]
    assert Article.objects.count() == 2 and Capture.objects.count() == 2
    assert not verify_captures().problems


def test_pages_a_browser_received_brotli_compressed_are_read_and_zstd_is_skipped(tmp_path):
    import brotli

    crawl = Crawl(request_first=False)
    compressed = brotli.compress(ARTICLE.encode())
    crawl.exchange(STORY, compressed, date="2024-05-01T10:00:00Z", **{"Content-Encoding": "br"})
    crawl.exchange(
        "https://news.example.org/bishkek",
        b"(zstd bytes)",
        date="2024-05-01T10:00:01Z",
        **{"Content-Encoding": "zstd"},
    )
    lines = import_crawl(crawl.save(tmp_path / "crawl.warc.gz"))
    assert "Relatives of people" not in Article.objects.get().body
    assert Article.objects.get().body.startswith("Dozens of relatives")
    assert lines[-1].endswith(
        "Skipped: 1 in a content encoding the archive cannot read (not gzip, deflate or br)."
    )
    # The capture's WARC keeps the response as the crawl did: still brotli-compressed; the
    # page as captured is read from it, decompressed.
    capture = Capture.objects.get()
    assert compressed in gzip.decompress(capture.warc_file.read_bytes())
    assert "Dozens of relatives" in page_as_captured(capture).html


def test_a_page_that_decompresses_beyond_the_limit_or_not_at_all_is_skipped(tmp_path, settings):
    import brotli

    settings.ARCHIVE_CAPTURE_MAX_BYTES = 100_000
    bomb = brotli.compress(ARTICLE.encode() + b" " * 5_000_000, quality=5)  # a few KB
    crawl = Crawl()
    crawl.exchange(STORY, bomb, date="2024-05-01T10:00:00Z", **{"Content-Encoding": "br"})
    crawl.exchange(
        "https://news.example.org/gz",
        b"\x1f\x8b\x08\x00 not gzip at all",
        date="2024-05-01T10:00:01Z",
        **{"Content-Encoding": "gzip"},
    )
    lines = import_crawl(crawl.save(tmp_path / "crawl.warc.gz"))
    assert lines[-1].endswith(
        "Skipped: 1 larger than ARCHIVE_CAPTURE_MAX_BYTES, "
        "1 content that does not decompress (damaged)."
    )
    assert not Article.objects.exists()


def test_a_response_without_a_date_is_skipped_not_dated_today(tmp_path):
    crawl = Crawl()
    crawl.exchange(STORY, ARTICLE, date=None)
    lines = import_crawl(crawl.save(tmp_path / "crawl.warc.gz"))
    assert lines[-1].endswith("Skipped: 1 no WARC-Date (when it was captured is unknown).")
    assert not Article.objects.exists()


def test_a_source_given_files_the_crawls_new_articles_under_it(tmp_path):
    from archive.models import Source

    wire = Source.objects.create(name="Test Wire", slug="test-wire")
    path = wget_crawl().save(tmp_path / "crawl.warc.gz")
    with pytest.raises(CommandError, match="No source has the slug 'nope'"):
        import_crawl(path, "--source", "nope")
    assert not Article.objects.exists()
    import_crawl(path, "--source", "test-wire")
    assert Article.objects.get().source == wire


def test_a_damaged_wacz_says_what_is_wrong(tmp_path):
    crawl = Crawl()
    crawl.exchange(STORY, ARTICLE, date="2024-05-01T10:00:00Z")
    wacz = tmp_path / "crawl.wacz"
    with zipfile.ZipFile(wacz, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.warc.gz", crawl.out.getvalue())
        archive.writestr("pages/pages.jsonl", b"\xff\xfe not text\n")
    (tmp_path / "empty.wacz").write_bytes(b"not a zip file")
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 file"):
        call_command(
            "import_crawl",
            str(wacz),
            str(tmp_path / "empty.wacz"),
            stdout=io.StringIO(),
            stderr=err,
        )
    assert "crawl.wacz: its page list cannot be read" in err.getvalue()
    assert "empty.wacz: not a readable WACZ (zip) file" in err.getvalue()
