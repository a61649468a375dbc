from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "Archive"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from archive.editors import ensure_editors_group
        from archive.entities.signals import tag_on_save
        from archive.models import Article

        post_migrate.connect(ensure_editors_group, sender=self)
        # Articles are tagged with the curated entities whenever they are saved.
        post_save.connect(tag_on_save, sender=Article, dispatch_uid="tag_on_save")
