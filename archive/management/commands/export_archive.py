"""The export_archive command: the whole archive, history included, to one JSON Lines file."""

from django.core.management.base import BaseCommand, CommandError

from archive.backup import export_archive


class Command(BaseCommand):
    help = (
        "Write the whole archive (sources, articles with their text as received and hashes, "
        "entities, aliases, mentions, related links, entity redirects and the history of all "
        "of them) to a JSON Lines file, gzip-compressed if its name ends in .gz. "
        "`manage.py restore_archive` reads it back into an empty database."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", help="e.g. backups/archive.jsonl.gz")

    def handle(self, *args, path, **options):
        progress = None
        if options["verbosity"] >= 2:
            progress = lambda label, count: self.stderr.write(f"{label}: {count}")  # noqa: E731
        try:
            counts = export_archive(path, progress=progress)
        except OSError as exc:
            raise CommandError(f"{path}: cannot be written ({exc.strerror or exc}).") from None
        kinds = ", ".join(f"{count} {label}" for label, count in counts.items() if count)
        self.stdout.write(f"Wrote {sum(counts.values())} records to {path}: {kinds}.")
