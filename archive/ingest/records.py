"""One incoming article as read from a file, cleaned and checked before it reaches the database."""

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from archive.ingest.cleaning import clean_body, derive_title
from archive.models import (
    PARAGRAPH_SEPARATOR,
    Article,
    Source,
    article_length_problem,
    normalise_body,
    sha256_hex,
)
from archive.supplied_text import control_characters, supplied_line, supplied_text

validate_url = URLValidator()


class InputError(Exception):
    """Bad input, reported by file (and line) instead of a traceback."""

    def __init__(self, path: Path, problem: str, line: int | None = None):
        self.path = path
        self.problem = problem
        self.line = line
        super().__init__(str(self))

    def __str__(self):
        where = f"{self.path}, line {self.line:,}" if self.line else str(self.path)
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class IncomingArticle:
    title: str
    title_origin: str
    body: str
    original_text: str
    original_sha256: str
    published_on: date | None = None
    date_origin: str = ""
    original_url: str | None = None
    authors: str = ""
    source_name: str | None = None
    external_id: str = ""
    language: str = "en"
    # Other hashes of the same original: for a JSON record, the hash of its
    # line exactly as received, which Article.save() stored before the
    # fingerprint was made canonical.
    other_original_sha256: tuple[str, ...] = ()
    # What the importer changed on the way in, by file and line, for the report.
    notes: tuple[str, ...] = ()

    @cached_property
    def body_sha256(self) -> str:
        return sha256_hex(self.body)

    @property
    def original_hashes(self) -> tuple[str, ...]:
        return (self.original_sha256, *self.other_original_sha256)

    def problems(self):
        """What the database would refuse or silently cut, phrased for the user."""
        limits = [
            ("title", self.title, Article._meta.get_field("title").max_length),
            ("author", self.authors, Article._meta.get_field("authors").max_length),
            ("id", self.external_id, Article._meta.get_field("external_id").max_length),
            ("language", self.language, Article._meta.get_field("language").max_length),
            ("source", self.source_name or "", Source._meta.get_field("name").max_length),
            ("url", self.original_url or "", Article._meta.get_field("original_url").max_length),
        ]
        for name, value, limit in limits:
            if len(value) > limit:
                yield f"{name} is {len(value):,} characters long; at most {limit:,} fit"
        # PostgreSQL cannot store NUL in text; refuse it on every database alike.
        texts = [("body", self.body), ("original text", self.original_text)]
        for name, value in [*texts, *((n, v) for n, v, _ in limits)]:
            if "\x00" in value:
                yield f"{name} contains a NUL character (\\x00), which cannot be stored"
        if self.original_url:
            try:
                validate_url(self.original_url)
            except ValidationError:
                yield f"url {self.original_url!r} is not a valid URL"


# The record's one-line values, cleaned like an editor's: (keyword, name in reports).
SUPPLIED_LINES = (("authors", "author"), ("source_name", "source"), ("language", "language"))


def incoming_article(
    path: Path, line: int | None, *, text: str, title: str | None, **fields
) -> IncomingArticle:
    """Clean `text` into the body, derive a title if none is stated, and check the result.

    Control characters are dropped from every value and the drop is noted by
    file and line. Raises InputError when the text is too long, nothing of the
    article is left or a value does not fit.
    """
    # Before cleaning: the text as received bounds what the import costs.
    problem = article_length_problem(text)
    if problem:
        raise InputError(path, problem, line)
    where = f"{path}, line {line:,}" if line else str(path)
    notes = []

    def supplied(name: str, value: str) -> str:
        found = control_characters(value)
        if found:
            names = ", ".join(found)
            notes.append(f"{where}: removed control character(s) {names} from the {name}")
        return value

    text = supplied_text(supplied("body", text))
    title = supplied_line(supplied("title", title or ""))
    for keyword, name in SUPPLIED_LINES:
        if fields.get(keyword):
            fields[keyword] = supplied_line(supplied(name, fields[keyword]))
    if "source_name" in fields:
        fields["source_name"] = fields["source_name"] or None
    if fields.get("external_id"):
        fields["external_id"] = supplied_text(supplied("id", fields["external_id"]))

    body = normalise_body(PARAGRAPH_SEPARATOR.join(clean_body(text)))
    if not body:
        problem = (
            "no article text is left after removing page boilerplate"
            if text.strip()
            else "the article text is empty"
        )
        raise InputError(path, problem, line)
    if title:
        title_origin = Article.TitleOrigin.STATED
    else:
        title = derive_title(body.split(PARAGRAPH_SEPARATOR, 1)[0])
        title_origin = Article.TitleOrigin.DERIVED
    article = IncomingArticle(
        title=title, title_origin=title_origin, body=body, notes=tuple(notes), **fields
    )
    problem = next(article.problems(), None)
    if problem:
        raise InputError(path, problem, line)
    return article
