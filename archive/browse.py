"""What a reader can browse: published articles, their sources and the entities they mention."""

import datetime
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
)

from archive.models import Article, Entity, Mention, Source

ARTICLES_PER_PAGE = 20
LATEST_ON_HOME = 20
CO_MENTIONED_SHOWN = 20
SENTENCE_LIMIT = 300  # characters of a snippet sentence before it is cut around the mention
PUBLISHED = Article.Status.PUBLISHED

ENTITY_KIND_HEADINGS = {
    Entity.Kind.PERSON: "People",
    Entity.Kind.ORGANISATION: "Organisations",
    Entity.Kind.PLACE: "Places",
    Entity.Kind.GROUP: "Groups",
    Entity.Kind.DOCUMENT: "Documents and events",
}


def published_articles() -> QuerySet[Article]:
    """Every published article with its source, newest first and undated last."""
    return Article.objects.published().newest_first().select_related("source")


def latest_articles(limit: int = LATEST_ON_HOME) -> list[Article]:
    return list(published_articles()[:limit])


def page_of(articles: QuerySet, page_number: str | None) -> Page:
    """The requested page; a malformed number gives the first page, one too large the last."""
    return Paginator(articles, ARTICLES_PER_PAGE).get_page(page_number)


def readable_articles() -> QuerySet[Article]:
    """Published articles with the entities their own page shows, in a fixed number of queries.

    `shown_mentions` holds the mentions an editor has not rejected, with their
    entities, in reading order. (Related articles come from archive.related.)
    """
    mentions = (
        Mention.objects.filter(rejected=False)
        .select_related("entity")
        .order_by(F("paragraph").asc(nulls_last=True), "start", "pk")
    )
    return (
        Article.objects.published()
        .select_related("source")
        .prefetch_related(Prefetch("mentions", queryset=mentions, to_attr="shown_mentions"))
    )


def mentions_by_paragraph(article: Article) -> dict[int, list[Mention]]:
    """The article's shown mentions that have a place in its text, by 0-based paragraph.

    A mention whose words are no longer at its offsets (the text was edited
    after an editor placed it) is left out rather than linking the wrong words.
    """
    paragraphs = article.paragraphs
    placed: dict[int, list[Mention]] = {}
    for mention in article.shown_mentions:
        number, start, end = mention.paragraph, mention.start, mention.end
        if number is None or start is None or end is None or number >= len(paragraphs):
            continue
        if mention.surface and paragraphs[number][start:end] != mention.surface:
            continue
        placed.setdefault(number, []).append(mention)
    return placed


@dataclass
class CountedEntity:
    entity: Entity
    count: int


@dataclass
class EntityKindGroup:
    kind: str
    heading: str
    entities: list[CountedEntity]


def entities_in(article: Article) -> list[EntityKindGroup]:
    """The entities of the article's shown mentions, by kind, each with its number of mentions.

    Counted from the prefetched mentions: one article names few entities.
    """
    counts = Counter(mention.entity for mention in article.shown_mentions)
    groups = []
    for kind in Entity.Kind.values:
        members = sorted(
            (CountedEntity(entity, n) for entity, n in counts.items() if entity.kind == kind),
            key=lambda counted: (-counted.count, counted.entity.name),
        )
        if members:
            groups.append(EntityKindGroup(kind, ENTITY_KIND_HEADINGS[kind], members))
    return groups


def sources_with_counts() -> QuerySet[Source]:
    """Sources that have published articles, by name, each with `article_count`."""
    # Grouped queries ignore Meta.ordering, so the order is stated here.
    return (
        Source.objects.annotate(
            article_count=Count("articles", filter=Q(articles__status=PUBLISHED))
        )
        .filter(article_count__gt=0)
        .order_by("name")
    )


def articles_from(source: Source) -> QuerySet[Article]:
    return published_articles().filter(source=source)


def articles_without_source() -> QuerySet[Article]:
    return published_articles().filter(source__isnull=True)


def entities_with_counts() -> QuerySet[Entity]:
    """Entities, each with the number of published articles an editor has not untagged it from."""
    return Entity.objects.annotate(
        article_count=Count(
            "mentions__article",
            filter=Q(mentions__rejected=False, mentions__article__status=PUBLISHED),
            distinct=True,
        )
    )


@dataclass
class EntityGroup:
    heading: str
    entities: list[Entity]


