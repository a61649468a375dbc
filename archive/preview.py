"""Drafts previewed at their future public address, by editors who may change them, and by
nobody else: for anyone else a draft's address is a 404 like any address that holds nothing.

A preview is never stored by a cache (it is not the public page, and must not
be served as one once the article is published or to another visitor) and
never indexed by a search engine.
"""

from django.utils.cache import add_never_cache_headers

from archive.browse import readable_articles
from archive.models import Article

# Search engines that honour it leave the page out of their index (the page says so too).
NOT_INDEXED = "noindex, nofollow"


def can_preview(user) -> bool:
    """Whether this visitor sees drafts: a logged-in editor with the right to change articles."""
    return bool(user.is_authenticated and user.is_staff and user.has_perm("archive.change_article"))


def previewable_draft(user, slug: str) -> Article | None:
    """The draft at this address, ready to read, if this visitor may preview it; else None
    (no query for a visitor who may not)."""
    if not can_preview(user):
        return None
    drafts = Article.objects.exclude(status=Article.Status.PUBLISHED)
    return readable_articles(drafts).filter(slug=slug).first()


def mark_as_preview(response):
    """Never cached anywhere (Cache-Control: private, no-store), never indexed."""
    add_never_cache_headers(response)
    response.headers.pop("ETag", None)
    response.headers.pop("Last-Modified", None)
    response["X-Robots-Tag"] = NOT_INDEXED
    return response
