"""A quotation reduced to its words, so copies differing in quotes, case or accents compare equal.

Pure functions over archive.search.text (the search's own folding): curly
and straight quotes, apostrophes and dashes are made plain, case and
diacritics folded, possessives dropped; words are not stemmed, because two
copies of a quotation share their exact words.
"""

import hashlib
from functools import lru_cache

from archive.search.text import WORD, fold, normalise_punctuation, unpossessive

SHINGLE_SIZE = 5


def quote_words(text: str) -> list[str]:
    """The folded words of `text`: '“Ürümqi’s camps,” he said' -> urumqi camps he said."""
    return [fold(unpossessive(m.group())) for m in WORD.finditer(normalise_punctuation(text))]


# Extraction normalises a quote to match it against the stored ones, then again to store
# it, and counts its runs, then stores them with those of its batch (200 articles): each
# is computed once per quote this way.
@lru_cache(maxsize=1_024)
def normalise_quote(text: str) -> str:
    """The words of `text`, folded, one space between them: what search and tracing compare."""
    return " ".join(quote_words(text))


def quote_key(normalised: str) -> str:
    """A short fingerprint of the whole normalised quotation (exact copies share it)."""
    return hashlib.sha1(normalised.encode("utf-8")).hexdigest()


def _hash(words: list[str]) -> int:
    """A signed 64-bit hash of some words, the range of a database bigint."""
    digest = hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@lru_cache(maxsize=4_096)
def shingles(normalised: str) -> frozenset[int]:
    """Hashes of every run of SHINGLE_SIZE consecutive words (of all of them, when fewer)."""
    words = normalised.split()
    if not words:
        return frozenset()
    if len(words) <= SHINGLE_SIZE:
        return frozenset({_hash(words)})
    return frozenset(
        _hash(words[i : i + SHINGLE_SIZE]) for i in range(len(words) - SHINGLE_SIZE + 1)
    )
