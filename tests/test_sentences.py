"""One rule for where a sentence ends and one for cutting a window at spaces, wherever the
archive shows a piece of an article: titles, quotations, names in context, search snippets."""

import pytest

from archive.browse import sentence_around
from archive.ingest.cleaning import derive_title
from archive.quotes.extraction import find_quotes
from archive.search.snippets import SNIPPET_LENGTH, Match, cut
from archive.sentences import first_sentence, sentence_bounds


def shown(text, words):
    start = text.index(words)
    found = sentence_around(text, start, start + len(words))
    mark_start, mark_end = found.marks[0]
    return found.text[:mark_start] + f"<{found.text[mark_start:mark_end]}>" + found.text[mark_end:]


@pytest.mark.parametrize(
    ("text", "words", "sentence"),
    [
        # A title or an initial does not end the sentence that names someone.
        ("He left. Then Mr. Zair spoke. Later.", "Zair", "Then Mr. <Zair> spoke."),
        (
            "Officials of the U.S. State Department met Zair. Later.",
            "Zair",
            "Officials of the U.S. State Department met <Zair>.",
        ),
        # An elision inside a quotation, or a company's "Co.", is not the end either.
        (
            '"We spoke ... three times," Zair said. Then.',
            "Zair",
            '"We spoke ... three times," <Zair> said.',
        ),
        (
            "Baoshan Iron and Steel Co. said Zair left. Then.",
            "Zair",
            "Baoshan Iron and Steel Co. said <Zair> left.",
        ),
    ],
)
def test_the_sentence_around_a_name_is_not_cut_at_an_abbreviation(text, words, sentence):
    assert shown(text, words) == sentence


def test_titles_quotes_and_names_end_their_sentences_at_the_same_stops():
    lead = "The U.N. said 5 people died in Urumqi. 12 more are missing, Mr. Zair said."
    assert first_sentence(lead) == "The U.N. said 5 people died in Urumqi."
    assert derive_title(lead) == "The U.N. said 5 people died in Urumqi"
    assert sentence_bounds(lead, lead.index("12"), lead.index("12") + 2) == (
        lead.index("12"),
        len(lead),
    )


def test_a_quotation_keeps_the_sentence_it_is_in():
    paragraph = 'Gen. Smith spoke first. "We were never told," Zair said. Then he left.'
    (quote,) = find_quotes([paragraph])
    assert paragraph[quote.start : quote.end] == "We were never told"
    assert quote.speaker_name == "Zair"


def test_a_snippet_of_text_without_spaces_keeps_its_match():
    """Chinese or Uyghur script runs without spaces: the window is cut inside the run
    rather than after the match, which would leave the snippet without it."""
    text = "新疆" * 200 + "Zair" + " said more" * 40
    start = text.index("Zair")
    snippet = cut(1, text, [Match(start, start + 4, 0, "Zair", False)])
    (mark,) = snippet.marks
    assert snippet.text[slice(*mark)] == "Zair"
    assert snippet.text.startswith("…") and snippet.text.endswith("…")
    assert len(snippet.text) <= SNIPPET_LENGTH + 2
