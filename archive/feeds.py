"""Atom feeds: the latest articles, one source's, one entity's, a saved search's, and the
articles whose original has gone."""

import datetime

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import urlencode
from django.utils.xmlutils import SimplerXMLGenerator

from archive import browse
from archive.models import Article, Entity, OriginalCheck, Source
from archive.search.health import with_index_notice
from archive.search.params import search_params
from archive.search.results import run_search
from archive.supplied_text import supplied_text
from archive.webcapture.originals import describe, vanishings

FEED_LENGTH = 30


class PlainTextXMLGenerator(SimplerXMLGenerator):
    """Drops the control characters XML 1.0 cannot carry instead of failing the whole feed.

    Admin input and imports drop them already; a record stored before they did
    must not make every feed that lists it answer 500.
    """

    def characters(self, content):
        super().characters(supplied_text(content) if content else content)

    def startElement(self, name, attrs):
        attrs = {key: supplied_text(value) for key, value in attrs.items()} if attrs else attrs
        super().startElement(name, attrs)


class ArchiveAtomFeed(Atom1Feed):
    def write(self, outfile, encoding):
        # Atom1Feed.write, with the generator above.
        handler = PlainTextXMLGenerator(outfile, encoding, short_empty_elements=True)
        handler.startDocument()
        handler.startElement("feed", self.root_attributes())
        self.add_root_elements(handler)
        self.write_items(handler)
        handler.endElement("feed")


class LatestArticlesFeed(Feed):
    feed_type = ArchiveAtomFeed
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
    """A search to follow: its newest matching articles (503 while search is unavailable)."""

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        return with_index_notice(response, request.search_outcome.index_notice)

    def get_object(self, request):
        params = search_params(request.GET)
        params.sort, params.page = "newest", 1
        request.search_outcome = run_search(params, per_page=FEED_LENGTH)
        return request.search_outcome

    def title(self, outcome):
        return f"Search “{outcome.params.q}”: Uyghur Repression News Archive"

    def link(self, outcome):
        return reverse("search") + "?" + urlencode({"q": outcome.params.q})

    def subtitle(self, outcome):
        """What the search is, then what was left out of it and whether the index is complete."""
        notice = [outcome.index_notice.text] if outcome.index_notice else []
        return " ".join(["The newest articles matching this search.", *outcome.notes, *notice])

    def items(self, outcome):
        return [hit.article for hit in outcome.hits]


class VanishedOriginalsFeed(Feed):
    """Published articles whose original was found gone, newest vanishing first: each time an
    original went from there (or unchecked) to gone is one entry."""

    feed_type = ArchiveAtomFeed
    title = "Uyghur Repression News Archive: originals no longer online"
    subtitle = (
        "Archived articles whose original page was found gone (404, 410, or its host name no "
        "longer exists) by the archive's checks, newest first. A page that could not be "
        "checked (a time-out, a server error) is not listed: that is not proof it is gone."
    )

    def link(self):
        return reverse("article-list")

    def items(self):
        return vanishings()[:FEED_LENGTH]

    def item_title(self, check: OriginalCheck):
        return check.article.title

    def item_link(self, check: OriginalCheck):
        return check.article.get_absolute_url()

    def item_guid(self, check: OriginalCheck):
        return f"{check.article.get_absolute_url()}#original-gone-{check.pk}"

    item_guid_is_permalink = False

    def item_description(self, check: OriginalCheck):
        return f"{describe(check)} Original address: {check.url}"

    def item_pubdate(self, check: OriginalCheck):
        return check.checked_at

    def item_categories(self, check: OriginalCheck):
        return [check.article.source.name] if check.article.source_id else []
