"""The Whoosh backend keeps its open segments across commits and still sees every change."""

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from haystack import connections
from haystack.query import SearchQuerySet

from archive.articles import save_article
from archive.models import Article

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seeds(seed_dir):
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())
    # One segment holding every article and one their quotes: too few segments for Whoosh
    # to merge on the next commit.
    call_command("rebuild_index", interactive=False, verbosity=0)
    return list(Article.objects.order_by("pk"))


def segment_readers(searcher):
    return {r.segment().segment_id(): r for r, _ in searcher.reader().leaf_readers()}


def hits(word):
    return sorted(int(r.pk) for r in SearchQuerySet().models(Article).filter(content=word))


def test_an_edit_reopens_only_the_new_segment_and_hides_the_replaced_document(seeds):
    backend = connections["default"].get_backend()
    before = segment_readers(backend.searcher())
    assert hits("Kunbolat") == [seeds[2].pk]

    seeds[2].body = (
        seeds[2].body.replace("Kunbolat", "Kunbolatov", 1) + "\n\nNew words: zebrafinch."
    )
    save_article(seeds[2])

    after = segment_readers(backend.searcher())
    # The rebuild wrote one segment of articles and one of their quotes; the edit wrote the
    # article with its quotes, and the quotes again once re-extracted after the commit.
    assert len(before) == 2 and len(after) in (3, 4)
    for kept in before:
        assert after[kept] is before[kept], "the unchanged segments stay open"
    # The old version of the article sat in a kept segment: it must not match any more.
    assert hits("zebrafinch") == [seeds[2].pk]
    assert len(SearchQuerySet().models(Article).filter(content="Xinjiang")) == len(
        {int(r.pk) for r in SearchQuerySet().models(Article).filter(content="Xinjiang")}
    )
    assert SearchQuerySet().models(Article).count() == len(seeds)


def test_unpublishing_hides_the_article_from_a_searcher_that_was_already_open(seeds):
    backend = connections["default"].get_backend()
    backend.searcher()
    seeds[0].status = Article.Status.DRAFT
    save_article(seeds[0])
    assert seeds[0].pk not in hits("China")
    assert SearchQuerySet().models(Article).count() == len(seeds) - 1


@pytest.mark.slow
def test_edits_merge_their_own_small_segments_but_never_a_big_one(seeds, monkeypatch):
    from archive.search import whoosh_backend

    # The rebuilt segments of five articles and of their six quotes count as big here;
    # an edit's, an article with at most three quotes, as small.
    monkeypatch.setattr(whoosh_backend, "SMALL_SEGMENT_DOCS", 5)
    backend = connections["default"].get_backend()
    big = set(segment_readers(backend.searcher()))
    assert len(big) == 2
    for number in range(3 * whoosh_backend.SMALL_SEGMENTS_BEFORE_MERGE):
        article = seeds[number % len(seeds)]
        article.body += f"\n\nEdit number {number}."
        save_article(article)
        segments = segment_readers(backend.searcher())
        assert big <= set(segments), "an edit never merges a big segment"
        # the big ones, the small ones waiting to be merged, and the one just written
        assert len(segments) <= 3 + whoosh_backend.SMALL_SEGMENTS_BEFORE_MERGE
    assert SearchQuerySet().models(Article).count() == len(seeds)
    assert hits("Kunbolat") == [seeds[2].pk]


def test_sync_index_merges_the_small_segments_edits_left(seeds, monkeypatch):
    from archive.search import whoosh_backend

    monkeypatch.setattr(whoosh_backend, "SMALL_SEGMENT_DOCS", 5)
    backend = connections["default"].get_backend()
    big = set(segment_readers(backend.searcher()))  # the articles', their quotes'
    for article in seeds[:4]:
        article.body += "\n\nA correction."
        save_article(article)
    assert len(segment_readers(backend.searcher())) == 2 + 4

    out = io.StringIO()
    call_command("sync_index", stdout=out)
    assert "Merged 4 small index segments into one." in out.getvalue()
    segments = segment_readers(backend.searcher())
    assert len(segments) == 3 and big <= set(segments)
    assert SearchQuerySet().models(Article).count() == len(seeds)
    assert hits("correction") == sorted(a.pk for a in seeds[:4])


def another_process(backend):
    """A second backend on the same index, as another server process or a rebuild would have."""
    from archive.search.whoosh_backend import ArchiveWhooshSearchBackend

    other = ArchiveWhooshSearchBackend(
        backend.connection_alias, **connections.connections_info[backend.connection_alias]
    )
    other.setup()
    return other


def generation(backend) -> int:
    """The number of the index's latest commit, as Whoosh names its table of contents."""
    names = [path.name for path in Path(backend.path).iterdir()]
    return max(int(m[1]) for name in names if (m := re.fullmatch(r"_MAIN_(\d+)\.toc", name)))


