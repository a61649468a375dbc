"""The search page, its JSON API and CSV export, and the help page; all share run_search()."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from archive.citations import cite
from archive.paragraphs import anchor
from archive.search import cost, near
from archive.search.health import with_index_notice
from archive.search.near import NearPassage
from archive.search.params import search_params
from archive.search.results import Hit, Outcome, run_search
from archive.spreadsheets import SpreadsheetWriter

EXPORT_LIMIT = 500


def hit_url(hit: Hit, query: str, paragraph: int | None = None) -> str:
    """The article, opened at the paragraph with the query's words highlighted there."""
    paragraph = paragraph or hit.best_paragraph
    url = hit.article.get_absolute_url()
    if query:
        url += "?" + urlencode({"hl": query})
    return url + (f"#{anchor(paragraph)}" if paragraph else "")


def _cite_hit(request, hit: Hit, paragraph: int | None):
    return cite(hit.article, _absolute_article_url(request, hit), paragraph)


def _absolute_article_url(request, hit: Hit) -> str:
    return request.build_absolute_uri(hit.article.get_absolute_url())


def near_url(passage: NearPassage, query: str) -> str:
    """The article at the paragraph of a passage nearly the same as the pasted quotation, the
    query's words highlighted there as from any hit."""
    url = passage.article.get_absolute_url() + "?" + urlencode({"hl": query})
    return f"{url}#{anchor(passage.paragraph)}"


def _cite_passage(request, passage: NearPassage):
    article_url = request.build_absolute_uri(passage.article.get_absolute_url())
    return cite(passage.article, article_url, passage.paragraph)


def near_as_dict(request, passage: NearPassage, query: str) -> dict:
    article = passage.article
    return {
        "title": article.title,
        "url": request.build_absolute_uri(near_url(passage, query)),
        "source": article.source.name if article.source_id else None,
        "date": article.published_on.isoformat() if article.published_on else None,
        "paragraph": passage.paragraph,
        "text": passage.text,
        "differs": passage.differs,  # the article's words not in the query: offsets in text
        "words": passage.words,
        "differing": passage.differing,
        "citation": _cite_passage(request, passage).as_dict(),
    }


@require_safe
def search(request):
    outcome = run_search(search_params(request.GET))
    for passage in outcome.near:
        passage.url = near_url(passage, outcome.params.q)
        passage.citation = _cite_passage(request, passage)
    for hit in outcome.hits:
        hit.url = hit_url(hit, outcome.params.q)
        if hit.other_matching_paragraphs:
            first_other = hit.other_matching_paragraphs[0]
            hit.other_matches_url = hit_url(hit, outcome.params.q, first_other)
        for snippet in hit.snippets:
            snippet.url = hit_url(hit, outcome.params.q, snippet.paragraph)
        hit.citation = cite(hit.article, _absolute_article_url(request, hit), hit.best_paragraph)
    response = render(
        request,
        "search/results.html",
        {
            "outcome": outcome,
            "api_url": reverse("search-api") + "?" + request.GET.urlencode(),
            "csv_url": reverse("search-csv") + "?" + request.GET.urlencode(),
            "export_limit": EXPORT_LIMIT,
            "feed_url": reverse("feed-search") + "?" + request.GET.urlencode(),
        },
    )
    return with_index_notice(response, outcome.index_notice)


def hit_as_dict(request, hit: Hit, query: str) -> dict:
    article = hit.article
    return {
        "title": article.title,
        "url": request.build_absolute_uri(hit_url(hit, query)),
        "source": article.source.name if article.source_id else None,
        "date": article.published_on.isoformat() if article.published_on else None,
        "snippets": [
            {
                **snippet.as_dict(),
                "url": request.build_absolute_uri(hit_url(hit, query, snippet.paragraph)),
            }
            for snippet in hit.snippets
        ],
        "matched_spellings": hit.matched_spellings,
        "citation": cite(
            article, _absolute_article_url(request, hit), hit.best_paragraph
        ).as_dict(),
    }


def outcome_as_dict(request, outcome: Outcome) -> dict:
    def values(facet):
        return [{"key": v.key, "label": v.label, "count": v.count} for v in facet]

    page = outcome.page
    return {
        "query": outcome.params.q,
        "count": outcome.count,
        "page": page.number if page else 1,
        "num_pages": page.paginator.num_pages if page else 0,
        "results": [hit_as_dict(request, hit, outcome.params.q) for hit in outcome.hits],
        "facets": {
            "source": values(outcome.facets.get("source", [])),
            "year": values(outcome.facets.get("year", [])),
            "entity": {kind: values(v) for kind, v in outcome.entity_facets.items()},
        },
        "near": [near_as_dict(request, passage, outcome.params.q) for passage in outcome.near],
        "suggestion": outcome.suggestion,
        "notes": outcome.notes,
        "index_notice": outcome.index_notice.text if outcome.index_notice else None,
    }


@require_safe
def search_api(request):
    outcome = run_search(search_params(request.GET))
    response = JsonResponse(
        outcome_as_dict(request, outcome), json_dumps_params={"ensure_ascii": False}
    )
    return with_index_notice(response, outcome.index_notice)


@require_safe
def search_csv(request):
    params = search_params(request.GET)
    params.page = 1
    outcome = run_search(params, per_page=EXPORT_LIMIT, snippets=None)  # every paragraph
    if outcome.index_notice and outcome.index_notice.unavailable:
        # Not an empty CSV, which would read as "nothing matches".
        response = HttpResponse(outcome.index_notice.text, content_type="text/plain; charset=utf-8")
        return with_index_notice(response, outcome.index_notice)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="archive-search.csv"'
    writer = SpreadsheetWriter(response)
    writer.writerow(
        ["title", "source", "date", "url", "paragraph", "snippet", "matched_spellings", "citation"]
    )
    for hit in outcome.hits:
        data = hit_as_dict(request, hit, params.q)
        # One row per matching paragraph (an article without one, matched by its title: one).
        for snippet in hit.snippets or [None]:
            paragraph = snippet.paragraph if snippet else None
            writer.writerow(
                [
                    data["title"],
                    data["source"] or "",  # empty: not known
                    data["date"] or "",  # ISO, or empty: not known
                    request.build_absolute_uri(hit_url(hit, params.q, paragraph)),
                    paragraph or "",
                    snippet.text if snippet else "",
                    "; ".join(data["matched_spellings"]),
                    _cite_hit(request, hit, paragraph).text,
                ]
            )
    writer.write_notes(outcome.notes)
    return with_index_notice(response, outcome.index_notice)


@require_safe
def search_help(request):
    return render(
        request,
        "search/help.html",
        {
            "export_limit": EXPORT_LIMIT,
            "limits": cost,
            "time_limit": settings.SEARCH_TIME_LIMIT,
            "took_too_long": cost.TOOK_TOO_LONG,
            "near": near,
            "near_share": round(near.MIN_SHARE * 100),
        },
    )
