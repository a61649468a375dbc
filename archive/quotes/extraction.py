"""Find the quotations in an article's paragraphs and who the article says spoke them.

Pure functions, no database: `find_quotes(paragraphs, names)` is what the
importer, the admin, the benchmark and the tests all call; `names` are the
entity mentions already found in the article (see archive.quotes.records
for the article-level wrapper).

What counts as a quotation:

* text between quotation marks of any common style: “…” „…“ «…» "…" ‘…’
  (a straight single quote is never taken: it is an apostrophe too often);
* at least MIN_WORDS words; shorter quoted phrases are scare quotes or terms
  ("vocational education centers");
* not a title or a name for something: Title Case with no sentence
  punctuation, or introduced by "so-called", "calls", "dubbed", "titled"…;
* and speech: attributed to someone, or a full sentence (starts with a
  capital or ends with . ? !), or introduced by a word of speech in the same
  sentence ("said", "told", "messages", "directives"). A lower-case fragment
  embedded in the writer's own sentence ("flagged "people who leave the
  country and do not return" as a risk") is not.

A quotation that runs over several paragraphs follows the news convention:
no closing mark at the end of a paragraph, an opening mark at the start of
the next. Each paragraph's part is its own quote (a quote has one
paragraph and its offsets), all parts with the speaker named at the end.
Paragraphs are known by their numbers, ¶1 first (archive.paragraphs), in
what `find_quotes` is given (`names`) and in what it finds.

Who said it, in this order: after the quote ("…," Zair said / said Zair /
he said / according to X), before it (X said: "…" / X told Apple Daily "…" /
according to X, "…" / X's directives to "…"), or, for a quote with no
attribution of its own, the speaker of the quote just before it in the same
paragraph (or ending the previous paragraph, for a paragraph that opens
with a quote). "He" or "she" is resolved only when the same paragraph before
the quote (else the previous paragraph) names exactly one person; otherwise
the quote is kept unattributed. Nothing is guessed.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from archive.paragraphs import FIRST, numbered
from archive.search.text import fold, normalise_punctuation, words_as_written
from archive.sentences import sentence_stops

MIN_WORDS = 4
# "…," Zair said: a quote attributed right after its closing mark may be as short as this.
MIN_WORDS_ATTRIBUTED = 2
# Words between a speech verb and the quote it introduces ("told Apple Daily on Wednesday that").
MAX_WORDS_AFTER_VERB = 8
# What may separate two quotes of one speaker: "…," Sullivan said Monday, according to the Post. "…"
MAX_CONTINUATION_WORDS = 25

PERSON = "person"
ORGANISATION = "organisation"
SPEAKER_KINDS = frozenset({PERSON, ORGANISATION})

# Opening mark -> the marks that may close it.
_CLOSERS = {
    "\u201c": "\u201d",  # “ ”
    "\u201e": "\u201c\u201d",  # „ “ (German) or „ ” (Polish)
    "\u00ab": "\u00bb",  # « »
    "\u2039": "\u203a",  # ‹ ›
    '"': '"',
    "\u2018": "\u2019",  # ‘ ’
}
# Marks that are also apostrophes or plain typing: open only where a word starts.
_AMBIGUOUS = frozenset({'"', "\u2018", "\u2039"})
# The scans below jump from mark to mark: walking every character in Python took
# a third of the extraction's time on an import.
_OPENERS = re.compile("[" + re.escape("".join(_CLOSERS)) + "]")
_CLOSING_MARKS = {closers: re.compile(f"[{re.escape(closers)}]") for closers in _CLOSERS.values()}
_OPEN_AFTER = frozenset("([{\u2014\u2013-/:")

_VERBS = (
    "said|says|say|saying|told|tells|tell|telling|added|adds|announced|announces|declared|"
    "declares|stated|states|wrote|writes|explained|explains|warned|warns|commented|comments|"
    "claimed|claims|insisted|insists|recalled|recalls|asked|asks|replied|replies|responded|"
    "noted|notes|argued|argues|stressed|stresses|urged|urges|continued|posted|tweeted|"
    "testified|cried|shouted|vowed|vows|pledged|admitted|admits|remarked|concluded|recounted|"
    "complained|complains|wondered|lamented|acknowledged|acknowledges|reiterated|whispered|"
    "pleaded|added"
)
# "added to the list", "was told to leave" are not speech; "said to him" is.
_NOT_TO = r"(?:(?<!add)(?<!added)(?<!adds)(?<!told)(?<!tell)(?<!tells)|(?! to\b))"
VERB = re.compile(rf"\b(?:{_VERBS})\b{_NOT_TO}", re.IGNORECASE)
# Nouns of speech that may stand between a speaker and a quote ("Xi's directives to").
_NOUNS = (
    "directives?|words|calls?|orders?|instructions?|statements?|remarks|comments?|messages?|"
    "pledges?|promises?|warnings?|demands?|speech|vows?|appeals?|message|slogans?|posts?|"
    "tweets?|letters?|testimony|reply|response|answer|plea"
)
SPEECH_WORD = re.compile(
    rf"\b(?:(?:{_VERBS})\b{_NOT_TO}|(?:{_NOUNS}|according to|quoted)\b)", re.IGNORECASE
)
# How near a word of speech must be to the quote it introduces.
SPEECH_WORD_WINDOW = 12
# Words just before a quote that make it a name for something, not speech.
NAMING_CUE = re.compile(
    r"\b(?:so-called|called|calls|call it|dubbed|dubs|termed|terms|labell?ed|labels|known as|"
    r"titled|entitled|headlined|named|nicknamed|the (?:book|report|film|documentary|song|novel|"
    r"article|campaign|slogan|term|phrase|word|hashtag|programme|program|policy|motto))"
    r"[\s,]*$",
    re.IGNORECASE,
)
PRONOUNS = frozenset({"he", "she", "they", "it", "we", "i", "you"})
RESOLVABLE_PRONOUNS = frozenset({"he", "she"})
# Leading words of a name that are a role, not the name ("President Xi Jinping").
TITLES = frozenset(
    """
    President Minister Secretary General Advisor Adviser Spokesman Spokeswoman Spokesperson
    Senator Sen Rep Representative Mr Mrs Ms Miss Dr Professor Prof Chairman Chairwoman
    Director Ambassador Governor Mayor Judge Imam Chief Deputy Commissioner Premier Sir
    Activist Dissident Officer Captain Colonel Lieutenant Councillor Councilor Attorney Lawyer
    Researcher Journalist Reporter MP MEP
    """.split()
)
NOT_NAMES = frozenset(
    """
    A An The This That These Those It Its He She They We I You His Her Their Our My Your
    And Or But So Yet If As While Then Now Also However Meanwhile Still Later Earlier
    In On At Of For From By With To After Before When Where Why How What Which Who
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday Today Yesterday Tomorrow
    January February March April May June July August September October November December
    Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec
    """.split()
)
NAME_PARTICLES = r"(?:de|van|von|der|den|al|bin|ibn|du|la|el|of)"
# A capitalised word, possibly hyphenated or with an inner apostrophe (O'Brien), never a
# possessive's "'s"; an initial may end with a full stop.
_CAPITALISED = r"[A-Z][\w]*(?:-\w+)*(?:'(?!s\b)\w+)?(?:\.(?=\s[A-Z]))?"
NAME = rf"(?P<name>{_CAPITALISED}(?:\s+(?:{NAME_PARTICLES}\s+)?{_CAPITALISED})*)"
_ADVERB = r"(?:\s+(?:\w+ly|also|further|then|later|once|again|had|has|have|was|is))?"
_LEAD = r"^[\s,\u2014\u2013-]*"

AFTER_SPEAKER_VERB = re.compile(
    rf"{_LEAD}(?:the\s+)?{NAME}{_ADVERB}\s+(?P<verb>{_VERBS})\b{_NOT_TO}"
)
AFTER_PRONOUN_VERB = re.compile(
    rf"{_LEAD}(?P<pronoun>he|she|they|it|we|i){_ADVERB}\s+(?P<verb>{_VERBS})\b{_NOT_TO}",
    re.IGNORECASE,
)
AFTER_VERB_SPEAKER = re.compile(rf"{_LEAD}(?P<verb>{_VERBS})\s+(?:the\s+)?{NAME}")
AFTER_ACCORDING = re.compile(
    r"^[\s,\u2014\u2013-]*according\s+to\s+(?P<phrase>[^,.;:!?\"]{2,80})", re.IGNORECASE
)
BEFORE_ACCORDING = re.compile(
    r"\baccording\s+to\s+(?P<phrase>[^,.;:!?\"]{2,80}?)\s*,\s*$", re.IGNORECASE
)
BEFORE_POSSESSIVE = re.compile(
    rf"(?:the\s+)?{NAME}'s?\s+(?:\w+\s+)?(?:{_NOUNS})(?:\s+(?:to|that|of|was|were|is|for))?"
    r"(?:\s+\w+)?[\s,:]*$"
)
# "BBC Two controller Roly Keating: "…"": a name and a colon introduce the words.
BEFORE_COLON = re.compile(rf"(?<![\w'])(?:the\s+)?{NAME}:\s*$")
BEFORE_PRONOUN = re.compile(rf"\b(?P<pronoun>he|she|they|it|we|i){_ADVERB}\s*$", re.IGNORECASE)
BEFORE_NAME = re.compile(rf"(?:the\s+)?{NAME}{_ADVERB}\s*$")
# "Kerim Zair, a Uighur who moved to London, said": the subject opens the sentence.
SENTENCE_SUBJECT = re.compile(rf"^\s*(?:the\s+|The\s+)?{NAME},")
_TRAILING = " \t,;:\u2014\u2013-"
_LEFTOVER = frozenset(" \t.,;:!?\"')]\u2014\u2013-")


@dataclass(frozen=True, slots=True)
class Name:
    """A name written in a paragraph: a tagged entity (`entity_id`, `kind`), or capitalised
    words no entity spells (`entity_id` None), which may be a person."""

    paragraph: int
    start: int
    end: int
    text: str
    entity_id: int | None = None
    kind: str | None = None


@dataclass
class FoundQuote:
    """A quotation found in paragraph number `paragraph` at `[start:end]` (marks excluded)."""

    paragraph: int
    start: int
    end: int
    text: str
    speaker_name: str = ""
    speaker_id: int | None = None
    rule: str = ""  # how the speaker was found; "" when unattributed
    # Where the speaker's name is written (paragraph, start, end), when it is.
    speaker_at: tuple[int, int, int] | None = None


@dataclass
class _Marked:
    """The span between a pair of quotation marks; `close` is None when it runs to the end."""

    paragraph: int
    open: int
    close: int | None


@dataclass
class _Speaker:
    name: str = ""
    paragraph: int | None = None
    start: int | None = None
    end: int | None = None
    pronoun: str = ""
    rule: str = ""
    after: bool = False  # named after the quote ("…," Zair said): the surest sign of speech

    @property
    def found(self) -> bool:
        return bool(self.rule)


@dataclass
class _Chain:
    """A quotation: one marked span, or several when it runs over paragraphs."""

    parts: list[_Marked] = field(default_factory=list)
    speaker: _Speaker = field(default_factory=_Speaker)
    speaker_id: int | None = None


# -- quotation marks -----------------------------------------------------------------------


def _can_open(text: str, index: int) -> bool:
    mark = text[index]
    following = text[index + 1 : index + 2]
    if not following or following.isspace():
        return False
    if mark in _AMBIGUOUS:
        before = text[index - 1 : index]
        return not before or before.isspace() or before in _OPEN_AFTER
    return True


def _closing(text: str, start: int, closers: str) -> int | None:
    for found in _CLOSING_MARKS[closers].finditer(text, start):
        index = found.start()
        before = text[index - 1 : index]
        after = text[index + 1 : index + 2]
        if before.isspace():
            continue  # a closing mark hugs its text
        if text[index] == "\u2019" and after.isalnum():
            continue  # an apostrophe: don’t, Uyghurs’s
        return index
    return None


def marked_spans(text: str, paragraph: int = FIRST) -> list[_Marked]:
    """Every top-level pair of quotation marks in `text`, left to right."""
    spans, index = [], 0
    while found := _OPENERS.search(text, index):
        index = found.start()
        mark = text[index]
        if _can_open(text, index):
            close = _closing(text, index + 1, _CLOSERS[mark])
            spans.append(_Marked(paragraph, index, close))
            if close is None:
                break
            index = close + 1
            continue
        index += 1
    return spans


def _chains(texts: Mapping[int, str]) -> list[_Chain]:
    """The marked spans grouped into quotations, multi-paragraph ones joined, unclosed dropped."""
    chains, pending = [], None
    for number, text in texts.items():
        spans = marked_spans(text, number)
        if pending is not None:
            if spans and spans[0].open == 0:
                pending.parts.append(spans.pop(0))
                if pending.parts[-1].close is not None:
                    chains.append(pending)
                    pending = None
                else:
                    continue  # runs on into the next paragraph too
            else:
                pending = None  # never closed: not a quotation we can delimit
        for span in spans:
            chain = _Chain([span])
            if span.close is None:
                pending = chain
            else:
                chains.append(chain)
    return chains


def _inner(text: str, span: _Marked) -> tuple[int, int]:
    """The quoted words' offsets: marks, surrounding space and a trailing comma left out."""
    start = span.open + 1
    end = len(text) if span.close is None else span.close
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1] in _TRAILING:
        end -= 1
    return start, end


