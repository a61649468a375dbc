"""The retag_articles command: tag every article again with the current entities and aliases."""

from django.core.management.base import BaseCommand, CommandError

from archive.entities.tagging import BATCH_SIZE, retag_articles
from archive.models import Article


class Command(BaseCommand):
    help = (
        "Tag every article again with the current entities and aliases. Mentions added by "
        "editors stay, entities editors rejected in an article stay rejected, and running it "
        "twice changes nothing the second time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=f"Articles per transaction (default {BATCH_SIZE}).",
        )

    def handle(self, *args, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        report = retag_articles(Article.objects.all(), self.stderr.write, batch_size)
        self.stdout.write(report.summary)
