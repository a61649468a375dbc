"""The list of sources, one source's articles, and the articles whose source is unknown."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from archive import browse
from archive.models import Source
from archive.views.caching import revalidated


@require_safe
@revalidated
def source_list(request):
    return render(request, "sources/list.html", {"sources": browse.sources_with_counts()})


@require_safe
@revalidated
def source_detail(request, slug):
    source = get_object_or_404(Source, slug=slug)
    page = browse.page_of(browse.articles_from(source), request.GET.get("page"))
    return render(request, "sources/detail.html", {"source": source, "page": page})


@require_safe
@revalidated
def unknown_source(request):
    page = browse.page_of(browse.articles_without_source(), request.GET.get("page"))
    return render(request, "sources/unknown.html", {"page": page})
