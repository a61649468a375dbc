"""The tagger does not guess: partial spellings need the full name, longer names keep theirs.

Hand-made sentences and the BBC's bank article, against the fixture's kinds
of entity, without a database (docs/entities.md states the rules).
"""

from pathlib import Path

import pytest

from archive.entities.matching import NameFinder, entity_spellings, is_partial_alias

ROOT = Path(__file__).resolve().parent.parent
BANK_ARTICLE = ROOT.parent / "shared" / "corpus" / "bbc" / "bbc" / "business" / "498.txt"

(ZAIR, XI, CHINA, USA, EUROPE, UYGHURS, MUSLIMS, CCP, BBC, SAFEGUARD, NORWAY, BEIJING) = range(
    1, 13
)
PERSON, PLACE, GROUP, ORGANISATION = "person", "place", "group", "organisation"


@pytest.fixture(scope="module")
def names():
    return NameFinder(
        [
            *entity_spellings(ZAIR, "Kerim Zair", [("Zair", True)], PERSON),
            *entity_spellings(XI, "Xi Jinping", [("Xi", True)], PERSON),
            *entity_spellings(CHINA, "China", [("China", True)], PLACE),
            *entity_spellings(USA, "USA", [("US", True)], PLACE),
            *entity_spellings(EUROPE, "Europe", [], PLACE),
            *entity_spellings(NORWAY, "Norway", [], PLACE),
            *entity_spellings(BEIJING, "Beijing", [], PLACE),
            *entity_spellings(UYGHURS, "Uyghurs", [("Uyghur", False)], GROUP),
            *entity_spellings(MUSLIMS, "Muslims", [("Muslim", False)], GROUP),
            *entity_spellings(
                CCP, "Chinese Communist Party", [("CCP", True), ("Communist Party", True)]
            ),
            *entity_spellings(BBC, "BBC", [("BBC", True)], ORGANISATION),
            *entity_spellings(SAFEGUARD, "Safeguard Defenders", [], ORGANISATION),
        ]
    )


def tagged(names, *paragraphs, confirmed=()):
    """(surface, entity) of every tag in an article of these paragraphs."""
    return [(f.surface, f.entity_id) for f in names.tags(paragraphs, confirmed).tags]


def possible(names, *paragraphs):
    return [(f.surface, f.entity_id) for f in names.tags(paragraphs).possible]


def test_a_surname_of_a_longer_name_is_partial_by_default_and_other_aliases_are_not():
    assert is_partial_alias("Zair", "Kerim Zair")
    assert is_partial_alias("Xi", "Xi Jinping")
    assert is_partial_alias("Kunbolat", "Baibolat Kunbolat")
    assert not is_partial_alias("Volkskrant", "de Volkskrant")  # the whole name
    assert not is_partial_alias("New York Times", "The New York Times")
    assert not is_partial_alias("Communist Party", "Chinese Communist Party")  # two words
    assert not is_partial_alias("CCP", "Chinese Communist Party")  # an acronym stands alone
    assert not is_partial_alias("US", "USA")
    assert not is_partial_alias("Uyghur", "Uyghurs")


def test_an_editor_can_make_any_alias_partial_or_full():
    (wuc,) = [s for s in entity_spellings(9, "World Uyghur Congress", [("WUC", True, True)])][1:]
    assert wuc.partial
    (zair,) = entity_spellings(ZAIR, "Kerim Zair", [("Zair", True, False)])[1:]
    assert not zair.partial


def test_ahmet_zair_the_shopkeeper_is_not_kerim_zair(names):
    assert tagged(names, "Ahmet Zair, a shopkeeper, said business was slow.") == []
    # Not even where the article names Kerim Zair in full: "Ahmet Zair" is another man.
    article = ("Kerim Zair spoke first.", "Ahmet Zair, a shopkeeper, disagreed with Zair.")
    assert tagged(names, *article) == [("Kerim Zair", ZAIR), ("Zair", ZAIR)]


def test_a_surname_alone_is_only_a_possible_mention(names):
    article = ("Zair said he received an anonymous call.",)
    assert tagged(names, *article) == []
    assert possible(names, *article) == [("Zair", ZAIR)]


