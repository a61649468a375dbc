"""Extract quotes when articles are saved or imported; keep fingerprints and speakers current."""

from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django.dispatch import receiver
from simple_history.utils import bulk_update_with_history

from archive.entities.merge import entity_merged
from archive.models import Article, Quote
from archive.quotes.records import QuoteReport, update_quotes_for_ids
from archive.quotes.tracing import store_shingles


def extract_on_save(sender, instance, created, raw, update_fields=None, **kwargs):
    """post_save receiver for Article: re-extract its quotes after the commit.

    Connected after the entity tagger, so its on-commit work runs first and
    the speakers are linked through the article's fresh mentions. Skips
    fixtures (loaddata's raw saves) and saves that leave the body alone.
    Should it fail, the save stands and the failure is logged:
    `manage.py extract_quotes` catches up.
    """
    if raw or (update_fields is not None and "body" not in update_fields):
        return
    transaction.on_commit(partial(_extract_saved, instance.pk), robust=True)


def _extract_saved(article_id: int) -> None:
    if Article.objects.filter(pk=article_id).exists():  # not deleted since
        update_quotes_for_ids([article_id])


def extract_imported(article_ids: Iterable[int]) -> QuoteReport:
    """Extract the quotes of articles an import has just stored (after they were tagged)."""
    ids = list(article_ids)
    return update_quotes_for_ids(ids) if ids else QuoteReport()


def fingerprint_on_save(sender, instance, raw, **kwargs):
    """post_save receiver for Quote: an editor's quote is traced like an extracted one."""
    if not raw:
        store_shingles([instance])


@receiver(entity_merged)
def move_quotes_to_kept_entity(sender, keep, removed, **kwargs):
    """Quotes spoken by an entity merged into another are now spoken by the one kept."""
    quotes = list(Quote.objects.filter(speaker=removed))
    for quote in quotes:
        quote.speaker = keep
    if quotes:
        bulk_update_with_history(
            quotes,
            Quote,
            ["speaker"],
            default_change_reason=f"Merged {removed.name} into {keep.name}"[:100],
        )
