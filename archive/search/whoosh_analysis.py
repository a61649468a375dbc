"""The Whoosh analyzer made of archive.search.text, so index and highlighter agree on words,
and the text field that applies it."""

from collections import defaultdict

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
        for position, written in enumerate(words_as_written(value)):
            positions[analyse(written)[0]].append(position)
        boost, encode = self.format.field_boost, self.format.encode
        for term, found in positions.items():
            yield term.encode("utf-8"), len(found), float(len(found)) * boost, encode(found)

    def spellable_words(self, value):
        if not isinstance(value, str):
            return super().spellable_words(value)
        return iter(sorted({analyse(word)[1] for word in words_as_written(value)}))