def entities_by_kind() -> list[EntityGroup]:
    """Entities with their counts, grouped by kind in the order the kinds are declared."""
    kind_order = Case(*(When(kind=kind, then=n) for n, kind in enumerate(Entity.Kind.values)))
    entities = entities_with_counts().order_by(kind_order, "name")
    return [
        EntityGroup(ENTITY_KIND_HEADINGS[kind], list(members))
        for kind, members in groupby(entities, key=lambda entity: entity.kind)
    ]


def articles_mentioning(entity: Entity) -> QuerySet[Article]:
    """Published articles that mention `entity`, newest first, undated last.

    Each carries where its first mention is: `first_paragraph`, `first_start`
    and `first_end` (None for a tag without a place in the text).
    """
    mentions = Mention.objects.filter(article=OuterRef("pk"), entity=entity, rejected=False)
    first = mentions.order_by(
        F("paragraph").asc(nulls_last=True), F("start").asc(nulls_last=True), "pk"
    )
    return (
        published_articles()
        .filter(Exists(mentions))
        .annotate(
            first_paragraph=Subquery(first.values("paragraph")[:1]),
            first_start=Subquery(first.values("start")[:1]),
            first_end=Subquery(first.values("end")[:1]),
        )
    )


@dataclass
class Sentence:
    """A sentence quoted from an article, with the words to mark (offsets into `text`)."""

    text: str
    marks: list[tuple[int, int]]


# The end of a sentence: a stop, perhaps closed by quotes or brackets, before a space.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s)")


def sentence_around(
    text: str, start: int, end: int, limit: int = SENTENCE_LIMIT
) -> Sentence | None:
    """The sentence of `text` that holds text[start:end], that span marked; None if out of range.

    A long sentence is cut at spaces around the span, with an ellipsis where it was cut.
    """
    if not (0 <= start < end <= len(text)):
        return None
    begin = 0
    for stop in _SENTENCE_END.finditer(text, 0, start):
        begin = stop.end()
    stop = _SENTENCE_END.search(text, end)
    finish = stop.end() if stop else len(text)
    while begin < start and text[begin].isspace():
        begin += 1
    prefix = suffix = ""
    if finish - begin > limit:
        window_start = max(begin, start - limit // 3)
        if window_start > begin:
            window_start = text.find(" ", window_start, start) + 1 or window_start
            prefix = "…"
        window_end = min(finish, max(end, window_start + limit))
        if window_end < finish:
            space = text.rfind(" ", end, window_end)
            window_end = space if space > end else window_end
            suffix = "…"
        begin, finish = window_start, window_end
    shift = len(prefix) - begin
    return Sentence(prefix + text[begin:finish] + suffix, [(start + shift, end + shift)])


@dataclass
class TimelineEntry:
    article: Article
    sentence: Sentence | None


@dataclass
class TimelineMonth:
    """The articles of one month (its first day), or of unknown date when `month` is None."""

    month: datetime.date | None
    entries: list[TimelineEntry]


@dataclass
class TimelineYear:
    year: int | None
    months: list[TimelineMonth]


def timeline(articles: Iterable[Article]) -> list[TimelineYear]:
    """Articles from `articles_mentioning` (newest first, undated last) by year and month,
    each with the sentence of its first mention."""
    months = [
        TimelineMonth(month, [TimelineEntry(a, first_sentence(a)) for a in members])
        for month, members in groupby(articles, key=_month_of)
    ]
    return [
        TimelineYear(year, list(members))
        for year, members in groupby(months, key=lambda m: m.month.year if m.month else None)
    ]


def _month_of(article: Article) -> datetime.date | None:
    return article.published_on.replace(day=1) if article.published_on else None


def first_sentence(article: Article) -> Sentence | None:
    paragraphs = article.paragraphs
    number = article.first_paragraph
    if number is None or number >= len(paragraphs) or article.first_start is None:
        return None
    return sentence_around(paragraphs[number], article.first_start, article.first_end or 0)


def co_mentioned(entity: Entity, limit: int = CO_MENTIONED_SHOWN) -> QuerySet[Entity]:
    """Other entities named in the published articles that mention `entity`, most shared first.

    Each has `article_count`: the number of those articles that name it too.
    """
    articles = Mention.objects.filter(
        entity=entity, rejected=False, article__status=PUBLISHED
    ).values("article")
    return (
        Entity.objects.filter(mentions__rejected=False, mentions__article__in=articles)
        .exclude(pk=entity.pk)
        .annotate(article_count=Count("mentions__article", distinct=True))
        .order_by("-article_count", "name")[:limit]
    )
