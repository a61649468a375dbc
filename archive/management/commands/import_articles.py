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

    def handle(self, *args, paths, quiet, **options):
        report = import_paths(paths, progress=None if quiet else self.stderr.write)
        for file in report.files:
            if file.error:
                self.stderr.write(f"{file.error}. Nothing from this file was imported.")
            elif not quiet:
                self.stdout.write(f"{file.path}: {file.counts}")
            if file.index_problem:
                self.stderr.write(file.index_problem)
        self.stdout.write(report.summary)
        if report.failed:
            raise CommandError(f"{len(report.failed)} of {len(report.files)} files failed.")
