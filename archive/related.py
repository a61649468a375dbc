"""Articles related to an article: editors' links first, then ones alike in wording and entities.

Computed relations add up two signals, each from the place that does it best:
- wording: the search engine's more-like-this (haystack's, on the index's
  `text` field), its scores divided by the best one so the closest match is 1;
  its hits are the candidates;
- entities: the entities both articles name (non-rejected mentions), each
  weighted by how rare it is in the archive (an inverse document frequency
  scaled to 0–1, so "China", named everywhere, adds next to nothing), and
  weighted again when both articles name it in their first paragraph, where
  a news story says what it is about. The database computes this score, which
  re-ranks the candidates and, alone, fills the places more-like-this leaves empty.

On the seed articles, wording alone puts the leak stories (001, 004) next to
every other article; the entities named in the leads (Turkey, Xinjiang) are
what keeps the extradition stories and the leak stories apart.

A common entity is one whose scaled rarity is below COMMON_RARITY, that is one
named in more than N^-1/4 of the N published articles: 4 of the 5 seed
articles, 1 in 7 of 2,225, 1 in 10 of 12,270. In an archive about the Uyghurs,
"China", "Uyghurs" and "Muslims" are named nearly everywhere and say nothing
about what two articles have in particular: a common entity neither relates
two articles nor is named in the reason, so an article alike only in wording
and in common names is shown as "similar wording", never "shares: Muslims,
China, Uyghurs".

The number of queries is fixed whatever the size of the archive, and a search
engine that fails (index missing or locked) leaves the entity part standing.

Working them out costs a more-like-this search (0.7–1.3 s per article at
20,000 articles on the 2-core machine of docs/performance.md, "Reader pages at
scale"), so it is done once per state of an article and kept
(`RelatedList`): `sync_index`, which cron runs, works out the lists that are
missing or stale after it flushes the index queue, newest articles first, and
`refresh_related` does all of them. A reader's page never asks the search
engine (`work_out=False`): it reads the article's stored list, leaving out the
articles unpublished since, even when the list was worked out from an earlier
state of the article (an edit, before the next `sync_index`); an article with
no list yet (just added, or after a bulk import, before `refresh_related`
has reached it) shows the articles that share its particular names, the
database's part alone, which is not kept. So a page costs a few indexed
queries whatever the archive's size, and a crawler walking new articles holds
no worker for a second each. Everything else (`refresh_related`, an editor's
code asking `related_documents()`) works the list out and keeps it.
"""

import logging
import math
import operator
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import reduce

from django.db import DatabaseError, transaction
from django.db.models import Case, FloatField, Max, Min, QuerySet, Value, When
from haystack.query import SearchQuerySet

from archive.browse import articles_naming_each_entity, per_archive_state
from archive.models import Article, Entity, Mention, RelatedLink, RelatedList
from archive.search.indexes import article_versions

log = logging.getLogger(__name__)

# Weights against the best more-like-this match (1.0), per unit of scaled rarity.
ENTITY_WEIGHT = 0.5  # an entity both articles name
LEAD_WEIGHT = 4.0  # added when both name it in their first LEAD_PARAGRAPHS paragraphs
LEAD_PARAGRAPHS = 1  # ¶1 to ¶LEAD_PARAGRAPHS
# The rarest entities of the article count; the rest would only lengthen the query.
MAX_ENTITIES = 40
# How many candidates to consider, per related article wanted (and at least).
CANDIDATES_PER_RESULT = 4
MIN_CANDIDATES = 20

# Below this scaled rarity an entity is common (see above).
COMMON_RARITY = 0.25

# Computed related articles kept per article: more than a page shows (5), so that the page
# stays full when some are unpublished or linked by an editor after the list was stored.
STORED_PER_ARTICLE = 10
REFRESH_BATCH = 100  # articles read at a time when lists are worked out in bulk
STALE = ""  # the version of a list to work out again: no article has it

REASON_ENTITIES = 3
SIMILAR_WORDING = "similar wording"
CHOSEN_BY_EDITOR = "chosen by an editor"
# Kinds that name one particular thing come first in a reason; places and groups after.
SPECIFIC_KINDS = (Entity.Kind.PERSON, Entity.Kind.ORGANISATION, Entity.Kind.DOCUMENT)


@dataclass(frozen=True)
class Related:
    """One related article and, in a line, why it is related."""

    article: Article
    reason: str
    curated: bool = False
    note: str = ""


