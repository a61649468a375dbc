"""Keep the search index in step with the database as articles are saved or deleted."""

from django.db import transaction
from django.db.models import signals
from haystack.signals import BaseSignalProcessor

from archive.models import Article


class PublishedArticleSignalProcessor(BaseSignalProcessor):
    """Index an article when it is published, remove it when unpublished or deleted.

    The index is touched only after the database transaction commits, so a
    rolled-back import never leaves documents behind in the index.
    """

    def setup(self):
        signals.post_save.connect(self.handle_article_save, sender=Article)
        signals.post_delete.connect(self.handle_article_delete, sender=Article)

    def teardown(self):
        signals.post_save.disconnect(self.handle_article_save, sender=Article)
        signals.post_delete.disconnect(self.handle_article_delete, sender=Article)

    def _indexes(self, article):
        for using in self.connection_router.for_write(instance=article):
            yield using, self.connections[using].get_unified_index().get_index(Article)

    def handle_article_save(self, sender, instance, raw=False, **kwargs):
        if raw:  # loaddata: `make demo` rebuilds the index afterwards
            return
        transaction.on_commit(lambda: self.sync_article(instance))

    def handle_article_delete(self, sender, instance, **kwargs):
        def remove():
            for using, index in self._indexes(instance):
                index.remove_object(instance, using=using)

        transaction.on_commit(remove)

    def sync_article(self, article):
        for using, index in self._indexes(article):
            if article.is_published:
                index.update_object(article, using=using)
            else:
                index.remove_object(article, using=using)
