"""Pieces of an article's text shown on their own: where its sentences end, and a window
cut at spaces around some words.

One rule for every such piece: a derived title (the lead's first sentence), the
sentences around a quotation, the sentence quoting a name on an entity's page and
in the admin's list of tags, and the search results' snippets.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

# A stop, perhaps closed by quotes or brackets, before a space and the next sentence's
# opening (a quotation mark or bracket, a capital or a digit).
_SENTENCE_STOP = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"'“‘(\[A-Z0-9])")
# Words whose full stop does not end a sentence: titles before a name, months, "No. 5".
ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof gen sen rep gov lt col sgt st no vs "
    "jan feb mar apr jun jul aug sep sept oct nov dec u.s u.n e.g i.e".split()
)
INITIALS = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]?\.?")  # "J.", "U.S.", "e.g."
_OPENING = "\"'“‘(["


def sentence_stops(text: str, start: int = 0, end: int | None = None) -> Iterator[re.Match]:
    """Each end of a sentence in text[start:end], in order: the stop and its closing marks.

    Only text[start:end] is read, the space and capital after a stop included:
    a stop whose next sentence begins at `end` or later is not seen.
    """
    for stop in _SENTENCE_STOP.finditer(text, start, len(text) if end is None else end):
        word = text[max(start, stop.start() - 20) : stop.start() + 1]
        if stop.group().startswith(".") and _abbreviated(word):
            continue
        yield stop


def _abbreviated(before: str) -> bool:
    """Whether the word ending `before` (its full stop included) is an abbreviation."""
    words = before.rsplit(maxsplit=1)
    word = words[-1].lstrip(_OPENING) if words else ""
    return word[:-1].casefold() in ABBREVIATIONS or INITIALS.fullmatch(word) is not None


def first_sentence(paragraph: str) -> str:
    """The paragraph up to the end of its first sentence; all of it if it has one."""
    stop = next(sentence_stops(paragraph), None)
    return paragraph[: stop.end()] if stop else paragraph


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Where the sentence holding text[start:end] begins (at its first word) and ends.

    It begins after the last stop before `start` and ends after the first stop
    at or after `end`, or at the end of the text.
    """
    begin, finish = 0, len(text)
    for stop in sentence_stops(text):
        if stop.end() <= start:
            begin = stop.end()
        elif stop.start() >= end:
            finish = stop.end()
            break
    while begin < start and text[begin].isspace():
        begin += 1
    return begin, finish


@dataclass(frozen=True)
class Cut:
    """A piece of a longer text, text[begin:end], with "…" where it was cut short."""

    text: str  # as shown, ellipses included
    begin: int
    end: int
    shift: int  # added to an offset into the longer text, gives the offset in `text`

    def marks(self, spans) -> list[tuple[int, int]]:
        """The spans (offsets into the longer text) that the piece holds, as offsets in it."""
        return [
            (start + self.shift, end + self.shift)
            for start, end in spans
            if self.begin <= start and end <= self.end
        ]


def cut_around(
    text: str, start: int, end: int, limit: int, begin: int = 0, finish: int | None = None
) -> Cut:
    """text[begin:finish], whole if it has at most `limit` characters; otherwise a window of
    about `limit` characters holding text[start:end], a third of them before it, cut at spaces."""
    finish = len(text) if finish is None else finish
    prefix = suffix = ""
    if finish - begin > limit:
        window_start = max(begin, start - limit // 3)
        if window_start > begin:
            window_start = text.find(" ", window_start, start) + 1 or window_start
            prefix = "…"
        window_end = min(finish, max(end, window_start + limit))
        if window_end < finish:
            space = text.rfind(" ", end, window_end)
            window_end = space if space > end else window_end
            suffix = "…"
        begin, finish = window_start, window_end
    return Cut(prefix + text[begin:finish] + suffix, begin, finish, len(prefix) - begin)