@dataclass(frozen=True)
class _OwnEntity:
    name: str
    kind: str
    rarity: float  # 0 when every published article names it, towards 1 for the rarest
    in_lead: bool

    @property
    def common(self) -> bool:
        return self.rarity < COMMON_RARITY

    @property
    def reason_order(self):
        return (self.kind not in SPECIFIC_KINDS, -self.rarity, self.name)


def related_documents(article: Article, limit: int = 5, *, work_out: bool = True) -> list[Related]:
    """Up to `limit` published articles related to `article`, the editors' choices first.

    With `work_out=False` (a reader's page) the search engine is not asked: the stored
    list as it is, or the shared names alone when there is none (see the module's notes).
    """
    if limit <= 0:
        return []
    curated = _curated(article)[:limit]
    if len(curated) == limit:
        return curated
    exclude_ids = {article.pk} | {r.article.pk for r in curated}
    if not work_out:
        return curated + _stored_or_shared_names(article, limit - len(curated), exclude_ids)
    return curated + _stored_or_computed(article, limit - len(curated), exclude_ids)


def _stored_or_shared_names(article: Article, limit: int, exclude_ids: set[int]) -> list[Related]:
    """The article's stored list, whatever state of the article it was worked out from, or
    the articles sharing its particular names when it has none; never the search engine."""
    stored = RelatedList.objects.filter(article=article).first()
    if stored is None:
        return _computed(article, limit, exclude_ids, ask_engine=False)[0]
    return _shown(stored.related, limit, exclude_ids)


def _shown(pairs: list[list], limit: int, exclude_ids: set[int]) -> list[Related]:
    """The first `limit` of a stored list's (id, reason) pairs still published and not
    excluded."""
    articles = _published_in_bulk([pk for pk, _ in pairs if pk not in exclude_ids])
    return [
        Related(article=articles[pk], reason=reason)
        for pk, reason in pairs
        if pk in articles and pk not in exclude_ids
    ][:limit]


def _stored_or_computed(article: Article, limit: int, exclude_ids: set[int]) -> list[Related]:
    """The computed related articles from the article's stored list, worked out and stored
    first if it has none of its current state.

    Computed live instead when a full list cannot give `limit` of them: asked
    for more than a list holds, or too many of its articles are now drafts,
    deleted or among the editors' links.
    """
    version = _current_version(article)
    stored = RelatedList.objects.filter(article=article, version=version).first()
    if stored is not None:
        pairs = stored.related
        shown = _shown(pairs, limit, exclude_ids)
    else:
        related, complete = _computed(article, STORED_PER_ARTICLE, {article.pk})
        # Without the engine's answer the list is only the entities' part: not kept; nor is
        # a draft's (an editor's preview), which changes again when it is published.
        if complete and article.is_published:
            _store(article, version, related)
        pairs = _pairs(related)
        shown = [r for r in related if r.article.pk not in exclude_ids][:limit]
    if len(shown) < limit and len(pairs) == STORED_PER_ARTICLE:
        return _computed(article, limit, exclude_ids)[0]
    return shown


def _current_version(article: Article) -> str:
    return article_versions(Article.objects.filter(pk=article.pk)).get(article.pk, "")


def _published_in_bulk(ids: list[int]) -> dict[int, Article]:
    return (
        Article.objects.published()
        .select_related("source")
        .defer("body", "original_text")
        .by_id(ids)
    )


def _store(article: Article, version: str, related: list[Related]) -> list[int]:
    """Keep `related` as the article's list of `version`; a reader's page is still shown
    when the database cannot take the write now (another process holds SQLite's lock).

    The lists of the articles in it that were worked out before the article's
    last save (a new article, or an edit) and do not name it are made stale,
    since the article may belong in them now; their ids are returned.
    """
    pairs = _pairs(related)
    try:
        with transaction.atomic():
            RelatedList.objects.update_or_create(
                article_id=article.pk, defaults={"version": version, "related": pairs}
            )
            return _make_stale_without(article, [pk for pk, _ in pairs])
    except DatabaseError:
        log.warning("related documents of article %s not stored", article.pk, exc_info=True)
        return []


def _pairs(related: list[Related]) -> list[list]:
    return [[r.article.pk, r.reason] for r in related]


def _make_stale_without(article: Article, among: list[int]) -> list[int]:
    """Mark stale the lists of `among` older than the article's last save that lack it."""
    lists = RelatedList.objects.filter(
        article__in=among, computed_at__lt=article.updated_at
    ).values_list("article_id", "related")
    missing = [pk for pk, pairs in lists if article.pk not in {related for related, _ in pairs}]
    if missing:
        RelatedList.objects.filter(article__in=missing).update(version=STALE)
    return missing


