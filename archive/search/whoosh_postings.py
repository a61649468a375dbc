"""Two fixes of how Whoosh 2.7.4 reads a word's posting list, for every search.

A posting list is stored in blocks of up to 128 documents, each block read
and decoded whole. Whoosh's `W3LeafMatcher` then steps through it one
document at a time, through several Python calls each:
- `skip_to` (finding a word's next document at or after another word's, as
  every AND and phrase does) walked the block posting by posting: 1.15
  million calls, 7 of 15 s, for 100 phrase searches at 20,000 articles;
  `skip_within_block` finds the place by bisection;
- `all_ids` (every document of a list, as a sorted or filter-only search
  reads them) asked for each document's number in turn: 1.4 million calls,
  5 of 12 s, for 20 filter-only searches at 20,000 articles; `ids_by_block`
  hands over each block's numbers at once, and `read_block_ids` decodes a
  block's numbers with `itertools.accumulate` instead of a Python generator.
And one of how it reads the documents of an AND:
- `IntersectionMatcher.all_ids` (every document of an AND, as counting the
  hits of a search does) made a set of all the documents of each side and
  intersected them, reading every posting of both lists even when one side
  was a rare word or nothing at all: counting the quotations whose speaker's
  name has a word of a search read all 311,913 postings of the model filter
  (about 200 ms a search at 100,000 articles). `intersection_ids` leapfrogs
  instead (each document of the rarer side looked for in the other, as the
  matcher finds its next match) when one side's postings are under a tenth
  of the other's; Whoosh's sets stay for sides of similar sizes, where they
  are quicker.
  And when one side is a run of consecutive documents (a model's filter in
  a segment of that model alone: every document of it), the AND is the
  other side's documents within the run, read without that side's postings:
  counting the quotations that say "said" read the 2,437 blocks of the
  quotation model's filter beside the word's own.
- `skip_to` past the current block read the header of every block in
  between, one after another: a list longer than DIRECTORY_FROM_BYTES gets a
  directory of its blocks (where each starts, its last document), read once
  per segment and kept with its postings file, and the block is found by
  bisection.
And a posting list short enough to be kept in its term's own entry (written
so by archive.search.whoosh_writing) is read from there by `InlinedPostings`:
Whoosh 2.7.4 has the format for it and a reader, but its writer never used it
(and broke when asked to), and its reader answered a text for a posting without
a value, where a merge takes bytes or None.
All give the same documents in the same order; `read_postings_faster()` puts
them in place (archive.search.whoosh_backend does, on import).
"""

import threading
import weakref
from array import array
from bisect import bisect_left
from collections.abc import Callable
from itertools import accumulate, chain, dropwhile, takewhile
from typing import TypeVar

from whoosh.codec.whoosh3 import W3Codec, W3LeafMatcher
from whoosh.matching import IntersectionMatcher, ListMatcher, NullMatcherClass, ReadTooFar
from whoosh.matching.mcore import Matcher
from whoosh.matching.wrappers import FilterMatcher, WrappingMatcher
from whoosh.system import _INT_SIZE

LEAPFROG_RATIO = 10  # one side's postings this many times fewer: leapfrog
WHOOSH_POSTINGS_READER = W3Codec.postings_reader
T = TypeVar("T")


def skip_within_block(self, targetid):
    """W3LeafMatcher.skip_to, finding the posting in its block by bisection.

    A block's document numbers are sorted and its last is `_maxid`, so once the
    block that may hold the target is found, the target's place is a bisection.
    """
    if not self.is_active():
        raise ReadTooFar
    if targetid <= self.id():
        return
    if targetid > self._maxid:
        directory = block_directory(self)
        if directory is None:
            self._skip_to_block(lambda: targetid > self._maxid)
        else:
            _jump_to_block(self, directory, targetid)
        if not self.is_active():
            return
    if self._ids is None:
        self._read_ids()
    self._i = bisect_left(self._ids, targetid, self._i)


