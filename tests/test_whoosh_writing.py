"""The archive's faster Whoosh writing (archive.search.whoosh_analysis.ArchiveText,
archive.search.whoosh_writing) gives the index Whoosh's own writing gives: every word's
documents, positions, weights and field lengths, and the spelling list's words with their
counts, through edits, deletions, merges and the writer that uses both cores, also where
a short posting list is kept in its term's entry and read from there
(archive.search.whoosh_postings.InlinedPostings).
"""

import os
import random
from pathlib import Path

import pytest
from whoosh import fields, writing
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.query import Phrase, Term

from archive.search import whoosh_merging, whoosh_writing
from archive.search.text import tokens
from archive.search.whoosh_analysis import ArchiveText, archive_analyzer

pytestmark = pytest.mark.whoosh

whoosh_writing.write_segments_faster()  # as archive.search.whoosh_backend does on import
whoosh_merging.merge_segments_faster()

SEED_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"
WHOOSH_POOL = whoosh_writing.SpellingCountingPool.__mro__[1]
WHOOSH_PER_DOCUMENT_READER = whoosh_writing.WHOOSH_PER_DOCUMENT_READER

TEXTS = [
    "",
    "   ",
    "China’s “re-education” camps — Ürümqi's, URUMQI, urumqi; don't, won't.",
    "the the the of the two of the two, THE end",
    "Numbers 2019 and 1,800,000 people; 3.5 per cent, 20th-century",
    "ǅemal Øresund Łódź İstanbul ſtraße — ﬁnance",  # folding beyond plain accents
    "Tab\tand\nnew lines\r\nand a control \x07 character",
    "'Quoted' ‘single’ «guillemets» „low‟ and a lone ' apostrophe's",
]


def whoosh_text(**options):
    return fields.TEXT(analyzer=archive_analyzer(), **options)


@pytest.fixture(scope="module")
def seed_texts():
    return [path.read_text() for path in sorted(SEED_DIR.glob("*.txt"))]


@pytest.mark.parametrize("boost", [1.0, 2.5])
def test_the_text_field_indexes_every_text_as_whoosh_analysing_it_does(seed_texts, boost):
    ours = ArchiveText(phrase=True, spelling=True, field_boost=boost)
    theirs = whoosh_text(phrase=True, spelling=True, field_boost=boost)
    for text in [*TEXTS, *seed_texts]:
        assert sorted(ours.index(text)) == sorted(theirs.index(text)), text
        assert list(ours.spellable_words(text)) == list(theirs.spellable_words(text)), text
    assert list(ours.index("")) == []


def test_values_that_are_not_plain_text_go_whoosh_s_way():
    ours, theirs = ArchiveText(phrase=True), whoosh_text(phrase=True)
    words = ["Uyghur", "camps", "Uyghur"]
    assert sorted(ours.index(words)) == sorted(theirs.index(words))
    assert list(ours.spellable_words(words)) == list(theirs.spellable_words(words))
    # Without positions (phrase=False) Whoosh's format differs: its own path answers.
    plain, whoosh_plain = ArchiveText(phrase=False), whoosh_text(phrase=False)
    assert sorted(plain.index(TEXTS[2])) == sorted(whoosh_plain.index(TEXTS[2]))


def schema():
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=ArchiveText(stored=True, phrase=True),
        text=ArchiveText(stored=True, phrase=True, spelling=True),
        kind=fields.ID(stored=True, sortable=True),
    )


def documents(seed_texts):
    """Windows of the seed articles' words, some shuffled, and a few documents without text."""
    rng = random.Random(5)
    words = [token.word for token in tokens(" ".join(seed_texts))]
    found = []
    for number, start in enumerate(range(0, len(words) - 60, 23)):
        window = words[start : start + rng.randint(1, 60)]
        if number % 4 == 0:
            rng.shuffle(window)
        document = {"id": str(number), "title": " ".join(window[:6]), "kind": "article"}
        if number % 11:
            document["text"] = " ".join(window)
        found.append(document)
    return found


