"""Bring the search index in line with articles changed in bulk (imports, admin actions)."""

from collections.abc import Iterable

from haystack import connection_router, connections

from archive.models import Article


def _article_index(using):
    return connections[using].get_unified_index().get_index(Article)


def index_articles(article_ids: Iterable[int]) -> None:
    """Index the published ones among `article_ids` and remove the others from the index."""
    ids = list(article_ids)
    if not ids:
        return
    for using in connection_router.for_write():
        index = _article_index(using)
        backend = connections[using].get_backend()
        published = list(index.index_queryset(using=using).filter(pk__in=ids))
        if published:
            backend.update(index, published)
        for article in Article.objects.filter(pk__in=ids).exclude(
            pk__in=[a.pk for a in published]
        ):
            index.remove_object(article, using=using)
