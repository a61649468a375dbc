"""A captured page as the archive received it, cleaned, for readers (archive.webcapture)."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from archive.models import Article, Capture
from archive.preview import can_preview, mark_as_preview
from archive.webcapture.as_captured import AS_CAPTURED_POLICY, page_as_captured


@require_safe
def capture_detail(request, slug, capture_id):
    """The page of one capture of a published article (or a draft, for an editor who may
    preview it), served so that nothing in it can run or call out."""
    articles = Article.objects.all() if can_preview(request.user) else Article.objects.published()
    capture = get_object_or_404(
        Capture.objects.select_related("article"),
        pk=capture_id,
        article__slug=slug,
        article__in=articles,
    )
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
