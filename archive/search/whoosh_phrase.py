"""Phrase search for the Whoosh extension: documents from the rarest word first, and a more
common word read only where the rarer ones still leave room for the phrase.

Whoosh 2.7.4 matches a phrase with SpanNear2: a binary tree of intersections
in the phrase's own order, so "the current turmoil in the credit" walks the
postings of "the", "in" and "the" against each other before "turmoil"
narrows anything, and at every document of that walk it makes a Span object
for every position of every word and joins them pair by pair. At 20,000
articles that was most of a pasted quotation's search (a profile of 30
quotations: 19 of 27 s in SpanNear2's matcher).

`RarestFirstPhrase` finds the same documents with the same scores:
- the rarest word of the phrase (in the segment searched) leads; in each of
  its documents the phrase could start wherever every word k of it is at
  start + k: the words, rarest next, are brought to the document one by
  one, each narrowing the possible starts with the set of its positions,
  and the first that is missing or leaves no start ends the look there, so
  the common words are read only where the rarer ones are, in a row;
- the score is Whoosh's: the sum of the words' scores, added up in the same
  binary tree as SpanNear2's intersections, so the order of hits is the same
  to the last bit.

Where the index holds the pairs of neighbouring words of which one is common
(archive.search.whoosh_analysis.WordPairs), a phrase is matched by those
pairs and by its words that are in none (`phrase_parts`): "of the two" reads
"of the" and "the two", not the 300,000 documents of "the". A pair stands at
its first word's position, so it takes part as a word does, at its offset in
the phrase. The documents found are the same; the score is then the sum of
the pairs' and lone words' scores (a pair's weighed against the other pairs
of the documents), so the order among a phrase's hits is not Whoosh's. A
segment with any document indexed without its pairs (written by older code,
or merged from such a segment) is matched word by word, as above.

The time limit of the search (archive.search.whoosh_backend.Deadline) is
checked at each document that does not have the phrase, so a phrase of
common words found in few places still stops in time.

Skipping a common word's postings to the next rare one's document is then
most of the work: see archive.search.whoosh_postings for how that was made
cheaper.
"""

from dataclasses import dataclass
from itertools import accumulate
from pickle import loads

from whoosh import formats
from whoosh import query as whoosh_query
from whoosh.matching import NullMatcher, ReadTooFar, WrappingMatcher
from whoosh.matching.mcore import Matcher
from whoosh.query.spans import Span

from archive.search.whoosh_analysis import PAIRED, pair, pair_starts, pairs_field

PAIRED_TERM = PAIRED.encode("utf-8")


class RarestFirstPhrase(whoosh_query.Phrase):
    """Whoosh's Phrase (words in a row, slop 1), matched rarest word first."""

    def __init__(self, fieldname, words, deadline=None, boost=1.0, char_ranges=None):
        super().__init__(fieldname, words, slop=1, boost=boost, char_ranges=char_ranges)
        self.deadline = deadline

    @classmethod
    def of(cls, phrase: whoosh_query.Phrase, deadline=None):
        return cls(
            phrase.fieldname,
            list(phrase.words),
            deadline=deadline,
            boost=phrase.boost,
            char_ranges=phrase.char_ranges,
        )

    def matcher(self, searcher, context=None):
        fieldname = self.fieldname
        if fieldname not in searcher.schema:
            return NullMatcher()
        field = searcher.schema[fieldname]
        if not field.format or not field.format.supports("positions"):
            raise whoosh_query.QueryError(f"Phrase search: {fieldname!r} field has no positions")
        reader = searcher.reader()
        try:
            words = [field.to_bytes(word) for word in self.words]
        except ValueError:
            return NullMatcher()
        parts = [(k, fieldname, word) for k, word in enumerate(words)]
        pairs = pairs_field(fieldname)
        if len(words) > 1 and pairs in searcher.schema and all_paired(reader, pairs):
            parts = phrase_parts(fieldname, pairs, words)
        frequencies = []
        matchers = []
        for _, name, text in parts:
            if (name, text) not in reader:
                return NullMatcher()  # a word the segment does not have: no phrase in it
            frequencies.append(reader.doc_frequency(name, text))
            matchers.append(whoosh_query.Term(name, text).matcher(searcher, context))
        rarest_first = sorted(range(len(matchers)), key=lambda k: (frequencies[k], k))
        matcher = PhraseMatcher(
            matchers,
            rarest_first,
            positions_of(field.format),
            self.deadline,
            offsets=[k for k, _, _ in parts],
            length=len(words),
        )
        if self.boost != 1.0:
            matcher = WrappingMatcher(matcher, boost=self.boost)
        return matcher


def all_paired(reader, pairs: str) -> bool:
    """Whether every document of the segment of `reader` has its word pairs indexed.

    A segment written before the pairs were, or merged from such a segment,
    has documents without them: its phrases are matched word by word.
    """
    return reader.doc_frequency(pairs, PAIRED_TERM) == reader.doc_count_all()


@dataclass(frozen=True)
class PairsReport:
    """How much of the index has its word pairs: the segments and documents without them
    (written by code from before the pairs, or merged from such segments)."""

    segments: int
    unpaired_segments: int
    unpaired_documents: int

    def __str__(self):
        if not self.unpaired_segments:
            return (
                f"Word pairs: in all {self.segments} segment(s) of the index "
                "(phrases of common words are matched through them)."
            )
        return (
            f"Word pairs: {self.unpaired_segments} of {self.segments} segment(s) of the index, "
            f"{self.unpaired_documents:,} document(s), were written without them: phrases of "
            "common words are matched there word by word, more slowly (rebuild_index writes "
            "every document with them)."
        )


