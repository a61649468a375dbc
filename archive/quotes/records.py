"""Bring each article's stored quotes in line with what the extractor finds, keeping editors' work.

Re-extracting an article writes only the difference, so doing it twice
changes nothing the second time. The rules, in the spirit of entity tagging:

* a quote an editor added, split or merged (origin "editor") is never
  touched, except that it follows its words when an edit moves them; the
  extractor adds nothing that overlaps it;
* a rejected quote is never deleted, and the extractor does not bring back
  a quotation with the same words;
* a speaker an editor corrected (`speaker_corrected`) stays, whatever the
  extractor now says;
* every other extracted quote the extractor no longer finds is deleted.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from archive.entities.matching import NameFinder
from archive.entities.vocabulary import current_vocabulary
from archive.models import Article, Mention, Quote
from archive.paragraphs import numbered, paragraph_text
from archive.quotes.extraction import (
    SPEAKER_KINDS,
    FoundQuote,
    Name,
    capitalised_names,
    find_quotes,
)
from archive.quotes.normalise import normalise_quote, quote_key
from archive.quotes.tracing import store_shingles
from archive.search.indexing import queue_articles

BATCH_SIZE = 200
CHANGE_REASON = "Extracted automatically"
UPDATED_FIELDS = [
    "paragraph",
    "start",
    "end",
    "text",
    "normalised_text",
    "key",
    "shingle_count",
    "speaker_name",
    "speaker",
]


@dataclass
class QuoteReport:
    """What re-extraction did: `found` quotations, `kept_rejected` of them left rejected."""

    articles: int = 0
    found: int = 0
    kept_rejected: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    changed_article_ids: list[int] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return (
            f"{self.articles:,} articles read: {self.found:,} quotations found, "
            f"{self.kept_rejected:,} kept rejected by editors; {self.added:,} added, "
            f"{self.updated:,} updated, {self.removed:,} removed."
        )


def names_from_mentions(paragraphs: list[str], mentions: Iterable[Mention]) -> list[Name]:
    """The article's entity mentions (those whose words are still at their offsets) as names,
    with the capitalised names no entity spells."""
    names = []
    for mention in mentions:
        if mention.start is None or mention.end is None:
            continue
        text = paragraph_text(paragraphs, mention.paragraph)
        if text is None or text[mention.start : mention.end] != mention.surface:
            continue  # stale: the text was edited after the mention was placed
        names.append(
            Name(
                mention.paragraph,
                mention.start,
                mention.end,
                mention.surface,
                mention.entity_id,
                mention.entity.kind,
            )
        )
    return names + capitalised_names(paragraphs, names)


def quotes_in(
    article: Article,
    mentions: Iterable[Mention] | None = None,
    names: NameFinder | None = None,
) -> list[FoundQuote]:
    """The quotations the extractor finds in `article`, speakers linked through its mentions.

    `mentions` are all of the article's mentions, rejected ones included. A
    speaker no mention links (the article was not tagged yet) is looked up
    in the vocabulary (`names`, the current one when not given), unless an
    editor rejected an entity at that place.
    """
    if mentions is None:
        mentions = Mention.objects.filter(article=article).select_related("entity")
    mentions = list(mentions)
    paragraphs = article.paragraphs
    shown = [m for m in mentions if not m.rejected]
    found = find_quotes(paragraphs, names_from_mentions(paragraphs, shown))
    rejected = [m for m in mentions if m.rejected]
    unlinked = [q for q in found if q.speaker_name and q.speaker_id is None and q.speaker_at]
    if unlinked:
        _link_by_vocabulary(unlinked, rejected, names or current_vocabulary().names)
    return found


def _link_by_vocabulary(
    quotes: list[FoundQuote], rejected: list[Mention], names: NameFinder
) -> None:
    candidates = {}
    for quote in quotes:
        paragraph, start, end = quote.speaker_at
        if any(
            m.paragraph == paragraph and m.start is not None and m.start < end and start < m.end
            for m in rejected
        ):
            continue
        # The whole name, and a full spelling: a surname alone ("Zair") names no one for sure.
        matches = names.find([quote.speaker_name])
        if (
            len(matches) == 1
            and (matches[0].start, matches[0].end) == (0, len(quote.speaker_name))
            and not matches[0].partial
        ):
            candidates[id(quote)] = (quote, matches[0].entity_id)
    for quote, entity_id in candidates.values():
        if names.kind_of(entity_id) in SPEAKER_KINDS:
            quote.speaker_id = entity_id


def _locate(quote: Quote, paragraphs: list[str]) -> bool:
    """Move `quote` to where its words now are; False if they are nowhere in the article."""
    text = paragraph_text(paragraphs, quote.paragraph)
    if text is not None and text[quote.start : quote.end] == quote.text:
        return True
    nearest_first = sorted(numbered(paragraphs), key=lambda item: abs(item[0] - quote.paragraph))
    for number, text in nearest_first:
        start = text.find(quote.text) if quote.text else -1
        if start != -1:
            quote.paragraph, quote.start, quote.end = number, start, start + len(quote.text)
            return True
    return False


def _overlaps(a_paragraph, a_start, a_end, b: Quote) -> bool:
    return a_paragraph == b.paragraph and a_start < b.end and b.start < a_end


def _new_quote(article: Article, found: FoundQuote) -> Quote:
    quote = Quote(
        article=article,
        paragraph=found.paragraph,
        start=found.start,
        end=found.end,
        text=found.text,
        speaker_name=found.speaker_name[:300],
        speaker_id=found.speaker_id,
        origin=Quote.Origin.EXTRACTED,
    )
    quote.refresh_normalised()
    return quote


@dataclass
class _Changes:
    create: list[Quote] = field(default_factory=list)
    update: list[Quote] = field(default_factory=list)
    delete: list[int] = field(default_factory=list)


def reconcile(
    article: Article, found: list[FoundQuote], stored: list[Quote], report: QuoteReport
) -> _Changes:
    """The writes that bring `stored` (one article's quotes) in line with `found`."""
    paragraphs = article.paragraphs
    changes = _Changes()
    moved = set()
    for quote in stored:
        if quote.origin == Quote.Origin.EDITOR or quote.rejected:
            before = (quote.paragraph, quote.start, quote.end)
            if _locate(quote, paragraphs) and (quote.paragraph, quote.start, quote.end) != before:
                moved.add(quote.pk)
    editors = [q for q in stored if q.origin == Quote.Origin.EDITOR and not q.rejected]
    rejected_keys = {q.key for q in stored if q.rejected}
    extracted = [q for q in stored if q.origin == Quote.Origin.EXTRACTED and not q.rejected]
    by_place = {(q.paragraph, q.start, q.end): q for q in extracted}
    by_key = defaultdict(list)
    for quote in extracted:
        by_key[quote.key].append(quote)
    matched = set()
    for item in found:
        report.found += 1
        key = quote_key(normalise_quote(item.text))
        place = (item.paragraph, item.start, item.end)
        if key in rejected_keys:
            report.kept_rejected += 1
            continue
        if any(_overlaps(*place, q) for q in editors):
            continue
        same = by_place.get(place)
        if same is None or same.pk in matched:
            same = next((q for q in by_key.get(key, ()) if q.pk not in matched), None)
        if same is None:
            changes.create.append(_new_quote(article, item))
            continue
        matched.add(same.pk)
        if _refresh(same, item):
            changes.update.append(same)
    for quote in extracted:
        if quote.pk in matched:
            continue
        if quote.speaker_corrected and _locate(quote, paragraphs):
            moved.add(quote.pk)  # the editor's speaker is kept while the words are there
            continue
        changes.delete.append(quote.pk)
    updated = {q.pk for q in changes.update}
    changes.update += [q for q in stored if q.pk in moved and q.pk not in updated]
    return changes


def _refresh(quote: Quote, found: FoundQuote) -> bool:
    """Update a matched quote's place, words and (unless an editor set it) speaker."""
    before = [getattr(quote, name) for name in ("paragraph", "start", "end", "text")]
    speaker_before = (quote.speaker_name, quote.speaker_id)
    quote.paragraph, quote.start, quote.end, quote.text = (
        found.paragraph,
        found.start,
        found.end,
        found.text,
    )
    if not quote.speaker_corrected:
        quote.speaker_name, quote.speaker_id = found.speaker_name[:300], found.speaker_id
    quote.refresh_normalised()
    after = [getattr(quote, name) for name in ("paragraph", "start", "end", "text")]
    return before != after or speaker_before != (quote.speaker_name, quote.speaker_id)


def _apply(changes: _Changes, report: QuoteReport) -> None:
    if changes.delete:
        # One by one underneath, so each deletion is in the quotes' history.
        Quote.objects.filter(pk__in=changes.delete).delete()
    if changes.update:
        bulk_update_with_history(
            changes.update,
            Quote,
            UPDATED_FIELDS,
            batch_size=BATCH_SIZE,
            default_change_reason=CHANGE_REASON,
        )
    created, refetched = [], False
    if changes.create:
        created = bulk_create_with_history(
            changes.create, Quote, batch_size=BATCH_SIZE, default_change_reason=CHANGE_REASON
        )
        if refetched := any(q.pk is None for q in created):  # a database that returns no ids
            created = list(Quote.objects.filter(key__in={q.key for q in created}))
    store_shingles(changes.update)
    # Refetched by their words, they may include older quotes, which have runs.
    store_shingles(created, new=not refetched)
    report.added += len(changes.create)
    report.updated += len(changes.update)
    report.removed += len(changes.delete)


def update_quotes(article: Article) -> QuoteReport:
    """Re-extract one article's quotes from its current text (in one transaction)."""
    return update_quotes_for_ids([article.pk])


def update_quotes_for_ids(
    article_ids: Iterable[int],
    progress: Callable[[str], None] | None = None,
    batch_size: int = BATCH_SIZE,
    queue_changed: bool = False,
    names: NameFinder | None = None,
) -> QuoteReport:
    """Re-extract these articles' quotes, `batch_size` articles per transaction.

    With `queue_changed`, the articles whose quotes changed are queued for the
    search index in the transaction of their batch (indexing an article indexes
    its quotes): for a re-extraction on its own (`manage.py extract_quotes`).
    `archive.articles.article_changed` queues its articles itself.
    """
    ids = sorted(set(article_ids))
    report = QuoteReport()
    # The vocabulary (for speakers no mention links) is read once for the whole run,
    # as the tagger reads it: its change token costs four queries, which were a
    # quarter of an import's time when read for each article.
    if names is None and ids:
        names = current_vocabulary().names
    for first in range(0, len(ids), batch_size):
        batch_ids = ids[first : first + batch_size]
        with transaction.atomic():
            articles = list(
                Article.objects.select_for_update()
                .filter(pk__in=batch_ids)
                .order_by("pk")
                .only("id", "body")
            )
            mentions = defaultdict(list)
            for mention in Mention.objects.filter(article__in=articles).select_related("entity"):
                mentions[mention.article_id].append(mention)
            stored = defaultdict(list)
            for quote in Quote.objects.filter(article__in=articles).order_by("pk"):
                stored[quote.article_id].append(quote)
            total = _Changes()
            changed_before = len(report.changed_article_ids)
            for article in articles:
                found = quotes_in(article, mentions[article.pk], names)
                changes = reconcile(article, found, stored[article.pk], report)
                report.articles += 1
                if changes.create or changes.update or changes.delete:
                    report.changed_article_ids.append(article.pk)
                total.create += changes.create
                total.update += changes.update
                total.delete += changes.delete
            _apply(total, report)
            if queue_changed:
                queue_articles(report.changed_article_ids[changed_before:])
        if progress:
            progress(f"{min(first + batch_size, len(ids)):,} of {len(ids):,} articles read…")
    return report
