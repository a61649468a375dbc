"""Thin views: parse the request, call one function, render."""

from archive.views import entities, sources
from archive.views.articles import article_detail, article_list, home
from archive.views.caching import revalidated
from archive.views.dates import date_index, date_month, date_unknown, date_year
from archive.views.pages import about
from archive.views.quotes import quote_search, quote_search_api, quote_search_csv
from archive.views.search import search, search_api, search_csv, search_help

# Source and entity pages answer conditional GETs like every other list.
source_list = revalidated(sources.source_list)
source_detail = revalidated(sources.source_detail)
unknown_source = revalidated(sources.unknown_source)
entity_list = revalidated(entities.entity_list)
entity_detail = revalidated(entities.entity_detail)

__all__ = [
    "about",
    "article_detail",
    "article_list",
    "date_index",
    "date_month",
    "date_unknown",
    "date_year",
    "entity_detail",
    "entity_list",
    "home",
    "quote_search",
    "quote_search_api",
    "quote_search_csv",
    "search",
    "search_api",
    "search_csv",
    "search_help",
    "source_detail",
    "source_list",
    "unknown_source",
]
