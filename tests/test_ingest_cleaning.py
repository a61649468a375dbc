"""Cleaning finds paragraphs in wrapped and unwrapped text and removes only sure boilerplate."""

import datetime

import pytest

from archive.ingest.cleaning import clean_body, derive_title, split_paragraphs
from archive.ingest.dates import ImpossibleDate, parse_iso_date, parse_text_date
from archive.ingest.seeds import parse_seed_text


def test_hard_wrapped_lines_are_joined_into_their_paragraph():
    text = (
        "The spotlight in the stock options investigation is falling \n"
        "on two former company executives, the newspaper reported on \n"
        "Tuesday. \n\n"
        "  The company has not publicly named the former executives, \n"
        "but the newspaper named them."
    )
    assert split_paragraphs(text) == [
        "The spotlight in the stock options investigation is falling on two former company "
        "executives, the newspaper reported on Tuesday.",
        "The company has not publicly named the former executives, but the newspaper named them.",
    ]


def test_long_lines_that_each_end_a_sentence_are_paragraphs_of_their_own():
    text = (
        "Kerim Zair, a Uighur who moved from Norway to London, said he received a call.\n"
        "Classified documents known as the China Cables threw light on the surveillance.\n"
        "Over 400 pages of documents were released"
    )
    assert len(split_paragraphs(text)) == 3


def test_paragraphs_run_together_with_two_spaces_are_separated():
    text = (
        "Bernhard could not be reached \nfor comment.  Investors have been concerned that he \n"
        'would leave.  "If you walk around the offices you can see it," one said.  '
        "(Reporting by Jan Paschal)"
    )
    assert split_paragraphs(text) == [
        "Bernhard could not be reached for comment.",
        "Investors have been concerned that he would leave.",
        '"If you walk around the offices you can see it," one said.',
        "(Reporting by Jan Paschal)",
    ]


def test_indented_lines_start_paragraphs_in_wrapped_text():
    text = (
        "Showers continued throughout the week in\nthe cocoa zone.\n    The dry period means\nlate."
    )
    assert split_paragraphs(text) == [
        "Showers continued throughout the week in the cocoa zone.",
        "The dry period means late.",
    ]


def test_spacing_inside_paragraphs_is_collapsed_including_no_break_spaces():
    assert split_paragraphs("Sources  told\u00a0 Bloomberg\t that.\r\n\r\nNext.") == [
        "Sources told Bloomberg that.",
        "Next.",
    ]


def test_boilerplate_lines_are_removed_but_sentences_mentioning_them_are_kept():
    text = (
        "Connect with us\n\nThe family asked readers to leave a reply to the consulate.\n\n"
        "Click to comment\n\nContinue Reading\n\nTrending\n\n"
        "Your email address will not be published. Required fields are marked *\n\n"
        "He said the scheme was scaled back in 2019."
    )
    assert clean_body(text) == [
        "The family asked readers to leave a reply to the consulate.",
        "He said the scheme was scaled back in 2019.",
    ]


def test_everything_after_the_end_of_the_article_is_cut():
    text = "The article.\n\nYou may like\n\nChina\n\nAnother article about fentanyl."
    assert clean_body(text) == ["The article."]
    assert clean_body("The article.\n\n\nLeave a Reply\n\nA reader's comment.") == ["The article."]
    assert clean_body("The article.\n%d bloggers like this:") == ["The article."]


def test_image_file_names_are_removed():
    assert clean_body("ughyurs scaled\n\nFentanyl 1031234188 scaled\n\nText.") == ["Text."]


def test_derived_title_is_the_first_sentence_when_short():
    assert derive_title("Police arrested Kunbolat. He was released.") == "Police arrested Kunbolat"
    assert derive_title("Mr. Ayup spoke to the U.S. Congress on Feb. 2. Then he left.") == (
        "Mr. Ayup spoke to the U.S. Congress on Feb. 2"
    )
    assert derive_title("Is China spying on Uyghurs in Turkey? A report says so.") == (
        "Is China spying on Uyghurs in Turkey?"
    )


def test_derived_title_is_cut_at_a_word_with_an_ellipsis():
    lead = "word " * 30 + "end."
    title = derive_title(lead)
    assert len(title) <= 100
    assert title.endswith("word…")


def test_header_date_formats():
    assert parse_text_date("Jun 17, 2020") == datetime.date(2020, 6, 17)
    assert parse_text_date("17 June 2020") == datetime.date(2020, 6, 17)
    assert parse_text_date("Published on September 3, 2021") == datetime.date(2021, 9, 3)
    assert parse_text_date("Junk 17, 2020") is None
    assert parse_text_date("In June 17, 2020 he fled.") is None
    with pytest.raises(ImpossibleDate):
        parse_text_date("Feb 30, 2020")


def test_iso_dates_keep_the_stated_calendar_day_whatever_the_time_zone():
    assert parse_iso_date("2006-10-20T16:25:00-04:00") == datetime.date(2006, 10, 20)
    assert parse_iso_date("2006-10-20T23:59:00+14:00") == datetime.date(2006, 10, 20)
    assert parse_iso_date("2006-10-20") == datetime.date(2006, 10, 20)
    with pytest.raises(ValueError, match="not an ISO 8601 date"):
        parse_iso_date("20 October 2006")
    with pytest.raises(ValueError, match="time"):
        parse_iso_date("2006-10-20T25:00")


def test_seed_text_with_date_above_the_headline(tmp_path):
    article = parse_seed_text(
        tmp_path / "a.txt", "Trending\n\nMarch 3, 2019\n\nUyghur poet detained in Urumqi\n\nText."
    )
    assert article.title == "Uyghur poet detained in Urumqi"
    assert article.published_on == datetime.date(2019, 3, 3)
    assert article.body == "Text."


def test_a_short_line_that_is_not_followed_by_a_headline_stays_in_the_text(tmp_path):
    article = parse_seed_text(tmp_path / "a.txt", "China\n\nThe embassy refused his passport.")
    assert article.body == "China\n\nThe embassy refused his passport."
    assert article.title_origin == "derived"


def test_a_date_line_with_the_body_on_the_same_line(tmp_path):
    article = parse_seed_text(tmp_path / "a.txt", " date 2020-05-21 Turdi fled in 2014.\n\nMore.")
    assert article.published_on == datetime.date(2020, 5, 21)
    assert article.body == "Turdi fled in 2014.\n\nMore."
    assert article.title == "Turdi fled in 2014"


def test_published_on_lines_are_removed_but_a_lone_on_is_kept():
    text = "Published\n\non\n\nThe article.\n\non\n\nThe end."
    assert clean_body(text) == ["The article.", "on", "The end."]
