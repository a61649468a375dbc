"""Our extension of haystack's Whoosh backend, registered by SEARCH_URL=whoosh://….

What it adds to the stock backend, using Whoosh's own facilities:
- the archive's analyzer (archive.search.text) on text fields, so quotes,
  accents and possessives match however they were typed, with no stop words;
- exact (ID/KEYWORD) fields for haystack's Facet*Field, so facet counts come
  from Whoosh's grouping instead of being impossible, with each segment's
  document-to-values table built once and kept while the segment lives
  (Whoosh's own overlapping facet rebuilds it for every query);
- sortable numeric columns;
- fields declared `indexed=False` kept only as stored values (the stock
  backend analyses them as text), such as each entry's version;
- segments read in place from their memory map, not copied into each
  searcher's memory (archive.search.whoosh_storage);
- one searcher per thread, reused across queries instead of opening every
  segment for each one, and after a commit reopening only the new segments
  (Whoosh 2.7.4's refresh reopens them all); it is reused only while the
  commit it was opened on, known by its segments' ids and not by its number
  alone, is the latest, and each process says which one it searches
  (archive.search.servers, for `verify --index`);
- one index for every model (articles and quotes): searches, "more like
  this" and document counts are of the models asked for (haystack's
  `.models()`, `django_ct`), and sorting may mix directions (newest article
  first, then a quote's paragraph in reading order);
- a time budget for every search (`SEARCH_TIME_LIMIT`), after which it answers
  with the documents found so far and says so; a match-all that reads the
  documents of the models asked for instead of every word of the index; wildcard words that
  stand for at most MAX_PREFIX_EXPANSION index words (archive.search.cost);
- phrases matched from their rarest word, with the same hits and scores
  (archive.search.whoosh_phrase), and posting lists read a block at a time
  where Whoosh steps through them one document at a time
  (archive.search.whoosh_postings);
- writes that wait for Whoosh's single write lock (for a bounded time) instead
  of failing at once, and find the documents they replace with that searcher
  when it was opened on exactly the commit they write after;
- a clear (`rebuild_index`) that empties the index in place while holding the
  write lock, instead of deleting its directory under writers of other processes;
- two fixes of Whoosh 2.7.4's write path (see `_remember_missing_columns`,
  `WRITER_MEMORY_MB`), and a cheaper one: text analysed in one pass
  (whoosh_analysis.ArchiveText), the spelling list's words counted once per
  segment and field lengths read once (archive.search.whoosh_writing).
Only this module, archive.search.whoosh_analysis (the analyzer above),
archive.search.whoosh_phrase, archive.search.whoosh_postings,
archive.search.whoosh_storage (the storage above) and
archive.search.whoosh_writing import Whoosh, and only when
SEARCH_URL chooses it (tests/test_no_whoosh_import.py). On another engine none
of the above applies: see docs/scaling.md for what must be rebuilt there.
"""

import contextlib
import math
import os
import threading
import time
from array import array
from collections import Counter
from itertools import chain
from pathlib import Path

from django.conf import settings
from django.utils.encoding import force_str
from haystack.backends import log_query
from haystack.backends.whoosh_backend import (
    WhooshEngine,
    WhooshSearchBackend,
    WhooshSearchQuery,
)
from haystack.constants import DJANGO_CT, DJANGO_ID, ID
from haystack.exceptions import SkipDocument
from haystack.fields import FacetField
from haystack.utils import get_identifier, get_model_ct
from whoosh import fields as whoosh_fields
from whoosh import index as whoosh_index
from whoosh import query as whoosh_query
from whoosh.codec.whoosh3 import W3PerDocReader
from whoosh.collectors import (
    FacetCollector,
    FilterCollector,
    SortingCollector,
    WrappingCollector,
)
from whoosh.index import TOC, EmptyIndexError, LockError, clean_files
from whoosh.matching import ListMatcher, NullMatcher
from whoosh.reading import EmptyReader, MultiReader, SegmentReader
from whoosh.searching import ResultsPage, Searcher, TimeLimit
from whoosh.sorting import Categorizer, Count, FieldFacet, MultiFacet
from whoosh.util.filelock import try_for

from archive.search.cost import MAX_PREFIX_EXPANSION, prefix_expansion_note
from archive.search.servers import IndexCommit, ServersReport, servers_report, status_for
from archive.search.text import fold
from archive.search.whoosh_analysis import ArchiveText, WordPairs, pairs_field
from archive.search.whoosh_merging import merge_segments_faster
from archive.search.whoosh_phrase import PairsReport, RarestFirstPhrase, pairs_report
from archive.search.whoosh_postings import KeptWith, read_postings_faster
from archive.search.whoosh_scoring import scored_at_once, sorted_at_once
from archive.search.whoosh_storage import MappedFileStorage
from archive.search.whoosh_writing import write_segments_faster

# How long a write waits for another process to release the index's lock.
LOCK_TIMEOUT_SECONDS = 10.0
# Spelling suggestions: longer words, or more of them, are not corrected.
MAX_CORRECTED_LENGTH = 30
MAX_CORRECTED_WORDS = 4
# "More like this" answers at most this many articles when not told how many.
MLT_MAX_RESULTS = 100
# Key terms that describe an article for "more like this".
MLT_TERMS = 20
# From this many documents in one update, writing is spread over the cores.
PARALLEL_BATCH = 2000
# update_index (so rebuild_index) hands the backend this many entries at a time. Each of
# the two writer processes makes a segment of half of them, so a rebuild of up to about
# 100,000 entries merges nothing (`merge_tiers` merges ten segments of a size): batches
# of 4,000 merged every 20,000 articles into one, serially, 120 of the 200 s of a
# rebuild of 20,000 articles and their quotes (75 s now). The write lock is held for a
# batch (about 40 s for 20,000 articles): a save meanwhile waits LOCK_TIMEOUT_SECONDS and
# leaves its article in the index queue, which the rebuild applies at its end.
REBUILD_BATCH = 20_000
# Postings a writer keeps in memory before sorting them through temporary
# files (by Whoosh's estimate of their size); Whoosh's 128 MB spills (pickles) about a
# third of a 4,000-article batch. With the word pairs, 512 MB spilled the articles'
# batches of a rebuild: 76 s for 20,000 articles and their quotes, 57 s with 1024 MB
# (the largest writer process 1.03 GB, then 1.28 GB).
WRITER_MEMORY_MB = 1024
# Segments written by edits are merged among themselves, in bounded work.
SMALL_SEGMENT_DOCS = 500
SMALL_SEGMENTS_BEFORE_MERGE = 16
# Segments of large batches (a rebuild) of about the same size merged together (merge_tiers).
MERGE_TIER = 10
EMPTY = {"results": [], "hits": 0, "facets": {}, "spelling_suggestion": None}
# Seconds a search may run before it answers with what it found (settings.SEARCH_TIME_LIMIT).
DEFAULT_TIME_LIMIT = 3.0


