"""Bring the search index in line with the database, through a queue that loses nothing.

Every change to an article, or to its quotes, queues the article's id in the
same database transaction. After the commit, `flush_index_queue()` asks the
engine to update or remove those articles and their quotes, by their state in
the database at that moment, and only then deletes the queue rows. If the
engine is busy (another process writing, a rebuild holding the Whoosh lock),
the rows stay queued for the next flush.

A writer that reads articles and writes them a moment later can write back
a state that a save in that moment replaced, after the save's own process
indexed it: haystack's update_index (under `rebuild_index`) reads a batch
of thousands, then writes it. `bring_index_in_line()` is run after such
writes: it finds every entry written from another version than the
database's, and indexes those articles again.
"""

import logging
import threading
from collections.abc import Iterable

from django.db import transaction
from haystack import connection_router, connections
from haystack.query import SearchQuerySet
from haystack.utils import get_identifier

from archive.integrity import index_differences
from archive.models import Article, IndexQueue, Quote
from archive.search.indexes import article_versions

log = logging.getLogger(__name__)
FLUSH_BATCH = 500
QUOTE_LOOKUP_BATCH = 100


def queue_articles(article_ids: Iterable[int]) -> None:
    IndexQueue.objects.bulk_create(IndexQueue(article_id=pk) for pk in article_ids)


def reindex_articles_after_commit(article_ids: Iterable[int]) -> None:
    """Queue these articles in the caller's transaction; flush the queue once it commits."""
    ids = list(article_ids)
    if ids:
        queue_articles(ids)
        flush_after_commit()


class _FlushRound:
    """The flushes asked for in one transaction: the first to run flushes, the others return."""

    def __init__(self):
        self.done = False

    def flush(self) -> None:
        if not self.done:
            self.done = True
            try_flush_index_queue()


_rounds = threading.local()  # each thread has its own database connection


def flush_after_commit() -> None:
    """Flush the index queue after the current transaction commits, once however often asked.

    One admin save may queue an article several times; flushing each time
    would make an editor wait for a busy index's lock as often. Every call
    registers its own on-commit callback, so that a rolled-back savepoint,
    which discards its callbacks, takes no other call's flush with it; the
    callbacks registered until one of them runs share a round, and only the
    first flushes. A round whose transaction rolled back never ran: the next
    transaction's callbacks take it over. Outside a transaction it flushes at once.
    """
    round_ = getattr(_rounds, "current", None)
    if round_ is None or round_.done:
        round_ = _rounds.current = _FlushRound()
    transaction.on_commit(round_.flush)


def index_articles(article_ids: Iterable[int]) -> None:
    """Index the published ones among `article_ids`, and their quotes; remove every other one
    from the index, with its quotes."""
    ids = set(article_ids)
    if not ids:
        return
    for using in connection_router.for_write():
        unified = connections[using].get_unified_index()
        article_index, quote_index = unified.get_index(Article), unified.get_index(Quote)
        published = list(article_index.index_queryset(using=using).filter(pk__in=ids))
        quotes = list(quote_index.index_queryset(using=using).filter(article_id__in=ids))
        # A quote that re-extraction deleted or an editor merged is gone from the
        # database: the index is asked which quotes it holds for these articles.
        gone = [Article(pk=pk) for pk in ids - {article.pk for article in published}]
        stale = indexed_quote_ids(ids, using) - {quote.pk for quote in quotes}
        gone += [Quote(pk=pk) for pk in stale]
        write(
            connections[using].get_backend(),
            [(article_index, published), (quote_index, quotes)],
            [get_identifier(obj) for obj in gone],
        )


def indexed_quote_ids(article_ids: set[int], using: str) -> set[int]:
    """The ids of the quotes the index holds for these articles.

    From the posting lists where the engine's extension reads them
    (archive.search.whoosh_backend); else by searches of QUOTE_LOOKUP_BATCH
    articles each.
    """
    document_ids = getattr(connections[using].get_backend(), "document_ids", None)
    if document_ids is not None:
        return document_ids(Quote, "article", [str(pk) for pk in sorted(article_ids)])
    found = set()
    ids = sorted(article_ids)
    for first in range(0, len(ids), QUOTE_LOOKUP_BATCH):
        held = SearchQuerySet(using=using).models(Quote)
        held = held.filter(article__in=ids[first : first + QUOTE_LOOKUP_BATCH])
        count = held.count()
        found.update(int(pk) for pk in held.values_list("pk", flat=True)[:count])
    return found


def write(backend, updates, removals: list[str]) -> None:
    """Index (index, objects) pairs and remove documents: in one commit where the engine's
    extension can (archive.search.whoosh_backend), else with haystack's calls."""
    if hasattr(backend, "write"):
        backend.write(updates, removals)
        return
    for index, objects in updates:
        if objects:
            backend.update(index, objects)
    for identifier in removals:
        backend.remove(identifier)


def flush_index_queue(batch_size: int = FLUSH_BATCH, progress=None) -> int:
    """Apply every queued change to the index; return how many articles were brought in line.

    `progress`, if given, is called with that number after each batch. Raises
    whatever the engine raises when it cannot take the changes (they stay
    queued).
    """
    done = 0
    while True:
        rows = list(IndexQueue.objects.values_list("id", "article_id")[:batch_size])
        if not rows:
            return done
        ids = {article_id for _, article_id in rows}
        before = _versions(ids)
        index_articles(ids)
        last_row = max(row_id for row_id, _ in rows)
        # Rows queued while we worked have higher ids and stay for the next round.
        IndexQueue.objects.filter(id__lte=last_row, article_id__in=ids).delete()
        # Another process may have changed an article (or its tags) between
        # our reading it and our writing the index, and flushed its own change
        # first: then what we wrote is stale, so the article goes round again.
        after = _versions(ids)
        queue_articles(pk for pk in ids if before.get(pk) != after.get(pk))
        done += len(ids)
        if progress:
            progress(done)


def _versions(ids) -> dict:
    return article_versions(Article.objects.filter(pk__in=ids))


def bring_index_in_line() -> int:
    """Index again every article whose entry is missing, extra or out of date; how many.

    Compares the whole index with the database (as `verify --index` does), so
    it belongs after writes that may have raced with editors' saves: the end
    of update_index and rebuild_index, a restore. The articles are queued,
    then the queue flushed, so should the engine fail they stay queued.
    """
    articles = set()
    for using in connection_router.for_write():
        articles.update(index_differences(using).articles())
    queue_articles(sorted(articles))
    flush_index_queue()
    return len(articles)


def try_flush_index_queue() -> None:
    """Flush the queue if the engine lets us now; never fail the caller's request."""
    try:
        flush_index_queue()
    except Exception:  # the engine's own errors: lock held, engine down, …
        log.warning("Search index busy or unavailable; changes stay queued", exc_info=True)
