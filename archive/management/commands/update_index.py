"""haystack's update_index, then the index brought in line with what editors saved while it ran.

haystack reads each batch of articles, then writes it: an article saved,
unpublished or deleted in between, and indexed at once by the editor's
process, was written back as the batch had read it. So afterwards the
changes queued meanwhile are applied, and every article the index holds
otherwise than the database (`bring_index_in_line`) is indexed again.
`rebuild_index` runs this command after emptying the index.

The changes queued before it began are not applied again when it wrote
every entry from the database itself (all models, into an emptied index or
with `--remove`): after `import_articles --defer-indexing`, applying them
indexed every imported article a second time, 40% of the rebuild.
"""

from django.db.models import Max
from haystack import connections
from haystack.management.commands.update_index import Command as HaystackUpdateIndex
from haystack.query import SearchQuerySet

from archive.models import IndexQueue
from archive.search.indexing import bring_index_in_line, flush_index_queue


class Command(HaystackUpdateIndex):
    help = (
        HaystackUpdateIndex.help
        + " Then applies the changes queued while it ran, and indexes again every article"
        " saved, unpublished or deleted while it ran."
    )

    def handle(self, **options):
        covered = None
        if self.writes_every_entry(options):
            covered = IndexQueue.objects.aggregate(last=Max("id"))["last"]
        super().handle(**options)
        if covered is not None:
            # Queued (and committed) before the first batch was read: in what it wrote.
            IndexQueue.objects.filter(id__lte=covered).delete()
        applied = flush_index_queue()
        corrected = bring_index_in_line()
        if options.get("verbosity", 1) >= 1:
            self.stdout.write(f"Applied {applied} queued change(s) to the search index.")
            self.stdout.write(
                f"Indexed again {corrected} article(s) whose entry was missing, extra or "
                "out of date (saved, unpublished or deleted while it ran)."
            )

    @staticmethod
    def writes_every_entry(options) -> bool:
        """Whether this run writes the entry of every indexed object as the database holds it
        from its start, and leaves no other: then it covers every change queued before."""
        partial = (
            options.get("app_label")
            or any(options.get(name) for name in ("age", "minutes", "start_date", "end_date"))
            or set(options.get("using") or connections.connections_info)
            != set(connections.connections_info)
        )
        if partial:
            return False
        return bool(options.get("remove")) or all(
            SearchQuerySet(using=alias).count() == 0 for alias in connections.connections_info
        )
