"""A quotation pasted with a word changed, dropped or swapped, British for American spelling,
or an ellipsis for a cut, still finds its article and paragraph: nearly-same passages come
first where the exact phrase finds nothing."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from haystack.query import SearchQuerySet

from archive.models import Article
from archive.search.near import (
    MIN_WORDS,
    best_only,
    candidate_articles,
    pasted_quotation,
    spelling_key,
)
from archive.search.query import parse_query
from archive.search.text import tokens

ZAIR = "/articles/not-only-in-xinjiang-china-threatens-overseas-uighurs/"
# ¶7 of the Kerim Zair article says: "Kerim Zair, a Uighur who moved from Norway to London,
# said he received an anonymous call few years ago."
ALTERED = {
    "a word changed": "Kerim Zair, a Uighur who moved from Sweden to London, said he received",
    "a word dropped": "Kerim Zair, a Uighur who moved from Norway to London, said received",
    "two swapped": "Kerim Zair, a Uighur who moved from London to Norway, said he received",
    "an ellipsis": "“Kerim Zair, a Uighur who moved … to London, said he received an anonymous”",
    "memory": "Zair, an Uyghur who had moved from Norway to London, said he got an anonymous call",
}


@pytest.fixture
def seeds(db, seed_dir, django_capture_on_commit_callbacks):
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())


def place(url: str) -> tuple[str, str]:
    """The article's path and the paragraph's anchor of an address (its query string aside)."""
    path, _, anchor = url.partition("#")
    return path.split("?")[0].removeprefix("http://testserver"), anchor


def api(client, q):
    response = client.get(reverse("search-api"), {"q": q})
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("change", ALTERED)
def test_an_altered_quotation_finds_its_paragraph_first(client, seeds, change):
    quoted = f'"{ALTERED[change]}"'
    data = api(client, quoted)
    if change != "an ellipsis":  # the exact search reads an ellipsis as a cut already
        assert data["count"] == 0
    best = data["near"][0]
    assert place(best["url"]) == (ZAIR, "p-7"), (change, data["near"])
    assert best["paragraph"] == 7
    assert 0 < best["differing"] < best["words"] / 2
    assert best["citation"]["permalink"].endswith(f"{ZAIR}#p-7")


def test_the_page_marks_the_articles_words_where_they_differ(client, seeds):
    page = client.get(reverse("search"), {"q": f'"{ALTERED["a word changed"]}"'}).content.decode()
    assert "Nearly the same words" in page
    assert "<mark>Norway</mark>" in page  # the article's word where the paste has Sweden
    assert "1 of 13 words differ" in page
    assert f'href="{ZAIR}?hl=' in page and "#p-7" in page


def test_an_exact_quotation_is_found_as_it_was_and_short_or_complex_queries_are_not_quotations(
    client, seeds
):
    exact = api(client, '"Kerim Zair, a Uighur who moved from Norway to London"')
    assert exact["count"] == 1
    assert exact["near"][0]["differing"] == 0 and place(exact["near"][0]["url"]) == (ZAIR, "p-7")
    short = " ".join(["moved", "from", "Norway", "to", "London", "said"][: MIN_WORDS - 1])
    assert pasted_quotation(parse_query(f'"{short}"')) is None  # under MIN_WORDS
    for typed in (
        "Zair OR Bilash camps Xinjiang Kazakhstan and Turkey now",
        "camp* in Xinjiang and Kazakhstan and Turkey now",
        "-Zair he received an anonymous call few years ago",
        "Kerim Zair Norway London anonymous call",  # words, not a quotation
    ):
        assert pasted_quotation(parse_query(typed)) is None, typed
    for pasted in (
        "he received an anonymous call a few years ago",  # without its quotation marks
        '"show absolutely no mercy" in the struggle against terrorism',  # marks inside it
    ):
        assert pasted_quotation(parse_query(pasted)) is not None, pasted


def test_british_and_american_spellings_are_one_word():
    for british, american in [
        ("colour", "color"),
        ("organised", "organized"),
        ("organisation", "organization"),
        ("defence", "defense"),
        ("centre", "center"),
        ("travelled", "traveled"),
        ("analyse", "analyze"),
        ("programme", "program"),
    ]:
        assert spelling_key(british) == spelling_key(american), british
    assert spelling_key("hour") == "hour" and spelling_key("rise") == "rise"


@pytest.mark.whoosh  # Solr counts every match anyway
def test_the_candidates_are_the_best_hits_without_counting_every_match(
    seeds, search_index, monkeypatch
):
    # No three of its words in a row anywhere: the candidates come from an OR of its words.
    quotation = tokens("anonymous Norway Zair London received Uighur moved call")
    narrowed = SearchQuerySet().models(Article)
    counted = [int(r.pk) for r in narrowed.filter(content="said")[:2]]
    assert narrowed.filter(content="said").count() > 2  # counted: every match
    best = best_only(narrowed.filter(content="said"))
    assert [int(r.pk) for r in best[:2]] == counted and best.count() == 2  # not counted

    asked = []
    search = type(search_index).search
    monkeypatch.setattr(
        type(search_index),
        "search",
        lambda self, *args, **kwargs: asked.append(kwargs) or search(self, *args, **kwargs),
    )
    assert len(candidate_articles(quotation, narrowed)) > 1
    assert asked and all(kwargs.get("counted") is False for kwargs in asked)