# -- sentences around a quote ---------------------------------------------------------------


def _sentence_start(plain: str, limit: int, floor: int = 0) -> int:
    start = floor
    for stop in sentence_stops(plain, floor, limit):
        start = stop.end()
    return start


def _sentence_end(plain: str, start: int, ceiling: int) -> int:
    stop = next(sentence_stops(plain, start, ceiling), None)
    return stop.start() if stop else ceiling


def _clean_name(text: str, start: int) -> tuple[str, int, int] | None:
    """A speaker's name without roles and function words around it; None if nothing is left.

    "National Security Advisor Jake Sullivan" -> "Jake Sullivan", "Then Zair" -> "Zair".
    """
    words = list(re.finditer(r"\S+", text))
    while len(words) > 1 and words[0].group().rstrip(".") in NOT_NAMES:
        words.pop(0)
    roles = [i for i, w in enumerate(words[:-1]) if w.group().rstrip(".") in TITLES]
    if roles:
        words = words[roles[-1] + 1 :]
    while words and words[-1].group().rstrip(".,") in NOT_NAMES:
        words.pop()
    if not words or words[0].group().rstrip(".") in NOT_NAMES:
        return None
    begin, finish = words[0].start(), words[-1].end()
    name = text[begin:finish].rstrip(".,")
    return name, start + begin, start + begin + len(name)


