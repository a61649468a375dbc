"""Apply the changes waiting in the index queue (after the engine was busy or down).

Run it every few minutes (cron, a systemd timer): it also lets an engine that
can tidy up after many small updates (the Whoosh backend merges the small
segments edits write) do so outside editors' requests.
"""

from django.core.management.base import BaseCommand
from haystack import connections

from archive.models import IndexQueue
from archive.search.indexing import flush_index_queue


class Command(BaseCommand):
    help = "Bring the search index in line with every queued article change."

    def handle(self, **options):
        waiting = IndexQueue.objects.values("article_id").distinct().count()
        applied = flush_index_queue()
        self.stdout.write(f"{waiting} article(s) were waiting; {applied} brought in line.")
        for alias in connections.connections_info:
            merge = getattr(connections[alias].get_backend(), "merge_small_segments", None)
            if merge is not None and (merged := merge()):
                self.stdout.write(f"Merged {merged} small index segments into one.")
