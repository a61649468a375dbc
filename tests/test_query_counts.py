"""Pages cost the same number of database queries with 60 articles as with 5, and read
articles by id in the way SQLite looks them up fastest."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archive.articles import save_article
from archive.models import Article, Entity, Mention, RelatedLink, Source
from archive.related import refresh_related_lists

pytestmark = pytest.mark.django_db(transaction=True)  # so the search index holds the articles

SMALL, LARGE = 5, 60

# Each page's budget: what it needs today, so that a new query is a decision.
BUDGETS = {
    # A list reads a page in two queries, the page's ids then its articles
    # (browse.ArticlePaginator); its count is kept once per change of the archive.
    "/": 5,  # validators, latest articles, dates, sources, entity kinds
    "/articles/": 4,  # validators, count, page's ids, page
    # validators (with when its related list was worked out), article with mentions,
    # related (stored list), neighbours, quotes
    "/articles/report-1/": 15,
    "/sources/": 2,
    "/sources/rfa/": 5,
    "/sources/unknown/": 4,
    "/entities/": 2,
    "/entities/xinjiang/": 9,  # + co-mentioned entities, and two for the entity's quotes
    "/dates/": 2,
    "/dates/2020/": 5,  # validators, months, count, page's ids, page
    "/dates/2020/01/": 6,  # validators, count, page's ids, page, earlier and later months
    "/dates/unknown/": 4,
}

BODY = (
    "Families in Xinjiang asked the World Uyghur Congress for news of report {n}.\n\n"
    "Relatives in Almaty said the camps in Xinjiang held them."
)


@pytest.fixture
def vocabulary():
    for name, kind in (
        ("Xinjiang", Entity.Kind.PLACE),
        ("Almaty", Entity.Kind.PLACE),
        ("World Uyghur Congress", Entity.Kind.ORGANISATION),
    ):
        Entity.objects.create(name=name, slug=name.lower().replace(" ", "-"), kind=kind)


def grow_archive_to(total):
    """Add articles up to `total` from three sources (one unknown); every fifth is undated."""
    sources = [
        Source.objects.get_or_create(name="Radio Free Asia", slug="rfa")[0],
        Source.objects.get_or_create(name="The Guardian", slug="guardian")[0],
        None,
    ]
    for n in range(Article.objects.count() + 1, total + 1):
        save_article(
            Article(
                title=f"Report {n}",
                slug=f"report-{n}",
                body=BODY.format(n=n),
                source=sources[n % 3],
                published_on=None
                if n % 5 == 0
                else datetime.date(2020, 1, 1) + datetime.timedelta(days=10 * n),
                status=Article.Status.PUBLISHED,
            )
        )
    first = Article.objects.get(slug="report-1")
    for other in Article.objects.exclude(pk=first.pk).order_by("pk")[:2]:
        RelatedLink.objects.get_or_create(from_article=first, to_article=other)


def queries_per_page(client):
    counts = {}
    for url in BUDGETS:
        client.get(url)  # anything cached per process is cached before counting
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        counts[url] = len(queries)
    return counts


@pytest.mark.slow
def test_pages_use_as_many_queries_for_sixty_articles_as_for_five(
    client, vocabulary, django_assert_max_num_queries
):
    grow_archive_to(SMALL)
    small = queries_per_page(client)
    grow_archive_to(LARGE)
    assert Mention.objects.count() >= 3 * LARGE  # every article is tagged
    large = queries_per_page(client)
    assert large == small
    for url, budget in BUDGETS.items():
        with django_assert_max_num_queries(budget, info=url):
            client.get(url)


def test_pages_read_articles_by_id_without_ordering_them(client, vocabulary):
    """Ordered, a read of articles by id let SQLite walk the (status, published_on) index
    through every published article (10 ms a related list at 100,000 articles, against
    0.6 ms looking up each id): no page asks for articles by id in an order, or through a
    list's own filter."""
    grow_archive_to(SMALL)
    refresh_related_lists()  # the article page reads its stored list's articles by id
    by_id = []
    for url in BUDGETS:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        by_id += [
            (url, q["sql"])
            for q in queries
            if q["sql"].startswith('SELECT "archive_article"."id", "archive_article"."title"')
            and '"archive_article"."id" IN (' in q["sql"]
        ]  # the articles' rows (a page's ids are rightly read in its order, then these)
    read = {
        "/articles/",
        "/articles/report-1/",
        "/sources/rfa/",
        "/dates/2020/",
        "/entities/xinjiang/",
    }
    assert {url for url, _ in by_id} >= read
    in_date_order = 'ORDER BY "archive_article"."published_on"'  # the articles' default order
    assert [(url, sql) for url, sql in by_id if in_date_order in sql] == []
    # By id alone: a list's own filters (a source, dates) chose the ids; repeated, they let
    # SQLite read the rows through that filter's index, every article of the source.
    by_id_alone = re.compile(
        r"""\("archive_article"\."status" = 'published' AND """
        r""""archive_article"\."id" IN \([\d, ]+\)\)$"""
    )
    assert [
        (url, sql) for url, sql in by_id if not by_id_alone.match(sql.rsplit(" WHERE ", 1)[1])
    ] == []
