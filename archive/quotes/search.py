"""Search within quotations only, in the article search's language, through the search index.

Quotes have documents of their own in the search engine (QuoteIndex in
archive.search.indexes), so a search reads posting lists instead of every
quote's text. The query is read as the article search reads it
(archive.search.query, bounded by archive.search.cost, spellings of curated
entities expanded), with `speaker:` where articles have `entity:`; the
parameters come from the same form (archive.search.params). With no words and
no filter, every quote is listed, newest article first.
"""

import logging
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import F
from haystack.inputs import Exact
from haystack.query import SearchQuerySet

from archive.browse import per_archive_state
from archive.citations import Citation
from archive.entities.vocabulary import current_vocabulary
from archive.models import Article, Entity, EntityRedirect, IndexQueue, Quote, Source
from archive.quotes.tracing import Trace, trace_quotes
from archive.search.cost import TOOK_TOO_LONG
from archive.search.health import (
    SEARCH_UNAVAILABLE,
    IndexNotice,
    is_engine_failure,
    quote_index_notice,
    tried_twice,
)
from archive.search.query import QUOTE_FILTER_FIELDS, ParsedQuery, parse_query
from archive.search.results import (
    Facet,
    FacetValue,
    SearchParams,
    facet_of,
    matching,
    named_entity,
    page_of_results,
    resolve_sources,
)
from archive.search.snippets import mark_paragraph
from archive.search.variants import expand

log = logging.getLogger(__name__)
QUOTES_PER_PAGE = 20
MAX_NAME_WORDS = 4  # a search of more words is not taken for a name
EXPORT_LIMIT = 500
# A quote's place: its article's date, then the article, then where in it.
QUOTE_SORTS = {
    "relevance": None,
    "newest": ("order_newest",),
    "oldest": ("order_oldest",),
}


@dataclass
class QuoteHit:
    quote: Quote
    marks: list[tuple[int, int]]
    trace: Trace | None = None  # where else it was published, if anywhere
    url: str = ""  # set by the view: the article at the quote's paragraph
    citation: Citation | None = None  # set by the view, which knows the site's address


@dataclass
class Speakers:
    """Who a search asks to have spoken: entities, or names as articles write them."""

    entities: list[Entity] = field(default_factory=list)
    names: list[str] = field(default_factory=list)


@dataclass
class SpokenBy:
    """Someone the words of a search name, who is quoted: `count` quotes are theirs."""

    name: str
    count: int

    @property
    def query(self) -> str:
        return f'speaker:"{self.name}"'


@dataclass
class QuoteResults:
    params: SearchParams
    parsed: ParsedQuery
    page: Page | None
    hits: list[QuoteHit]
    count: int
    notes: list[str]
    speakers: Speakers = field(default_factory=Speakers)
    sources: list[Source] = field(default_factory=list)
    speaker_facet: Facet = field(default_factory=lambda: facet_of([]))  # most quoted first
    source_facet: Facet = field(default_factory=lambda: facet_of([]))
    index_notice: IndexNotice | None = None
    spoken_by: SpokenBy | None = None  # the words name someone quoted: what they said

    @property
    def spoken_by_query(self) -> str:
        return self.spoken_by.query if self.spoken_by else ""


def _entity_by_slug(slug: str) -> Entity | None:
    """The entity of `slug`, following merges (a merged entity's old slug still works)."""
    entity = Entity.objects.filter(slug=slug).first()
    if entity is None:
        moved = EntityRedirect.objects.select_related("entity").filter(old_slug=slug).first()
        entity = moved.entity if moved else None
    return entity


def resolve_speakers(
    parsed: ParsedQuery, params: SearchParams, vocabulary, notes
) -> Speakers | None:
    """The speakers of ?speaker= (entity slugs) and of `speaker:` (a name: an entity's, or as
    articles write it); None, with a note, if a slug names no entity."""
    speakers = Speakers()
    for slug in params.speakers:
        entity = _entity_by_slug(slug)
        if entity is None:
            notes.append(f"No speaker “{slug}” in the archive: no quotes to show for it.")
            return None
        speakers.entities.append(entity)
    for name in parsed.filters.get("speaker", []):
        entity = named_entity(name, vocabulary)
        if entity is not None:
            speakers.entities.append(entity)
        else:
            speakers.names.append(name)
    return speakers


