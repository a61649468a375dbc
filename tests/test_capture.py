"""Capturing pages by their addresses: `manage.py capture` archives each page as an article
through the one save path, keeps its WARC (verified by `verify`, carried by export and
restore), and a second capture of the same address adds a capture instead of overwriting."""

import datetime
import gzip
import io
import json

import pytest
from capture_pages import (  # noqa: F401 (fixtures)
    ARTICLE,
    CORPUS,
    UNDATED,
    captures_allowed_on_loopback,
    site,
)
from django.core.management import CommandError, call_command
from warcio.archiveiterator import ArchiveIterator

from archive.integrity import verify_captures
from archive.models import Article, Capture, Source
from archive.webcapture.warc import file_sha256

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("captures_allowed_on_loopback")]


def capture(*args):
    out = io.StringIO()
    call_command("capture", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_a_page_is_archived_with_its_metadata_marked_as_found(site):  # noqa: F811
    url = site.page("/2021/almaty", ARTICLE)
    line = capture(url)
    article = Article.objects.get()
    assert line == f"{url}\t/articles/{article.slug}/\n"
    assert article.title == "Relatives of detained Uyghurs gather in Almaty"
    assert article.title_origin == Article.TitleOrigin.STATED
    assert article.published_on == datetime.date(2021, 3, 5)
    assert article.date_origin == Article.DateOrigin.METADATA
    assert article.authors == "Aigerim Sadykova"
    assert article.source.name == "Steppe Herald"
    assert article.original_url == url
    assert article.is_published
    assert article.body.startswith("Dozens of relatives")  # the headline is not a paragraph
    assert "Subscribe" not in article.body and "Cookie" not in article.body
    assert "SCRIPT" not in article.body
    assert article.original_text.startswith("Relatives of detained Uyghurs gather in Almaty\n")
    capture_row = article.captures.get()
    assert article.captured_at == capture_row.fetched_at
    assert capture_row.publisher_found_in == "the page's og:site_name"
    # The one save path: tagged, quotes extracted, history kept.
    assert article.quotes.filter(text__startswith="We only want to know").exists()
    assert article.history.count() == 1


def test_what_the_page_does_not_state_stays_unknown(site):  # noqa: F811
    url = site.page("/notice", UNDATED)
    capture(url, "--draft")
    article = Article.objects.get()
    assert article.published_on is None and article.date_origin == ""
    assert article.authors == "" and article.source is None
    assert article.title_origin == Article.TitleOrigin.DERIVED
    assert article.status == Article.Status.DRAFT
    found = Capture.objects.values("title_found_in", "author_found_in", "publisher_found_in")
    assert list(found) == [{"title_found_in": "", "author_found_in": "", "publisher_found_in": ""}]


def test_capturing_again_adds_a_capture_and_says_whether_the_text_changed(site):  # noqa: F811
    url = site.page("/story", ARTICLE)
    capture(url)
    article = Article.objects.get()
    again = capture(url)
    unchanged = "(captured again; text unchanged since the capture before)"
    assert again == f"{url}\t/articles/{article.slug}/ {unchanged}\n"
    site.page("/story", ARTICLE.replace("third this month", "fourth this month"))
    changed = capture(url)
    assert "text changed since the capture before" in changed
    article.refresh_from_db()
    assert Article.objects.count() == 1
    assert "third this month" in article.body  # never overwritten
    first, second, third = article.captures.order_by("fetched_at")
    assert first.warc_path != second.warc_path != third.warc_path
    assert first.text_sha256 == second.text_sha256 != third.text_sha256
    assert "fourth this month" in third.text


def test_the_warc_reads_back_and_verify_checks_its_sha256(site, settings):  # noqa: F811
    url = site.page("/story", ARTICLE)
    capture(url)
    row = Capture.objects.get()
    path = settings.DATA_DIR / row.warc_path
    assert row.warc_path == f"captures/{row.fetched_at.year}/{row.pk}.warc.gz"
    assert file_sha256(path) == row.warc_sha256 and path.stat().st_size == row.warc_size
    with open(path, "rb") as stream:
        responses = [
            r.content_stream().read() for r in ArchiveIterator(stream) if r.rec_type == "response"
        ]
    assert responses == [ARTICLE.encode()]
    out = io.StringIO()
    call_command("verify", stdout=out, stderr=io.StringIO())
    assert "WARC files of 1 capture(s): all present" in out.getvalue()

    path.write_bytes(path.read_bytes() + b"tampered")
    errors = io.StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("verify", stdout=io.StringIO(), stderr=errors)
    assert f"its WARC file {row.warc_path} does not match its SHA-256" in errors.getvalue()
    path.unlink()
    assert "is missing" in verify_captures().problems[0]


# A restore empties the tables (TRUNCATE on PostgreSQL), which a test's open transaction
# holding rows of its own would refuse: these run committed, as the command does.
@pytest.mark.django_db(transaction=True)
def test_an_export_carries_the_warc_files_and_a_restore_writes_them_back(
    site,  # noqa: F811
    settings,
    tmp_path,
):
    url = site.page("/story", ARTICLE)
    capture(url)
    capture(url)
    rows = list(Capture.objects.values_list("pk", "warc_path", "warc_sha256"))
    export = tmp_path / "archive.jsonl.gz"
    call_command("export_archive", str(export), stdout=io.StringIO())
    with gzip.open(export, "rt") as lines:
        records = [json.loads(line) for line in lines]
    assert records[0]["version"] == 5
    assert records[-1]["counts"]["files"] == 2
    call_command("flush", interactive=False, verbosity=0)
    for _, path, _ in rows:
        (settings.DATA_DIR / path).unlink()

    call_command("restore_archive", str(export), stdout=io.StringIO())
    assert list(Capture.objects.values_list("pk", "warc_path", "warc_sha256")) == rows
    for _, path, sha256 in rows:
        assert file_sha256(settings.DATA_DIR / path) == sha256
    assert not verify_captures().problems


@pytest.mark.django_db(transaction=True)
def test_a_restore_refuses_an_altered_warc_and_leaves_no_file(site, settings, tmp_path):  # noqa: F811
    capture(site.page("/story", ARTICLE))
    row = Capture.objects.get()
    export = tmp_path / "archive.jsonl"
    call_command("export_archive", str(export), stdout=io.StringIO())
    lines = export.read_text().splitlines()
    for number, line in enumerate(lines):
        record = json.loads(line)
        if "file" in record:
            record["base64"] = record["base64"][:-8] + "AAAAAAA="
            lines[number] = json.dumps(record)
    export.write_text("\n".join(lines) + "\n")
    call_command("flush", interactive=False, verbosity=0)
    (settings.DATA_DIR / row.warc_path).unlink()
    with pytest.raises(CommandError, match="does not match the SHA-256 stored with its capture"):
        call_command("restore_archive", str(export), stdout=io.StringIO())
    assert not Capture.objects.exists()
    assert not (settings.DATA_DIR / row.warc_path).exists()


def test_each_address_gets_its_line_and_failures_say_why(site, tmp_path):  # noqa: F811
    good = site.page("/story", ARTICLE)
    missing = site.base + "/gone"
    image = site.page("/photo.jpg", b"\xff\xd8\xff", content_type="image/jpeg")
    listing = tmp_path / "addresses.txt"
    listing.write_text(f"# to capture\n{good}\n\n{missing}\n{image}\nftp://example.org/x\n")
    out = io.StringIO()
    with pytest.raises(CommandError, match="3 of 4 address"):
        call_command("capture", "--file", str(listing), stdout=out, stderr=io.StringIO())
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"{good}\t/articles/")
    assert lines[1] == f"{missing}\tfailed: {missing} answered HTTP 404 Not Found, not the page"
    assert lines[2] == f"{image}\tfailed: {image} is image/jpeg, not an HTML page"
    assert lines[3].startswith("ftp://example.org/x\tfailed: only http and https")


