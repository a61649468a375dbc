"""Apply the changes waiting in the index queue (after the engine was busy or down)."""

from django.core.management.base import BaseCommand

from archive.models import IndexQueue
from archive.search.indexing import flush_index_queue


class Command(BaseCommand):
    help = "Bring the search index in line with every queued article change."

    def handle(self, **options):
        waiting = IndexQueue.objects.values("article_id").distinct().count()
        applied = flush_index_queue()
        self.stdout.write(f"{waiting} article(s) were waiting; {applied} brought in line.")