# A posting list longer than this (bytes) gets a directory of its blocks on its first skip
# past a block: Whoosh finds the block holding a document by reading the header of every
# block before it, one after another (the quotation model's filter at 100,000 articles has
# 2,437 blocks, and a count of the quotes by a speaker read 8,000 headers).
DIRECTORY_FROM_BYTES = 32_768


class KeptWith:
    """Values worked out once per object and key, kept as long as the object lives: a
    segment's reader or postings file never changes once written (deletions only hide
    documents), so what is read from it stays true until it is closed."""

    def __init__(self):
        self._kept = weakref.WeakKeyDictionary()  # object -> {key: value}
        self._lock = threading.Lock()

    def get(self, owner, key, compute: Callable[[], T]) -> T:
        with self._lock:
            kept = self._kept.setdefault(owner, {})
        value = kept.get(key)
        if value is None:
            value = kept[key] = compute()
        return value


_directories = KeptWith()  # postings file -> {start of a list: its directory}


def block_directory(matcher) -> tuple[array, array] | None:
    """Where each block of the matcher's posting list starts, and its last document number,
    kept as long as the segment's postings file is open; None for a short list (or a
    term vector), which is read block by block as Whoosh does."""
    if _list_bytes(matcher) < DIRECTORY_FROM_BYTES or matcher._byteids:
        return None
    postfile = matcher._postfile
    return _directories.get(
        postfile, matcher._startoffset, lambda: _read_directory(postfile, matcher._baseoffset)
    )


def _list_bytes(matcher: W3LeafMatcher) -> int:
    """The length of a leaf matcher's posting list in bytes (Whoosh keeps it in a 1-tuple)."""
    length = matcher._length
    return length[0] if isinstance(length, tuple) else length


def _read_directory(postfile, position: int) -> tuple[array, array]:
    """Every block's header from `position` on, as W3LeafMatcher._goto reads one."""
    starts, last_ids = array("q"), array("q")
    while True:
        postfile.seek(position)
        length = postfile.read_int()
        starts.append(position)
        last_ids.append(postfile.read_pickle()[1])
        if length < 0:  # the last block
            return starts, last_ids
        position += _INT_SIZE + length


def _jump_to_block(matcher, directory, targetid) -> None:
    """Move to the first block whose last document is at or after `targetid` (past the end
    if there is none), as skipping block by block would."""
    starts, last_ids = directory
    k = bisect_left(last_ids, targetid)
    if k == len(starts):
        matcher._goto(starts[-1])
        matcher._atend = True
    else:
        matcher._goto(starts[k])


def ids_by_block(self):
    """W3LeafMatcher.all_ids, a block at a time: the rest of the current block, then each
    following one; the matcher is used up after, as Whoosh's own leaves it."""
    return chain.from_iterable(_blocks_from_here(self))


def _blocks_from_here(matcher):
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        yield matcher._ids[matcher._i :]
        matcher._i = matcher._blocklength - 1
        matcher.next()


def read_block_ids(self):
    """W3LeafMatcher._read_ids: the block's document numbers, stored as gaps, added up."""
    if self._data is None:
        self._read_data()
    ids = self._data[0]
    if not self._byteids:
        ids = tuple(accumulate(ids))
    self._ids = ids


def intersection_ids(self):
    """IntersectionMatcher.all_ids: when one side is a run of consecutive documents, the
    other side's documents up to the run's end; else leapfrogging when one side is far
    rarer than the other (or empty), else Whoosh's intersection of the two sides' sets. The
    matcher is used up after, as Whoosh's own leaves it, but for a run's: its other side
    stops at the first document past the run. Documents are from the AND's current one on."""
    if not self.is_active():
        return iter(())
    for run_side, other in ((self.b, self.a), (self.a, self.b)):
        run = run_to(run_side)
        if run is not None:
            return _ids_from_to(other, self.id(), *run)
    sizes = postings_size(self.a), postings_size(self.b)
    if None not in sizes and min(sizes) * LEAPFROG_RATIO <= max(sizes):
        return Matcher.all_ids(self)  # next() after next(), each finding the next match
    return iter(sorted(set(self.a.all_ids()) & set(self.b.all_ids())))


