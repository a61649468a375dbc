"""The home page, the list of all articles and the page of one article."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from archive import browse
from archive.citations import cite
from archive.paragraphs import numbered
from archive.preview import mark_as_preview, previewable_draft
from archive.quotes.tracing import article_quotes
from archive.related import related_documents, related_list_computed_at
from archive.search.results import highlight_groups
from archive.search.snippets import mark_paragraph
from archive.views.caching import revalidated
from archive.webcapture.originals import original_status
from archive.webcapture.records import capture_history

# ?mentions=all links every mention of every name in the text, not only the first.
EVERY_MENTION_PARAMETER = "mentions"


@require_safe
@revalidated
def home(request):
    return render(
        request,
        "articles/home.html",
        {"articles": browse.latest_articles(), "overview": browse.overview()},
    )


@require_safe
@revalidated
def article_list(request):
    page = browse.page_of(browse.published_articles(), request.GET.get("page"))
    return render(request, "articles/list.html", {"page": page})


@require_safe
def article_detail(request, slug):
    """A published article's page; for an editor who may change it, a draft's preview at the
    same address (archive.preview). Anybody else gets the 404 of an empty address."""
    draft = previewable_draft(request.user, slug)
    if draft is not None:
        return mark_as_preview(render_article(request, draft, preview=True))
    return published_article(request, slug)


def _related_list_computed_at(request, slug):
    return related_list_computed_at(slug)


@revalidated(own_change=_related_list_computed_at)
def published_article(request, slug):
    article = get_object_or_404(browse.readable_articles(), slug=slug)
    return render_article(request, article)


def render_article(request, article, *, preview=False):
    permalink = request.build_absolute_uri(article.get_absolute_url())
    highlight = highlight_groups(request.GET.get("hl", ""))
    every_mention = request.GET.get(EVERY_MENTION_PARAMETER) == "all"
    mentions = browse.mentions_by_paragraph(article, every=every_mention)
    paragraphs = [
        (
            number,
            text,
            mark_paragraph(text, highlight) if highlight else (),
            mentions.get(number, ()),
        )
        for number, text in numbered(article.paragraphs)
    ]
    return render(
        request,
        "articles/detail.html",
        {
            "article": article,
            "preview": preview,
            "paragraphs": paragraphs,
            "entity_groups": browse.entities_in(article),
            "linked_until": browse.linked_until(article),
            "every_mention": every_mention,
            # A reader's page reads the stored list; an editor's preview of a draft works
            # out the list their change gives.
            "related": related_documents(article, work_out=preview),
            "quoted": article_quotes(article),
            "captures": capture_history(article),
            "original": original_status(article),
            "neighbours": browse.source_neighbours(article),
            "permalink": permalink,
            "citation": cite(article, permalink),
        },
    )
