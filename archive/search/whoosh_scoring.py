"""A search of words scored a posting list at a time, for the Whoosh extension.

Whoosh scores a search document by document: each match moves the matchers
of the query's tree to it (an AND skips each side to the other's document)
and asks each word's scorer for its BM25 score, about ten Python calls per
word per document. Its block bounds (a block's highest count with its
shortest text, from different documents) seldom let it skip a block of a
common word, and a search with facets visits every match anyway to count
it: `/search/?q=said` scored the 93,661 articles that say "said" one by
one, 0.45 of its 0.5 s at 100,000 articles.

`scored_at_once` gives the same answer from whole posting lists: every
posting of each word of the query is read a block at a time and scored in
one expression per list (Whoosh's own BM25 arithmetic on the same numbers:
the document's count and its field length), the lists combined as the
query's matchers combine them (the matchers Whoosh's collectors would make,
in the same search context: an AND adds the two sides' scores of the
documents in both, an OR adds where both match, an OR of three words or
more in a small segment adds them up in order as Whoosh's array does), and
the best `limit`
taken by score, then document number, as Whoosh's TopCollector keeps them.
A model's filter that covers a run of the segment's documents (see
archive.search.whoosh_postings) adds its constant score without being read;
of an AND with one side far rarer than the other (the rule by which
whoosh_postings leapfrogs), the common side is skipped through to the rare
side's documents and scored only there ("xinjiang said" would otherwise read
and score every "said").
The scores are Whoosh's to the bit, so the order is the same; the count is
the number of documents scored, and the facets count those documents.

A phrase (archive.search.whoosh_phrase) is found by its own matcher,
document after document as before, and each document's score worked out
beside it without the scorer's calls.

It answers None, and the search goes through Whoosh's collectors as
before, for a query with any part it does not know (wildcards, a boost):
only words, phrases, ANDs, ORs and exclusions are scored at once.

`sorted_at_once` does the same for a search in an order of the documents'
own (newest first): there are no scores, and Whoosh's SortingCollector took
each match in turn through four collectors to look its key up; here each
segment's matches are read as one list (`all_ids`, as the collectors read
them) and their keys looked up in the SortKeysCollector's table at once.
"""

from array import array
from heapq import nlargest, nsmallest
from itertools import chain

from whoosh import query as whoosh_query
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching import (
    AndNotMatcher,
    ArrayUnionMatcher,
    IntersectionMatcher,
    NullMatcherClass,
    UnionMatcher,
)
from whoosh.matching.wrappers import FilterMatcher, InverseMatcher
from whoosh.scoring import BM25FScorer, WeightScorer
from whoosh.searching import Results, TimeLimit
from whoosh.util.numeric import byte_to_length

from archive.search.whoosh_phrase import PhraseMatcher, RarestFirstPhrase, tree_sum
from archive.search.whoosh_postings import (
    LEAPFROG_RATIO,
    InlinedPostings,
    KeptWith,
    postings_size,
    run_to,
)

_LENGTHS = KeptWith()  # segment reader -> {field name: each document's length}
_BYTE_LENGTHS = [0] + [byte_to_length(b) for b in range(1, 256)]


def scored_at_once(searcher, query, limit: int, deadline, groupedby=None, allow=None):
    """Whoosh's Results for the `limit` best documents of `query`, every match counted and
    `groupedby`'s SegmentValuesFacet facets counted over them; or None when the query has a
    part that cannot be scored a list at a time. Only the documents of the query `allow`
    are kept, if given, as a FilterCollector keeps them. `deadline.check()` is called
    between lists; a TimeLimit it raises ends the search with the segments scored so far."""
    groupedby = groupedby or {}
    if searcher.weighting.use_final or not _per_segment(groupedby) or not _words_only(query):
        return None
    context = searcher.context()  # as Whoosh's collectors make the matchers
    segments = [
        (sub, offset, query.matcher(sub, context)) for sub, offset in searcher.leaf_searchers()
    ]
    if not all(_scorable(matcher) for _, _, matcher in segments):
        return None
    facetmaps = {name: facet.map(None) for name, facet in groupedby.items()}
    best, total = [], 0
    try:
        for sub, offset, matcher in segments:
            reader = sub.reader()
            scores = _scores(matcher, reader, deadline)
            if allow is not None and scores:
                allowed = set(allow.matcher(sub).all_ids())
                scores = {doc: score for doc, score in scores.items() if doc in allowed}
            total += len(scores)
            for name, facet in groupedby.items():
                facet.table(reader, facet.fieldname).count(scores, facetmaps[name].dict)
            # Highest score first, then the lowest document number, as TopCollector keeps them.
            ranked = ((score, -offset - doc) for doc, score in scores.items())
            best = nlargest(limit, chain(best, ranked))
    except TimeLimit:
        pass  # what the segments scored in time found
    return _results(
        searcher, query, [(score, -negated) for score, negated in best], total, facetmaps
    )


