"""The list of curated entities and the articles that mention one of them."""

from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from archive import browse
from archive.models import Entity, EntityRedirect


@require_safe
def entity_list(request):
    return render(request, "entities/list.html", {"groups": browse.entities_by_kind()})


@require_safe
def entity_detail(request, slug):
    entity = Entity.objects.prefetch_related("aliases").filter(slug=slug).first()
    if entity is None:
        # An entity merged into another keeps its address, as a permanent redirect.
        moved = get_object_or_404(EntityRedirect.objects.select_related("entity"), old_slug=slug)
        return redirect(moved.entity, permanent=True)
    page = browse.page_of(browse.articles_mentioning(entity), request.GET.get("page"))
    return render(request, "entities/detail.html", {"entity": entity, "page": page})
