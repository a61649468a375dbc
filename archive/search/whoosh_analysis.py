"""The Whoosh analyzer made of archive.search.text, so index and highlighter agree on words."""

from whoosh.analysis import Filter, Token, Tokenizer

from archive.search.text import WORD, fold, normalise_punctuation, stem, unpossessive


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
