"""The search index follows publishing, unpublishing and deleting."""

import pytest
from haystack.query import SearchQuerySet

from archive.models import Article

pytestmark = pytest.mark.django_db(transaction=True)


def indexed_titles():
    return sorted(r.title for r in SearchQuerySet().all())


def make_article(**fields):
    defaults = dict(title="Karakax list leaked", slug="karakax", body="The Karakax list.")
    return Article.objects.create(**{**defaults, **fields})


def test_drafts_are_not_indexed():
    make_article(status=Article.Status.DRAFT)
    assert indexed_titles() == []


def test_publishing_indexes_and_unpublishing_removes():
    article = make_article(status=Article.Status.DRAFT)
    article.status = Article.Status.PUBLISHED
    article.save()
    assert indexed_titles() == ["Karakax list leaked"]
    assert SearchQuerySet().filter(content="Karakax").count() == 1

    article.status = Article.Status.DRAFT
    article.save()
    assert indexed_titles() == []


def test_editing_a_published_article_updates_its_text():
    article = make_article(status=Article.Status.PUBLISHED)
    article.body = "Ürümqi officials destroyed records."
    article.save()
    assert SearchQuerySet().filter(content="records").count() == 1
    assert SearchQuerySet().filter(content="Karakax list").count() == 1  # title still there


def test_deleting_removes_from_index():
    article = make_article(status=Article.Status.PUBLISHED)
    article.delete()
    assert indexed_titles() == []
