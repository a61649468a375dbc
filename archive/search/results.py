"""Run a search as the search page, the JSON API and the CSV export all need it.

`run_search()` takes validated parameters, asks haystack once for a page of
hits with facet counts and a spelling suggestion, and returns plain objects:
hits with their best paragraphs and the spellings that matched, facets with
names, and notes about anything in the query that could not be used. When the
index cannot answer, or not completely, the outcome carries a notice saying so
(archive.search.health) instead of raising.
"""

import calendar
import datetime
import functools
import logging
import operator
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.utils import dateformat
from haystack.inputs import Exact, Raw
from haystack.query import SQ, SearchQuerySet

from archive.entities.vocabulary import current_vocabulary
from archive.models import Article, Entity, Source
from archive.search.cost import TOOK_TOO_LONG
from archive.search.health import (
    SEARCH_UNAVAILABLE,
    IndexNotice,
    index_completeness_notice,
    is_engine_failure,
    tried_twice,
)
from archive.search.near import NEAR_WHEN_FEWER, NearPassage, near_passages, pasted_quotation
from archive.search.query import Clause, Group, ParsedQuery, make_clause, parse_query
from archive.search.snippets import MAX_SNIPPETS, Snippet, article_matches
from archive.search.text import fold
from archive.search.variants import SpellingVariants, expand

log = logging.getLogger(__name__)
RESULTS_PER_PAGE = 20
# Each facet shows its most frequent values, and up to FACET_VALUES in all behind "more".
FACET_VALUES_SHOWN = 5
FACET_VALUES = 50
SORTS = {"relevance": None, "newest": "-sort_newest", "oldest": "sort_oldest"}


@dataclass
class SearchParams:
    q: str = ""
    sources: list[str] = field(default_factory=list)  # slugs
    entities: list[str] = field(default_factory=list)  # slugs
    speakers: list[str] = field(default_factory=list)  # entity slugs, for quotes
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    sort: str = "relevance"
    page: int = 1
    notes: list[str] = field(default_factory=list)  # from validating the request


@dataclass
class Hit:
    article: Article
    snippets: list[Snippet]
    matched_spellings: list[str]
    best: Snippet | None = None  # the paragraph that matches best, cut around the match
    matching_paragraphs: list[int] = field(default_factory=list)  # every one, in reading order

    @property
    def best_paragraph(self) -> int | None:
        return self.snippets[0].paragraph if self.snippets else None

    @property
    def other_matching_paragraphs(self) -> list[int]:
        """The paragraphs that match besides the best one, which the results page shows."""
        best = self.best.paragraph if self.best else None
        return [number for number in self.matching_paragraphs if number != best]


@dataclass
class FacetValue:
    key: str  # the value to filter by: a source or entity slug, a year
    label: str
    count: int
    active: bool = False


@dataclass
class Facet:
    """The values of one facet, most frequent first (years newest first), at most FACET_VALUES."""

    values: list[FacetValue]
    total: int  # how many values the results have, shown or not

    def __iter__(self):
        return iter(self.values)

    def __len__(self):
        return len(self.values)

    @property
    def shown(self) -> list[FacetValue]:
        return self.values[:FACET_VALUES_SHOWN]

    @property
    def more(self) -> list[FacetValue]:
        """The values behind "more" (chosen sources and entities are sorted first, so they
        are never behind it)."""
        return self.values[FACET_VALUES_SHOWN:]

    @property
    def left_out(self) -> int:
        return self.total - len(self.values)


def facet_of(values: list[FacetValue]) -> Facet:
    return Facet(values[:FACET_VALUES], len(values))


@dataclass
class Outcome:
    params: SearchParams
    parsed: ParsedQuery
    page: Page | None
    hits: list[Hit]
    count: int
    facets: dict[str, Facet]
    entity_facets: dict[str, Facet]  # by entity kind label
    notes: list[str]
    suggestion: str | None = None
    suggestion_count: int = 0
    active_sources: list[Source] = field(default_factory=list)
    active_entities: list[Entity] = field(default_factory=list)
    index_notice: IndexNotice | None = None  # the index cannot answer, or not completely
    # A pasted quotation that the exact search (nearly) missed: passages nearly the same.
    near: list[NearPassage] = field(default_factory=list)

    @property
    def searched(self) -> bool:
        return bool(self.parsed.groups or self.parsed.filters or self.has_filters)

    @property
    def period(self) -> str:
        """The dates asked for, in words; empty when none were."""
        return describe_period(self.params.date_from, self.params.date_to)

    @property
    def has_filters(self) -> bool:
        p = self.params
        return bool(p.sources or p.entities or p.date_from or p.date_to)