def sorted_at_once(searcher, query, collector, deadline, groupedby=None, allow=None):
    """Whoosh's Results of a search in an order of the documents' own (newest first, …):
    each segment's matches read as one list and their keys looked up in `collector`'s table
    (a SortKeysCollector, which Whoosh's collectors would feed one document at a time), the
    first `collector.limit` as its sort gives them, every match counted and `groupedby`'s
    facets counted over them; None when a key depends on the match, or a facet is not
    counted from the segments' tables. `allow`, `deadline`: as for `scored_at_once`."""
    groupedby = groupedby or {}
    if not _per_segment(groupedby):
        return None
    collector.prepare(searcher, query, searcher.context())
    if collector.categorizer.needs_current:
        return None
    facetmaps = {name: facet.map(None) for name, facet in groupedby.items()}
    items, total = [], 0
    try:
        for sub, offset in searcher.leaf_searchers():
            collector.set_subsearcher(sub, offset)  # the segment's matcher and keys
            documents = list(collector.matcher.all_ids())
            if allow is not None and documents:
                allowed = set(allow.matcher(sub).all_ids())
                documents = [doc for doc in documents if doc in allowed]
            total += len(documents)
            reader = sub.reader()
            for name, facet in groupedby.items():
                facet.table(reader, facet.fieldname).count(documents, facetmaps[name].dict)
            keys = collector._keys
            items.extend((keys[doc], offset + doc) for doc in documents)
            deadline.check()
    except TimeLimit:
        pass  # what the segments read in time found
    # As SortingCollector: its items sorted (reversed if asked), the first `limit`.
    first = nlargest if collector.reverse else nsmallest
    return _results(searcher, query, first(collector.limit, items), total, facetmaps)


def _per_segment(groupedby) -> bool:
    """Whether every facet is counted from the segments' tables (SegmentValuesFacet)."""
    return all(callable(getattr(facet, "table", None)) for facet in groupedby.values())


def _results(searcher, query, top, total: int, facetmaps: dict) -> Results:
    results = Results(searcher, query, top)
    results._total = total
    results._facetmaps = facetmaps
    return results


def _words_only(query) -> bool:
    """Whether a query is words (terms) joined by AND, OR and NOT alone, asked before any
    matcher is made (a wildcard's reads the index's words)."""
    kind = type(query)
    if kind is whoosh_query.Term:
        return True
    if kind in (whoosh_query.And, whoosh_query.Or):
        return all(map(_words_only, query.subqueries))
    if kind is whoosh_query.Not:
        return _words_only(query.query)
    return kind is RarestFirstPhrase and query.boost == 1.0


def _scorable(matcher) -> bool:
    kind = type(matcher)
    if isinstance(matcher, NullMatcherClass):
        return True
    if kind is IntersectionMatcher and InverseMatcher in (type(matcher.a), type(matcher.b)):
        return not all(type(side) is InverseMatcher for side in (matcher.a, matcher.b)) and all(
            type(side) is InverseMatcher or _scorable(side) for side in (matcher.a, matcher.b)
        )  # an exclusion beside what it excludes from
    if kind in (IntersectionMatcher, UnionMatcher):
        return _scorable(matcher.a) and _scorable(matcher.b)
    if kind is AndNotMatcher:
        return _scorable(matcher.a)
    if kind is ArrayUnionMatcher:  # an OR of three words or more in a small segment
        return matcher._scored and all(map(_scorable, matcher._submatchers))
    if kind is FilterMatcher:
        return matcher.boost == 1.0 and _scorable(matcher.child)
    if kind is PhraseMatcher:
        return all(map(_scorable, matcher.children()))
    if kind in (W3LeafMatcher, InlinedPostings):
        return type(_scorer(matcher)) in (BM25FScorer, WeightScorer)
    return False


