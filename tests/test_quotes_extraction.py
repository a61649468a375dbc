"""Quotations found in text: the seeds' quotes with their speakers, and the traps around them.

The hand-labelled sample below (SEED_QUOTES, TRICKY) is also what
bench/quotes.py measures precision and recall on (docs/quotes.md). Seed
labels come from reading the seed texts as imported; the tricky sentences
use invented people (Jane Roe, John Doe, Richard Roe, Mary Major) or
sentences taken from the seeds themselves (the Sullivan, DEA and Commerce
Department sentences are from the article the importer cuts from seed 003).
"""

import io
from dataclasses import dataclass

import pytest
from django.core.management import call_command

from archive.articles import save_article
from archive.entities.matching import NameFinder, entity_spellings
from archive.models import Article, Quote
from archive.paragraphs import paragraph_text
from archive.quotes.extraction import FoundQuote, find_quotes, marked_spans, names_from_vocabulary

ZAIR = (
    "They requested that I work for them. I rejected them. ... I don't know how they got my number"
)
JAILED_MAN = (
    "It’s an old matter, and they’ve known I’ve been abroad for a long time. The fact that "
    "they suddenly want this now must mean the pressure on them is very high.”"
)[:-1]

# (article slug, paragraph as readers see it, quote as written, speaker: entity, else name, else "")
SEED_QUOTES = [
    ("not-only-in-xinjiang-china-threatens-overseas-uighurs", 7, ZAIR, "Kerim Zair"),
    (
        "not-only-in-xinjiang-china-threatens-overseas-uighurs",
        9,
        "show absolutely no mercy",
        "Xi Jinping",
    ),
    (
        "dozens-of-people-converged-this-week-outside-chinas-embassies-in-turkey-and",
        7,
        "Today is the 1,049th day",
        "Baibolat Kunbolat",
    ),
    (
        "china-spying-on-uyghur-muslims-living-in-turkey",
        7,
        "Do not post anything about the government",
        "",
    ),
    (
        "china-spying-on-uyghur-muslims-living-in-turkey",
        7,
        "Don’t circulate lies about our country, don’t participate in illegal activities.",
        "",
    ),
    (
        "after-leaks-give-info-on-uighur-muslim-detention-camps-china-destroys-its",
        4,
        JAILED_MAN,
        "",
    ),
]

PEOPLE = {1: "Jane Roe", 2: "John Doe", 3: "Richard Roe", 4: "Mary Major"}
SULLIVAN = (
    "The Biden administration will be lifting sanctions on a Chinese government ministry, in "
    "exchange for bolstering anti-drug trafficking measures, Bloomberg reported. “We’re hoping "
    "to see some progress on that issue this coming week,” National Security Advisor Jake "
    "Sullivan said Monday, according to the New York Post. “That could then open the door to "
    "further cooperation on other issues where we aren’t just managing things, but we’re "
    "actually delivering tangible results.”"
)
DEA = (
    "Nonetheless, China and Mexico are “the primary source countries for fentanyl and "
    "fentanyl-related substances trafficked directly into the United States,” according to a "
    "2020 DEA intelligence report."
)
DEA_NEXT = (
    "“China remains the primary source of fentanyl and fentanyl-related substances trafficked "
    "through international mail and express consignment operations environment, as well as the "
    "main source for all fentanyl-related substances trafficked into the United States.”"
)
COMMERCE = (
    "Sources familiar with the situation told Bloomberg that the People’s Republic of China "
    "(PRC) will crack down on Chinese companies manufacturing chemical precursors for fentanyl "
    "in exchange for the U.S. lifting sanctions on the Ministry of Public Security’s Institute "
    "of Forensic Science, which the Commerce Department added to the Entity List in 2020 for "
    "“engaging in human rights violations and abuses” in the Xinjiang Uyghur Autonomous Region."
)


@dataclass(frozen=True)
class Case:
    """Paragraphs of an invented article and the quotes in it: (words, speaker or "")."""

    name: str
    paragraphs: tuple[str, ...]
    expected: tuple[tuple[str, str], ...]


