"""What a journalist gets from the search page, the API and the CSV export, on the seed articles.

Every test runs against a real Whoosh index in a temporary directory, filled
by importing the seed files as `make demo` would.
"""

import csv
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from archive.articles import save_article
from archive.models import Alias, Article, Entity, Source
from archive.search.params import search_params
from archive.search.results import SearchParams, run_search

pytestmark = pytest.mark.django_db(transaction=True)

# (seed prefix, a sentence from it as printed there, with curly quotes where it has them)
QUOTES = [
    (
        "000",
        "forced into concentration camps for reasons as simple as wearing a veil",
    ),
    ("001", "under President Xi Jinping’s directives to “show absolutely no mercy”"),
    ("002", "“Today is the 1,049th day,” he announced"),
    ("003", "“Don’t circulate lies about our country, don’t participate in illegal activities.”"),
    ("004", "“It’s an old matter, and they’ve known I’ve been abroad for a long time."),
]
STRAIGHT = str.maketrans({"“": '"', "”": '"', "’": "'"})


@pytest.fixture
def seeds(seed_dir):
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())
    return {article.external_id[:3]: article for article in Article.objects.all()}


@pytest.fixture
def vocabulary():
    call_command("loaddata", "fixtures/entities.json", verbosity=0)


def search(q="", **params):
    return run_search(SearchParams(q=q, **params))


def phrase(text):
    """A sentence typed as a quoted phrase, its own inner quotes taken out."""
    inner = text.replace("“", "").replace("”", "").replace('"', "")
    return f"“{inner}”"


@pytest.mark.parametrize("curly", [True, False], ids=["curly", "straight"])
@pytest.mark.parametrize(("seed", "sentence"), QUOTES, ids=[s for s, _ in QUOTES])
def test_a_pasted_quote_finds_its_article_and_paragraph(seeds, seed, sentence, curly):
    query = phrase(sentence) if curly else phrase(sentence).translate(STRAIGHT)
    outcome = search(query)
    assert outcome.count == 1, outcome.notes
    hit = outcome.hits[0]
    assert hit.article == seeds[seed]
    paragraph = hit.article.paragraphs[hit.best_paragraph - 1]
    words = phrase(sentence)[1:-1].translate(STRAIGHT)
    assert words in paragraph.translate(STRAIGHT).replace('"', "")
    # the whole phrase is one mark in the snippet
    snippet = hit.snippets[0]
    marked = [snippet.text[a:b] for a, b in snippet.marks]
    assert len(marked) == 1 and len(marked[0].split()) >= 5


def test_the_same_sentence_pasted_without_quotes_also_finds_it(seeds):
    outcome = search("Today is the 1,049th day")
    assert [h.article for h in outcome.hits] == [seeds["002"]]


def test_possessives_and_apostrophes_match_however_they_are_typed(seeds):
    curly = search("“China’s treatment of Uighurs”")
    straight = search('"China\'s treatment of Uighurs"')
    bare = search('"China treatment of Uighurs"')
    assert [h.article for h in curly.hits] == [seeds["002"]]
    assert [h.article for h in straight.hits] == [seeds["002"]]
    assert [h.article for h in bare.hits] == [seeds["002"]]


def test_accents_and_case_do_not_matter(seeds):
    assert [h.article for h in search("ÜRÜMQI").hits] == [seeds["004"]]
    assert [h.article for h in search("urumqi").hits] == [seeds["004"]]


def test_a_chinese_name_is_found_inside_a_run_of_characters_without_spaces(client, seeds):
    save_article(
        Article(
            title="The party secretary's order",
            slug="party-secretary",
            status=Article.Status.PUBLISHED,
            body=(
                "The order was signed 新疆维吾尔自治区党委书记陈全国 in 2017.\n\n"
                "The 「严打」 campaign, ニュース・カタカナ, began in Ürümqi."
            ),
        )
    )
    article = Article.objects.get(slug="party-secretary")
    for query in ("陈全国", "“陈全国”", "书记陈全国 Ürümqi", "严打", "カタカナ", "全国 -Xinjiang"):
        assert [h.article for h in search(query).hits] == [article], query
    # The characters in a row, not merely each somewhere in the text.
    assert search("陈国").count == 0
    assert search("新陈").count == 0
    page = client.get(reverse("search"), {"q": "陈全国"}).content.decode()
    assert "<mark>陈全国</mark>" in page


