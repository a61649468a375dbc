"""Keep the search index in step with the database as articles are saved or deleted."""

from django.db import transaction
from django.db.models import signals
from haystack.signals import BaseSignalProcessor

from archive.models import Article
from archive.search.indexing import queue_articles, try_flush_index_queue


class PublishedArticleSignalProcessor(BaseSignalProcessor):
    """Queue every saved or deleted article for the index, and flush the queue after commit.

    The queue row is written in the same transaction as the change, so a
    rolled-back import leaves nothing behind and a committed change is never
    forgotten, even when the index cannot be written at that moment.
    """

    def setup(self):
        signals.post_save.connect(self.handle_change, sender=Article)
        signals.post_delete.connect(self.handle_change, sender=Article)

    def teardown(self):
        signals.post_save.disconnect(self.handle_change, sender=Article)
        signals.post_delete.disconnect(self.handle_change, sender=Article)

    def handle_change(self, sender, instance, raw=False, **kwargs):
        if raw:  # loaddata: `make demo` rebuilds the index afterwards
            return
        queue_articles([instance.pk])
        flush_after_commit()


def flush_after_commit() -> None:
    """Flush the index queue once after the current transaction commits.

    An admin save writes the article more than once; flushing once per
    save would make an editor wait for a busy index's lock twice or more.
    """
    connection = transaction.get_connection()
    if not any(func is try_flush_index_queue for _, func, _ in connection.run_on_commit):
        transaction.on_commit(try_flush_index_queue)