TRICKY = [
    Case(
        "speaker said: quote",
        ('John Doe said: "We will keep asking where our relatives are held."',),
        (("We will keep asking where our relatives are held.", "John Doe"),),
    ),
    Case(
        "quote, said speaker",
        ('"Nobody tells us anything about them," said Jane Roe, a teacher.',),
        (("Nobody tells us anything about them", "Jane Roe"),),
    ),
    Case(
        "according to speaker, quote",
        ('According to Richard Roe, "the calls came every night for a month."',),
        (("the calls came every night for a month.", "Richard Roe"),),
    ),
    Case(
        "a lower-case label inside the writer's sentence",
        ('The committee described them as "temporary training facilities for adults" at once.',),
        (),
    ),
    Case(
        "a book title after a speech verb",
        ('She wrote the memoir "The Long Road Home From Exile" in a year.',),
        (),
    ),
    Case(
        "one-word scare quotes",
        ('Officials call the camps "schools" and deny the rest.',),
        (),
    ),
    Case(
        "so-called",
        ('The so-called "re-education through labour for the masses" programme ended.',),
        (),
    ),
    Case(
        "he, with two people named before: ambiguous",
        ('John Doe met Richard Roe in Geneva. "We have no news from home," he said.',),
        (("We have no news from home", ""),),
    ),
    Case(
        "she, with one person named in the previous paragraph",
        ("Mary Major left in the spring.", '"I still hear from my sister once a year," she said.'),
        (("I still hear from my sister once a year", "Mary Major"),),
    ),
    Case(
        "a quotation over two paragraphs",
        (
            '"The officers came at night and took my father away. We did not see him again.',
            '"Nobody would tell us where he was," said Jane Roe.',
        ),
        (
            (
                "The officers came at night and took my father away. We did not see him again.",
                "Jane Roe",
            ),
            ("Nobody would tell us where he was", "Jane Roe"),
        ),
    ),
    Case(
        "a second quote after the attribution",
        ('"I was afraid," John Doe told the newspaper. "But I had to speak out."',),
        (("I was afraid", "John Doe"), ("But I had to speak out.", "John Doe")),
    ),
    Case(
        "low and guillemet quotation marks",
        ("Jane Roe said: „We do not know where he is.“ «We will not be silenced,» John Doe said.",),
        (("We do not know where he is.", "Jane Roe"), ("We will not be silenced", "John Doe")),
    ),
    Case(
        "a two-word quote after said",
        ('John Doe said the food was "very bad" and left.',),
        (),
    ),
    Case(
        "the speaker's message",
        ('Jane Roe\'s message was clear: "I only wanted to see my children again."',),
        (("I only wanted to see my children again.", "Jane Roe"),),
    ),
    Case(
        "single curly quotes and apostrophes",
        ("‘We aren’t terrorists, we’re teachers,’ Richard Roe told reporters.",),
        (("We aren’t terrorists, we’re teachers", "Richard Roe"),),
    ),
    Case(
        "the surname alone, the full name earlier",
        (
            "Richard Roe, a lawyer, spoke in court.",
            '"The evidence was never shown to us," Roe said.',
        ),
        (("The evidence was never shown to us", "Richard Roe"),),
    ),
    Case(
        "they said",
        ('"We were told to keep quiet about it," they said.',),
        (("We were told to keep quiet about it", ""),),
    ),
    Case(
        "title and speaker after the quote; the next quote goes on (seed 003)",
        (SULLIVAN,),
        (
            ("We’re hoping to see some progress on that issue this coming week", "Jake Sullivan"),
            (
                "That could then open the door to further cooperation on other issues where we "
                "aren’t just managing things, but we’re actually delivering tangible results.",
                "Jake Sullivan",
            ),
        ),
    ),
    Case(
        "according to a report, then the report quoted on (seed 003)",
        (DEA, DEA_NEXT),
        (
            (
                "the primary source countries for fentanyl and fentanyl-related substances "
                "trafficked directly into the United States",
                "a 2020 DEA intelligence report",
            ),
            (DEA_NEXT[1:-1], "a 2020 DEA intelligence report"),
        ),
    ),
    Case("a listing's reason, not speech (seed 003)", (COMMERCE,), ()),
    Case(
        "a quote ending in a full stop takes no speaker from the next sentence",
        ('John Doe spoke first. "We never asked for any of this." He added: "Nor did our kin."',),
        (("We never asked for any of this.", ""), ("Nor did our kin.", "John Doe")),
    ),
    Case(
        "two speakers in one sentence",
        (
            'Jane Roe said "the rules are clear to everyone" in June, and Richard Roe said the '
            'rules were "a mystery to all of us here".',
        ),
        (
            ("the rules are clear to everyone", "Jane Roe"),
            ("a mystery to all of us here", "Richard Roe"),
        ),
    ),
    Case(
        "a name and a colon",
        ('Camp survivor Mary Major: "I will not stay silent about it."',),
        (("I will not stay silent about it.", "Mary Major"),),
    ),
]


def tricky_vocabulary() -> tuple[NameFinder, dict[int, str]]:
    spellings = [
        spelling
        for entity_id, name in PEOPLE.items()
        for spelling in entity_spellings(entity_id, name, [])
    ]
    return NameFinder(spellings), dict.fromkeys(PEOPLE, "person")


def find_in_case(case: Case) -> list[FoundQuote]:
    vocabulary, kinds = tricky_vocabulary()
    names = names_from_vocabulary(case.paragraphs, vocabulary, kinds)
    return find_quotes(case.paragraphs, names)


def speaker_label(found: FoundQuote, entity_names: dict[int, str]) -> str:
    """What a labelled speaker is compared with: the entity's name, else the name as written."""
    if found.speaker_id is not None:
        return entity_names[found.speaker_id]
    return found.speaker_name


