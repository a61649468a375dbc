"""Find entity names in text with one Aho-Corasick pass, whole words only, longest match first.

Pure functions, no database: the tagger, the suggestions and the benchmark
all share them. Text and spellings are folded the same way (case,
diacritics, curly apostrophes, dashes: "Ürümqi" = "urumqi", "Turkey’s" =
"turkey's"); every match is then checked against the original text (word
boundaries, case-sensitive spellings) and its offsets point into the
original, so `paragraph[start:end] == surface` always holds.
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import ahocorasick

from archive.paragraphs import numbered
from archive.search.text import fold, normalise_punctuation


@dataclass(frozen=True, slots=True)
class Spelling:
    """One way of writing an entity's name, as the tagger looks for it."""

    text: str
    entity_id: int
    case_sensitive: bool


@dataclass(frozen=True, slots=True)
class Found:
    """An entity named in paragraph number `paragraph`: `surface` is its `[start:end]`."""

    entity_id: int
    paragraph: int  # ¶1 is the first (archive.paragraphs)
    start: int
    end: int
    surface: str


def entity_spellings(
    entity_id: int, name: str, aliases: Iterable[tuple[str, bool]]
) -> list[Spelling]:
    """The spellings of one entity, following the vocabulary's convention.

    Every alias counts with its own case rule; the name counts too, matched
    in any case unless an alias of the same text (in any case) says otherwise.
    """
    spellings = [Spelling(text, entity_id, case_sensitive) for text, case_sensitive in aliases]
    if name.casefold() not in {s.text.casefold() for s in spellings}:
        spellings.insert(0, Spelling(name, entity_id, False))
    return spellings


# ASCII text folds character for character; whitespace and controls become a plain space.
_ASCII_FOLD = str.maketrans(
    {
        **{chr(c): chr(c + 32) for c in range(ord("A"), ord("Z") + 1)},
        **{chr(c): " " for c in [*range(32), 127]},
        "`": "'",
    }
)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if char.isspace():
        return " "
    return fold(normalise_punctuation(char))


@dataclass(frozen=True, slots=True)
class FoldedText:
    """`text` folded for matching, with the way back to offsets in the original.

    `starts[i]`/`ends[i]` are the original span of folded character i; both
    are None when folding kept every character in place (nearly always).
    """

    text: str
    folded: str
    starts: list[int] | None = None
    ends: list[int] | None = None

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        if self.starts is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def fold_text(text: str) -> FoldedText:
    """`text` lower case, without diacritics, with plain apostrophes, dashes and spaces."""
    folded = text.translate(_ASCII_FOLD)
    if text.isascii():
        return FoldedText(text, folded)
    if all(len(_fold_char(char)) == 1 for char in set(_NON_ASCII.findall(text))):
        return FoldedText(text, _NON_ASCII.sub(lambda m: _fold_char(m.group()), folded))
    # Some character becomes several (ß -> ss) or none (a combining accent):
    # map every folded character back to the one it came from.
    pieces = [_fold_char(char) for char in text]
    starts, ends = [], []
    for index, piece in enumerate(pieces):
        if piece:
            starts.extend([index] * len(piece))
            ends.extend([index + 1] * len(piece))
        elif ends:  # a combining mark belongs to the letter before it
            ends[-1] = index + 1
    return FoldedText(text, "".join(pieces), starts, ends)


def _exact_form(text: str) -> str:
    """What a case-sensitive spelling must equal: case kept, diacritics and apostrophes plain."""
    decomposed = unicodedata.normalize("NFKD", normalise_punctuation(" ".join(text.split())))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _plural(folded: str) -> str:
    """The simple English plural of a folded spelling: uighur -> uighurs, cross -> crosses."""
    return folded + ("es" if folded.endswith(("s", "x", "z", "ch", "sh")) else "s")


@dataclass(frozen=True, slots=True)
class _Candidate:
    entity_id: int
    exact: str | None  # the form a case-sensitive spelling requires, None for any case


class NameFinder:
    """Every spelling of every entity in one Aho-Corasick automaton over folded text."""

    def __init__(self, spellings: Iterable[Spelling]):
        keys: dict[str, list[_Candidate]] = {}
        plurals: dict[str, list[_Candidate]] = {}
        for spelling in spellings:
            key = fold_text(" ".join(spelling.text.split())).folded
            if not key:
                continue
            exact = _exact_form(spelling.text) if spelling.case_sensitive else None
            keys.setdefault(key, []).append(_Candidate(spelling.entity_id, exact))
            # Names that are also words ("Turkey") take no plural: "Turkeys" are birds.
            if exact is None and key[-1].isalpha():
                plurals.setdefault(_plural(key), []).append(_Candidate(spelling.entity_id, None))
        # A spelling as written goes before a plural that happens to look the same.
        for key, candidates in plurals.items():
            keys.setdefault(key, []).extend(candidates)
        self.size = len(keys)
        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
        for key, candidates in keys.items():
            self._automaton.add_word(key, (len(key), tuple(candidates)))
        self._automaton.make_automaton()

    def spells(self, name: str) -> bool:
        """Whether `name` is one of the spellings (or their plurals), in any case."""
        return fold_text(" ".join(name.split())).folded in self._automaton

    def find_in(self, text: str) -> list[tuple[int, int, int]]:
        """(start, end, entity_id) of each name in `text`, longest first, none overlapping."""
        if not self.size or not text:
            return []
        folded = fold_text(text)
        matches = []
        for last, (length, candidates) in self._automaton.iter(folded.folded):
            start, end = last + 1 - length, last + 1
            if not _whole_word(folded.folded, start, end):
                continue
            entity_id = _accepted(folded, start, end, candidates)
            if entity_id is not None:
                matches.append((start, end, entity_id))
        matches.sort(key=lambda m: (m[0] - m[1], m[0]))
        taken = bytearray(len(folded.folded))
        found = []
        for start, end, entity_id in matches:
            if taken.find(1, start, end) == -1:
                taken[start:end] = b"\x01" * (end - start)
                found.append((*folded.original_span(start, end), entity_id))
        found.sort()
        return found

    def find(self, paragraphs: Sequence[str]) -> list[Found]:
        """Every name in an article's paragraphs, in reading order."""
        return [
            Found(entity_id, number, start, end, paragraph[start:end])
            for number, paragraph in numbered(paragraphs)
            for start, end, entity_id in self.find_in(paragraph)
        ]


def _whole_word(folded: str, start: int, end: int) -> bool:
    """Not part of a longer word: "Uighur" in "Uighuristan" or "Xi" in "Xi'an" is not a name.

    A possessive ("Turdi's", "Uighurs'") may follow; a hyphen may join ("pro-ISIS").
    """
    if folded[start].isalnum() and start > 0:
        before = folded[start - 1]
        if before.isalnum():
            return False
        if before == "'" and start > 1 and folded[start - 2].isalnum():
            return False  # O'Brien, don't
    if folded[end - 1].isalnum() and end < len(folded):
        after = folded[end]
        if after.isalnum():
            return False
        if after == "'":
            rest = folded[end + 1 : end + 3]
            is_possessive = rest[:1] == "s" and not rest[1:].isalnum()
            if rest[:1].isalnum() and not is_possessive:
                return False
    return True


def _accepted(folded: FoldedText, start: int, end: int, candidates) -> int | None:
    """The entity the first fitting candidate names, or None when case rules refuse them all."""
    for candidate in candidates:
        if candidate.exact is None:
            return candidate.entity_id
        original_start, original_end = folded.original_span(start, end)
        if _exact_form(folded.text[original_start:original_end]) == candidate.exact:
            return candidate.entity_id
    return None
