"""Readers search within quotes, see a person's quotes, and where a quotation was first told."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.urls import reverse

from archive.articles import save_article
from archive.models import Article, Entity, Quote, Source
from archive.quotes.records import update_quotes
from archive.quotes.tracing import article_quotes, trace_quotes
from archive.search.indexing import index_articles

pytestmark = pytest.mark.django_db

ZAIR_ARTICLE = "not-only-in-xinjiang-china-threatens-overseas-uighurs"


@pytest.fixture
def seeds(seed_dir, django_capture_on_commit_callbacks):
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    with django_capture_on_commit_callbacks(execute=True):  # the index is written on commit
        call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())
        call_command("extract_quotes", stdout=io.StringIO(), stderr=io.StringIO())


def search(client, **params):
    return client.get(reverse("quote-search"), params)


def csv_text(client, **params):
    response = client.get(reverse("quote-csv"), params)
    assert response.status_code == 200
    return response.content.decode("utf-8-sig")


def api(client, **params):
    response = client.get(reverse("quote-api"), params)
    assert response.status_code == 200
    return json.loads(response.content)


def test_a_phrase_is_found_within_quotes_and_marked(client, seeds):
    page = search(client, q="absolutely no MERCY").content.decode()
    assert "1 quote" in page
    assert "<mark>absolutely</mark> <mark>no</mark> <mark>mercy</mark>" in page
    assert 'href="/entities/xi-jinping/"' in page
    assert f"/articles/{ZAIR_ARTICLE}/#p-9" in page


def test_words_outside_quotes_do_not_match(client, seeds):
    assert api(client, q="Karakax")["count"] == 0  # in the article, in no quotation
    assert api(client, q="number")["count"] == 1


def test_a_pasted_curly_quoted_phrase_matches_straight_quotes(client, seeds):
    data = api(client, q="“I don’t know how they got my number”")
    assert [hit["speaker"]["name"] for hit in data["results"]] == ["Kerim Zair"]
    assert data["results"][0]["speaker_name"] == "Zair"
    assert api(client, q='"know how they got"')["count"] == 1
    assert api(client, q='"how know they got"')["count"] == 0  # a phrase keeps its order
    assert api(client, q="requ*")["count"] == 1


def test_filter_by_speaker_source_and_date(client, seeds, django_capture_on_commit_callbacks):
    assert api(client, speaker="kerim-zair")["count"] == 1
    assert api(client, speaker="baibolat-kunbolat", q="day")["count"] == 1
    assert api(client, speaker="kerim-zair", q="day")["count"] == 0
    assert api(client, **{"from": "2021"})["count"] == 1  # Kunbolat, 10 February 2021
    assert api(client, **{"from": "2020-06", "to": "2020-06"})["count"] == 2
    article = Article.objects.get(slug=ZAIR_ARTICLE)
    with django_capture_on_commit_callbacks(execute=True):  # its quotes are indexed again
        article.source = Source.objects.create(name="Example Wire", slug="example-wire")
        save_article(article)
    assert api(client, source="example-wire")["count"] == 2
    assert api(client, q="source:example-wire")["count"] == 2


def test_bad_filters_give_notes_not_errors(client, seeds):
    data = api(client, speaker="nobody-at-all", **{"from": "last spring"}, page="x")
    assert data["count"] == 0
    notes = " ".join(data["notes"])
    assert "No speaker “nobody-at-all”" in notes
    assert "“last spring” is not a date" in notes
    assert "not a page number" in notes
    assert search(client, source="nowhere").status_code == 200


def test_json_hits_carry_paragraph_link_and_citation(client, seeds):
    (hit,) = api(client, q="1,049th")["results"]
    assert hit["paragraph"] == 7
    assert hit["url"].endswith("#p-7")
    assert hit["article"]["date"] == "2021-02-10"
    assert hit["citation"]["permalink"].endswith("#p-7")
    assert "10 February 2021" in hit["citation"]["text"]


def test_csv_export_lists_quotes_with_citations(client, seeds):
    response = client.get(reverse("quote-csv"), {"speaker": "xi-jinping"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["quote", "speaker"]
    assert rows[1][0] == "show absolutely no mercy"
    assert rows[1][1] == "Xi Jinping"
    assert "SHA-256" in dict(zip(rows[0], rows[1], strict=True))["citation"]


def test_hostile_quote_text_is_escaped(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        save_article(
            Article(
                title="<b>t</b>",
                slug="hostile",
                status=Article.Status.PUBLISHED,
                body='"<script>alert(1)</script> is what they wrote to us," Jane Roe said.',
            )
        )
    page = search(client, q="alert").content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;<mark>alert</mark>(1)" in page


def test_the_search_page_has_a_quotes_tab(client, seeds):
    page = client.get(reverse("search"), {"q": "mercy"}).content.decode()
    assert 'href="/quotes/?q=mercy"' in page


def test_a_person_page_lists_their_quotes_in_few_queries(
    client, seeds, django_assert_max_num_queries
):
    zair = Entity.objects.get(slug="kerim-zair")
    with django_assert_max_num_queries(30):
        page = client.get(zair.get_absolute_url()).content.decode()
    assert "Quoted: Kerim Zair" in page
    assert "They requested that I work for them" in page
    assert "/quotes/?speaker=kerim-zair" in page


def test_a_person_with_many_quotes_gets_the_first_in_date_order(client, db):
    roe = Entity.objects.create(name="Jane Roe", slug="jane-roe", kind="person")
    for year in (2019, 2017, 2018):
        article = Article.objects.create(
            title=f"In {year}",
            slug=f"in-{year}",
            status=Article.Status.PUBLISHED,
            published_on=f"{year}-01-01",
            body=f'"We spoke again in the year {year} about it," Jane Roe said.',
        )
        update_quotes(article)
    assert Quote.objects.filter(speaker=roe).count() == 3  # untagged: linked by the vocabulary
    page = client.get(roe.get_absolute_url()).content.decode()
    assert page.index("year 2017") < page.index("year 2018") < page.index("year 2019")


# -- tracing ----------------------------------------------------------------------------------

FIRST = (
    '"The officers came at night and took my father away, and we never saw him again," '
    "said Jane Roe."
)
REPEAT = (
    "Jane Roe spoke to reporters again.\n\n“The officers came at night and took my father "
    "away and we never saw him again,” Roe told reporters."
)
COMMON_WORDS = (
    '"The officers said the night was quiet and my father was away again," said John Doe.'
)


def write_jsonl(path, records):
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")


@pytest.fixture
def planted(tmp_path):
    Entity.objects.create(name="Jane Roe", slug="jane-roe", kind="person")
    records = [
        {
            "id": "late",
            "source": "Later Daily",
            "title": "Repeated",
            "date": "2021-03-01",
            "url": "https://example.org/late",
            "author": "",
            "body": REPEAT,
        },
        {
            "id": "first",
            "source": "First Post",
            "title": "First told",
            "date": "2020-01-05",
            "url": "https://example.org/first",
            "author": "",
            "body": FIRST,
        },
        {
            "id": "other",
            "source": "Other Times",
            "title": "Common words",
            "date": "2020-06-01",
            "url": "https://example.org/other",
            "author": "",
            "body": COMMON_WORDS,
        },
    ]
    write_jsonl(tmp_path / "planted.jsonl", records)
    call_command(
        "import_articles", str(tmp_path / "planted.jsonl"), "--quiet", stdout=io.StringIO()
    )
    call_command("extract_quotes", stdout=io.StringIO(), stderr=io.StringIO())
    return {a.title: a for a in Article.objects.all()}


def test_a_quote_planted_in_two_articles_is_traced_earliest_first(planted):
    late = planted["Repeated"]
    (item,) = article_quotes(late)
    trace = item.trace
    assert trace is not None
    assert [q.article.title for q in trace.appearances] == ["First told", "Repeated"]
    assert not trace.first_here
    assert item.quote.speaker.name == "Jane Roe"  # "Roe", named in full the paragraph before


def test_a_quote_sharing_only_common_words_is_not_traced(planted):
    (item,) = article_quotes(planted["Common words"])
    assert item.trace is None
    first = planted["First told"].quotes.get()
    assert [q.article.title for q in trace_quotes([first])[first.pk].repeats] == ["Repeated"]


def test_a_rejected_or_unpublished_copy_is_not_traced(planted):
    late = planted["Repeated"]
    late.quotes.update(rejected=True)
    (item,) = article_quotes(planted["First told"])
    assert item.trace is None


def test_the_article_page_says_first_published_in(client, planted, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        quoted = article_quotes(planted["Repeated"])
    html = Template('{% include "quotes/_article_quotes.html" %}').render(
        Context({"quoted": quoted})
    )
    assert "First published in" in html
    assert 'href="/articles/first-told/#p-1"' in html
    assert "repeated here" in html
    page = client.get(planted["First told"].get_absolute_url()).content.decode()
    assert "First published here; repeated in" in page
    assert 'href="/articles/repeated/#p-' in page


def test_listing_quotes_never_loads_the_articles_texts(seeds):
    """A long article's text would otherwise be read once for each of its quotes."""
    quoted = Quote.objects.filter(rejected=False).values_list("article", flat=True).first()
    items = article_quotes(Article.objects.get(pk=quoted))
    assert items
    for item in items:
        assert {"body", "original_text"} <= item.quote.article.get_deferred_fields()


