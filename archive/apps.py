from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "Archive"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from archive.editors import ensure_editors_group
        from archive.entities.signals import tag_on_save
        from archive.models import Article, Quote
        from archive.quotes.signals import extract_on_save, fingerprint_on_save

        post_migrate.connect(ensure_editors_group, sender=self)
        # Articles are tagged with the curated entities whenever they are saved.
        post_save.connect(tag_on_save, sender=Article, dispatch_uid="tag_on_save")
        # Then their quotes are extracted, speakers linked through the fresh mentions.
        post_save.connect(extract_on_save, sender=Article, dispatch_uid="extract_quotes_on_save")
        post_save.connect(fingerprint_on_save, sender=Quote, dispatch_uid="quote_fingerprint")
