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