def _remember_missing_columns(cached_reader):
    """Fix for Whoosh 2.7.4: a segment's missing column is looked for again on every call.

    Writing a segment asks for each posting's field length; fields without a
    length column (ID, KEYWORD, the spelling field) then cost one `os.stat`
    per posting: 42% of commit time in a profile of a rebuild. A written
    segment's files never change, so "no such column" can be remembered too.
    """

    def remembering(self, fieldname, column):
        if fieldname not in self._readers:
            self._readers[fieldname] = cached_reader(self, fieldname, column)
        return self._readers[fieldname]

    return remembering


W3PerDocReader._cached_reader = _remember_missing_columns(W3PerDocReader._cached_reader)
read_postings_faster()
write_segments_faster()
merge_segments_faster()


def merge_edit_segments(writer, segments, at_least=None):
    """Whoosh merge policy for small updates: fold tiny segments together, never big ones.

    Every save writes a segment of one article. Whoosh's default policy may
    then merge large segments too: at 100,000 articles one editor's save
    waited five minutes for such a merge. Merging even tiny segments costs
    about half a second per article in Whoosh's pure-Python merge, so a save
    merges only once SMALL_SEGMENTS_BEFORE_MERGE of them have piled up;
    `sync_index` merges them sooner, off the request path. Large segments
    are merged by large batches (`merge_tiers`).
    """
    small = [s for s in segments if s.doc_count_all() < SMALL_SEGMENT_DOCS]
    if len(small) < (at_least or SMALL_SEGMENTS_BEFORE_MERGE):
        return segments
    for segment in small:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [s for s in segments if s not in small]


def merge_tiers(writer, segments):
    """Whoosh merge policy for large batches (a rebuild): merge segments of about the same
    size and of the same models (`_kinds`) once MERGE_TIER of them have piled up, so each
    document is merged about once per tenfold growth of the index.

    Whoosh's own policy (MERGE_SMALL) merges every segment once twenty or so
    have piled up, whatever their size: a rebuild of 12,270 articles and
    30,453 quotes (22 segments of 2,000 documents) merged the whole index
    twice, 160 of its 250 s.
    """
    tiers: dict[tuple, list] = {}
    for segment in segments:
        tier = (_tier(segment.doc_count_all()), _kinds(writer, segment))
        tiers.setdefault(tier, []).append(segment)
    full = [group for _, group in sorted(tiers.items()) if len(group) >= MERGE_TIER]
    if not full:
        return segments
    for segment in full[0]:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [s for s in segments if s not in full[0]]


def _kinds(writer, segment) -> tuple[str, ...]:
    """The models whose documents a segment holds (haystack's `django_ct`). Segments are
    merged with segments of the same models: a search of quotes in a segment that also
    holds articles reads the articles' postings of its words too (docs/performance.md,
    "A rebuild's merges")."""
    reader = SegmentReader(writer.storage, writer.schema, segment)
    try:
        if DJANGO_CT not in reader.schema:
            return ()
        return tuple(term.decode("utf-8") for term in reader.lexicon(DJANGO_CT))
    finally:
        reader.close()


def _tier(documents: int) -> int:
    """The power of ten nearest to the number of documents (on a log scale): 4–31
    documents are tier 1, 32–316 tier 2, and so on. A rebuild's segments hold about
    REBUILD_BATCH / 2 = 10,000 documents each, some a few hundred fewer: counted by digits,
    9,600 and 10,000 were two tiers, and the ten segments of articles were never merged."""
    return round(math.log10(max(documents, 1)))


def latest_toc(ix) -> TOC:
    """The table of contents of the index's latest commit (about 30 µs to read).

    Read again for up to half a second while a commit or a clear replaces it; at
    once an error if the index's directory is gone (the archive's commits and
    clears never remove it): every search would otherwise wait out the retries.
    """
    for attempt in range(10):
        try:
            return TOC.read(ix.storage, ix.indexname, schema=ix._schema)
        except (OSError, EmptyIndexError):  # a commit or a clear replaced it meanwhile
            folder = getattr(ix.storage, "folder", None)
            if attempt == 9 or (folder is not None and not os.path.isdir(folder)):
                raise
            time.sleep(0.05)


def commit_of(generation: int, segments) -> IndexCommit:
    return IndexCommit(generation, tuple(segment.segment_id() for segment in segments))