def refresh_related_lists(
    article_ids: Iterable[int] | None = None,
    *,
    everything: bool = False,
    seconds: float | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Work out and store the related lists that are missing or stale (every one with
    `everything`) of the published articles among `article_ids` (all by default), newest
    first, then those the new lists made stale; stop after `seconds`. Return how many were
    stored.

    A list is stale once its article's text or tags changed (`RelatedList.version`), or
    an article saved since it was worked out found it among its own related ones.
    `everything` also brings older lists up to date with articles added since.
    """
    started = time.monotonic()
    articles = Article.objects.published().newest_first()
    if article_ids is not None:
        articles = articles.filter(pk__in=list(article_ids))
    due = list(articles.values_list("pk", flat=True)) if everything else lists_due(articles)
    pending, done = set(due), 0
    while due:
        ids, due = due[:REFRESH_BATCH], due[REFRESH_BATCH:]
        # Each version read before the work: a change made during it leaves the list stale.
        versions = article_versions(Article.objects.published().filter(pk__in=ids))
        batch = _published_in_bulk(list(versions))
        for pk in ids:
            pending.discard(pk)
            if seconds is not None and time.monotonic() - started >= seconds:
                return done
            if pk not in batch:
                continue  # unpublished or deleted meanwhile
            related, complete = _computed(batch[pk], STORED_PER_ARTICLE, {pk})
            if not complete:
                return done  # the search engine failed: the next run takes it up
            for stale in _store(batch[pk], versions[pk], related):
                if stale not in pending:
                    pending.add(stale)
                    due.append(stale)
            done += 1
            if progress:
                progress(done)
    return done


def related_list_computed_at(slug: str):
    """When the stored related documents of the article at `slug` were last worked out (None
    if they never were): the article page's own validator, since a list worked out again in
    the background changes the page without changing the archive."""
    return (
        RelatedList.objects.filter(article__slug=slug).values_list("computed_at", flat=True).first()
    )


def lists_due(articles: QuerySet[Article]) -> list[int]:
    """Those of `articles` (published) whose related list is missing or stale, in their order."""
    versions = article_versions(articles)
    stored = dict(
        RelatedList.objects.filter(article__in=articles.values("pk")).values_list(
            "article_id", "version"
        )
    )
    return [pk for pk, version in versions.items() if stored.get(pk) != version]


def _curated(article: Article) -> list[Related]:
    links = (
        RelatedLink.objects.filter(
            from_article=article, to_article__status=Article.Status.PUBLISHED
        )
        .select_related("to_article__source")
        .order_by("created_at", "pk")
    )
    return [
        Related(
            article=link.to_article,
            reason=link.note or CHOSEN_BY_EDITOR,
            curated=True,
            note=link.note,
        )
        for link in links
    ]


def _computed(
    article: Article, limit: int, exclude_ids: set[int], *, ask_engine: bool = True
) -> tuple[list[Related], bool]:
    """More-like-this finds the candidates and the shared entities re-rank them; and whether
    the search engine answered (False when it was not asked: the entities' part alone).

    The entities alone only fill the places more-like-this leaves empty (few
    hits, or the engine failed): on the BBC corpus, letting every article that
    shares "US" or "London" compete with the wording's matches made the
    related articles worse.
    """
    pool = max(MIN_CANDIDATES, CANDIDATES_PER_RESULT * limit) + len(exclude_ids)
    entities = _own_entities(article)
    wording = _similar_wording(article, pool) if ask_engine else None
    complete = wording is not None
    wording = wording or {}
    for article_id in exclude_ids:
        wording.pop(article_id, None)
    scores = dict(wording)
    if wording:
        for article_id, score in _shared_entity_scores(article, entities, among=list(wording)):
            scores[article_id] += score
    if len(wording) < limit + CANDIDATES_PER_RESULT:
        for article_id, score in _shared_entity_scores(article, entities, count=pool):
            scores.setdefault(article_id, score)
    for article_id in exclude_ids:
        scores.pop(article_id, None)
    if not scores:
        return [], complete

    articles = (
        Article.objects.published()
        .select_related("source")
        .defer("body", "original_text")
        .by_id(list(scores))
    )
    ranked = sorted(
        articles,
        key=lambda article_id: (article_id not in wording, -scores[article_id], article_id),
    )
    chosen, seen_texts = [], {article.body_sha256}
    for article_id in ranked:
        related = articles[article_id]
        if related.body_sha256 in seen_texts:
            continue  # the same text under another slug
        seen_texts.add(related.body_sha256)
        chosen.append(related)
        if len(chosen) == limit:
            break
    reasons = _reasons(entities, [r.pk for r in chosen])
    related = [Related(article=r, reason=reasons.get(r.pk, SIMILAR_WORDING)) for r in chosen]
    return related, complete


def _similar_wording(article: Article, count: int) -> dict[int, float] | None:
    """Ids of the articles the search engine finds most alike in wording, scored 0–1.

    None when the engine fails (related articles are a help, not worth an error page) or
    finds nothing: a list without the wording's part is shown but not kept.
    """
    try:
        hits = [
            (int(hit.pk), hit.score or 0.0)
            for hit in SearchQuerySet().models(Article).more_like_this(article)[:count]
        ]
    except Exception:
        log.warning("more-like-this failed for article %s", article.pk, exc_info=True)
        return None
    if not hits:
        return None  # not indexed yet (its change still queued), or alike to nothing so far
    best = max(score for _, score in hits)
    if best <= 0:
        return {}
    return {article_id: score / best for article_id, score in hits}


def _own_entities(article: Article) -> dict[int, _OwnEntity]:
    """The entities `article` names, with how rare each is among published articles."""
    named = {
        row["entity"]: row
        for row in Mention.objects.filter(article=article, rejected=False)
        .values("entity", "entity__name", "entity__kind")
        .annotate(first_paragraph=Min("paragraph"))
    }
    if not named:
        return {}
    published = per_archive_state("published articles", Article.objects.published().count)
    naming = articles_naming_each_entity()
    entities = {}
    for entity_id, row in named.items():
        first = row["first_paragraph"]
        entities[entity_id] = _OwnEntity(
            name=row["entity__name"],
            kind=row["entity__kind"],
            rarity=_rarity(naming.get(entity_id, 1), published),
            in_lead=first is not None and first <= LEAD_PARAGRAPHS,
        )
    return entities


def _rarity(articles: int, published: int) -> float:
    """Inverse document frequency scaled to 0–1: ln(N/n) / ln(N)."""
    if published < 2:
        return 0.0
    return max(0.0, math.log(published / max(articles, 1)) / math.log(published))


def _shared_entity_scores(
    article: Article,
    entities: dict[int, _OwnEntity],
    *,
    among: list[int] | None = None,
    count: int | None = None,
) -> list[tuple[int, float]]:
    """The weight of the entities published articles share with `article`.

    For the articles `among` these ids, or else for the `count` articles it is highest for.

    One query: every shared entity counts once per article (the Max of its
    weight over the article's mentions of it), more if it is in both leads.
    """
    weighed = sorted(
        ((entity_id, e) for entity_id, e in entities.items() if not e.common),
        key=lambda item: -item[1].rarity,
    )[:MAX_ENTITIES]
    if not weighed:
        return []
    terms = []
    for entity_id, entity in weighed:
        cases = [When(entity_id=entity_id, then=Value(ENTITY_WEIGHT * entity.rarity))]
        if entity.in_lead:
            in_both_leads = (ENTITY_WEIGHT + LEAD_WEIGHT) * entity.rarity
            cases.insert(
                0,
                When(
                    entity_id=entity_id,
                    paragraph__lte=LEAD_PARAGRAPHS,
                    then=Value(in_both_leads),
                ),
            )
        terms.append(Max(Case(*cases, default=Value(0.0), output_field=FloatField())))
    mentions = Mention.objects.filter(
        entity__in=[entity_id for entity_id, _ in weighed],
        rejected=False,
        article__status=Article.Status.PUBLISHED,
    ).exclude(article=article)
    if among is not None:
        mentions = mentions.filter(article__in=among)
    rows = (
        mentions.values("article")
        .annotate(score=reduce(operator.add, terms))
        .order_by("-score", "article")
        .values_list("article", "score")
    )
    return list(rows if count is None else rows[:count])


def _reasons(entities: dict[int, _OwnEntity], article_ids: list[int]) -> dict[int, str]:
    """For each of `article_ids` sharing entities that are not common, a line naming up to
    three of them.

    Persons, organisations and documents before places and groups, the rarer first.
    """
    particular = [entity_id for entity_id, e in entities.items() if not e.common]
    if not particular or not article_ids:
        return {}
    pairs = (
        Mention.objects.filter(article__in=article_ids, entity__in=particular, rejected=False)
        .values_list("article", "entity")
        .distinct()
        .order_by()
    )
    shared: dict[int, list[_OwnEntity]] = {}
    for article_id, entity_id in pairs:
        shared.setdefault(article_id, []).append(entities[entity_id])
    return {
        article_id: "shares: "
        + ", ".join(e.name for e in sorted(named, key=lambda e: e.reason_order)[:REASON_ENTITIES])
        for article_id, named in shared.items()
    }
