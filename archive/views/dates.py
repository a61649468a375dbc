"""The archive by date: Django's date-based generic views over the published articles.

Years (ArchiveIndexView), the months of a year (YearArchiveView), the articles
of a month (MonthArchiveView), and the articles whose date is unknown, which no
date-based view can hold (a ListView). Django parses the year and month of the
address (404 for year 0 or month 13), filters by date and paginates. It bounds a
year or a month by the first day of the next one, so year 9999 and December 9999
have no page (404) although /dates/ would count an article dated then.
"""

from django.views.generic import ArchiveIndexView, ListView, MonthArchiveView, YearArchiveView

from archive import browse
from archive.views.caching import revalidated


class PublishedArticles:
    """What every date page shares: published articles, newest first, a page at a time."""

    date_field = "published_on"
    month_format = "%m"  # /dates/2021/02/: one address per month
    paginate_by = browse.ARTICLES_PER_PAGE
    paginator_class = browse.ArticlePaginator
    # A year or month without articles still answers, saying so (and asking not to be
    # indexed): a reader who follows a date from elsewhere learns the archive has nothing.
    allow_empty = True
    # The date is the one the source stated, not a schedule: publishing is the status's
    # job, and an article a source dated ahead is listed like any other.
    allow_future = True
    http_method_names = ["get", "head"]

    def get_queryset(self):
        return browse.published_articles()

    def get_ordering(self):
        # published_articles() orders them already: newest first, the latest added first
        # within a day. Django's default ("-published_on") would drop the second rule.
        return None

    def paginate_queryset(self, queryset, page_size):
        """Django's Paginator, forgiving as every list of the archive is: a malformed page
        number gives the first page, one too large the last (Django's views answer 404)."""
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()


class DateIndex(PublishedArticles, ArchiveIndexView):
    """Every year and month that has articles, with how many, and the undated count."""

    template_name = "dates/index.html"
    paginate_by = None  # the page lists dates, not articles

    def get_date_list(self, queryset, date_type=None, ordering="DESC"):
        return browse.date_counts(queryset)


class YearArchive(PublishedArticles, YearArchiveView):
    template_name = "dates/year.html"
    make_object_list = True

    def get_date_list(self, queryset, date_type=None, ordering="DESC"):
        """The year's months that have articles, newest first, each with how many."""
        return browse.date_counts(queryset).months


class MonthArchive(PublishedArticles, MonthArchiveView):
    template_name = "dates/month.html"

    def get_date_list(self, queryset, date_type=None, ordering="ASC"):
        # The page lists the month's articles, not its days: no query for a list nobody reads.
        return None

    # Django's previous and next months are the calendar's when empty months are allowed;
    # the page leads instead to the nearest months that have something to read.
    def get_previous_month(self, date):
        return browse.month_before(date)

    def get_next_month(self, date):
        return browse.month_after(date)


class UndatedArticles(PublishedArticles, ListView):
    template_name = "dates/unknown.html"

    def get_queryset(self):
        return browse.articles_without_date()


date_index = revalidated(DateIndex.as_view())
date_year = revalidated(YearArchive.as_view())
date_month = revalidated(MonthArchive.as_view())
date_unknown = revalidated(UndatedArticles.as_view())
