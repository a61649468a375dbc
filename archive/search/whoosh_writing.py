"""Whoosh's segment writing, made cheaper where a rebuild spends its time, with the same index.

Three changes to Whoosh 2.7.4's writer (`SegmentWriter`, also in the processes
of its `MpWriter`), all applied by `write_segments_faster()`:

- **The spelling list's words are counted, not posted once per document.**
  A text field with `spelling=True` and a stemmer keeps its unstemmed words in
  a separate field (`spell_text`), and Whoosh adds one posting of document 0
  for every distinct word of every document: more postings than the text
  itself, each sorted and written. Only the words and their counts are ever
  read (`reader.frequency`, the corrector's word list), so the pool
  (`SpellingCountingPool`) keeps a count per word and writes one posting per
  word and segment, weighted by that count: the same `frequency`, a fraction of
  the postings.
- **A new segment's field lengths are read once per field**, instead of once
  per posting (`LengthsReadOnce`): writing a posting asks for its document's
  field length, which Whoosh reads back from the segment's length column.
- **A posting list of fewer than INLINE_LIMIT documents is kept in its term's
  entry** (`InliningPostingsWriter`), as Whoosh's format allows and its
  writer meant to (its `inlinelimit`, which fails when set): otherwise each
  such list is a block of its own in the postings file, pickled, compressed
  and pointed to. Most of a segment's terms are that short, all of them in a
  save's segment of one article, whose commit spent most of its time writing
  blocks. archive.search.whoosh_postings.InlinedPostings reads them.

tests/test_whoosh_writing.py checks that an index written this way answers
every word's documents, positions, counts and spelling as Whoosh's own does.
"""

from collections import Counter

from whoosh import writing
from whoosh.codec.whoosh3 import W3Codec, W3PostingsWriter
from whoosh.system import pack_uint

# Posting lists of fewer documents than this are written into their term's entry.
INLINE_LIMIT = 8

SPELLING_PREFIX = "spell_"  # Whoosh's TEXT(spelling_prefix=…) default, which the schema keeps
WHOOSH_PER_DOCUMENT_READER = writing.SegmentWriter.per_document_reader
WHOOSH_POSTINGS_WRITER = W3Codec.postings_writer


class SpellingCountingPool(writing.PostingPool):
    """Whoosh's posting pool, keeping one count per word of the spelling fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.spelling = Counter()

    def add(self, item):
        fieldname, word, _, weight, _ = item
        if fieldname.startswith(SPELLING_PREFIX):
            self.spelling[fieldname, word] += weight
            return
        super().add(item)

    def iter_postings(self):
        self._add_spelling_counts()
        return super().iter_postings()

    def save(self):
        """Write a sorted run to a temporary file (Whoosh does when the pool is full, and
        its multiprocess writer before merging runs): the counts so far go with it."""
        self._add_spelling_counts()
        super().save()

    def _add_spelling_counts(self):
        counts, self.spelling = self.spelling, Counter()
        for (fieldname, word), count in counts.items():
            # Document 0, as Whoosh posts spelling words; the weight is the count, and so
            # is the value, as the spelling field's format (Frequency) encodes it. (Whoosh
            # gives the value of the document's last posting, of another field; a merge
            # reads it back, so it cannot be left out.) A word counted again after a save
            # gets a second posting, and the two weights add up.
            super().add((fieldname, word, 0, float(count), pack_uint(int(count))))


class LengthsReadOnce:
    """A segment's per-document reader, its field lengths read from disk once per field."""

    def __init__(self, reader):
        self._reader = reader
        self._lengths = {}

    def doc_field_length(self, docnum, fieldname, default=0):
        lengths = self.field_lengths(fieldname, default)
        if docnum < len(lengths):
            return lengths[docnum]
        return self._reader.doc_field_length(docnum, fieldname, default)

    def field_lengths(self, fieldname, default=0) -> list:
        """Every document's length of the field, by document number."""
        key = (fieldname, default)
        lengths = self._lengths.get(key)
        if lengths is None:
            read = self._reader.doc_field_length
            count = self._reader.doc_count_all()
            # A list: Whoosh answers None for a document without the field.
            lengths = self._lengths[key] = [read(doc, fieldname, default) for doc in range(count)]
        return lengths

    def __getattr__(self, name):
        return getattr(self._reader, name)


def _per_document_reader(writer):
    return LengthsReadOnce(WHOOSH_PER_DOCUMENT_READER(writer))


class InliningPostingsWriter(W3PostingsWriter):
    """Whoosh's postings writer, with a list shorter than its `inlinelimit` and written in no
    block yet put in the term's entry (Whoosh calls `set_inline`, which does not exist)."""

    def finish_postings(self):
        if self.written() or len(self) >= self._inlinelimit:
            return super().finish_postings()
        terminfo, self._terminfo = self._terminfo, None
        terminfo.add_block(self)
        terminfo.set_inlined(self._ids, self._weights, self._values)
        return terminfo


def _postings_writer(codec, dbfile, byteids=False):
    # A term vector (byteids) is found by its place in the postings file: never inlined.
    return InliningPostingsWriter(
        dbfile,
        blocklimit=codec._blocklimit,
        byteids=byteids,
        compression=codec._compression,
        inlinelimit=1 if byteids else INLINE_LIMIT,
    )


def write_segments_faster():
    """Apply the three changes to Whoosh's writers in this process (and the ones it forks)."""
    writing.PostingPool = SpellingCountingPool
    writing.SegmentWriter.per_document_reader = _per_document_reader
    W3Codec.postings_writer = _postings_writer
