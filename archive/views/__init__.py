"""Thin views: parse the request, call one function, render."""

from archive.views.article_api import article_api
from archive.views.articles import article_detail, article_list, home
from archive.views.captures import capture_changes, capture_detail
from archive.views.dates import date_index, date_month, date_unknown, date_year
from archive.views.entities import entity_detail, entity_list
from archive.views.pages import about
from archive.views.quotes import quote_search, quote_search_api, quote_search_csv
from archive.views.search import search, search_api, search_csv, search_help
from archive.views.sources import source_detail, source_list, unknown_source

__all__ = [
    "about",
    "article_api",
    "article_detail",
    "article_list",
    "capture_changes",
    "capture_detail",
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
