"""What a reader sees on the home, article, source and entity pages."""

import datetime
import itertools
import re

import pytest
from django.db import connection
from django.template.loader import get_template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.views.defaults import server_error

from archive.models import Alias, Article, Entity, Mention, RelatedLink, Source

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE_BREAKOUT = '"><img src=x onerror=alert(1)>'
_slugs = itertools.count(1)


def publish(**fields):
    n = next(_slugs)
    defaults = dict(
        title=f"Report {n}",
        slug=f"report-{n}",
        body=f"First paragraph of report {n}.\n\nSecond paragraph of report {n}.",
        status=Article.Status.PUBLISHED,
    )
    return Article.objects.create(**{**defaults, **fields})


def draft(**fields):
    return publish(status=Article.Status.DRAFT, **fields)


def day(n):
    return datetime.date(2020, 1, 1) + datetime.timedelta(days=n)


@pytest.fixture
def rfa():
    return Source.objects.create(name="Radio Free Asia", slug="rfa")


def text_of(response):
    return response.content.decode()


def in_order(page, *fragments):
    """Whether the fragments appear in the page one after another."""
    position = 0
    for fragment in fragments:
        position = page.find(fragment, position)
        if position < 0:
            return False
    return True


# Every page


def test_every_page_has_the_archive_frame(client):
    page = text_of(client.get("/"))
    assert '<html lang="en">' in page
    assert '<a class="skip-link" href="#main">' in page
    assert '<main id="main"' in page
    assert 'name="viewport"' in page
    assert '<form class="site-search" role="search" method="get" action="/search/">' in page
    assert '<label for="site-search-q">Search the archive</label>' in page
    assert 'name="q"' in page
    for href in ("/articles/", "/sources/", "/entities/", "/search/"):
        assert f'href="{href}"' in page


def test_pages_load_nothing_from_other_sites(client, rfa):
    article = publish(source=rfa, original_url="https://www.rfa.org/english/report.html")
    for url in ("/", "/articles/", article.get_absolute_url()):
        page = text_of(client.get(url))
        scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, re.S)
        assert all(body == "" for body in scripts)  # no inline script
        assert page.count("<script") == page.count('<script src="/static/archive/')
        assert 'src="http' not in page and 'src="//' not in page
        assert '<link rel="stylesheet" href="/static/archive/archive.css">' in page


def test_the_current_section_is_marked_in_the_navigation(client):
    page = text_of(client.get("/sources/"))
    assert '<a href="/sources/" aria-current="page">Sources</a>' in page
    assert page.count("aria-current") == 1


# Home and the list of all articles


def test_home_lists_published_articles_and_not_drafts(client, rfa):
    publish(title="Families separated by the camps", source=rfa, published_on=day(3))
    draft(title="Unchecked draft about Ghulja")
    page = text_of(client.get("/"))
    assert "Families separated by the camps" in page
    assert "Radio Free Asia" in page
    assert 'href="/sources/rfa/"' in page
    assert "Unchecked draft about Ghulja" not in page


def test_home_lists_newest_first_and_undated_last(client):
    publish(title="Undated report")
    publish(title="Older report", published_on=day(1))
    publish(title="Newer report", published_on=day(9))
    page = text_of(client.get("/"))
    assert in_order(page, "Newer report", "Older report", "Undated report")
    assert "date unknown" in page
    assert "source unknown" in page


def test_home_shows_at_most_twenty_articles(client):
    for n in range(25):
        publish(title=f"Dated report {n:02}", published_on=day(n))
    page = text_of(client.get("/"))
    assert "Dated report 24" in page
    assert "Dated report 05" in page
    assert "Dated report 04" not in page


def test_article_list_is_paginated_newest_first(client):
    for n in range(25):
        publish(title=f"Dated report {n:02}", published_on=day(n))
    publish(title="Undated report")
    first = text_of(client.get("/articles/"))
    assert "Dated report 24" in first and "Dated report 05" in first
    assert "Dated report 04" not in first
    assert "Page 1 of 2" in first
    assert 'href="?page=2"' in first
    second = text_of(client.get("/articles/?page=2"))
    assert in_order(second, "Dated report 04", "Dated report 00", "Undated report")
    assert "Dated report 05" not in second
    assert 'href="?page=1"' in second


