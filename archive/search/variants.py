"""Spelling variants from the curated entities: Uyghur finds Uighur, Urumqi finds Ürümchi.

An entity's name and aliases are all spellings of one thing; a query word or
phrase equal to one of them is widened to all of them. Editors change search
by adding an alias: the spellings come from the one entity vocabulary
(archive.entities.vocabulary), read again whenever it changes.
"""

import dataclasses
import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from archive.entities.matching import Spelling
from archive.search.query import Clause, ParsedQuery, make_clause
from archive.search.text import unpossessive, words_as_written

MAX_PHRASE_VARIANTS = 8


@dataclass(frozen=True)
class IndexedSpelling:
    """A spelling with the terms the index holds for it."""

    text: str
    terms: tuple[str, ...]
    case_sensitive: bool
    entity_id: int


def _exact_words(text: str) -> tuple[str, ...]:
    return tuple(unpossessive(w) for w in words_as_written(text))


class SpellingVariants:
    """Every spelling of every entity, looked up by its index terms."""

    def __init__(self, spellings: Iterable[Spelling]):
        self.by_terms: dict[tuple[str, ...], list[IndexedSpelling]] = {}
        self.by_entity: dict[int, list[IndexedSpelling]] = {}
        for written in spellings:
            clause = make_clause(written.text)
            if clause is None:
                continue
            spelling = IndexedSpelling(
                written.text, clause.terms, written.case_sensitive, written.entity_id
            )
            self.by_terms.setdefault(spelling.terms, []).append(spelling)
            self.by_entity.setdefault(spelling.entity_id, []).append(spelling)

    def entity_for(self, clause: Clause) -> int | None:
        """The entity that `clause` spells, respecting case-sensitive spellings."""
        if clause.prefix:
            return None
        for spelling in self.by_terms.get(clause.terms, ()):
            if not spelling.case_sensitive or _exact_words(clause.text) == _exact_words(
                spelling.text
            ):
                return spelling.entity_id
        return None

    def alternatives(self, clause: Clause) -> list[Clause]:
        """`clause` and the other spellings of what it names (distinct by index terms)."""
        entity_id = self.entity_for(clause)
        if entity_id is not None:
            spellings = [make_clause(s.text) for s in self.by_entity[entity_id]]
            return _as_variants(self._distinct([clause, *spellings]))
        if clause.is_phrase:
            return self._phrase_alternatives(clause)
        return [clause]

    def _phrase_alternatives(self, clause: Clause) -> list[Clause]:
        """A quoted phrase with one-word spellings swapped, at most MAX_PHRASE_VARIANTS of them."""
        options = []
        for word, term in zip(clause.words, clause.terms, strict=True):
            single = make_clause(word)
            entity_id = self.entity_for(single) if single else None
            spellings = [
                s.text
                for s in self.by_entity.get(entity_id, ())
                if len(s.terms) == 1 and s.terms != (term,)
            ]
            options.append([word] + sorted(set(spellings)))
        if all(len(o) == 1 for o in options):
            return [clause]
        combos = itertools.islice(itertools.product(*options), MAX_PHRASE_VARIANTS)
        return _as_variants(self._distinct([clause] + [make_clause(" ".join(c)) for c in combos]))

    @staticmethod
    def _distinct(clauses):
        seen, result = set(), []
        for clause in clauses:
            if clause and clause.terms not in seen:
                seen.add(clause.terms)
                result.append(clause)
        return result


def _as_variants(clauses: list[Clause]) -> list[Clause]:
    return [dataclasses.replace(c, variant=True) for c in clauses] if len(clauses) > 1 else clauses


def expand(parsed: ParsedQuery, variants: SpellingVariants) -> ParsedQuery:
    """Widen every clause of `parsed` to its spelling variants, in place."""
    for group in parsed.groups:
        group.clauses = SpellingVariants._distinct(
            [alt for clause in group.clauses for alt in variants.alternatives(clause)]
        )
    return parsed
