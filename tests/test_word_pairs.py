"""Phrases matched through pairs of neighbouring words (archive.search.whoosh_analysis.WordPairs,
archive.search.whoosh_phrase.phrase_parts) find exactly the documents that Whoosh's own phrase
matching finds on the words; a segment with any document indexed without its pairs (written
before them, or merged from such a segment) is matched word by word.

The index is made as in tests/test_phrase_matching.py: the seed articles cut into
overlapping windows of words, some shuffled, over segments with deletions.
"""

import io
import os
import random

import pytest
from django.core.management import call_command
from test_phrase_matching import as_phrase, index_of_windows, seed_windows
from test_phrase_matching import phrases as some_phrases
from whoosh import fields, query
from whoosh.filedb.filestore import RamStorage

from archive.models import Article
from archive.search.whoosh_analysis import (
    COMMON_TERMS,
    PAIRED,
    WordPairs,
    archive_analyzer,
    pairs_field,
    word_pairs,
)
from archive.search.whoosh_phrase import (
    RarestFirstPhrase,
    all_paired,
    pairs_report,
    phrase_parts,
)

pytestmark = pytest.mark.whoosh
PAIRS = pairs_field("text")


@pytest.fixture(scope="module")
def searcher(seed_words):
    """Three segments: two written with pairs (one with deletions), and one whose every
    fifth document was written without them."""
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        text=fields.TEXT(analyzer=archive_analyzer(), phrase=True),
    )
    schema.add(PAIRS, WordPairs())
    windows = seed_windows(seed_words)
    third = len(windows) // 3

    def document(id, text):
        if int(id) >= 2 * third and int(id) % 5 == 2:
            return {"id": id, "text": text}  # as written before the pairs were
        return {"id": id, "text": text, PAIRS: text}

    index = index_of_windows("pairs", schema, windows, segments=3, document=document)
    with index.searcher() as searcher:
        readers = [reader for reader, _ in searcher.reader().leaf_readers()]
        assert [all_paired(reader, PAIRS) for reader in readers] == [True, True, False]
        yield searcher


def phrases(words, count=80, seed=5):
    """test_phrase_matching's phrases, and more of common words alone."""
    extra = [["the", "the"], ["of", "the", "of", "the"], ["it", "is", "a"]]
    return some_phrases(words, count=count, seed=seed) + extra


def documents(searcher, q):
    return sorted(hit["id"] for hit in searcher.search(q, limit=None))


def test_a_texts_pairs_are_its_neighbouring_words_of_which_one_is_common():
    assert "the" in COMMON_TERMS and "camp" not in COMMON_TERMS
    terms = ["the", "camp", "in", "xinjiang", "held", "uyghur", "detaine", "in", "the", "camp"]
    assert word_pairs(terms) == {
        "the camp": [0, 8],
        "camp in": [1],
        "in xinjiang": [2],
        "detaine in": [6],
        "in the": [7],
    }
    # Each pair's positions are where its first word is, in the text's own positions.
    indexed = dict(
        (term.decode(), (freq, WordPairs().format.decode_positions(value)))
        for term, freq, _, value in WordPairs().index("The camp in Xinjiang. The camp")
    )
    assert indexed == {
        PAIRED: (0, [0]),  # counts for no length
        "the camp": (2, [0, 4]),
        "camp in": (1, [1]),
        "in xinjiang": (1, [2]),
        "xinjiang the": (1, [3]),
    }


def test_a_phrase_is_matched_by_its_pairs_and_the_words_in_none():
    def parts(text):
        words = [token.text.encode() for token in archive_analyzer()(text)]
        return [(k, field, term.decode()) for k, field, term in phrase_parts("text", PAIRS, words)]

    assert parts("of the two") == [(0, PAIRS, "of the"), (1, PAIRS, "the two")]
    assert parts("in risk management") == [(0, PAIRS, "in risk"), (2, "text", "manag")]
    assert parts("risk management") == [(0, "text", "risk"), (1, "text", "manag")]
    assert parts("camps in Xinjiang") == [(0, PAIRS, "camp in"), (1, PAIRS, "in xinjiang")]


def test_a_phrase_finds_the_documents_whooshs_own_finds_in_paired_and_unpaired_segments(
    searcher, seed_words
):
    found = {tuple(words): documents(searcher, as_phrase(words)) for words in phrases(seed_words)}
    assert {
        words: documents(searcher, RarestFirstPhrase.of(as_phrase(words))) for words in found
    } == found
    assert sum(1 for documents_found in found.values() if documents_found) > 50


