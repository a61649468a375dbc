"""The search index follows publishing, unpublishing and deleting."""

import io

import pytest
from django.db import transaction
from haystack.query import SearchQuerySet

from archive.articles import delete_articles, save_article
from archive.models import Article, IndexQueue
from archive.search import indexing

pytestmark = pytest.mark.django_db(transaction=True)


def indexed_titles():
    return sorted(r.title for r in SearchQuerySet().all())


def make_article(**fields):
    defaults = dict(title="Karakax list leaked", slug="karakax", body="The Karakax list.")
    return save_article(Article(**{**defaults, **fields}))


def test_drafts_are_not_indexed():
    make_article(status=Article.Status.DRAFT)
    assert indexed_titles() == []


def test_publishing_indexes_and_unpublishing_removes():
    article = make_article(status=Article.Status.DRAFT)
    article.status = Article.Status.PUBLISHED
    save_article(article)
    assert indexed_titles() == ["Karakax list leaked"]
    assert SearchQuerySet().filter(content="Karakax").count() == 1

    article.status = Article.Status.DRAFT
    save_article(article, update_fields=["status"])
    assert indexed_titles() == []


def test_editing_a_published_article_updates_its_text():
    article = make_article(status=Article.Status.PUBLISHED)
    article.body = "Ürümqi officials destroyed records."
    save_article(article)
    assert SearchQuerySet().filter(content="records").count() == 1
    assert SearchQuerySet().filter(content="Karakax list").count() == 1  # title still there


def test_deleting_removes_from_index():
    article = make_article(status=Article.Status.PUBLISHED)
    assert indexed_titles() == ["Karakax list leaked"]
    delete_articles(Article.objects.filter(pk=article.pk))
    assert indexed_titles() == []


@pytest.mark.whoosh
def test_a_change_made_while_the_index_is_locked_waits_in_the_queue(search_index):
    from django.core.management import call_command

    from archive.models import IndexQueue

    search_index.setup()
    search_index.lock_timeout = 0.2
    other_process = search_index.index.writer()  # holds Whoosh's single write lock
    try:
        article = make_article(status=Article.Status.PUBLISHED)  # must not raise
        assert list(IndexQueue.objects.values_list("article_id", flat=True)) == [article.pk]
        assert indexed_titles() == []
    finally:
        other_process.cancel()

    call_command("sync_index", stdout=io.StringIO())
    assert IndexQueue.objects.count() == 0
    assert indexed_titles() == ["Karakax list leaked"]


def test_update_index_also_applies_queued_changes(search_index):
    from django.core.management import call_command

    from archive.models import IndexQueue
    from archive.search.indexing import queue_articles

    article = make_article(status=Article.Status.PUBLISHED)
    search_index.clear()
    queue_articles([article.pk])
    call_command("rebuild_index", interactive=False, verbosity=0)
    assert IndexQueue.objects.count() == 0
    assert indexed_titles() == ["Karakax list leaked"]


def test_a_large_batch_is_written_by_several_processes_and_loses_nothing(search_index, monkeypatch):
    from archive.search import whoosh_backend
    from archive.search.indexing import index_articles

    monkeypatch.setattr(whoosh_backend, "PARALLEL_BATCH", 5)
    search_index.max_procs = 2
    articles = [
        make_article(slug=f"camps-{n}", title=f"Camps report {n}", status=Article.Status.PUBLISHED)
        for n in range(12)
    ]
    search_index.clear()
    index_articles([a.pk for a in articles])
    index_articles([a.pk for a in articles[:6]])  # again: replaced, not duplicated
    assert SearchQuerySet().filter(content="camps").count() == 12


@pytest.fixture
def flushes(monkeypatch):
    """Every flush of the index queue, as it happens (each still flushes)."""
    done = []
    flush = indexing.flush_index_queue
    monkeypatch.setattr(indexing, "flush_index_queue", lambda: done.append(1) or flush())
    return done


def test_an_article_saved_twice_in_one_transaction_is_flushed_to_the_index_once(flushes):
    with transaction.atomic():
        article = make_article(status=Article.Status.PUBLISHED)
        article.title = "Karakax list leaked, corrected"
        save_article(article)
    assert flushes == [1]
    assert indexed_titles() == ["Karakax list leaked, corrected"]


def test_tags_changed_while_a_flush_writes_an_article_are_in_the_index_afterwards(
    search_index, monkeypatch
):
    """Merging entities changes articles' tags, not the articles: the flush must still see it.

    Between the flush reading an article and writing it, another editor
    merges the entity it names, and that change is indexed first; the flush
    then writes the tags it read. It compares what it read with the database
    afterwards, tags included, and indexes the article again.
    """
    from django.core.management import call_command

    from archive.entities.merge import merge_entities
    from archive.models import Entity, IndexQueue, Mention
    from archive.search.indexing import flush_index_queue, queue_articles

    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    keep, duplicate = Entity.objects.order_by("pk")[:2]
    article = make_article(status=Article.Status.PUBLISHED)
    Mention.objects.create(article=article, entity=duplicate)
    queue_articles([article.pk])

    write = type(search_index).write
    merged = []

    def merge_before_the_first_write(backend, updates, removals=()):
        if not merged:
            merged.append(merge_entities(keep, duplicate))  # and indexed at once
        return write(backend, updates, removals)

    monkeypatch.setattr(type(search_index), "write", merge_before_the_first_write)
    flush_index_queue()

    assert merged and IndexQueue.objects.count() == 0
    assert [r.pk for r in SearchQuerySet().filter(entities=str(keep.pk))] == [str(article.pk)]
    assert SearchQuerySet().filter(entities=str(duplicate.pk)).count() == 0


def test_a_rolled_back_change_does_not_keep_the_next_one_from_the_index(flushes):
    with pytest.raises(RuntimeError), transaction.atomic():
        make_article(status=Article.Status.PUBLISHED, title="Never published")
        raise RuntimeError("the request failed after the save")
    assert (flushes, IndexQueue.objects.count()) == ([], 0)

    make_article(status=Article.Status.PUBLISHED)
    assert flushes == [1]
    assert indexed_titles() == ["Karakax list leaked"]


def test_a_change_kept_after_a_rolled_back_savepoint_still_reaches_the_index(flushes):
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            make_article(slug="other", title="Rolled back", status=Article.Status.PUBLISHED)
            raise RuntimeError("one step failed and was rolled back on its own")
        make_article(status=Article.Status.PUBLISHED)
    assert flushes == [1]
    assert indexed_titles() == ["Karakax list leaked"]


def test_a_status_saved_alone_moves_the_version_the_flush_compares(flushes):
    # An unpublish saved with update_fields=["status"] left updated_at as it was,
    # so a flush in another process that had read the article as published
    # wrote it back and, comparing versions, saw nothing to do again.
    from archive.search.indexing import _versions

    article = make_article(status=Article.Status.PUBLISHED)
    before = _versions([article.pk])
    article.status = Article.Status.DRAFT
    save_article(article, update_fields=["status"])
    assert _versions([article.pk]) != before
    assert indexed_titles() == []
