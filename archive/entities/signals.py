"""Tag articles when they are saved or imported, once the text they are tagged from is committed."""

from collections.abc import Iterable
from functools import partial

from django.db import transaction

from archive.entities.tagging import RetagReport, retag_article, retag_article_ids
from archive.models import Article


def tag_on_save(sender, instance, created, raw, update_fields=None, **kwargs):
    """post_save receiver for Article: re-tag it after the commit.

    Skips fixtures (loaddata's raw saves) and saves that leave the body
    alone. Re-tagging writes Mention rows, never the Article, so it does not
    call itself. Should it fail, the save stands and the failure is logged:
    `manage.py retag_articles` catches up.
    """
    if raw or (update_fields is not None and "body" not in update_fields):
        return
    transaction.on_commit(partial(_retag_saved, instance.pk), robust=True)


def _retag_saved(article_id: int) -> None:
    article = Article.objects.filter(pk=article_id).only("id", "body").first()
    if article is not None:  # deleted since
        retag_article(article)


def tag_imported(article_ids: Iterable[int]) -> RetagReport:
    """Tag articles an import has just stored, in batches with one automaton.

    Leaves the search index alone: the importer queues and indexes these
    articles itself, so calling this before its index flush lets each enter
    the index once, with its entities.
    """
    ids = list(article_ids)
    return retag_article_ids(ids, index=False) if ids else RetagReport()
