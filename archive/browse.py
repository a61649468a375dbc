"""What a reader can browse: published articles, their sources and the entities they mention."""

from dataclasses import dataclass
from itertools import groupby

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Q, QuerySet, When

from archive.models import Article, Entity, Mention, RelatedLink, Source

ARTICLES_PER_PAGE = 20
LATEST_ON_HOME = 20
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
    """Published articles with everything their own page shows, in a fixed number of queries.

    Related links to articles that are not published are left out: a reader
    could not follow them.
    """
    related_links = RelatedLink.objects.filter(to_article__status=PUBLISHED).select_related(
        "to_article__source"
    )
    return (
        Article.objects.published()
        .select_related("source")
        .prefetch_related(Prefetch("related_links", queryset=related_links))
    )


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
    mentions = Mention.objects.filter(article=OuterRef("pk"), entity=entity, rejected=False)
    return published_articles().filter(Exists(mentions))