@pytest.mark.parametrize("case", TRICKY, ids=[case.name for case in TRICKY])
def test_tricky_sentences(case):
    found = find_in_case(case)
    assert [(q.text, speaker_label(q, PEOPLE)) for q in found] == list(case.expected)
    for quote in found:
        written = paragraph_text(case.paragraphs, quote.paragraph)
        assert written[quote.start : quote.end] == quote.text


def test_quotation_marks_pair_without_taking_apostrophes():
    text = "Uyghurs’ “financial difficulties,” and ‘a quote here’ and don’t stop"
    spans = [(text[s.open], text[s.close]) for s in marked_spans(text)]
    assert spans == [("“", "”"), ("‘", "’")]


def test_a_stray_closing_mark_opens_nothing():
    text = 'his directives to "show absolutely no mercy" in the struggle", revealed the documents'
    spans = marked_spans(text)
    assert (
        len(spans) == 1 and text[spans[0].open + 1 : spans[0].close] == "show absolutely no mercy"
    )


# -- the seeds, imported --------------------------------------------------------------------


@pytest.fixture
def seeds_with_quotes(db, seed_dir):
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())
    call_command("extract_quotes", stdout=io.StringIO(), stderr=io.StringIO())
    return {article.slug: article for article in Article.objects.all()}


def _quotes(article):
    return list(article.quotes.filter(rejected=False).select_related("speaker"))


def test_every_seed_quote_is_found_with_its_speaker_and_nothing_else(seeds_with_quotes):
    found = sorted(
        (q.article.slug, q.paragraph, q.text, q.speaker.name if q.speaker else q.speaker_name)
        for q in Quote.objects.select_related("article", "speaker")
    )
    assert found == sorted(SEED_QUOTES)


def test_kerim_zair_said_they_asked_him_to_work_for_them(seeds_with_quotes):
    article = seeds_with_quotes["not-only-in-xinjiang-china-threatens-overseas-uighurs"]
    quote = next(q for q in _quotes(article) if q.text.startswith("They requested that I work"))
    assert quote.speaker_name == "Zair"  # as written; the entity is the full name
    assert quote.speaker.name == "Kerim Zair"
    assert quote.paragraph == 7  # ¶7 on the article's page
    assert article.paragraphs[7 - 1][quote.start : quote.end] == quote.text


def test_xi_jinpings_directive_show_absolutely_no_mercy(seeds_with_quotes):
    article = seeds_with_quotes["not-only-in-xinjiang-china-threatens-overseas-uighurs"]
    quote = next(q for q in _quotes(article) if q.text == "show absolutely no mercy")
    assert quote.speaker.name == "Xi Jinping"
    assert quote.paragraph == 9


def test_baibolat_kunbolat_announced_the_1049th_day(seeds_with_quotes):
    article = seeds_with_quotes[
        "dozens-of-people-converged-this-week-outside-chinas-embassies-in-turkey-and"
    ]
    (quote,) = _quotes(article)
    assert quote.text == "Today is the 1,049th day"
    # "he announced": the paragraph names one person before the quote.
    assert (quote.speaker_name, quote.speaker.name) == ("Baibolat Kunbolat", "Baibolat Kunbolat")


def test_the_jailed_mans_words_are_kept_unattributed_not_guessed(seeds_with_quotes):
    article = seeds_with_quotes[
        "after-leaks-give-info-on-uighur-muslim-detention-camps-china-destroys-its"
    ]
    (quote,) = _quotes(article)
    assert quote.text.startswith("It’s an old matter")
    assert quote.text.endswith("the pressure on them is very high.")
    # "He commented": no person is named in that paragraph or the one before.
    assert (quote.speaker_name, quote.speaker) == ("", None)


def test_scare_quotes_are_no_ones_speech(seeds_with_quotes):
    texts = set(Quote.objects.values_list("text", flat=True))
    for phrase in (
        "vocational education centers",
        "vocational training schools",
        "financial difficulties",
        "separatists",
        "people who leave the country and do not return",
    ):
        assert not any(phrase in text for text in texts), phrase


def test_extracting_twice_changes_nothing(seeds_with_quotes):
    out = io.StringIO()
    call_command("extract_quotes", stdout=out, stderr=io.StringIO())
    assert "0 added, 0 updated, 0 removed" in out.getvalue()


def test_saving_an_article_extracts_its_quotes(db):
    article = save_article(
        Article(
            title="A statement",
            slug="a-statement",
            body='"We will keep asking where our relatives are held," Jane Roe said.',
        )
    )
    (quote,) = article.quotes.all()
    assert (quote.text, quote.speaker_name, quote.origin) == (
        "We will keep asking where our relatives are held",
        "Jane Roe",
        Quote.Origin.EXTRACTED,
    )
    assert quote.shingles.count() == quote.shingle_count > 0


def test_extract_quotes_refuses_unknown_ids(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No article with id 999"):
        call_command("extract_quotes", "999", stdout=io.StringIO())


def test_the_demo_comes_with_the_seed_quotes(db):
    call_command("setup_demo", stdout=io.StringIO())
    assert Quote.objects.count() == len(SEED_QUOTES)
    assert Quote.objects.filter(speaker__name="Kerim Zair").exists()