def _named(paragraph: int, match: re.Match, group: str, rule: str) -> _Speaker:
    cleaned = _clean_name(match.group(group), match.start(group))
    if cleaned is None:
        return _Speaker(rule=rule)  # speech, but the speaker is not named
    name, start, end = cleaned
    return _Speaker(name, paragraph, start, end, rule=rule)


def _phrase(paragraph: int, match: re.Match, rule: str, offset: int) -> _Speaker:
    phrase = match.group("phrase").strip()
    start = match.start("phrase") + offset
    if len(phrase.split()) > 8 or not any(c.isupper() for c in phrase):
        return _Speaker(rule=rule)
    return _Speaker(phrase, paragraph, start, start + len(phrase), rule=rule)


def _speaker_after(
    plain: str, paragraph: int, after_start: int, after_end: int, quote_text: str
) -> _Speaker:
    """The speaker named right after the closing mark ("…," Zair said / said Zair / he said).

    A quote that ends its sentence with a full stop has none ("…." He added:
    "…" introduces the next one); after ? or !, only a lower-case "he said"
    or "said X" can follow; and a speaker followed by a colon introduces the
    next quote.
    """
    ending = quote_text.rstrip()[-1:]
    if ending in ".…":
        return _Speaker()
    after = plain[after_start:after_end].lstrip(" ,\u2014\u2013-")
    if ending in "?!" and after[:1].isupper():
        return _Speaker()
    speaker = _attribution_after(plain, paragraph, after_start, after_end)
    if speaker.found and re.match(r"[^.!?]*?:\s*$", plain[after_start:after_end]):
        return _Speaker()
    speaker.after = speaker.found
    return speaker


