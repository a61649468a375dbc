"""Passages nearly the same as a quotation a journalist pasted: a word changed or dropped,
two swapped, British for American spelling, an ellipsis for a cut.

An exact phrase search finds a quotation only word for word. When it finds
nothing (or fewer than NEAR_WHEN_FEWER articles), `near_passages()` looks for
the passages that carry most of the quotation's words in its order:

1. candidates: the articles the search engine ranks best for the quotation's
   most distinctive words (its longest, at most RETRIEVAL_WORDS of them, any
   of which may match), at most NEAR_CANDIDATES articles, the search's
   filters kept;
2. alignment: in each candidate's paragraphs that hold at least half of the
   quotation's words, the longest run of the quotation's words found in the
   same order (`difflib.SequenceMatcher` on the words' spelling keys), and
   the stretch of the paragraph from its first to its last matched word;
3. the passages where at least MIN_SHARE of the quotation's words were
   found, ranked by the words that differ (fewest first), then by the share
   of the quotation found, then by the engine's rank. An exact copy, with no
   word differing, comes first.

Words are compared folded and stemmed as the index compares them, and
spelled one way (`spelling_key`: -our/-or, -ise/-ize, -yse/-yze, -tre/-ter,
-ence/-ense, doubled l), so "organised" and "organized" are the same word.
The words of the passage that are not the quotation's are marked: what the
article says where the pasted text differs.
"""

import difflib
import functools
import operator
import re
from dataclasses import dataclass, field

from haystack.query import SQ, SearchQuerySet

from archive.models import Article
from archive.paragraphs import numbered
from archive.search.query import ParsedQuery
from archive.search.text import Token, stem, tokens

MIN_WORDS = 5  # a shorter query is a phrase, not a quotation to recognise
MAX_WORDS = 80  # the words of a longer paste that are compared (the query's own bound: 20)
NEAR_WHEN_FEWER = 3  # exact hits below which nearly-same passages are looked for
NEAR_CANDIDATES = 20
RETRIEVAL_WORDS = 8
MIN_SHARE = 0.6
NEAR_SHOWN = 5

_SPELLINGS = [
    (re.compile(r"our(s?)$"), r"or\1"),  # colour, favours
    (re.compile(r"our(?=[a-z]{2,})"), "or"),  # colourful, favourite
    (re.compile(r"is(e|es|ed|ing|ation|ations)$"), r"iz\1"),  # organised, organisation
    (re.compile(r"ys(e|es|ed|ing)$"), r"yz\1"),  # analysed
    (re.compile(r"([^aeiou])tre(s?)$"), r"\1ter\2"),  # centre, theatres
    (re.compile(r"ence$"), "ense"),  # defence, licence
    (re.compile(r"ll(ed|ing|er|ers)$"), r"l\1"),  # travelled, labelling
    (re.compile(r"ogue(s?)$"), r"og\1"),  # dialogue, catalogues
]


@functools.lru_cache(maxsize=50_000)
def spelling_key(word: str) -> str:
    """A folded word spelled the American way, for comparing British and American texts."""
    if len(word) <= 4:
        return word
    for pattern, replacement in _SPELLINGS:
        word = pattern.sub(replacement, word)
    return word


def _key(token: Token) -> str:
    # The stem of the American spelling: "organised" and "organizing" meet at "organ".
    return stem(spelling_key(token.word))


@dataclass
class NearPassage:
    """A stretch of a paragraph that carries most of the pasted quotation's words."""

    article: Article
    paragraph: int  # as readers see it (archive.paragraphs)
    text: str  # the stretch of the paragraph, from its first to its last matched word
    differs: list[tuple[int, int]] = field(default_factory=list)  # offsets in `text`
    found: int = 0  # the quotation's words found, in order
    words: int = 0  # the quotation's words
    url: str = ""  # set by the view: the article at the paragraph
    citation: object = None  # set by the view, which knows the site's address

    @property
    def differing(self) -> int:
        """Words that differ: the quotation's not found, or the passage's not in the
        quotation, whichever are more (a changed word is one of each, a dropped one only
        the passage's)."""
        return max(self.words - self.found, len(self.differs))

    @property
    def share(self) -> float:
        return self.found / self.words if self.words else 0.0