def _scorer(leaf):
    return leaf.scorer if type(leaf) is W3LeafMatcher else leaf._scorer


def _scores(matcher, reader, deadline) -> dict[int, float]:
    """Each document the matcher matches from where it is, with the score Whoosh gives it."""
    kind = type(matcher)
    if isinstance(matcher, NullMatcherClass) or not matcher.is_active():
        return {}
    if kind is IntersectionMatcher:
        for inverse, other in ((matcher.b, matcher.a), (matcher.a, matcher.b)):
            if type(inverse) is InverseMatcher:  # NOT a word: scores its weight where it matches
                return _without(_scores(other, reader, deadline), inverse)
        for run_side, other in ((matcher.b, matcher.a), (matcher.a, matcher.b)):
            run = _run_of_ones(run_side)
            if run is not None:  # each document of the run scores its weight, 1.0
                last, left_out = run
                scores = _scores(other, reader, deadline)
                return {
                    doc: score + 1.0
                    for doc, score in scores.items()
                    if doc <= last and doc not in left_out
                }
        sizes = postings_size(matcher.a), postings_size(matcher.b)
        if None not in sizes and min(sizes) * LEAPFROG_RATIO <= max(sizes):
            # One side far rarer (as whoosh_postings.intersection_ids leapfrogs): the other
            # is scored only at its documents, not read whole.
            if sizes[0] <= sizes[1]:
                a = _scores(matcher.a, reader, deadline)
                b = _scores_at(matcher.b, sorted(a), reader, deadline)
            else:
                b = _scores(matcher.b, reader, deadline)
                a = _scores_at(matcher.a, sorted(b), reader, deadline)
        else:
            a, b = _scores(matcher.a, reader, deadline), _scores(matcher.b, reader, deadline)
        return {doc: score + b[doc] for doc, score in a.items() if doc in b}
    if kind is UnionMatcher:
        a, b = _scores(matcher.a, reader, deadline), _scores(matcher.b, reader, deadline)
        both = {doc: score + b[doc] for doc, score in a.items() if doc in b}
        return {**a, **b, **both}
    if kind is ArrayUnionMatcher:
        return _array_union_scores(matcher, reader, deadline)
    if kind is AndNotMatcher:
        scores = _scores(matcher.a, reader, deadline)
        if scores and matcher.b.is_active():
            excluded = set(matcher.b.all_ids())
            scores = {doc: score for doc, score in scores.items() if doc not in excluded}
        return scores
    if kind is FilterMatcher:
        scores, ids = _scores(matcher.child, reader, deadline), matcher._ids
        if matcher._exclude:
            return {doc: score for doc, score in scores.items() if doc not in ids}
        return {doc: score for doc, score in scores.items() if doc in ids}
    if kind is PhraseMatcher:
        return _phrase_scores(matcher, reader)
    deadline.check()
    ids, weights = _postings(matcher)
    return dict(zip(ids, map(_leaf_score(matcher, reader), weights, ids), strict=True))


def _leaf_score(leaf, reader):
    """A function of (weight, document) giving a leaf's score there as its scorer's
    `score(matcher)` does, without the scorer's calls for the field length."""
    scorer = _scorer(leaf)
    if type(scorer) is WeightScorer:  # a field without lengths: the weight is the score
        return lambda weight, doc: weight
    lengths = field_lengths(reader, leaf._term[0])
    idf, avgfl, b, k1 = scorer.idf, scorer.avgfl, scorer.B, scorer.K1

    def bm25(tf, doc):  # whoosh.scoring.bm25, term for term
        return idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * lengths[doc] / avgfl)))

    return bm25


def _scores_at(matcher, documents: list[int], reader, deadline) -> dict[int, float]:
    """The scores `_scores` gives of the matcher's documents among `documents` (sorted, from
    where it is), a word's list skipped to each instead of read whole."""
    leaf = matcher.child if type(matcher) is FilterMatcher else matcher
    if type(leaf) not in (W3LeafMatcher, InlinedPostings):
        scores = _scores(matcher, reader, deadline)
        return {doc: scores[doc] for doc in documents if doc in scores}
    deadline.check()
    scores, score = {}, _score_here(matcher, reader)
    for doc in documents:
        if not matcher.is_active():
            break
        if matcher.id() < doc:
            matcher.skip_to(doc)  # past its deletions too, for a filtered leaf
        if matcher.is_active() and matcher.id() == doc:
            scores[doc] = score()
    return scores