def _attribution_after(plain: str, paragraph: int, after_start: int, after_end: int) -> _Speaker:
    after = plain[after_start:after_end]
    for pattern, rule in (
        (AFTER_PRONOUN_VERB, "pronoun"),
        (AFTER_SPEAKER_VERB, "after"),
        (AFTER_VERB_SPEAKER, "after"),
    ):
        match = pattern.match(after)
        if not match:
            continue
        if rule == "pronoun":
            return _Speaker(pronoun=match.group("pronoun").lower(), rule=rule)
        word = match.group("name").split()[0]
        if rule == "after" and word.lower() in PRONOUNS:
            return _Speaker(pronoun=word.lower(), rule="pronoun")
        speaker = _named(paragraph, match, "name", rule)
        if speaker.start is not None:
            speaker.start += after_start
            speaker.end += after_start
        return speaker
    match = AFTER_ACCORDING.match(after)
    if match:
        return _phrase(paragraph, match, "according", after_start)
    return _Speaker()


def _speaker_before(plain: str, paragraph: int, before_start: int, before_end: int) -> _Speaker:
    before = plain[before_start:before_end]
    match = BEFORE_ACCORDING.search(before)
    if match:
        return _phrase(paragraph, match, "according", before_start)
    match = BEFORE_POSSESSIVE.search(before)
    if match:
        speaker = _named(paragraph, match, "name", "possessive")
        if speaker.start is not None:
            speaker.start += before_start
            speaker.end += before_start
        return speaker
    verbs = list(VERB.finditer(before))
    if not verbs:
        match = BEFORE_COLON.search(before)
        if match and len(match.group("name").split()) > 1:
            speaker = _named(paragraph, match, "name", "before")
            if speaker.start is not None:
                speaker.start += before_start
                speaker.end += before_start
            return speaker
        return _Speaker()
    verb = verbs[-1]
    if len(before[verb.end() :].split()) > MAX_WORDS_AFTER_VERB:
        return _Speaker()
    ahead = before[: verb.start()].rstrip()
    pronoun = BEFORE_PRONOUN.search(ahead)
    if pronoun:
        return _Speaker(pronoun=pronoun.group("pronoun").lower(), rule="pronoun")
    subject = (SENTENCE_SUBJECT if ahead.endswith(",") else BEFORE_NAME).search(ahead)
    if subject is None:
        return _Speaker()
    first = subject.group("name").split()[0]
    if first.lower() in PRONOUNS:
        return _Speaker(pronoun=first.lower(), rule="pronoun")
    speaker = _named(paragraph, subject, "name", "before")
    if speaker.start is not None:
        speaker.start += before_start
        speaker.end += before_start
    return speaker


