"""Understand what a journalist typed: words, "phrases", OR, -exclusions and filters.

One language for every search: articles filter by source: and entity:,
quotes by source: and speaker:.

The parser never fails. Whatever it cannot use it drops or reads as plain
words, and says so in a note the page shows next to the results.
"""

import re
from dataclasses import dataclass, field

from archive.search.cost import bound_length, bound_query
from archive.search.text import fold, normalise_punctuation, tokens

FILTER_FIELDS = ("source", "entity")  # of articles
QUOTE_FILTER_FIELDS = ("source", "speaker")
MIN_PREFIX = 2

# One piece of the query: an optional "-", an optional field name, then a
# quoted phrase (perhaps never closed) or a run of non-space characters.
_PIECE = re.compile(
    r'(?P<neg>-)?(?:(?P<field>[A-Za-z_]+):)?(?:"(?P<phrase>[^"]*)(?P<closed>"?)|(?P<word>[^\s"]+))'
)


@dataclass
class Clause:
    """Something to match: words in a row (one word or a phrase), or a word prefix."""

    text: str  # as the user typed it (punctuation made plain)
    words: tuple[str, ...]  # folded, unstemmed
    terms: tuple[str, ...]  # folded and stemmed, as the index holds them
    prefix: bool = False
    variant: bool = False  # one of several spellings of a curated entity

    @property
    def is_phrase(self):
        return len(self.words) > 1


@dataclass
class Group:
    """Clauses of which one must match (OR); `negated` means none may."""

    clauses: list[Clause]
    negated: bool = False


@dataclass
class ParsedQuery:
    groups: list[Group] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def positive_groups(self):
        return [g for g in self.groups if not g.negated]

    @property
    def is_empty(self):
        return not self.groups and not self.filters


def make_clause(text: str, prefix: bool = False) -> Clause | None:
    found = tokens(text)
    if not found:
        return None
    if prefix:
        return Clause(text, (found[-1].word,), (fold(found[-1].word),), prefix=True)
    return Clause(text, tuple(t.word for t in found), tuple(t.term for t in found))


def parse_query(raw: str, filter_fields: tuple[str, ...] = FILTER_FIELDS) -> ParsedQuery:
    """The query as clauses and filters, within what a search may cost (archive.search.cost)."""
    parsed = ParsedQuery()
    text = bound_length(normalise_punctuation(raw or "").strip(), parsed.notes)

    pending_or = False
    negate_next = False
    for match in _PIECE.finditer(text):
        negated = bool(match["neg"]) or negate_next
        negate_next = False
        word, phrase, field_name = match["word"], match["phrase"], match["field"]

        if word == "OR" and not field_name and not match["neg"]:
            if not parsed.groups or pending_or:
                parsed.notes.append("“OR” needs something to search for on both sides; ignored.")
            pending_or = True
            continue
        if word in ("AND", "NOT") and not field_name and not match["neg"]:
            negate_next = word == "NOT"
            continue

        if field_name:
            value = phrase if phrase is not None else word
            if field_name.lower() in filter_fields:
                if value and value.strip():
                    parsed.filters.setdefault(field_name.lower(), []).append(value.strip())
                else:
                    parsed.notes.append(f"“{field_name}:” needs a value, e.g. {field_name}:name.")
                continue
            named = " and ".join(f"{name}:" for name in filter_fields)
            parsed.notes.append(
                f"“{field_name}:” is not a filter (the filters are {named}); "
                "searched for the words instead."
            )
            phrase, word = (
                (f"{field_name} {phrase}", None)
                if phrase is not None
                else (
                    None,
                    f"{field_name} {word}",
                )
            )

        if phrase is not None:
            if not match["closed"]:
                parsed.notes.append(
                    "A quotation mark was not closed; the words after it were searched as a phrase."
                )
            clause = make_clause(phrase)
        else:
            clause = _word_clause(word, parsed.notes)
        if clause is None:
            continue

        if pending_or and parsed.groups and not negated and not parsed.groups[-1].negated:
            parsed.groups[-1].clauses.append(clause)
        else:
            parsed.groups.append(Group([clause], negated=negated))
        pending_or = False

    if pending_or:
        parsed.notes.append("“OR” needs something to search for on both sides; ignored.")
    if negate_next:
        parsed.notes.append("“NOT” at the end has nothing to exclude; ignored.")
    return _dedupe_notes(bound_query(parsed))


def _word_clause(word: str, notes: list[str]) -> Clause | None:
    if "*" not in word and "?" not in word:
        return make_clause(word)
    stripped = word.lstrip("*?")
    if stripped != word:
        notes.append("Wildcards at the start of a word are not supported; they were left out.")
    if stripped.endswith("*") and "*" not in stripped[:-1] and "?" not in stripped:
        stem = stripped[:-1]
        if len(fold(stem)) >= MIN_PREFIX and len(tokens(stem)) == 1:
            return make_clause(stem, prefix=True)
    if "*" in stripped or "?" in stripped:
        notes.append(
            "Wildcards work only at the end of a word of at least two letters (detain*); "
            "other wildcards were left out."
        )
    return make_clause(stripped.replace("*", " ").replace("?", " "))


def _dedupe_notes(parsed: ParsedQuery) -> ParsedQuery:
    parsed.notes = list(dict.fromkeys(parsed.notes))
    return parsed