def _array_union_scores(union, reader, deadline) -> dict[int, float]:
    """An ArrayUnionMatcher's documents and scores: those of the part it has read already
    (its array of sums), then the rest, each document's sum added up as it adds them (from
    0, each word's score times the boost, in the words' order; a sum not above 0 is no
    match)."""
    array_, offset, boost = union._a, union._offset, union._boost
    scores = {
        doc: array_[doc - offset]
        for doc in range(union._docnum, union._limit)
        if array_[doc - offset] > 0
    }
    sums = {}
    for word in union._submatchers:  # each now past the part read
        for doc, score in _scores(word, reader, deadline).items():
            sums[doc] = sums.get(doc, 0) + score * boost
    scores.update((doc, total) for doc, total in sums.items() if total > 0)
    return scores


def _phrase_scores(phrase, reader) -> dict[int, float]:
    """Each document a PhraseMatcher finds (it checks the deadline between documents), with
    its score: the sum of its words' (or word pairs') scores, each worked out as BM25FScorer
    works it out, added up as the matcher adds them (`tree_sum`)."""
    scores = {}
    parts = [_score_here(leaf, reader) for leaf in phrase.children()]
    while phrase.is_active():
        scores[phrase.id()] = tree_sum(parts)
        phrase.next()
    return scores


def _score_here(matcher, reader):
    """A function of no argument: a leaf's score at its current document."""
    leaf = matcher.child if type(matcher) is FilterMatcher else matcher  # its deletions
    score, weight, here = _leaf_score(leaf, reader), leaf.weight, leaf.id
    return lambda: score(weight(), here())


def _without(scores: dict[int, float], inverse) -> dict[int, float]:
    """`scores` of the documents an InverseMatcher matches (those before its end and not its
    child's), each with its weight added. Its `missing` (the segment's deletions, as
    whoosh.query.Not makes it) is not asked: `scores` come from word lists that leave the
    deleted documents out already."""
    child, weight = inverse.child, inverse.weight()
    excluded = set(child.all_ids()) if child.is_active() else set()
    return {
        doc: score + weight
        for doc, score in scores.items()
        if doc < inverse.limit and doc not in excluded
    }


def _run_of_ones(matcher) -> tuple[int, frozenset] | None:
    """(last, left out) when the matcher is a run of documents (whoosh_postings.run_to) that
    a WeightScorer scores 1.0 each: every weight 1.0, as a model's filter term has them
    (weights at most 1.0 that add up to the number of documents are all 1.0)."""
    run = run_to(matcher)
    if run is None:
        return None
    leaf = matcher.child if type(matcher) is FilterMatcher else matcher
    terminfo = leaf.terminfo
    if type(_scorer(leaf)) is not WeightScorer or terminfo.max_weight() > 1.0:
        return None
    return run if terminfo.weight() == terminfo.doc_frequency() else None


def _postings(matcher) -> tuple[list[int], list[float]]:
    """A leaf's documents and weights from where it is on (the matcher used up after)."""
    if type(matcher) is InlinedPostings:
        start, count = matcher._i, len(matcher._ids)
        matcher._i = count
        weights = matcher._weights or (1.0,) * count  # ListMatcher.weight
        return list(matcher._ids[start:]), list(weights[start:])
    ids, weights = [], []
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        matcher._read_weights()
        ids.extend(matcher._ids[matcher._i :])
        weights.extend(matcher._weights[matcher._i :])
        matcher._i = matcher._blocklength - 1
        matcher.next()
    return ids, weights


def field_lengths(reader, fieldname: str) -> array:
    """Each document's length in the field as BM25F's scorer reads it (`doc_field_length`
    with a default of 1: its byte in the segment's lengths column, decoded), kept as long
    as the segment's reader: 4 bytes a document."""
    return _LENGTHS.get(reader, fieldname, lambda: _read_lengths(reader, fieldname))


def _read_lengths(reader, fieldname: str) -> array:
    count = reader.doc_count_all()
    column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:  # no document has the field: Whoosh's default
        return array("I", [1]) * count
    stored = column._dbfile.get(column._basepos, min(column._count, count))
    lengths = array("I", map(_BYTE_LENGTHS.__getitem__, stored))
    lengths.extend(array("I", [0]) * (count - len(lengths)))
    return lengths
