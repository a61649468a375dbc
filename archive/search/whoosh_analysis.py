"""The Whoosh analyzer made of archive.search.text, so index and highlighter agree on words,
and the text field that applies it."""

from collections import defaultdict
from functools import lru_cache

from whoosh.analysis import Filter, Token, Tokenizer
from whoosh.fields import TEXT
from whoosh.formats import Positions

from archive.search.text import (
    WORD,
    analyse,
    fold,
    normalise_punctuation,
    stem,
    unpossessive,
    words_as_written,
)


class ArchiveTokenizer(Tokenizer):
    """Words with quotes and dashes made plain, folded and without possessives (not stemmed)."""

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            # Whole-value terms (e.g. wildcard prefixes) are only folded.
            token.original = token.text = fold(normalise_punctuation(value))
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        for position, match in enumerate(WORD.finditer(normalise_punctuation(value))):
            token.text = fold(unpossessive(match.group()))
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = match.group()
            if positions:
                token.pos = start_pos + position
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            yield token


class ArchiveStemFilter(Filter):
    """English stemming; skipped when Whoosh asks for the unstemmed words of its spelling list."""

    is_morph = True

    def __call__(self, tokens):
        for token in tokens:
            token.text = stem(token.text)
            yield token


def archive_analyzer():
    return ArchiveTokenizer() | ArchiveStemFilter()


@lru_cache(maxsize=2)
def index_terms(text: str) -> tuple[str, ...]:
    """The terms of `text` in order, as the index holds them. Kept for the last texts: Whoosh
    writes a document's text field and its word pairs (WordPairs) one after the other, from
    the same text."""
    return tuple(analyse(written)[0] for written in words_as_written(text))


class ArchiveText(TEXT):
    """Whoosh's TEXT field with the archive's analyzer, its words found in one pass.

    Whoosh analyses a document's text through a chain of generators, one Token
    object handed from filter to filter for each word, and then gathers each
    word's positions (`Positions.word_values`): a quarter of the time of a
    rebuild. `index` and `spellable_words` give exactly what that chain gives
    (tests/test_whoosh_writing.py compares them), from `archive.search.text`'s
    cached `analyse`. Anything but a plain string with positions goes Whoosh's way.
    """

    def __init__(self, **options):
        super().__init__(analyzer=archive_analyzer(), **options)

    def index(self, value, **kwargs):
        if not isinstance(value, str) or type(self.format) is not Positions:
            yield from super().index(value, **kwargs)
            return
        positions = defaultdict(list)
        for position, term in enumerate(index_terms(value)):
            positions[term].append(position)
        boost, encode = self.format.field_boost, self.format.encode
        for term, found in positions.items():
            yield term.encode("utf-8"), len(found), float(len(found)) * boost, encode(found)

    def spellable_words(self, value):
        if not isinstance(value, str):
            return super().spellable_words(value)
        return iter(sorted({analyse(word)[1] for word in words_as_written(value)}))


# Pairs of neighbouring words ---------------------------------------------------------------
#
# A phrase made of common words ("of the two", "in risk management") has the
# documents of its rarest word as candidates, often tens of thousands, and in
# each the positions of every word to compare: most of the posting blocks of
# "the" or "in" read and decoded. Indexing each pair of neighbouring words of
# which one is common as one term of a second field (Lucene's "common grams")
# lets the phrase read "of the" and "the two", each far rarer than its words.
# A pair stands at its first word's position, so a phrase matcher takes pairs
# and single words alike, each at its offset in the phrase.

# The ten words in most documents of 100,000 Reuters articles and their quotes (from "the"
# in 75% to "for" in 36%), which are also English's commonest. More words would speed up
# more phrases and cost more: pairs with these ten add 63% to the text's postings, pairs
# with 32 function words 92% (20,000 Reuters articles; docs/performance.md, "Pairs of
# neighbouring words").
COMMON_WORDS_WRITTEN = "the to a of and in is that it for".split()
COMMON_TERMS = frozenset(analyse(word)[0] for word in COMMON_WORDS_WRITTEN)
# Every document indexed with its pairs has this term in the pairs field: a segment whose
# documents all have it can be searched by pairs (no analysed word has a control character).
PAIRED = "\x00"


def pairs_field(fieldname: str) -> str:
    """The name of the field that holds the word pairs of `fieldname`."""
    return f"{fieldname}_pairs"


def pair(first: str, second: str) -> str:
    return f"{first} {second}"


def pair_starts(terms) -> list[int]:
    """The positions k at which terms k and k + 1 make a pair: one of them is common."""
    return [
        k for k in range(len(terms) - 1) if terms[k] in COMMON_TERMS or terms[k + 1] in COMMON_TERMS
    ]


def word_pairs(terms) -> dict[str, list[int]]:
    """Each pair of neighbouring terms of which one is common, with the positions of its
    first term."""
    found = defaultdict(list)
    for position in pair_starts(terms):
        found[pair(terms[position], terms[position + 1])].append(position)
    return found


class WordPairs(TEXT):
    """The field of a text's pairs of neighbouring words of which one is common, and PAIRED.

    Not stored and without a spelling list; its lengths count pairs, so a
    pair's score is weighed against the other pairs (PAIRED counts none).
    """

    def __init__(self):
        super().__init__(analyzer=archive_analyzer(), phrase=True, stored=False)

    def index(self, value, **kwargs):
        encode = self.format.encode
        yield PAIRED.encode("utf-8"), 0, 1.0, encode([0])
        for term, found in word_pairs(index_terms(value)).items():
            yield term.encode("utf-8"), len(found), float(len(found)), encode(found)
