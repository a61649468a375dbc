"""A quoted phrase finds the same documents, with the same scores and so in the same order, as
Whoosh's own phrase matching did, now that it is matched rarest word first
(archive.search.whoosh_phrase); and it still stops at the search's time limit. A word's
documents read a block at a time, or skipped to by bisection, are those Whoosh reads one
by one, and an AND's documents those Whoosh's sets give (archive.search.whoosh_postings).

The index is built from the seed articles cut into overlapping windows of words, so
common words ("the", "of") have postings in several blocks of 128 and most windows hold
a phrase's words without the phrase; some windows are shuffled, one segment has
deletions.
"""

import os
import random
from itertools import pairwise
from pathlib import Path

import pytest
from whoosh import fields, query
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.filedb.filestore import RamStorage
from whoosh.matching import FilterMatcher, IntersectionMatcher, ListMatcher, NullMatcher
from whoosh.matching.mcore import Matcher
from whoosh.searching import TimeLimit

from archive.search import whoosh_postings
from archive.search.whoosh_analysis import archive_analyzer
from archive.search.whoosh_backend import Deadline, affordable
from archive.search.whoosh_phrase import RarestFirstPhrase

SEED_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"
WINDOW, STEP = 40, 4


def seed_windows(seed_words) -> list[str]:
    """The seeds' words cut into overlapping windows of WINDOW words; every fifth window has
    its words without their order."""
    rng = random.Random(17)
    windows = []
    for number, start in enumerate(range(0, len(seed_words) - WINDOW, STEP)):
        words = list(seed_words[start : start + WINDOW])
        if number % 5 == 0:
            rng.shuffle(words)
        windows.append(" ".join(words))
    return windows


def index_of_windows(name, schema, windows, segments, document=None):
    """An index of `windows`, a document each (`document(number, text)`, by default its id
    and text), in `segments` segments of about the same size; every seventh document of the
    first then deleted."""
    # A name of its own: Whoosh writes a segment through a folder named after the index in
    # the system temp folder, which another test worker may be writing and removing too.
    index = RamStorage().create_index(schema, indexname=f"{name}{os.getpid()}")
    size = len(windows) // segments
    for k in range(segments):
        writer = index.writer()
        for number in range(k * size, len(windows) if k == segments - 1 else (k + 1) * size):
            text = windows[number]
            writer.add_document(**(document or dict)(id=str(number), text=text))
        writer.commit(merge=False)
    writer = index.writer()
    for number in range(0, size, 7):
        writer.delete_by_term("id", str(number))
    writer.commit(merge=False)
    return index


@pytest.fixture(scope="module")
def searcher(seed_words):
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        text=fields.TEXT(analyzer=archive_analyzer(), phrase=True),
    )
    index = index_of_windows("test", schema, seed_windows(seed_words), segments=2)
    with index.searcher() as searcher:
        assert len(searcher.reader().leaf_readers()) == 2
        assert searcher.doc_frequency("text", "the") > 3 * 128  # several blocks
        yield searcher


def phrases(words, count=50, seed=5):
    """Phrases of 2–6 words in a row from the seeds, some with a word changed or repeated."""
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
    return found


def as_phrase(words) -> query.Phrase:
    """Whoosh's phrase of the index terms of `words`, as its query parser makes it."""
    return query.Phrase("text", [token.text for token in archive_analyzer()(" ".join(words))])


def hits(searcher, q, limit=None):
    return [(hit.docnum, hit.score) for hit in searcher.search(q, limit=limit)]


def test_a_phrase_finds_the_same_documents_with_the_same_scores_as_whooshs_own(
    searcher, seed_words
):
    found_some = 0
    for words in phrases(seed_words):
        whooshs = as_phrase(words)
        ours = RarestFirstPhrase.of(whooshs)
        assert hits(searcher, ours) == hits(searcher, whooshs), words
        assert hits(searcher, ours, limit=5) == hits(searcher, whooshs, limit=5), words
        found_some += bool(hits(searcher, whooshs))
    assert found_some > 30  # most phrases are there; the changed ones mostly not


def test_a_phrase_among_other_clauses_matches_as_whooshs_own(searcher, seed_words):
    rng = random.Random(8)
    for first, second in pairwise(phrases(seed_words, count=9, seed=9)):
        a, b = as_phrase(first), as_phrase(second)
        word = query.Term("text", rng.choice(["the", "china", "said", "camp"]))
        for build in (
            lambda a, b, word: query.And([a, word]),
            lambda a, b, word: query.Or([a, b, word]),
            lambda a, b, word: query.AndNot(word, a),
            lambda a, b, word: query.And([query.Or([a, b]), word]),
        ):
            whooshs = build(a, b, word)
            ours = build(RarestFirstPhrase.of(a), RarestFirstPhrase.of(b), word)
            assert hits(searcher, ours) == hits(searcher, whooshs), whooshs
            assert hits(searcher, ours, limit=3) == hits(searcher, whooshs, limit=3), whooshs


