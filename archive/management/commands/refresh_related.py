"""Work out the related documents of every published article whose list is missing or stale.

`sync_index` does the same in a bounded time after each run; this command is
for a whole archive at once (after an import) or, with --all, to bring every
list up to date with the articles added since it was computed.
"""

from django.core.management.base import BaseCommand, CommandError

from archive.models import Article
from archive.related import lists_due, refresh_related_lists


class Command(BaseCommand):
    help = (
        "Work out and store the related documents of published articles whose list is missing "
        "or older than the article's text and tags, newest articles first."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            action="store_true",
            help="Work out every list again, so older articles find ones added since.",
        )
        parser.add_argument(
            "--seconds", type=float, help="Stop after this many seconds (default: when done)."
        )

    def handle(self, *args, **options):
        seconds = options["seconds"]
        if seconds is not None and seconds <= 0:
            raise CommandError("--seconds must be more than 0.")
        due = len(lists_due(Article.objects.published()))
        progress = None
        if options["verbosity"] >= 2:
            progress = lambda done: done % 100 or self.stderr.write(f"… {done}")  # noqa: E731
        stored = refresh_related_lists(
            everything=options["all"], seconds=seconds, progress=progress
        )
        self.stdout.write(
            f"{due} article(s) had no up-to-date list; worked out the related documents of "
            f"{stored}."
        )
