"""What a reader can browse: published articles, their sources and the entities they mention."""

import datetime
import functools
import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from itertools import groupby
from typing import TypeVar

from django.core.cache import cache
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

from archive.models import (
    Alias,
    Article,
    Capture,
    Entity,
    Mention,
    OriginalCheck,
    Quote,
    RelatedLink,
    Source,
)
from archive.paragraphs import paragraph_text
from archive.sentences import cut_around, sentence_bounds

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


class ArticlePaginator(Paginator):
    """Django's Paginator for a query of articles, whose page reads from an index first.

    A page far down a long list skips many articles (OFFSET). Skipping them in
    the query that reads the articles made the database read every skipped
    article's row (110 ms for the last page of 20,000, against 0.8 ms for the
    first). So the page's ids are read first, from an index that holds the
    list's filter and order (`Article.Meta.indexes`), skipping entries of that
    index only (0.6 ms), then the page's articles by id (0.7 ms), put in the list's order.

    The articles are read by id alone, without the list's filter, which the ids
    have applied already: `rows` (the published articles with their sources by
    default; an entity's page adds where each first names it). With the filter,
    SQLite read an entity's articles in 4.9 ms instead of 1.3 (China at 20,000
    articles), and a source's through its (source, status) index, every article
    of the source, in 10.9 ms instead of 0.2 (Reuters at 100,000).
    """

    def __init__(self, object_list, per_page, *, rows: QuerySet | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.rows = published_articles() if rows is None else rows

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        found = self.rows.by_id(ids)
        return self._get_page([found[pk] for pk in ids if pk in found], number, self)


def page_of(articles: QuerySet, page_number: str | None, rows: QuerySet | None = None) -> Page:
    """The requested page; a malformed number gives the first page, one too large the last.
    `rows`: see ArticlePaginator.

    The list's number of articles is counted once per state of the archive
    (`per_archive_state`, keyed by the list's query), not on every page.
    """
    paginator = ArticlePaginator(articles, ARTICLES_PER_PAGE, rows=rows)
    # Paginator.count is a cached property: set, it is not counted again.
    paginator.count = per_archive_state(f"count {articles.query}", articles.count)
    return paginator.get_page(page_number)


T = TypeVar("T")
# archive_changed_at() as a page's request found it for its validators (views.caching).
_request_changed_at: ContextVar[datetime.datetime | None] = ContextVar("request_changed_at")


@contextmanager
def changed_at_known(changed: datetime.datetime | None) -> Iterator[None]:
    """Within this block `per_archive_state` takes `changed` as the time of the latest change,
    rather than asking the database again (a page's request has just asked)."""
    token = _request_changed_at.set(changed)
    try:
        yield
    finally:
        _request_changed_at.reset(token)


def per_archive_state(
    name: str, compute: Callable[[], T], *, keep: Callable[[T], bool] | None = None
) -> T:
    """`compute()`, worked out once per state of what the public pages show, for counts over
    many articles that every request would otherwise make again; a value `keep` refuses (an
    answer cut short) is not kept.

    Kept in Django's cache (each process's memory by default) under `name` and
    the time of the latest public change (`archive_changed_at`), the change token
    the pages' ETags are made from: after any change the key is new, so no
    process shows a count from before it.
    """
    changed = _request_changed_at.get(None) or archive_changed_at()
    if changed is None:
        return compute()
    key = "archive-state:" + hashlib.sha256(f"{changed.isoformat()} {name}".encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = compute()
        if keep is None or keep(value):
            cache.set(key, value, timeout=None)
    return value


# An article's page links at most this many mentions, the first in reading order; the
# list of names beside the text still counts every one. Linking all 7,597 mentions of
# an article at the size limit (ARCHIVE_MAX_ARTICLE_CHARS) doubled its page's time and
# size (docs/reliability.md).
MAX_LINKED_MENTIONS = 1_000


def readable_articles(articles: QuerySet[Article] | None = None) -> QuerySet[Article]:
    """Published articles (or these, a draft for its preview) with the entities their own page
    shows, in a fixed number of queries.

    `shown_mentions` holds the first MAX_LINKED_MENTIONS mentions an editor
    has not rejected, with their entities, in reading order. (Related
    articles come from archive.related.)
    """
    mentions = (
        Mention.objects.filter(rejected=False)
        .select_related("entity")
        .order_by(F("paragraph").asc(nulls_last=True), "start", "-end", "pk")
    )
    return (
        (Article.objects.published() if articles is None else articles)
        .select_related("source")
        .prefetch_related(
            Prefetch("mentions", queryset=mentions[:MAX_LINKED_MENTIONS], to_attr="shown_mentions")
        )
    )


def linked_until(article: Article) -> int | None:
    """The number of the last paragraph whose names are linked, when not all of them can be."""
    if len(article.shown_mentions) < MAX_LINKED_MENTIONS:
        return None
    if article.mentions.filter(rejected=False).count() == MAX_LINKED_MENTIONS:
        return None
    # None when the last one linked is a whole-article tag: those come after every placed one.
    return article.shown_mentions[-1].paragraph


def mentions_by_paragraph(article: Article, *, every: bool = False) -> dict[int, list[Mention]]:
    """The article's shown mentions to link in its text, by paragraph number.

    A reader follows a name once: by default only the first placed mention of
    each entity is linked and the rest of the text stays plain (the list
    beside the text counts them all). With `every`, a reader who asked for it
    gets every mention linked. Each mention returned carries `labelled`: true
    for the first of its entity, the only one that shows its kind's label.

    A mention whose words are no longer at its offsets (the text was edited
    after an editor placed it) is left out rather than linking the wrong words.
    """
    paragraphs = article.paragraphs
    placed: dict[int, list[Mention]] = {}
    linked: set[int] = set()  # entities already linked
    # Mentions come by paragraph, then start, longest first: one that ends no later than
    # an earlier one of its paragraph lies inside it, and is never seen ("Uyghur" in
    # "World Uyghur Congress", where an editor tagged both), so it is no first mention.
    paragraph, reach = None, -1
    for mention in article.shown_mentions:
        text, start, end = paragraph_text(paragraphs, mention.paragraph), mention.start, mention.end
        if text is None or start is None or end is None:
            continue
        if mention.surface and text[start:end] != mention.surface:
            continue
        if mention.paragraph != paragraph:
            paragraph, reach = mention.paragraph, -1
        if end <= reach:
            continue
        reach = end
        mention.labelled = mention.entity_id not in linked
        if not (mention.labelled or every):
            continue
        linked.add(mention.entity_id)
        placed.setdefault(mention.paragraph, []).append(mention)
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
    """The entities the article names (mentions not rejected), by kind, each with its number
    of mentions; counted by the database, all of them, linked or not."""
    named = list(
        Entity.objects.filter(mentions__article=article, mentions__rejected=False).annotate(
            mention_count=Count("mentions")
        )
    )
    groups = []
    for kind in Entity.Kind.values:
        members = sorted(
            (
                CountedEntity(entity, entity.mention_count)
                for entity in named
                if entity.kind == kind
            ),
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


def articles_naming_each_entity() -> dict[int, int]:
    """For each entity, the number of published articles that name it (mentions an editor
    rejected aside); entities no published article names are left out. Counted over every
    mention, so kept per state of the archive (`per_archive_state`)."""

    def count() -> dict[int, int]:
        return dict(
            Mention.objects.filter(rejected=False, article__status=PUBLISHED)
            .values("entity")
            .annotate(articles=Count("article", distinct=True))
            .values_list("entity", "articles")
        )

    return per_archive_state("articles naming each entity", count)


@dataclass
class EntityGroup:
    kind: str
    heading: str
    entities: list[Entity]


def entities_by_kind() -> list[EntityGroup]:
    """Entities named in published articles, with their counts, grouped by kind in the order
    the kinds are declared. An entity no published article names has nothing to show a reader."""
    kind_order = Case(*(When(kind=kind, then=n) for n, kind in enumerate(Entity.Kind.values)))
    naming = articles_naming_each_entity()
    entities = []
    for entity in Entity.objects.order_by(kind_order, "name"):  # the vocabulary, not the mentions
        entity.article_count = naming.get(entity.pk, 0)
        if entity.article_count:
            entities.append(entity)
    return [
        EntityGroup(kind, ENTITY_KIND_HEADINGS[kind], list(members))
        for kind, members in groupby(entities, key=lambda entity: entity.kind)
    ]


def articles_mentioning(entity: Entity) -> QuerySet[Article]:
    """Published articles that mention `entity`, newest first, undated last, each with where
    its first mention is (`with_first_mention`)."""
    mentioning = Mention.objects.filter(entity=entity, rejected=False).values("article_id")
    return with_first_mention(published_articles().filter(pk__in=mentioning), entity)


def with_first_mention(articles: QuerySet[Article], entity: Entity) -> QuerySet[Article]:
    """`articles`, each carrying where its first mention of `entity` is: `first_paragraph`,
    `first_start` and `first_end` (None for a tag without a place in the text, or none)."""
    mentions = Mention.objects.filter(article=OuterRef("pk"), entity=entity, rejected=False)
    first = mentions.order_by(
        F("paragraph").asc(nulls_last=True), F("start").asc(nulls_last=True), "pk"
    )
    return articles.annotate(
        first_paragraph=Subquery(first.values("paragraph")[:1]),
        first_start=Subquery(first.values("start")[:1]),
        first_end=Subquery(first.values("end")[:1]),
    )


@dataclass
class Sentence:
    """A sentence quoted from an article, with the words to mark (offsets into `text`)."""

    text: str
    marks: list[tuple[int, int]]


def sentence_around(
    text: str, start: int, end: int, limit: int = SENTENCE_LIMIT
) -> Sentence | None:
    """The sentence of `text` that holds text[start:end], that span marked; None if out of range.

    A long sentence is cut at spaces around the span, with an ellipsis where it was cut.
    """
    if not (0 <= start < end <= len(text)):
        return None
    begin, finish = sentence_bounds(text, start, end)
    piece = cut_around(text, start, end, limit, begin, finish)
    return Sentence(piece.text, piece.marks([(start, end)]))


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
    text = paragraph_text(article.paragraphs, article.first_paragraph)
    if text is None or article.first_start is None:
        return None
    return sentence_around(text, article.first_start, article.first_end or 0)


def co_mentioned(entity: Entity, limit: int = CO_MENTIONED_SHOWN) -> list[Entity]:
    """Other entities named in the published articles that mention `entity`, most shared first.

    Each has `article_count`: the number of those articles that name it too.
    Counted once per change of the archive (every mention of every article
    naming China is read: 13 ms at 20,000 articles).
    """
    articles = Mention.objects.filter(
        entity=entity, rejected=False, article__status=PUBLISHED
    ).values("article")
    others = (
        Entity.objects.filter(mentions__rejected=False, mentions__article__in=articles)
        .exclude(pk=entity.pk)
        .annotate(article_count=Count("mentions__article", distinct=True))
        .order_by("-article_count", "name")[:limit]
    )
    return per_archive_state(f"co-mentioned {entity.pk} {limit}", lambda: list(others))


# Browsing by date


@dataclass
class MonthCount:
    month: datetime.date  # its first day
    count: int


@dataclass
class YearCount:
    year: int
    count: int
    months: list[MonthCount]  # newest first


@dataclass
class DateCounts:
    """Published articles by year and month, newest first, and how many have no date."""

    years: list[YearCount]
    undated: int

    @property
    def total(self) -> int:
        return sum(year.count for year in self.years) + self.undated

    @property
    def months(self) -> list[MonthCount]:
        """Every month that has articles, newest first."""
        return [month for year in self.years for month in year.months]


def date_counts(articles: QuerySet[Article] | None = None) -> DateCounts:
    """`articles` (every published one by default) counted by month, gathered into years.

    One grouped query, whatever the number of articles. It counts by day,
    which the (status, published_on) index answers by itself, and the days
    are added up into months here (at most 366 rows a year): grouping by
    month in the database (TruncMonth, as Django's `dates()` does) calls a
    Python function for every article on SQLite, 15 times slower at 100,000
    articles (bench/dates.py).
    """
    if articles is None:
        articles = Article.objects.published()
    days = (
        articles.order_by()
        .values_list("published_on")
        .annotate(count=Count("id"))
        .order_by(F("published_on").desc(nulls_last=True))
    )
    years: list[YearCount] = []
    undated = 0
    for day, count in days:
        if day is None:
            undated = count
            continue
        month = day.replace(day=1)
        if not years or years[-1].year != month.year:
            years.append(YearCount(month.year, 0, []))
        year = years[-1]
        if not year.months or year.months[-1].month != month:
            year.months.append(MonthCount(month, 0))
        year.months[-1].count += count
        year.count += count
    return DateCounts(years, undated)


def articles_without_date() -> QuerySet[Article]:
    """Published articles whose date is unknown, the latest added first."""
    return published_articles().filter(published_on__isnull=True)


def month_before(month: datetime.date) -> datetime.date | None:
    """The nearest month before `month` (its first day) that has published articles."""
    earlier = (
        Article.objects.published()
        .filter(published_on__lt=month)
        .order_by("-published_on")
        .values_list("published_on", flat=True)
        .first()
    )
    return earlier.replace(day=1) if earlier else None


def month_after(month: datetime.date) -> datetime.date | None:
    """The nearest month after `month` (its first day) that has published articles."""
    following = (month + datetime.timedelta(days=31)).replace(day=1)
    later = (
        Article.objects.published()
        .filter(published_on__gte=following)
        .order_by("published_on")
        .values_list("published_on", flat=True)
        .first()
    )
    return later.replace(day=1) if later else None


# The home page's overview


@dataclass
class KindCount:
    kind: str
    heading: str
    count: int


def entity_kinds_with_counts() -> list[KindCount]:
    """How many entities of each kind published articles name (as the entity list shows
    them), in the order the kinds are declared."""
    counts = dict(
        Entity.objects.filter(mentions__rejected=False, mentions__article__status=PUBLISHED)
        .order_by()
        .values("kind")
        .annotate(count=Count("id", distinct=True))
        .values_list("kind", "count")
    )
    return [
        KindCount(kind, ENTITY_KIND_HEADINGS[kind], counts[kind])
        for kind in Entity.Kind.values
        if counts.get(kind)
    ]


# Previous and next article from the same source


@dataclass
class SourceNeighbours:
    """The articles just before and after one in its source's order of publication."""

    previous: Article | None
    next: Article | None


def source_neighbours(article: Article) -> SourceNeighbours:
    """The previous and next published articles from the article's source.

    The order is by date of publication, then by when the archive received
    them (id); undated articles come after every dated one. An article whose
    source is unknown has no neighbours: "source unknown" is not a publisher.
    """
    if article.source_id is None:
        return SourceNeighbours(None, None)
    siblings = (
        Article.objects.published()
        .filter(source_id=article.source_id)
        .exclude(pk=article.pk)
        .only("slug", "title", "published_on")
    )
    # Each query walks the (source, status, published_on) index from the article's date in
    # the index's own order; one query with both sides ordered NULLS FIRST/LAST instead
    # sorted every article after (or before) this one in the source.
    dated = siblings.filter(published_on__isnull=False)
    undated = siblings.filter(published_on__isnull=True)
    date, pk = article.published_on, article.pk
    if date is None:
        previous = (
            undated.filter(pk__lt=pk).order_by("-pk").first()
            or dated.order_by("-published_on", "-pk").first()
        )
        following = undated.filter(pk__gt=pk).order_by("pk").first()
    else:
        previous = (
            dated.filter(published_on__lte=date)
            .exclude(published_on=date, pk__gt=pk)
            .order_by("-published_on", "-pk")
            .first()
        )
        following = (
            dated.filter(published_on__gte=date)
            .exclude(published_on=date, pk__lt=pk)
            .order_by("published_on", "pk")
            .first()
        ) or undated.order_by("pk").first()
    return SourceNeighbours(previous, following)


# When what a reader sees last changed


def archive_changed_at() -> datetime.datetime | None:
    """The time of the latest change to anything the public pages show, in one query.

    Every save and delete of an article, source, entity, alias, mention,
    related link or quote is recorded in its history table (bulk writes too, through
    simple_history's bulk helpers), so the newest history entry of a public
    record dates the latest change. Drafts are not public: an article's
    revision counts if the article is published in it or was just before it
    (an unpublish); a mention, quote or related link counts while its
    article (and the article linked to) is published. None while no
    article has been public.
    """
    row = _newest_public_changes().all().first()  # a clone: the query is compiled, not built
    if row is None:
        return None
    return max(moment for moment in row.values() if moment is not None)


@functools.cache
def _newest_public_changes() -> QuerySet:
    """archive_changed_at's query, built once per process: it has no parameter, and building
    its nine subqueries through the ORM was most of every page's call (6.95 ms a call at
    100,000 articles; compiled and run from this, 1.57 ms; SQLite's part, under 0.1 ms)."""

    def newest(history):
        return history.order_by("-history_date").values("history_date")

    # One row: the newest public article change, with the newest of each other table beside it.
    others = {name: Subquery(newest(history)[:1]) for name, history in public_histories().items()}
    return newest(public_article_revisions()).values("history_date", **others)


def public_article_revisions() -> QuerySet:
    """The article revisions a reader could see: published then, or published just before."""
    published = Article.Status.PUBLISHED
    before = (
        Article.history.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
        .order_by("-history_id")
        .values("status")[:1]
    )
    return Article.history.annotate(status_before=Subquery(before)).filter(
        Q(status=published) | Q(status_before=published)
    )


def public_histories() -> dict[str, QuerySet]:
    """The history of each other table the public pages show, limited to published articles.

    Each table's article is checked row by row (EXISTS), so that the newest entry is found
    by walking the table's date index from the end: joined to the published articles
    instead, SQLite read the history of every one of them and sorted it (40 ms for the
    quotes of 20,000 articles on every page's ETag; 64 ms against 0.7 ms for 200,000 checks
    of the originals, bench/originals.py). Captures and checks of the originals are never
    changed, only added: each row is its own history, dated by when it was made.
    """

    def published(field: str) -> Exists:
        return Exists(Article.objects.published().filter(pk=OuterRef(field)))

    return {
        "capture": Capture.objects.filter(published("article_id")).annotate(
            history_date=F("fetched_at")
        ),
        "originalcheck": OriginalCheck.objects.filter(published("article_id")).annotate(
            history_date=F("checked_at")
        ),
        "source": Source.history.all(),
        "entity": Entity.history.all(),
        "alias": Alias.history.all(),
        "mention": Mention.history.filter(published("article_id")),
        "quote": Quote.history.filter(published("article_id")),
        "relatedlink": RelatedLink.history.filter(
            published("from_article_id"), published("to_article_id")
        ),
    }


SOURCES_ON_HOME = 10
YEARS_WITH_MONTHS_ON_HOME = 2


@dataclass
class Overview:
    """What the home page offers to browse, with counts."""

    dates: DateCounts
    sources: list[Source]  # the sources with most published articles
    kinds: list[KindCount]

    @property
    def recent_years(self) -> list[YearCount]:
        return self.dates.years[:YEARS_WITH_MONTHS_ON_HOME]

    @property
    def earlier_years(self) -> list[YearCount]:
        return self.dates.years[YEARS_WITH_MONTHS_ON_HOME:]


def overview() -> Overview:
    """Three grouped queries, whatever the size of the archive, once per state of it."""

    def counted() -> Overview:
        sources = sources_with_counts().order_by("-article_count", "name")[:SOURCES_ON_HOME]
        return Overview(date_counts(), list(sources), entity_kinds_with_counts())

    return per_archive_state("overview", counted)
