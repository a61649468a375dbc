"""The import_articles command: seed text files, JSON Lines files, or directories of them."""

from django.core.management.base import BaseCommand, CommandError

from archive.ingest.importer import import_paths


class Command(BaseCommand):
    help = (
        "Import articles from seed text files (.txt), JSON Lines files (.jsonl, .jsonl.gz) or "
        "directories of them. Each file is imported whole or not at all; importing the same "
        "files again adds nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument(
            "--quiet", action="store_true", help="Print only failures and the summary."
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help=(
                "In JSON Lines files, report bad records (empty body, malformed JSON, …) by "
                "file and line and import the others, instead of refusing the whole file."
            ),
        )
        parser.add_argument(
            "--defer-indexing",
            action="store_true",
            help=(
                "Store the articles and leave them queued for the search index; apply the "
                "queue later with `manage.py sync_index` (or `rebuild_index` after a large "
                "import)."
            ),
        )

    def handle(self, *args, paths, quiet, skip_invalid, defer_indexing, **options):
        report = import_paths(
            paths,
            progress=None if quiet else self.stderr.write,
            skip_invalid=skip_invalid,
            index=not defer_indexing,
        )
        for file in report.files:
            for problem in file.skipped or ():
                self.stderr.write(f"{problem}. Skipped.")
            if file.error:
                self.stderr.write(f"{file.error}. Nothing from this file was imported.")
            else:
                for note in file.notes:
                    self.stderr.write(f"{note}.")
                if not quiet:
                    self.stdout.write(f"{file.path}: {file.counts}")
            if file.index_problem:
                self.stderr.write(file.index_problem)
        self.stdout.write(report.summary)
        if defer_indexing and (report.created or report.updated):
            self.stdout.write(
                "The new and updated articles are queued for the search index: "
                "run `manage.py sync_index`."
            )
        if report.failed:
            raise CommandError(f"{len(report.failed)} of {len(report.files)} files failed.")
