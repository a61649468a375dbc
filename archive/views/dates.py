"""The archive by date: years, the months of a year, the articles of a month, and undated ones."""

import datetime

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from archive import browse
from archive.views.caching import revalidated


@require_safe
@revalidated
def date_index(request):
    return render(request, "dates/index.html", {"counts": browse.date_counts()})


@require_safe
@revalidated
def date_year(request, year):
    year = calendar_year(year)
    start, end = browse.first_day(year), browse.first_day(year + 1)
    page = browse.page_of(browse.articles_published_between(start, end), request.GET.get("page"))
    counts = browse.date_counts(year=year)
    return render(
        request,
        "dates/year.html",
        {"year": year, "months": counts.years[0].months if counts.years else [], "page": page},
    )


@require_safe
@revalidated
def date_month(request, year, month):
    start = calendar_month(year, month)
    articles = browse.articles_published_between(start, browse.next_month(start))
    page = browse.page_of(articles, request.GET.get("page"))
    return render(
        request,
        "dates/month.html",
        {"month": start, "page": page, "around": browse.months_around(start)},
    )


@require_safe
@revalidated
def date_unknown(request):
    page = browse.page_of(browse.articles_without_date(), request.GET.get("page"))
    return render(request, "dates/unknown.html", {"page": page})


def calendar_year(year: str) -> int:
    """The year of a URL (four digits); 404 for year 0, which no calendar has."""
    number = int(year)
    if not datetime.MINYEAR <= number <= datetime.MAXYEAR:
        raise Http404("There is no year 0.")
    return number


def calendar_month(year: str, month: str) -> datetime.date:
    """The first day of the month of a URL; 404 for a month that does not exist, like 13."""
    number = int(month)
    if not 1 <= number <= 12:
        raise Http404("A year has twelve months.")
    return datetime.date(calendar_year(year), number, 1)
