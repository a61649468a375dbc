"""Tag articles with the entities they name, keeping editors' tags and rejections on every re-tag.

Re-tagging an article brings its automatic mentions in line with what the
tagger finds in its current text, writing only the difference (so doing it
twice changes nothing the second time):

* a mention an editor added (origin "editor") is never touched, and the
  tagger does not add an automatic copy at the same place;
* an editor's tag confirms its entity in the whole article: a partial
  spelling of it ("Zair" for Kerim Zair) then tags there, as it does where
  the article names the entity in full; elsewhere a partial spelling is only
  a possible mention (`possible_mentions`, docs/entities.md);
* an editor's rejections hold: when every mention of entity E in article A
  is rejected, E is rejected in the whole article, and every automatic
  mention of E the tagger finds in A is stored rejected too, so E does not
  come back; when only some are (one wrong "China" among right ones), those
  places stay rejected and the others tagged. A place is where the mention
  is (paragraph and offsets) with its words: an edit that moves a partly
  rejected entity's words may bring its rejected place back as a new tag,
  for the editor to reject again;
* rejected rows are never deleted, even where the text has since changed,
  so the rejection outlives any edit;
* every other automatic mention that the tagger no longer finds is deleted.

Articles whose mentions changed are queued for the search index (its
`entities` facet) in the same transaction and flushed after the commit.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet
from simple_history.utils import bulk_create_with_history

from archive.entities.matching import Found, NameFinder
from archive.entities.vocabulary import current_vocabulary
from archive.models import Article, Mention
from archive.search.indexing import (
    flush_after_commit,
    queue_articles,
    reindex_articles_after_commit,
)

BATCH_SIZE = 500
CHANGE_REASON = "Tagged automatically"

Place = tuple[int, int | None, int | None, int | None]  # entity, paragraph, start, end


@dataclass
class RetagReport:
    """What re-tagging did: `found` automatic mentions, `rejected` of them kept rejected."""

    articles: int = 0
    found: int = 0
    rejected: int = 0
    added: int = 0
    removed: int = 0
    changed_article_ids: list[int] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return (
            f"{self.articles:,} articles tagged: {self.found:,} mentions found, "
            f"{self.rejected:,} kept rejected by editors; {self.added:,} added, "
            f"{self.removed:,} removed, {len(self.changed_article_ids):,} articles changed."
        )


def tag_article(
    article: Article, names: NameFinder | None = None, confirmed: Iterable[int] | None = None
) -> list[Mention]:
    """The automatic mentions the tagger finds in `article`'s paragraphs, unsaved.

    `confirmed`: the entities editors tagged in the article (read from the
    database when not given), whose partial spellings tag too.
    """
    if names is None:
        names = current_vocabulary().names
    if confirmed is None:
        confirmed = confirmed_entities(article)
    return [
        mention_at(article, found, Mention.Origin.AUTOMATIC)
        for found in names.tags(article.paragraphs, confirmed).tags
    ]


def confirmed_entities(article: Article) -> set[int]:
    """The entities an editor tagged in `article` (their own tags, not rejected)."""
    if article.pk is None:
        return set()
    return set(
        article.mentions.filter(origin=Mention.Origin.EDITOR, rejected=False).values_list(
            "entity_id", flat=True
        )
    )


def mention_at(article: Article, found: Found, origin: str) -> Mention:
    """The (unsaved) tag of `article` where `found` names its entity."""
    return Mention(
        article=article,
        entity_id=found.entity_id,
        paragraph=found.paragraph,
        start=found.start,
        end=found.end,
        surface=found.surface,
        origin=origin,
    )


def possible_mentions(article: Article, names: NameFinder | None = None) -> list[Found]:
    """Where `article` may name an entity by a partial spelling that the tagger does not tag.

    "Zair" in an article that never writes "Kerim Zair" and that no editor
    tagged with him: an editor confirms one by adding the tag (an editor's
    mention at that place), which also confirms the entity's other partial
    spellings in the article at the next re-tag, or leaves it. Places the
    editors rejected the entity in are left out. In reading order; each
    `Found` has the entity, the paragraph (¶1 first), offsets and surface.
    """
    if names is None:
        names = current_vocabulary().names
    if article.pk is None:
        return names.tags(article.paragraphs).possible
    rejected = set(
        article.mentions.filter(rejected=True).values_list("entity_id", flat=True).distinct()
    )
    return [
        found
        for found in names.tags(article.paragraphs, confirmed_entities(article)).possible
        if found.entity_id not in rejected
    ]


def _reconcile(found: list[Mention], stored: list[Mention]) -> tuple[list[Mention], list[int]]:
    """The mentions to create and the ids to delete to bring one article's `stored` rows in line.

    Marks each found mention of an entity an editor rejected in the article as
    rejected (see the module's docstring for the rules).
    """
    kept = {m.entity_id for m in stored if not m.rejected}
    rejected_entities = {m.entity_id for m in stored if m.rejected} - kept
    rejected_places = {(_place(m), m.surface) for m in stored if m.rejected}
    editors_places = {_place(m) for m in stored if m.origin == Mention.Origin.EDITOR}
    automatic = defaultdict(list)
    for mention in stored:
        if mention.origin == Mention.Origin.AUTOMATIC:
            automatic[(_place(mention), mention.surface, mention.rejected)].append(mention)
    to_create = []
    for mention in found:
        if _place(mention) in editors_places:
            continue
        mention.rejected = (
            mention.entity_id in rejected_entities
            or (_place(mention), mention.surface) in rejected_places
        )
        same = automatic.get((_place(mention), mention.surface, mention.rejected))
        if same:
            same.pop()
        else:
            to_create.append(mention)
    to_delete = [m.pk for rows in automatic.values() for m in rows if not m.rejected]
    return to_create, to_delete


def _place(mention: Mention) -> Place:
    return (mention.entity_id, mention.paragraph, mention.start, mention.end)


def _retag(articles: list[Article], names: NameFinder, report: RetagReport) -> list[int]:
    """Re-tag `articles` (in the caller's transaction); return the ids of those that changed."""
    stored = defaultdict(list)
    for mention in Mention.objects.filter(article__in=articles).order_by("pk"):
        stored[mention.article_id].append(mention)
    to_create, to_delete, changed = [], [], []
    for article in articles:
        confirmed = {
            m.entity_id
            for m in stored[article.pk]
            if m.origin == Mention.Origin.EDITOR and not m.rejected
        }
        found = tag_article(article, names, confirmed)
        created, deleted = _reconcile(found, stored[article.pk])
        report.articles += 1
        report.found += len(found)
        report.rejected += sum(m.rejected for m in found)
        to_create += created
        to_delete += deleted
        if created or deleted:
            changed.append(article.pk)
    if to_delete:
        # One by one underneath, so each deletion is in the mentions' history.
        Mention.objects.filter(pk__in=to_delete).delete()
    if to_create:
        bulk_create_with_history(
            to_create, Mention, batch_size=BATCH_SIZE, default_change_reason=CHANGE_REASON
        )
    report.added += len(to_create)
    report.removed += len(to_delete)
    report.changed_article_ids += changed
    return changed


def retag_article(article: Article, names: NameFinder | None = None) -> RetagReport:
    """Re-tag one article from its current text and queue it for the index if its tags changed."""
    if names is None:
        names = current_vocabulary().names
    report = RetagReport()
    with transaction.atomic():
        # Serialises concurrent re-tags of one article where the database can.
        list(Article.objects.select_for_update().filter(pk=article.pk).values_list("pk"))
        reindex_articles_after_commit(_retag([article], names, report))
    return report


def retag_articles(
    articles: QuerySet[Article],
    progress: Callable[[str], None] | None = None,
    batch_size: int = BATCH_SIZE,
    *,
    index: bool = True,
) -> RetagReport:
    """Re-tag every article of `articles`; see `retag_article_ids`."""
    ids = list(articles.order_by("pk").values_list("pk", flat=True))
    return retag_article_ids(ids, progress, batch_size, index=index)


def retag_article_ids(
    article_ids: Iterable[int],
    progress: Callable[[str], None] | None = None,
    batch_size: int = BATCH_SIZE,
    *,
    index: bool = True,
    names: NameFinder | None = None,
) -> RetagReport:
    """Re-tag these articles, `batch_size` at a time, each batch one transaction.

    The automaton (`names`, the current vocabulary's when not given) is read
    once. `progress` gets a line after each batch. With `index`, articles
    whose tags changed are queued for the search index and the queue is
    flushed once at the end; without it the caller indexes them.
    """
    names = names or current_vocabulary().names
    ids = sorted(set(article_ids))
    report = RetagReport()
    for first in range(0, len(ids), batch_size):
        with transaction.atomic():
            batch = list(
                Article.objects.select_for_update()
                .filter(pk__in=ids[first : first + batch_size])
                .order_by("pk")
                .only("id", "body")
            )
            changed = _retag(batch, names, report)
            if index:
                queue_articles(changed)
        if progress:
            progress(f"{min(first + batch_size, len(ids)):,} of {len(ids):,} articles tagged…")
    if index and report.changed_article_ids:
        flush_after_commit()
    return report