def test_a_searcher_from_before_a_rebuild_is_not_taken_for_the_rebuilt_index(seeds):
    backend = connections["default"].get_backend()
    for number in range(3):  # the old index reaches a few commits
        seeds[-1].title += f" ({number})"
        save_article(seeds[-1])
    before = generation(backend)
    assert backend.model_doc_count(Article) == len(seeds)

    # Another process rebuilds the index, then saves an article until the
    # rebuilt index's commit number is back where the old one was.
    rebuild = another_process(backend)
    index = connections["default"].get_unified_index().get_index(Article)
    rebuild.clear()
    rebuild.update(index, list(Article.objects.order_by("pk")))
    first = Article.objects.order_by("pk").first()
    while generation(rebuild) < before - 1:
        rebuild.update(index, [first])
    Article.objects.filter(pk=first.pk).update(title=f"{first.title} Zephyrine")
    rebuild.update(index, [Article.objects.get(pk=first.pk)])
    assert generation(rebuild) == before

    assert hits("Zephyrine") == [first.pk]
    # A deletion by this process removes that article, not the one at its old number.
    backend.remove(seeds[-1])
    indexed = sorted(int(r.pk) for r in SearchQuerySet().models(Article))
    assert indexed == [a.pk for a in seeds[:-1]]


def test_a_rebuild_waits_for_a_writer_instead_of_emptying_the_index_under_it(seeds):
    from whoosh.index import LockError

    backend = connections["default"].get_backend()
    backend.lock_timeout = 0.3
    saving = another_process(backend).index.writer()  # another process in the middle of a save
    try:
        with pytest.raises(LockError):
            call_command("clear_index", interactive=False, verbosity=0)
    finally:
        saving.commit()
    assert SearchQuerySet().models(Article).count() == len(seeds)

    call_command("clear_index", interactive=False, verbosity=0)  # once the lock is free
    assert SearchQuerySet().models(Article).count() == 0
    # Emptied in place: only the lock file, the empty commit and the servers' records remain.
    assert sorted(p.name for p in Path(backend.path).iterdir()) == [
        "MAIN_WRITELOCK",
        "_MAIN_0.toc",
        "servers",
    ]


def _segment_sizes(index) -> list[int]:
    return sorted(segment.doc_count_all() for segment in index._segments())


def test_large_batches_merge_segments_of_articles_apart_from_segments_of_quotes(tmp_path):
    """A rebuild writes its articles' segments, then its quotes'; merged by size alone, ten of
    them could mix the two, and a search of quotes would read articles' postings too."""
    from haystack.constants import DJANGO_CT
    from whoosh import fields, index
    from whoosh.writing import NO_MERGE

    from archive.search.whoosh_backend import MERGE_TIER, _tier, merge_tiers

    schema = fields.Schema(id=fields.ID(stored=True, unique=True), **{DJANGO_CT: fields.ID()})
    ix = index.create_in(tmp_path, schema)
    numbers = iter(range(100_000))
    for _ in range(MERGE_TIER):
        for kind in ("archive.article", "archive.quote"):  # twenty of a size, interleaved
            writer = ix.writer()
            for _ in range(20):
                writer.add_document(id=str(next(numbers)), **{DJANGO_CT: kind})
            writer.commit(mergetype=NO_MERGE)

    # A rebuild's segments of about REBUILD_BATCH / 2 documents are of one size, whether a
    # few more or a few fewer.
    assert _tier(9_600) == _tier(10_000) == _tier(10_400) != _tier(1_000)

    ix.writer().commit(mergetype=merge_tiers)  # a commit of a rebuild's writer processes
    with ix.reader() as reader:
        kinds = [sorted(leaf.lexicon(DJANGO_CT)) for leaf, _ in reader.leaf_readers()]
    assert sorted(map(len, kinds)) == [1] * (MERGE_TIER + 1)  # each segment of one model
    assert _segment_sizes(ix) == [20] * MERGE_TIER + [20 * MERGE_TIER]


def test_large_batches_merge_segments_of_a_size_once_ten_have_piled_up(tmp_path):
    """A rebuild writes a segment or two per batch; `merge_tiers` merges ten of about the same
    size into one, and leaves segments of other sizes alone: each document is merged about
    once per tenfold growth, not the whole index again every twenty segments (MERGE_SMALL)."""
    from whoosh import fields, index
    from whoosh.writing import NO_MERGE

    from archive.search.whoosh_backend import MERGE_TIER, merge_tiers

    ix = index.create_in(tmp_path, fields.Schema(id=fields.ID(stored=True, unique=True)))
    numbers = iter(range(100_000))

    def write_segment(documents, mergetype=NO_MERGE):
        writer = ix.writer()
        for _ in range(documents):
            writer.add_document(id=str(next(numbers)))
        writer.commit(mergetype=mergetype)

    write_segment(300)  # an earlier, larger tier
    for _ in range(MERGE_TIER - 1):
        write_segment(20)
    # A commit merges what was there before it: nine of tier 10–99, not yet.
    write_segment(25, mergetype=merge_tiers)
    assert _segment_sizes(ix) == [20] * (MERGE_TIER - 1) + [25, 300]

    # Ten of them now: the next batch's commit merges them with its own documents.
    write_segment(30, mergetype=merge_tiers)
    merged = 20 * (MERGE_TIER - 1) + 25 + 30
    assert _segment_sizes(ix) == [merged, 300]
    with ix.searcher() as searcher:
        assert searcher.doc_count() == 300 + merged
