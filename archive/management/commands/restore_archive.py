"""The restore_archive command: an export read back into an empty database."""

from django.core.management.base import BaseCommand, CommandError

from archive.backup import RestoreError, restore_archive


class Command(BaseCommand):
    help = (
        "Read a file written by `manage.py export_archive` into an EMPTY database (run "
        "`migrate` on a new one first), in one transaction, with the same primary keys and "
        "hashes; then rebuild the search index. A malformed, altered or cut-short file is "
        "refused and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", help="a .jsonl or .jsonl.gz export")

    def handle(self, *args, path, **options):
        progress = self.stderr.write if options["verbosity"] >= 2 else None
        try:
            report = restore_archive(path, progress=progress)
        except RestoreError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(str(report))
        if report.index_problem:
            raise CommandError(report.index_problem)
        self.stdout.write("The search index was rebuilt from the restored articles.")
        if report.counts.get("auth.user"):
            self.stdout.write(
                "Editors' accounts were restored without passwords: give each a new one "
                "(`manage.py changepassword NAME`)."
            )