# -- is it speech? ------------------------------------------------------------------------


def _looks_like_title(words: list[str], text: str) -> bool:
    long_words = [w for w in words if len(w) > 3 and w[0].isalpha()]
    return (
        len(long_words) >= 2
        and all(w[0].isupper() for w in long_words)
        and not text.rstrip("\"'”’").endswith((".", "!", "?", "…"))
    )


def _is_speech(text: str, before: str, chain: _Chain, speaker: _Speaker, continued: bool) -> bool:
    words = words_as_written(text)
    if len(words) < (MIN_WORDS_ATTRIBUTED if speaker.after else MIN_WORDS):
        return False
    attributed = speaker.found
    if NAMING_CUE.search(before):
        return False
    if len(chain.parts) == 1 and _looks_like_title(words, text):
        return False
    if attributed or continued or len(chain.parts) > 1:
        return True
    if text.rstrip("\"'”’").endswith((".", "!", "?", "…")):
        return True
    if SPEECH_WORD.search(" ".join(before.split()[-SPEECH_WORD_WINDOW:])):
        return True
    # A full sentence standing on its own: capitalised, opening its sentence or after a colon.
    return text[:1].isupper() and (not before.strip() or before.rstrip().endswith((":", ",")))


# -- speakers and entities -----------------------------------------------------------------


def _referent(name: Name) -> tuple:
    return ("entity", name.entity_id) if name.entity_id else ("name", fold(name.text.split()[-1]))


def _resolve_pronoun(
    chain: _Chain, names_by_paragraph: dict[int, list[Name]], spoken: dict[int, list[Name]]
) -> tuple[str, int | None] | None:
    """The one person the pronoun can mean, from the same paragraph before the quote, else the
    previous one; None when there is none or more than one."""
    first = chain.parts[0]
    same = [
        n
        for n in names_by_paragraph.get(first.paragraph, []) + spoken.get(first.paragraph, [])
        if n.start < first.open and n.kind in (PERSON, None)
    ]
    earlier = first.paragraph - 1
    candidates = same or [
        n
        for n in names_by_paragraph.get(earlier, []) + spoken.get(earlier, [])
        if n.kind in (PERSON, None)
    ]
    referents = {}
    for name in candidates:
        referents.setdefault(_referent(name), []).append(name)
    if len(referents) != 1:
        return None
    (forms,) = referents.values()
    fullest = max(forms, key=lambda n: (len(n.text.split()), -n.start))
    return fullest.text, fullest.entity_id