def reopen(ix, toc, reader=None):
    """A reader on the commit `toc` describes that keeps `reader`'s open segments.

    Whoosh 2.7.4's own refresh means to do this but never does (it files the
    old readers by generation and looks them up by segment id), so every
    commit made each searcher open and read every segment again: most of a
    one-article update, and of the next query, at 100,000 articles. Segments
    are kept by id, which no other index shares; a kept segment whose
    deletions changed gets the new deletion list; its files are the same.
    """
    open_readers = {}
    if reader is not None:
        open_readers = {
            r.segment().segment_id(): r
            for r, _ in reader.leaf_readers()
            if r.segment() is not None  # an empty index's reader has no segment
        }
    readers = []
    for segment in toc.segments:
        kept = open_readers.pop(segment.segment_id(), None)
        if kept is None:
            kept = SegmentReader(ix.storage, toc.schema, segment, generation=toc.generation)
        else:
            kept._segment = kept._perdoc._segment = segment  # the current deletions
            kept._gen = toc.generation
        readers.append(kept)
    for merged_away in open_readers.values():
        merged_away.close()
    if not readers:
        return EmptyReader(toc.schema)
    if len(readers) == 1:
        return readers[0]
    return MultiReader(readers, generation=toc.generation)


class SegmentValuesFacet(FieldFacet):
    """Group by an exact field's values, one document possibly in several groups.

    Whoosh's overlapping FieldFacet walks every posting of the field in every
    segment to map documents to values, on every query: most of the time of a
    faceted search at 100,000 articles. Segments never change once written
    (deletions only hide documents, which then never match), so the table is
    kept per segment reader and dropped with it.
    """

    _tables = KeptWith()  # segment reader -> {field name: table}

    def __init__(self, fieldname):
        super().__init__(fieldname, allow_overlap=True, maptype=Count)

    def categorizer(self, global_searcher):
        return SegmentValuesCategorizer(self.fieldname)

    @classmethod
    def table(cls, reader, fieldname) -> "ValuesTable":
        """For each document of the segment, the tuple of its values ((None,) if none)."""
        return cls._tables.get(reader, fieldname, lambda: ValuesTable.of(reader, fieldname))


class ValuesTable:
    """A segment's documents' values of one field: for each document (`index`, 4 bytes
    each) the position of its tuple of values in `tuples`, each distinct tuple kept once.

    Most documents have one value (a source, a year) shared with thousands of others,
    so a table costs 4 bytes a document plus its distinct tuples, where a tuple per
    document cost 60 (about 25 MB per field at 100,000 articles and their quotes, in
    every worker). It is built without a list per document for the same reason: the
    freed lists would leave the worker's heap as large as if they had been kept.
    """

    __slots__ = ("index", "tuples")

    def __init__(self, index: array, tuples: list):
        self.index, self.tuples = index, tuples

    @classmethod
    def of(cls, reader, fieldname) -> "ValuesTable":
        field = reader.schema[fieldname]
        tuples, position = [(None,)], {(None,): 0}  # 0: no value (yet)
        index = array("I", bytes(4 * reader.doc_count_all()))
        several = {}  # docnum -> its values, for the documents with more than one

        def intern(values: tuple) -> int:
            found = position.get(values)
            if found is None:
                found = position[values] = len(tuples)
                tuples.append(values)
            return found

        for term in reader.lexicon(fieldname):  # in order, so each tuple is in order
            text = field.from_bytes(term)
            alone = intern((text,))
            for docnum in reader.postings(fieldname, term).all_ids():
                current = index[docnum]
                if current == 0:
                    index[docnum] = alone
                elif docnum in several:
                    several[docnum].append(text)
                else:
                    several[docnum] = [tuples[current][0], text]
        for docnum, values in several.items():
            index[docnum] = intern(tuple(values))
        return cls(index, tuples)

    def __getitem__(self, docnum: int) -> tuple:
        return self.tuples[self.index[docnum]]

    def count(self, docnums, counts) -> None:
        """Add to `counts` (value -> number) the values of the documents `docnums`."""
        values = map(self.tuples.__getitem__, map(self.index.__getitem__, docnums))
        for value, number in Counter(chain.from_iterable(values)).items():
            counts[value] += number


class SegmentValuesCategorizer(Categorizer):
    allow_overlap = True

    def __init__(self, fieldname):
        self._fieldname = fieldname
        self._table = None

    def set_searcher(self, segment_searcher, docoffset):
        self._table = SegmentValuesFacet.table(segment_searcher.reader(), self._fieldname)

    def keys_for(self, matcher, docid):
        return self._table[docid]

    def key_for(self, matcher, docid):
        return self._table[docid][0]


class SegmentFacetCollector(FacetCollector):
    """Whoosh's FacetCollector for SegmentValuesFacet facets, counting a segment's matches
    all at once when the segment is done.

    Whoosh's counts each facet of each document as it is collected, through
    four Python calls a value: a third of a filter-only search (the newest of
    thousands of articles) at 20,000 articles. The tables say each document's
    values, so a segment's matches are counted by `collections.Counter`; the
    counts are the same, also of a search stopped by its time limit.
    """

    def prepare(self, top_searcher, q, context):
        super().prepare(top_searcher, q, context)
        self._documents = []

    def set_subsearcher(self, subsearcher, offset):
        self._count_documents()  # of the segment before, with its tables
        super().set_subsearcher(subsearcher, offset)

    def collect(self, sub_docnum):
        self._documents.append(sub_docnum)
        return self.child.collect(sub_docnum)

    def finish(self):
        self._count_documents()
        super().finish()

    def _count_documents(self):
        if not self._documents:
            return
        for name, categorizer in self.categorizers.items():
            categorizer._table.count(self._documents, self.facetmaps[name].dict)
        self._documents = []


