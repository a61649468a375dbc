"""Read search parameters from a request's query string, never failing on what a user sends."""

import calendar
import datetime
import re

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


def search_params(query: QueryDict) -> SearchParams:
    params = SearchParams(q=normalise_punctuation(query.get("q", "")).strip())
    notes = params.notes
    params.sources = [s for s in (slugify(v) for v in query.getlist("source")) if s]
    params.entities = [s for s in (slugify(v) for v in query.getlist("entity")) if s]

    for name, end in (("from", False), ("to", True)):
        raw = normalise_punctuation(query.get(name, "")).strip()  # echoed in notes
        if not raw:
            continue
        try:
            day = parse_period(raw, end)
        except ValueError:
            notes.append(
                f"“{raw[:40]}” is not a date; use a year (2020), a month (2020-06) or a day "
                f"(2020-06-17). The “{name}” date was not used."
            )
            continue
        setattr(params, "date_to" if end else "date_from", day)
    if params.date_from and params.date_to and params.date_from > params.date_to:
        notes.append("The “from” date was after the “to” date; they were swapped.")
        params.date_from, params.date_to = (
            parse_period(normalise_punctuation(query["to"]).strip(), False),
            parse_period(normalise_punctuation(query["from"]).strip(), True),
        )

    sort = query.get("sort", "relevance")
    if sort in SORTS:
        params.sort = sort
    else:
        notes.append("Results can be sorted by relevance, newest or oldest; showing by relevance.")

    raw_page = normalise_punctuation(query.get("page", "1")).strip() or "1"
    if raw_page.isdigit() and 1 <= int(raw_page) <= MAX_PAGE:
        params.page = int(raw_page)
    else:
        notes.append(f"“{raw_page[:20]}” is not a page number; showing the first page.")
    return params
