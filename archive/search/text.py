"""How text becomes search terms, shared by indexing, querying and highlighting so all agree.

A quote pasted from anywhere must find its article: curly and straight quotes,
apostrophes and dashes are made plain; case and diacritics are folded
(Ürümqi = Urumqi); possessives are dropped (China’s = China); ordinary words
are stemmed (detained = detention's stem "detain"). Nothing is dropped as a
stop word, because quotes are made of them. Chinese and Japanese, written
without spaces, are taken a character at a time.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

QUOTES = "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\u301d\u301e\uff02"
APOSTROPHES = "\u2018\u2019\u201a\u201b\u2032\u2039\u203a\u0060\u00b4\u02bc\uff07"
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_PUNCTUATION = str.maketrans(
    {**dict.fromkeys(QUOTES, '"'), **dict.fromkeys(APOSTROPHES, "'"), **dict.fromkeys(DASHES, "-")}
)
# Letters that Unicode decomposition does not reduce to a base letter.
_FOLD = str.maketrans(
    {
        "ı": "i",
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "ŋ": "ng",
        "ħ": "h",
    }
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Chinese and Japanese are written without spaces between words, so each Han ideograph
# and each kana is a word of its own: a name is found inside a run of them as the phrase
# of its characters (陈全国 in 新疆党委书记陈全国说). Hangul is written with spaces.
CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
_CJK = "".join(f"\\u{low:04x}-\\u{high:04x}" for low, high in CJK_RANGES)
# A word: letters or digits, possibly joined by apostrophes (don't, China's); or one CJK
# letter (not their punctuation: ・ is not a word). Solr's tokenizer has the same pattern.
WORD_PATTERN = rf"(?=\w)[{_CJK}]|[^\W{_CJK}]+(?:'[^\W{_CJK}]+)*"
WORD = re.compile(WORD_PATTERN)
CJK_CHARACTER = re.compile(f"[{_CJK}]")
_stemmer = Stemmer.Stemmer("english")


def is_cjk(char: str) -> bool:
    """A character of the CJK ranges: a Han ideograph or kana is a word by itself (WORD)."""
    return CJK_CHARACTER.match(char) is not None


def normalise_punctuation(text: str) -> str:
    """Plain quotes, apostrophes and hyphens; control characters removed. Same length.

    Keeping the length means offsets found in the normalised text are offsets
    in the original, which the highlighter relies on.
    """
    return _CONTROL.sub(" ", text.translate(_PUNCTUATION))


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Lower case without diacritics: 'Ürümqi' -> 'urumqi'."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_FOLD)


def unpossessive(word: str) -> str:
    """Drop a possessive ending and inner apostrophes: "China's" -> "China", "don't" -> "dont"."""
    if word[-2:].lower() == "'s":
        word = word[:-2]
    return word.replace("'", "")


@lru_cache(maxsize=200_000)
def stem(term: str) -> str:
    return _stemmer.stemWord(term)


@dataclass(frozen=True, slots=True)
class Token:
    term: str  # folded and stemmed
    word: str  # folded, not stemmed: what a spelling suggestion offers
    position: int
    start: int
    end: int


@lru_cache(maxsize=200_000)
def analyse(written: str) -> tuple[str, str]:
    """(term, folded word) for a word as written: "Ürümqi's" -> ("urumqi", "urumqi")."""
    word = fold(unpossessive(written))
    return stem(word), word


def tokens(text: str) -> list[Token]:
    """The terms of `text` with their positions and character offsets in `text`."""
    plain = normalise_punctuation(text)
    found = []
    for position, match in enumerate(WORD.finditer(plain)):
        term, word = analyse(match.group())
        found.append(Token(term, word, position, match.start(), match.end()))
    return found


def words_as_written(text: str) -> list[str]:
    """The words of `text` as written (quotes, apostrophes and dashes made plain), in order."""
    return WORD.findall(normalise_punctuation(text))


def term_set(text: str) -> set[str]:
    """The distinct terms of `text`: a quick test of whether a clause can match in it."""
    return {analyse(written)[0] for written in words_as_written(text)}


def terms(text: str) -> list[str]:
    return [token.term for token in tokens(text)]
