"""The list of curated entities and the page of one: who or what it is and where it is named."""

from urllib.parse import urlencode

from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from archive import browse
from archive.models import Entity, EntityRedirect
from archive.quotes.search import quotes_spoken_by
from archive.views.caching import revalidated

QUOTES_ON_ENTITY_PAGE = 20


@require_safe
@revalidated
def entity_list(request):
    return render(request, "entities/list.html", {"groups": browse.entities_by_kind()})


@require_safe
@revalidated
def entity_detail(request, slug):
    entity = Entity.objects.prefetch_related("aliases").filter(slug=slug).first()
    if entity is None:
        # An entity merged into another keeps its address, as a permanent redirect.
        moved = get_object_or_404(EntityRedirect.objects.select_related("entity"), old_slug=slug)
        return redirect(moved.entity, permanent=True)
    page = browse.page_of(
        browse.articles_mentioning(entity),
        request.GET.get("page"),
        rows=browse.with_first_mention(browse.published_articles(), entity),
    )
    search = reverse("search")
    quotes, quote_count = quotes_spoken_by(entity, QUOTES_ON_ENTITY_PAGE)
    return render(
        request,
        "entities/detail.html",
        {
            "entity": entity,
            "page": page,
            "timeline": browse.timeline(page.object_list),
            "co_mentioned": browse.co_mentioned(entity),
            "spoken": {"quotes": quotes, "count": quote_count, "shown": len(quotes)},
            "search_by_entity": f"{search}?{urlencode({'entity': entity.slug})}",
            "search_by_name": f"{search}?{urlencode({'q': name_as_query(entity.name)})}",
        },
    )


def name_as_query(name: str) -> str:
    """The name as a search phrase, so the search widens it to every spelling of the entity."""
    words = name.replace('"', " ").split()
    return f'"{" ".join(words)}"' if len(words) > 1 else "".join(words)
