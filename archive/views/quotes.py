"""The quotes search as a page, JSON and CSV: one search, one record per quote, three renderings."""

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from archive.citations import cite
from archive.models import Quote
from archive.quotes.search import (
    EXPORT_LIMIT,
    QUOTES_PER_PAGE,
    QuoteHit,
    QuoteResults,
    search_quotes,
)
from archive.quotes.tracing import Trace
from archive.search.health import with_index_notice
from archive.search.params import quote_params
from archive.spreadsheets import SpreadsheetWriter

CSV_COLUMNS = [
    "quote",
    "speaker",
    "speaker_entity",
    "title",
    "source",
    "date",
    "paragraph",
    "url",
    "citation",
    "first_published_in",
    "also_published_in",
]


def quote_url(quote: Quote) -> str:
    """The article, opened at the quote's paragraph."""
    return f"{quote.article.get_absolute_url()}#{quote.anchor}"


def speaker_as_dict(request, speaker) -> dict | None:
    """A quote's curated speaker in the JSON answers (None if the speaker is not known)."""
    if speaker is None:
        return None
    return {
        "name": speaker.name,
        "kind": speaker.kind,
        "slug": speaker.slug,
        "url": request.build_absolute_uri(speaker.get_absolute_url()),
    }


def trace_as_dict(request, trace: Trace | None) -> dict | None:
    """Where else the quote was published, earliest first (undated last), and which article
    published it first where the dates tell (`first` is None when they do not)."""
    if trace is None:
        return None

    def copy(quote):
        article = quote.article
        return {
            "title": article.title,
            "source": article.source.name if article.source_id else None,
            "date": article.published_on.isoformat() if article.published_on else None,
            "url": request.build_absolute_uri(quote_url(quote)),
        }

    return {
        "order_known": trace.order_known,
        "why_order_unknown": trace.why_order_unknown or None,
        "first": copy(trace.first) if trace.order_known else None,
        "elsewhere": [copy(quote) for quote in trace.elsewhere],
    }


def quote_as_dict(request, hit: QuoteHit) -> dict:
    """One quote as every rendering shows it: speaker, article, paragraph link and citation."""
    quote = hit.quote
    article = quote.article
    speaker = quote.speaker
    return {
        "text": quote.text,
        "marks": hit.marks,
        "speaker_name": quote.speaker_name or None,
        "speaker": speaker_as_dict(request, speaker),
        "article": {
            "title": article.title,
            "source": article.source.name if article.source_id else None,
            "date": article.published_on.isoformat() if article.published_on else None,
            "url": request.build_absolute_uri(article.get_absolute_url()),
        },
        "paragraph": quote.paragraph,
        "url": request.build_absolute_uri(hit.url),
        "citation": hit.citation.as_dict(),
        "trace": trace_as_dict(request, hit.trace),
    }


def results_as_dict(request, results: QuoteResults) -> dict:
    params, page = results.params, results.page

    def values(facet):
        return [{"key": v.key, "label": v.label, "count": v.count} for v in facet]

    return {
        "query": params.q,
        "speaker": params.speakers[0] if params.speakers else None,
        "source": params.sources[0] if params.sources else None,
        "from": params.date_from.isoformat() if params.date_from else None,
        "to": params.date_to.isoformat() if params.date_to else None,
        "sort": params.sort,
        "count": results.count,
        "page": page.number if page else 1,
        "num_pages": page.paginator.num_pages if page else 0,
        "results": [quote_as_dict(request, hit) for hit in results.hits],
        "facets": {
            "speaker": values(results.speaker_facet),
            "source": values(results.source_facet),
        },
        "notes": results.notes,
        "index_notice": results.index_notice.text if results.index_notice else None,
    }


def as_csv(request, results: QuoteResults) -> HttpResponse:
    if results.index_notice and results.index_notice.unavailable:
        # Not an empty CSV, which would read as "no quote matches".
        return HttpResponse(results.index_notice.text, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="archive-quotes.csv"'
    writer = SpreadsheetWriter(response)
    writer.writerow(CSV_COLUMNS)
    for hit in results.hits:
        data = quote_as_dict(request, hit)
        writer.writerow(
            [
                data["text"],
                data["speaker_name"] or "unattributed",
                data["speaker"]["url"] if data["speaker"] else "",
                data["article"]["title"],
                data["article"]["source"] or "",  # empty: not known
                data["article"]["date"] or "",  # ISO, or empty: not known
                data["paragraph"],
                data["url"],
                data["citation"]["text"],
                *_trace_cells(data["trace"]),
            ]
        )
    writer.write_notes(results.notes)
    return response


def _trace_cells(trace: dict | None) -> list[str]:
    """The first article (or "order unknown") and the other articles, for the CSV."""
    if trace is None:
        return ["", ""]
    first = trace["first"]["url"] if trace["first"] else "order unknown"
    return [first, "; ".join(copy["url"] for copy in trace["elsewhere"])]


def as_page(request, results: QuoteResults) -> HttpResponse:
    query_string = request.GET.urlencode()
    suffix = "?" + query_string if query_string else ""
    return render(
        request,
        "quotes/search.html",
        {
            "results": results,
            "api_url": reverse("quote-api") + suffix,
            "csv_url": reverse("quote-csv") + suffix,
            "export_limit": EXPORT_LIMIT,
        },
    )


RENDERINGS = {
    "html": as_page,
    "json": lambda request, results: JsonResponse(
        results_as_dict(request, results), json_dumps_params={"ensure_ascii": False}
    ),
    "csv": as_csv,
}


def quotes_response(request, rendering: str) -> HttpResponse:
    """Search the quotes as the query string asks and answer in `rendering` (html, json, csv)."""
    params = quote_params(request.GET)
    per_page = QUOTES_PER_PAGE
    if rendering == "csv":  # the first EXPORT_LIMIT quotes, whatever page was shown
        params.page, per_page = 1, EXPORT_LIMIT
    results = search_quotes(params, per_page=per_page)
    for hit in results.hits:
        article = hit.quote.article
        hit.url = quote_url(hit.quote)
        article_url = request.build_absolute_uri(article.get_absolute_url())
        hit.citation = cite(article, article_url, hit.quote.paragraph)
    response = RENDERINGS[rendering](request, results)
    return with_index_notice(response, results.index_notice)


@require_safe
def quote_search(request):
    return quotes_response(request, "html")


@require_safe
def quote_search_api(request):
    return quotes_response(request, "json")


@require_safe
def quote_search_csv(request):
    return quotes_response(request, "csv")
