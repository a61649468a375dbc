"""Where a name the tagger found sits inside a longer proper name ("Bank of China", "Ahmet Zair").

A run of capitalised words names one thing: "China" in "Bank of China",
"South China Morning Post" or "China Construction Bank" is part of a bank's
or a newspaper's name, "Zair" in "Ahmet Zair" part of another person's. The
words around a found name extend it when they are *name words* (see
`is_name_word`) joined to it by one space, or by a lower-case particle with a
name word beyond it ("Bank of China"). Words that another found name covers
do not count ("Uyghur Muslims" names both), and neither do the capitals of a
title-case heading, where every word is capitalised.

Whether a longer run takes the name away depends on what the entity is,
as the labelled sample (tests/data/tagging-sample.json) shows:

* a place or a group keeps capitalised words before it, which say which part
  or which kind ("Communist China", "Eastern Europe", "Sunni Muslims"), but
  not words after it ("China Daily", "US Senate", "South China Sea") nor a
  name joined by a particle ("Bank of China", "Council of Europe");
* an organisation keeps words after it, the names of its own parts ("BBC
  Radio 4", "BBC News"), but not words before it ("Soviet Communist Party");
* a person or a document keeps none: "Ahmet Zair" is not Kerim Zair.

Two more cases keep the name: the state's own official name ("Kingdom of
Norway") and a place in a title followed by the holder's name ("Ambassador to
China Octavio Valerio"); one takes it away: a currency sign right after it
("US$3 billion" is an amount, not the country).

docs/entities.md has the rules with their reasons and figures.
"""

import re
from collections.abc import Iterable, Sequence

STOP_WORDS = frozenset(
    """
    A An The This That These Those It Its He She They We I You His Her Hers Their Our My Your
    Him Them Us Me There Here Who Whom Whose What Which Where When Why How
    In On At Of For From By With To Into Onto Over Under About After Before Since Until During
    Between Among Against Through Without Within Across Behind Beyond Near
    And Or Nor But So Yet If As While Although Though Because Unless Whether Than
    However Meanwhile Moreover Furthermore Nevertheless Nonetheless Instead Also Then Now Just
    Still Even Only Despite Indeed Thus Therefore Otherwise Perhaps Later Earlier Today Yesterday
    Many Much Some Any All Most More Less Few Several Each Every Both Either Neither Other
    Another Such No Not Yes One Two Three Four Five Six Seven Eight Nine Ten
    According Mr Mrs Ms Dr Inc Co Corp Ltd Plc
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday
    January February March April May June July August September October November December
    Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec
    """.split()
)
# Titles and roles: "US President George W Bush" and "President Xi" name the country and
# the man, not a longer name ("Communist Party Chief in Urumqi", "the NGO Safeguard Defenders").
TITLE_WORDS = frozenset(
    """
    President Vice Premier Prime Minister Ministers Secretary Chairman Chairwoman Chief Leader
    Leaders Ambassador Senator Governor Mayor Former Foreign Commander General Spokesman
    Spokeswoman Sir Professor Judge Director Officials Official NGO
    """.split()
)
# The state itself, in its official name: "Kingdom of Norway", "People's Republic of China".
STATE_WORDS = frozenset({"Kingdom", "Republic", "Government", "State", "Commonwealth"})
# Prepositions after a title that name the place of the office: "Ambassador to China".
TITLE_PREPOSITIONS = frozenset({"to", "of", "in"})
# Lower-case words that may sit inside a name: "Ministry of Justice", "de Volkskrant".
NAME_PARTICLES = frozenset({"of", "de", "van", "von", "der", "den", "bin", "ibn", "al", "du", "la"})

NAME_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
# What may come between a sentence's end and its first word: spaces, opening quotes, brackets.
OPENERS = frozenset(" \"'([“‘")

# What a longer run may add around each kind of entity without taking the name away.
KEEPS_WORDS_BEFORE = frozenset({"place", "group"})
KEEPS_WORDS_AFTER = frozenset({"organisation"})


def is_heading(paragraph: str, words: list[str] | None = None) -> bool:
    """A title-case line ("How the CCP Organized Its Surveillance Regime"): capitals say nothing."""
    if paragraph.endswith((".", "!", "?", '"', ":")):
        return False  # nearly every paragraph: decided before reading its words
    if words is None:
        words = NAME_WORD.findall(paragraph)
    long_words = [w for w in words if len(w) > 3]
    return len(words) <= 15 and len(long_words) >= 2 and all(w[0].isupper() for w in long_words)


def starts_sentence(text: str, start: int) -> bool:
    while start > 0 and text[start - 1] in OPENERS:
        start -= 1
    return start == 0 or text[start - 1] in ".!?:"


def capitalised_inside_sentences(paragraphs: Iterable[str]) -> frozenset[str]:
    """Every capitalised word the article writes somewhere other than at a sentence's start."""
    return frozenset(
        match.group()
        for paragraph in paragraphs
        for match in NAME_WORD.finditer(paragraph)
        if match.group()[:1].isupper() and not starts_sentence(paragraph, match.start())
    )


