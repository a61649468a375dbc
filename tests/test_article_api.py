"""GET /api/articles/<slug>: the article as JSON, as its page shows it (paragraphs numbered
from ¶1, names, quotes, captures, the original's status); unknown values null; drafts not
found for readers; WARC downloads named for editors only; revalidated like the page. And the
article page says what became of the original, in words."""

import datetime
import io

import pytest
from capture_pages import ARTICLE, captures_allowed_on_loopback, site  # noqa: F401 (fixtures)
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import html as lxml_html

from archive.models import Article, Entity, Mention, OriginalCheck

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("captures_allowed_on_loopback")]

TODAY = f"{timezone.localdate():%-d %B %Y}"


def capture(url):
    call_command("capture", url, stdout=io.StringIO(), stderr=io.StringIO())
    return Article.objects.get(original_url=url)


def check_originals():
    call_command("check_originals", "--delay", "0", stdout=io.StringIO(), stderr=io.StringIO())


@pytest.fixture
def captured(site):  # noqa: F811
    return capture(site.page("/2021/almaty", ARTICLE))


def api(client, article, **headers):
    return client.get(f"/api/articles/{article.slug}", **headers)


def test_a_captured_article_as_json(client, captured):
    response = api(client, captured)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    permalink = f"http://testserver/articles/{captured.slug}/"
    row = captured.captures.get()
    assert data["title"] == "Relatives of detained Uyghurs gather in Almaty"
    assert data["url"] == permalink
    assert data["source"]["name"] == "Steppe Herald"
    assert (data["date"], data["date_origin"]) == ("2021-03-05", "metadata")
    assert data["author"] == "Aigerim Sadykova"
    assert data["original_url"] == captured.original_url
    assert data["captured_at"] == row.fetched_at.isoformat()
    assert data["body_sha256"] == captured.body_sha256
    # ¶1 is the first paragraph, and its address is the page's anchor.
    first = data["paragraphs"][0]
    assert first["number"] == 1 and first["text"].startswith("Dozens of relatives")
    assert first["url"] == permalink + "#p-1"
    page = lxml_html.fromstring(client.get(captured.get_absolute_url()).content)
    assert page.get_element_by_id("p-1").text_content().find("Dozens of relatives") >= 0
    assert [p["text"] for p in data["paragraphs"]] == captured.paragraphs
    (quote,) = [q for q in data["quotes"] if q["text"].startswith("We only want to know")]
    assert quote["paragraph"] == 2 and quote["url"] == permalink + "#p-2"
    (entry,) = data["captures"]
    assert entry["warc_sha256"] == row.warc_sha256
    assert entry["final_url"] == row.final_url and entry["text_changed"] is None
    assert entry["page_as_captured"] == "http://testserver" + row.get_absolute_url()
    assert entry["metadata"]["author"] == {
        "value": "Aigerim Sadykova",
        "found_in": "the page's byline or author metadata, by trafilatura",
    }
    assert "warc_download" not in entry  # the WARC files are for editors
    assert data["original"] == {
        "address": captured.original_url,
        "checked": False,
        "status": None,
        "summary": [],
        "last_finding": None,
        "last_check": None,
    }


def test_what_is_not_known_is_null(client, db):
    article = Article.objects.create(
        title="Pasted",
        slug="pasted",
        body="Only text.\n\nNothing else.",
        status=Article.Status.PUBLISHED,
    )
    place = Entity.objects.create(name="Urumqi", slug="urumqi", kind=Entity.Kind.PLACE)
    Mention.objects.create(article=article, entity=place, paragraph=2)
    data = api(client, article).json()
    for key in ("source", "date", "date_origin", "author", "original_url", "captured_at"):
        assert data[key] is None, key
    assert data["original"] is None and data["captures"] == [] and data["quotes"] == []
    assert data["original_text_sha256"] is None
    assert data["entities"] == [
        {
            "name": "Urumqi",
            "kind": "place",
            "slug": "urumqi",
            "url": "http://testserver/entities/urumqi/",
            "mentions": 1,
        }
    ]
    assert [p["number"] for p in data["paragraphs"]] == [1, 2]


def test_a_draft_is_not_found_for_readers_and_previewed_for_editors(client, editor, captured):
    Article.objects.filter(pk=captured.pk).update(status=Article.Status.DRAFT)
    response = api(client, captured)
    assert response.status_code == 200 and response.json()["status"] == "draft"
    assert "no-store" in response["Cache-Control"] and "ETag" not in response
    client.logout()
    assert api(client, captured).status_code == 404
    assert client.get("/api/articles/no-such-article").status_code == 404


def test_editors_get_the_warc_download_in_a_copy_no_cache_keeps(client, editor, captured):
    row = captured.captures.get()
    response = api(client, captured)
    (entry,) = response.json()["captures"]
    download = "http://testserver" + reverse("admin:archive_capture_warc", args=[row.pk])
    assert entry["warc_download"] == download
    assert "no-store" in response["Cache-Control"] and "ETag" not in response
    client.logout()
    public = api(client, captured)
    assert "warc_download" not in public.json()["captures"][0]
    assert "ETag" in public and "no-store" not in public["Cache-Control"]


