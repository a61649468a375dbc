"""The matches a results page shows in each paragraph (archive.search.snippets) are the same
as the whole-token matching they replaced: the same places, spellings and groups, for words,
phrases, wildcards and exclusions in the seed articles."""

import random
from pathlib import Path

from archive.entities.matching import Spelling
from archive.search.query import Group, parse_query
from archive.search.snippets import Match, article_matches, find_matches
from archive.search.text import tokens
from archive.search.variants import SpellingVariants, expand

SEED_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"
VARIANTS = SpellingVariants(
    [
        Spelling("Uyghur", 1, False),
        Spelling("Uighur", 1, False),
        Spelling("Xinjiang", 2, False),
        Spelling("East Turkestan", 2, False),
    ]
)


def matches_token_by_token(text: str, groups: list[Group]) -> list[Match]:
    """find_matches as it was: every word of the paragraph made a Token first."""
    toks = tokens(text)
    first_positions: dict[str, list[int]] = {}
    for i, token in enumerate(toks):
        first_positions.setdefault(token.term, []).append(i)
    matches = []
    for number, group in enumerate(groups):
        if group.negated:
            continue
        for clause in group.clauses:
            if clause.prefix:
                spans = [(t, t) for t in toks if t.word.startswith(clause.words[0])]
            else:
                n = len(clause.terms)
                spans = [
                    (toks[i], toks[i + n - 1])
                    for i in first_positions.get(clause.terms[0], ())
                    if i + n <= len(toks)
                    and all(toks[i + k].term == clause.terms[k] for k in range(n))
                ]
            for first, last in spans:
                surface = text[first.start : last.end]
                matches.append(Match(first.start, last.end, number, surface, clause.variant))
    matches.sort(key=lambda m: (m.start, -m.end))
    kept, end = [], -1
    for match in matches:
        if match.start >= end:
            kept.append(match)
            end = match.end
    return kept


def seed_paragraphs() -> list[str]:
    return [
        paragraph
        for path in sorted(SEED_DIR.glob("*.txt"))
        for paragraph in path.read_text().split("\n\n")
        if paragraph.strip()
    ]


def queries(paragraphs: list[str], count=30, seed=4) -> list[str]:
    """Words, phrases (some pasted in curly quotes), wildcards, ORs and exclusions."""
    rng = random.Random(seed)
    words = [token.word for paragraph in paragraphs for token in tokens(paragraph)]
    found = []
    for n in range(count):
        start = rng.randrange(len(words) - 6)
        phrase = " ".join(words[start : start + rng.randint(2, 5)])
        word, other = rng.choice(words), rng.choice(words)
        found.append(
            [
                word,
                f"“{phrase}”",
                f"{word[:3]}* {other}",
                f"{word} OR {other}",
                f'"{phrase}" -{other}',
                f"-{word}",
            ][n % 6]
        )
    return [*found, "Uighur", "Uyghur camps", "“in Xinjiang”", "China’s", "“the Chinese state”"]


def test_each_paragraph_matches_where_the_token_by_token_matching_did():
    paragraphs = seed_paragraphs()
    compared = variants = 0
    for query in queries(paragraphs):
        groups = expand(parse_query(query), VARIANTS).groups
        for paragraph in paragraphs:
            expected = matches_token_by_token(paragraph, groups)
            assert find_matches(paragraph, groups) == expected, (query, paragraph[:60])
            compared += bool(expected)
            variants += any(match.variant for match in expected)
    assert compared > 50 and variants > 3


def test_a_search_with_only_exclusions_or_filters_matches_no_paragraph():
    paragraphs = seed_paragraphs()
    for query in ("-China", "source:wire", "-camps NOT Turkey"):
        found = article_matches(paragraphs, parse_query(query).groups)
        assert (found.snippets, found.best, found.paragraphs, found.spellings) == (
            [],
            None,
            [],
            set(),
        )