class CapitalisedInside:
    """`capitalised_inside_sentences` of an article, read on first need (rarely needed)."""

    def __init__(self, paragraphs: Sequence[str]):
        self.paragraphs = paragraphs
        self._words: frozenset[str] | None = None

    def __contains__(self, word: str) -> bool:
        if self._words is None:
            self._words = capitalised_inside_sentences(self.paragraphs)
        return word in self._words


def is_name_word(
    word: str, at_sentence_start: bool, capitalised: CapitalisedInside | frozenset[str]
) -> bool:
    """A capitalised word that is not a function word or a title. At a sentence's start a
    capital says nothing, so there only a word the article also capitalises inside a
    sentence counts: "Bank of China is…" after "at Bank of China", but not "Hundreds of
    Uighurs" or "Critics of China"."""
    if not word[:1].isupper() or word in STOP_WORDS or word in TITLE_WORDS:
        return False
    return not at_sentence_start or word in capitalised


class LongerNames:
    """Decides, for the names found in one paragraph, which sit inside a longer proper name."""

    def __init__(
        self,
        paragraph: str,
        found: list[tuple[int, int]],
        capitalised: CapitalisedInside | frozenset[str],
    ):
        self.paragraph = paragraph
        self.capitalised = capitalised
        self.heading = is_heading(paragraph)
        self.taken = bytearray(len(paragraph))
        for start, end in found:
            self.taken[start:end] = b"\x01" * (end - start)

    def takes_away(self, start: int, end: int, kind: str) -> bool:
        """Whether the name at [start:end], of an entity of `kind`, is part of a longer name."""
        if self.paragraph[end : end + 1] == "$":
            return True  # "US$3 billion"
        if self.heading:
            return False
        before, through_particle = self._extends_before(start)
        if through_particle or (before and kind not in KEEPS_WORDS_BEFORE):
            return True
        if kind not in KEEPS_WORDS_AFTER and self._after_a_title(start):
            return False  # "Ambassador to China Octavio Valerio": his name follows
        return self._extends_after(end) and kind not in KEEPS_WORDS_AFTER

    def _after_a_title(self, start: int) -> bool:
        """Whether a title and a preposition come right before: "Ambassador to China"."""
        word = self._word_before(start)
        if word is None or word[1] not in TITLE_PREPOSITIONS:
            return False
        title = self._word_before(word[0])
        return title is not None and title[1] in TITLE_WORDS

    def _word_before(self, at: int) -> tuple[int, str] | None:
        """The word ending one space before `at`, with its start."""
        text = self.paragraph
        end = at - 1
        if end < 1 or text[end] != " ":
            return None
        # Back over the letters, digits and inner hyphens or apostrophes of NAME_WORD.
        start = end
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] in _INSIDE_WORDS):
            start -= 1
        while start < end and not text[start].isalnum():
            start += 1
        if start == end or not text[end - 1].isalnum():
            return None  # no word, or one that ends with an apostrophe ("Uighurs' ")
        return start, text[start:end]

    def _word_after(self, at: int) -> tuple[int, str] | None:
        """The word starting one space after `at`, with its start."""
        if self.paragraph[at : at + 1] != " ":
            return None
        match = NAME_WORD.match(self.paragraph, at + 1)
        return (match.start(), match.group()) if match else None

    def _names(self, word: tuple[int, str] | None, joined_by_particle: bool = False) -> bool:
        """Whether `word` is a name word that extends the name. A capital at a sentence's start
        counts right before the name ("Ahmet Zair, a shopkeeper, said"), but across a particle
        only if the article capitalises the word inside a sentence too ("Hundreds of")."""
        if word is None:
            return False
        start, text = word
        if self.taken.find(1, start, start + len(text)) != -1:
            return False  # another known name: "Uyghur Muslims"
        at_start = joined_by_particle and starts_sentence(self.paragraph, start)
        return is_name_word(text, at_start, self.capitalised)

    def _extends_before(self, start: int) -> tuple[bool, bool]:
        """(a name word comes right before, a name joins through a particle: "Bank of")."""
        word = self._word_before(start)
        if word is None:
            return False, False
        if word[1] in NAME_PARTICLES:
            owner = self._word_before(word[0])
            return False, (
                owner is not None and owner[1] not in STATE_WORDS and self._names(owner, True)
            )
        return self._names(word), False

    def _extends_after(self, end: int) -> bool:
        if self.paragraph[end : end + 1] in ("'", "’"):
            return False  # "China's banks": the name ends with its possessive
        word = self._word_after(end)
        if word is None:
            return False
        if word[1] in NAME_PARTICLES:
            return self._names(self._word_after(word[0] + len(word[1])))
        return self._names(word)


_INSIDE_WORDS = frozenset("_-'’")