@pytest.mark.parametrize(
    "late_date, why",
    [(None, "an article is undated"), ("2020-01-05", "they were published the same day")],
    ids=["undated", "same-day"],
)
def test_which_copy_came_first_is_unknown_where_the_dates_cannot_tell(
    client, planted, django_capture_on_commit_callbacks, late_date, why
):
    """Undated, the later copy may be the older; on one day, nothing tells them apart. The
    archive says so, never "first published" from import order or capture time."""
    late = planted["Repeated"]
    with django_capture_on_commit_callbacks(execute=True):
        late.published_on = late_date
        save_article(late)
    index_articles(Article.objects.values_list("pk", flat=True))
    for article in (planted["Repeated"], planted["First told"]):
        page = client.get(article.get_absolute_url()).content.decode()
        assert "First published" not in page
        assert f"Which came first is unknown: {why}." in page

    data = api(client, q='"officers came at night"')
    assert {hit["article"]["title"] for hit in data["results"]} == {"Repeated", "First told"}
    for hit in data["results"]:
        assert hit["trace"]["order_known"] is False and hit["trace"]["first"] is None
        assert hit["trace"]["why_order_unknown"] == why
        (other,) = hit["trace"]["elsewhere"]
        assert other["title"] != hit["article"]["title"]
    page = search(client, q='"officers came at night"').content.decode()
    assert page.count(f"Which came first is unknown: {why}.") == 2
    rows = list(csv.DictReader(io.StringIO(csv_text(client, q='"officers came at night"'))))
    assert {row["first_published_in"] for row in rows if row["quote"]} == {"order unknown"}


