"""Find entity names in text with one Aho-Corasick pass, whole words only, longest match first.

Pure functions, no database: the tagger, the suggestions and the benchmark
all share them. `NameFinder.find` leaves out a name inside a longer proper
name (archive.entities.proper_names); `NameFinder.tags` then keeps a partial
spelling (a surname, a short form) only where the article also names the
entity in full or an editor tagged it, and offers the rest as possible
mentions (docs/entities.md). Text and spellings are folded the same way (case,
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

from archive.entities.proper_names import CapitalisedInside, LongerNames
from archive.paragraphs import numbered
from archive.search.text import fold, is_cjk, normalise_punctuation


@dataclass(frozen=True, slots=True)
class Spelling:
    """One way of writing an entity's name, as the tagger looks for it."""

    text: str
    entity_id: int
    case_sensitive: bool
    partial: bool = False  # a surname or short form: tags only beside the full name
    kind: str = ""  # the entity's kind (Entity.Kind), for the longer-name rule


@dataclass(frozen=True, slots=True)
class Found:
    """An entity named in paragraph number `paragraph`: `surface` is its `[start:end]`."""

    entity_id: int
    paragraph: int  # ¶1 is the first (archive.paragraphs)
    start: int
    end: int
    surface: str
    partial: bool = False  # found by a partial spelling


@dataclass(frozen=True, slots=True)
class Tags:
    """What the tagger makes of an article: its `tags`, and the `possible` mentions that a
    partial spelling found where nothing confirms them (for an editor to judge)."""

    tags: list[Found]
    possible: list[Found]


# An alias is given as (text, case_sensitive) or (text, case_sensitive, partial), where
# partial None means "decided from the name" (`is_partial_alias`).
AliasSpec = tuple[str, bool] | tuple[str, bool, bool | None]


def entity_spellings(
    entity_id: int, name: str, aliases: Iterable[AliasSpec], kind: str = ""
) -> list[Spelling]:
    """The spellings of one entity, following the vocabulary's convention.

    Every alias counts with its own case rule; the name counts too, matched
    in any case unless an alias of the same text (in any case) says otherwise.
    The name is never partial; an alias is when it says so, or by default
    when `is_partial_alias` says so.
    """
    spellings = []
    for text, case_sensitive, *partial in aliases:
        stated = partial[0] if partial else None
        is_partial = is_partial_alias(text, name) if stated is None else stated
        if text.casefold() == name.casefold():
            is_partial = False
        spellings.append(Spelling(text, entity_id, case_sensitive, is_partial, kind))
    if name.casefold() not in {s.text.casefold() for s in spellings}:
        spellings.insert(0, Spelling(name, entity_id, False, False, kind))
    return spellings


def is_partial_alias(alias: str, name: str) -> bool:
    """Whether an alias is, by default, one word of the entity's longer name: "Zair" of
    "Kerim Zair", "Xi" of "Xi Jinping". Lower-case particles and a leading "The" are not
    words of the name, so "Volkskrant" of "de Volkskrant" is the whole name."""
    words = [word for word in name.split() if not word.islower()]
    if words and words[0].casefold() == "the":
        words = words[1:]
    folded = fold_text(" ".join(alias.split())).folded
    return (
        " " not in folded
        and len(words) > 1
        and folded in {fold_text(word).folded for word in words}
    )


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
    partial: bool = False
    kind: str = ""