class SortKeysCollector(SortingCollector):
    """Whoosh's SortingCollector, reading each document's sort key from a list made once per
    segment and sort order (`order`, e.g. ("-sort_newest",)) instead of from the column.

    Whoosh reads the key of every document a sorted search matches through the
    column's reader, five Python calls each: a quarter of a filter-only search
    at 20,000 articles. A segment's columns never change, so its keys are
    kept, like the facet tables, as long as the segment's reader lives: 8
    bytes a document for a date (0.6 MB per sort order at 20,000 articles and
    their 51,722 quotes).
    """

    _tables = KeptWith()  # segment reader -> {order: keys}

    def __init__(self, sortedby, order: tuple, limit=10, reverse=False):
        super().__init__(sortedby, limit=limit, reverse=reverse)
        self.order = order
        self._keys = None

    def set_subsearcher(self, subsearcher, offset):
        super().set_subsearcher(subsearcher, offset)
        self._keys = None
        if not self.categorizer.needs_current:  # the key is the document's, not the match's
            self._keys = self._keys_of(subsearcher.reader())

    def _keys_of(self, reader) -> list:
        return self._tables.get(reader, self.order, lambda: self._read_keys(reader))

    def _read_keys(self, reader):
        key_for = self.categorizer.key_for
        documents = range(reader.doc_count_all())
        try:  # a date or number: 8 bytes each, and no list of the keys on the way
            return array("q", (key_for(None, docnum) for docnum in documents))
        except (TypeError, OverflowError):
            return [key_for(None, docnum) for docnum in documents]

    def sort_key(self, sub_docnum):
        if self._keys is None:
            return super().sort_key(sub_docnum)
        return self._keys[sub_docnum]


def search_collector(searcher, groupedby: dict, order: tuple, **options):
    """The collector Whoosh's `searcher.collector` makes for `options` and `groupedby`,
    counting SegmentValuesFacet facets with SegmentFacetCollector (other facets as Whoosh
    does) and reading sort keys with SortKeysCollector (`order`: the sort, as haystack
    names it)."""
    collector = searcher.collector(groupedby=groupedby or None, **options)
    inner = collector.child if isinstance(collector, FacetCollector) else collector
    if type(inner) is SortingCollector:
        inner = SortKeysCollector(
            options["sortedby"], order, limit=inner.limit, reverse=inner.reverse
        )
    if not groupedby:
        return inner
    if all(isinstance(facet, SegmentValuesFacet) for facet in groupedby.values()):
        return SegmentFacetCollector(inner, groupedby)
    return FacetCollector(inner, groupedby)


class Deadline:
    """When a search must stop; checked between documents and between the words of a wildcard."""

    def __init__(self, seconds: float):
        self.at = time.monotonic() + seconds
        self.passed = False

    def check(self):
        if time.monotonic() >= self.at:
            self.passed = True
            raise TimeLimit


class DeadlineCollector(WrappingCollector):
    """Stops collecting once the deadline has passed; the documents found so far remain.

    Whoosh's own TimeLimitCollector starts a timer thread for every search and
    interrupts it with SIGALRM, which only the main thread may receive and
    which could break into any code running at that moment; here the clock is
    read between documents instead (a fraction of a microsecond each). It
    checks in `matches()`, so a FilterCollector wrapped around it (the models
    searched, haystack's narrow queries) still filters: wrapped inside one, it
    collected every document the query matched, of any model.
    """

    def __init__(self, child, deadline: Deadline):
        self.child = child
        self.deadline = deadline

    def computes_count(self):
        # Else a FilterCollector around it takes the child's count, which a
        # collector that skips blocks (a search for the first page) computes
        # from the query alone, unfiltered.
        return self.child.computes_count()

    def matches(self):
        check = self.deadline.check
        for docnum in self.child.matches():
            check()
            yield docnum

    def collect_matches(self):
        collect = self.child.collect
        for docnum in self.matches():
            collect(docnum)


def affordable(query, reader, deadline: Deadline, everything=None):
    """`query` with its costly parts replaced by cheaper ones that find the same documents.

    `*` (haystack's match-all) is Whoosh's Every on the text field, which
    walks every word of the index to find the documents that have one: 3 s at
    2,000 articles for a search with only exclusions or filters. Every indexed
    document has text, so `everything` (the documents of the models searched,
    one posting list each) or else the segments' own list of documents is the
    same set. Wildcard words become BoundedPrefix, sharing MAX_PREFIX_EXPANSION words.
    Phrases become RarestFirstPhrase: the same documents and scores, found rarest word
    first instead of through Whoosh's span intersections (archive.search.whoosh_phrase).
    """
    prefixes = sum(1 for part in query.leaves() if type(part) is whoosh_query.Prefix)
    share = MAX_PREFIX_EXPANSION // max(prefixes, 1)

    def replace(part):
        if isinstance(part, whoosh_query.Every) and part.fieldname:
            return everything or whoosh_query.Every(boost=part.boost)
        if type(part) is whoosh_query.Prefix:
            return BoundedPrefix(
                part.fieldname, part.text, reader, deadline, limit=share, boost=part.boost
            )
        if type(part) is whoosh_query.Phrase and part.slop == 1:
            return RarestFirstPhrase.of(part, deadline)
        return part

    return query.accept(replace)


class BoundedPrefix(whoosh_query.Prefix):
    """A wildcard word as one list of documents, for at most `limit` index words.

    Whoosh makes a scored matcher per word per segment, each summing its
    statistics over every segment, and ORs them: 5 two-letter prefixes took
    19 s at 19,000 articles (49 segments) before finding a document, beyond
    the reach of a time limit checked between documents. Whoosh gives every
    document a prefix matches the same score anyway, so here the documents are
    read straight from the postings, checking the deadline word by word. The
    words are chosen once for the whole index, so every segment searches the
    same ones: the most frequent in the largest segment (a sample that costs
    one lookup a word; the whole index would cost one per segment).
    """

    def __init__(self, fieldname, text, reader, deadline: Deadline, limit: int, boost=1.0):
        super().__init__(fieldname, text, boost=boost)
        self.limit = limit
        self.index_reader = reader  # the whole index's
        self.deadline = deadline
        self.found = 0  # index words the prefix begins
        self._words = None

    def _btexts(self, ixreader):
        """The words searched, whichever segment asks (Whoosh asks segment by segment)."""
        if self._words is None:
            reader = self.index_reader
            words = list(reader.expand_prefix(self.fieldname, self.text))
            self.found = len(words)
            if len(words) > self.limit:
                sample = max((r for r, _ in reader.leaf_readers()), key=lambda r: r.doc_count())
                frequency = {w: sample.doc_frequency(self.fieldname, w) for w in words}
                words = sorted(words, key=lambda w: -frequency[w])[: self.limit]
            self._words = words
        return self._words

    def estimate_size(self, ixreader):
        return ixreader.doc_count_all()  # an upper bound, without a lookup per word

    def matcher(self, searcher, context=None):
        reader = searcher.reader()
        documents = set()
        for word in self._btexts(reader):
            self.deadline.check()
            if (self.fieldname, word) in reader:
                documents.update(reader.postings(self.fieldname, word).all_ids())
        if not documents:
            return NullMatcher()
        return ListMatcher(sorted(documents), all_weights=self.boost)