def _speaker_entity(speaker: _Speaker, names: Sequence[Name]) -> int | None:
    """The entity the article's own mentions give the speaker's words, or the person named in
    full earlier whose surname the speaker is ("Zair" after "Kerim Zair")."""
    if speaker.start is None:
        return None
    overlapping = [
        n
        for n in names
        if n.paragraph == speaker.paragraph
        and n.start < speaker.end
        and speaker.start < n.end
        and n.entity_id
        and n.kind in SPEAKER_KINDS
    ]
    if overlapping:
        return max(overlapping, key=lambda n: n.end - n.start).entity_id
    words = speaker.name.split()
    if len(words) != 1:
        return None
    surname = fold(words[0])
    people = {
        n.entity_id
        for n in names
        if n.kind == PERSON
        and n.entity_id
        and len(n.text.split()) > 1
        and fold(n.text.split()[-1]) == surname
        and (n.paragraph, n.start) <= (speaker.paragraph, speaker.start)
    }
    return people.pop() if len(people) == 1 else None


def _gap_allows_continuation(plain_gap: str) -> bool:
    return (
        len(plain_gap.split()) <= MAX_CONTINUATION_WORDS
        and len(list(sentence_stops(plain_gap + " A"))) <= 1
    )


# -- the whole article ---------------------------------------------------------------------


def find_quotes(paragraphs: Sequence[str], names: Sequence[Name] = ()) -> list[FoundQuote]:
    """Every quotation in `paragraphs`, in reading order, with its speaker where the text says.

    `names` are the names already found in the text (entity mentions, and
    capitalised names no entity spells, see `capitalised_names`): they link
    speakers to entities and decide whether a "he" or "she" is unambiguous.
    """
    texts = dict(numbered(paragraphs))
    plains = {number: normalise_punctuation(text) for number, text in texts.items()}
    names_by_paragraph: dict[int, list[Name]] = {}
    for name in names:
        names_by_paragraph.setdefault(name.paragraph, []).append(name)
    spoken: dict[int, list[Name]] = {}  # named speakers found so far, as names
    found: list[FoundQuote] = []
    previous: _Chain | None = None  # the last quotation kept
    for chain in _chains(texts):
        first, last = chain.parts[0], chain.parts[-1]
        first_plain, last_plain = plains[first.paragraph], plains[last.paragraph]
        before_start = _sentence_start(first_plain, first.open, _previous_close(chain, found))
        while before_start < first.open and first_plain[before_start] in _LEFTOVER:
            before_start += 1  # the previous quote's closing mark and punctuation
        before = first_plain[before_start : first.open]
        after_end = _after_end(last_plain, last.close + 1)
        last_text = _part_text(texts, last)[2]
        speaker = _speaker_after(last_plain, last.paragraph, last.close + 1, after_end, last_text)
        if not speaker.found:
            speaker = _speaker_before(first_plain, first.paragraph, before_start, first.open)
        continued = False
        if not speaker.found and previous is not None and previous.speaker.found:
            continued = _continues(previous, chain, plains)
            if continued:
                speaker = previous.speaker
                chain.speaker_id = previous.speaker_id
        parts = [_part_text(texts, part) for part in chain.parts]
        words = " ".join(text for _, _, text in parts)
        if not _is_speech(words, before, chain, speaker, continued):
            continue
        chain.speaker = speaker
        if not continued:
            chain.speaker_id = None
            if speaker.pronoun:
                resolved = (
                    _resolve_pronoun(chain, names_by_paragraph, spoken)
                    if speaker.pronoun in RESOLVABLE_PRONOUNS
                    else None
                )
                if resolved:
                    speaker.name, chain.speaker_id = resolved
            elif speaker.name:
                chain.speaker_id = _speaker_entity(speaker, names)
                if speaker.rule in ("after", "before", "possessive"):
                    spoken.setdefault(speaker.paragraph, []).append(
                        Name(
                            speaker.paragraph,
                            speaker.start,
                            speaker.end,
                            speaker.name,
                            chain.speaker_id,
                            _kind_of(names, chain.speaker_id),
                        )
                    )
        for part, (start, end, text) in zip(chain.parts, parts, strict=True):
            found.append(
                FoundQuote(
                    part.paragraph,
                    start,
                    end,
                    text,
                    speaker.name,
                    chain.speaker_id,
                    speaker.rule,
                    (speaker.paragraph, speaker.start, speaker.end)
                    if speaker.start is not None and not speaker.pronoun
                    else None,
                )
            )
        previous = chain
    return found