def highlight_groups(query: str) -> list[Group]:
    """What to highlight on an article page opened from a search for `query`."""
    if not query.strip():
        return []
    parsed = expand(parse_query(query), current_vocabulary().variants)
    return parsed.positive_groups


def clause_query(clause: Clause) -> SQ:
    if clause.prefix:
        return SQ(content__startswith=clause.words[0])
    if clause.is_phrase:
        return SQ(content=Exact(" ".join(clause.words)))
    return SQ(content=clause.words[0])


def group_query(group: Group) -> SQ:
    return functools.reduce(operator.or_, (clause_query(c) for c in group.clauses))


def resolve_sources(parsed: ParsedQuery, params: SearchParams, notes) -> list[Source] | None:
    """Sources named in the query (source:) or the form (?source=), looked up; None if one is
    unknown, with a note."""
    sources = list(Source.objects.filter(slug__in=params.sources))
    for missing in set(params.sources) - {s.slug for s in sources}:
        notes.append(f"There is no source “{missing}” in the archive.")
        return None
    for name in parsed.filters.get("source", []):
        source = (
            Source.objects.filter(slug=name).first()
            or Source.objects.filter(name__iexact=name).first()
        )
        if source is None:
            notes.append(f"There is no source called “{name}” in the archive.")
            return None
        sources.append(source)
    return sources


def named_entity(name: str, variants: SpellingVariants) -> Entity | None:
    """The entity a filter's value names: by slug, else by any of its spellings."""
    clause = parse_query(f'"{name}"').groups
    entity_id = variants.entity_for(clause[0].clauses[0]) if clause else None
    return (
        Entity.objects.filter(slug=fold(name).replace(" ", "-")).first()
        or Entity.objects.filter(pk=entity_id).first()
    )


def _resolve_filters(parsed: ParsedQuery, params: SearchParams, variants: SpellingVariants, notes):
    """Sources and entities named in the query or the form, looked up; None if one is unknown."""
    sources = resolve_sources(parsed, params, notes)
    if sources is None:
        return None

    entities = list(Entity.objects.filter(slug__in=params.entities))
    for missing in set(params.entities) - {e.slug for e in entities}:
        notes.append(f"There is no entity “{missing}” in the archive.")
        return None
    for name in parsed.filters.get("entity", []):
        entity = named_entity(name, variants)
        if entity is None:
            notes.append(f"There is no entity called “{name}” in the archive.")
            return None
        entities.append(entity)
    return sources, entities


def matching(sqs: SearchQuerySet, parsed: ParsedQuery, params: SearchParams, sources):
    """`sqs` narrowed to the query's words, exclusions, sources and dates: what articles and
    quotes share."""
    positive = parsed.positive_groups
    if positive:
        sqs = sqs.filter(functools.reduce(operator.and_, (group_query(g) for g in positive)))
    else:
        sqs = sqs.filter(content=Raw("*"))
    for group in parsed.groups:
        if group.negated:
            sqs = sqs.exclude(group_query(group))
    return filtered(sqs, params, sources)


def filtered(sqs: SearchQuerySet, params: SearchParams, sources) -> SearchQuerySet:
    """`sqs` narrowed to the search's sources and dates, whatever its words."""
    if sources:
        sqs = sqs.filter(source__in=[str(s.pk) for s in sources])
    period = period_query(params.date_from, params.date_to)
    return sqs.filter(period) if period is not None else sqs


def period_query(date_from, date_to, today=None) -> SQ | None:
    """The documents dated from `date_from` to `date_to` (either may be open): each whole
    year in between by its `year` term, only the ends as date ranges.

    A range of dates is matched through every date in it (Whoosh: the date
    field's tiered terms, one posting list each, merged document by
    document): 200 ms for the 12,270 articles of a year, 250 ms for their
    30,453 quotes. A year is one posting list. A period with no end is closed
    at the end of this year, with a range for anything dated later.
    """
    if date_from is None and date_to is None:
        return None
    if date_from is None:
        # One range query: two open ranges would each walk the whole date field.
        return SQ(published_on__lte=date_to)
    today = today or datetime.date.today()
    last = date_to or datetime.date(today.year, 12, 31)
    parts, years = [], []
    start = date_from
    if start > last:  # from a later year than this one, no end given
        return SQ(published_on__gte=date_from)
    if (start.month, start.day) != (1, 1):
        end_of_year = datetime.date(start.year, 12, 31)
        parts.append(SQ(published_on__range=(start, min(end_of_year, last))))
        start = end_of_year + datetime.timedelta(days=1)
    while start <= last and datetime.date(start.year, 12, 31) <= last:
        years.append(str(start.year))
        start = datetime.date(start.year + 1, 1, 1)
    if start <= last:
        parts.append(SQ(published_on__range=(start, last)))
    if years:
        parts.append(SQ(year__in=years))
    if date_to is None:
        parts.append(SQ(published_on__gt=last))
    return functools.reduce(operator.or_, parts)


