"""Segments merged a posting block at a time (archive.search.whoosh_merging) are the segment
Whoosh's own merge writes, byte for byte: every field's terms, their posting blocks and
statistics, stored fields, lengths and columns; merged by one process or by the parent of the
writer that uses both cores, alone or with the writer's own new documents, with deletions.
"""

import os
import random
from pathlib import Path

import pytest
from test_whoosh_writing import documents as seed_documents
from whoosh import fields, writing
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import SegmentReader
from whoosh.writing import NO_MERGE, OPTIMIZE

from archive.search import whoosh_merging, whoosh_writing
from archive.search.whoosh_analysis import ArchiveText, WordPairs

pytestmark = pytest.mark.whoosh

whoosh_writing.write_segments_faster()  # as archive.search.whoosh_backend does on import
whoosh_merging.merge_segments_faster()

SEED_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"


def schema():
    """The kinds of fields the archive's index has (archive.search.whoosh_backend)."""
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        django_ct=fields.ID(stored=True, sortable=True),
        title=ArchiveText(stored=True, phrase=True),
        text=ArchiveText(stored=True, phrase=True, spelling=True),
        text_pairs=WordPairs(),
        sources=fields.KEYWORD(stored=True, commas=True),
        year=fields.NUMERIC(stored=True, numtype=int, sortable=True),
        original=fields.STORED(),
    )


@pytest.fixture(scope="module")
def docs():
    texts = [path.read_text() for path in sorted(SEED_DIR.glob("*.txt"))]
    rng = random.Random(17)
    found = []
    for document in seed_documents(texts):
        number = int(document["id"])
        del document["kind"]
        document["django_ct"] = "archive.quote" if number % 3 else "archive.article"
        document["sources"] = ",".join(rng.sample(["reuters", "bbc", "rfa", "ap"], number % 3))
        document["year"] = 2000 + number % 25
        document["original"] = {"number": number}
        if "text" in document:
            document["text_pairs"] = document["text"]
        found.append(document)
    return found


def whoosh_merge(patched):
    """Merges in this context go Whoosh's way."""
    patched.setattr(writing.SegmentWriter, "add_reader", whoosh_merging.WHOOSH_ADD_READER)


def segment_files(index):
    """The files of each segment of the index's latest commit, named without the segment's
    random name, and its number of documents."""
    found = []
    for segment in index._segments():
        compound = segment.open_compound_file(index.storage)
        files = {
            name.replace(segment.segment_id(), "SEGMENT"): compound.open_file(name).read()
            for name in sorted(compound.list())
        }
        found.append({"documents": segment.doc_count_all(), **files})
        compound.close()
    return found