def test_the_search_path_matches_phrases_rarest_word_first(searcher):
    parsed = query.And([query.Phrase("text", ["the", "camp"]), query.Term("text", "china")])
    replaced = affordable(parsed, searcher.reader(), Deadline(5))
    assert [type(part) for part in replaced.leaves()] == [RarestFirstPhrase, query.Term]


def test_a_phrase_of_common_words_stops_at_the_time_limit(searcher):
    phrase = RarestFirstPhrase.of(as_phrase(["the", "of"]), deadline=Deadline(0))
    with pytest.raises(TimeLimit):
        searcher.search(phrase, limit=None)


# Reading posting lists (archive.search.whoosh_postings) ----------------------------------


def postings(searcher, word):
    """The word's posting lists, one per segment (deleted documents left out, as searches do)."""
    return [reader.postings("text", word) for reader, _ in searcher.reader().leaf_readers()]


@pytest.mark.parametrize("word", ["the", "of", "china", "camp"])
def test_a_words_documents_read_a_block_at_a_time_are_those_read_one_by_one(searcher, word):
    for by_block, one_by_one in zip(
        postings(searcher, word), postings(searcher, word), strict=True
    ):
        assert list(by_block.all_ids()) == list(Matcher.all_ids(one_by_one))
        assert not by_block.is_active()


def test_a_list_read_partly_goes_on_from_where_it_was(searcher):
    by_block, one_by_one = postings(searcher, "the")[0], postings(searcher, "the")[0]
    for _ in range(150):  # into the second block
        by_block.next()
        one_by_one.next()
    assert list(by_block.all_ids()) == list(Matcher.all_ids(one_by_one))


@pytest.mark.parametrize("directory", [False, True], ids=["block by block", "directory"])
def test_skipping_through_a_words_documents_lands_where_stepping_does(
    searcher, monkeypatch, directory
):
    """Also with the directory of a long list's blocks (every list gets one here)."""
    monkeypatch.setattr(whoosh_postings, "DIRECTORY_FROM_BYTES", 0 if directory else float("inf"))
    rng = random.Random(3)
    for word in ["the", "of", "said", "china"]:
        for bisecting, stepping in zip(
            postings(searcher, word), postings(searcher, word), strict=True
        ):
            target = 0
            while bisecting.is_active():
                target += rng.choice([1, 2, 5, 40, 130, 300])
                bisecting.skip_to(target)
                Matcher.skip_to(stepping, target)
                assert bisecting.is_active() == stepping.is_active()
                if stepping.is_active():
                    assert bisecting.id() == stepping.id()
                    assert bisecting.value() == stepping.value()


def both_postings(searcher, a, b):
    """Per segment, the two words' posting lists (an empty list for a word it does not have)."""
    for reader, _ in searcher.reader().leaf_readers():
        yield tuple(
            reader.postings("text", word) if ("text", word) in reader else NullMatcher()
            for word in (a, b)
        )


@pytest.mark.parametrize(
    "a, b", [("the", "of"), ("camp", "the"), ("the", "camp"), ("china", "said"), ("of", "xyz")]
)
def test_an_ands_documents_are_those_whooshs_sets_give(searcher, a, b):
    for ours, (left, right) in zip(
        both_postings(searcher, a, b), both_postings(searcher, a, b), strict=True
    ):
        expected = sorted(set(Matcher.all_ids(left)) & set(Matcher.all_ids(right)))
        assert list(IntersectionMatcher(*ours).all_ids()) == expected


def test_an_and_of_a_rare_word_reads_only_the_common_words_blocks_it_needs(searcher, monkeypatch):
    """Counting an AND of a rare word and a common one does not read the common word's
    whole posting list (Whoosh's sets did: every posting of the model filter, for every
    count of a search)."""
    common = searcher.doc_frequency("text", "the")
    rare = next(
        word.decode()
        for word in searcher.reader().lexicon("text")
        if 2 <= searcher.doc_frequency("text", word) * 40 < common
    )
    read = []
    original = W3LeafMatcher._read_data
    monkeypatch.setattr(
        W3LeafMatcher, "_read_data", lambda self: read.append(self._term) or original(self)
    )
    found = [
        list(IntersectionMatcher(*pair).all_ids()) for pair in both_postings(searcher, rare, "the")
    ]
    assert sum(map(len, found)) > 0
    blocks = sum(1 for term in read if term == ("text", b"the"))
    assert blocks < common / 128 / 2, (rare, blocks, common)