def test_a_phrase_among_other_clauses_finds_the_documents_whooshs_own_finds(searcher, seed_words):
    rng = random.Random(8)
    for words in phrases(seed_words, count=20, seed=9):
        whooshs = as_phrase(words)
        ours = RarestFirstPhrase.of(whooshs)
        word = query.Term("text", rng.choice(["the", "china", "said", "camp"]))
        for build in (
            lambda phrase, word: query.And([phrase, word]),
            lambda phrase, word: query.Or([phrase, word]),
            lambda phrase, word: query.AndNot(word, phrase),
        ):
            assert documents(searcher, build(ours, word)) == documents(
                searcher, build(whooshs, word)
            )


def recording(postings, read):
    """`postings` (a searcher's), noting each term asked for in `read`."""

    def recorded(fieldname, text, **options):
        read.append((fieldname, text))
        return postings(fieldname, text, **options)

    return recorded


def test_a_paired_segment_reads_pairs_not_the_common_words(searcher, seed_words):
    seen = set()
    for words in phrases(seed_words):
        phrase = RarestFirstPhrase.of(as_phrase(words))
        if not COMMON_TERMS & set(phrase.words) or len(phrase.words) < 2:
            continue
        for segment, _ in searcher.subsearchers:
            read = []
            segment.postings = recording(segment.postings, read)
            try:
                if not phrase.matcher(segment).is_active():
                    continue
            finally:
                del segment.postings
            paired = all_paired(segment.reader(), PAIRS)
            fields_read = {field for field, _ in read}
            words_read = {text.decode() for _, text in read}
            if paired:
                assert PAIRS in fields_read and not words_read & COMMON_TERMS, words
            else:
                assert fields_read == {"text"} and words_read == set(phrase.words), words
            seen.add(paired)
    assert seen == {True, False}


def test_a_document_with_the_phrase_more_often_ranks_higher(seed_words):
    schema = fields.Schema(
        id=fields.ID(stored=True), text=fields.TEXT(analyzer=archive_analyzer(), phrase=True)
    )
    schema.add(PAIRS, WordPairs())
    index = RamStorage().create_index(schema, indexname=f"rank{os.getpid()}")
    filler = " ".join(seed_words[:60])
    with index.writer() as writer:
        for number, times in enumerate([1, 3, 2]):
            text = f"{filler} " + " ".join(["held in the camps", filler] * times)
            writer.add_document(id=str(number), text=text, **{PAIRS: text})
    with index.searcher() as searcher:
        hits = searcher.search(RarestFirstPhrase.of(as_phrase(["held", "in", "the", "camps"])))
        assert [hit["id"] for hit in hits] == ["1", "2", "0"]


def test_the_pairs_report_counts_the_segments_and_documents_without_pairs(searcher):
    third = searcher.reader().leaf_readers()[2][0]
    report = pairs_report(searcher.reader(), PAIRS)
    assert (report.segments, report.unpaired_segments) == (3, 1)
    assert report.unpaired_documents == third.doc_count() > 0
    assert str(report).startswith(
        f"Word pairs: 1 of 3 segment(s) of the index, {third.doc_count():,} document(s), "
        "were written without them"
    )
    assert "rebuild_index" in str(report)


@pytest.mark.django_db(transaction=True)  # the index is written when the import commits
def test_the_archive_indexes_every_document_with_its_pairs(search_index, seed_dir, client):
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())
    article = Article.objects.get(title="Not only in Xinjiang, China threatens overseas Uighurs")
    search_index.setup()
    with search_index.index.searcher() as searcher:
        readers = [reader for reader, _ in searcher.reader().leaf_readers()]
        assert readers and all(all_paired(reader, PAIRS) for reader in readers)
        assert searcher.doc_frequency(PAIRS, PAIRED) == searcher.doc_count() > 5  # and quotes
        assert searcher.doc_frequency(PAIRS, "in the") > 0
    out = io.StringIO()
    call_command("verify", "--index", stdout=out)
    assert "Word pairs: in all " in out.getvalue()
    # The phrase is found through its pairs, in the article and its quotes alike.
    found = client.get("/api/search", {"q": "“their relatives in the region”"}).json()
    assert [hit["title"] for hit in found["results"]] == [article.title]