def build(path, docs, *, whoosh_own, monkeypatch, procs=1):
    """An index of `docs` written in three commits, with deletions and a merge at the end."""
    with monkeypatch.context() as patched:
        if whoosh_own:
            patched.setattr(writing, "PostingPool", WHOOSH_POOL)
            reader = WHOOSH_PER_DOCUMENT_READER
            patched.setattr(writing.SegmentWriter, "per_document_reader", reader)
            patched.setattr(W3Codec, "postings_writer", whoosh_writing.WHOOSH_POSTINGS_WRITER)
            patched.setattr(writing.SegmentWriter, "add_reader", whoosh_merging.WHOOSH_ADD_READER)
        os.makedirs(path)
        index = FileStorage(str(path)).create_index(schema())
        third = len(docs) // 3
        for part in (docs[:third], docs[third : 2 * third], docs[2 * third :]):
            if procs > 1:
                writer = index.writer(procs=procs, multisegment=True, batchsize=20)
            else:
                writer = index.writer()
            for document in part:
                writer.add_document(**document)
            writer.commit(merge=False)
        segments_before_merge = len(index._segments())
        writer = index.writer()
        for number in range(1, len(docs), 7):  # never the first document of the index
            writer.delete_by_term("id", str(number))
        writer.commit(merge=False)
        snapshot = contents(index)
        writer = index.writer()
        writer.commit(optimize=True)  # every segment merged into one, deletions dropped
        return segments_before_merge, snapshot, contents(index), inlined_share(index)


def inlined_share(index):
    """The share of the index's terms whose postings are kept in the term's entry."""
    with index.searcher() as searcher:
        reader = searcher.reader()
        infos = [reader.term_info(fieldname, word) for fieldname, word in reader.all_terms()]
        return sum(info.is_inlined() for info in infos) / len(infos)


def contents(index):
    """Everything a search reads: per field, each word's postings (document by id, weight,
    positions) and each document's field lengths; for the spelling field, each word's count."""
    with index.searcher() as searcher:
        reader = searcher.reader()
        ids = {docnum: stored["id"] for docnum, stored in reader.iter_docs()}
        found = {}
        for fieldname in sorted(reader.indexed_field_names()):
            if fieldname.startswith("spell_"):
                found[fieldname] = {
                    word: reader.frequency(fieldname, word) for word in reader.lexicon(fieldname)
                }
                continue
            postings = {}
            for word in reader.lexicon(fieldname):
                matcher = reader.postings(fieldname, word)
                listed = []
                while matcher.is_active():
                    if matcher.id() in ids:
                        positional = fieldname in ("title", "text")
                        value = matcher.value_as("positions") if positional else matcher.value()
                        listed.append((ids[matcher.id()], matcher.weight(), value))
                    matcher.next()
                if listed:
                    postings[word] = sorted(listed)
            lengths = {ids[d]: reader.doc_field_length(d, fieldname) for d in ids}
            found[fieldname] = (postings, lengths)
        return found


@pytest.mark.parametrize("procs", [1, 2], ids=["one process", "two processes"])
def test_an_index_written_the_archive_s_way_reads_as_whoosh_s_own(
    tmp_path, seed_texts, monkeypatch, procs
):
    docs = documents(seed_texts)
    assert len(docs) > 100
    ours = build(tmp_path / "ours", docs, whoosh_own=False, monkeypatch=monkeypatch, procs=procs)
    theirs = build(tmp_path / "theirs", docs, whoosh_own=True, monkeypatch=monkeypatch, procs=procs)
    assert ours[0] == theirs[0] >= 3
    # Whoosh wrote every list in blocks; the archive kept the short ones in their terms.
    assert theirs[3] == 0 and 0.5 < ours[3] < 1
    for state in (1, 2):  # before and after the merge
        assert ours[state].keys() == theirs[state].keys()
        for fieldname in ours[state]:
            assert ours[state][fieldname] == theirs[state][fieldname], fieldname
    spelling = ours[2]["spell_text"]
    # Each word's count is the number of documents that had it, deleted ones included (as
    # Whoosh's own list keeps the words of deleted documents until the index is rebuilt).
    with_text = [document["text"] for document in docs if "text" in document]
    expected = {}
    for text in with_text:
        for word in {token.word for token in tokens(text)}:
            expected[word.encode()] = expected.get(word.encode(), 0) + 1
    assert spelling == expected


