"""A captured page as the archive received it, cleaned, for readers (archive.webcapture)."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from archive.models import Article, Capture
from archive.preview import can_preview, mark_as_preview
from archive.webcapture.as_captured import AS_CAPTURED_POLICY, page_as_captured
from archive.webcapture.changes import text_changes
from archive.webcapture.records import capture_before


@require_safe
def capture_detail(request, slug, capture_id):
    """The page of one capture of a published article (or a draft, for an editor who may
    preview it), served so that nothing in it can run or call out."""
    capture = _readable_capture(request, slug, capture_id)
    try:
        page = page_as_captured(capture)
    except (OSError, ValueError):
        raise Http404("The WARC file of this capture cannot be read.") from None
    response = HttpResponse(page.html, content_type="text/html; charset=utf-8")
    # Set here, so django-csp leaves it as it is (it only adds a policy to responses without).
    response["Content-Security-Policy"] = AS_CAPTURED_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    if not capture.article.is_published:
        mark_as_preview(response)
    return response


@require_safe
def capture_changes(request, slug, capture_id):
    """What changed in the article's text between the capture before and this one."""
    capture = _readable_capture(request, slug, capture_id)
    before = capture_before(capture)
    if before is None:
        raise Http404("This is the article's first capture: there is nothing to compare it with.")
    response = render(
        request,
        "captures/changes.html",
        {
            "article": capture.article,
            "capture": capture,
            "before": before,
            "changes": text_changes(before.text, capture.text),
        },
    )
    if not capture.article.is_published:
        mark_as_preview(response)
    return response


def _readable_capture(request, slug, capture_id) -> Capture:
    """The capture, if its article is published (or a draft this editor may preview)."""
    articles = Article.objects.all() if can_preview(request.user) else Article.objects.published()
    return get_object_or_404(
        Capture.objects.select_related("article"),
        pk=capture_id,
        article__slug=slug,
        article__in=articles,
    )
