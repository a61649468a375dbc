"""CSV exports that a spreadsheet opens as text: no cell of the archive's runs as a formula.

Titles, bylines, bodies and quotations come from outside; a cell that starts
with `=`, `+`, `-` or `@` (or a tab or carriage return) is taken by Excel,
LibreOffice and Google Sheets as a formula, so `=HYPERLINK(…)` in a title
would become a live link. As OWASP recommends (CSV Injection), such a cell
gets a leading single quote and every cell is quoted.

The file starts with a byte-order mark: without it Excel reads UTF-8 as the
machine's legacy code page, and curly quotes, accents and Uyghur names come
out garbled. Dates are ISO (2020-06-17) and a value the archive does not
know is an empty cell, so a column sorts and filters as one type.
"""

import csv
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BYTE_ORDER_MARK = "\ufeff"


def spreadsheet_text(value) -> str:
    """`value` as a cell that a spreadsheet shows as text and never evaluates."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class SpreadsheetWriter:
    """A csv.writer whose every cell is quoted and made safe with `spreadsheet_text`."""

    def __init__(self, stream):
        stream.write(BYTE_ORDER_MARK)
        self.writer = csv.writer(stream, quoting=csv.QUOTE_ALL)

    def writerow(self, row: Iterable):
        self.writer.writerow([spreadsheet_text(cell) for cell in row])

    def write_notes(self, notes: list[str]) -> None:
        """A search's notes (what was left out of it) below its rows, after an empty row.

        An export is read in a spreadsheet, where a header would go unseen.
        """
        if notes:
            self.writerow([])
            for note in notes:
                self.writerow([f"Note: {note}"])