def with_entities(sqs: SearchQuerySet, entities) -> SearchQuerySet:
    for entity in entities:
        sqs = sqs.filter(entities=str(entity.pk))
    return sqs


def build_search(parsed: ParsedQuery, params: SearchParams, sources, entities) -> SearchQuerySet:
    sqs = with_entities(
        matching(SearchQuerySet().models(Article), parsed, params, sources), entities
    )
    positive = parsed.positive_groups
    sort = SORTS.get(params.sort) or (None if positive else SORTS["newest"])
    if sort:
        sqs = sqs.order_by(sort)
    spelling_query = " ".join(positive_words(parsed))
    return sqs.facet("source").facet("year").facet("entities").set_spelling_query(spelling_query)


def positive_words(parsed: ParsedQuery) -> list[str]:
    """The words the user asked for (first spelling of each), for spelling suggestions.

    A wildcard's letters are the start of a word, not a misspelt one: left out.
    """
    return [
        word
        for group in parsed.positive_groups
        if not group.clauses[0].prefix
        for word in group.clauses[0].words
    ]


def _keep_known_spellings(suggestion, words, variants: SpellingVariants) -> str | None:
    """The suggestion, minus corrections of words that are curated spellings; None if no change."""
    if not suggestion:
        return None
    suggested = suggestion.split()
    if len(suggested) != len(words):
        return suggestion
    kept = [
        word if variants.entity_for(make_clause(word)) is not None else new
        for word, new in zip(words, suggested, strict=True)
    ]
    return " ".join(kept) if kept != words else None


def page_of_results(sqs: SearchQuerySet, number: int, per_page: int, notes) -> Page | None:
    """Page `number` of the results (None if there are none); past the end, the last page,
    with a note. The page asked for is read first: its answer brings the count with it."""
    paginator = Paginator(sqs, per_page)
    found = list(sqs[(number - 1) * per_page : number * per_page])
    count = sqs.count()
    if not count:
        return None
    if not found and number > 1:
        notes.append(f"There is no page {number:,}; this is the last page, {paginator.num_pages}.")
        number = paginator.num_pages
    return paginator.page(number)


def run_search(
    params: SearchParams, per_page: int = RESULTS_PER_PAGE, snippets: int | None = MAX_SNIPPETS
) -> Outcome:
    """The search; with a notice if the index holds too few articles or cannot answer at all.
    Each hit has its `snippets` best matching paragraphs (every one with None: the CSV)."""

    def answer() -> Outcome:
        outcome = search_index(params, per_page, snippets)
        if outcome.searched:
            outcome.index_notice = index_completeness_notice()
        return outcome

    try:
        return tried_twice(answer)
    except Exception as error:
        if not is_engine_failure(error):
            raise
        log.warning("Search index unavailable; answering with a notice", exc_info=True)
    parsed = parse_query(params.q)
    notes = [*params.notes, *parsed.notes]
    return Outcome(params, parsed, None, [], 0, {}, {}, notes, index_notice=SEARCH_UNAVAILABLE)