def test_the_spelling_list_has_one_posting_per_word_and_segment(tmp_path, seed_texts):
    docs = documents(seed_texts)
    os.makedirs(tmp_path / "index")
    index = FileStorage(str(tmp_path / "index")).create_index(schema())
    writer = index.writer()
    for document in docs:
        writer.add_document(**document)
    writer.commit()
    with index.searcher() as searcher:
        reader = searcher.reader()
        words = list(reader.lexicon("spell_text"))
        assert len(words) > 300
        assert {reader.doc_frequency("spell_text", word) for word in words} == {1}
        the = reader.frequency("spell_text", b"the")
        assert the == sum("the" in {t.word for t in tokens(d.get("text", ""))} for d in docs) > 20


def test_counts_saved_to_a_run_before_the_end_add_up(tmp_path):
    """A pool full before the segment ends writes a sorted run with the counts so far; the
    word's later documents are counted again, and the two postings' weights add up."""
    pool = whoosh_writing.SpellingCountingPool(FileStorage(str(tmp_path)), None, limitmb=1)
    pool.add(("spell_text", b"camp", 0, 1, None))
    pool.add(("text", b"camp", 3, 1.0, b"x"))
    pool.save()
    pool.add(("spell_text", b"camp", 0, 1, None))
    pool.add(("spell_text", b"camp", 0, 1, None))
    postings = list(pool.iter_postings())
    assert sorted(p[3] for p in postings if p[0] == "spell_text") == [1.0, 2.0]
    assert [p for p in postings if p[0] == "text"] == [("text", b"camp", 3, 1.0, b"x")]
    pool.cleanup()


def test_searches_read_short_lists_from_their_terms_as_whoosh_reads_blocks(tmp_path, seed_texts):
    """Terms, phrases, scores, the words a hit matched and their spans are the same whether
    a word's postings were kept in its term's entry or written in blocks."""
    docs = documents(seed_texts)[:60]
    indexes = {}
    for name in ("blocks", "inlined"):
        os.makedirs(tmp_path / name)
        index = FileStorage(str(tmp_path / name)).create_index(schema())
        with pytest.MonkeyPatch.context() as patched:
            if name == "blocks":
                patched.setattr(W3Codec, "postings_writer", whoosh_writing.WHOOSH_POSTINGS_WRITER)
            writer = index.writer()
            for document in docs:
                writer.add_document(**document)
            writer.commit()
        indexes[name] = index
    assert inlined_share(indexes["blocks"]) == 0 < inlined_share(indexes["inlined"])
    analyzer = schema()["text"].analyzer
    text = " ".join(d.get("text", "") for d in docs)
    words = [token.text for token in analyzer(text)]  # as indexed: folded, stemmed
    rare = sorted(w for w in set(words) if words.count(w) == 1)[:20]
    queries = [Term("text", word) for word in rare]
    queries += [Term("id", document["id"]) for document in docs[:5]]  # postings without values
    for document in docs[::3]:
        said = [token.text for token in analyzer(document.get("text", ""))]
        if len(said) > 5:
            queries.append(Phrase("text", said[2:5]))
    for query in queries:
        found = {}
        for name, index in indexes.items():
            with index.searcher() as searcher:
                hits = searcher.search(query, limit=None, terms=True)
                found[name] = [
                    (hit["id"], round(hit.score, 6), hit.matched_terms()) for hit in hits
                ]
                if isinstance(query, Term):  # every posting with its value, as a merge reads them
                    found[name].append(list(query.matcher(searcher).all_items()))
                matcher = query.matcher(searcher)
                spans = []
                while matcher.is_active():
                    if matcher.supports("positions"):
                        spans.append((matcher.id(), [s.start for s in matcher.spans()]))
                    matcher.next()
                found[name].append(spans)
        assert found["blocks"] == found["inlined"], query
        assert found["blocks"][0], query
