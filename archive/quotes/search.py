"""Search within quotations only: words or "a phrase", by speaker, source and date, newest first.

The database answers (Quote.normalised_text holds each quote's folded
words, one space apart): a word matches whole words, `word*` their
beginnings, a "phrase" the words in a row. Case, accents, quote styles and
apostrophes are folded on both sides, as in the article search.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, QuerySet, TextField, Value
from django.db.models.functions import Concat
from django.http import QueryDict
from django.utils.text import slugify

from archive.models import Article, Entity, EntityRedirect, Quote, Source
from archive.quotes.normalise import quote_words
from archive.search.cost import bound_length, bound_query
from archive.search.params import MAX_PAGE, parse_period
from archive.search.query import Clause, Group, ParsedQuery
from archive.search.text import normalise_punctuation, tokens

QUOTES_PER_PAGE = 20
FACET_SIZE = 15
EXPORT_LIMIT = 500
_PHRASE = re.compile(r'"([^"]*)"')


@dataclass
class QuoteQuery:
    """What the reader asked for, read from the query string; `notes` say what was not usable."""

    q: str = ""
    words: list[str] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)
    speaker: str = ""
    source: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    page: int = 1
    notes: list[str] = field(default_factory=list)

    @property
    def terms(self) -> bool:
        return bool(self.words or self.prefixes or self.phrases)


def parse_terms(q: str) -> tuple[list[str], list[str], list[list[str]]]:
    """Words, `word*` prefixes and "phrases" of a query, folded like the quotes."""
    plain = normalise_punctuation(q)
    phrases = [quote_words(p) for p in _PHRASE.findall(plain)]
    rest = _PHRASE.sub(" ", plain).replace('"', " ")
    words, prefixes = [], []
    for piece in rest.split():
        folded = quote_words(piece)
        if piece.endswith("*") and len(folded) == 1:
            prefixes.append(folded[0])
        else:
            words += folded
    return words, prefixes, [p for p in phrases if p]


def bounded_terms(words, prefixes, phrases, notes: list[str]):
    """Words, prefixes and phrases trimmed by the article search's guard (archive.search.cost)."""
    clauses = [Clause(w, (w,), (w,)) for w in words]
    clauses += [Clause(p, (p,), (p,), prefix=True) for p in prefixes]
    clauses += [Clause(" ".join(p), tuple(p), tuple(p)) for p in phrases]
    kept = [
        group.clauses[0]
        for group in bound_query(ParsedQuery([Group([c]) for c in clauses], notes=notes)).groups
    ]
    return (
        [c.words[0] for c in kept if not c.prefix and not c.is_phrase],
        [c.words[0] for c in kept if c.prefix],
        [list(c.words) for c in kept if c.is_phrase],
    )


def quote_query(query: QueryDict) -> QuoteQuery:
    params = QuoteQuery()
    params.q = bound_length(normalise_punctuation(query.get("q", "")).strip(), params.notes)
    params.words, params.prefixes, params.phrases = bounded_terms(
        *parse_terms(params.q), params.notes
    )
    params.speaker = slugify(query.get("speaker", ""))
    params.source = slugify(query.get("source", ""))
    for name, end in (("from", False), ("to", True)):
        raw = query.get(name, "").strip()
        if not raw:
            continue
        try:
            setattr(params, "date_to" if end else "date_from", parse_period(raw, end))
        except ValueError:
            params.notes.append(
                f"“{raw[:40]}” is not a date; use a year (2020), a month (2020-06) or a day "
                f"(2020-06-17). The “{name}” date was not used."
            )
    if params.date_from and params.date_to and params.date_from > params.date_to:
        params.notes.append("The “from” date was after the “to” date; they were swapped.")
        params.date_from, params.date_to = params.date_to, params.date_from
    raw_page = query.get("page", "1").strip() or "1"
    if raw_page.isdigit() and 1 <= int(raw_page) <= MAX_PAGE:
        params.page = int(raw_page)
    else:
        params.notes.append(f"“{raw_page[:20]}” is not a page number; showing the first page.")
    return params


@dataclass
class QuoteHit:
    quote: Quote
    marks: list[tuple[int, int]]