def search_index(
    params: SearchParams, per_page: int = RESULTS_PER_PAGE, snippets: int | None = MAX_SNIPPETS
) -> Outcome:
    parsed = parse_query(params.q)
    notes = [*params.notes, *parsed.notes]
    variants = current_vocabulary().variants
    expand(parsed, variants)
    resolved = _resolve_filters(parsed, params, variants, notes)
    empty = Outcome(params, parsed, None, [], 0, {}, {}, notes)
    if resolved is None:
        return empty
    sources, entities = resolved
    if not parsed.groups and not (sources or entities or params.date_from or params.date_to):
        return empty

    sqs = build_search(parsed, params, sources, entities)
    page = page_of_results(sqs, params.page, per_page, notes)
    count = page.paginator.count if page else 0
    results = list(page.object_list) if page else []

    articles = Article.objects.select_related("source").in_bulk([int(r.pk) for r in results])
    hits = []
    for result in results:
        article = articles.get(int(result.pk))
        if article is None or not article.is_published:
            continue  # changed since it was indexed; the queue will catch up
        matches = article_matches(article.paragraphs, parsed.groups, snippets)
        hits.append(
            Hit(
                article,
                matches.snippets,
                sorted(matches.spellings),
                matches.best,
                matches.paragraphs,
            )
        )

    # What the archive's Whoosh backend says of its answer; other engines bound their own.
    notes.extend(getattr(sqs.query, "notes", ()))
    if getattr(sqs.query, "incomplete", False):
        notes.append(TOOK_TOO_LONG)
    facet_counts = sqs.facet_counts().get("fields", {})
    facets, entity_facets = _facets(facet_counts, sources, entities, params)
    outcome = Outcome(
        params,
        parsed,
        page,
        hits,
        count,
        facets,
        entity_facets,
        notes,
        active_sources=sources,
        active_entities=entities,
    )
    quotation = pasted_quotation(parsed)
    if quotation and count < NEAR_WHEN_FEWER and params.page == 1:
        # The search's filters only: the engine ranks the candidates by the quotation's words.
        allowed = with_entities(
            filtered(SearchQuerySet().models(Article), params, sources), entities
        )
        outcome.near = near_passages(quotation, allowed)  # an exact copy first, if any
    suggestion = _keep_known_spellings(sqs.spelling_suggestion(), positive_words(parsed), variants)
    if suggestion:
        outcome.suggestion = suggestion
        outcome.suggestion_count = build_search(
            expand(parse_query(suggestion), variants), params, sources, entities
        ).count()
    return outcome


def _facets(counts, sources, entities, params):
    source_ids = {int(k): n for k, n in counts.get("source", []) if k}
    source_names = Source.objects.in_bulk(source_ids)
    active_source_ids = {s.pk for s in sources}
    chosen_year = whole_year(params.date_from, params.date_to)
    facets = {
        "source": facet_of(
            sorted(
                (
                    FacetValue(s.slug, s.name, source_ids[pk], pk in active_source_ids)
                    for pk, s in source_names.items()
                ),
                key=lambda v: (-v.active, -v.count, v.label),
            )
        ),
        # Newest year first, "date unknown" last.
        "year": facet_of(
            sorted(
                (
                    FacetValue(k or "", k or "date unknown", n, bool(k) and k == chosen_year)
                    for k, n in counts.get("year", [])
                ),
                key=lambda v: (v.key == "", -int(v.key or 0)),
            )
        ),
    }
    entity_counts = {int(k): n for k, n in counts.get("entities", []) if k}
    active_entity_ids = {e.pk for e in entities}
    by_kind: dict[str, list[FacetValue]] = {}
    for entity in Entity.objects.filter(pk__in=entity_counts):
        by_kind.setdefault(entity.get_kind_display(), []).append(
            FacetValue(
                entity.slug, entity.name, entity_counts[entity.pk], entity.pk in active_entity_ids
            )
        )
    entity_facets = {
        kind: facet_of(sorted(values, key=lambda v: (-v.active, -v.count, v.label)))
        for kind, values in sorted(by_kind.items())
    }
    return facets, entity_facets


def describe_period(date_from, date_to) -> str:
    """The period in words, as the results page names the one filter it makes:
    "2021", "2019 to 2021", "June 2020", "17 June 2020 to 2021", "from 2020", "until May 2021"."""

    def start(day):
        if (day.month, day.day) == (1, 1):
            return str(day.year)
        return dateformat.format(day, "F Y" if day.day == 1 else "j F Y")

    def end(day):
        if (day.month, day.day) == (12, 31):
            return str(day.year)
        last = calendar.monthrange(day.year, day.month)[1]
        return dateformat.format(day, "F Y" if day.day == last else "j F Y")

    if date_from and date_to:
        first, last = start(date_from), end(date_to)
        return first if first == last else f"{first} to {last}"
    if date_from:
        return f"from {start(date_from)}"
    if date_to:
        return f"until {end(date_to)}"
    return ""


def whole_year(date_from, date_to) -> str | None:
    """The year the period is, if it is exactly one whole year (as the year facet asks)."""
    if date_from and date_to and date_from.year == date_to.year:
        if (date_from.month, date_from.day, date_to.month, date_to.day) == (1, 1, 12, 31):
            return str(date_from.year)
    return None