def test_stop_words_count_inside_a_phrase(seeds):
    assert search('"show absolutely no mercy"').count == 1
    assert search('"show absolutely mercy"').count == 0


def test_spelling_variants_widen_the_search_and_say_what_matched(seeds, vocabulary):
    # 000 only says "Uighur(s)"; 003 only says "Uyghur(s)"
    uyghur = search("Uyghur")
    assert seeds["000"] in [h.article for h in uyghur.hits]
    hit_000 = next(h for h in uyghur.hits if h.article == seeds["000"])
    assert set(hit_000.matched_spellings) <= {"Uighur", "Uighurs"}
    assert hit_000.matched_spellings

    uighur = search("Uighur")
    assert seeds["003"] in [h.article for h in uighur.hits]
    hit_003 = next(h for h in uighur.hits if h.article == seeds["003"])
    assert set(hit_003.matched_spellings) <= {"Uyghur", "Uyghurs", "Uyghurs’"}
    assert uyghur.count == uighur.count == 5

    assert [h.article for h in search("Wulumuqi").hits] == [seeds["004"]]


def test_an_editor_adding_an_alias_changes_search_without_code(seeds, vocabulary):
    assert search("Ouighour").count == 0
    Alias.objects.create(entity=Entity.objects.get(name="Uyghurs"), name="Ouïghour")
    assert search("Ouighour").count == 5


def test_case_sensitive_spellings_do_not_widen_ordinary_words(seeds, vocabulary):
    # "US" is a case-sensitive alias of USA; the pronoun "us" must not become "USA".
    assert len(search("us").parsed.groups[0].clauses) == 1
    assert len(search("US").parsed.groups[0].clauses) > 1


def test_or_and_exclusion(seeds):
    either = search("Turdi OR Kunbolat")
    assert {h.article for h in either.hits} == {seeds["000"], seeds["002"]}
    without = search("Xinjiang -Kazakhstan")
    assert seeds["002"] not in [h.article for h in without.hits]
    assert without.count == search("Xinjiang").count - 1


def test_prefix_wildcard(seeds):
    assert {h.article for h in search("Kunbol*").hits} == {seeds["002"]}


def test_drafts_never_appear_in_results_or_counts(seeds):
    draft = seeds["002"]
    draft.status = Article.Status.DRAFT
    save_article(draft)
    outcome = search("Xinjiang")
    assert draft not in [h.article for h in outcome.hits]
    assert sum(v.count for v in outcome.facets["year"]) == outcome.count
    assert search('"1,049th day"').count == 0


def test_facet_counts_equal_the_matching_published_articles(vocabulary, seeds):
    apple = Source.objects.create(name="Apple Daily", slug="apple-daily")
    seeds["002"].source = apple
    save_article(seeds["002"])

    outcome = search("China")
    assert outcome.count == 5
    assert sum(v.count for v in outcome.facets["year"]) == outcome.count
    assert [(v.label, v.count) for v in outcome.facets["source"]] == [("Apple Daily", 1)]
    for value in outcome.facets["source"]:
        assert value.count == search("China", sources=[value.key]).count
    for value in outcome.facets["year"]:
        if value.key:
            narrowed = search("China", date_from=_jan1(value.key), date_to=_dec31(value.key))
            assert value.count == narrowed.count
    assert outcome.entity_facets, "the seeds are tagged on import"
    for values in outcome.entity_facets.values():
        for value in values:
            tagged = (
                Article.objects.published()
                .filter(mentions__entity__slug=value.key, mentions__rejected=False)
                .distinct()
                .count()
            )
            assert value.count == tagged == search("China", entities=[value.key]).count
    places = {v.label: v.count for v in outcome.entity_facets["Place"]}
    assert places["Xinjiang"] == 4  # every seed but 003, which names no region


