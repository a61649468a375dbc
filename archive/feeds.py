"""Atom feeds: the latest articles, one source's, one entity's, and a saved search's."""

import datetime

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import urlencode

from archive import browse
from archive.models import Article, Entity, Source
from archive.search.params import search_params
from archive.search.results import run_search

FEED_LENGTH = 30


class LatestArticlesFeed(Feed):
    feed_type = Atom1Feed
    title = "Uyghur Repression News Archive: latest articles"
    subtitle = "Articles newly published in the archive, newest first."

    def link(self):
        return reverse("article-list")

    def items(self):
        return browse.published_articles()[:FEED_LENGTH]

    def item_title(self, article: Article):
        return article.title

    def item_description(self, article: Article):
        paragraphs = article.paragraphs
        return paragraphs[0] if paragraphs else ""

    def item_author_name(self, article: Article):
        return article.authors or None

    def item_pubdate(self, article: Article):
        """The stated publication date; none when it is unknown (never a guess)."""
        if article.published_on is None:
            return None
        return datetime.datetime.combine(article.published_on, datetime.time(), datetime.UTC)

    def item_updateddate(self, article: Article):
        """When the archive's copy last changed: always known."""
        return article.updated_at

    def item_categories(self, article: Article):
        return [article.source.name] if article.source_id else []


class SourceFeed(LatestArticlesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Source, slug=slug)

    def title(self, source: Source):
        return f"{source.name}: articles in the Uyghur Repression News Archive"

    def link(self, source: Source):
        return source.get_absolute_url()

    def subtitle(self, source: Source):
        return f"Articles from {source.name}, newest first."

    def items(self, source: Source):
        return browse.articles_from(source)[:FEED_LENGTH]


class EntityFeed(LatestArticlesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Entity, slug=slug)

    def title(self, entity: Entity):
        return f"{entity.name}: articles in the Uyghur Repression News Archive"

    def link(self, entity: Entity):
        return entity.get_absolute_url()

    def subtitle(self, entity: Entity):
        return f"Articles that mention {entity.name}, newest first."

    def items(self, entity: Entity):
        return browse.articles_mentioning(entity)[:FEED_LENGTH]


class SearchFeed(LatestArticlesFeed):
    """A search to follow: its newest matching articles."""

    def get_object(self, request):
        params = search_params(request.GET)
        params.sort, params.page = "newest", 1
        return params

    def title(self, params):
        return f"Search “{params.q}”: Uyghur Repression News Archive"

    def link(self, params):
        return reverse("search") + "?" + urlencode({"q": params.q})

    def subtitle(self, params):
        return "The newest articles matching this search."

    def items(self, params):
        return [hit.article for hit in run_search(params, per_page=FEED_LENGTH).hits]