@pytest.mark.parametrize(
    ("page_number", "shown"),
    [
        ("abc", "Page 1 of 2"),
        ("", "Page 1 of 2"),
        ("1.5", "Page 1 of 2"),
        ("2", "Page 2 of 2"),
        ("3", "Page 2 of 2"),
        ("0", "Page 2 of 2"),
        ("-1", "Page 2 of 2"),
        ("9" * 40, "Page 2 of 2"),
    ],
)
def test_a_bad_page_number_gives_the_first_or_last_page(client, page_number, shown):
    for n in range(21):
        publish(published_on=day(n))
    response = client.get("/articles/", {"page": page_number})
    assert response.status_code == 200
    assert shown in text_of(response)


def test_an_empty_archive_says_so(client):
    assert "No articles have been published yet." in text_of(client.get("/"))
    assert "No articles have been published yet." in text_of(client.get("/articles/?page=4"))


# One article


def test_article_page_shows_the_text_as_citable_paragraphs(client, rfa):
    article = publish(
        title="Police called her brother",
        source=rfa,
        published_on=datetime.date(2024, 3, 5),
        authors="Jane Reporter",
        body="She was called in 2019.\n\nThe embassy did not reply.\n\nShe still lives abroad.",
    )
    page = text_of(client.get(article.get_absolute_url()))
    assert '<p id="p-1">She was called in 2019.' in page
    assert '<p id="p-2">The embassy did not reply.' in page
    assert '<p id="p-3">She still lives abroad.' in page
    assert 'id="p-4"' not in page
    assert 'href="#p-2"' in page
    assert '<a href="/sources/rfa/">Radio Free Asia</a>' in page
    assert '<time datetime="2024-03-05">5 March 2024</time>' in page
    assert "Jane Reporter" in page


def test_article_page_says_when_source_and_date_are_unknown(client):
    article = publish(title="Report without provenance")
    page = text_of(client.get(article.get_absolute_url()))
    assert "source unknown" in page
    assert "date unknown" in page
    assert 'href="/sources/unknown/"' in page


def test_article_page_says_where_title_and_date_came_from(client):
    article = publish(
        title="Officials destroyed records",
        title_origin=Article.TitleOrigin.DERIVED,
        published_on=day(5),
        date_origin=Article.DateOrigin.TEXT,
    )
    page = text_of(client.get(article.get_absolute_url()))
    assert "Title derived from the lead by the archive" in page
    assert "date stated in the article's text" in page


def test_stated_titles_and_metadata_dates_carry_no_note(client):
    article = publish(
        title_origin=Article.TitleOrigin.STATED,
        published_on=day(5),
        date_origin=Article.DateOrigin.METADATA,
    )
    page = text_of(client.get(article.get_absolute_url()))
    assert "Title derived" not in page
    assert "date stated in" not in page


def test_article_page_links_to_the_original_without_passing_on_the_reader(client):
    article = publish(original_url="https://www.rfa.org/english/news/uyghur/report.html")
    page = text_of(client.get(article.get_absolute_url()))
    assert (
        '<a href="https://www.rfa.org/english/news/uyghur/report.html" '
        'rel="noopener noreferrer nofollow">' in page
    )


def test_an_original_url_that_is_not_a_web_address_is_not_a_link(client):
    article = publish(original_url="javascript:alert(1)")
    page = text_of(client.get(article.get_absolute_url()))
    assert "javascript:alert(1)" in page
    assert 'href="javascript:' not in page


def test_article_page_shows_fingerprint_capture_date_and_citation(client, rfa):
    article = publish(
        title="Karakax list leaked",
        source=rfa,
        published_on=datetime.date(2020, 2, 17),
        original_url="https://www.rfa.org/karakax.html",
        captured_at=timezone.make_aware(datetime.datetime(2024, 6, 1, 12, 0)),
    )
    page = text_of(client.get(article.get_absolute_url()))
    assert len(article.body_sha256) == 64
    assert f'<code class="hash">{article.body_sha256}</code>' in page
    assert "1 June 2024" in page
    citation = page[page.index('<p class="citation-text" id="citation"') :]
    citation = citation[: citation.index("</p>")]
    assert in_order(
        citation,
        "Radio Free Asia",
        "Karakax list leaked",
        "17 February 2020",
        "https://www.rfa.org/karakax.html",
        f"http://testserver/articles/{article.slug}/",
        "captured 1 June 2024",
        article.body_sha256,
    )