class NameFinder:
    """Every spelling of every entity in one Aho-Corasick automaton over folded text."""

    def __init__(self, spellings: Iterable[Spelling]):
        keys: dict[str, list[_Candidate]] = {}
        plurals: dict[str, list[_Candidate]] = {}
        self._kinds: dict[int, str] = {}
        for spelling in spellings:
            self._kinds.setdefault(spelling.entity_id, spelling.kind)
            key = fold_text(" ".join(spelling.text.split())).folded
            if not key:
                continue
            exact = _exact_form(spelling.text) if spelling.case_sensitive else None
            candidate = _Candidate(spelling.entity_id, exact, spelling.partial, spelling.kind)
            keys.setdefault(key, []).append(candidate)
            # Names that are also words ("Turkey") take no plural: "Turkeys" are birds.
            if exact is None and key[-1].isalpha():
                plurals.setdefault(_plural(key), []).append(candidate)
        # A spelling as written goes before a plural that happens to look the same.
        for key, candidates in plurals.items():
            keys.setdefault(key, []).extend(candidates)
        self.size = len(keys)
        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
        for key, candidates in keys.items():
            self._automaton.add_word(key, (len(key), tuple(candidates)))
        self._automaton.make_automaton()

    def kind_of(self, entity_id: int) -> str:
        """The kind (Entity.Kind) of an entity these spellings name, "" if not known."""
        return self._kinds.get(entity_id, "")

    def spells(self, name: str) -> bool:
        """Whether `name` is one of the spellings (or their plurals), in any case."""
        return fold_text(" ".join(name.split())).folded in self._automaton

    def find_in(self, text: str) -> list[tuple[int, int, int]]:
        """(start, end, entity_id) of each name in `text`, longest first, none overlapping.

        Every spelling, wherever it stands: no longer-name or partial-spelling rule."""
        return [(start, end, candidate.entity_id) for start, end, candidate in self._find(text)]

    def _find(self, text: str) -> list[tuple[int, int, "_Candidate"]]:
        if not self.size or not text:
            return []
        folded = fold_text(text)
        matches = []
        for last, (length, candidates) in self._automaton.iter(folded.folded):
            start, end = last + 1 - length, last + 1
            if not _whole_word(folded.folded, start, end):
                continue
            candidate = _accepted(folded, start, end, candidates)
            if candidate is not None:
                matches.append((start, end, candidate))
        matches.sort(key=lambda m: (m[0] - m[1], m[0]))
        taken = bytearray(len(folded.folded))
        found = []
        for start, end, candidate in matches:
            if taken.find(1, start, end) == -1:
                taken[start:end] = b"\x01" * (end - start)
                found.append((*folded.original_span(start, end), candidate))
        found.sort(key=lambda m: m[:2])
        return found

    def find(self, paragraphs: Sequence[str]) -> list[Found]:
        """Every name in an article's paragraphs, in reading order, but for those inside a
        longer proper name ("China" in "Bank of China"; archive.entities.proper_names)."""
        capitalised = CapitalisedInside(paragraphs)
        found = []
        for number, paragraph in numbered(paragraphs):
            matches = self._find(paragraph)
            if not matches:
                continue
            longer = LongerNames(paragraph, [m[:2] for m in matches], capitalised)
            found += [
                Found(c.entity_id, number, start, end, paragraph[start:end], c.partial)
                for start, end, c in matches
                if not longer.takes_away(start, end, c.kind)
            ]
        return found

    def tags(self, paragraphs: Sequence[str], confirmed: Iterable[int] = ()) -> Tags:
        """What to tag in an article: every name `find` finds, except that a partial spelling
        ("Zair") tags only where the article also names the entity by a full spelling or an
        editor tagged the entity in it (`confirmed`, entity ids); the others are `possible`."""
        found = self.find(paragraphs)
        named = {f.entity_id for f in found if not f.partial}.union(confirmed)
        tags, possible = [], []
        for one in found:
            (tags if not one.partial or one.entity_id in named else possible).append(one)
        return Tags(tags, possible)


def _whole_word(folded: str, start: int, end: int) -> bool:
    """Not part of a longer word: "Uighur" in "Uighuristan" or "Xi" in "Xi'an" is not a name.

    A possessive ("Turdi's", "Uighurs'") may follow; a hyphen may join ("pro-ISIS"). A
    Chinese or Japanese character is a word by itself (archive.search.text.WORD): 陈全国 is
    a name inside 书记陈全国说.
    """
    if folded[start].isalnum() and start > 0:
        before = folded[start - 1]
        if before.isalnum() and not (is_cjk(before) or is_cjk(folded[start])):
            return False
        if before == "'" and start > 1 and folded[start - 2].isalnum():
            return False  # O'Brien, don't
    if folded[end - 1].isalnum() and end < len(folded):
        after = folded[end]
        if after.isalnum() and not (is_cjk(after) or is_cjk(folded[end - 1])):
            return False
        if after == "'":
            rest = folded[end + 1 : end + 3]
            is_possessive = rest[:1] == "s" and not rest[1:].isalnum()
            if rest[:1].isalnum() and not is_possessive:
                return False
    return True


def _accepted(folded: FoldedText, start: int, end: int, candidates) -> "_Candidate | None":
    """The first fitting candidate, or None when case rules refuse them all."""
    for candidate in candidates:
        if candidate.exact is None:
            return candidate
        original_start, original_end = folded.original_span(start, end)
        if _exact_form(folded.text[original_start:original_end]) == candidate.exact:
            return candidate
    return None
