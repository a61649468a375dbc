"""Stream articles from JSON Lines files (.jsonl, .jsonl.gz) in the common corpus schema."""

import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from archive.ingest.cleaning import collapse_spaces
from archive.ingest.dates import parse_iso_date
from archive.ingest.files import decode_utf8, open_input
from archive.ingest.records import IncomingArticle, InputError, incoming_article
from archive.models import Article, original_sha256_hex, sha256_hex

REQUIRED_KEYS = ("id", "source", "title", "date", "url", "author", "body")
NULLABLE_TEXT_KEYS = ("source", "title", "date", "url", "author")


def read_jsonl(
    path: Path, skip_invalid: Callable[[InputError], None] | None = None
) -> Iterator[IncomingArticle]:
    """The file's articles one at a time; the file is never read whole.

    A bad record raises InputError, unless `skip_invalid` is given: then it is
    handed the error and reading goes on with the next line. A file that
    cannot be read on (not gzip, cut short) raises either way.
    """
    with open_input(path) as stream:
        for number, raw in numbered_lines(stream, path):
            try:
                line = decode_utf8(raw.removesuffix(b"\n").removesuffix(b"\r"), path, number)
                if number == 1:
                    line = line.removeprefix("\ufeff")
                article = article_from_line(path, number, line) if line.strip() else None
            except InputError as exc:
                if skip_invalid is None:
                    raise
                skip_invalid(exc)
                continue
            if article is not None:
                yield article


def numbered_lines(stream: BinaryIO, path: Path) -> Iterator[tuple[int, bytes]]:
    number = 0
    try:
        for number, raw in enumerate(stream, start=1):
            yield number, raw
    except gzip.BadGzipFile:
        raise InputError(path, "not a gzip file, although its name ends in .gz") from None
    except (EOFError, zlib.error):
        raise InputError(path, "the compressed file is damaged or cut short", number + 1) from None
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror or exc})", number + 1) from None


def json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def article_from_line(path: Path, number: int, line: str) -> IncomingArticle:
    """The article in one line of JSON, checked against the common schema."""
    try:
        record = json.loads(line)
        fingerprint = original_sha256_hex(line)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"malformed JSON: {exc.msg} (column {exc.colno})", number) from None
    except RecursionError:
        raise InputError(path, "malformed JSON: nested too deeply to be read", number) from None
    except UnicodeEncodeError as exc:
        # JSON can escape half of a UTF-16 surrogate pair; no text can hold it.
        half = f"\\u{ord(exc.object[exc.start]):04x}"
        problem = f"the JSON escapes {half}, half of a surrogate pair, which is not a character"
        raise InputError(path, problem, number) from None
    if not isinstance(record, dict):
        raise InputError(path, f"expected a JSON object, found {json_type(record)}", number)
    missing = [key for key in REQUIRED_KEYS if key not in record]
    if missing:
        raise InputError(path, f"missing required key(s): {', '.join(missing)}", number)
    wrong = wrong_types(record)
    if wrong:
        raise InputError(path, wrong, number)

    published_on, date_origin = None, ""
    if record["date"] is not None:
        try:
            published_on = parse_iso_date(record["date"])
        except ValueError as exc:
            raise InputError(path, str(exc), number) from None
        date_origin = Article.DateOrigin.METADATA
    return incoming_article(
        path,
        number,
        text=record["body"],
        title=record["title"],
        published_on=published_on,
        date_origin=date_origin,
        original_url=(record["url"] or "").strip() or None,
        authors=collapse_spaces(record["author"] or ""),
        source_name=collapse_spaces(record["source"] or "") or None,
        external_id="" if record["id"] is None else str(record["id"]),
        language=language(record),
        original_text=line,
        original_sha256=fingerprint,
        # What an editor's save stored before the fingerprint was canonical.
        other_original_sha256=(sha256_hex(line),),
    )


def wrong_types(record: dict) -> str | None:
    """What is of the wrong type in `record`, as a sentence, or None."""
    if not isinstance(record["body"], str):
        return f"body must be a string, not {json_type(record['body'])}"
    identifier = record["id"]
    if isinstance(identifier, bool) or not isinstance(identifier, str | int | None):
        return f"id must be a string, a number or null, not {json_type(identifier)}"
    for key in (*NULLABLE_TEXT_KEYS, "language"):
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            return f"{key} must be a string or null, not {json_type(value)}"
    return None


def language(record: dict) -> str:
    """'en' unless the record says otherwise; a stated null stays unknown."""
    if "language" not in record:
        return "en"
    return (record["language"] or "").strip()
