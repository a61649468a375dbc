"""A search's facet counts, counted a segment at a time (SegmentFacetCollector), and its order,
sorted by keys kept per segment (SortKeysCollector), are those Whoosh gives reading document
by document: for scored and sorted searches (one or mixed directions, asked again), over
several segments with deleted documents, documents without a value, and a search stopped by
its time limit."""

import os
import random

import pytest
from whoosh import fields, query
from whoosh.collectors import FacetCollector
from whoosh.filedb.filestore import RamStorage
from whoosh.searching import TimeLimit
from whoosh.sorting import Count, FieldFacet, MultiFacet

from archive.search.whoosh_backend import (
    Deadline,
    DeadlineCollector,
    SegmentFacetCollector,
    SegmentValuesFacet,
    SortKeysCollector,
    search_collector,
)

WORDS = "camp detention china turkey family visa court police report school".split()
PLACES = ["xinjiang", "turkey", "kazakhstan", "norway", "usa"]


@pytest.fixture(scope="module")
def searcher():
    rng = random.Random(11)
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        text=fields.TEXT(),
        places=fields.KEYWORD(stored=True, commas=True),
        source=fields.ID(stored=True, sortable=True),
        newest=fields.NUMERIC(numtype=int, sortable=True),
    )
    # A name of its own: Whoosh writes a segment through a folder named after the index in
    # the system temp folder, which another test worker may be writing and removing too.
    index = RamStorage().create_index(schema, indexname=f"test{os.getpid()}")
    for segment in range(3):
        writer = index.writer()
        for n in range(segment * 250, segment * 250 + 250):
            document = {
                "id": str(n),
                "text": " ".join(rng.choices(WORDS, k=12)),
                "newest": rng.randrange(1000),
            }
            if n % 9:  # some documents have no source, or no places
                document["source"] = rng.choice(["wire", "paper", "radio"])
            if n % 7:
                document["places"] = ",".join(rng.sample(PLACES, rng.randint(1, 3)))
            writer.add_document(**document)
        writer.commit(merge=False)
    writer = index.writer()
    for n in range(0, 750, 13):
        writer.delete_by_term("id", str(n))
    writer.commit(merge=False)
    with index.searcher() as searcher:
        yield searcher


def counts(collector):
    results = collector.results()
    return {name: results.groups(name) for name in results.facet_names()}, [
        hit["id"] for hit in results[:20]
    ]


SORTS = {  # haystack's names for the sort: Whoosh's sortedby and reverse
    (): (None, True),
    ("-newest",): (["newest"], True),
    ("source",): (["source"], False),
    ("-newest", "source"): (
        MultiFacet([FieldFacet("newest", reverse=True), FieldFacet("source")]),
        False,
    ),
}


@pytest.mark.parametrize("order", list(SORTS))
@pytest.mark.parametrize("word", ["camp", "school", "police"])
def test_facet_counts_and_order_are_whooshs_own(searcher, word, order):
    q = query.Term("text", word)
    sortedby, reverse = SORTS[order]
    for _ in range(2):  # the second time with the keys kept
        ours = search_collector(
            searcher,
            {"places": SegmentValuesFacet("places"), "source": SegmentValuesFacet("source")},
            order,
            limit=20,
            sortedby=sortedby,
            reverse=reverse,
        )
        assert isinstance(ours, SegmentFacetCollector)
        assert isinstance(ours.child, SortKeysCollector) == bool(order)
        searcher.search_with_collector(q, ours)
    whooshs = searcher.collector(
        limit=20,
        sortedby=sortedby,
        reverse=reverse,
        groupedby={
            "places": FieldFacet("places", allow_overlap=True, maptype=Count),
            "source": FieldFacet("source", allow_overlap=True, maptype=Count),
        },
    )
    searcher.search_with_collector(q, whooshs)
    assert counts(ours) == counts(whooshs)
    assert None in counts(ours)[0]["places"]  # documents without a place are counted too


def test_a_search_stopped_by_its_time_limit_counts_what_it_collected(searcher):
    deadline = Deadline(60)
    ours = DeadlineCollector(
        search_collector(searcher, {"source": SegmentValuesFacet("source")}, (), limit=20),
        deadline,
    )
    collected = []
    collect = ours.child.child.collect

    def collect_until_250(docnum):
        collected.append(docnum)
        if len(collected) == 250:  # in the second segment
            deadline.at = 0
        return collect(docnum)

    ours.child.child.collect = collect_until_250
    with pytest.raises(TimeLimit):
        searcher.search_with_collector(query.Term("text", "camp"), ours)
    assert deadline.passed
    counted = ours.results().groups("source")
    assert sum(counted.values()) == len(ours.results()) == len(collected)


def test_facets_of_other_kinds_are_counted_as_whoosh_counts_them(searcher):
    facets = {"source": FieldFacet("source", allow_overlap=True, maptype=Count)}
    collector = search_collector(searcher, facets, (), limit=20)
    assert type(collector) is FacetCollector
    searcher.search_with_collector(query.Term("text", "camp"), collector)
    assert sum(collector.results().groups("source").values()) == len(collector.results())


@pytest.mark.parametrize("fieldname", ["source", "places"])
def test_a_segments_values_are_kept_once_each_and_read_back_as_whoosh_stores_them(
    searcher, fieldname
):
    """The table a worker keeps per segment and field holds each distinct tuple of values
    once (4 bytes a document besides): at 100,000 articles and their quotes, a tuple per
    document took about 25 MB per field in every worker. Each document still reads back
    its own values, in the order Whoosh's overlapping facet gives them."""
    for reader in (s.reader() for s, _ in searcher.leaf_searchers()):
        table = SegmentValuesFacet.table(reader, fieldname)
        expected = {}
        for term in reader.lexicon(fieldname):
            for docnum in reader.postings(fieldname, term).all_ids():
                expected.setdefault(docnum, []).append(term.decode())
        for docnum in range(reader.doc_count_all()):
            assert table[docnum] == (tuple(expected.get(docnum, ())) or (None,))
        distinct = {tuple(values) for values in expected.values()}
        assert len(table.tuples) <= len(distinct) + len(list(reader.lexicon(fieldname))) + 1
        assert len(table.tuples) < reader.doc_count_all() / 4
        assert table.index.itemsize == 4