def index_of_kinds(name, seed_words):
    """Three segments of windows with a kind each: the first all "a" (with deletions), the
    second "a" then "b" (as a merge of two single-kind segments leaves them), the third
    "b" every fifth document, else "a"; `tens`, one of four values by tens of windows; and a
    `number` to sort by, 0 to 49, shared by many windows."""
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        kind=fields.ID(),
        tens=fields.ID(),
        number=fields.NUMERIC(numtype=int, sortable=True),
        text=fields.TEXT(analyzer=archive_analyzer(), phrase=True),
    )
    windows = seed_windows(seed_words)
    size = len(windows) // 3

    def document(id, text):
        number = int(id)
        if number < size:
            kind = "a"
        elif number < 2 * size:
            kind = "a" if number < size + size // 2 else "b"
        else:
            kind = "b" if number % 5 == 0 else "a"
        tens = str(number // 10 % 4)
        return dict(id=id, kind=kind, tens=tens, number=number * 7919 % 50, text=text)

    return index_of_windows(name, schema, windows, segments=3, document=document)


@pytest.fixture(scope="module")
def searcher_of_kinds(seed_words):
    with index_of_kinds("kinds", seed_words).searcher() as searcher:
        assert len(searcher.reader().leaf_readers()) == 3
        assert searcher.reader().leaf_readers()[0][0].has_deletions()
        yield searcher


def word_and_kind(searcher, word, kind):
    """Per segment, the AND of a word's and a kind's posting lists (an empty one for a term
    the segment does not have)."""
    for reader, _ in searcher.reader().leaf_readers():
        yield IntersectionMatcher(
            *(
                reader.postings(field, text) if (field, text) in reader else NullMatcher()
                for field, text in (("text", word), ("kind", kind))
            )
        )


@pytest.mark.parametrize("kind", ["a", "b"])
@pytest.mark.parametrize("word", ["the", "of", "china", "said", "camp"])
def test_an_and_with_a_run_of_documents_finds_what_whooshs_sets_find(searcher_of_kinds, word, kind):
    """A kind's documents are every document of the first segment, a run of the second and
    neither in the third: the AND's documents are Whoosh's in each."""
    for ours, whooshs in zip(
        word_and_kind(searcher_of_kinds, word, kind),
        word_and_kind(searcher_of_kinds, word, kind),
        strict=True,
    ):
        expected = sorted(set(Matcher.all_ids(whooshs.a)) & set(Matcher.all_ids(whooshs.b)))
        assert list(ours.all_ids()) == expected
    search = query.And([query.Term("text", word), query.Term("kind", kind)])
    found = searcher_of_kinds.search(search, limit=None)
    assert found.scored_length() == len(
        set(searcher_of_kinds.search(query.Term("text", word), limit=None).docs())
        & set(searcher_of_kinds.search(query.Term("kind", kind), limit=None).docs())
    )


def test_an_and_with_a_run_of_documents_does_not_read_the_runs_postings(
    searcher_of_kinds, monkeypatch
):
    """Counting the documents of a model that has a word, where the model's documents are a
    run of a segment's, reads the word's postings only; where they are not a run (the third
    segment), both. (The kind's list in the first and third segment has two blocks.)"""
    read = []
    original = W3LeafMatcher._read_data
    monkeypatch.setattr(
        W3LeafMatcher, "_read_data", lambda self: read.append(self._term) or original(self)
    )
    for segment, matcher in enumerate(word_and_kind(searcher_of_kinds, "the", "a")):
        del read[:]  # a list's first block is read as its matcher is made
        assert list(matcher.all_ids())
        kind_blocks = read.count(("kind", b"a"))
        assert (kind_blocks == 0) == (segment < 2), (segment, read)


def test_an_and_with_a_run_leaves_out_what_the_run_leaves_out(searcher_of_kinds):
    """Documents the run's side leaves out (a segment's deletions) are not found through the
    other side, even when it has them."""
    reader = searcher_of_kinds.reader().leaf_readers()[1][0]
    run = FilterMatcher(reader.postings("kind", "a"), frozenset({3, 50}), exclude=True)
    size = reader.doc_frequency("kind", "a")  # the run: its first `size` documents
    found = IntersectionMatcher(run, ListMatcher(list(range(size + 50)))).all_ids()
    assert list(found) == [docnum for docnum in range(size) if docnum not in (3, 50)]


def test_an_and_with_a_run_finds_nothing_before_the_run_or_the_ands_place(searcher_of_kinds):
    """A list kept in its term's entry gives its documents from its first wherever it is;
    the AND's are the run's and from its current document on."""
    reader = searcher_of_kinds.reader().leaf_readers()[1][0]
    run = reader.postings("kind", "b")  # the segment's second half
    first, last = whoosh_postings.run_of_documents(run.terminfo)
    assert first > 0
    both = IntersectionMatcher(run, ListMatcher(list(range(0, last + 10, 2))))
    assert list(both.all_ids()) == [d for d in range(0, last + 1, 2) if d >= first]
    both = IntersectionMatcher(reader.postings("kind", "b"), ListMatcher(list(range(last + 10))))
    both.skip_to(first + 5)
    assert list(both.all_ids()) == list(range(first + 5, last + 1))