def _jan1(year):
    from datetime import date

    return date(int(year), 1, 1)


def _dec31(year):
    from datetime import date

    return date(int(year), 12, 31)


def test_undated_articles_are_included_unless_a_date_is_set_and_sort_last(seeds):
    everything = search("China", sort="newest")
    order = [h.article for h in everything.hits]
    assert order[:3] == [seeds["002"], seeds["001"], seeds["000"]]
    assert set(order[3:]) == {seeds["003"], seeds["004"]}  # undated last
    oldest = [h.article for h in search("China", sort="oldest").hits]
    assert oldest[:3] == [seeds["000"], seeds["001"], seeds["002"]]
    assert set(oldest[3:]) == {seeds["003"], seeds["004"]}

    params = search_params(_query(q="China", **{"from": "2020-06", "to": "2020"}))
    dated = run_search(params)
    assert [h.article for h in dated.hits] == [seeds["001"]]


def _query(**values):
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for key, value in values.items():
        query[key] = value
    return query


def test_did_you_mean_offers_a_word_from_the_archive_with_its_count(seeds):
    outcome = search("extraditon")
    assert outcome.count == 0
    assert outcome.suggestion == "extradition"
    assert outcome.suggestion_count == search("extradition").count > 0


def test_did_you_mean_offers_the_nearest_word_and_of_those_the_most_written(seeds):
    """Not the rarest of every word two edits away, as Whoosh's own corrector ranks them."""
    bodies = [
        *["A recession in Xinjiang's dimension of inflation."] * 4,
        "The Reckson report on inflato figures.",
    ]
    for n, body in enumerate(bodies):
        save_article(
            Article(title=f"Report {n}", slug=f"report-{n}", body=body, status="published")
        )
    assert search("recesion").suggestion == "recession"  # not Reckson, two edits away
    assert search("inflaton").suggestion == "inflation"  # not the typing error inflato
    # One edit from "detention" (in the seeds), two from "dimension", written more often.
    assert search("detension").suggestion == "detention"
    assert search("detention").suggestion is None
    assert search("extrdtion").suggestion == "extradition"  # two edits: nothing at one


@pytest.mark.whoosh
def test_the_words_one_edit_away_are_those_whoosh_s_distance_finds(seeds):
    """The corrector looks up the strings one edit from a misspelling instead of comparing
    every word of the index with it: it finds the same words."""
    from haystack import connections
    from whoosh.support.levenshtein import damerau_levenshtein

    from archive.search.whoosh_backend import one_edit_away

    reader = connections["default"].get_backend().searcher().reader()
    words = {w.decode() for w in reader.lexicon("spell_text")}
    assert len(words) > 500
    misspelt = ["uighers", "xinjaing", "detension", "camsp", "extraditon", "urumq", "muslimss"]
    misspelt += ["1049h", "aboard", "polce", "kazakhstna", "serikzan", "tuurkey", "r"]
    for typed in misspelt:
        compared = {w for w in words if w != typed and damerau_levenshtein(w, typed) == 1}
        assert {w for w in one_edit_away(typed) if w in words} == compared, typed
        assert all(damerau_levenshtein(w, typed) == 1 for w in one_edit_away(typed)), typed


BAD_QUERIES = [
    '"unbalanced quote',
    "OR",
    "AND OR NOT",
    "-",
    "camps OR",
    "nosuchfield:value camps",
    "*ghur",
    "?",
    "x" * 10_000,
    "camps \x00\x01\x1f control",
    "source:",
    "source:nowhere",
    "entity:nobody",
    "((((",
    "]]} {{[",
    "\\",
    "to:to from:from",
]


@pytest.mark.parametrize("query", BAD_QUERIES, ids=range(len(BAD_QUERIES)))
def test_bad_input_gets_a_page_and_a_note_never_a_server_error(client, seeds, query):
    for url in (reverse("search"), reverse("search-api"), reverse("search-csv")):
        response = client.get(url, {"q": query})
        assert response.status_code == 200, (url, query)


