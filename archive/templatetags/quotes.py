"""Quotes on other pages: a person's quotes on their entity page, an article's quotes traced."""

from django import template

from archive.quotes.search import quotes_spoken_by
from archive.quotes.tracing import article_quotes

register = template.Library()

QUOTES_ON_ENTITY_PAGE = 20


@register.simple_tag
def spoken_by(entity):
    """{% spoken_by entity as spoken %}: spoken.quotes (date order, bounded) and spoken.count."""
    quotes, count = quotes_spoken_by(entity, QUOTES_ON_ENTITY_PAGE)
    return {"quotes": quotes, "count": count, "shown": len(quotes)}


@register.simple_tag
def quotes_traced(article):
    """{% quotes_traced article as quoted %}: each quote of the article, with where else it
    appears (earliest first); see archive.quotes.tracing.article_quotes."""
    return article_quotes(article)
