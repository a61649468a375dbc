"""The sitemap: every published article, source and entity page."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from archive import browse
from archive.models import Entity


class ArticleSitemap(Sitemap):
    limit = 5000

    def items(self):
        return browse.published_articles().only("slug", "updated_at", "published_on", "source")

    def lastmod(self, article):
        return article.updated_at


class SourceSitemap(Sitemap):
    def items(self):
        return browse.sources_with_counts()


class EntitySitemap(Sitemap):
    def items(self):
        return Entity.objects.order_by("slug")


class PageSitemap(Sitemap):
    def items(self):
        return ["home", "article-list", "source-list", "entity-list", "search-help"]

    def location(self, name):
        return reverse(name)


SITEMAPS = {
    "pages": PageSitemap,
    "articles": ArticleSitemap,
    "sources": SourceSitemap,
    "entities": EntitySitemap,
}
