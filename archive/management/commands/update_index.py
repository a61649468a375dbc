"""haystack's update_index, then the index brought in line with what editors saved while it ran.

haystack reads each batch of articles, then writes it: an article saved,
unpublished or deleted in between, and indexed at once by the editor's
process, was written back as the batch had read it. So afterwards the
changes queued meanwhile are applied, and every article the index holds
otherwise than the database (`bring_index_in_line`) is indexed again.
`rebuild_index` runs this command after emptying the index.
"""

from haystack.management.commands.update_index import Command as HaystackUpdateIndex

from archive.search.indexing import bring_index_in_line, flush_index_queue


class Command(HaystackUpdateIndex):
    help = (
        HaystackUpdateIndex.help
        + " Then applies the changes queued while it ran, and indexes again every article"
        " saved, unpublished or deleted while it ran."
    )

    def handle(self, **options):
        super().handle(**options)
        applied = flush_index_queue()
        corrected = bring_index_in_line()
        if options.get("verbosity", 1) >= 1:
            self.stdout.write(f"Applied {applied} queued change(s) to the search index.")
            self.stdout.write(
                f"Indexed again {corrected} article(s) whose entry was missing, extra or "
                "out of date (saved, unpublished or deleted while it ran)."
            )
