"""Read search parameters from a request's query string, never failing on what a user sends.

One Django form for what every search takes (the words, sources, dates, sort
order, page), extended by the article search (entities) and the quote search
(speakers). A value that cannot be used is left out, and the note saying so is
shown beside the results: a search page never answers a typo with an error.
"""

import calendar
import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.text import slugify

from archive.search.results import SORTS, SearchParams
from archive.search.text import normalise_punctuation

_PERIOD = re.compile(r"^\s*(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?\s*$")
MAX_PAGE = 10_000


def parse_period(value: str, end: bool) -> datetime.date:
    """'2020' / '2020-06' / '2020-06-17' as the first day (or, with `end`, the last day)."""
    match = _PERIOD.match(value)
    if not match:
        raise ValueError(value)
    year, month, day = (int(g) if g else None for g in match.groups())
    if month is None:
        return datetime.date(year, 12, 31) if end else datetime.date(year, 1, 1)
    if day is None:
        last = calendar.monthrange(year, month)[1] if 1 <= month <= 12 else 0
        return datetime.date(year, month, last if end else 1)
    return datetime.date(year, month, day)


class PlainTextField(forms.CharField):
    """Text with typographic quotes, dashes and spaces made plain, as the index reads them."""

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_python(self, value):
        return normalise_punctuation(super().to_python(value)).strip()


class PeriodField(PlainTextField):
    """A year, a month or a day: its first day, or with `end` its last."""

    def __init__(self, name: str, end: bool, **kwargs):
        super().__init__(**kwargs)
        self.name, self.end = name, end

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        try:
            return parse_period(text, self.end)
        except ValueError:
            raise ValidationError(
                f"“{text[:40]}” is not a date; use a year (2020), a month (2020-06) or a day "
                f"(2020-06-17). The “{self.name}” date was not used."
            ) from None


class SlugsField(forms.Field):
    """Every value of a repeated parameter (?source=a&source=b), as slugs."""

    widget = forms.MultipleHiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_python(self, value):
        return [slug for slug in (slugify(v) for v in value or ()) if slug]


class PageField(PlainTextField):
    def to_python(self, value):
        text = super().to_python(value) or "1"
        if text.isdigit() and 1 <= int(text) <= MAX_PAGE:
            return int(text)
        raise ValidationError(f"“{text[:20]}” is not a page number; showing the first page.")


class SearchForm(forms.Form):
    """What every search of the archive takes, with the notes for what it cannot use."""

    default_sort = "relevance"
    default_sort_label = "by relevance"

    q = PlainTextField()
    source = SlugsField()
    sort = forms.CharField(required=False)
    page = PageField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword, so these two cannot be declared as attributes.
        self.fields["from"] = PeriodField("from", end=False)
        self.fields["to"] = PeriodField("to", end=True)
        self.order_fields(["q", "source", "entity", "speaker", "from", "to", "sort", "page"])

    def clean_sort(self):
        sort = self.cleaned_data["sort"] or self.default_sort
        if sort not in SORTS:
            raise ValidationError(
                "Results can be sorted by relevance, newest or oldest; "
                f"showing {self.default_sort_label}."
            )
        return sort

    def clean(self):
        data = super().clean()
        first, last = data.get("from"), data.get("to")
        if first and last and first > last:
            self.add_error(None, "The “from” date was after the “to” date; they were swapped.")
            # The whole of both periods: from 2020-06 to 2020 is 2020-01-01 to 2020-06-30.
            data["from"] = parse_period(normalise_punctuation(self.data["to"]).strip(), False)
            data["to"] = parse_period(normalise_punctuation(self.data["from"]).strip(), True)
        return data

    def search_params(self) -> SearchParams:
        """The parameters as the search runs them; values that could not be used left out."""
        self.is_valid()
        data = self.cleaned_data
        notes = [str(m) for name in self.fields for m in self.errors.get(name, ())]
        notes += [str(m) for m in self.non_field_errors()]
        return SearchParams(
            q=data.get("q", ""),
            sources=data.get("source", []),
            entities=data.get("entity", []),
            speakers=data.get("speaker", []),
            date_from=data.get("from"),
            date_to=data.get("to"),
            sort=data.get("sort") or self.default_sort,
            page=data.get("page") or 1,
            notes=notes,
        )


class ArticleSearchForm(SearchForm):
    entity = SlugsField()


class QuoteSearchForm(SearchForm):
    """Quotes come newest first unless asked otherwise, as a list of sayings reads best."""

    default_sort = "newest"
    default_sort_label = "newest first"

    speaker = SlugsField()


def search_params(query: QueryDict) -> SearchParams:
    return ArticleSearchForm(query).search_params()


def quote_params(query: QueryDict) -> SearchParams:
    return QuoteSearchForm(query).search_params()
