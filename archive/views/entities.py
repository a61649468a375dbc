"""The list of curated entities and the articles that mention one of them."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from archive import browse
from archive.models import Entity


@require_safe
def entity_list(request):
    return render(request, "entities/list.html", {"groups": browse.entities_by_kind()})


@require_safe
def entity_detail(request, slug):
    entity = get_object_or_404(Entity.objects.prefetch_related("aliases"), slug=slug)
    page = browse.page_of(browse.articles_mentioning(entity), request.GET.get("page"))
    return render(request, "entities/detail.html", {"entity": entity, "page": page})
