"""Text from editors and files is made plain at the edge: LF line ends, no control characters."""

import pytest

from archive.models import normalise_body
from archive.supplied_text import control_characters, supplied_line, supplied_text


@pytest.mark.parametrize("line_end", ["\r\n", "\r", "\n", "\f", "\v", "\u2028"])
def test_every_kind_of_line_end_becomes_lf(line_end):
    assert supplied_text(f"One.{line_end}{line_end}Two.") == "One.\n\nTwo."


def test_control_characters_are_dropped_and_named():
    text = "Tursun\x1b[31m said\x08 it\x00 was\x7f true.\tYes"
    assert supplied_text(text) == "Tursun[31m said it was true.\tYes"
    assert control_characters(text) == ["U+001B", "U+0008", "U+0000", "U+007F"]


def test_a_line_has_its_white_space_collapsed():
    assert supplied_line("  Kerim\r\n Zair\t\x01 ") == "Kerim Zair"


def test_letters_and_quotes_of_every_script_are_kept():
    text = "“Ürümqi” — ئۇيغۇر 维吾尔 Қазақстан"
    assert supplied_text(text) == text and control_characters(text) == []


def test_a_body_typed_in_a_browser_is_stored_as_the_same_paragraphs():
    typed = "First paragraph.  \r\n \r\nSecond\r\nline.\r\n\r\n\r\nThird."
    assert normalise_body(typed) == "First paragraph.\n\nSecond line.\n\nThird."
    assert normalise_body(normalise_body(typed)) == normalise_body(typed)
