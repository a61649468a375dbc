"""Quotes have a search index of their own, beside the articles', in the same query language.

The quotes search reads the engine, not the database's quote texts; every way a
quote changes (an article saved or unpublished, an editor's reject, split or
merge) reaches the index; and the article search, its counts and "more like
this" never see a quote.
"""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.http import QueryDict
from django.urls import reverse
from haystack.query import SearchQuerySet

from archive.articles import save_article
from archive.integrity import index_differences
from archive.models import Article, Quote
from archive.search.health import INDEX_INCOMPLETE, index_completeness_notice
from archive.search.params import quote_params, search_params
from archive.search.results import SearchParams, run_search

pytestmark = pytest.mark.django_db

ZAIR_ARTICLE = "not-only-in-xinjiang-china-threatens-overseas-uighurs"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block as a committed request does: the index work after the commit runs."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def seeds(seed_dir, committed):
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    with committed():
        call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())


def api(client, **params):
    response = client.get(reverse("quote-api"), params)
    assert response.status_code == 200
    return json.loads(response.content)


def texts(client, **params):
    return [hit["text"] for hit in api(client, **params)["results"]]


# -- the query language -------------------------------------------------------------------------


def test_a_speaker_is_searched_with_speaker_and_named_in_a_note(client, seeds):
    data = api(client, q='speaker:"Kerim Zair"')
    assert data["count"] == 1
    assert data["results"][0]["speaker"]["slug"] == "kerim-zair"
    assert api(client, q="speaker:kerim-zair requested")["count"] == 1
    assert api(client, q="speaker:kerim-zair mercy")["count"] == 0

    # Issue 14: the name typed as words finds no quotation, and the page says what to type.
    plain = api(client, q="Kerim Zair")
    assert plain["count"] == 0
    assert 'search speaker:"Kerim Zair"' in " ".join(plain["notes"])
    page = client.get(reverse("quote-search"), {"q": "Kerim Zair"}).content.decode()
    link = 'href="?q=speaker%3A%22Kerim+Zair%22"'
    assert f"{link}>What Kerim Zair said</a>" in page
    assert (
        "They requested that I work for them"
        in client.get("/quotes/" + link[6:-1]).content.decode()
    )


def test_a_speaker_without_an_entity_is_found_by_the_name_the_article_gives(client, db, committed):
    with committed():
        save_article(
            Article(
                title="Roe",
                slug="roe",
                status=Article.Status.PUBLISHED,
                body='"We were told to keep silent about the camps," Jane Roe said.',
            )
        )
    assert Quote.objects.get().speaker is None
    assert texts(client, q='speaker:"jane roe"') == ["We were told to keep silent about the camps"]
    assert texts(client, q='speaker:"John Doe"') == []


def test_quotes_take_or_exclusions_and_not_like_articles(client, seeds):
    assert api(client, q="mercy OR number")["count"] == 2
    assert api(client, q="number -know")["count"] == 0
    assert api(client, q="number NOT mercy")["count"] == 1
    assert api(client, q="-mercy")["count"] == Quote.objects.count() - 1


def test_a_filter_quotes_do_not_know_is_a_note(client, seeds):
    data = api(client, q="entity:china")
    assert data["count"] == 0  # searched as the words "entity china", as articles do
    assert "the filters are source: and speaker:" in " ".join(data["notes"])


def test_every_search_reads_its_parameters_with_the_same_notes(rf):
    bad = QueryDict("from=last+spring&to=2019&page=0&sort=best")
    article_notes, quote_notes = search_params(bad).notes, quote_params(bad).notes
    assert article_notes[0] == quote_notes[0]
    assert "“last spring” is not a date" in article_notes[0]
    assert (
        article_notes[2] == quote_notes[2] == ("“0” is not a page number; showing the first page.")
    )
    assert "showing by relevance" in article_notes[1]
    assert "showing newest first" in quote_notes[1]

    swapped = quote_params(QueryDict("from=2021&to=2020-06"))  # the whole of both periods
    assert (str(swapped.date_from), str(swapped.date_to)) == ("2020-06-01", "2021-12-31")
    assert "they were swapped" in swapped.notes[0]
    assert quote_params(QueryDict("speaker=Kerim+Zair&speaker=")).speakers == ["kerim-zair"]