def test_citation_of_an_article_without_source_or_date(client):
    article = publish(title="Undated report without source")
    page = text_of(client.get(article.get_absolute_url()))
    citation = page[page.index('<p class="citation-text" id="citation"') :]
    citation = citation[: citation.index("</p>")]
    assert citation[citation.index(">") + 1 :].startswith("source unknown.")
    assert "“Undated report without source”. n.d. Archived copy:" in citation


def test_article_page_shows_editor_curated_related_links(client):
    article = publish(title="Main report")
    earlier = publish(title="Earlier report")
    unpublished = draft(title="Draft follow-up")
    RelatedLink.objects.create(from_article=article, to_article=earlier, note="Same family")
    RelatedLink.objects.create(from_article=article, to_article=unpublished, note="Hidden")
    page = text_of(client.get(article.get_absolute_url()))
    assert "Related articles" in page
    assert f'<a href="{earlier.get_absolute_url()}">Earlier report</a>' in page
    assert "Same family" in page
    assert "Draft follow-up" not in page
    assert "Hidden" not in page


def test_article_without_related_links_has_no_related_section(client):
    article = publish()
    assert "Related articles" not in text_of(client.get(article.get_absolute_url()))


def test_a_draft_is_not_found(client):
    article = draft(title="Unchecked draft")
    response = client.get(article.get_absolute_url())
    assert response.status_code == 404
    assert "Unchecked draft" not in text_of(response)


def test_an_unknown_article_is_not_found_in_the_site_design(client):
    response = client.get("/articles/no-such-article/")
    assert response.status_code == 404
    page = text_of(response)
    assert "Page not found" in page
    assert "Uyghur Repression News Archive" in page
    assert "/static/archive/archive.css" in page


def test_pages_can_only_be_read(client):
    article = publish()
    assert client.post(article.get_absolute_url()).status_code == 405
    assert client.head(article.get_absolute_url()).status_code == 200


def test_server_error_page_renders_without_a_request_context():
    assert "Something went wrong" in get_template("500.html").render()
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Uyghur Repression News Archive" in page
    assert "/static/archive/archive.css" in page


# Hostile text is shown, never run


@pytest.mark.parametrize("hostile", [SCRIPT, ATTRIBUTE_BREAKOUT])
def test_hostile_text_is_escaped_everywhere_it_appears(client, hostile):
    source = Source.objects.create(name=f"Source {hostile}", slug="hostile-source")
    entity = Entity.objects.create(
        name=f"Entity {hostile}",
        slug="hostile-entity",
        kind=Entity.Kind.PERSON,
        public_description=hostile,
    )
    Alias.objects.create(entity=entity, name=f"Alias {hostile}")
    article = publish(
        title=f"Title {hostile}",
        body=f"Paragraph {hostile}\n\nSecond {hostile}",
        authors=hostile,
        source=source,
        original_url=f"https://example.org/?q={hostile}",
    )
    Mention.objects.create(article=article, entity=entity)
    linking = publish(title="Linking report")
    RelatedLink.objects.create(from_article=linking, to_article=article, note=hostile)
    pages = [
        "/",
        "/articles/",
        article.get_absolute_url(),
        linking.get_absolute_url(),
        "/sources/",
        source.get_absolute_url(),
        "/entities/",
        entity.get_absolute_url(),
    ]
    for url in pages:
        page = text_of(client.get(url))
        assert "<script>" not in page, url
        assert "<img" not in page, url
    article_page = text_of(client.get(article.get_absolute_url()))
    if hostile == SCRIPT:
        assert "Title &lt;script&gt;alert(1)&lt;/script&gt;" in article_page
    else:
        assert "Title &quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in article_page
        assert 'href="https://example.org/?q=&quot;&gt;&lt;img' in article_page


# Sources