def _ids_from_to(matcher, first: int, last: int, left_out: frozenset):
    """The matcher's documents from `first` to `last`, but those `left_out` (a ListMatcher's
    `all_ids` begins at its first document wherever it is, a leaf's where it is)."""
    ids = dropwhile(lambda docnum: docnum < first, matcher.all_ids())
    ids = takewhile(lambda docnum: docnum <= last, ids)
    return (docnum for docnum in ids if docnum not in left_out) if left_out else ids


def run_to(matcher) -> tuple[int, frozenset] | None:
    """(last, left out) when a matcher's documents are every document from its first to
    `last` but those `left out` (a segment's deleted documents); else None.

    A model's filter term is one: every document of a segment holding one model, or a run
    of them in a segment merged from segments of different models (a merge appends each
    segment's documents after the last's)."""
    left_out = frozenset()
    if type(matcher) is FilterMatcher and matcher._exclude:  # the segment's deletions
        left_out, matcher = matcher._ids, matcher.child
    terminfo = getattr(matcher, "terminfo", None)
    run = None if terminfo is None else run_of_documents(terminfo)
    return None if run is None else (run[1], left_out)


def postings_size(matcher) -> int | None:
    """About how much a matcher's documents take to read (bytes of postings; None when it
    cannot be told without reading them)."""
    if isinstance(matcher, NullMatcherClass) or not matcher.is_active():
        return 0
    if type(matcher) is W3LeafMatcher:
        return _list_bytes(matcher)
    if isinstance(matcher, ListMatcher):
        return len(matcher._ids)
    if isinstance(matcher, WrappingMatcher):  # deletions filtered out, a boost
        return postings_size(matcher.child)
    if type(matcher) is IntersectionMatcher:
        sizes = [size for size in map(postings_size, (matcher.a, matcher.b)) if size is not None]
        return min(sizes) if sizes else None
    return None


class InlinedPostings(ListMatcher):
    """The postings a term keeps in its own entry (`W3TermInfo.inlined_postings`), read as
    Whoosh reads any other term's block: None for a posting without a value (a field whose
    format has none), where Whoosh's ListMatcher answers a text, which a merge refuses."""

    def __init__(self, terminfo, format_, term=None, scorer=None):
        ids, weights, values = terminfo.inlined_postings()
        super().__init__(ids, weights, values, format_, scorer, term=term, terminfo=terminfo)

    def value(self):
        return self._values[self._i] if self._values else None

    def all_items(self):
        return zip(self._ids, self._values or (None,) * len(self._ids), strict=True)


def postings_reader(codec, dbfile, terminfo, format_, term=None, scorer=None):
    """W3Codec.postings_reader, with an inlined list read by `InlinedPostings`, and the term's
    statistics kept on the matcher."""
    if terminfo.is_inlined():
        matcher = InlinedPostings(terminfo, format_, term=term, scorer=scorer)
    else:
        matcher = WHOOSH_POSTINGS_READER(codec, dbfile, terminfo, format_, term=term, scorer=scorer)
    matcher.terminfo = terminfo  # its statistics, for run_to and archive.search.whoosh_scoring
    return matcher


def run_of_documents(terminfo) -> tuple[int, int] | None:
    """(first, last) when a term's postings are every document from its first to its last,
    as its statistics tell (a posting a document, in order); else None."""
    first, last = terminfo.min_id(), terminfo.max_id()
    if first is None or terminfo.doc_frequency() != last - first + 1:
        return None
    return first, last


def read_postings_faster():
    W3Codec.postings_reader = postings_reader
    W3LeafMatcher.skip_to = skip_within_block
    W3LeafMatcher.all_ids = ids_by_block
    W3LeafMatcher._read_ids = read_block_ids
    IntersectionMatcher.all_ids = intersection_ids