def test_quotes_sort_newest_oldest_and_by_relevance(client, seeds):
    newest = [hit["article"]["date"] for hit in api(client)["results"]]
    assert newest[:3] == ["2021-02-10", "2020-06-17", "2020-06-17"]
    assert newest[3:] == [None] * (len(newest) - 3)  # undated last
    oldest = [hit["article"]["date"] for hit in api(client, sort="oldest")["results"]]
    assert oldest[:3] == ["2020-06-17", "2020-06-17", "2021-02-10"]
    same_article = [hit["paragraph"] for hit in api(client)["results"][1:3]]
    assert same_article == sorted(same_article)  # in reading order within an article
    assert api(client, q="mercy OR number", sort="relevance")["count"] == 2


def test_facets_count_speakers_and_the_page_offers_them(client, seeds):
    facets = api(client)["facets"]
    assert {"key": "kerim-zair", "label": "Kerim Zair", "count": 1} in facets["speaker"]
    page = client.get(reverse("quote-search")).content.decode()
    assert 'href="?speaker=kerim-zair"' in page


# -- the index follows every change -------------------------------------------------------------


def test_the_quotes_search_reads_the_index_not_the_database(client, seeds):
    quote = Quote.objects.get(text__contains="absolutely no mercy")
    Quote.objects.filter(pk=quote.pk).update(text="words nobody indexed")  # no index work
    assert api(client, q="mercy")["count"] == 1
    assert api(client, q="nobody")["count"] == 0


def test_editing_an_article_replaces_its_quotes_in_the_index(client, seeds, committed):
    article = Article.objects.get(slug=ZAIR_ARTICLE)
    with committed():
        article.body = article.body.replace(
            "show absolutely no mercy", "strike hard at every enemy of the people, without pity"
        )
        save_article(article)
    assert api(client, q="mercy")["count"] == 0
    assert texts(client, q='"strike hard"') == list(
        article.quotes.filter(text__contains="strike hard").values_list("text", flat=True)
    )
    assert api(client, q='"strike hard"')["count"] == 1


def test_an_unpublished_article_takes_its_quotes_out_of_the_index(client, seeds, committed):
    article = Article.objects.get(slug=ZAIR_ARTICLE)
    assert api(client, q="mercy")["count"] == 1
    with committed():
        article.status = Article.Status.DRAFT
        save_article(article)
    assert api(client, q="mercy")["count"] == 0
    assert api(client, q="requested")["count"] == 0


def test_an_editors_reject_and_restore_reach_the_quotes_search(admin_client, seeds, committed):
    quote = Quote.objects.get(text__contains="absolutely no mercy")
    url = reverse("admin:archive_quote_changelist")
    with committed():
        admin_client.post(url, {"action": "reject_quotes", "_selected_action": [quote.pk]})
    assert api(admin_client, q="mercy")["count"] == 0
    with committed():
        admin_client.post(url, {"action": "restore_quotes", "_selected_action": [quote.pk]})
    assert api(admin_client, q="mercy")["count"] == 1


def test_a_split_quote_is_found_in_its_two_parts(admin_client, seeds, committed):
    quote = Quote.objects.get(text__contains="They requested")
    url = reverse("admin:archive_quote_changelist")
    action = {"action": "split_quote", "_selected_action": [quote.pk]}
    with committed():
        admin_client.post(url, {**action, "second_starts_with": "I rejected them"})
    found = texts(admin_client, q="speaker:kerim-zair")
    assert len(found) == 2
    assert found[0] == "They requested that I work for them."
    assert found[1].startswith("I rejected them.")


# -- the articles' search never sees a quote ----------------------------------------------------


def test_article_searches_counts_and_checks_see_only_articles(client, seeds):
    published = Article.objects.published().count()
    assert Quote.objects.exists()
    assert SearchQuerySet().count() == published + Quote.objects.count()  # one index, both

    outcome = run_search(SearchParams(q="mercy"))
    assert [hit.article.slug for hit in outcome.hits] == [ZAIR_ARTICLE]
    assert outcome.count == 1
    assert run_search(SearchParams(q="-zzzz")).count == published  # match-all, articles only
    assert index_differences().in_line
    assert index_completeness_notice() is None

    # One article missing from the index is noticed, though the quotes outnumber it.
    missing = Article.objects.get(slug=ZAIR_ARTICLE)
    from haystack import connections

    connections["default"].get_backend().remove(missing)
    assert index_completeness_notice() == INDEX_INCOMPLETE
    assert index_differences().missing == [missing.pk]


def test_narrowing_an_article_search_filters_it(seeds):
    every_year = SearchQuerySet().models(Article).filter(content="china")
    narrowed = SearchQuerySet().models(Article).narrow("year:2021").filter(content="china")
    assert 0 < narrowed.count() < every_year.count()
    assert {hit.year for hit in narrowed} == {"2021"}


