"""The quotes search and its JSON and CSV twins: each quote with speaker, paragraph and citation."""

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from archive.citations import cite
from archive.models import Quote
from archive.quotes.search import (
    EXPORT_LIMIT,
    QuoteResults,
    quote_query,
    search_quotes,
)
from archive.spreadsheets import SpreadsheetWriter


def quote_url(quote: Quote) -> str:
    """The article, opened at the quote's paragraph."""
    return f"{quote.article.get_absolute_url()}#{quote.anchor}"


def quote_as_dict(request, quote: Quote) -> dict:
    article = quote.article
    speaker = quote.speaker
    return {
        "text": quote.text,
        "speaker_name": quote.speaker_name or None,
        "speaker": (
            {
                "name": speaker.name,
                "kind": speaker.kind,
                "slug": speaker.slug,
                "url": request.build_absolute_uri(speaker.get_absolute_url()),
            }
            if speaker
            else None
        ),
        "article": {
            "title": article.title,
            "source": article.source.name if article.source_id else None,
            "date": article.published_on.isoformat() if article.published_on else None,
            "url": request.build_absolute_uri(article.get_absolute_url()),
        },
        "paragraph": quote.paragraph,
        "url": request.build_absolute_uri(quote_url(quote)),
        "citation": cite(
            article, request.build_absolute_uri(article.get_absolute_url()), quote.paragraph
        ).as_dict(),
    }


def results_as_dict(request, results: QuoteResults) -> dict:
    page = results.page
    return {
        "query": results.query.q,
        "speaker": results.query.speaker or None,
        "source": results.query.source or None,
        "from": results.query.date_from.isoformat() if results.query.date_from else None,
        "to": results.query.date_to.isoformat() if results.query.date_to else None,
        "count": results.count,
        "page": page.number,
        "num_pages": page.paginator.num_pages,
        "results": [quote_as_dict(request, hit.quote) for hit in results.hits],
        "notes": results.query.notes,
    }


@require_safe
def quote_search(request):
    results = search_quotes(quote_query(request.GET))
    for hit in results.hits:
        hit.url = quote_url(hit.quote)
        article_url = request.build_absolute_uri(hit.quote.article.get_absolute_url())
        hit.citation = cite(hit.quote.article, article_url, hit.quote.paragraph)
    query_string = request.GET.urlencode()
    return render(
        request,
        "quotes/search.html",
        {
            "results": results,
            "api_url": reverse("quote-api") + ("?" + query_string if query_string else ""),
            "csv_url": reverse("quote-csv") + ("?" + query_string if query_string else ""),
            "export_limit": EXPORT_LIMIT,
        },
    )


@require_safe
def quote_search_api(request):
    results = search_quotes(quote_query(request.GET))
    return JsonResponse(
        results_as_dict(request, results), json_dumps_params={"ensure_ascii": False}
    )


@require_safe
def quote_search_csv(request):
    params = quote_query(request.GET)
    params.page = 1
    results = search_quotes(params, per_page=EXPORT_LIMIT)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="archive-quotes.csv"'
    writer = SpreadsheetWriter(response)
    writer.writerow(
        [
            "quote",
            "speaker",
            "speaker_entity",
            "title",
            "source",
            "date",
            "paragraph",
            "url",
            "citation",
        ]
    )
    for hit in results.hits:
        data = quote_as_dict(request, hit.quote)
        writer.writerow(
            [
                data["text"],
                data["speaker_name"] or "unattributed",
                data["speaker"]["url"] if data["speaker"] else "",
                data["article"]["title"],
                data["article"]["source"] or "source unknown",
                data["article"]["date"] or "date unknown",
                data["paragraph"],
                data["url"],
                data["citation"]["text"],
            ]
        )
    writer.write_notes(results.query.notes)
    return response