def matching_quotes(parsed, params, sources, speakers: Speakers) -> SearchQuerySet:
    sqs = matching(SearchQuerySet().models(Quote), parsed, params, sources)
    for entity in speakers.entities:
        sqs = sqs.filter(speaker=str(entity.pk))
    for name in speakers.names:
        sqs = sqs.filter(speaker_name=Exact(name))
    return sqs


def build_quote_search(parsed, params, sources, speakers: Speakers) -> SearchQuerySet:
    sqs = matching_quotes(parsed, params, sources, speakers)
    # Relevance means nothing without words: then the newest come first.
    by = params.sort if parsed.positive_groups or params.sort != "relevance" else "newest"
    if QUOTE_SORTS[by]:
        sqs = sqs.order_by(*QUOTE_SORTS[by])
    return sqs.facet("speaker").facet("source")


def search_quotes(params: SearchParams, per_page: int = QUOTES_PER_PAGE) -> QuoteResults:
    """The quotes that match, a page of them; with a notice if the index cannot answer."""

    def answer() -> QuoteResults:
        notice = quote_index_notice()
        results = _search_index(params, per_page, index_complete=notice is None)
        results.index_notice = notice
        return results

    try:
        return tried_twice(answer)
    except Exception as error:
        if not is_engine_failure(error):
            raise
        log.warning("Search index unavailable; answering with a notice", exc_info=True)
    parsed = parse_query(params.q, QUOTE_FILTER_FIELDS)
    notes = [*params.notes, *parsed.notes]
    return QuoteResults(params, parsed, None, [], 0, notes, index_notice=SEARCH_UNAVAILABLE)


@dataclass(frozen=True)
class _IndexAnswer:
    """What the search engine answered for a page of quotes, without model objects, so that
    the listing of every quote can be kept (`_kept_listing`)."""

    number: int  # the page shown: the last one when the one asked for is past the end
    count: int
    quote_ids: list[int]
    facet_counts: dict
    page_notes: list[str]  # the page asked for is past the end
    engine_notes: list[str]  # the query trimmed, or the time limit reached
    complete: bool

    def page(self, per_page: int) -> Page | None:
        if not self.count:
            return None
        return Page(self.quote_ids, self.number, Paginator(range(self.count), per_page))


def _ask_index(sqs: SearchQuerySet, number: int, per_page: int) -> _IndexAnswer:
    page_notes = []
    page = page_of_results(sqs, number, per_page, page_notes)
    count = page.paginator.count if page else 0
    # What the archive's Whoosh backend says of its answer; other engines bound their own.
    engine_notes = list(getattr(sqs.query, "notes", ()))
    complete = not getattr(sqs.query, "incomplete", False)
    if not complete:
        engine_notes.append(TOOK_TOO_LONG)
    return _IndexAnswer(
        number=page.number if page else number,
        count=count,
        quote_ids=[int(result.pk) for result in page.object_list] if page else [],
        facet_counts=sqs.facet_counts().get("fields", {}) if count else {},
        page_notes=page_notes,
        engine_notes=engine_notes,
        complete=complete,
    )


def _kept_listing(sqs: SearchQuerySet, params: SearchParams, per_page: int) -> _IndexAnswer:
    """A page of a listing without words (every quote, newest first, as the quotes page first
    opens; or a person's, a source's or a year's quotes), kept per state of the archive: it
    sorts and counts every quote it lists (241 ms for every one of 311,913 quotes), and is
    the same for every reader until something public changes. Searches for words are not
    kept: each is a reader's own.

    Kept only when the index has caught up with the database (nothing queued, no rebuild
    under way) and answered in full, so what is kept is what the database says.
    """
    if IndexQueue.objects.exists():
        return _ask_index(sqs, params.page, per_page)
    listing = (params.sources, params.entities, params.speakers, params.date_from, params.date_to)
    return per_archive_state(
        f"quote listing {listing!r} {params.sort} page {params.page} of {per_page}",
        lambda: _ask_index(sqs, params.page, per_page),
        keep=lambda answer: answer.complete,
    )


def _is_listing(params: SearchParams) -> bool:
    """Whether the quotes asked for are listed by filters alone, without words."""
    return not params.q.strip()


