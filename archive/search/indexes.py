"""What the search engine holds: published articles, with exact fields for filters and facets."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

from django.db.models import QuerySet
from haystack import indexes
from haystack.fields import FacetMultiValueField

from archive.models import Article, Mention

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


def _day_number(article):
    day = article.published_on
    return day.year * 10_000 + day.month * 100 + day.day if day else None
