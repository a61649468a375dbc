"""Apply the changes waiting in the index queue (after the engine was busy or down).

Run it every few minutes (cron, a systemd timer): it also lets an engine that
can tidy up after many small updates (the Whoosh backend merges the small
segments edits write) do so outside editors' requests, and then works out the
related documents of articles whose list is missing or stale, newest first,
for at most --related-seconds (archive.related), so readers seldom wait for one.
"""

from django.core.management.base import BaseCommand
from haystack import connections

from archive.models import IndexQueue
from archive.related import refresh_related_lists
from archive.search.indexing import flush_index_queue

RELATED_SECONDS = 60.0


class Command(BaseCommand):
    help = "Bring the search index in line with every queued article change."

    def add_arguments(self, parser):
        parser.add_argument(
            "--related-seconds",
            type=float,
            default=RELATED_SECONDS,
            help=(
                "Seconds to spend working out missing or stale related-document lists after "
                f"the index is in line (default {RELATED_SECONDS:g}; 0: none)."
            ),
        )

    def handle(self, **options):
        waiting = IndexQueue.objects.values("article_id").distinct().count()
        applied = flush_index_queue()
        self.stdout.write(f"{waiting} article(s) were waiting; {applied} brought in line.")
        for alias in connections.connections_info:
            merge = getattr(connections[alias].get_backend(), "merge_small_segments", None)
            if merge is not None and (merged := merge()):
                self.stdout.write(f"Merged {merged} small index segments into one.")
        seconds = options["related_seconds"]
        if seconds > 0:
            stored = refresh_related_lists(seconds=seconds)
            self.stdout.write(f"Worked out the related documents of {stored} article(s).")
