"""What the search engine holds: published articles, with exact fields for filters and facets."""

from haystack import indexes
from haystack.fields import FacetMultiValueField

from archive.models import Article

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

    def prepare_sort_newest(self, article):
        return _day_number(article) or UNDATED_NEWEST

    def prepare_sort_oldest(self, article):
        return _day_number(article) or UNDATED_OLDEST

    def get_updated_field(self):
        return "updated_at"


def _day_number(article):
    day = article.published_on
    return day.year * 10_000 + day.month * 100 + day.day if day else None