def pairs_report(reader, pairs: str) -> PairsReport:
    """Which segments of the index read by `reader` lack word pairs in the field `pairs`."""
    unpaired = [leaf for leaf, _ in reader.leaf_readers() if not all_paired(leaf, pairs)]
    return PairsReport(
        segments=len(reader.leaf_readers()),
        unpaired_segments=len(unpaired),
        unpaired_documents=sum(leaf.doc_count() for leaf in unpaired),
    )


def phrase_parts(fieldname: str, pairs: str, words: list[bytes]) -> list[tuple[int, str, bytes]]:
    """The terms a phrase of `words` is matched by, each with its offset in the phrase and its
    field: every pair of neighbouring words of which one is common, and the words in no such
    pair."""
    terms = [word.decode("utf-8") for word in words]
    starts = pair_starts(terms)
    parts = [(k, pairs, pair(terms[k], terms[k + 1]).encode("utf-8")) for k in starts]
    covered = {*starts, *(k + 1 for k in starts)}
    parts += [(k, fieldname, words[k]) for k in range(len(words)) if k not in covered]
    return sorted(parts, key=lambda part: part[0])


class PhraseMatcher(Matcher):
    """The documents where the words of `matchers` (in phrase order) are in a row.

    `order` is the order in which the words are looked at: the first leads;
    `positions` reads a word's positions from its posting's value. A matcher
    may be of a pair of words: `offsets` gives where each matcher's term is in
    the phrase (by default, matcher k at k) and `length` the phrase's words.
    """

    def __init__(self, matchers, order, positions, deadline=None, offsets=None, length=None):
        self._matchers = matchers
        self._order = order
        self._positions = positions
        self._deadline = deadline
        self._offsets = list(range(len(matchers))) if offsets is None else offsets
        self._length = len(matchers) if length is None else length
        self._starts = ()  # where the phrase starts in the current document
        self._active = True
        self._find()

    # Finding ---------------------------------------------------------------

    def _find(self):
        """Stay on, or move to, the next document (from the leader's) where the phrase is.

        Each word, rarest first, is brought to the leader's document and its
        positions narrow where the phrase could start there; a more common
        word's postings are read only while the rarer ones leave a start.
        """
        positions = self._positions
        # (offset in the phrase, matcher), rarest word first; "position - k" as int.__add__.
        words = [((-self._offsets[k]).__add__, self._matchers[k]) for k in self._order]
        (lead_offset, leader), others = words[0], words[1:]
        check = self._deadline.check if self._deadline is not None else None
        while leader.is_active():
            document = leader.id()
            starts = set(map(lead_offset, positions(leader.value())))
            ahead = None
            for offset, other in others:
                if other.is_active() and other.id() < document:
                    other.skip_to(document)
                if not other.is_active():  # no more documents with this word
                    self._stop()
                    return
                here = other.id()
                if here > document:
                    ahead = here
                    break
                starts.intersection_update(map(offset, positions(other.value())))
                if not starts:
                    break
            else:
                self._starts = starts
                return
            if check is not None:
                check()
            if ahead is None:
                leader.next()
            else:
                leader.skip_to(ahead)
        self._stop()

    def _stop(self):
        self._active = False
        self._starts = ()

    # Whoosh's Matcher interface --------------------------------------------

    def is_active(self):
        return self._active

    def id(self):
        return self._matchers[self._order[0]].id()

    def next(self):
        if not self._active:
            raise ReadTooFar
        self._matchers[self._order[0]].next()
        self._find()

    def skip_to(self, id):
        if not self._active:
            raise ReadTooFar
        if id > self.id():
            self._matchers[self._order[0]].skip_to(id)
            self._find()

    def reset(self):
        for matcher in self._matchers:
            matcher.reset()
        self._active = True
        self._find()

    def copy(self):
        return PhraseMatcher(
            [m.copy() for m in self._matchers],
            self._order,
            self._positions,
            self._deadline,
            self._offsets,
            self._length,
        )

    def replace(self, minquality=0):
        return self if self._active else NullMatcher()

    def children(self):
        return list(self._matchers)

    def supports(self, astype):
        return False

    def spans(self):
        last = self._length - 1
        return [Span(start, start + last) for start in sorted(self._starts)]

    def weight(self):
        return tree_sum([m.weight for m in self._matchers])

    def score(self):
        return tree_sum([m.score for m in self._matchers])

    def max_quality(self):
        return tree_sum([m.max_quality for m in self._matchers])


def positions_of(field_format):
    """A function reading the positions from a posting's value in `field_format`.

    For Whoosh's Positions format (the archive's text field), its own decoding
    without a Python step per position: a phrase of common words reads the
    positions of every document that has them all.
    """
    if type(field_format) is not formats.Positions:
        return field_format.decoder("positions")

    def positions(value: bytes):
        # As Positions.decode_positions: a count, then the pickled gaps without the
        # pickle's final "." (restored).
        if not value.endswith(b"."):
            value += b"."
        return accumulate(loads(value[_COUNT_SIZE:]))

    return positions


_COUNT_SIZE = formats._INT_SIZE


def tree_sum(values) -> float:
    """The sum of the values (functions called for them) as Whoosh's `make_binary_tree` of
    intersections adds them up: floating-point sums depend on the order."""
    if len(values) == 1:
        return values[0]()
    half = len(values) // 2
    return tree_sum(values[:half]) + tree_sum(values[half:])