def test_source_list_counts_published_articles(client, rfa):
    guardian = Source.objects.create(name="The Guardian", slug="guardian")
    Source.objects.create(name="Only drafts", slug="only-drafts")
    publish(source=rfa)
    publish(source=rfa)
    draft(source=rfa)
    publish(source=guardian)
    publish()
    page = text_of(client.get("/sources/"))
    assert in_order(page, "Radio Free Asia", "2 articles", "The Guardian", "1 article")
    assert "Only drafts" not in page
    assert 'href="/sources/unknown/">source unknown</a>' in page


def test_source_page_lists_its_published_articles(client, rfa):
    rfa.description = "A US-funded broadcaster."
    rfa.homepage = "https://www.rfa.org/"
    rfa.save()
    publish(title="From RFA, older", source=rfa, published_on=day(1))
    publish(title="From RFA, newer", source=rfa, published_on=day(2))
    draft(title="RFA draft", source=rfa)
    publish(title="From elsewhere")
    page = text_of(client.get("/sources/rfa/"))
    assert "<h1>Radio Free Asia</h1>" in page
    assert "A US-funded broadcaster." in page
    assert in_order(page, "From RFA, newer", "From RFA, older")
    assert "RFA draft" not in page
    assert "From elsewhere" not in page
    assert "2 published articles" in page


def test_source_page_is_paginated(client, rfa):
    for n in range(23):
        publish(title=f"RFA report {n:02}", source=rfa, published_on=day(n))
    page = text_of(client.get("/sources/rfa/?page=2"))
    assert "Page 2 of 2" in page
    assert "RFA report 02" in page and "RFA report 03" not in page
    assert client.get("/sources/rfa/?page=x").status_code == 200


def test_unknown_source_page_lists_articles_without_a_source(client, rfa):
    publish(title="Report with no stated publisher")
    publish(title="Report from RFA", source=rfa)
    draft(title="Draft with no publisher")
    page = text_of(client.get("/sources/unknown/"))
    assert "<h1>Source unknown</h1>" in page
    assert "Report with no stated publisher" in page
    assert "Report from RFA" not in page
    assert "Draft with no publisher" not in page


def test_an_unknown_source_is_not_found(client):
    assert client.get("/sources/no-such-source/").status_code == 404


# Entities


@pytest.fixture
def xinjiang():
    entity = Entity.objects.create(
        name="Xinjiang",
        slug="xinjiang",
        kind=Entity.Kind.PLACE,
        public_description="A region in north-west China.",
        notes="From seed 004 (seed 004).",
    )
    Alias.objects.create(entity=entity, name="East Turkestan")
    return entity


def test_entity_list_groups_by_kind_and_counts_published_mentions(client, xinjiang):
    tohti = Entity.objects.create(name="Ilham Tohti", slug="ilham-tohti", kind="person")
    once = publish()
    Mention.objects.create(article=once, entity=xinjiang)
    Mention.objects.create(article=once, entity=xinjiang)
    Mention.objects.create(article=publish(), entity=xinjiang)
    Mention.objects.create(article=draft(), entity=xinjiang)
    Mention.objects.create(article=publish(), entity=tohti, rejected=True)
    named_in_a_draft = Entity.objects.create(name="Kashgar", slug="kashgar", kind="place")
    Mention.objects.create(article=draft(), entity=named_in_a_draft)
    page = text_of(client.get("/entities/"))
    assert in_order(page, "<h2", "Places", "Xinjiang", "2 articles")
    # No published article names them (untagged, or only a draft): nothing to show a reader.
    for hidden in ("Ilham Tohti", "Kashgar", ">People</h2>", "0 articles"):
        assert hidden not in page.split("<h1>")[1]


def test_entity_page_lists_articles_that_mention_it(client, xinjiang):
    Mention.objects.create(article=publish(title="Camps in Xinjiang"), entity=xinjiang)
    Mention.objects.create(article=publish(title="Wrongly tagged"), entity=xinjiang, rejected=True)
    Mention.objects.create(article=draft(title="Draft about Xinjiang"), entity=xinjiang)
    publish(title="Unrelated")
    page = text_of(client.get("/entities/xinjiang/"))
    assert "<h1>Xinjiang</h1>" in page
    assert "Place" in page
    assert "East Turkestan" in page
    assert "A region in north-west China." in page
    assert "seed 004" not in page  # the editors' notes are theirs
    assert "Camps in Xinjiang" in page
    for absent in ("Wrongly tagged", "Draft about Xinjiang", "Unrelated"):
        assert absent not in page


