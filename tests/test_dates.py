"""Browsing the archive by date: years, months, articles of a month, and undated articles."""

import datetime
import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from archive import browse
from archive.models import Article, Entity, Mention, Source

pytestmark = pytest.mark.django_db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_numbers = itertools.count(1)


def publish(published_on=None, **fields):
    n = next(_numbers)
    defaults = dict(
        title=f"Report {n}",
        slug=f"report-{n}",
        body=f"First paragraph of report {n}.\n\nSecond paragraph.",
        status=Article.Status.PUBLISHED,
        published_on=published_on,
    )
    return Article.objects.create(**{**defaults, **fields})


def on(year, month, day=1):
    return datetime.date(year, month, day)


def text_of(response):
    assert response.status_code == 200
    return response.content.decode()


def links_in(page):
    return re.findall(r'href="([^"]+)"', page)


@pytest.fixture
def spread():
    """Articles over three years, a draft, and two undated articles."""
    articles = {
        "feb21a": publish(on(2021, 2, 1), title="Protest outside the embassy"),
        "feb21b": publish(on(2021, 2, 28), title="Families ask for news"),
        "mar21": publish(on(2021, 3, 1), title="Consulate denies passport"),
        "jun20": publish(on(2020, 6, 17), title="Threats against overseas Uighurs"),
        "may20": publish(on(2020, 5, 21), title="Extradition request revealed"),
        "dec19": publish(on(2019, 12, 31), title="Leaked documents describe the camps"),
        "undated1": publish(None, title="Spying on the diaspora"),
        "undated2": publish(None, title="Evidence destroyed"),
    }
    publish(on(2021, 2, 14), title="Unchecked draft", status=Article.Status.DRAFT)
    publish(None, title="Undated draft", status=Article.Status.DRAFT)
    return articles


# The counts


def test_counts_by_year_and_month_are_of_published_articles_only(spread):
    counts = browse.date_counts()
    assert [(y.year, y.count) for y in counts.years] == [(2021, 3), (2020, 2), (2019, 1)]
    assert [(m.month, m.count) for m in counts.years[0].months] == [
        (on(2021, 3), 1),
        (on(2021, 2), 2),
    ]
    assert counts.undated == 2
    assert counts.total == Article.objects.published().count()


def test_counts_of_one_year_leave_out_the_others_and_the_undated(spread):
    counts = browse.date_counts(Article.objects.published().filter(published_on__year=2020))
    assert [(y.year, y.count) for y in counts.years] == [(2020, 2)]
    assert counts.undated == 0


# The pages


def test_date_index_lists_years_months_and_the_undated(client, spread):
    page = text_of(client.get("/dates/"))
    assert '<a href="/dates/2021/">2021</a> <span class="count">3 articles</span>' in page
    assert (
        '<a href="/dates/2021/02/">February 2021</a> <span class="count">2 articles</span>' in page
    )
    assert (
        '<a href="/dates/2019/12/">December 2019</a> <span class="count">1 article</span>' in page
    )
    assert 'href="/dates/unknown/">Date unknown</a> <span class="count">2 articles</span>' in page
    assert "/dates/2021/01/" not in page  # a month without articles is not offered
    assert page.index("/dates/2021/") < page.index("/dates/2020/") < page.index("/dates/2019/")


def test_year_page_lists_its_months_and_its_articles_newest_first(client, spread):
    page = text_of(client.get("/dates/2021/"))
    assert "<h1>Articles from 2021</h1>" in page
    assert '<nav class="months-of-year" aria-label="Months of 2021">' in page
    assert '<a href="/dates/2021/03/">March</a> <span class="count">1 article</span>' in page
    assert "3 published articles dated 2021" in page
    titles = ["Consulate denies passport", "Families ask for news", "Protest outside the embassy"]
    positions = [page.index(title) for title in titles]
    assert positions == sorted(positions)
    for absent in ("Unchecked draft", "Threats against overseas Uighurs", "Spying on the diaspora"):
        assert absent not in page


def test_month_page_holds_its_first_and_last_day_and_nothing_else(client, spread):
    page = text_of(client.get("/dates/2021/02/"))
    assert "<h1>Articles from February 2021</h1>" in page
    assert "Protest outside the embassy" in page  # 1 February
    assert "Families ask for news" in page  # 28 February
    assert "Consulate denies passport" not in page  # 1 March
    assert "Unchecked draft" not in page
    assert "2 published articles dated February 2021" in page


def test_month_page_has_breadcrumbs_and_leads_to_the_nearest_months_with_articles(client, spread):
    page = text_of(client.get("/dates/2020/05/"))
    assert '<nav class="breadcrumbs" aria-label="Breadcrumb">' in page
    assert '<li><a href="/dates/2020/">2020</a></li>' in page
    assert '<span aria-current="page">May</span>' in page
    assert '<a rel="prev" href="/dates/2019/12/">Earlier: December 2019</a>' in page
    assert '<a rel="next" href="/dates/2020/06/">Later: June 2020</a>' in page
    last = text_of(client.get("/dates/2021/03/"))
    assert 'rel="next"' not in last.split("other-months")[-1]


def test_month_pages_are_paginated(client):
    for day in range(1, 26):
        publish(on(2022, 1, day), title=f"January item {day:02d}")
    first = text_of(client.get("/dates/2022/01/"))
    second = text_of(client.get("/dates/2022/01/", {"page": 2}))
    assert first.count('<li class="summary">') == browse.ARTICLES_PER_PAGE
    assert second.count('<li class="summary">') == 25 - browse.ARTICLES_PER_PAGE
    assert "January item 25" in first and "January item 01" in second
    assert "Page 1 of 2" in first
    for bad in ("0", "-1", "x", "999"):
        assert client.get("/dates/2022/01/", {"page": bad}).status_code == 200