def write_segments(path, docs, parts, deleted=()):
    """An index of `docs` written in `parts` commits without merging, then `deleted`
    (document ids) deleted."""
    os.makedirs(path)
    index = FileStorage(str(path)).create_index(schema())
    size = -(-len(docs) // parts)
    for start in range(0, len(docs), size):
        writer = index.writer()
        for document in docs[start : start + size]:
            writer.add_document(**document)
        writer.commit(merge=False)
    if deleted:
        writer = index.writer()
        for identifier in deleted:
            writer.delete_by_term("id", identifier)
        writer.commit(merge=False)
    return index


def both_ways(tmp_path, monkeypatch, docs, parts, merge, deleted=()):
    """The merged segments' files when the archive merges, and when Whoosh does."""
    found = {}
    for way in ("archive", "whoosh"):
        index = write_segments(tmp_path / way, docs, parts, deleted)
        assert len(index._segments()) == parts
        with monkeypatch.context() as patched:
            if way == "whoosh":
                whoosh_merge(patched)
            merge(index)
        found[way] = segment_files(index)
    return found["archive"], found["whoosh"]


def optimize(index):
    index.writer().commit(optimize=True)


def test_segments_merged_a_block_at_a_time_are_whoosh_s_byte_for_byte(tmp_path, monkeypatch, docs):
    ours, theirs = both_ways(tmp_path, monkeypatch, docs, 4, optimize)
    assert len(ours) == 1
    assert ours == theirs
    files = ours[0]
    assert any(name.endswith(".pst") for name in files)  # postings were merged, not left out


def test_a_merge_reads_lengths_from_whoosh_s_own_per_document_reader_too(
    tmp_path, monkeypatch, docs
):
    """Without whoosh_writing's lengths read once per field, each is asked for in turn."""
    monkeypatch.setattr(
        writing.SegmentWriter, "per_document_reader", whoosh_writing.WHOOSH_PER_DOCUMENT_READER
    )
    ours, theirs = both_ways(tmp_path, monkeypatch, docs, 3, optimize)
    assert ours == theirs


def test_deleted_documents_are_left_out_as_whoosh_leaves_them_out(tmp_path, monkeypatch, docs):
    """Deletions in every segment, never a segment's first document (whose deletion makes
    Whoosh drop the segment's spelling counts: below), and every document of one word."""
    size = -(-len(docs) // 3)
    firsts = {docs[start]["id"] for start in range(0, len(docs), size)}
    deleted = [
        d["id"] for number, d in enumerate(docs) if number % 5 == 2 and d["id"] not in firsts
    ]
    only_in = {"zebrawood": docs[7]["id"]}  # a word whose one document is deleted
    docs = [dict(d) for d in docs]
    docs[7]["text"] = docs[7].get("text", "") + " zebrawood"
    docs[7]["text_pairs"] = docs[7]["text"]
    assert docs[7]["id"] not in firsts
    deleted.append(only_in["zebrawood"])
    ours, theirs = both_ways(tmp_path, monkeypatch, docs, 3, optimize, deleted)
    assert ours == theirs
    index = FileStorage(str(tmp_path / "archive")).open_index()
    with index.searcher() as searcher:
        assert b"zebrawood" not in set(searcher.reader().lexicon("text"))
        assert searcher.doc_count() == len(docs) - len(set(deleted))


def test_the_writer_s_own_documents_and_the_merged_segments_together(tmp_path, monkeypatch, docs):
    """A save that merges small segments: its own documents first, then theirs."""

    def save_and_merge(index):
        writer = index.writer()
        writer.add_document(id="new", title="a new one", text="the camps of the new one")
        writer.commit(optimize=True)

    ours, theirs = both_ways(tmp_path, monkeypatch, docs, 3, save_and_merge)
    assert len(ours) == 1
    assert ours == theirs


def test_the_parent_of_the_writer_on_both_cores_merges_the_same(tmp_path, monkeypatch, docs):
    """A rebuild's commit: two writer processes write new segments while the parent merges."""

    def parallel_commit(index):
        writer = index.writer(procs=2, multisegment=True, batchsize=10)
        for number, document in enumerate(docs[:40]):
            writer.add_document(**{**document, "id": f"more-{number}"})
        writer.commit(mergetype=lambda w, segments: OPTIMIZE(w, segments))

    ours, theirs = both_ways(tmp_path, monkeypatch, docs, 4, parallel_commit)
    # The parent's merged segment, and the two processes' new ones, whose documents depend
    # on which process took which batch.
    assert len(ours) == len(theirs) == 3
    assert largest(ours) == largest(theirs)
    assert largest(ours)["documents"] == len(docs)


def largest(segments):
    return max(segments, key=lambda files: files["documents"])


def test_a_writer_that_merges_its_processes_segments_merges_whoosh_s_way(tmp_path, docs):
    """Whoosh's writer on both cores without `multisegment` writes one segment from its
    processes' postings and its own pool, not through the segment flush: Whoosh's merge."""
    index = write_segments(tmp_path / "index", docs, 3)
    writer = index.writer(procs=2, batchsize=10)
    for number, document in enumerate(docs[:30]):
        writer.add_document(**{**document, "id": f"more-{number}"})
    writer.commit(optimize=True)
    with index.searcher() as searcher:
        assert searcher.doc_count() == len(docs) + 30
        assert len(index._segments()) == 1
        the = searcher.reader().doc_frequency("text", b"the")
        assert the == sum(" the " in f" {d.get('text', '').lower()} " for d in docs) + sum(
            " the " in f" {d.get('text', '').lower()} " for d in docs[:30]
        )


def test_a_segment_whose_first_document_is_deleted_keeps_its_spelling_counts(tmp_path, docs):
    """Whoosh reads a segment's spelling counts as postings of its document 0 and drops them
    when that document is deleted, so a merge lost the segment's words for "did you mean".
    The archive adds up the counts whatever was deleted, as an unmerged segment reports them."""
    index = write_segments(tmp_path / "index", docs, 2, deleted=[docs[0]["id"]])
    with index.searcher() as searcher:
        before = {w: searcher.reader().frequency("spell_text", w) for w in lexicon(searcher)}
    index.writer().commit(optimize=True)
    with index.searcher() as searcher:
        assert len(index._segments()) == 1
        after = {w: searcher.reader().frequency("spell_text", w) for w in lexicon(searcher)}
    assert after == before and len(after) > 300


def lexicon(searcher):
    return list(searcher.reader().lexicon("spell_text"))


def test_merging_leaves_no_segment_open(tmp_path, docs):
    """The merged segments' readers are closed when the writer commits or cancels."""
    index = write_segments(tmp_path / "index", docs, 3)
    writer = index.writer()
    for segment in index._segments():
        reader = SegmentReader(index.storage, index.schema, segment)
        writer.add_reader(reader)
        reader.close()
    kept = [merged.reader for merged in writer.__dict__[whoosh_merging.MERGED]]
    assert len(kept) == 3 and not any(reader.is_closed for reader in kept)
    writer.cancel()
    assert all(reader.is_closed for reader in kept)
    writer = index.writer()
    writer.add_reader(SegmentReader(index.storage, index.schema, index._segments()[0]))
    kept = [merged.reader for merged in writer.__dict__[whoosh_merging.MERGED]]
    writer.commit(mergetype=NO_MERGE)
    assert all(reader.is_closed for reader in kept)
