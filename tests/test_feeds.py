"""Atom feeds to follow the archive, a source, an entity or a search; and the sitemap."""

import io
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command

from archive.models import Article, Source
from archive.search.results import SearchParams, run_search

pytestmark = pytest.mark.django_db(transaction=True)
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def seeds(seed_dir):
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())


def entries(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    return feed.findall(f"{ATOM}entry")


def test_latest_feed_lists_published_articles_and_never_invents_a_date(client, seeds):
    Article.objects.filter(published_on="2021-02-10").update(status=Article.Status.DRAFT)
    found = entries(client, "/feeds/latest/")
    assert len(found) == 4
    for entry in found:
        assert entry.find(f"{ATOM}title").text
        assert entry.find(f"{ATOM}link").get("href").startswith("http://testserver/articles/")
        assert entry.find(f"{ATOM}updated").text  # when the archive's copy changed
    undated = [e for e in found if e.find(f"{ATOM}published") is None]
    assert len(undated) == 2  # seeds 003 and 004 state no date


def test_source_entity_and_search_feeds(client, seeds):
    apple = Source.objects.create(name="Apple Daily", slug="apple-daily")
    article = Article.objects.get(published_on="2021-02-10")
    article.source = apple
    article.save()
    assert len(entries(client, "/feeds/sources/apple-daily/")) == 1
    assert len(entries(client, "/feeds/entities/serikzhan-bilash/")) == 1
    matching = run_search(SearchParams(q="Kazakhs")).count
    assert matching >= 2
    assert len(entries(client, "/feeds/search/", q="Kazakhs")) == matching
    assert entries(client, "/feeds/search/", q='"unclosed') == []
    assert client.get("/feeds/sources/nowhere/").status_code == 404


def test_pages_advertise_their_feeds(client, seeds):
    home = client.get("/").content.decode()
    assert 'type="application/atom+xml"' in home and "/feeds/latest/" in home
    search = client.get("/search/", {"q": "Kazakhs"}).content.decode()
    assert "/feeds/search/?q=Kazakhs" in search
    assert (
        "/feeds/entities/serikzhan-bilash/"
        in client.get("/entities/serikzhan-bilash/").content.decode()
    )


def test_sitemap_lists_published_articles_and_entities(client, seeds):
    Article.objects.filter(published_on="2021-02-10").update(status=Article.Status.DRAFT)
    root = ET.fromstring(client.get("/sitemap.xml").content)
    locations = [loc.text for loc in root.iter(f"{SITEMAP}loc")]
    articles = [loc for loc in locations if "/articles/" in loc]
    assert len(articles) == 4 + 1  # four published articles and the list page
    assert any(loc.endswith("/entities/serikzhan-bilash/") for loc in locations)


def test_a_stored_title_with_control_characters_does_not_break_the_feeds(client):
    # Stored before admin input and imports dropped them: the feeds still answer.
    source = Source.objects.create(name="Wire\x1b", slug="wire")
    Article.objects.create(
        title="Camps\x01 in\x08 Xinjiang",
        slug="camps",
        authors="Staff\x1b",
        source=source,
        body="Relatives spoke.",
        status=Article.Status.PUBLISHED,
    )
    for path in ("/feeds/latest/", "/feeds/sources/wire/"):
        response = client.get(path)
        assert response.status_code == 200
        feed = ET.fromstring(response.content)
        titles = [e.text for e in feed.iter(f"{ATOM}title")]
        assert "Camps in Xinjiang" in titles