def pasted_quotation(parsed: ParsedQuery) -> list[str] | None:
    """The words of a query that is a pasted quotation: one phrase, or plain words only, of at
    least MIN_WORDS words, with no filter, exclusion, OR or wildcard typed in it; else None."""
    if parsed.filters or len(parsed.groups) != len(parsed.positive_groups):
        return None
    clauses = []
    for group in parsed.groups:
        if len(group.clauses) != 1 and not all(c.variant for c in group.clauses[1:]):
            return None  # an OR the user typed (a curated entity's spellings are not one)
        clauses.append(group.clauses[0])
    if any(clause.prefix for clause in clauses):
        return None
    if len(clauses) > 1 and any(clause.is_phrase for clause in clauses):
        return None  # a phrase among words: a search, not a quotation
    text = " ".join(clause.text.strip('"') for clause in clauses)
    return text.split() if len(tokens(text)) >= MIN_WORDS else None


def candidate_articles(quotation: list[Token], narrowed: SearchQuerySet) -> list[int]:
    """The ids of the articles the engine ranks best for the quotation's distinctive words."""
    distinctive = sorted({t.word for t in quotation}, key=lambda word: (-len(word), word))
    query = functools.reduce(
        operator.or_, (SQ(content=word) for word in distinctive[:RETRIEVAL_WORDS])
    )
    return [int(result.pk) for result in narrowed.filter(query)[:NEAR_CANDIDATES]]


def align(quotation: list[Token], paragraph: str, number: int, article: Article):
    """The stretch of `paragraph` carrying most of the quotation in order; None if under
    MIN_SHARE of its words are there."""
    wanted = [_key(t) for t in quotation]
    found_tokens = tokens(paragraph)
    keys = [_key(t) for t in found_tokens]
    if len(set(wanted) & set(keys)) < MIN_SHARE * len(set(wanted)):
        return None
    matcher = difflib.SequenceMatcher(None, wanted, keys, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size]
    found = sum(b.size for b in blocks)
    if not blocks or found < MIN_SHARE * len(wanted):
        return None
    first, last = blocks[0].b, blocks[-1].b + blocks[-1].size - 1
    matched = {i for b in blocks for i in range(b.b, b.b + b.size)}
    start, end = found_tokens[first].start, found_tokens[last].end
    differs = [
        (token.start - start, token.end - start)
        for i, token in enumerate(found_tokens[first : last + 1], start=first)
        if i not in matched
    ]
    return NearPassage(article, number, paragraph[start:end], differs, found, len(wanted))


def near_passages(words: list[str], narrowed: SearchQuerySet) -> list[NearPassage]:
    """Up to NEAR_SHOWN passages nearly the same as the quotation, best first; `narrowed` is
    the search's query set with its filters (sources, entities, dates), without its words."""
    quotation = tokens(" ".join(words))[:MAX_WORDS]
    if len(quotation) < MIN_WORDS:
        return []
    ranked = candidate_articles(quotation, narrowed)
    articles = Article.objects.published().select_related("source").in_bulk(ranked)
    passages = []
    for rank, pk in enumerate(ranked):
        article = articles.get(pk)
        if article is None:
            continue  # changed since it was indexed
        best = None
        for number, paragraph in numbered(article.paragraphs):
            passage = align(quotation, paragraph, number, article)
            if passage and (best is None or passage.found > best.found):
                best = passage
        if best is not None:
            passages.append((best.differing, -best.share, rank, best))
    passages.sort(key=lambda item: item[:3])
    return [item[-1] for item in passages[:NEAR_SHOWN]]
