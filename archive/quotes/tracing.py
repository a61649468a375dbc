"""Where else a quotation appears: the same or nearly the same words elsewhere, earliest first.

Each quote is stored with the hashes of its runs of five consecutive
normalised words (QuoteShingle, indexed by hash). Two quotes are the same
quotation when the shorter shares at least NEAR_SHARE of its runs with the
longer: a changed word or punctuation, case and quote style change a few
runs, not most of them; a quote that merely shares common words shares no
run of five. The database finds and counts the shared runs with one
grouped self-join, however many quotes the archive holds.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection

from archive.models import Article, Quote, QuoteShingle
from archive.quotes.normalise import shingles

NEAR_SHARE = 0.6


def store_shingles(quotes: Iterable[Quote], *, new: bool = False) -> None:
    """Replace the stored runs of these (saved) quotes with those of their current words.

    `new`: the quotes were just created, so they have no runs to replace. The
    rows are inserted as plain tuples: an import stores some 40 runs per
    quote, and building a model instance and its SQL for each took most of
    the quote step's writes (70 of 103 s for 850,000 runs in a profile).
    """
    quotes = [q for q in quotes if q.pk is not None]
    if not quotes:
        return
    if not new:
        QuoteShingle.objects.filter(quote__in=[q.pk for q in quotes]).delete()
    rows = [
        (quote.pk, value) for quote in quotes for value in sorted(shingles(quote.normalised_text))
    ]
    name = connection.ops.quote_name
    table = name(QuoteShingle._meta.db_table)
    quote_column = name(QuoteShingle._meta.get_field("quote").column)
    hash_column = name(QuoteShingle._meta.get_field("hash").column)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({quote_column}, {hash_column}) VALUES (%s, %s)", rows
        )


def _matches_sql(count: int) -> str:
    quote = connection.ops.quote_name
    shingle, quote_table, article = (
        quote(QuoteShingle._meta.db_table),
        quote(Quote._meta.db_table),
        quote(Article._meta.db_table),
    )
    placeholders = ", ".join(["%s"] * count)
    # The shared runs are counted first, from the given quotes' own runs; only then are
    # the pairs checked against quotes and articles. Written as one join, SQLite began
    # from every published article's quotes once given a hundred or more quotes: 0.66 s
    # for an article at the size limit with 526 quotes, growing with the archive.
    return f"""
        SELECT shared.ours, shared.theirs, shared.runs
        FROM (
            SELECT a.quote_id AS ours, b.quote_id AS theirs, COUNT(*) AS runs
            FROM {shingle} a
            JOIN {shingle} b ON b.hash = a.hash AND b.quote_id <> a.quote_id
            WHERE a.quote_id IN ({placeholders})
            GROUP BY a.quote_id, b.quote_id
        ) shared
        JOIN {quote_table} qa ON qa.id = shared.ours
        JOIN {quote_table} qb ON qb.id = shared.theirs
        JOIN {article} ab ON ab.id = qb.article_id
        WHERE qb.rejected = %s AND qb.article_id <> qa.article_id AND ab.status = %s
          AND shared.runs >= %s * (CASE WHEN qa.shingle_count < qb.shingle_count
                                   THEN qa.shingle_count ELSE qb.shingle_count END)
    """


def matching_quote_ids(quote_ids: Sequence[int]) -> dict[int, set[int]]:
    """For each quote, the quotes in other published articles that carry the same quotation."""
    if not quote_ids:
        return {}
    params = [*quote_ids, False, Article.Status.PUBLISHED, NEAR_SHARE]
    with connection.cursor() as cursor:
        cursor.execute(_matches_sql(len(quote_ids)), params)
        rows = cursor.fetchall()
    matches = defaultdict(set)
    for ours, theirs, _shared in rows:
        matches[ours].add(theirs)
    return matches


def _published_order(quote: Quote) -> tuple:
    """Earliest first; an undated article after every dated one, then by when it was archived.

    Only an order for listing them: which one published the quotation first is
    told by the dates alone (`Trace.order_known`), never by this tie-break.
    """
    article = quote.article
    day = article.published_on
    return (
        day is None,
        day or datetime.date.max,
        article.captured_at or article.created_at,
        article.pk,
        quote.paragraph,
    )


@dataclass
class Trace:
    """A quote and every published article that carries it, earliest first (itself included)."""

    quote: Quote
    appearances: list[Quote] = field(default_factory=list)

    @property
    def first(self) -> Quote:
        return self.appearances[0]

    @property
    def repeats(self) -> list[Quote]:
        return self.appearances[1:]

    @property
    def elsewhere(self) -> list[Quote]:
        """The other articles' copies, earliest first."""
        return [q for q in self.appearances if q.article_id != self.quote.article_id]

    @property
    def repeats_elsewhere(self) -> list[Quote]:
        """Copies published after the first, in other articles than this quote's."""
        return [q for q in self.repeats if q.article_id != self.quote.article_id]

    @property
    def first_here(self) -> bool:
        return self.first.article_id == self.quote.article_id

    @property
    def order_known(self) -> bool:
        """Whether the dates tell which article published the quotation first: the earliest
        is dated and every other copy is dated later.

        An undated copy may be older than any dated one, and two copies of one
        day cannot be told apart; when the archive captured them says nothing
        of when they were published. Then which came first is unknown.
        """
        first_day = self.first.article.published_on
        return first_day is not None and all(
            copy.article.published_on is not None and copy.article.published_on > first_day
            for copy in self.repeats
        )

    @property
    def why_order_unknown(self) -> str:
        """What stops the dates from telling the order: "" when they tell it."""
        if self.order_known:
            return ""
        if any(copy.article.published_on is None for copy in self.appearances):
            return "an article is undated"
        return "they were published the same day"


def trace_quotes(quotes: Sequence[Quote]) -> dict[int, Trace]:
    """The trace of each quote that appears in at least one other article, in two queries.

    The quotes must come with their articles loaded (select_related).
    """
    matches = matching_quote_ids([q.pk for q in quotes])
    others = Quote.objects.filter(pk__in={pk for ids in matches.values() for pk in ids})
    others = {q.pk: q for q in others.with_articles()}
    traces = {}
    for quote in quotes:
        copies = [others[pk] for pk in matches.get(quote.pk, ()) if pk in others]
        if not copies:
            continue
        one_per_article = {}
        for copy in sorted([quote, *copies], key=_published_order):
            one_per_article.setdefault(copy.article_id, copy)
        traces[quote.pk] = Trace(quote, list(one_per_article.values()))
    return traces


@dataclass
class ArticleQuote:
    """A quote as the article page lists it: the quote, and its trace if it appears elsewhere."""

    quote: Quote
    trace: Trace | None


def article_quotes(article: Article) -> list[ArticleQuote]:
    """The article's quotations in reading order, each with where else it was published.

    Three queries whatever the number of quotes. For the article page
    (templates/quotes/_article_quotes.html).
    """
    quotes = list(
        Quote.objects.filter(article=article, rejected=False)
        .with_articles()
        .order_by("paragraph", "start")
    )
    traces = trace_quotes(quotes)
    return [ArticleQuote(quote, traces.get(quote.pk)) for quote in quotes]