def _search_index(params: SearchParams, per_page: int, *, index_complete: bool) -> QuoteResults:
    parsed = parse_query(params.q, QUOTE_FILTER_FIELDS)
    notes = [*params.notes, *parsed.notes]
    vocabulary = current_vocabulary().variants
    expand(parsed, vocabulary)
    empty = QuoteResults(params, parsed, None, [], 0, notes)
    sources = resolve_sources(parsed, params, notes)
    speakers = resolve_speakers(parsed, params, vocabulary, notes)
    if sources is None or speakers is None:
        return empty

    sqs = build_quote_search(parsed, params, sources, speakers)
    if index_complete and _is_listing(params):
        answer = _kept_listing(sqs, params, per_page)
    else:
        answer = _ask_index(sqs, params.page, per_page)
    notes.extend(answer.page_notes)
    page, count = answer.page(per_page), answer.count
    spoken_by = _speaker_named(parsed, params, sources, vocabulary)
    if spoken_by is not None:
        found_words = {0: "No quotation has", 1: "1 quotation has"}.get(
            count, f"{count:,} quotations have"
        )
        speaker_has = "1 has" if spoken_by.count == 1 else f"{spoken_by.count:,} have"
        notes.append(
            f"{found_words} the words “{params.q[:60]}”; {speaker_has} "
            f"{spoken_by.name} as the speaker: search {spoken_by.query}."
        )

    quotes = Quote.objects.with_articles().in_bulk(answer.quote_ids)
    groups = parsed.positive_groups
    hits = []
    for quote_id in answer.quote_ids:
        quote = quotes.get(quote_id)
        if quote is None or quote.rejected or not quote.article.is_published:
            continue  # changed since it was indexed; the queue will catch up
        hits.append(QuoteHit(quote, mark_paragraph(quote.text, groups)))
    traces = trace_quotes([hit.quote for hit in hits])  # two queries for the page
    for hit in hits:
        hit.trace = traces.get(hit.quote.pk)

    notes.extend(answer.engine_notes)
    counts = answer.facet_counts
    return QuoteResults(
        params,
        parsed,
        page,
        hits,
        count,
        notes,
        speakers=speakers,
        sources=sources,
        speaker_facet=_facet(Entity, counts.get("speaker", []), speakers.entities),
        source_facet=_facet(Source, counts.get("source", []), sources),
        spoken_by=spoken_by,
    )


def _speaker_named(parsed: ParsedQuery, params: SearchParams, sources, vocabulary):
    """Someone quoted whom the words of a search name, when they are the whole search (a
    curated entity by any of its spellings, else a name as articles write it): the words
    are looked for inside quotations, not in who spoke them. None if nobody is."""
    words = params.q.split()
    if (
        not words
        or len(words) > MAX_NAME_WORDS
        or parsed.filters
        or params.speakers
        or len(parsed.groups) != len(parsed.positive_groups)
    ):
        return None
    entity = named_entity(params.q, vocabulary)
    speakers = Speakers(entities=[entity]) if entity else Speakers(names=[params.q])
    name = entity.name if entity else params.q.strip('"')
    count = matching_quotes(ParsedQuery(), params, sources, speakers).count()
    return SpokenBy(name, count) if count else None


def _facet(model, counts, active) -> Facet:
    """The speakers (or sources) of the quotes found, chosen ones first, then most quoted
    (as the article search's facets: `search.results.Facet`, the first few, more behind)."""
    by_id = {int(key): n for key, n in counts if key}
    active_ids = {obj.pk for obj in active}
    values = [
        FacetValue(obj.slug, obj.name, by_id[pk], pk in active_ids)
        for pk, obj in model.objects.in_bulk(by_id).items()
    ]
    return facet_of(sorted(values, key=lambda v: (not v.active, -v.count, v.label)))


def quotes_spoken_by(entity: Entity, limit: int) -> tuple[list[Quote], int]:
    """Up to `limit` of the entity's quotes in date order (earliest first, undated last), and
    how many there are in all."""
    quotes = (
        Quote.objects.filter(
            speaker=entity, rejected=False, article__status=Article.Status.PUBLISHED
        )
        .with_articles()
        .order_by(F("article__published_on").asc(nulls_last=True), "article_id", "paragraph")
    )
    return list(quotes[:limit]), quotes.count()
