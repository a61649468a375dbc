"""A period (from/to) finds exactly the articles and quotes the database dates in it.

Whole years are asked by their `year` term and only the ends as date ranges
(`archive.search.results.period_query`); these tests put articles on every
boundary that splitting could get wrong and compare each answer with the
database's own filter.
"""

import datetime
import json

import pytest
from django.urls import reverse

from archive.articles import save_article
from archive.models import Article, Quote
from archive.search.params import parse_period
from archive.search.results import period_query

DATES = [
    "2006-12-31",
    "2007-01-01",
    "2007-06-15",
    "2008-12-31",
    "2009-01-01",
    "2009-03-02",
    None,  # undated: in no period
]
NEXT_YEAR = datetime.date.today().year + 1
PERIODS = [
    {"from": "2007", "to": "2008"},
    {"from": "2007-06", "to": "2009-01"},
    {"from": "2007-01-01", "to": "2007-01-01"},
    {"from": "2006-12-31", "to": "2009-01-01"},
    {"from": "2007"},
    {"from": "2007-06-16"},
    {"to": "2007"},
    {"from": str(NEXT_YEAR)},
    {"from": "2001", "to": "2003"},
]


@pytest.fixture
def dated(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n, day in enumerate([*DATES, f"{NEXT_YEAR}-05-01"]):
            save_article(
                Article(
                    title=f"Report {n}",
                    slug=f"report-{n}",
                    status=Article.Status.PUBLISHED,
                    published_on=day,
                    body=f'"We were held in the camp number {n} for months," Jane Roe said.',
                )
            )


def expected(period) -> set[str]:
    """The titles the database dates in the period (read as the search form reads it)."""
    articles = Article.objects.published().exclude(published_on=None)
    if "from" in period:
        articles = articles.filter(published_on__gte=parse_period(period["from"], end=False))
    if "to" in period:
        articles = articles.filter(published_on__lte=parse_period(period["to"], end=True))
    return set(articles.values_list("title", flat=True))


@pytest.mark.parametrize(
    "period", PERIODS, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items())
)
def test_a_period_finds_what_the_database_dates_in_it(client, dated, period):
    articles = json.loads(client.get(reverse("search-api"), period).content)
    assert {hit["title"] for hit in articles["results"]} == expected(period)
    quotes = json.loads(client.get(reverse("quote-api"), period).content)
    assert {hit["article"]["title"] for hit in quotes["results"]} == expected(period)
    assert quotes["count"] == Quote.objects.filter(article__title__in=expected(period)).count()


def test_whole_years_are_asked_by_their_term_and_only_the_ends_as_ranges():
    query = period_query(datetime.date(2007, 6, 1), datetime.date(2010, 1, 31))
    assert ("year__in", ["2008", "2009"]) in query.children
    assert [name for name, _ in query.children].count("published_on__range") == 2
    assert "published_on__range" not in str(
        period_query(datetime.date(2007, 1, 1), datetime.date(2008, 12, 31))
    )
