"""Captures for readers and editors: the article page lists its captures, the page as captured
runs nothing and calls no other host, editors add an article from its address in the admin
and download the WARC."""

import io

import pytest
from capture_pages import ARTICLE, captures_allowed_on_loopback, site  # noqa: F401 (fixtures)
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from lxml import html as lxml_html

from archive.models import Article, Capture, Source

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("captures_allowed_on_loopback")]

SANDBOX = (
    "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def capture(*urls):
    call_command("capture", *urls, stdout=io.StringIO(), stderr=io.StringIO())


@pytest.fixture
def captured(site):  # noqa: F811
    url = site.page("/story", ARTICLE)
    capture(url)
    return Article.objects.get()


def test_the_page_as_captured_has_no_script_and_its_own_sandbox_policy(client, captured):
    row = captured.captures.get()
    response = client.get(f"/articles/{captured.slug}/captures/{row.pk}/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == SANDBOX
    assert response["X-Content-Type-Options"] == "nosniff"
    page = response.content.decode()
    tree = lxml_html.document_fromstring(page)
    assert tree.xpath("//script | //iframe | //link | //object | //embed | //base") == []
    assert not [a for el in tree.iter() for a in el.attrib if a.lower().startswith("on")]
    assert "images.example.com" not in page and "tracker.example.com" not in page
    assert "Dozens of relatives of people detained in Xinjiang" in page
    banner = tree.get_element_by_id("archive-banner")
    assert banner.text_content().startswith("Archived copy, not the live page.")
    assert row.final_url in banner.text_content()
    assert banner.xpath(".//a/@href") == [captured.get_absolute_url()]


def test_hostile_markup_in_the_banner_stays_text(client, site):  # noqa: F811
    title = '<script>alert("t")</script> & "quotes"'
    hostile = ARTICLE.replace(
        "Relatives of detained Uyghurs gather in Almaty</h1>", f"{title}</h1>"
    ).replace('content="Relatives of detained Uyghurs gather in Almaty"', 'content="x"')
    url = site.page("/hostile?q=<b>x</b>", hostile)
    capture(url)
    article = Article.objects.get()
    article.title = title
    article.save()
    row = article.captures.get()
    page = client.get(row.get_absolute_url()).content.decode()
    assert "<script" not in page
    assert "&lt;script&gt;alert" in page


def test_the_article_page_lists_its_captures_and_whether_the_text_changed(
    client,
    site,  # noqa: F811
):
    url = site.page("/story", ARTICLE)
    capture(url)
    capture(url)
    site.page("/story", ARTICLE.replace("third this month", "fourth this month"))
    capture(url)
    article = Article.objects.get()
    page = client.get(article.get_absolute_url()).content.decode()
    assert "When and from where it was captured" in page
    for row in article.captures.all():
        assert row.get_absolute_url() in page
    assert page.count("The first capture.") == 1
    assert page.count("The text was the same as in the capture before.") == 1
    assert page.count("<strong>The text had changed</strong> since the capture before:") == 1


def test_a_drafts_capture_is_not_found_for_readers(client, site):  # noqa: F811
    capture("--draft", site.page("/story", ARTICLE))
    row = Capture.objects.get()
    assert client.get(row.get_absolute_url()).status_code == 404
    other = Article.objects.create(title="Other", slug="other", body="x", status="published")
    assert client.get(f"/articles/{other.slug}/captures/{row.pk}/").status_code == 404


def test_an_editor_adds_an_article_from_its_address(client, editor, site):  # noqa: F811
    wire = Source.objects.create(name="Test Wire", slug="test-wire")
    form = reverse("admin:archive_article_add_from_address")
    changelist = client.get(reverse("admin:archive_article_changelist")).content.decode()
    assert f'href="{form}"' in changelist
    url = site.page("/story", ARTICLE)
    response = client.post(form, {"url": url, "draft": "on", "source": wire.pk})
    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:archive_article_change", args=[article.pk])
    assert article.status == Article.Status.DRAFT and article.source == wire
    change_page = client.get(response["Location"]).content.decode()
    assert "Captured the page as a new article" in change_page
    assert reverse("admin:archive_capture_warc", args=[article.captures.get().pk]) in change_page


def test_an_address_that_cannot_be_captured_says_why_in_the_form(client, editor, settings):
    settings.ARCHIVE_CAPTURE_ALLOW_PRIVATE = False
    form = reverse("admin:archive_article_add_from_address")
    page = client.post(form, {"url": "http://169.254.169.254/latest/"}).content.decode()
    assert (
        "The page could not be captured: 169.254.169.254 resolves to 169.254.169.254, a "
        "cloud metadata address" in page
    )
    assert not Article.objects.exists()


def test_editors_download_the_warc_and_others_may_not(client, editor, captured, settings):
    row = captured.captures.get()
    download = reverse("admin:archive_capture_warc", args=[row.pk])
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="capture-{row.pk}.warc.gz"'
    assert b"".join(response.streaming_content) == (settings.DATA_DIR / row.warc_path).read_bytes()

    listing = client.get(reverse("admin:archive_capture_changelist")).content.decode()
    assert row.final_url in listing
    detail = client.get(reverse("admin:archive_capture_change", args=[row.pk])).content.decode()
    assert download in detail and row.get_absolute_url() in detail
    assert 'name="_save"' not in detail  # evidence: seen, never changed

    client.logout()
    assert client.get(download).status_code == 302  # to the login page
    stranger = User.objects.create_user("s", password="a long enough passphrase", is_staff=True)
    client.force_login(stranger)
    assert client.get(download).status_code == 403
    assert client.get(reverse("admin:archive_article_add_from_address")).status_code == 403
