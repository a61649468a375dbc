from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import path, re_path

from archive import views
from archive.feeds import (
    EntityFeed,
    LatestArticlesFeed,
    SearchFeed,
    SourceFeed,
    VanishedOriginalsFeed,
)
from archive.sitemaps import SITEMAPS

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/", views.article_list, name="article-list"),
    path("articles/<slug:slug>/", views.article_detail, name="article-detail"),
    path(
        "articles/<slug:slug>/captures/<int:capture_id>/",
        views.capture_detail,
        name="article-capture",
    ),
    path(
        "articles/<slug:slug>/captures/<int:capture_id>/changes/",
        views.capture_changes,
        name="article-capture-changes",
    ),
    path("sources/", views.source_list, name="source-list"),
    path("sources/unknown/", views.unknown_source, name="source-unknown"),
    path("sources/<slug:slug>/", views.source_detail, name="source-detail"),
    path("entities/", views.entity_list, name="entity-list"),
    path("entities/<slug:slug>/", views.entity_detail, name="entity-detail"),
    path("dates/", views.date_index, name="date-index"),
    path("dates/unknown/", views.date_unknown, name="date-unknown"),
    re_path(r"^dates/(?P<year>[0-9]{4})/$", views.date_year, name="date-year"),
    re_path(
        r"^dates/(?P<year>[0-9]{4})/(?P<month>[0-9]{2})/$", views.date_month, name="date-month"
    ),
    path("about/", views.about, name="about"),
    path("search/", views.search, name="search"),
    path("search/help/", views.search_help, name="search-help"),
    path("search/export.csv", views.search_csv, name="search-csv"),
    path("api/search", views.search_api, name="search-api"),
    path("quotes/", views.quote_search, name="quote-search"),
    path("quotes/export.csv", views.quote_search_csv, name="quote-csv"),
    path("api/quotes", views.quote_search_api, name="quote-api"),
    path("api/articles/<slug:slug>", views.article_api, name="article-api"),
    path("feeds/latest/", LatestArticlesFeed(), name="feed-latest"),
    path("feeds/sources/<slug:slug>/", SourceFeed(), name="feed-source"),
    path("feeds/entities/<slug:slug>/", EntityFeed(), name="feed-entity"),
    path("feeds/search/", SearchFeed(), name="feed-search"),
    path("feeds/originals-gone/", VanishedOriginalsFeed(), name="feed-originals-gone"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path(settings.ADMIN_URL, admin.site.urls),
]
