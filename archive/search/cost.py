"""What one search may cost the server, in one place: every query is trimmed here, with a note.

A search is free and anonymous, so its cost must not depend on what a
visitor types. Before any engine or database sees a query, `bound_query()`
trims it to what a request can afford, and says in a note what it left out:
the article search (its page, JSON, CSV export and feed, and the highlighting
of a result) and the quotes search all go through it. What the engine alone
can bound (how many index words a `detain*` stands for, how long a search
runs) is stated here too and applied by the engine's extension.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archive.search.query import Clause, ParsedQuery

# Characters of a query that are read at all.
MAX_QUERY_LENGTH = 1000
# Words and phrases to look for, counting each alternative of an OR.
MAX_CLAUSES = 40
# Exclusions (-word, NOT word): each one is a walk over the word's postings.
MAX_NEGATIONS = 10
# Wildcard words (detain*): each stands for every index word it begins.
MAX_PREFIXES = 5
# How many index words the wildcard words of a query may stand for together, shared
# equally (the most frequent are kept): the engine reads each word's documents in
# every segment of the index.
MAX_PREFIX_EXPANSION = 100
# Words of one "phrase": a longer quotation is found by its first words.
MAX_PHRASE_WORDS = 20
# source: and entity: values together.
MAX_FILTERS = 10
# Named in a note before "and N more".
NAMED_IN_NOTE = 3

TOOK_TOO_LONG = "Results may be incomplete: the search took too long."


def prefix_expansion_note(prefix: str, found: int, searched: int) -> str:
    """What the engine says when a wildcard word begins more index words than it searches."""
    return (
        f"“{prefix}*” begins {found:,} different words in the archive; only the "
        f"{searched:,} most common of them were searched. Type more letters to narrow it."
    )


def bound_length(text: str, notes: list[str]) -> str:
    """The first MAX_QUERY_LENGTH characters of `text`, with a note if it was longer."""
    if len(text) <= MAX_QUERY_LENGTH:
        return text
    notes.append(
        f"Your search was {len(text):,} characters long; only the first "
        f"{MAX_QUERY_LENGTH:,} were used."
    )
    return text[:MAX_QUERY_LENGTH]


def bound_filters(values: list[str], notes: list[str], already: int = 0) -> list[str]:
    """At most MAX_FILTERS values (counting `already` used ones), with a note naming the rest."""
    room = max(0, MAX_FILTERS - already)
    if len(values) > room:
        notes.append(
            f"Only {MAX_FILTERS} source and entity filters can be used at once; "
            f"left out: {_named(values[room:])}."
        )
    return values[:room]


def bound_query(parsed: ParsedQuery) -> ParsedQuery:
    """Trim `parsed` in place to the limits above, in the order typed; notes say what went."""
    dropped: dict[str, list[str]] = {"clause": [], "negation": [], "prefix": []}
    used = {"clause": 0, "negation": 0, "prefix": 0}
    limits = {"clause": MAX_CLAUSES, "negation": MAX_NEGATIONS, "prefix": MAX_PREFIXES}
    kept_groups = []
    for group in parsed.groups:
        kept = []
        for clause in group.clauses:
            kinds = ["negation" if group.negated else "clause"]
            if clause.prefix:
                kinds.append("prefix")
            over = [kind for kind in kinds if used[kind] >= limits[kind]]
            if over:
                dropped[over[0]].append(_as_typed(clause, group.negated))
                continue
            for kind in kinds:
                used[kind] += 1
            kept.append(_shortened_phrase(clause, parsed.notes))
        if kept:
            group.clauses = kept
            kept_groups.append(group)
    parsed.groups = kept_groups

    if dropped["clause"]:
        parsed.notes.append(
            f"Only the first {MAX_CLAUSES} words and phrases were searched; "
            f"left out: {_named(dropped['clause'])}."
        )
    if dropped["negation"]:
        parsed.notes.append(
            f"Only the first {MAX_NEGATIONS} exclusions (-word, NOT word) were used; "
            f"left out: {_named(dropped['negation'])}."
        )
    if dropped["prefix"]:
        parsed.notes.append(
            f"Only the first {MAX_PREFIXES} wildcard words (detain*) were searched; "
            f"left out: {_named(dropped['prefix'])}."
        )
    filters = 0
    for name, values in parsed.filters.items():
        parsed.filters[name] = bound_filters(values, parsed.notes, already=filters)
        filters += len(parsed.filters[name])
    parsed.filters = {name: values for name, values in parsed.filters.items() if values}
    return parsed


def _shortened_phrase(clause: Clause, notes: list[str]) -> Clause:
    if len(clause.words) <= MAX_PHRASE_WORDS:
        return clause
    notes.append(
        f"The phrase “{_excerpt(clause.text)}” has {len(clause.words)} words; it was searched "
        f"by its first {MAX_PHRASE_WORDS}."
    )
    return type(clause)(
        text=" ".join(clause.words[:MAX_PHRASE_WORDS]),
        words=clause.words[:MAX_PHRASE_WORDS],
        terms=clause.terms[:MAX_PHRASE_WORDS],
        prefix=clause.prefix,
        variant=clause.variant,
    )


def _as_typed(clause: Clause, negated: bool) -> str:
    """The clause as it would be typed: word, "a phrase", detain*, -word."""
    text = _excerpt(clause.text)
    if clause.is_phrase:
        text = f'"{text}"'
    elif clause.prefix:
        text += "*"
    return f"-{text}" if negated else text


def _excerpt(text: str, length: int = 40) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _named(items: list[str]) -> str:
    shown = ", ".join(items[:NAMED_IN_NOTE])
    rest = len(items) - NAMED_IN_NOTE
    return f"{shown} and {rest:,} more" if rest > 0 else shown
