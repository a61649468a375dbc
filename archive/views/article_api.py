"""One article as JSON (GET /api/articles/<slug>): what its page shows, for programs.

Unknown values are null, never guessed. The same for every reader, and revalidated like the
page; an editor who may download the captures' WARC files also gets their addresses (in the
admin, behind the login) in a copy no cache keeps, and a draft's preview, as on the page.
"""

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe

from archive import browse
from archive.citations import cite
from archive.models import OriginalCheck
from archive.paragraphs import anchor, numbered
from archive.preview import mark_as_preview, previewable_draft
from archive.quotes.tracing import article_quotes
from archive.views.caching import revalidated
from archive.views.quotes import speaker_as_dict, trace_as_dict
from archive.webcapture.originals import describe, original_status
from archive.webcapture.records import capture_history


def may_download_warcs(user) -> bool:
    """Whether this visitor may download the captures' WARC files (the admin's rule)."""
    return bool(
        user.is_active
        and user.is_staff
        and (user.has_perm("archive.view_capture") or user.has_perm("archive.change_capture"))
    )


@require_safe
def article_api(request, slug):
    editor = may_download_warcs(request.user)
    draft = previewable_draft(request.user, slug)
    if draft is not None:
        return mark_as_preview(_json(article_as_dict(request, draft, warc_links=editor)))
    if editor:
        article = get_object_or_404(browse.readable_articles(), slug=slug)
        response = _json(article_as_dict(request, article, warc_links=True))
        add_never_cache_headers(response)  # not the public copy: no cache may keep it
        return response
    return public_article_api(request, slug)


@revalidated
def public_article_api(request, slug):
    article = get_object_or_404(browse.readable_articles(), slug=slug)
    return _json(article_as_dict(request, article, warc_links=False))


def _json(data: dict) -> JsonResponse:
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def article_as_dict(request, article, *, warc_links: bool) -> dict:
    """The article, its paragraphs (¶1 first), names, quotes, captures and original."""
    absolute = request.build_absolute_uri
    permalink = absolute(article.get_absolute_url())
    source = article.source
    return {
        "title": article.title,
        "title_origin": article.title_origin,
        "url": permalink,
        "status": article.status,
        "source": (
            {"name": source.name, "slug": source.slug, "url": absolute(source.get_absolute_url())}
            if source
            else None
        ),
        "date": _iso(article.published_on),
        "date_origin": article.date_origin or None if article.published_on else None,
        "author": article.authors or None,
        "language": article.language or None,
        "original_url": article.original_url or None,
        "captured_at": _iso(article.captured_at),
        "body_sha256": article.body_sha256,
        "original_text_sha256": article.original_sha256 or None,
        "paragraphs": [
            {"number": number, "url": f"{permalink}#{anchor(number)}", "text": text}
            for number, text in numbered(article.paragraphs)
        ],
        "entities": [
            {
                "name": counted.entity.name,
                "kind": counted.entity.kind,
                "slug": counted.entity.slug,
                "url": absolute(counted.entity.get_absolute_url()),
                "mentions": counted.count,
            }
            for group in browse.entities_in(article)
            for counted in group.entities
        ],
        "quotes": [_quote(request, permalink, quoted) for quoted in article_quotes(article)],
        "captures": [
            _capture(request, entry, warc_links=warc_links) for entry in capture_history(article)
        ],
        "original": _original(request, article),
        "citation": cite(article, permalink).as_dict(),
    }


def _quote(request, permalink, quoted) -> dict:
    quote, speaker = quoted.quote, quoted.quote.speaker
    return {
        "text": quote.text,
        "speaker_name": quote.speaker_name or None,
        "speaker": speaker_as_dict(request, speaker),
        "paragraph": quote.paragraph,
        "url": f"{permalink}#{quote.anchor}",
        "trace": trace_as_dict(request, quoted.trace),
    }


def _found(value, found_in: str) -> dict:
    return {"value": value if found_in else None, "found_in": found_in or None}


def _capture(request, entry, *, warc_links: bool) -> dict:
    capture = entry.capture
    data = {
        "fetched_at": capture.fetched_at.isoformat(),
        "url": capture.url,
        "final_url": capture.final_url,
        "http_status": capture.http_status,
        "content_type": capture.content_type or None,
        "warc_sha256": capture.warc_sha256,
        "warc_size": capture.warc_size,
        "text_sha256": capture.text_sha256,
        "text_changed": entry.text_changed,
        "page_as_captured": request.build_absolute_uri(capture.get_absolute_url()),
        "changes": (
            request.build_absolute_uri(
                reverse("article-capture-changes", args=[capture.article.slug, capture.pk])
            )
            if entry.text_changed
            else None
        ),
        "metadata": {
            "title": _found(capture.title, capture.title_found_in),
            "author": _found(capture.author, capture.author_found_in),
            "publisher": _found(capture.publisher, capture.publisher_found_in),
            "published_on": _found(_iso(capture.published_on), capture.date_found_in),
        },
    }
    if warc_links:
        data["warc_download"] = request.build_absolute_uri(
            reverse("admin:archive_capture_warc", args=[capture.pk])
        )
    return data


def _original(request, article) -> dict | None:
    status = original_status(article)
    if status is None:
        return None
    return {
        "address": status.address,
        "checked": status.checked,
        "status": status.last_known.outcome if status.last_known else None,
        "summary": status.sentences,
        "last_finding": _check(request, status.last_known),
        "last_check": _check(request, status.latest),
    }


def _check(request, check: OriginalCheck | None) -> dict | None:
    if check is None:
        return None
    return {
        "checked_at": check.checked_at.isoformat(),
        "outcome": check.outcome,
        "url": check.url,
        "final_url": check.final_url or None,
        "http_status": check.http_status,
        "text_changed": check.text_changed,
        "compared_with_capture_of": (
            check.compared_with.fetched_at.isoformat() if check.compared_with else None
        ),
        "evidence": (
            request.build_absolute_uri(check.evidence.get_absolute_url())
            if check.evidence
            else None
        ),
        "sentence": describe(check),
    }
