"""What follows when an article's text or status changes: its tags, its quotes, its index entry.

Every entry that changes articles calls `article_changed()` in the transaction
that writes the change (or `save_article()`, which saves and calls it): the
admin's form and history revert, its publish, unpublish and delete actions,
the importer, a restore and an entity merge. The steps, in this order:

1. re-tag the articles from their text (`entities.tagging`), keeping editors'
   tags and rejections;
2. re-extract their quotes (`quotes.records`), speakers linked through the
   mentions step 1 has just written;
3. queue them for the search index (`search.indexing`);

all three inside the caller's transaction, so the text, its tags, its quotes
and its place in the queue are committed together or not at all. After the
commit:

4. flush the index queue, once per transaction however many changes it holds.
   A busy or unreachable index fails nothing: the rows stay queued for the
   next flush or `manage.py sync_index`.

Steps 1 and 2 read only the text: with `text_changed=False` (a status change,
a deletion, tags moved by a merge, rows restored with their tags and quotes)
only steps 3 and 4 run. No signal does any of this: `Article.save()` alone,
or a raw save (loaddata, a restore's rows), writes the row and nothing else.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet

from archive.entities.tagging import RetagReport, retag_article_ids
from archive.entities.vocabulary import current_vocabulary
from archive.models import Article
from archive.quotes.records import QuoteReport, update_quotes_for_ids
from archive.search.indexing import queue_articles, reindex_articles_after_commit


@dataclass
class ChangeReport:
    """What following a change did to the articles' tags and quotes."""

    tags: RetagReport = field(default_factory=RetagReport)
    quotes: QuoteReport = field(default_factory=QuoteReport)


def article_changed(
    article_ids: Iterable[int], *, text_changed: bool = True, flush: bool = True
) -> ChangeReport:
    """Bring what derives from these articles in line with them, in the order above.

    Called in the transaction that changed them (or in one of its own). With
    `flush` false the articles stay queued: the caller flushes the queue
    itself (the importer, with its progress and report) or leaves it to
    `manage.py sync_index`.
    """
    ids = list(dict.fromkeys(article_ids))
    report = ChangeReport()
    if not ids:
        return report
    with transaction.atomic():
        if text_changed:
            names = current_vocabulary().names  # one vocabulary for both steps
            report.tags = retag_article_ids(ids, index=False, names=names)
            report.quotes = update_quotes_for_ids(ids, names=names)
        if flush:
            reindex_articles_after_commit(ids)
        else:
            queue_articles(ids)
    return report


def save_article(article: Article, *, update_fields: Iterable[str] | None = None) -> Article:
    """Save one article and follow the change, in one transaction.

    Saving only fields the tagger does not read (`update_fields` without
    "body") leaves the tags and quotes as they are.
    """
    text_changed = update_fields is None or "body" in update_fields
    with transaction.atomic():
        article.save(update_fields=update_fields)
        article_changed([article.pk], text_changed=text_changed)
    return article


def delete_articles(articles: QuerySet[Article]) -> int:
    """Delete these articles, their tags and quotes with them, and take them out of the index.

    Their captures from the web are kept, detached, with their WARC files (the evidence):
    `verify` still checks them and exports carry them (Capture.article is set to null)."""
    with transaction.atomic():
        ids = list(articles.values_list("pk", flat=True))
        Article.objects.filter(pk__in=ids).delete()
        article_changed(ids, text_changed=False)  # the index drops those no longer there
    return len(ids)