def test_quote_search_says_where_a_quote_was_first_published(client, planted):
    index_articles(Article.objects.values_list("pk", flat=True))
    data = api(client, q='"officers came at night"')
    later = next(hit for hit in data["results"] if hit["article"]["title"] == "Repeated")
    assert later["trace"]["order_known"] is True
    assert later["trace"]["first"]["title"] == "First told"
    assert later["trace"]["first"]["url"].endswith("/articles/first-told/#p-1")
    page = search(client, q='"officers came at night"').content.decode()
    assert "First published here; repeated in" in page
    assert "First published in" in page
    rows = list(csv.DictReader(io.StringIO(csv_text(client, q='"officers came at night"'))))
    firsts = {row["title"]: row["first_published_in"] for row in rows if row["quote"]}
    assert firsts["Repeated"].endswith("/articles/first-told/#p-1")
    assert firsts["First told"].endswith("/articles/first-told/#p-1")


# The listing of every quote (the quotes page as first opened) is kept per state of the archive


def new_quote_article(slug):
    return save_article(
        Article(
            title=f"A later article {slug}",
            slug=slug,
            status=Article.Status.PUBLISHED,
            published_on="2026-11-30",
            body=f'"We were never told where they took {slug}," Jane Roe said.',
        )
    )


def refuse_the_index(monkeypatch):
    def refused(*args, **kwargs):
        raise AssertionError("the index was asked for a kept listing")

    monkeypatch.setattr("archive.quotes.search._ask_index", refused)


def test_the_listing_of_every_quote_is_kept_until_the_archive_changes(
    client, seeds, monkeypatch, django_capture_on_commit_callbacks
):
    first = api(client)
    assert first["count"] > 1 and first["facets"]["speaker"]
    xi = api(client, speaker="xi-jinping")  # a person's quotes: a listing too
    assert 0 < xi["count"] < first["count"]
    with monkeypatch.context() as index:
        refuse_the_index(index)
        assert api(client) == first  # kept: the index is not asked again
        assert search(client).status_code == 200  # the page and the JSON share it
        assert api(client, speaker="xi-jinping") == xi
        with pytest.raises(AssertionError, match="the index was asked"):
            api(client, q="mercy")  # words are searched each time, never kept
    with django_capture_on_commit_callbacks(execute=True):  # indexed on commit
        new_quote_article("kept-listing")
    after = api(client)
    assert after["count"] == first["count"] + 1
    assert "where they took kept-listing" in after["results"][0]["text"]  # the newest first


def test_a_listing_read_while_the_index_lags_behind_is_not_kept(client, seeds):
    first = api(client)
    new_quote_article("lagging")  # saved; its index update still queued (no commit here)
    lagging = api(client)
    assert lagging["count"] == first["count"]  # the index does not have it yet
    call_command("sync_index", "--related-seconds", "0", stdout=io.StringIO())
    caught_up = api(client)  # the archive did not change since: only the index did
    assert caught_up["count"] == first["count"] + 1
    assert "where they took lagging" in caught_up["results"][0]["text"]
