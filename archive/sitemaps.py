"""The sitemap: every published article, source, entity and date page, and the about page."""

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
        return [
            "home",
            "article-list",
            "source-list",
            "entity-list",
            "date-index",
            "about",
            "search-help",
        ]

    def location(self, name):
        return reverse(name)


class DateSitemap(Sitemap):
    """The years and months that have published articles, and the undated ones if there are any.

    Empty months are left out: their pages exist but say there is nothing to read.
    """

    def items(self):
        counts = browse.date_counts()
        pages = []
        for year in counts.years:
            pages.append(("date-year", [f"{year.year:04d}"]))
            pages.extend(
                ("date-month", [f"{m.month.year:04d}", f"{m.month.month:02d}"]) for m in year.months
            )
        if counts.undated:
            pages.append(("date-unknown", []))
        return pages

    def location(self, item):
        name, args = item
        return reverse(name, args=args)


SITEMAPS = {
    "pages": PageSitemap,
    "articles": ArticleSitemap,
    "sources": SourceSitemap,
    "entities": EntitySitemap,
    "dates": DateSitemap,
}
