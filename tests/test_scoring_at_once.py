"""A search of words and phrases scored a posting list at a time
(archive.search.whoosh_scoring) answers what Whoosh's collectors answer: the same best
documents with the same scores to the bit, the same number of matches and the same facet
counts; and a query with a part it does not score that way (a wildcard, a boost, Whoosh's
own phrase) is left to Whoosh's collectors.

The index is tests/test_phrase_matching.py's `index_of_kinds`: the seed articles cut into
overlapping windows of words over three segments (deletions in the first), each window of a
kind: all "a" in the first segment, "a" then "b" in the second, mixed in the third.
"""

import io
import random
from collections import Counter

import pytest
from django.core.management import call_command
from test_phrase_matching import as_phrase, index_of_kinds
from test_phrase_matching import phrases as some_phrases
from whoosh import query
from whoosh.collectors import FilterCollector
from whoosh.matching import ArrayUnionMatcher
from whoosh.scoring import BM25FScorer
from whoosh.sorting import FieldFacet

from archive.search import whoosh_backend, whoosh_scoring
from archive.search.whoosh_backend import (
    Deadline,
    DeadlineCollector,
    SegmentValuesFacet,
    SortKeysCollector,
    search_collector,
)
from archive.search.whoosh_phrase import RarestFirstPhrase
from archive.search.whoosh_scoring import field_lengths, scored_at_once, sorted_at_once

pytestmark = pytest.mark.whoosh


@pytest.fixture(scope="module")
def searcher(seed_words):
    with index_of_kinds("atonce", seed_words).searcher() as searcher:
        assert len(searcher.reader().leaf_readers()) == 3
        yield searcher


def whooshs(searcher, q, limit, groupedby=None, allow=None, order=()):
    """What the backend's collectors answer (its path for what is not scored at once); in
    `order` (("number",) or ("-number",)) if given, as the backend sorts."""
    sortedby = [name.lstrip("-") for name in order] or None
    reverse = any(name.startswith("-") for name in order)
    collector = DeadlineCollector(
        search_collector(
            searcher, groupedby or {}, order, limit=limit, sortedby=sortedby, reverse=reverse
        ),
        Deadline(60),
    )
    if allow is not None:
        collector = FilterCollector(collector, allow=allow)
    searcher.search_with_collector(q, collector)
    return collector.results()


def answer(results, limit, groupedby=None):
    """The best `limit` (score, document number) of the results, their number, the facets'
    counts. (With facets Whoosh's collector keeps every match, in the same order.)"""
    return (
        results.top_n[:limit],
        len(results),
        {name: results.groups(name) for name in groupedby or {}},
    )


def word(text):
    return query.Term("text", text)


KIND_A, KIND_B = query.Term("kind", "a"), query.Term("kind", "b")


def queries(seed_words):
    """Words common and rare, ANDs, ORs and exclusions, alone and with a kind's filter."""
    rng = random.Random(11)
    common = ["the", "of", "china", "said", "and", "in"]
    rare = rng.sample(sorted(set(seed_words)), 12)
    found = [word(w) for w in common + rare]
    for _ in range(12):
        a, b = rng.choice(common), rng.choice(common + rare)
        found += [
            query.And([word(a), word(b)]),
            query.Or([word(a), word(b)]),
            query.And([word(a), query.Not(word(b))]),
        ]
    for _ in range(6):  # three words or more: in a small segment Whoosh ORs them in an array
        words = [word(w) for w in rng.sample(common + rare, rng.randint(3, 5))]
        found += [query.Or(words), query.And(words), query.And([query.Or(words), KIND_B])]
    found += [query.And([q, kind]) for q in found[:20] for kind in (KIND_A, KIND_B)]
    found += [query.And([query.Or([word("the"), word("camp")]), KIND_B])]
    return found


@pytest.mark.parametrize("limit", [10, 100_000])
def test_words_scored_at_once_answer_what_whooshs_collectors_answer(searcher, seed_words, limit):
    facets = {"kind": SegmentValuesFacet("kind"), "tens": SegmentValuesFacet("tens")}
    with_hits = 0
    for q in queries(seed_words):
        ours = scored_at_once(searcher, q, limit, Deadline(60), facets)
        assert ours is not None, q
        expected = answer(whooshs(searcher, q, limit, facets), limit, facets)
        assert answer(ours, limit, facets) == expected, q
        with_hits += expected[1] > 0
    assert with_hits > 60


def test_with_a_filter_only_its_documents_are_kept_as_whooshs_filter_keeps_them(
    searcher, seed_words
):
    facets = {"tens": SegmentValuesFacet("tens")}
    for q in queries(seed_words)[:30]:
        for allow in (KIND_B, query.Term("tens", "2")):
            ours = scored_at_once(searcher, q, 10, Deadline(60), facets, allow=allow)
            expected = answer(whooshs(searcher, q, 10, facets, allow), 10, facets)
            assert answer(ours, 10, facets) == expected, (q, allow)


def test_phrases_are_scored_as_whooshs_collectors_score_them(searcher, seed_words):
    """The archive's phrases (RarestFirstPhrase), alone, with a kind's filter and beside a
    word: the same documents, scores, counts and facets."""
    facets = {"tens": SegmentValuesFacet("tens")}
    with_hits = 0
    for words in some_phrases(seed_words, count=40):
        phrase = RarestFirstPhrase.of(as_phrase(words), Deadline(60))
        for q in (phrase, query.And([phrase, KIND_B]), query.Or([phrase, word("camp")])):
            ours = scored_at_once(searcher, q, 10, Deadline(60), facets)
            assert ours is not None, q
            expected = answer(whooshs(searcher, q, 10, facets), 10, facets)
            assert answer(ours, 10, facets) == expected, q
            with_hits += expected[1] > 0
    assert with_hits > 50


