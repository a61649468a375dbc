"""Write the Solr configset of the archive's search index (search/solr/configset/ by default).

Run it after changing an index's fields or archive.search.text, and commit the
files: `make solr` uploads them, and a test fails while they differ from what
this writes.
"""

from pathlib import Path

from django.core.management.base import BaseCommand

from archive.search.solr_configset import CONFIGSET_DIR, write_configset


class Command(BaseCommand):
    help = "Write the Solr 9 configset (schema, solrconfig, character mapping) of the index."

    def add_arguments(self, parser):
        parser.add_argument(
            "directory", nargs="?", type=Path, default=CONFIGSET_DIR, help="where to write it"
        )

    def handle(self, directory, **options):
        for path in write_configset(directory):
            self.stdout.write(str(path))
