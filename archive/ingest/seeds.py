"""Read the seed text format: one article per file, as saved from a web page.

The file may start with a line " date YYYY-MM-DD" (the article's text may go
on after the date on the same line), then a headline, then the page's text
with its boilerplate.
"""

import re
from pathlib import Path

from archive.ingest.cleaning import collapse_spaces, is_boilerplate
from archive.ingest.dates import parse_iso_date, parse_text_date
from archive.ingest.records import IncomingArticle, InputError, incoming_article
from archive.models import Article, sha256_hex

DATE_LINE = re.compile(r"[ \t]*date[ \t]+(?P<date>\d\S*)[ \t]*")
TITLE_MAX_LENGTH = 200


def parse_seed_text(path: Path, text: str) -> IncomingArticle:
    """The article in `text`, the decoded contents of the file at `path`."""
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    published_on, date_origin = None, ""
    stated = DATE_LINE.match(lines[0])
    if stated:
        try:
            published_on = parse_iso_date(stated["date"])
        except ValueError as exc:
            raise InputError(path, f"the ' date' line: {exc}", line=1) from None
        date_origin = Article.DateOrigin.METADATA
        lines[0] = lines[0][stated.end() :]

    title = None
    at = 0
    while at < len(lines):
        line = collapse_spaces(lines[at])
        following = next_content_line(lines, at)
        try:
            date_line = parse_text_date(line)
        except ValueError as exc:
            raise InputError(path, str(exc), line=at + 1) from None
        if not line or is_boilerplate(line) or line == "on":  # "on" follows "Published"
            pass
        elif date_line:
            if published_on is None:
                published_on, date_origin = date_line, Article.DateOrigin.TEXT
            elif published_on != date_line:
                break  # not the article's date: leave it in the text
        elif title is None and following is not None:
            if is_category_label(line) and is_title(lines, following):
                pass
            elif is_title(lines, at):
                title = line
            else:
                break
        else:
            break
        at += 1

    return incoming_article(
        path,
        None,
        text="\n".join(lines[at:]),
        title=title,
        published_on=published_on,
        date_origin=date_origin,
        original_text=text,
        original_sha256=sha256_hex(text),
        external_id=path.name,
    )


def next_content_line(lines: list[str], at: int) -> int | None:
    return next((i for i in range(at + 1, len(lines)) if lines[i].strip()), None)


def is_title(lines: list[str], at: int) -> bool:
    """A headline: a line on its own, of a few words, that does not end like a sentence."""
    line = collapse_spaces(lines[at])
    on_its_own = at + 1 == len(lines) or not lines[at + 1].strip()
    return (
        on_its_own
        and len(line.split()) >= 3
        and len(line) <= TITLE_MAX_LENGTH
        and not line.endswith((".", ",", ";", ":"))
        and not is_boilerplate(line)
    )


def is_category_label(line: str) -> bool:
    """A page's section name above the headline, such as a lone "China"."""
    words = line.split()
    return len(words) <= 2 and all(word[:1].isupper() and word.isalpha() for word in words)