@dataclass
class QuoteResults:
    query: QuoteQuery
    page: Page
    hits: list[QuoteHit]
    speaker: Entity | None = None
    source: Source | None = None
    speakers: list[dict] = field(default_factory=list)  # slug, name, count: most quoted first
    sources: list[dict] = field(default_factory=list)

    @property
    def count(self) -> int:
        return self.page.paginator.count


def published_quotes() -> QuerySet[Quote]:
    """Every quote an editor has not rejected, in a published article, newest article first."""
    return (
        Quote.objects.filter(rejected=False, article__status=Article.Status.PUBLISHED)
        .with_articles()
        .order_by(
            F("article__published_on").desc(nulls_last=True),
            "-article_id",
            "paragraph",
            "start",
        )
    )


def _resolve_speaker(slug: str, notes: list[str]) -> Entity | None | bool:
    """The entity of `slug` (following merges); False, with a note, when there is none."""
    entity = Entity.objects.filter(slug=slug).first()
    if entity is None:
        moved = EntityRedirect.objects.select_related("entity").filter(old_slug=slug).first()
        entity = moved.entity if moved else None
    if entity is None:
        notes.append(f"No speaker “{slug}” in the archive: no quotes to show for it.")
        return False
    return entity


def matching_quotes(params: QuoteQuery) -> tuple[QuerySet[Quote], Entity | None, Source | None]:
    """The quotes that match; the speaker and source filters as found (None if not asked)."""
    quotes = published_quotes()
    if params.terms:
        padded = Concat(Value(" "), "normalised_text", Value(" "), output_field=TextField())
        quotes = quotes.annotate(padded=padded)
        for word in params.words:
            quotes = quotes.filter(padded__contains=f" {word} ")
        for prefix in params.prefixes:
            quotes = quotes.filter(padded__contains=f" {prefix}")
        for phrase in params.phrases:
            quotes = quotes.filter(padded__contains=f" {' '.join(phrase)} ")
    speaker = source = None
    if params.speaker:
        speaker = _resolve_speaker(params.speaker, params.notes)
        quotes = quotes.filter(speaker=speaker) if speaker else quotes.none()
        speaker = speaker or None
    if params.source:
        source = Source.objects.filter(slug=params.source).first()
        if source is None:
            params.notes.append(f"No source “{params.source}” in the archive.")
            quotes = quotes.none()
        else:
            quotes = quotes.filter(article__source=source)
    if params.date_from:
        quotes = quotes.filter(article__published_on__gte=params.date_from)
    if params.date_to:
        quotes = quotes.filter(article__published_on__lte=params.date_to)
    return quotes, speaker, source


def word_marks(text: str, params: QuoteQuery) -> list[tuple[int, int]]:
    """Where the query's words are in a quote's text, for <mark>."""
    wanted = set(params.words) | {w for phrase in params.phrases for w in phrase}
    marks = []
    for token in tokens(text):
        if token.word in wanted or any(token.word.startswith(p) for p in params.prefixes):
            marks.append((token.start, token.end))
    return marks


def search_quotes(params: QuoteQuery, per_page: int = QUOTES_PER_PAGE) -> QuoteResults:
    quotes, speaker, source = matching_quotes(params)
    page = Paginator(quotes, per_page).get_page(params.page)
    hits = [QuoteHit(quote, word_marks(quote.text, params)) for quote in page.object_list]
    results = QuoteResults(params, page, hits, speaker, source)
    if page.paginator.count:
        results.speakers = _counted(quotes.filter(speaker__isnull=False), "speaker")
        results.sources = _counted(quotes.filter(article__source__isnull=False), "article__source")
    return results


def _counted(quotes: QuerySet[Quote], relation: str) -> list[dict]:
    """The FACET_SIZE speakers (or sources) with most of these quotes, counted by the database."""
    rows = (
        quotes.order_by()
        .values(slug=F(f"{relation}__slug"), name=F(f"{relation}__name"))
        .annotate(count=Count("id"))
        .order_by("-count", "name")[:FACET_SIZE]
    )
    return list(rows)


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
