"""The tagger's matching rules on hand-made sentences, without a database."""

import pytest

from archive.entities.matching import NameFinder, Spelling, entity_spellings, fold_text

TURKEY, UYGHURS, WUC, URUMQI, MINISTRY, XI, CHINA, CABLES, STRASSE, KAZAKHS = range(1, 11)


@pytest.fixture(scope="module")
def vocabulary():
    return NameFinder(
        [
            *entity_spellings(TURKEY, "Turkey", [("Turkey", True)]),
            *entity_spellings(UYGHURS, "Uyghurs", [("Uyghur", False), ("Uighur", False)]),
            *entity_spellings(WUC, "World Uyghur Congress", [("WUC", True)]),
            *entity_spellings(URUMQI, "Urumqi", [("Ürümqi", False)]),
            *entity_spellings(MINISTRY, "Turkey's Ministry of Justice", []),
            *entity_spellings(XI, "Xi Jinping", [("Xi", True)]),
            *entity_spellings(CHINA, "China", [("China", True)]),
            *entity_spellings(CABLES, "China Cables", []),
            *entity_spellings(STRASSE, "Straße", []),
            *entity_spellings(KAZAKHS, "Kazakhs", [("Kazakh", False)]),
        ]
    )


def names(vocabulary, text):
    """(surface, entity) for every match, checking that the offsets give the surface back."""
    return [(text[start:end], entity) for start, end, entity in vocabulary.find_in(text)]


def test_the_name_counts_in_any_case_unless_an_alias_of_the_same_text_says_otherwise():
    assert entity_spellings(TURKEY, "Turkey", [("Turkey", True)]) == [
        Spelling("Turkey", TURKEY, True)
    ]
    assert entity_spellings(URUMQI, "Urumqi", [("Ürümqi", False)]) == [
        Spelling("Urumqi", URUMQI, False),
        Spelling("Ürümqi", URUMQI, False),
    ]


def test_turkey_the_country_is_not_turkey_the_bird(vocabulary):
    assert names(vocabulary, "We ate turkey in Turkey") == [("Turkey", TURKEY)]
    assert vocabulary.find_in("We ate turkey in Turkey") == [(17, 23, TURKEY)]
    assert names(vocabulary, "TURKEY") == []


def test_a_name_that_is_also_a_word_takes_no_plural(vocabulary):
    assert names(vocabulary, "Turkeys gobble; Chinas") == []


def test_the_longest_name_wins_and_its_parts_are_not_tagged_again(vocabulary):
    assert names(vocabulary, "The World Uyghur Congress (WUC) spoke.") == [
        ("World Uyghur Congress", WUC),
        ("WUC", WUC),
    ]
    assert names(vocabulary, "the China Cables showed China's plans") == [
        ("China Cables", CABLES),
        ("China", CHINA),
    ]


def test_only_whole_words_match(vocabulary):
    text = "Uighuristan, Kazakhstan, taxi, Xi'an, O'Uighur, Chinaman"
    assert names(vocabulary, text) == []
    assert names(vocabulary, "anti-China and pro-Uighur") == [("China", CHINA), ("Uighur", UYGHURS)]


def test_a_chinese_name_is_found_inside_a_run_of_characters():
    chen = NameFinder(entity_spellings(1, "Chen Quanguo", [("陈全国", False)]))
    text = "党委书记陈全国说。陈全国, (陈全国) 陈全国的讲话"
    assert names(chen, text) == [("陈全国", 1)] * 4
    assert names(chen, "陈全 国") == []


def test_plurals_and_possessives_of_a_spelling_are_found(vocabulary):
    assert names(vocabulary, "Uighurs, the Kazakhs' plight, Xi's plan, Turkey's role") == [
        ("Uighurs", UYGHURS),
        ("Kazakhs", KAZAKHS),
        ("Xi", XI),
        ("Turkey", TURKEY),
    ]


def test_curly_and_straight_apostrophes_are_the_same(vocabulary):
    for apostrophe in ("'", "\u2019", "\u02bc"):
        text = f"documents from Turkey{apostrophe}s Ministry of Justice"
        assert names(vocabulary, text) == [(f"Turkey{apostrophe}s Ministry of Justice", MINISTRY)]


def test_diacritics_are_folded_and_offsets_still_point_into_the_original(vocabulary):
    decomposed = "U\u0308ru\u0308mqi"  # Ü and ü written as letter + combining mark
    text = f"In Ürümqi, URUMQI and {decomposed}; Strasse or STRAẞE"
    assert names(vocabulary, text) == [
        ("Ürümqi", URUMQI),
        ("URUMQI", URUMQI),
        (decomposed, URUMQI),
        ("Strasse", STRASSE),
        ("STRAẞE", STRASSE),
    ]


def test_folding_maps_every_character_back_to_where_it_came_from():
    folded = fold_text("Aß\u0301 Ü")
    assert folded.folded == "ass u"
    assert [folded.original_span(i, i + 1) for i in range(len(folded.folded))] == [
        (0, 1),
        (1, 2),  # half of ß
        (1, 3),  # the rest of ß, and the accent on it
        (3, 4),
        (4, 5),
    ]
    assert fold_text("Plain ASCII").starts is None
    assert fold_text("Curly ’quotes’ keep places").starts is None


def test_paragraphs_give_positions(vocabulary):
    found = vocabulary.find(["Nothing here.", "Xi Jinping visited Ürümqi."])
    assert [(f.paragraph, f.start, f.end, f.surface) for f in found] == [
        (2, 0, 10, "Xi Jinping"),  # ¶2, as readers see it
        (2, 19, 25, "Ürümqi"),
    ]


def test_an_empty_vocabulary_finds_nothing():
    assert NameFinder([]).find_in("Turkey") == []
