"""Merging Whoosh segments a posting block at a time, with the same index as Whoosh's merge.

Whoosh 2.7.4 merges a segment into a writer (`add_reader`) by reading every
posting back through a matcher, one Python call per posting, putting each into
the writer's posting pool (pickled into temporary files and sorted again), and
writing each out again through the field writer, one call per posting: merging
ten segments of 1,000 articles took 41 s, about half of what indexing them had
cost, and in a rebuild the parent process merges alone while its writer
processes wait (docs/performance.md, "Merging a block at a time").

Merged segments' postings need neither: each segment's terms are already in
order, and its documents are numbered after the writer's own and the segments
before it. So `add_reader` copies a segment's documents (stored fields,
lengths, columns) as Whoosh does and keeps the segment open; when the writer
writes its segment, `write_postings` walks the terms of the writer's own pool
and of every merged segment together in order and copies each term's posting
lists block by block: the document numbers moved by the segment's place (and
deleted documents left out), the weights and the encoded positions as they
are, each block's statistics computed over the block. The spelling lists'
counts are added up into one posting per word, as
`whoosh_writing.SpellingCountingPool` writes them.

tests/test_whoosh_merging.py checks that a segment merged this way is the one
Whoosh's merge writes, byte for byte (bench/merging.py times both). One
difference is on purpose: Whoosh reads a segment's spelling counts as postings
of its document 0 and loses them all when that document is deleted; they are
added up here whatever was deleted.

`merge_segments_faster()` (applied by whoosh_backend on import) puts it in
place, for every merge policy, the archive's and Whoosh's.
"""

from heapq import merge
from itertools import groupby
from operator import itemgetter

from whoosh import writing
from whoosh.multiproc import MpWriter
from whoosh.reading import SegmentReader
from whoosh.system import pack_uint

from archive.search.whoosh_writing import SPELLING_PREFIX

WHOOSH_FLUSH_SEGMENT = writing.SegmentWriter._flush_segment
WHOOSH_CLOSE_SEGMENT = writing.SegmentWriter._close_segment
WHOOSH_ADD_READER = writing.SegmentWriter.add_reader
MERGED = "_archive_merged_segments"  # the writer's attribute holding what add_reader kept


class MergedSegment:
    """A segment being merged: its reader, the writer's number of its first document, and
    its documents' new numbers when some were deleted (Whoosh's docmap), else None."""

    def __init__(self, reader, basedoc: int, docmap: dict | None):
        self.reader = reader
        self.basedoc = basedoc
        self.docmap = docmap

    def terms(self, schema):
        """((fieldname, term bytes), terminfo) for each term of a field of `schema`, in the
        order of field names, then terms."""
        terms = self.reader._terms
        for fieldname in sorted(terms.indexed_field_names()):
            if fieldname not in schema:
                continue
            for key, terminfo in terms.items_from(fieldname, b""):
                if key[0] != fieldname:
                    break
                yield key, terminfo

    def blocks(self, fieldname: str, terminfo):
        """The term's postings as (document numbers in the new segment, weights, values)
        a block at a time; values are None for a format without any."""
        if terminfo.is_inlined():
            ids, weights, values = terminfo.inlined_postings()
            yield self._renumbered(ids, weights, values or (None,) * len(ids))
            return
        terms = self.reader._terms
        matcher = terms._codec.postings_reader(
            terms._postfile, terminfo, self.reader.schema[fieldname].format
        )
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            matcher._read_values()
            yield self._renumbered(matcher._ids, matcher._weights, matcher._values)
            matcher._i = matcher._blocklength - 1
            matcher.next()

    def _renumbered(self, ids, weights, values):
        if self.docmap is None:
            base = self.basedoc
            return [base + docnum for docnum in ids], weights, values
        docmap = self.docmap  # deleted documents are not in it
        kept = [k for k, docnum in enumerate(ids) if docnum in docmap]
        return (
            [docmap[ids[k]] for k in kept],
            [weights[k] for k in kept],
            [values[k] for k in kept],
        )


def add_reader(self, reader) -> None:
    """SegmentWriter.add_reader: merge the segment `reader` reads into the segment this
    writer writes, its documents' stored fields, lengths and columns now, as Whoosh does,
    and its postings when the writer writes its segment (`write_postings`). The caller may
    close `reader`: the segment is read through a reader of its own."""
    if not isinstance(reader, SegmentReader) or (
        # This writer writes its segment with its sub-writers' postings (_merge_subsegments),
        # not through _flush_segment.
        isinstance(self, MpWriter) and not self.multisegment
    ):
        return WHOOSH_ADD_READER(self, reader)
    self._check_state()
    own = SegmentReader(self.storage, self.schema, reader.segment())
    try:
        basedoc = self.docnum
        indexed = {name for name in own.indexed_field_names() if name in self.schema}
        docmap = self.write_per_doc(set(self.schema.names()) | indexed, own)
    except BaseException:
        own.close()
        raise
    self.__dict__.setdefault(MERGED, []).append(MergedSegment(own, basedoc, docmap))
    self._added = True


