"""Paragraph numbers: ¶1 is the first paragraph of an article, everywhere.

A paragraph number is the number a reader sees beside the paragraph (¶3) and
in its address (#p-3). It is the number stored in `Mention.paragraph` and
`Quote.paragraph`, typed and shown in the admin, written in JSON, CSV and
backups (from export version 2), and carried by the tagger's and the quote
extractor's findings. `Article.paragraphs` is a Python list, counted from 0:
this module is the only place that goes from a number to a place in that list.
"""

from collections.abc import Iterable, Iterator, Sequence

FIRST = 1


def numbered(paragraphs: Iterable[str]) -> Iterator[tuple[int, str]]:
    """Each paragraph with its number, ¶1 first."""
    return enumerate(paragraphs, start=FIRST)


def paragraph_text(paragraphs: Sequence[str], number: int | None) -> str | None:
    """The text of paragraph `number`; None when there is no such paragraph."""
    if number is None or not FIRST <= number < FIRST + len(paragraphs):
        return None
    return paragraphs[number - FIRST]


def number_of(position: int) -> int:
    """The number of the paragraph at `position` in the list (counted from 0), as tags and
    quotes stored it before this convention (archive exports of version 1)."""
    return position + FIRST


def anchor(number: int) -> str:
    """The paragraph's anchor on its article's page: `p-3` for ¶3."""
    return f"p-{number}"


def numbers_held(paragraphs: Sequence[str]) -> str:
    """What an editor who gave a number past the end needs to know."""
    count = len(paragraphs)
    if count == 0:
        return "The article has no paragraphs."
    if count == 1:
        return f"The article has 1 paragraph, numbered {FIRST}."
    return f"The article has {count} paragraphs, numbered {FIRST} to {FIRST + count - 1}."
