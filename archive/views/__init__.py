"""Thin views: parse the request, call one function, render."""

from archive.views.articles import article_detail, article_list, home
from archive.views.entities import entity_detail, entity_list
from archive.views.search import search, search_api, search_csv, search_help
from archive.views.sources import source_detail, source_list, unknown_source

__all__ = [
    "article_detail",
    "article_list",
    "entity_detail",
    "entity_list",
    "home",
    "search",
    "search_api",
    "search_csv",
    "search_help",
    "source_detail",
    "source_list",
    "unknown_source",
]
