"""haystack's update_index, then the index queue drained, so nothing queued meanwhile is missed."""

from haystack.management.commands.update_index import Command as HaystackUpdateIndex

from archive.search.indexing import flush_index_queue


class Command(HaystackUpdateIndex):
    help = HaystackUpdateIndex.help + " Then applies the changes queued while it ran."

    def handle(self, **options):
        super().handle(**options)
        applied = flush_index_queue()
        if options.get("verbosity", 1) >= 1:
            self.stdout.write(f"Applied {applied} queued change(s) to the search index.")
