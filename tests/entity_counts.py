"""The rule the entity list's counts are checked against, counted another way."""

from django.db.models import Count, Q

from archive.models import Article, Entity


def entities_with_counts():
    """The entities with the number of published articles naming each (rejected mentions
    aside), counted by the database from the entity's side: the rule the page's own counts
    (browse.articles_naming_each_entity, a group-by of the mentions) are checked against."""
    return Entity.objects.annotate(
        article_count=Count(
            "mentions__article",
            filter=Q(mentions__rejected=False, mentions__article__status=Article.Status.PUBLISHED),
            distinct=True,
        )
    )