def test_notes_say_what_was_left_out(client, seeds):
    page = client.get(reverse("search"), {"q": '"show absolutely no mercy'}).content.decode()
    assert "A quotation mark was not closed" in page
    assert "Xi Jinping" in page  # the phrase was still searched
    api = client.get(reverse("search-api"), {"q": "foo:bar", "page": "two"}).json()
    assert any("is not a filter" in note for note in api["notes"])
    assert any("not a page number" in note for note in api["notes"])


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "99999999999", "", "9" * 50])
def test_page_numbers_that_are_not_numbers_or_past_the_end(client, seeds, page):
    response = client.get(reverse("search"), {"q": "China", "page": page})
    assert response.status_code == 200
    assert response.context["outcome"].count == 5
    assert response.context["outcome"].hits


def test_a_page_past_the_end_shows_the_last_page(client, seeds):
    outcome = run_search(SearchParams(q="China", page=7), per_page=2)
    assert outcome.page.number == 3
    assert any("no page 7" in note for note in outcome.notes)


@pytest.mark.parametrize(
    ("name", "value"), [("from", "yesterday"), ("to", "2020-13"), ("sort", "random")]
)
def test_bad_form_values_get_a_note(client, seeds, name, value):
    response = client.get(reverse("search"), {"q": "China", name: value})
    assert response.status_code == 200
    assert response.context["outcome"].notes


def test_results_link_to_the_paragraph_with_the_words_highlighted_there(client, seeds):
    response = client.get(reverse("search"), {"q": "“show absolutely no mercy”"})
    page = response.content.decode()
    hit = response.context["outcome"].hits[0]
    assert hit.url.startswith(seeds["001"].get_absolute_url() + "?hl=")
    assert hit.url.endswith(f"#p-{hit.best_paragraph}")
    assert "<mark>show absolutely no mercy</mark>" in page

    article = client.get(hit.url.split("#")[0]).content.decode()
    assert f'<p id="p-{hit.best_paragraph}">' in article
    assert "<mark>show absolutely no mercy</mark>" in article


def test_snippets_and_highlights_escape_the_article_text(client):
    save_article(
        Article(
            title="Hostile",
            slug="hostile",
            status=Article.Status.PUBLISHED,
            body='Camps <script>alert("x")</script> and "><img src=x onerror=alert(1)> camps.',
        )
    )
    page = client.get(reverse("search"), {"q": "camps"}).content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page
    article = client.get("/articles/hostile/", {"hl": "camps script"}).content.decode()
    assert "<script>alert" not in article and "<img src=x" not in article
    assert "<mark>script</mark>" in article


def test_the_query_stays_in_the_box_and_filters_are_shown_removable(client, seeds):
    apple = Source.objects.create(name="Apple Daily", slug="apple-daily")
    seeds["002"].source = apple
    save_article(seeds["002"])
    page = client.get(
        reverse("search"), {"q": "Kazakhs “camps”", "source": "apple-daily"}
    ).content.decode()
    assert 'value="Kazakhs &quot;camps&quot;"' in page
    assert "Source: Apple Daily" in page
    assert "Remove the source filter Apple Daily" in page


def test_json_api_shape(client, seeds):
    data = client.get(reverse("search-api"), {"q": "“show absolutely no mercy”"}).json()
    assert set(data) == {
        "query",
        "count",
        "page",
        "num_pages",
        "results",
        "facets",
        "near",
        "suggestion",
        "notes",
        "index_notice",
    }
    assert data["count"] == 1
    (result,) = data["results"]
    assert set(result) == {
        "title",
        "url",
        "source",
        "date",
        "snippets",
        "matched_spellings",
        "citation",
    }
    assert result["url"].startswith("http://testserver/articles/")
    assert "#p-" in result["url"]
    assert result["source"] is None and result["date"] == "2020-06-17"
    snippet = result["snippets"][0]
    start, end = snippet["marks"][0]
    assert snippet["text"][start:end] == "show absolutely no mercy"
    assert result["citation"]["sha256"] == seeds["001"].body_sha256
    assert "source unknown" in result["citation"]["text"]
    assert set(data["facets"]) == {"source", "year", "entity"}