class ScoredPage(ResultsPage):
    """A page of the scored hits only, its total their number: more-like-this answers
    the best matches and nobody reads how many documents share a key term.

    Whoosh's ResultsPage asks the results for their total, which a filtered
    search (by model) can only count by matching every document again: a third
    of a more-like-this at 20,000 articles.
    """

    def __init__(self, results, pagenum, pagelen=10):
        self.results = results
        self.total = results.scored_length()
        if pagenum < 1:
            raise ValueError("pagenum must be >= 1")
        self.pagecount = math.ceil(self.total / pagelen)
        self.pagenum = min(self.pagecount, pagenum)
        self.offset = (self.pagenum - 1) * pagelen
        self.pagelen = min(pagelen, self.total - self.offset)


class ArchiveWhooshSearchBackend(WhooshSearchBackend):
    def __init__(self, connection_alias, **connection_options):
        super().__init__(connection_alias, **connection_options)
        self.lock_timeout = connection_options.get("LOCK_TIMEOUT", LOCK_TIMEOUT_SECONDS)
        self.max_procs = connection_options.get("MAX_PROCS", 2)
        self.batch_size = connection_options.get("BATCH_SIZE", REBUILD_BATCH)
        self._local = threading.local()
        self._status = None  # this process's record of what it searches (archive.search.servers)

    # Schema ---------------------------------------------------------------

    def build_schema(self, fields):
        """haystack's schema with the archive's fields, and the document field's word pairs
        (whoosh_analysis.WordPairs), which phrases of common words are matched by."""
        content_field_name, schema = super().build_schema(fields)
        for field in fields.values():
            replacement = self._whoosh_field(field)
            if replacement is not None:
                schema.remove(field.index_fieldname)
                schema.add(field.index_fieldname, replacement)
        schema.add(pairs_field(content_field_name), WordPairs())
        return content_field_name, schema

    @staticmethod
    def _whoosh_field(field):
        """Our Whoosh field for a haystack field, or None to keep the stock mapping."""
        if not field.indexed and not field.is_multivalued:  # kept with the entry, not searched
            return whoosh_fields.STORED()
        if isinstance(field, FacetField):
            if field.is_multivalued:
                return whoosh_fields.KEYWORD(stored=True, commas=True)
            return whoosh_fields.ID(stored=True, sortable=True)
        if field.field_type == "integer":
            return whoosh_fields.NUMERIC(stored=field.stored, numtype=int, sortable=True)
        if field.field_type == "string" and not field.is_multivalued:
            return ArchiveText(
                stored=True,
                phrase=True,
                spelling=field.document,
                field_boost=field.boost,
            )
        return None

    def setup(self):
        """Open the index, creating it if need be, even when another process creates it too.

        The index is opened on a `MappedFileStorage`, so searchers read its
        segments from a memory map instead of each copying them (whoosh_storage).
        """
        for attempt in range(3):
            try:
                super().setup()
                break
            except (NameError, FileExistsError, whoosh_index.EmptyIndexError):
                # Another process was creating the same index at that moment.
                if attempt == 2:
                    raise
                time.sleep(0.2)
        if self.use_file_storage and not isinstance(self.storage, MappedFileStorage):
            self.storage = MappedFileStorage(self.path)
            self.index = self.storage.open_index(schema=self.schema)

    # Writing --------------------------------------------------------------

    def _writer(self, documents: int = 0):
        """A writer that waits up to `lock_timeout` for the lock (raises LockError after).

        Large batches (a rebuild) are analysed and written by one process per
        core, each into its own segment.
        """
        if not self.setup_complete:
            self.setup()
        procs = min(os.cpu_count() or 1, self.max_procs)
        options = {"timeout": self.lock_timeout, "limitmb": WRITER_MEMORY_MB}
        if documents >= PARALLEL_BATCH and procs > 1:
            return self.index.writer(procs=procs, multisegment=True, **options)
        return self.index.writer(**options)

    def update(self, index, iterable, commit=True):
        self.write([(index, iterable)])

    def remove(self, obj_or_string, commit=True):
        self.write([], [get_identifier(obj_or_string)])

    def write(self, updates, removals=()) -> None:
        """(Re)index the objects of each (index, objects) pair and remove the documents named
        in `removals` ("app.model.pk"), in one commit.

        haystack's `update` and `remove` commit once each: an article saved
        with its quotes would write two or three segments instead of one.
        """
        if not self.setup_complete:
            self.setup()
        documents = [
            document for index, objects in updates for document in self.documents(index, objects)
        ]
        replaced = [*removals, *(document[ID] for document in documents)]
        if not replaced:
            return
        writer = self._writer(len(documents))
        try:
            with self._searcher_for(writer) as searcher:
                for identifier in replaced:
                    writer.delete_by_term(ID, identifier, searcher=searcher)
            for document in documents:
                writer.add_document(**document)
        except BaseException:
            writer.cancel()
            raise
        if len(documents) < PARALLEL_BATCH:
            writer.commit(mergetype=merge_edit_segments)
        else:
            writer.commit(mergetype=merge_tiers)

    def documents(self, index, objects):
        """The Whoosh documents of `objects` as `index` prepares them (a SkipDocument left
        out), with the word pairs of their text."""
        pairs = pairs_field(self.content_field_name)
        for obj in objects:
            try:
                document = index.full_prepare(obj)
            except SkipDocument:
                continue
            document.pop("boost", None)
            document = {k: self._from_python(v) for k, v in document.items()}
            document[pairs] = document[self.content_field_name]
            yield document

    def _searcher_for(self, writer):
        """A searcher on exactly the segments `writer` sees, to find the documents it replaces.

        Whoosh deletes by document number, counted across the writer's
        segments in order, so the searcher must be on the very commit the
        writer started from. The writer holds the lock, so this thread's
        searcher, brought up to date now, normally is; that is checked by the
        commit's segment ids, not by its number, which a rebuild starts again.
        Whoosh's own `writer.searcher()` would open every segment again,
        copying each into memory: at 100,000 articles most of a one-article
        update; it is used only when the commits differ.
        """
        searcher = self.searcher()
        if self._local.commit != commit_of(writer.generation - 1, writer.segments):
            return writer.searcher()  # not the same commit after all: Whoosh's way
        return contextlib.nullcontext(searcher)  # stays open for this thread's queries

    def merge_small_segments(self) -> int:
        """Merge the segments edits have written into one; how many there were.

        Called by `sync_index`, so saves rarely have to merge while an editor waits.
        """
        writer = self._writer()
        try:
            with self._searcher_for(writer) as searcher:
                leaves = searcher.reader().leaf_readers()
                small = [r for r, _ in leaves if r.doc_count_all() < SMALL_SEGMENT_DOCS]
        except BaseException:
            writer.cancel()
            raise
        if len(small) < 2:
            writer.cancel()
            return 0
        writer.commit(mergetype=lambda w, segments: merge_edit_segments(w, segments, at_least=2))
        return len(small)

    def clear(self, models=None, commit=True):
        if models is not None:  # only some models' documents: haystack deletes them by query
            return super().clear(models=models, commit=commit)
        self.delete_index()

    def delete_index(self):
        """Empty the index in place, holding the write lock, with the current schema.

        haystack deletes the index directory and creates a new one. A process
        writing at that moment then committed into the new index a table of
        contents that named the deleted segments, and took its lock on the
        deleted lock file, so the rebuild wrote beside it. Here the rebuild
        waits for the lock like any writer (raising LockError after
        `lock_timeout`), writes an empty commit numbered 0 (as Whoosh numbers
        a new index) and deletes the old files. Processes that have the old
        segments open keep reading them until their next search.
        """
        if not self.setup_complete or not os.path.isdir(self.path):
            self.setup()
        lock = self.index.lock("WRITELOCK")
        if not try_for(lock.acquire, timeout=self.lock_timeout, delay=0.1):
            raise LockError(f"The search index in {self.path} is locked by another process.")
        try:
            first = TOC._filename(self.index.indexname, 0)
            if self.storage.file_exists(first):  # an index with no commit yet: replaced
                self.storage.delete_file(first)
            TOC(self.schema, [], 0).write(self.storage, self.index.indexname)
            # The old commit's table of contents goes first: it numbers higher than 0, so
            # readers would take it as the latest while clean_files, in no set order,
            # deletes its segments (and a rebuild killed meanwhile would leave it in place).
            pattern = TOC._pattern(self.index.indexname)
            for name in list(self.storage):
                match = pattern.match(name)
                if match and int(match.group(1)) != 0:
                    self.storage.delete_file(name)
            clean_files(self.storage, self.index.indexname, 0, [])
        finally:
            lock.release()
        self.setup()

    # Searching ------------------------------------------------------------

    def searcher(self):
        """This thread's searcher on the index's latest commit.

        It is reused while the commit it was opened on is the latest, known by
        the commit's segment ids as well as its number: a rebuilt index
        numbers its commits from 0 again, and a searcher taken as current by
        its number alone served the old index and lent its document numbers
        to deletions in the new one.
        """
        if not self.setup_complete:
            self.setup()
        checked_at = time.time()
        toc = latest_toc(self.index)
        commit = commit_of(toc.generation, toc.segments)
        searcher = getattr(self._local, "searcher", None)
        if searcher is None or self._local.commit != commit:
            kept = searcher.reader() if searcher is not None else None
            searcher = Searcher(reopen(self.index, toc, kept), fromindex=self.index)
            self._local.searcher, self._local.commit = searcher, commit
        if self.use_file_storage:
            if self._status is None:
                self._status = status_for(self.path)
            self._status.searched(commit, checked_at)
        return searcher

    def model_doc_count(self, model) -> int:
        """How many documents of `model` the index holds, from its posting lists, not a search.

        Counted once per commit: the reused searcher is tied to one, and a
        segment with deletions is counted by walking its list (every quote).
        """
        searcher = self.searcher()
        counts = searcher.__dict__.setdefault("archive_model_counts", {})
        term = get_model_ct(model)
        if term not in counts:
            counts[term] = self._count_documents(searcher.reader(), term)
        return counts[term]

    @staticmethod
    def _count_documents(reader, term: str) -> int:
        total = 0
        for leaf, _ in reader.leaf_readers():
            if (DJANGO_CT, term) not in leaf:
                continue
            if leaf.has_deletions():  # postings() leaves the deleted documents out
                total += sum(1 for _ in leaf.postings(DJANGO_CT, term).all_ids())
            else:
                total += leaf.doc_frequency(DJANGO_CT, term)
        return total

    def document_ids(self, model, fieldname: str, values) -> set[int]:
        """The ids of the `model` documents whose exact field `fieldname` holds one of `values`
        (the quotes of some articles), read from the posting lists.

        A haystack search for `article__in=[…]` is one query of hundreds of
        numeric terms: 5 s for 500 articles at 30,000 quotes, past the search
        time limit (so incomplete) at 5,000.
        """
        searcher = self.searcher()
        field = self.schema[fieldname]
        content_type = get_model_ct(model)
        found = set()
        for value in values:
            term = (fieldname, field.to_bytes(value))
            if term not in searcher.reader():
                continue
            for docnum in searcher.docs_for_query(whoosh_query.Term(fieldname, value)):
                stored = searcher.stored_fields(docnum)
                if stored.get(DJANGO_CT) == content_type:
                    found.add(int(stored[DJANGO_ID]))
        return found

    def _models_query(self, models, limit_to_registered_models, default=None):
        """The documents of the models to search (haystack's `.models()`), or None for all."""
        if limit_to_registered_models is None:
            limit_to_registered_models = getattr(
                settings, "HAYSTACK_LIMIT_TO_REGISTERED_MODELS", True
            )
        if models:
            names = sorted(get_model_ct(model) for model in models)
        elif limit_to_registered_models:
            names = self.build_models_list()
        else:
            names = [get_model_ct(default)] if default is not None else []
        if not names:
            return None
        terms = [whoosh_query.Term(DJANGO_CT, name) for name in names]
        return terms[0] if len(terms) == 1 else whoosh_query.Or(terms)

    def pairs_report(self) -> PairsReport:
        """Which segments of the latest commit lack the word pairs (`verify --index`)."""
        if not self.setup_complete:
            self.setup()
        with self.index.reader() as reader:
            return pairs_report(reader, pairs_field(self.content_field_name))

    def servers_report(self) -> ServersReport:
        """What each running process searches, against the latest commit (`verify --index`)."""
        if not self.setup_complete:
            self.setup()
        for attempt in range(10):
            toc = latest_toc(self.index)
            written = Path(self.path, TOC._filename(self.index.indexname, toc.generation))
            try:
                written_at = written.stat().st_mtime
                break
            except FileNotFoundError:  # a commit replaced it meanwhile
                if attempt == 9:
                    raise
        return servers_report(self.path, commit_of(toc.generation, toc.segments), written_at)

    @log_query
    def search(
        self,
        query_string,
        sort_by=None,
        start_offset=0,
        end_offset=None,
        fields="",
        highlight=False,
        facets=None,
        date_facets=None,
        query_facets=None,
        narrow_queries=None,
        spelling_query=None,
        within=None,
        dwithin=None,
        distance_point=None,
        models=None,
        limit_to_registered_models=None,
        result_class=None,
        counted=True,
        **kwargs,
    ):
        query_string = force_str(query_string)
        if not query_string:
            return dict(EMPTY)
        searcher = self.searcher()
        parsed = self.parser.parse(query_string)
        if parsed is None or parsed is whoosh_query.NullQuery:
            return dict(EMPTY)
        deadline = Deadline(getattr(settings, "SEARCH_TIME_LIMIT", DEFAULT_TIME_LIMIT))
        of_models = self._models_query(models, limit_to_registered_models)
        parsed = affordable(parsed, searcher.reader(), deadline, everything=of_models)
        if of_models is not None and parsed != of_models:
            # In the query, not in a filter: the matchers skip to the documents of the
            # models asked for, where a filter collects every one of them first (a set of
            # every quote's number for a search that finds two).
            parsed = whoosh_query.And([parsed, of_models])

        sortedby, reverse = self._sorting(sort_by)
        facet_types = dict.fromkeys(facets or (), "fields")
        groupedby = {name: SegmentValuesFacet(name) for name in facet_types}
        filters = [self.parser.parse(force_str(nq)) for nq in narrow_queries or ()]
        filter_query = whoosh_query.And(filters) if filters else None
        page_num, page_length = self.calculate_page(start_offset, end_offset)
        limit = page_num * page_length
        if sortedby is None:  # by relevance
            results = scored_at_once(searcher, parsed, limit, deadline, groupedby, filter_query)
        else:
            order = SortKeysCollector(sortedby, tuple(sort_by), limit=limit, reverse=reverse)
            results = sorted_at_once(searcher, parsed, order, deadline, groupedby, filter_query)
        if results is None:  # by relevance: a wildcard, a boost; other facets: Whoosh's collectors
            collector = DeadlineCollector(
                search_collector(
                    searcher,
                    groupedby,
                    tuple(sort_by or ()),
                    limit=limit,
                    sortedby=sortedby,
                    reverse=reverse,
                ),
                deadline,
            )
            if filter_query is not None:
                collector = FilterCollector(collector, allow=filter_query)
            with contextlib.suppress(TimeLimit):  # answer with what was found in time
                searcher.search_with_collector(parsed, collector)
            results = collector.results()
        page = ResultsPage if counted else ScoredPage  # counted: every match, scored or not
        raw_page = page(results, page_num, page_length)
        trimmed = {"notes": _expansion_notes(parsed), "incomplete": deadline.passed}
        if raw_page.total == 0 or raw_page.pagenum < page_num:  # nothing, or past the end
            suggestion = None
            if self.include_spelling:
                suggestion = self.create_spelling_suggestion(spelling_query or query_string)
            return {**EMPTY, "hits": raw_page.total, "spelling_suggestion": suggestion, **trimmed}
        processed = self._process_results(
            raw_page,
            highlight=False,
            query_string=query_string,
            spelling_query=spelling_query,
            result_class=result_class,
            facet_types=facet_types,
        )
        return {**processed, **trimmed}

    def more_like_this(
        self,
        model_instance,
        additional_query_string=None,
        start_offset=0,
        end_offset=None,
        models=None,
        limit_to_registered_models=None,
        result_class=None,
        **kwargs,
    ):
        """Documents like this one, by its most distinctive terms, on the reused searcher.

        Of the models asked for (`.models()`), else of the instance's own: an
        article's quotes share its words and would crowd out other articles.
        The stock backend opens a new searcher each time and uses only five
        key terms; with no stop words dropped, five are too few to tell topics.
        """
        searcher = self.searcher()
        docnum = searcher.document_number(**{ID: get_identifier(model_instance)})
        if docnum is None:
            return dict(EMPTY)
        if end_offset is None:
            # haystack's run_mlt never passes the slice it was asked for, so
            # Whoosh would score and haystack load every article sharing a
            # key term (83,000 of 100,000): 8 s per article page.
            end_offset = start_offset + MLT_MAX_RESULTS
        page_num, page_length = self.calculate_page(start_offset, end_offset)
        hits = searcher.more_like(
            docnum,
            self.content_field_name,
            top=end_offset or page_length,
            numterms=MLT_TERMS,
            filter=self._models_query(models, False, default=type(model_instance)),
        )
        raw_page = ScoredPage(hits, page_num, page_length)
        if raw_page.pagenum < page_num:
            return dict(EMPTY)
        return self._process_results(raw_page, result_class=result_class)

    @staticmethod
    def _sorting(sort_by):
        """Whoosh's `sortedby` and `reverse` for haystack's order_by names ("-name": descending)."""
        if not sort_by:
            return None, False
        names = [name.lstrip("-") for name in sort_by]
        descending = [name.startswith("-") for name in sort_by]
        if len(set(descending)) == 1:
            return names, descending[0]
        return MultiFacet(
            [FieldFacet(n, reverse=d) for n, d in zip(names, descending, strict=True)]
        ), False

    def create_spelling_suggestion(self, query_string):
        """Suggest index words for the query's unknown words; None if every word is known."""
        reader = self.searcher().reader()
        field = self.schema[self.content_field_name]
        spelling_field = field.spelling_fieldname(self.content_field_name)
        corrections: dict[str, str | None] = {}
        attempts = 0
        words = []
        for word in force_str(query_string).split():
            folded = fold(word)
            if folded not in corrections:
                corrections[folded] = None
                # The corrector's time grows with a word's length: a 300-letter
                # "word" held a worker for seconds, so long words and words
                # past the first few unknown ones are left as typed.
                unknown = (
                    folded.isalpha()
                    and len(folded) <= MAX_CORRECTED_LENGTH
                    and not reader.frequency(spelling_field, folded)
                    and not reader.doc_frequency(self.content_field_name, folded)
                )
                if unknown and attempts < MAX_CORRECTED_WORDS:
                    attempts += 1
                    corrections[folded] = nearest_word(reader, spelling_field, folded)
            words.append(corrections[folded] or word)
        return " ".join(words) if any(corrections.values()) else None


