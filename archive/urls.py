from django.conf import settings
from django.contrib import admin
from django.urls import path

from archive import views

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/", views.article_list, name="article-list"),
    path("articles/<slug:slug>/", views.article_detail, name="article-detail"),
    path("sources/", views.source_list, name="source-list"),
    path("sources/unknown/", views.unknown_source, name="source-unknown"),
    path("sources/<slug:slug>/", views.source_detail, name="source-detail"),
    path("entities/", views.entity_list, name="entity-list"),
    path("entities/<slug:slug>/", views.entity_detail, name="entity-detail"),
    path("search/", views.search, name="search"),
    path(settings.ADMIN_URL, admin.site.urls),
]
