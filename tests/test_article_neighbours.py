"""The article page: previous and next from the same source, canonical address, descriptions."""

import datetime
import itertools
import re

import pytest

from archive import browse
from archive.models import Article, Source

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)


def publish(source=None, published_on=None, **fields):
    n = next(_numbers)
    defaults = dict(
        title=f"Report {n}",
        slug=f"report-{n}",
        body=f"The lead of report {n}.\n\nSecond paragraph.",
        status=Article.Status.PUBLISHED,
        source=source,
        published_on=published_on,
    )
    return Article.objects.create(**{**defaults, **fields})


def day(n):
    return datetime.date(2020, 1, 1) + datetime.timedelta(days=n)


def page_of(client, article, **params):
    response = client.get(article.get_absolute_url(), params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def rfa():
    return Source.objects.create(name="Radio Free Asia", slug="rfa")


@pytest.fixture
def rfa_articles(rfa):
    """In the source's order: two on day 5 (by id), one on day 9, then two undated (by id)."""
    guardian = Source.objects.create(name="The Guardian", slug="guardian")
    later = publish(rfa, day(9), title="Day nine")
    first = publish(rfa, day(5), title="Day five, first")
    second = publish(rfa, day(5), title="Day five, second")
    undated_a = publish(rfa, None, title="Undated A")
    undated_b = publish(rfa, None, title="Undated B")
    # Not part of the sequence: another source, no source, a draft.
    publish(guardian, day(7), title="Guardian day seven")
    publish(None, day(6), title="Unknown source day six")
    publish(rfa, day(7), title="Draft day seven", status=Article.Status.DRAFT)
    return [first, second, later, undated_a, undated_b]


def neighbours(article):
    found = browse.source_neighbours(article)
    return (
        found.previous.title if found.previous else None,
        found.next.title if found.next else None,
    )


def test_neighbours_follow_publication_then_arrival_with_undated_last(rfa_articles):
    first, second, later, undated_a, undated_b = rfa_articles
    assert neighbours(first) == (None, "Day five, second")
    assert neighbours(second) == ("Day five, first", "Day nine")
    assert neighbours(later) == ("Day five, second", "Undated A")
    assert neighbours(undated_a) == ("Day nine", "Undated B")
    assert neighbours(undated_b) == ("Undated A", None)


def test_an_article_whose_source_is_unknown_has_no_neighbours(rfa_articles):
    unknown = Article.objects.get(title="Unknown source day six")
    assert neighbours(unknown) == (None, None)


def test_the_article_page_links_previous_and_next_in_the_source(client, rfa_articles):
    page = page_of(client, rfa_articles[2])
    assert '<nav class="neighbours" aria-labelledby="neighbours-heading">' in page
    assert '<h2 id="neighbours-heading">More from Radio Free Asia</h2>' in page
    previous = re.search(r'<a rel="prev" href="([^"]+)">Day five, second</a>', page)
    following = re.search(r'<a rel="next" href="([^"]+)">Undated A</a>', page)
    assert previous and previous.group(1) == rfa_articles[1].get_absolute_url()
    assert following and following.group(1) == rfa_articles[3].get_absolute_url()
    assert "date unknown" in page.split('rel="next"')[1]


def test_an_only_article_or_one_without_source_has_no_neighbour_links(client, rfa):
    alone = publish(rfa, day(1))
    unknown = publish(None, day(2))
    publish(None, day(3))
    for article in (alone, unknown):
        assert 'class="neighbours"' not in page_of(client, article)


# What the page tells other sites


def test_the_article_page_has_a_canonical_address_without_highlighting(client, rfa):
    article = publish(rfa, day(3), slug="camps")
    page = page_of(client, article, hl="camps")
    assert '<link rel="canonical" href="http://testserver/articles/camps/">' in page
    assert page.count('rel="canonical"') == 1


def test_the_article_page_describes_itself_from_its_lead(client, rfa):
    lead = "Families in Almaty asked for news of relatives held in the camps. " * 5
    article = publish(rfa, day(3), title="Families ask", body=lead + "\n\nMore.")
    page = page_of(client, article)
    description = re.search(r'<meta name="description" content="([^"]*)">', page).group(1)
    assert description.startswith("Families in Almaty asked")
    assert len(description) <= 200 and description.endswith("…")
    assert '<meta property="og:type" content="article">' in page
    assert '<meta property="og:title" content="Families ask">' in page
    assert (
        f'<meta property="og:url" content="http://testserver{article.get_absolute_url()}">' in page
    )
    assert f'<meta property="og:description" content="{description}">' in page
    assert '<meta property="article:published_time" content="2020-01-04">' in page
    assert 'href="/feeds/sources/rfa/"' in page


def test_an_undated_article_claims_no_publication_time(client):
    page = page_of(client, publish(None, None))
    assert "article:published_time" not in page
    assert '<meta property="og:type" content="article">' in page


def test_descriptions_escape_hostile_text(client):
    hostile = '"><script>alert(1)</script>'
    page = page_of(client, publish(None, None, title=hostile, body=hostile))
    assert "<script>alert" not in page
    assert 'content="&quot;&gt;&lt;script&gt;' in page


@pytest.mark.parametrize("url", ["/", "/articles/", "/sources/", "/dates/", "/about/"])
def test_every_page_has_a_canonical_address_and_a_description(client, url):
    page = client.get(url, {"page": 1} if url == "/articles/" else {}).content.decode()
    canonical = re.findall(r'<link rel="canonical" href="([^"]+)">', page)
    assert len(canonical) == 1 and canonical[0].startswith(f"http://testserver{url}")
    assert re.search(r'<meta name="description" content="[^"]{40,}">', page)


def test_list_pages_advertise_a_feed(client, rfa):
    for url, feed in (
        ("/articles/", "/feeds/latest/"),
        ("/dates/", "/feeds/latest/"),
        ("/sources/rfa/", "/feeds/sources/rfa/"),
    ):
        page = client.get(url).content.decode()
        assert 'type="application/atom+xml"' in page
        assert f'href="{feed}"' in page, url