def test_a_source_given_files_the_article_under_it(site):  # noqa: F811
    wire = Source.objects.create(name="Test Wire", slug="test-wire")
    capture("--source", "test-wire", site.page("/story", ARTICLE))
    assert Article.objects.get().source == wire
    with pytest.raises(CommandError, match="No source has the slug 'nope'"):
        capture("--source", "nope", site.base + "/story")


def test_private_addresses_are_refused_unless_allowed(site, settings):  # noqa: F811
    settings.ARCHIVE_CAPTURE_ALLOW_PRIVATE = False
    url = site.page("/story", ARTICLE)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("capture", url, stdout=out, stderr=io.StringIO())
    assert "127.0.0.1 resolves to 127.0.0.1, a loopback address" in out.getvalue()
    assert site.requests == [] and not Article.objects.exists()


CORPUS_PAGES = sorted(path.name for path in (CORPUS / "html").glob("*.html.gz"))[:3]


@pytest.mark.skipif(not CORPUS_PAGES, reason="the extraction corpus is not on this machine")
def test_real_news_pages_are_captured_with_their_text(site):  # noqa: F811
    truth = json.loads((CORPUS / "ground-truth.json").read_text())
    for number, name in enumerate(CORPUS_PAGES):
        url = site.corpus_page(f"/page-{number}", name)
        capture(url)
        article = Article.objects.get(original_url=url)
        expected = truth[name.removesuffix(".html.gz")]["articleBody"]
        first_words = " ".join(expected.split()[:8])
        assert first_words in " ".join(article.body.split()), name


@pytest.mark.parametrize(
    "stated_title",
    [
        "Relatives of Detained Uyghurs Gather in Almaty",  # title case, the heading not
        "Relatives of detained Uyghurs gather in Almaty - Steppe Herald",  # the site after
    ],
)
def test_the_headline_is_not_repeated_as_the_first_paragraph(site, stated_title):  # noqa: F811
    page = ARTICLE.replace(
        'content="Relatives of detained Uyghurs gather in Almaty"', f'content="{stated_title}"'
    )
    capture(site.page("/story", page))
    article = Article.objects.get()
    assert article.title == stated_title
    assert article.body.startswith("Dozens of relatives")
