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
from pathlib import Path

import pytest
from django.core.management import call_command
from whoosh import fields, query
from whoosh.filedb.filestore import RamStorage

from archive.models import Article
from archive.search.text import tokens
from archive.search.whoosh_analysis import (
    COMMON_TERMS,
    PAIRED,
    WordPairs,
    archive_analyzer,
    pairs_field,
    word_pairs,
)
from archive.search.whoosh_phrase import RarestFirstPhrase, all_paired, phrase_parts

pytestmark = pytest.mark.whoosh
SEED_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"
WINDOW, STEP = 40, 4
PAIRS = pairs_field("text")


@pytest.fixture(scope="module")
def seed_words():
    text = " ".join(path.read_text() for path in sorted(SEED_DIR.glob("*.txt")))
    return [token.word for token in tokens(text)]


@pytest.fixture(scope="module")
def searcher(seed_words):
    """Three segments: two written with pairs (one with deletions), and one whose every
    fifth document was written without them."""
    rng = random.Random(17)
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        text=fields.TEXT(analyzer=archive_analyzer(), phrase=True),
    )
    schema.add(PAIRS, WordPairs())
    index = RamStorage().create_index(schema, indexname=f"pairs{os.getpid()}")
    windows = [seed_words[i : i + WINDOW] for i in range(0, len(seed_words) - WINDOW, STEP)]
    third = len(windows) // 3
    for first, last in ((0, third), (third, 2 * third), (2 * third, len(windows))):
        writer = index.writer()
        for number in range(first, last):
            words = list(windows[number])
            if number % 5 == 1:  # the words without their order
                rng.shuffle(words)
            text = " ".join(words)
            document = {"id": str(number), "text": text, PAIRS: text}
            if first == 2 * third and number % 5 == 0:
                del document[PAIRS]  # as written before the pairs were
            writer.add_document(**document)
        writer.commit(merge=False)
    writer = index.writer()
    for number in range(0, third, 7):
        writer.delete_by_term("id", str(number))
    writer.commit(merge=False)
    with index.searcher() as searcher:
        readers = [reader for reader, _ in searcher.reader().leaf_readers()]
        assert [all_paired(reader, PAIRS) for reader in readers] == [True, True, False]
        yield searcher


def phrases(words, count=80, seed=5):
    """Phrases of 2–6 words in a row from the seeds, some with a word changed or repeated,
    and phrases of common words alone."""
    rng = random.Random(seed)
    found = []
    for n in range(count):
        length = rng.randint(2, 6)
        start = rng.randrange(len(words) - length)
        phrase = words[start : start + length]
        if n % 6 == 0:
            phrase[rng.randrange(length)] = rng.choice(words)  # probably no longer in a row
        if n % 10 == 0:
            phrase = [phrase[0], *phrase]  # "the the said"
        found.append(phrase)
    found += [["of", "the"], ["the", "of"], ["in", "the", "of"], ["said", "that", "the"]]
    found += [["the", "the"], ["of", "the", "of", "the"], ["it", "is", "a"]]
    return found


def as_phrase(words) -> query.Phrase:
    return query.Phrase("text", [token.text for token in archive_analyzer()(" ".join(words))])


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
    found_some = 0
    for words in phrases(seed_words):
        whooshs = as_phrase(words)
        ours = RarestFirstPhrase.of(whooshs)
        assert documents(searcher, ours) == documents(searcher, whooshs), words
        found_some += bool(documents(searcher, whooshs))
    assert found_some > 50


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
    # The phrase is found through its pairs, in the article and its quotes alike.
    found = client.get("/api/search", {"q": "“their relatives in the region”"}).json()
    assert [hit["title"] for hit in found["results"]] == [article.title]
