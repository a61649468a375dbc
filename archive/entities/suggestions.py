"""Names the articles keep using that no entity spells yet, most widespread first.

A name is a run of capitalised words ("Abduweli Ayup", "Safeguard
Defenders", "Ministry of Public Security"), cut where the text names a known
entity. Capitalised function words that start sentences ("The", "However")
are not names; neither is a single word written lower case elsewhere in the
same article ("Police" / "police") or one seen only at the start of a sentence.
Title-case headings are skipped, and a name that ends with another name seen
on its own counts for that one ("NGO Safeguard Defenders", "President Joe
Biden" for "Safeguard Defenders", "Joe Biden").
"""

import re
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.text import slugify

from archive.entities.matching import NameFinder
from archive.entities.proper_names import (
    NAME_PARTICLES,
    NAME_WORD,
    STOP_WORDS,
    is_heading,
    starts_sentence,
)
from archive.entities.vocabulary import current_vocabulary
from archive.models import PARAGRAPH_SEPARATOR, Article, Entity, EntityRedirect
from archive.search.text import fold, normalise_punctuation

POSSESSIVE = re.compile(r"'s?$")


@dataclass(frozen=True)
class Suggestion:
    name: str
    articles: int
    occurrences: int
    example_article_id: int


@dataclass
class _Word:
    text: str
    sentence_start: bool


@dataclass
class _Tally:
    example_article_id: int
    articles: int = 0
    occurrences: int = 0
    forms: Counter = field(default_factory=Counter)  # how the name is written

    def absorb(self, other: "_Tally") -> None:
        self.articles += other.articles
        self.occurrences += other.occurrences
        self.example_article_id = min(self.example_article_id, other.example_article_id)


def names_in(body: str, vocabulary: NameFinder) -> list[str]:
    """Every occurrence of a capitalised name in `body` that `vocabulary` does not spell."""
    plain_body = normalise_punctuation(body)
    lower_case = {w for w in NAME_WORD.findall(plain_body) if w.islower()}
    names = []
    for paragraph in plain_body.split(PARAGRAPH_SEPARATOR):
        words = list(NAME_WORD.finditer(paragraph))
        if is_heading(paragraph, [match.group() for match in words]):
            continue
        known = bytearray(len(paragraph))
        for start, end, _ in vocabulary.find_in(paragraph):
            known[start:end] = b"\x01" * (end - start)
        run: list[_Word] = []
        previous_end = 0
        for match in words:
            word, start = POSSESSIVE.sub("", match.group()), match.start()
            joined = paragraph[previous_end:start] == " "
            previous_end = match.end()
            is_known = known.find(1, start, match.end()) != -1
            contraction = "'" in word and word.split("'")[0] in STOP_WORDS  # "I've"
            capitalised = word[0].isupper() and len(word) > 1  # not the U of U.S.
            fits = (capitalised and not contraction) or (word in NAME_PARTICLES and bool(run))
            if run and (not joined or is_known or not fits):
                names += _name_of(run, lower_case, vocabulary)
                run = []
            if is_known or not fits:
                continue
            run.append(_Word(word, starts_sentence(paragraph, start)))
            if word != match.group():  # "Ayup's wife": the name ends here
                names += _name_of(run, lower_case, vocabulary)
                run = []
        names += _name_of(run, lower_case, vocabulary)
    return names


def _name_of(run: list[_Word], lower_case: set[str], vocabulary: NameFinder) -> list[str]:
    """The name in a run of capitalised words, as a list of none or one."""
    while run and run[-1].text in NAME_PARTICLES:
        run = run[:-1]
    while run and (
        run[0].text in STOP_WORDS or (run[0].sentence_start and run[0].text.lower() in lower_case)
    ):
        run = run[1:]
    if not run:
        return []
    if len(run) == 1:
        word = run[0]
        if word.sentence_start or word.text.lower() in lower_case:
            return []
    name = " ".join(word.text for word in run)
    return [] if vocabulary.spells(name) else [name]


def _shorter_name(key: str, keys) -> str | None:
    """The longest name of two words or more among `keys` that `key` ends with."""
    words = key.split(" ")
    for first in range(1, len(words) - 1):
        suffix = " ".join(words[first:])
        if suffix in keys:
            return suffix
    return None


def _fold_into_shorter_names(tallies: dict[str, _Tally]) -> None:
    for key in sorted(tallies, key=lambda k: -k.count(" ")):
        shorter = _shorter_name(key, tallies)
        if shorter is not None:
            tallies[shorter].absorb(tallies.pop(key))


def suggest_entities(articles: QuerySet[Article], limit: int = 50) -> list[Suggestion]:
    """The `limit` unknown names found in the most articles (then most often), with an example."""
    vocabulary = current_vocabulary().names
    tallies: dict[str, _Tally] = {}
    for article_id, body in articles.order_by("pk").values_list("pk", "body").iterator(2_000):
        in_article: dict[str, _Tally] = {}
        for name in names_in(body, vocabulary):
            tally = in_article.setdefault(fold(name), _Tally(article_id))
            tally.occurrences += 1
            tally.forms[name] += 1
        # Within the article first, so that no article counts twice for a name.
        _fold_into_shorter_names(in_article)
        for key, tally in in_article.items():
            tally.articles = 1
            if key in tallies:
                tallies[key].absorb(tally)
                tallies[key].forms.update(tally.forms)
            else:
                tallies[key] = tally
    _fold_into_shorter_names(tallies)
    ranked = sorted(tallies.items(), key=lambda kv: (-kv[1].articles, -kv[1].occurrences, kv[0]))
    return [
        Suggestion(
            name=tally.forms.most_common(1)[0][0],
            articles=tally.articles,
            occurrences=tally.occurrences,
            example_article_id=tally.example_article_id,
        )
        for _, tally in ranked[:limit]
    ]


def create_entity(name: str, kind: str) -> Entity:
    """The entity for a suggested name, with a slug no other entity has."""
    existing = Entity.objects.filter(name__iexact=name.strip(), kind=kind).first()
    if existing:
        return existing
    base = slugify(name)[:280] or "entity"
    slug, number = base, 2
    while (
        Entity.objects.filter(slug=slug).exists()
        or EntityRedirect.objects.filter(old_slug=slug).exists()
    ):
        slug, number = f"{base}-{number}", number + 1
    return Entity.objects.create(name=name.strip(), slug=slug, kind=kind)