def test_an_unknown_entity_is_not_found(client):
    assert client.get("/entities/nobody/").status_code == 404


# A bounded number of queries, however many articles there are


@pytest.fixture
def crowded_archive(rfa, xinjiang):
    """Thirty articles from two sources and none, all mentioning Xinjiang, richly linked."""
    guardian = Source.objects.create(name="The Guardian", slug="guardian")
    sources = itertools.cycle([rfa, guardian, None])
    articles = [publish(source=next(sources), published_on=day(n)) for n in range(30)]
    for article in articles:
        Mention.objects.create(article=article, entity=xinjiang)
    for other in articles[1:6]:
        RelatedLink.objects.create(from_article=articles[0], to_article=other, note="See also")
    return articles


@pytest.mark.parametrize(
    ("url", "most"),
    [
        # Each page also asks when the archive last changed (for its ETag); a list counts
        # its articles (once per change), then reads a page's ids, then those articles.
        ("/", 5),  # + years and months, sources, entity kinds
        ("/articles/", 4),
        ("/articles/?page=2", 4),
        ("/sources/", 2),
        ("/sources/rfa/", 5),
        ("/sources/unknown/", 4),
        ("/entities/", 3),  # + the articles naming each entity, the vocabulary
        ("/entities/xinjiang/", 9),  # + co-mentioned entities, the entity's quotes
    ],
)
def test_list_pages_use_a_fixed_number_of_queries(
    client, crowded_archive, django_assert_max_num_queries, url, most
):
    with django_assert_max_num_queries(most):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("url", "most"),
    [
        # When the archive last changed (for the ETag, and the key of what is kept), then:
        ("/", 2),  # the latest articles; years and months, sources and entity kinds are kept
        ("/articles/?page=2", 3),  # the page's ids and articles; their number is kept
        ("/sources/rfa/", 4),  # the source, the page's ids and articles
        ("/entities/xinjiang/", 7),  # the co-mentioned entities are kept too
        ("/entities/", 2),  # the vocabulary; the articles naming each entity are kept
    ],
)
def test_counts_over_many_articles_are_made_once_per_change_of_the_archive(
    client, crowded_archive, django_assert_max_num_queries, url, most
):
    first = text_of(client.get(url))
    with django_assert_max_num_queries(most):
        assert text_of(client.get(url)) == first


@pytest.mark.parametrize(
    "url", ["/articles/?page=2", "/sources/rfa/?page=2", "/entities/xinjiang/?page=2"]
)
def test_a_deep_page_skips_articles_in_an_index_not_in_their_rows(
    client, crowded_archive, rfa, url
):
    """OFFSET over the articles' rows read every skipped article (110 ms for the last page of
    20,000); over the ids of an index it does not."""
    for n in range(20):
        publish(source=rfa, published_on=day(100 + n))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    skipping = [q["sql"] for q in queries if "OFFSET" in q["sql"]]
    assert skipping
    for sql in skipping:
        selected = sql.split(" FROM ")[0]
        assert selected.startswith('SELECT "archive_article"."id"') and "," not in selected, sql


def test_a_newly_published_article_is_counted_at_once_on_the_home_and_list_pages(
    client, crowded_archive, rfa
):
    home, source = text_of(client.get("/")), text_of(client.get("/sources/rfa/"))
    assert "1999" not in home and "10 published articles" in source
    publish(source=rfa, published_on=datetime.date(1999, 5, 1))
    assert "1999" in text_of(client.get("/"))
    assert "11 published articles" in text_of(client.get("/sources/rfa/"))


def test_article_page_uses_a_fixed_number_of_queries(
    client, crowded_archive, django_assert_max_num_queries
):
    # article, mentions with entities, related documents (a fixed handful), and when its
    # stored related list was worked out (the page's own validator)
    with django_assert_max_num_queries(11):
        page = text_of(client.get(crowded_archive[0].get_absolute_url()))
    assert page.count("See also") == 5