def test_undated_articles_have_their_own_list(client, spread):
    page = text_of(client.get("/dates/unknown/"))
    assert "<h1>Date unknown</h1>" in page
    assert "Spying on the diaspora" in page and "Evidence destroyed" in page
    assert "Undated draft" not in page
    assert "Protest outside the embassy" not in page
    assert "2 published articles" in page


@pytest.mark.parametrize(
    "url",
    [
        "/dates/2021/13/",
        "/dates/2021/00/",
        "/dates/0000/",
        "/dates/0000/01/",
        "/dates/20211/",
        "/dates/2021/2/",  # months have two digits: one address per month
        "/dates/21/",
        "/dates/2021/february/",
    ],
)
def test_impossible_dates_are_not_found(client, spread, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_a_month_without_articles_says_so_and_asks_not_to_be_indexed(client, spread):
    page = text_of(client.get("/dates/2021/01/"))
    assert "The archive holds no published articles dated January 2021." in page
    assert '<meta name="robots" content="noindex">' in page
    assert '<a rel="prev" href="/dates/2020/06/">' in page  # the way on
    assert '<meta name="robots"' not in text_of(client.get("/dates/2021/02/"))


def test_a_year_without_articles_says_so(client, spread):
    page = text_of(client.get("/dates/1850/"))
    assert "The archive holds no published articles dated 1850." in page
    assert '<meta name="robots" content="noindex">' in page
    assert 'href="/dates/"' in page


def test_an_empty_archive_has_an_honest_date_index(client):
    assert "No articles have been published yet." in text_of(client.get("/dates/"))


def test_date_pages_can_only_be_read(client, spread):
    assert client.post("/dates/2021/02/").status_code == 405


# The home page


@pytest.fixture
def curated(spread):
    """Three entities named in published articles, one named only in a draft, one nowhere."""
    named = [
        Entity.objects.create(name="Xinjiang", slug="xinjiang", kind=Entity.Kind.PLACE),
        Entity.objects.create(name="Urumqi", slug="urumqi", kind=Entity.Kind.PLACE),
        Entity.objects.create(
            name="World Uyghur Congress", slug="wuc", kind=Entity.Kind.ORGANISATION
        ),
    ]
    for entity in named:
        Mention.objects.create(article=spread["dec19"], entity=entity)
    in_draft = Entity.objects.create(name="Ilham Tohti", slug="tohti", kind=Entity.Kind.PERSON)
    Mention.objects.create(article=Article.objects.get(title="Unchecked draft"), entity=in_draft)
    Entity.objects.create(name="Kashgar", slug="kashgar", kind=Entity.Kind.PLACE)


def test_home_offers_years_with_months_for_the_latest_two(client, spread):
    page = text_of(client.get("/"))
    assert '<a href="/dates/2021/">2021</a> <span class="count">3 articles</span>' in page
    assert '<a href="/dates/2021/02/">February</a> <span class="count">2 articles</span>' in page
    assert '<a href="/dates/2020/05/">May</a>' in page
    # older years are listed by count only
    assert '<a href="/dates/2019/">2019</a> <span class="count">1 article</span>' in page
    assert "/dates/2019/12/" not in page
    assert 'href="/dates/unknown/">Date unknown</a> <span class="count">2 articles</span>' in page


def test_home_offers_sources_and_entity_kinds_with_counts(client, spread, curated):
    rfa = Source.objects.create(name="Radio Free Asia", slug="rfa")
    Article.objects.filter(title__in=["Protest outside the embassy", "Evidence destroyed"]).update(
        source=rfa
    )
    page = text_of(client.get("/"))
    assert (
        '<a href="/sources/rfa/">Radio Free Asia</a> <span class="count">2 articles</span>' in page
    )
    # Each kind leads to its own section of the entity list.
    entity_list = text_of(client.get("/entities/"))
    for heading, count in (("Organisations", 1), ("Places", 2)):
        match = re.search(
            rf'href="/entities/#(kind-\w+)">{heading}</a> <span class="count">'
            rf"{count} named</span>",
            page,
        )
        assert match, heading
        assert re.search(rf'<h2 id="{match.group(1)}">{heading}</h2>', entity_list)
    assert "People" not in page.split('id="kinds-heading"')[1]


def test_a_reader_goes_from_home_to_a_year_a_month_and_an_article(client, spread):
    home = text_of(client.get("/"))
    year = next(link for link in links_in(home) if link == "/dates/2020/")
    month = next(link for link in links_in(text_of(client.get(year))) if link == "/dates/2020/06/")
    month_page = text_of(client.get(month))
    article = next(link for link in links_in(month_page) if link.startswith("/articles/"))
    assert "Threats against overseas Uighurs" in text_of(client.get(article))


def test_the_main_navigation_leads_to_the_dates(client):
    page = text_of(client.get("/dates/"))
    assert '<a href="/dates/" aria-current="page">Dates</a>' in page


# The sitemap


def test_the_sitemap_lists_years_and_months_with_articles_and_the_about_page(client, spread):
    root = ET.fromstring(client.get("/sitemap.xml").content)
    locations = {loc.text.removeprefix("http://testserver") for loc in root.iter(f"{SITEMAP}loc")}
    expected = {
        "/dates/",
        "/dates/2021/",
        "/dates/2021/02/",
        "/dates/2021/03/",
        "/dates/2019/12/",
        "/dates/unknown/",
        "/about/",
    }
    assert expected <= locations
    assert "/dates/2021/01/" not in locations
    for location in locations:
        assert client.get(location).status_code == 200, location


def test_no_undated_list_in_the_sitemap_when_every_article_has_a_date(client):
    publish(on(2021, 2, 1))
    assert b"/dates/unknown/" not in client.get("/sitemap.xml").content