@pytest.mark.parametrize("order", [("number",), ("-number",)])
@pytest.mark.parametrize("limit", [10, 100_000])
def test_a_search_in_an_order_of_the_documents_answers_what_whooshs_collectors_answer(
    searcher, seed_words, order, limit
):
    """Sorted by a field (many documents share a value: the ties go by document number,
    reversed with the order), any query, with and without a filter: the same documents in
    the same order with the same keys, the same count and facet counts."""
    facets = {"kind": SegmentValuesFacet("kind"), "tens": SegmentValuesFacet("tens")}
    phrase = RarestFirstPhrase.of(as_phrase(["of", "the"]), Deadline(60))
    found = queries(seed_words)[:40] + [query.Every(), query.Prefix("text", "chin"), phrase]
    for q in found:
        for allow in (None, KIND_B):
            keys = SortKeysCollector(["number"], order, limit=limit, reverse=order[0][0] == "-")
            ours = sorted_at_once(searcher, q, keys, Deadline(60), facets, allow=allow)
            expected = answer(whooshs(searcher, q, limit, facets, allow, order), limit, facets)
            assert answer(ours, limit, facets) == expected, (q, allow)


def test_wildcards_boosts_and_whooshs_own_phrases_are_left_to_whooshs_collectors(searcher):
    for q in [
        query.Phrase("text", ["of", "the"]),
        RarestFirstPhrase("text", ["of", "the"], boost=2.0),
        query.Prefix("text", "chin"),
        query.And([word("the"), query.Prefix("text", "chin")]),
        query.Term("text", "the", boost=2.0),
        query.Every(),
    ]:
        assert scored_at_once(searcher, q, 10, Deadline(60)) is None, q
    # Facets it counts from the segments' tables only.
    assert (
        scored_at_once(searcher, word("the"), 10, Deadline(60), {"k": FieldFacet("kind")}) is None
    )


def test_out_of_time_it_answers_with_the_segments_scored_in_time(searcher):
    deadline = Deadline(0)
    results = scored_at_once(searcher, word("the"), 10, deadline)
    assert deadline.passed and len(results) == 0 and list(results) == []


def test_a_field_length_is_the_one_whoosh_scores_with(searcher):
    for reader, _ in searcher.reader().leaf_readers():
        lengths = field_lengths(reader, "text")
        assert len(lengths) == reader.doc_count_all()
        assert list(lengths) == [
            reader.doc_field_length(doc, "text", 1) for doc in range(reader.doc_count_all())
        ]


@pytest.mark.django_db(transaction=True)  # the index is written when the import commits
def test_the_archives_search_of_words_scores_no_document_one_by_one(client, seed_dir, monkeypatch):
    """The search page's words (with its facets and the articles' filter) are scored a list
    at a time, and so is a phrase; through Whoosh's collectors they would be scored one by
    one."""
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())
    scored = []
    original = BM25FScorer.score
    monkeypatch.setattr(
        BM25FScorer, "score", lambda self, matcher: scored.append(1) or original(self, matcher)
    )
    page = client.get("/search/", {"q": "China camps"})
    assert page.status_code == 200 and "Not only in Xinjiang" in page.content.decode()
    assert scored == []
    phrase = client.get("/search/", {"q": '"in the camps"'})
    assert phrase.status_code == 200 and scored == []
    newest = client.get("/search/", {"q": "China", "sort": "newest"})
    quotes = client.get("/quotes/", {"q": "said"})
    assert newest.status_code == quotes.status_code == 200
    # Through Whoosh's collectors: the same pages, byte for byte.
    monkeypatch.setattr(whoosh_backend, "scored_at_once", lambda *args: None)
    monkeypatch.setattr(whoosh_backend, "sorted_at_once", lambda *args: None)
    assert client.get("/search/", {"q": "China camps"}).content == page.content
    assert client.get("/search/", {"q": '"in the camps"'}).content == phrase.content
    assert client.get("/search/", {"q": "China", "sort": "newest"}).content == newest.content
    assert client.get("/quotes/", {"q": "said"}).content == quotes.content
    assert scored


def test_an_or_of_three_words_is_the_array_whooshs_collectors_make_in_a_small_segment(searcher):
    """(The queries above have such ORs: the segments here are under Whoosh's 5,000.)"""
    three = query.Or([word("the"), word("china"), word("camp")])
    for sub, _ in searcher.leaf_searchers():
        assert type(three.matcher(sub, searcher.context())) is ArrayUnionMatcher


def test_an_and_of_a_rare_word_and_a_common_one_scores_the_common_one_only_where_needed(
    searcher, monkeypatch
):
    """As its documents are found (whoosh_postings.intersection_ids): the common word is
    skipped through to the rare word's documents and scored there, not scored whole."""
    common = searcher.doc_frequency("text", "the")
    rare = next(
        term.decode()
        for term in searcher.reader().lexicon("text")
        if 2 <= searcher.doc_frequency("text", term) * 40 < common
    )
    scored = Counter()
    original = whoosh_scoring._leaf_score

    def counting(leaf, reader):
        score = original(leaf, reader)
        return lambda weight, doc: scored.update([leaf._term[1]]) or score(weight, doc)

    monkeypatch.setattr(whoosh_scoring, "_leaf_score", counting)
    both = query.And([word(rare), word("the")])
    ours = scored_at_once(searcher, both, 10, Deadline(60))
    assert len(ours) > 0
    assert scored[b"the"] <= searcher.doc_frequency("text", rare) < common / 40
    monkeypatch.undo()
    assert answer(ours, 10) == answer(whooshs(searcher, both, 10), 10)
