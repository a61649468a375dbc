"""Passages nearly the same as a quotation a journalist pasted: a word changed or dropped,
two swapped, British for American spelling, an ellipsis for a cut.

An exact phrase search finds a quotation only word for word. When it finds
nothing (or fewer than NEAR_WHEN_FEWER articles), `near_passages()` looks for
the passages that carry most of the quotation's words in its order:

1. candidates: the articles the search engine ranks best for the quotation's
   runs of three words (any of which may match; a change breaks only the runs
   it is in), at most NEAR_CANDIDATES articles, the search's filters kept;
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
from collections import Counter
from dataclasses import dataclass, field

from haystack.inputs import Exact
from haystack.query import SQ, SearchQuerySet

from archive.models import Article
from archive.paragraphs import numbered
from archive.search.query import ParsedQuery
from archive.search.text import Token, stem, tokens

MIN_WORDS = 5  # a shorter phrase is a phrase, not a quotation to recognise
MIN_WORDS_UNQUOTED = 8  # words typed without quotation marks: a search, unless this many
MAX_WORDS = 80  # the words of a longer paste that are compared (the query's own bound: 20)
NEAR_WHEN_FEWER = 3  # exact hits below which nearly-same passages are looked for
NEAR_CANDIDATES = 20
RETRIEVAL_WORDS = 8
RUN = 3  # words in a row that the candidates are searched by
MAX_RUNS = 5
MIN_SHARE = 0.6
ALIGNMENTS_TRIED = 3
SLACK = 3  # words either side of where the quotation would start and end
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
    (re.compile(r"^programme"), "program"),  # programme, programmes
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
    """The words of a query that is a pasted quotation, with no filter, exclusion, OR or
    wildcard typed in it: one phrase of at least MIN_WORDS words, or at least
    MIN_WORDS_UNQUOTED words and phrases (a quotation pasted without its marks, or with
    quotation marks inside it, which split it into phrases and words); else None."""
    if parsed.filters or len(parsed.groups) != len(parsed.positive_groups):
        return None
    clauses = []
    for group in parsed.groups:
        if len(group.clauses) != 1 and not all(c.variant for c in group.clauses[1:]):
            return None  # an OR the user typed (a curated entity's spellings are not one)
        clauses.append(group.clauses[0])
    if any(clause.prefix for clause in clauses):
        return None
    text = " ".join(clause.text.strip('"') for clause in clauses)
    single_phrase = len(clauses) == 1 and clauses[0].is_phrase
    needed = MIN_WORDS if single_phrase else MIN_WORDS_UNQUOTED
    return text.split() if len(tokens(text)) >= needed else None


def separate_runs(words: list[str]) -> list[tuple[str, ...]]:
    """At most MAX_RUNS runs of RUN words that do not overlap, the most distinctive (longest
    words) first: one changed word breaks one of them, the others still find the article."""
    starts = sorted(
        range(len(words) - RUN + 1),
        key=lambda i: (-sum(len(word) for word in words[i : i + RUN]), i),
    )
    taken: list[int] = []
    for start in starts:
        if all(abs(start - other) >= RUN for other in taken):
            taken.append(start)
        if len(taken) == MAX_RUNS:
            break
    return [tuple(words[i : i + RUN]) for i in sorted(taken)]


def candidate_articles(quotation: list[Token], narrowed: SearchQuerySet) -> list[int]:
    """The ids of the articles the engine ranks best for the quotation's runs of three words.

    A changed, dropped or swapped word, a cut or another spelling breaks the
    run it is in and leaves the others (`separate_runs`): the article the
    quotation comes from has most of them, any other article few. Without any run found (every
    one broken), its most distinctive (longest) words, any of which may match.
    """
    words = [t.word for t in quotation]
    query = functools.reduce(
        operator.or_, (SQ(content=Exact(" ".join(run))) for run in separate_runs(words))
    )
    found = [int(result.pk) for result in best_only(narrowed.filter(query))[:NEAR_CANDIDATES]]
    if found:
        return found
    distinctive = sorted(set(words), key=lambda word: (-len(word), word))[:RETRIEVAL_WORDS]
    query = functools.reduce(operator.or_, (SQ(content=word) for word in distinctive))
    return [int(result.pk) for result in best_only(narrowed.filter(query))[:NEAR_CANDIDATES]]


def best_only(found: SearchQuerySet) -> SearchQuerySet:
    """`found` for its best hits alone, without the number of every document it matches.

    Whoosh counts them by matching the query again when it has skipped the
    blocks of documents that could not rank among the best: a third of the
    time of an OR of the quotation's words. An engine that counts anyway (Solr)
    is not asked otherwise.
    """
    found = found._clone()
    found.query.counted = False
    return found


def align(quotation: list[Token], paragraph: str, number: int, article: Article):
    """The stretch of `paragraph` carrying most of the quotation in order; None if under
    MIN_SHARE of its words are there.

    Each word of the paragraph that is one of the quotation's votes for where
    the quotation would start if it were that word; the few starts with most
    votes (ALIGNMENTS_TRIED) are compared word by word, each over the
    quotation's length and a few words either side (SLACK): a word the
    paragraph has elsewhere never stretches the passage.
    """
    wanted = [_key(t) for t in quotation]
    found_tokens = tokens(paragraph)
    keys = [_key(t) for t in found_tokens]
    if len(set(wanted) & set(keys)) < MIN_SHARE * len(set(wanted)):
        return None
    places: dict[str, list[int]] = {}
    for i, key in enumerate(wanted):
        places.setdefault(key, []).append(i)
    votes = Counter(j - i for j, key in enumerate(keys) for i in places.get(key, ()))
    best = None
    for start, _ in votes.most_common(ALIGNMENTS_TRIED):
        first = max(0, start - SLACK)
        window = keys[first : start + len(wanted) + SLACK]
        matcher = difflib.SequenceMatcher(None, wanted, window, autojunk=False)
        blocks = [b for b in matcher.get_matching_blocks() if b.size]
        found = sum(b.size for b in blocks)
        if not blocks or found < MIN_SHARE * len(wanted):
            continue
        low, high = first + blocks[0].b, first + blocks[-1].b + blocks[-1].size - 1
        matched = {first + i for b in blocks for i in range(b.b, b.b + b.size)}
        begin, end = found_tokens[low].start, found_tokens[high].end
        differs = [
            (token.start - begin, token.end - begin)
            for i, token in enumerate(found_tokens[low : high + 1], start=low)
            if i not in matched
        ]
        passage = NearPassage(article, number, paragraph[begin:end], differs, found, len(wanted))
        if best is None or (passage.differing, -passage.found) < (best.differing, -best.found):
            best = passage
    return best


def near_passages(words: list[str], narrowed: SearchQuerySet) -> list[NearPassage]:
    """Up to NEAR_SHOWN passages nearly the same as the quotation, best first; `narrowed` is
    the search's query set with its filters (sources, entities, dates), without its words."""
    quotation = tokens(" ".join(words))[:MAX_WORDS]
    if len(quotation) < MIN_WORDS:
        return []
    ranked = candidate_articles(quotation, narrowed)
    articles = Article.objects.published().select_related("source").by_id(ranked)
    passages = []
    for rank, pk in enumerate(ranked):
        article = articles.get(pk)
        if article is None:
            continue  # changed since it was indexed
        best = None
        for number, paragraph in numbered(article.paragraphs):
            passage = align(quotation, paragraph, number, article)
            if passage and (
                best is None or (passage.differing, -passage.found) < (best.differing, -best.found)
            ):
                best = passage
        if best is not None:
            passages.append((best.differing, -best.share, rank, best))
    passages.sort(key=lambda item: item[:3])
    return [item[-1] for item in passages[:NEAR_SHOWN]]