def nearest_word(reader, spelling_field: str, word: str) -> str | None:
    """The word of the index that a misspelt `word` most likely stands for, or None.

    The nearest in edits (one, else two) that starts with the same letter (a
    misspelling rarely changes the first, and without it every word of the
    index is compared); of those, the one in the most documents, then the
    first in alphabetical order. Whoosh 2.7.4's corrector scores every word
    within two edits alike and then prefers the one its count in the stemmed
    field puts lowest, so "recesion" got "reckson" (20 documents) rather than
    "recession" (1,981), and "inflaton" the typing error "inflato".

    The words one edit away are looked up, not searched for: Whoosh finds the
    words within some edits by comparing every word of the index with the same
    first letter, 80–300 ms a word at 100,000 articles. Only a word with none
    one edit away is compared with them.
    """
    nearest = [
        candidate
        for candidate in one_edit_away(word)
        if candidate[:1] == word[:1] and reader.frequency(spelling_field, candidate)
    ]
    if not nearest:
        nearest = reader.terms_within(spelling_field, word, 2, prefix=1)
        nearest = [found for found in nearest if found != word]
    if not nearest:
        return None
    return min(nearest, key=lambda w: (-reader.frequency(spelling_field, w), w))


# The letters a misspelling may have dropped or replaced: the index's words are folded
# (archive.search.text.fold), so plain Latin letters and digits, besides the word's own.
_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789"


