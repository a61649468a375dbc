from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "Archive"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from archive.editors import ensure_editors_group

        # No signal does domain work: what follows an article's change is
        # archive.articles.article_changed(), which every entry calls.
        post_migrate.connect(ensure_editors_group, sender=self)
