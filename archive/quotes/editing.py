"""Editors' corrections to quotes: place typed words in the article, merge two quotes, split one.

Merged and split quotes are the editor's (origin "editor"): re-extraction
leaves them as they are and adds nothing that overlaps them.
"""

from django.db import transaction

from archive.models import Article, Quote
from archive.paragraphs import numbered, numbers_held, paragraph_text

QUOTE_MARKS = "\"'“”„«»‘’‹›"
_EDGES = " \t,;:\u2014\u2013-"


class QuoteEditError(ValueError):
    """A correction that cannot be made, with the reason an editor can act on."""


def place_words(
    article: Article, text: str, paragraph: int | None, near: int = 0
) -> tuple[str, int, int, int]:
    """Where `text` (marks around it dropped) is in `article`: (text, paragraph, start, end).

    In the paragraph numbered `paragraph` (¶1 is the first) if one is given,
    the occurrence nearest `near`; else the first occurrence in the article.
    """
    # Paragraphs are stored with their white space collapsed; so are the words looked for.
    words = " ".join(text.split()).strip(QUOTE_MARKS).strip()
    if not words:
        raise QuoteEditError("Type or paste the quotation's words.")
    paragraphs = article.paragraphs
    if paragraph is not None:
        written = paragraph_text(paragraphs, paragraph)
        if written is None:
            raise QuoteEditError(numbers_held(paragraphs))
        candidates = [(paragraph, written)]
    else:
        candidates = numbered(paragraphs)
    for number, written in candidates:
        starts = _occurrences(written, words)
        if starts:
            start = min(starts, key=lambda s: abs(s - near))
            return words, number, start, start + len(words)
    where = f"paragraph {paragraph}" if paragraph is not None else "the article"
    raise QuoteEditError(
        f"These words are not in {where}; copy them from the article's text exactly."
    )


def _occurrences(text: str, words: str) -> list[int]:
    found, start = [], text.find(words)
    while start != -1:
        found.append(start)
        start = text.find(words, start + 1)
    return found


def _current(quote: Quote, paragraphs: list[str]) -> str:
    text = paragraph_text(paragraphs, quote.paragraph)
    return "" if text is None else text[quote.start : quote.end]


def merge_quotes(first: Quote, second: Quote) -> Quote:
    """One quote from two neighbours in the same paragraph (the words between included)."""
    if first.article_id != second.article_id or first.paragraph != second.paragraph:
        raise QuoteEditError(
            "Only two quotes of the same paragraph can be merged (a quotation over several "
            "paragraphs is kept as one quote per paragraph)."
        )
    if first.rejected or second.rejected:
        raise QuoteEditError("A rejected quote cannot be merged; restore it first.")
    first, second = sorted([first, second], key=lambda q: q.start)
    paragraphs = first.article.paragraphs
    if _current(first, paragraphs) != first.text or _current(second, paragraphs) != second.text:
        raise QuoteEditError(
            "The article's text changed since these quotes were found; save the article "
            "(or run extract_quotes) and try again."
        )
    between = Quote.objects.filter(
        article_id=first.article_id,
        paragraph=first.paragraph,
        rejected=False,
        start__gte=first.end,
        end__lte=second.start,
    ).exclude(pk__in=[first.pk, second.pk])
    if between.exists():
        raise QuoteEditError("Only neighbouring quotes can be merged: another quote is between.")
    speaker = first if (first.speaker_name or first.speaker_id) else second
    merged = Quote(
        article_id=first.article_id,
        paragraph=first.paragraph,
        start=first.start,
        end=second.end,
        text=paragraph_text(paragraphs, first.paragraph)[first.start : second.end],
        speaker_name=speaker.speaker_name,
        speaker_id=speaker.speaker_id,
        speaker_corrected=first.speaker_corrected or second.speaker_corrected,
        origin=Quote.Origin.EDITOR,
    )
    with transaction.atomic():
        merged.save()
        first.delete()
        second.delete()
    return merged


def split_quote(quote: Quote, second_starts_with: str) -> tuple[Quote, Quote]:
    """Two quotes from one, the second starting at the first occurrence of the given words."""
    words = second_starts_with.strip()
    position = quote.text.find(words, 1) if words else -1
    if position < 1:
        raise QuoteEditError(
            "Give the words that start the second part, as they are written inside the quote "
            "(not its first words)."
        )
    head = quote.text[:position].rstrip(_EDGES + QUOTE_MARKS)
    tail_start = position
    tail = quote.text[tail_start:].rstrip()
    if not head.strip():
        raise QuoteEditError("The first part would be empty.")
    parts = []
    for offset, text in ((0, head), (tail_start, tail)):
        parts.append(
            Quote(
                article_id=quote.article_id,
                paragraph=quote.paragraph,
                start=quote.start + offset,
                end=quote.start + offset + len(text),
                text=text,
                speaker_name=quote.speaker_name,
                speaker_id=quote.speaker_id,
                speaker_corrected=quote.speaker_corrected,
                origin=Quote.Origin.EDITOR,
                rejected=quote.rejected,
            )
        )
    with transaction.atomic():
        for part in parts:
            part.save()
        quote.delete()
    return parts[0], parts[1]