def one_edit_away(word: str) -> set[str]:
    """Every string one edit from `word` (Damerau-Levenshtein): a letter dropped, added or
    replaced, or two neighbouring letters swapped."""
    letters = set(_LETTERS) | set(word)
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    found = {left + right[1:] for left, right in splits if right}
    found |= {left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1}
    found |= {left + c + right[1:] for left, right in splits if right for c in letters}
    found |= {left + c + right for left, right in splits for c in letters}
    found.discard(word)
    return found


def _expansion_notes(query) -> list[str]:
    return [
        prefix_expansion_note(part.text, part.found, part.limit)
        for part in query.leaves()
        if isinstance(part, BoundedPrefix) and part.found > part.limit
    ]


class ArchiveWhooshSearchQuery(WhooshSearchQuery):
    """haystack's Whoosh query, keeping what the engine says about how it answered.

    `incomplete`: the search ran out of time and answered with what it had
    found; `notes`: what of the query the engine left out.
    """

    incomplete = False
    notes = ()
    counted = True  # False: the best hits alone, their total not counted (near.best_only)

    def _clone(self, klass=None, using=None):
        clone = super()._clone(klass, using)
        clone.counted = self.counted
        return clone

    def run(self, spelling_query=None, **kwargs):
        search_kwargs = {
            **self.build_params(spelling_query=spelling_query),
            "counted": self.counted,
            **kwargs,
        }
        results = self.backend.search(self.build_query(), **search_kwargs)
        self._results = results.get("results", [])
        self._hit_count = results.get("hits", 0)
        self._facet_counts = self.post_process_facets(results)
        self._spelling_suggestion = results.get("spelling_suggestion", None)
        self.incomplete = results.get("incomplete", False)
        self.notes = results.get("notes", [])


class ArchiveWhooshEngine(WhooshEngine):
    backend = ArchiveWhooshSearchBackend
    query = ArchiveWhooshSearchQuery