def test_a_surname_tags_where_the_full_name_is_in_the_article(names):
    article = ("Kerim Zair moved from Norway to London.", '"I rejected them," Zair said.')
    assert tagged(names, *article) == [("Kerim Zair", ZAIR), ("Norway", NORWAY), ("Zair", ZAIR)]
    assert possible(names, *article) == []


def test_a_surname_tags_where_an_editor_tagged_the_entity(names):
    article = ("Zair said he received an anonymous call.",)
    assert tagged(names, *article, confirmed={ZAIR}) == [("Zair", ZAIR)]


def test_a_title_does_not_make_a_longer_name(names):
    article = ("Xi Jinping spoke.", "President Xi said so.", "US President George W Bush agreed.")
    assert tagged(names, *article) == [("Xi Jinping", XI), ("Xi", XI), ("US", USA)]


def test_china_inside_a_bank_or_a_newspaper_is_not_china(names):
    text = (
        "The pair worked at Bank of China, the South China Morning Post reported. The other "
        "is China Construction Bank, said the China Daily. China's banks are ready."
    )
    assert tagged(names, text) == [("China", CHINA)]


def test_a_place_keeps_the_words_that_say_which_part_or_kind_of_it(names):
    text = "Kazakhs resented Communist China. Sales outside Eastern Europe rose."
    assert tagged(names, text) == [("China", CHINA), ("Europe", EUROPE)]


def test_a_place_followed_by_a_state_body_is_that_body_not_the_place(names):
    text = "A probe by the US Securities and Exchange Commission and the US Federal Reserve."
    assert tagged(names, text) == []
    assert tagged(names, "US firms added 146,000 jobs, said US regulators.") == [
        ("US", USA),
        ("US", USA),
    ]


def test_the_state_in_its_own_official_name_and_a_place_in_a_title_are_the_place(names):
    text = "It is owned by the Kingdom of Norway. Ambassador to China Octavio Valerio spoke."
    assert tagged(names, text) == [("Norway", NORWAY), ("China", CHINA)]


def test_a_currency_sign_makes_an_amount_not_a_country(names):
    assert tagged(names, "Bank of America paid US$3 billion, a US record.") == [("US", USA)]


def test_an_organisation_keeps_the_names_of_its_parts_but_not_another_owner(names):
    text = "He told BBC News and the BBC's Today programme. The Soviet Communist Party agreed."
    assert tagged(names, text) == [("BBC", BBC), ("BBC", BBC)]
    assert tagged(names, "The ruling Communist Party met.") == [("Communist Party", CCP)]


def test_known_names_side_by_side_are_both_names(names):
    assert tagged(names, "Uyghur Muslims living in Turkey.") == [
        ("Uyghur", UYGHURS),
        ("Muslims", MUSLIMS),
    ]
    assert tagged(names, "The Muslim Council of Britain said.") == []


def test_a_capital_at_a_sentence_start_says_nothing_unless_the_article_capitalises_it_inside(
    names,
):
    assert tagged(names, "Hundreds of Uyghurs fled. Critics of China agreed.") == [
        ("Uyghurs", UYGHURS),
        ("China", CHINA),
    ]
    article = ("He worked at Bank of China in Harbin.", "Bank of China is the biggest.")
    assert tagged(names, *article) == []


def test_a_descriptor_or_heading_does_not_make_a_longer_name(names):
    assert tagged(names, "A report by the NGO Safeguard Defenders.") == [
        ("Safeguard Defenders", SAFEGUARD)
    ]
    assert tagged(names, "How the CCP Organized Its Surveillance Regime") == [("CCP", CCP)]


def test_the_bbc_bank_article_links_china_only_where_it_means_the_country(names):
    if not BANK_ARTICLE.exists():
        pytest.skip(f"the BBC corpus is not at {BANK_ARTICLE}")
    title, _, body = BANK_ARTICLE.read_text(encoding="utf-8").partition("\n")
    assert title == "Millions go missing at China bank"
    paragraphs = [p for p in body.split("\n\n") if p.strip()]
    found = names.tags(paragraphs).tags
    china = [f for f in found if f.entity_id == CHINA]
    # Of its 20 "China"s, the 8 that are the country: "China's" (7 times) and "China-published".
    assert len(china) == 8
    for one in china:
        text = paragraphs[one.paragraph - 1]
        assert text[one.end : one.end + 2] in ("'s", "-p"), text[one.start - 20 : one.end + 20]