def write_postings(fieldwriter, schema, lengths, pool_postings, segments) -> None:
    """Write the postings of the writer's own documents (`pool_postings`, sorted as Whoosh's
    pool gives them) and of the merged `segments`, a term at a time in order, each term's
    lists in the order of their documents: the writer's own first, then each segment's."""
    sources = [_pool_terms(pool_postings)]
    sources += [_segment_terms(segment, place, schema) for place, segment in enumerate(segments, 1)]
    field = None
    for (fieldname, btext), found in groupby(merge(*sources), key=itemgetter(0)):
        if fieldname != field:
            if field is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            field = fieldname
            field_lengths = _field_lengths(lengths, fieldname)
        if fieldname.startswith(SPELLING_PREFIX):
            count = sum(_weight(source) for _, _, source in found)
            fieldwriter.start_term(btext)
            length = lengths.doc_field_length(0, fieldname) if lengths else 0
            fieldwriter.add(0, float(count), pack_uint(int(count)), length)
            fieldwriter.finish_term()
            continue
        # Kept whole for the term, so a term whose documents were all deleted is left out.
        blocks = [block for _, _, source in found for block in _blocks(fieldname, source)]
        if not any(ids for ids, _, _ in blocks):
            continue
        fieldwriter.start_term(btext)
        postings = fieldwriter._postwriter
        for ids, weights, values in blocks:
            if ids:
                add_block(postings, ids, weights, values, _lengths(field_lengths, ids))
        fieldwriter.finish_term()
    if field is not None:
        fieldwriter.finish_field()


def _pool_terms(postings):
    """The pool's postings as ((fieldname, term), 0, [(docnum, weight, value), …]) a term at a
    time."""
    for key, found in groupby(postings, key=itemgetter(0, 1)):
        yield key, 0, [(docnum, weight, value) for _, _, docnum, weight, value in found]


def _segment_terms(segment, place, schema):
    for key, terminfo in segment.terms(schema):
        yield key, place, (segment, terminfo)


def _blocks(fieldname, source):
    if isinstance(source, list):  # the pool's postings
        ids, weights, values = zip(*source, strict=True)
        return [(list(ids), list(weights), list(values))]
    segment, terminfo = source
    return segment.blocks(fieldname, terminfo)


def _weight(source) -> float:
    if isinstance(source, list):
        return sum(weight for _, weight, _ in source)
    return source[1].weight()


def _field_lengths(lengths, fieldname):
    """Every document's length of the field in the new segment, by document number."""
    if lengths is None:
        return None
    if hasattr(lengths, "field_lengths"):  # whoosh_writing.LengthsReadOnce
        return lengths.field_lengths(fieldname)
    return [lengths.doc_field_length(d, fieldname) for d in range(lengths.doc_count_all())]


def _lengths(field_lengths, ids):
    if field_lengths is None:
        return None
    return [field_lengths[docnum] for docnum in ids]


def add_block(postings, ids, weights, values, lengths) -> None:
    """Add postings to a W3PostingsWriter, as its `add_posting` would one by one: a block
    is written when full and another posting comes; the block's largest weight, its
    shortest and longest field length (of those not 0) and its values (those not empty)."""
    limit, start, count = postings._blocklimit, 0, len(ids)
    while start < count:
        if len(postings._ids) >= limit:
            postings._write_block()
        end = min(count, start + limit - len(postings._ids))
        postings._ids.extend(ids[start:end])
        chunk = weights[start:end]
        postings._weights.extend(chunk)
        postings._maxweight = max(postings._maxweight, max(chunk))
        postings._values.extend(value for value in values[start:end] if value)
        if lengths is not None:
            known = [length for length in lengths[start:end] if length]
            if known:
                shortest = postings._minlength
                postings._minlength = min(known) if shortest is None else min(shortest, *known)
                postings._maxlength = max(postings._maxlength, *known)
        start = end


def _flush_segment(self):
    """SegmentWriter._flush_segment: the merged segments' postings with the writer's own."""
    segments = self.__dict__.get(MERGED)
    if not segments:
        return WHOOSH_FLUSH_SEGMENT(self)
    self.perdocwriter.close()
    lengths = self.per_document_reader() if self.codec.length_stats else None
    write_postings(self.fieldwriter, self.schema, lengths, self.pool.iter_postings(), segments)
    self.fieldwriter.close()
    if lengths:
        lengths.close()


def _close_segment(self):
    """SegmentWriter._close_segment, closing the merged segments' readers too."""
    for segment in self.__dict__.pop(MERGED, ()):
        segment.reader.close()
    return WHOOSH_CLOSE_SEGMENT(self)


def merge_segments_faster() -> None:
    """Let writers in this process (and those it forks) write merged segments' postings a
    block at a time."""
    writing.SegmentWriter.add_reader = add_reader
    writing.SegmentWriter._flush_segment = _flush_segment
    writing.SegmentWriter._close_segment = _close_segment