def test_the_json_is_revalidated_and_a_check_of_the_original_changes_it(
    client,
    captured,
    site,  # noqa: F811
):
    first = api(client, captured)
    etag = first["ETag"]
    assert api(client, captured, HTTP_IF_NONE_MATCH=etag).status_code == 304
    page_etag = client.get(captured.get_absolute_url())["ETag"]
    assert page_etag != etag  # the page and its JSON are two copies
    site.gone("/2021/almaty")
    check_originals()
    response = api(client, captured, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    original = response.json()["original"]
    assert original["status"] == "gone" and original["checked"] is True
    assert original["last_finding"]["http_status"] == 410
    assert original["summary"] == [
        f"The original was no longer online on {TODAY}: it answered HTTP 410 Gone."
    ]
    page = client.get(captured.get_absolute_url(), HTTP_IF_NONE_MATCH=page_etag)
    assert page.status_code == 200  # the page says it now: no stale 304


def test_a_new_capture_of_a_published_article_changes_its_page(client, captured):
    etag = client.get(captured.get_absolute_url())["ETag"]
    capture(captured.original_url)  # captured again: the page lists one more capture
    response = client.get(captured.get_absolute_url(), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.content.decode().count("the page as captured") == 2


def test_the_article_page_links_its_json(client, captured):
    page = lxml_html.fromstring(client.get(captured.get_absolute_url()).content)
    (link,) = page.xpath('//link[@rel="alternate"][@type="application/json"]')
    assert link.get("href") == f"/api/articles/{captured.slug}"
    assert page.xpath(f'//a[@href="/api/articles/{captured.slug}"]')


def status_on_page(client, article) -> str:
    page = lxml_html.fromstring(client.get(article.get_absolute_url()).content)
    return " ".join(page.get_element_by_id("original-status").text_content().split())


def test_the_page_says_the_original_is_gone_and_a_later_time_out_does_not_undo_it(
    client,
    captured,
    site,  # noqa: F811
):
    assert status_on_page(client, captured) == (
        "Not checked yet: whether the original is still online is unknown."
    )
    site.gone("/2021/almaty", 404)
    check_originals()
    gone = f"The original was no longer online on {TODAY}: it answered HTTP 404 Not Found."
    assert status_on_page(client, captured) == gone
    site.page("/2021/almaty", "busy", status=503)
    check_originals()
    said = status_on_page(client, captured)
    assert said.startswith(gone + " The original could not be checked on")
    assert said.endswith("That does not mean it is gone.")


def test_the_page_links_the_changed_original_kept_as_evidence(client, captured, site):  # noqa: F811
    site.page("/2021/almaty", ARTICLE.replace("third this month", "fourth this month"))
    check_originals()
    evidence = OriginalCheck.objects.get().evidence
    page = lxml_html.fromstring(client.get(captured.get_absolute_url()).content)
    status = page.get_element_by_id("original-status")
    assert "The original's text had changed since the capture of" in status.text_content()
    (link,) = status.xpath(".//a")
    assert link.get("href") == evidence.get_absolute_url()
    assert link.text == "The page as it answered then"


def test_a_hostile_address_the_original_moved_to_stays_text(client, captured, site):  # noqa: F811
    hostile = site.base + '/"><script>alert(1)</script>'
    site.pages['/"><script>alert(1)</script>'] = site.pages["/2021/almaty"]
    site.redirect("/2021/almaty", hostile)
    check_originals()
    content = client.get(captured.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "the original address led to another:" in status_on_page(client, captured)


def test_checks_are_dated_in_the_archives_time_zone(client, captured):
    OriginalCheck.objects.create(
        article=captured,
        url=captured.original_url,
        checked_at=datetime.datetime(2026, 12, 3, 23, 30, tzinfo=datetime.UTC),
        outcome=OriginalCheck.Outcome.GONE,
        http_status=410,
        detail="it answered HTTP 410 Gone",
    )
    assert status_on_page(client, captured) == (
        "The original was no longer online on 3 December 2026: it answered HTTP 410 Gone."
    )


def test_the_json_costs_the_same_queries_however_many_captures_and_checks(
    client,
    captured,
    site,  # noqa: F811
):
    def queries():
        with CaptureQueriesContext(connection) as context:
            assert api(client, captured).status_code == 200
        return len(context.captured_queries)

    site.page("/2021/almaty", "busy", status=503)
    check_originals()  # a latest check that could not find out: one query more, at most
    few = queries()
    for text in ("fourth", "fifth", "sixth"):
        site.page("/2021/almaty", ARTICLE.replace("third", text))
        check_originals()  # each one changed: a check and a capture kept as evidence
    site.page("/2021/almaty", "busy", status=503)
    check_originals()
    assert captured.captures.count() == 4 and captured.original_checks.count() == 5
    assert queries() == few
