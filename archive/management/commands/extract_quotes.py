"""The extract_quotes command: find every article's quotations again, editors' corrections kept."""

from django.core.management.base import BaseCommand, CommandError

from archive.models import Article
from archive.quotes.records import BATCH_SIZE, update_quotes_for_ids
from archive.search.indexing import flush_index_queue


class Command(BaseCommand):
    help = (
        "Extract the quotations of every article (or of the given article ids) again. Quotes "
        "editors added, split, merged or rejected stay as they are, corrected speakers are kept, "
        "and running it twice changes nothing the second time."
    )

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="Article ids (default: all).")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=f"Articles per transaction (default {BATCH_SIZE}).",
        )

    def handle(self, *args, ids, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        articles = Article.objects.order_by("pk")
        if ids:
            articles = articles.filter(pk__in=ids)
            missing = set(ids) - set(articles.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No article with id {', '.join(map(str, sorted(missing)))}.")
        article_ids = list(articles.values_list("pk", flat=True))
        report = update_quotes_for_ids(
            article_ids, self.stderr.write, batch_size, queue_changed=True
        )
        self.stdout.write(report.summary)
        # The quotes search reads the index: the articles whose quotes changed were queued.
        flush_index_queue()
