"""Find where a query matches inside an article: the paragraphs, the words, the spelling used.

Works on the article's own text with the same analysis as the index
(archive.search.text), so it needs no engine and is the same on every one.
"""

from dataclasses import dataclass

from archive.paragraphs import numbered
from archive.search.query import Clause, Group
from archive.search.text import WORD, analyse, normalise_punctuation, term_set
from archive.sentences import cut_around

SNIPPET_LENGTH = 320
MAX_SNIPPETS = 3


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    group: int  # index of the query group it satisfies
    surface: str  # the words as the article writes them
    variant: bool  # matched one of several spellings of an entity


@dataclass
class Snippet:
    paragraph: int  # its number, ¶1 first (archive.paragraphs)
    text: str
    marks: list[tuple[int, int]]  # offsets of matched words in `text`

    def as_dict(self):
        return {"paragraph": self.paragraph, "text": self.text, "marks": self.marks}


def _clause_matches(clause: Clause, analysed: list[tuple[str, str]], first_positions: dict):
    """Where `clause` matches among the analysed words: (first, last) word indexes."""
    if clause.prefix:
        prefix = clause.words[0]
        return [(i, i) for i, (_term, word) in enumerate(analysed) if word.startswith(prefix)]
    spans = []
    n = len(clause.terms)
    for i in first_positions.get(clause.terms[0], ()):
        if i + n <= len(analysed) and all(
            analysed[i + k][0] == clause.terms[k] for k in range(1, n)
        ):
            spans.append((i, i + n - 1))
    return spans


def find_matches(text: str, groups: list[Group]) -> list[Match]:
    """Every place in `text` where a clause of a positive group matches, in text order.

    The words are analysed as archive.search.text.tokens() does, without making
    a Token of each: a page of results reads tens of thousands of words.
    """
    words = list(WORD.finditer(normalise_punctuation(text)))
    analysed = [analyse(word.group()) for word in words]
    first_positions: dict[str, list[int]] = {}
    for i, (term, _word) in enumerate(analysed):
        first_positions.setdefault(term, []).append(i)
    matches = []
    for number, group in enumerate(groups):
        if group.negated:
            continue
        for clause in group.clauses:
            for first, last in _clause_matches(clause, analysed, first_positions):
                start, end = words[first].start(), words[last].end()
                matches.append(Match(start, end, number, text[start:end], clause.variant))
    matches.sort(key=lambda m: (m.start, -m.end))
    # Keep the longest of overlapping matches, so marks never nest.
    kept, end = [], -1
    for match in matches:
        if match.start >= end:
            kept.append(match)
            end = match.end
    return kept


def _may_match(text: str, groups: list[Group]) -> bool:
    """False when no clause has all its terms in `text`: most paragraphs of a hit, cheaply."""
    clauses = [c for g in groups if not g.negated for c in g.clauses]
    if any(c.prefix for c in clauses):
        return True
    present = term_set(text)
    return any(present.issuperset(c.terms) for c in clauses)


@dataclass
class ArticleMatches:
    """Where a query matches in one article."""

    snippets: list[Snippet]  # up to MAX_SNIPPETS paragraphs that match best, in reading order
    best: Snippet | None  # the one that matches best
    paragraphs: list[int]  # the number of every paragraph that matches, in reading order
    spellings: set[str]  # the spellings of entities that matched


def article_matches(
    paragraphs: list[str], groups: list[Group], snippets: int | None = MAX_SNIPPETS
) -> ArticleMatches:
    """The paragraphs of an article that match, the best `snippets` of them (all with None)
    cut into snippets.

    A paragraph matches better when it has more of the query's groups, then a
    longer match (a phrase), then more matches; among equals the earlier wins.
    """
    scored = []
    surfaces = set()
    if not any(not group.negated for group in groups):  # only filters, or only exclusions
        return ArticleMatches([], None, [], surfaces)
    for number, paragraph in numbered(paragraphs):
        if not _may_match(paragraph, groups):
            continue
        matches = find_matches(paragraph, groups)
        if not matches:
            continue
        surfaces.update(m.surface for m in matches if m.variant)
        longest = max(m.end - m.start for m in matches)
        score = (len({m.group for m in matches}), longest, len(matches))
        scored.append((score, number, paragraph, matches))
    matching = [number for _, number, _, _ in scored]
    scored.sort(key=lambda item: (item[0], -item[1]), reverse=True)
    cuts = [cut(number, text, matches) for _, number, text, matches in scored[:snippets]]
    best = cuts[0] if cuts else None
    return ArticleMatches(sorted(cuts, key=lambda s: s.paragraph), best, matching, surfaces)


def cut(number: int, text: str, matches: list[Match]) -> Snippet:
    """The paragraph, or a window of it around the first match, cut at spaces."""
    first = matches[0]
    piece = cut_around(text, first.start, first.end, SNIPPET_LENGTH)
    return Snippet(number, piece.text, piece.marks((m.start, m.end) for m in matches))


def mark_paragraph(text: str, groups: list[Group]) -> list[tuple[int, int]]:
    """Offsets of every match in one paragraph, for highlighting the article page."""
    return [(m.start, m.end) for m in find_matches(text, groups)]