def test_more_like_this_suggests_articles_not_their_quotes(seeds):
    article = Article.objects.get(slug=ZAIR_ARTICLE)
    hits = SearchQuerySet().more_like_this(article)[:10]
    assert hits
    assert {hit.model_name for hit in hits} == {"article"}
    of_articles = SearchQuerySet().models(Article).more_like_this(article)[:10]
    assert [hit.pk for hit in of_articles] == [hit.pk for hit in hits]


def test_verify_index_compares_the_quotes_too(seeds, capsys):
    quote = Quote.objects.get(text__contains="absolutely no mercy")
    Quote.objects.filter(pk=quote.pk).update(rejected=True)  # behind the index's back
    differences = index_differences(model=Quote)
    assert differences.extra == [quote.pk]
    assert index_differences().in_line  # the articles are

    with pytest.raises(CommandError, match="1 problem"):
        call_command("verify", "--index", stdout=io.StringIO())
    assert f"The search index holds {Quote.objects.count()} quote(s)" in capsys.readouterr().err
    call_command("rebuild_index", interactive=False, verbosity=0)
    assert index_differences(model=Quote).in_line


def test_an_index_without_the_quotes_says_so_on_the_quotes_search(client, seeds, search_index):
    """An index built before quotes were indexed answers no quote: the page says why."""
    search_index.clear(models=[Quote])
    data = api(client, q="mercy")
    assert data["count"] == 0
    assert data["index_notice"] == INDEX_INCOMPLETE.text
    assert run_search(SearchParams(q="mercy")).index_notice is None  # the articles are complete
    call_command("update_index", verbosity=0)
    assert api(client, q="mercy")["index_notice"] is None


def test_a_page_past_the_end_answers_the_last_page_with_a_note(client, seeds):
    for url, q in ((reverse("quote-api"), ""), (reverse("search-api"), "China")):
        data = client.get(url, {"q": q, "page": "50"}).json()
        assert data["count"] and data["results"], url
        assert data["page"] == data["num_pages"] < 50, url
        assert f"There is no page 50; this is the last page, {data['page']}." in data["notes"]


def test_a_name_that_is_no_curated_entity_leads_to_the_quotes_it_speaks(client, seeds, committed):
    """As on BBC data, where "Blair" finds quotes about Blair and a link to Blair's own."""
    with committed():
        save_article(
            Article(
                title="Roe on Roe",
                slug="roe-on-roe",
                status=Article.Status.PUBLISHED,
                body=(
                    '"Jane Roe was never told why," her brother said.\n\n'
                    '"We were told to keep silent about the camps," Jane Roe said.\n\n'
                    '"Nobody listened to us at the border," Jane Roe said.'
                ),
            )
        )
    data = api(client, q="Jane Roe")
    assert data["count"] == 1  # the brother's words about her
    note = " ".join(data["notes"])
    assert "1 quotation has the words “Jane Roe”; 2 have Jane Roe as the speaker" in note
    page = client.get(reverse("quote-search"), {"q": "Jane Roe"}).content.decode()
    assert "2 quotations have Jane Roe as the speaker" in page
    link = 'href="?q=speaker%3A%22Jane+Roe%22"'
    assert f"{link}>what Jane Roe said</a>" in page
    spoken = api(client, q='speaker:"Jane Roe"')
    assert {hit["text"][:9] for hit in spoken["results"]} == {"We were t", "Nobody li"}
    # Words that are no one's name get no such note.
    assert "as the speaker" not in " ".join(api(client, q="border")["notes"])


def test_every_speaker_of_the_quotes_found_can_be_chosen(client, db, committed):
    """Past the first five speakers, the rest are behind "more", as in the article search."""
    from archive.models import Entity

    names = [f"Person {letter}" for letter in "ABCDEFG"]
    for name in names:
        Entity.objects.create(name=name, slug=name.lower().replace(" ", "-"), kind="person")
    with committed():
        save_article(
            Article(
                title="Seven voices",
                slug="seven-voices",
                status=Article.Status.PUBLISHED,
                body="\n\n".join(
                    f'"We saw the camp from the road that day," {name} said.' for name in names
                ),
            )
        )
    page = client.get(reverse("quote-search"), {"q": "camp"}).content.decode()
    facets = page.split('id="facets-heading"')[1]
    assert "2 more" in facets
    for name in names:
        slug = name.lower().replace(" ", "-")
        assert f'href="?q=camp&amp;speaker={slug}"' in facets, name
