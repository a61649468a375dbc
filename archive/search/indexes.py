"""What haystack indexes: published articles only."""

from haystack import indexes

from archive.models import Article


class ArticleIndex(indexes.SearchIndex, indexes.Indexable):
    text = indexes.CharField(document=True)
    title = indexes.CharField(model_attr="title")
    source = indexes.CharField(null=True)
    published_on = indexes.DateField(model_attr="published_on", null=True)

    def get_model(self):
        return Article

    def index_queryset(self, using=None):
        return Article.objects.published().select_related("source")

    def prepare_text(self, article):
        return f"{article.title}\n\n{article.body}"

    def prepare_source(self, article):
        return article.source.slug if article.source_id else None

    def get_updated_field(self):
        return "updated_at"
