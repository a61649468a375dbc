"""What the search engine holds: published articles and their quotations, with exact fields
for filters, facets and sorting."""

import zlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

from django.db.models import QuerySet
from haystack import indexes
from haystack.fields import FacetMultiValueField

from archive.models import Article, Mention, Quote

UNDATED_NEWEST = 0  # sorts after every date when newest come first
UNDATED_OLDEST = 99_999_999  # sorts after every date when oldest come first


class ArticleIndex(indexes.SearchIndex, indexes.Indexable):
    text = indexes.CharField(document=True)
    title = indexes.CharField(model_attr="title")
    source = indexes.FacetCharField(null=True)
    year = indexes.FacetCharField(null=True)
    entities = FacetMultiValueField()
    published_on = indexes.DateField(model_attr="published_on", null=True)
    sort_newest = indexes.IntegerField()
    sort_oldest = indexes.IntegerField()
    # What the entry was made from (`entry_version`): stored, not searched.
    version = indexes.CharField(indexed=False)

    def get_model(self):
        return Article

    def index_queryset(self, using=None):
        return (
            Article.objects.published()
            .select_related("source")
            .prefetch_related("mentions")
            .order_by("pk")
        )

    def prepare_text(self, article):
        return f"{article.title}\n\n{article.body}"

    def prepare_source(self, article):
        return str(article.source_id) if article.source_id else None

    def prepare_year(self, article):
        return str(article.published_on.year) if article.published_on else None

    def prepare_entities(self, article):
        return sorted({str(m.entity_id) for m in article.mentions.all() if not m.rejected})

    def prepare_version(self, article):
        return entry_version(article.updated_at, self.prepare_entities(article))

    def prepare_sort_newest(self, article):
        return _day_number(article) or UNDATED_NEWEST

    def prepare_sort_oldest(self, article):
        return _day_number(article) or UNDATED_OLDEST

    def get_updated_field(self):
        return "updated_at"


def entry_version(updated_at: datetime, entity_ids: Iterable[str]) -> str:
    """What an article's index entry is made from, as one string: its last save and its tags.

    Every change to an article's title, text, status, source or date is a save,
    which moves `updated_at`; its tags change without a save (re-tagging, merging
    entities), so they are part of it too. An entry whose version differs from
    `article_versions()` was written from an older state of the article.
    """
    return f"{updated_at.astimezone(UTC):%Y%m%d%H%M%S%f}:{','.join(sorted(entity_ids))}"


def article_versions(articles: QuerySet[Article]) -> dict[int, str]:
    """`entry_version()` of each of `articles` as the database holds it now; two queries."""
    tags = defaultdict(set)
    mentions = Mention.objects.filter(article__in=articles.values("pk"), rejected=False)
    for article_id, entity_id in mentions.values_list("article_id", "entity_id").distinct():
        tags[article_id].add(str(entity_id))
    return {
        pk: entry_version(updated_at, tags[pk])
        for pk, updated_at in articles.values_list("pk", "updated_at")
    }


class QuoteIndex(indexes.SearchIndex, indexes.Indexable):
    """The quotations of published articles that editors have not rejected, one document each.

    In the same engine and index as the articles (haystack's `django_ct`
    tells them apart), so a search of quotes reads only quotes and never
    scans the database's quote texts. Exact fields hold one term each: a
    numeric field is eight terms in Whoosh, and a rebuild writes hundreds of
    thousands of quotes. A quote's place in a list is one sortable key per
    order (`order_newest`, `order_oldest`): its article's date, the article,
    the paragraph and where in it, so a page of quotes is one sort.
    """

    text = indexes.CharField(document=True, model_attr="text")
    speaker_name = indexes.CharField(model_attr="speaker_name", null=True)
    speaker = indexes.FacetCharField(null=True)  # the entity's id
    source = indexes.FacetCharField(null=True)
    article = indexes.FacetCharField()  # the article's id: the quotes of an article are found by it
    published_on = indexes.DateField(null=True)
    # Whole years of a period (search.results.period_query).
    year = indexes.FacetCharField(null=True)
    order_newest = indexes.FacetCharField()
    order_oldest = indexes.FacetCharField()
    # What the entry was made from (`quote_version`): stored, not searched.
    version = indexes.CharField(indexed=False)

    def get_model(self):
        return Quote

    def index_queryset(self, using=None):
        return (
            Quote.objects.filter(rejected=False, article__status=Article.Status.PUBLISHED)
            .select_related("article")
            .defer("article__body", "article__original_text")
            .order_by("pk")
        )

    def prepare_speaker(self, quote):
        return str(quote.speaker_id) if quote.speaker_id else None

    def prepare_source(self, quote):
        return str(quote.article.source_id) if quote.article.source_id else None

    def prepare_article(self, quote):
        return str(quote.article_id)

    def prepare_published_on(self, quote):
        return quote.article.published_on

    def prepare_year(self, quote):
        day = quote.article.published_on
        return str(day.year) if day else None

    def prepare_order_newest(self, quote):
        day = _day_number(quote.article)
        # Newest day first, undated last; then the latest article first; then reading order.
        return _order_key(UNDATED_OLDEST - day if day else UNDATED_OLDEST, -quote.article_id, quote)

    def prepare_order_oldest(self, quote):
        return _order_key(_day_number(quote.article) or UNDATED_OLDEST, quote.article_id, quote)

    def prepare_version(self, quote):
        return quote_version(
            quote.article.updated_at,
            quote.speaker_id,
            quote.speaker_name,
            quote.paragraph,
            quote.start,
            quote.end,
            quote.text,
        )


# The columns `quote_version` is made from, as the database gives them.
QUOTE_VERSION_COLUMNS = (
    "article__updated_at",
    "speaker_id",
    "speaker_name",
    "paragraph",
    "start",
    "end",
    "text",
)
_ARTICLE_ID_SPAN = 10**12


def _order_key(day: int, article: int, quote: Quote) -> str:
    """A string that sorts as (day, article, paragraph, start) do; `article` may be negative."""
    return f"{day:08d}{article % _ARTICLE_ID_SPAN:012d}{quote.paragraph:06d}{quote.start:09d}"


def quote_version(updated_at, speaker_id, speaker_name, paragraph, start, end, text) -> str:
    """What a quote's index entry is made from, as one string.

    Its article's last save (its date, source and status), its speaker and
    where in the article it is. An entry whose version differs from
    `database_versions(Quote)` was written from an older state of the quote.
    """
    checksum = zlib.crc32(f"{speaker_name}\0{text}".encode())
    where = f"{paragraph}.{start}.{end}"
    return f"{updated_at.astimezone(UTC):%Y%m%d%H%M%S%f}:{speaker_id or ''}:{where}:{checksum:08x}"


def database_versions(model) -> dict[int, tuple[str, int]]:
    """Each document the index should hold of `model`, as the database holds it now: its
    version, and its article (an article's is its own id)."""
    if model is Article:
        versions = article_versions(Article.objects.published())
        return {pk: (version, pk) for pk, version in versions.items()}
    quotes = QuoteIndex().index_queryset()
    rows = quotes.values_list("pk", "article_id", *QUOTE_VERSION_COLUMNS).iterator(chunk_size=2000)
    return {pk: (quote_version(*row), article_id) for pk, article_id, *row in rows}


def _day_number(article):
    day = article.published_on
    return day.year * 10_000 + day.month * 100 + day.day if day else None