def _kind_of(names: Sequence[Name], entity_id: int | None) -> str | None:
    """The kind of a speaker's entity; an unknown speaker may be a person."""
    if entity_id is None:
        return PERSON
    return next((n.kind for n in names if n.entity_id == entity_id), None)


def _part_text(texts: Mapping[int, str], part: _Marked) -> tuple[int, int, str]:
    start, end = _inner(texts[part.paragraph], part)
    return start, end, texts[part.paragraph][start:end]


def _previous_close(chain: _Chain, found: list[FoundQuote]) -> int:
    """Where the sentence before a quote may start at the earliest: after the last quote kept."""
    paragraph = chain.parts[0].paragraph
    ends = [q.end for q in found if q.paragraph == paragraph and q.end <= chain.parts[0].open]
    return max(ends, default=0)


def _after_end(plain: str, start: int) -> int:
    """The end of the text after a quote that can hold its attribution: the sentence's end,
    or the next quotation mark."""
    following = plain.find('"', start)
    ceiling = following if following != -1 else len(plain)
    # A quote ending a sentence ("….” Then …) has no attribution after it; the regexes
    # look only at the start of this text, so the sentence's end is enough.
    return _sentence_end(plain, start, ceiling)


def _continues(previous: _Chain, chain: _Chain, plains: Mapping[int, str]) -> bool:
    """Whether `chain` goes on with `previous`'s speaker: the next quote in the same paragraph
    with at most the attribution between them, or a quote opening the next paragraph."""
    last, first = previous.parts[-1], chain.parts[0]
    if last.paragraph == first.paragraph:
        gap = plains[first.paragraph][last.close + 1 : first.open]
        # The new quote opens its sentence; the gap holds at most the one attribution.
        opens_sentence = not gap.strip() or gap.rstrip().endswith((".", "!", "?", '"', "'"))
        return opens_sentence and len(VERB.findall(gap)) <= 1 and _gap_allows_continuation(gap)
    if first.paragraph == last.paragraph + 1 and first.open == 0:
        return _gap_allows_continuation(plains[last.paragraph][last.close + 1 :])
    return False


_RUN = re.compile(rf"{_CAPITALISED}(?:\s+(?:{NAME_PARTICLES}\s+)?{_CAPITALISED})+")


def capitalised_names(paragraphs: Sequence[str], known: Sequence[Name] = ()) -> list[Name]:
    """Runs of two or more capitalised words that no known name covers: possible people.

    Used only to tell whether a "he" is unambiguous, so a false name here can
    only leave a quote unattributed, never attribute it wrongly.
    """
    texts = dict(numbered(paragraphs))
    covered: dict[int, bytearray] = {}
    for name in known:
        mask = covered.setdefault(name.paragraph, bytearray(len(texts[name.paragraph])))
        mask[name.start : name.end] = b"\x01" * (name.end - name.start)
    found = []
    for number, text in texts.items():
        plain = normalise_punctuation(text)
        mask = covered.get(number)
        for match in _RUN.finditer(plain):
            cleaned = _clean_name(match.group(), match.start())
            if cleaned is None:
                continue
            name, start, end = cleaned
            if len(name.split()) < 2:
                continue
            if mask is not None and mask.find(1, start, end) != -1:
                continue
            found.append(Name(number, start, end, text[start:end]))
    return found


def names_from_vocabulary(
    paragraphs: Sequence[str], vocabulary, kinds: dict[int, str]
) -> list[Name]:
    """The names a vocabulary (archive.entities.matching.NameFinder) finds, as the tagger would
    store them, with the capitalised names it does not spell: `find_quotes` without a database."""
    known = [
        Name(f.paragraph, f.start, f.end, f.surface, f.entity_id, kinds.get(f.entity_id))
        for f in vocabulary.tags(paragraphs).tags
    ]
    return known + capitalised_names(paragraphs, known)
