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
"""

import logging
import math
import operator
from dataclasses import dataclass
from functools import reduce

from django.db.models import Case, Count, FloatField, Max, Min, Value, When
from haystack.query import SearchQuerySet

from archive.models import Article, Entity, Mention, RelatedLink

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


def related_documents(article: Article, limit: int = 5) -> list[Related]:
    """Up to `limit` published articles related to `article`, the editors' choices first."""
    if limit <= 0:
        return []
    curated = _curated(article)[:limit]
    if len(curated) == limit:
        return curated
    exclude_ids = {article.pk} | {r.article.pk for r in curated}
    return curated + _computed(article, limit - len(curated), exclude_ids)


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


def _computed(article: Article, limit: int, exclude_ids: set[int]) -> list[Related]:
    """More-like-this finds the candidates and the shared entities re-rank them.

    The entities alone only fill the places more-like-this leaves empty (few
    hits, or the engine failed): on the BBC corpus, letting every article that
    shares "US" or "London" compete with the wording's matches made the
    related articles worse.
    """
    pool = max(MIN_CANDIDATES, CANDIDATES_PER_RESULT * limit) + len(exclude_ids)
    entities = _own_entities(article)
    wording = _similar_wording(article, pool)
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
        return []

    articles = (
        Article.objects.published()
        .select_related("source")
        .defer("body", "original_text")
        .in_bulk(list(scores))
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
    return [Related(article=r, reason=reasons.get(r.pk, SIMILAR_WORDING)) for r in chosen]


def _similar_wording(article: Article, count: int) -> dict[int, float]:
    """Ids of the articles the search engine finds most alike in wording, scored 0–1.

    Empty when the engine fails: related articles are a help, not worth an error page.
    """
    try:
        hits = [
            (int(hit.pk), hit.score or 0.0)
            for hit in SearchQuerySet().models(Article).more_like_this(article)[:count]
        ]
    except Exception:
        log.warning("more-like-this failed for article %s", article.pk, exc_info=True)
        return {}
    best = max((score for _, score in hits), default=0.0)
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
    published = Article.objects.published().count()
    naming = dict(
        Mention.objects.filter(
            entity__in=list(named), rejected=False, article__status=Article.Status.PUBLISHED
        )
        .values("entity")
        .annotate(articles=Count("article", distinct=True))
        .values_list("entity", "articles")
    )
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