def test_csv_export_has_one_row_per_matching_paragraph_with_snippet_and_citation(client, seeds):
    response = client.get(reverse("search-csv"), {"q": "Kazakhs"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    outcome = search("Kazakhs")
    assert len(rows) == sum(len(hit.matching_paragraphs) for hit in outcome.hits) > outcome.count
    assert {row["title"] for row in rows} == {hit.article.title for hit in outcome.hits}
    assert all(row["citation"] and row["url"] and row["snippet"] for row in rows)
    assert all(row["url"].endswith(f"#p-{row['paragraph']}") for row in rows)


def test_the_help_page_documents_the_query_language_and_the_api(client):
    page = client.get(reverse("search-help")).content.decode()
    for needle in ('"show absolutely no mercy"', "OR", "source:", "entity:", "/api/search"):
        assert needle in page
    search_page = client.get(reverse("search")).content.decode()
    assert reverse("search-help") in search_page


def test_the_search_page_makes_a_bounded_number_of_queries(
    client, seeds, vocabulary, django_assert_max_num_queries
):
    for n in range(30):
        save_article(
            Article(
                title=f"Camps report {n}",
                slug=f"camps-{n}",
                body="Detention camps in Xinjiang.",
                status=Article.Status.PUBLISHED,
            )
        )
    search("warm the vocabulary cache")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("search"), {"q": "camps Xinjiang"})
    assert len(response.context["outcome"].hits) == 20


def test_facet_counts_follow_edits_between_searches_in_one_process(vocabulary, seeds):
    """The per-segment facet tables are reused between queries and must never go stale."""
    before = search("China")
    xinjiang = {v.label: v.count for v in before.entity_facets["Place"]}["Xinjiang"]
    assert xinjiang == 4

    seeds["003"].body += "\n\nA new paragraph that names Xinjiang."
    save_article(seeds["003"])
    seeds["000"].status = Article.Status.DRAFT
    save_article(seeds["000"])

    after = search("China")
    assert after.count == 4
    assert {v.label: v.count for v in after.entity_facets["Place"]}["Xinjiang"] == 4
    assert sum(v.count for v in after.facets["year"]) == 4


@pytest.mark.whoosh
def test_long_or_many_unknown_words_are_not_sent_to_the_spelling_corrector(seeds, monkeypatch):
    """A 300-letter word once held a server worker for seconds in Whoosh's corrector."""
    from haystack import connections

    from archive.search import whoosh_backend

    asked = []
    nearest = whoosh_backend.nearest_word
    monkeypatch.setattr(
        whoosh_backend,
        "nearest_word",
        lambda reader, field, word: asked.append(word) or nearest(reader, field, word),
    )
    many = " ".join(f"qzx{'q' * n}word" for n in range(20))
    backend = connections["default"].get_backend()
    suggestion = backend.create_spelling_suggestion("extradtion " + "AND" * 100 + " " + many)
    assert suggestion.startswith("extradition " + "AND" * 100)
    assert asked[0] == "extradtion"
    assert len(asked) == whoosh_backend.MAX_CORRECTED_WORDS
    assert all(len(word) <= whoosh_backend.MAX_CORRECTED_LENGTH for word in asked)


@pytest.mark.parametrize("query", ["extradit* zqxv*", "Uighurx*", "extrad* AND zqxw*"])
def test_a_wildcard_is_not_taken_for_a_misspelling(seeds, query):
    # "Uig*" once got "Did you mean up?": the prefix was spell-checked as a word.
    outcome = search(query)
    assert outcome.count == 0
    assert outcome.suggestion is None


def test_the_words_beside_a_wildcard_are_still_spell_checked(seeds):
    outcome = search("extradtion zqxv*")
    assert outcome.suggestion == "extradition"
