"""Prepare the demo: seed articles and vocabulary loaded once, index built, editor account."""

import io

from django.core.management import call_command
from django.core.management.base import BaseCommand

from archive.models import Article, Entity

SEED_ARTICLES_FIXTURE = "fixtures/seed_articles.json"
ENTITIES_FIXTURE = "fixtures/entities.json"


class Command(BaseCommand):
    help = (
        "Load the seed articles and entity vocabulary into an empty archive (never over an "
        "editor's work), rebuild the search index and create the demo editor account."
    )

    def handle(self, *args, **options):
        if Article.objects.exists():
            self.stdout.write("Articles already present: seed articles not loaded again.")
        else:
            call_command("loaddata", SEED_ARTICLES_FIXTURE, stdout=self.stdout)
        if Entity.objects.exists():
            self.stdout.write("Entities already present: vocabulary not loaded again.")
        else:
            call_command("loaddata", ENTITIES_FIXTURE, stdout=self.stdout)
        # loaddata neither tags nor writes history: tag the seeds with the
        # vocabulary, and give every record its first revision.
        call_command("retag_articles", stdout=io.StringIO(), stderr=io.StringIO())
        # Then find their quotations, speakers linked through the fresh tags.
        call_command("extract_quotes", stdout=io.StringIO(), stderr=io.StringIO())
        call_command("populate_history", auto=True, stdout=io.StringIO())
        call_command("rebuild_index", interactive=False, verbosity=1, stdout=self.stdout)
        # What cron's sync_index would do next: each article's related documents worked out.
        call_command("refresh_related", stdout=self.stdout)
        call_command("create_demo_editor", stdout=self.stdout)
