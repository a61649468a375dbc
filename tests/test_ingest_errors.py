"""Bad input is refused with a message naming file and line, and leaves the database untouched."""

import gzip
import io
import json
import os
import pathlib

import pytest
from django.core.management import call_command

from archive.ingest import importer
from archive.ingest.importer import import_paths
from archive.models import Article, Source

pytestmark = pytest.mark.django_db


def record(n=1, **fields):
    return {
        "id": f"r{n}",
        "source": "Bitter Winter",
        "title": f"Report {n} on the camps",
        "date": "2021-01-01",
        "url": f"https://bitterwinter.org/report-{n}/",
        "author": None,
        "body": f"Report {n} text.",
        **fields,
    }


def write_lines(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def good_lines(count=3):
    return [json.dumps(record(n)) for n in range(1, count + 1)]


def only_error(paths):
    """The single failure's message, after checking that nothing was written."""
    report = import_paths(paths)
    (failed,) = report.failed
    assert failed.created == failed.unchanged == failed.updated == 0
    assert Article.objects.count() == 0
    assert Article.history.count() == 0
    assert Source.objects.count() == 0
    return failed.error


def test_a_bad_line_after_good_ones_writes_nothing_from_the_file(tmp_path, monkeypatch):
    # Small batches, so the good lines have reached the database before the bad one is read.
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    path = write_lines(tmp_path / "a.jsonl", [*good_lines(3), json.dumps(record(4, date="x"))])
    message = only_error([path])
    assert message.startswith(f"{path}, line 4: ")


def test_other_files_still_import_when_one_is_bad(tmp_path):
    write_lines(tmp_path / "a_bad.jsonl", ["{oops"])
    write_lines(tmp_path / "b_good.jsonl", good_lines(2))
    report = import_paths([tmp_path])
    assert [f.path.name for f in report.failed] == ["a_bad.jsonl"]
    assert report.summary == "2 new, 0 unchanged, 0 updated"
    assert Article.objects.count() == 2


def test_missing_file(tmp_path):
    message = only_error([tmp_path / "missing.jsonl"])
    assert message == f"{tmp_path / 'missing.jsonl'}: no such file or directory"


def test_unreadable_file(tmp_path, monkeypatch):
    path = write_lines(tmp_path / "locked.jsonl", good_lines())
    real_open = pathlib.Path.open

    def refuse(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", refuse)
    assert only_error([path]) == f"{path}: permission denied"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_file_without_read_permission(tmp_path):
    path = write_lines(tmp_path / "locked.txt", ["Text."])
    path.chmod(0)
    assert only_error([path]) == f"{path}: permission denied"


def test_text_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Uyghur poet detained in Ürümqi\n\nThe poet was taken.".encode("latin-1"))
    message = only_error([path])
    assert message.startswith(f"{path}, line 1: not UTF-8: byte 0xdc cannot be decoded")


def test_jsonl_line_that_is_not_utf8(tmp_path):
    path = tmp_path / "a.jsonl"
    bad = json.dumps(record(2, body="Café"), ensure_ascii=False).encode("latin-1")
    path.write_bytes(good_lines(1)[0].encode() + b"\n" + bad + b"\n")
    assert only_error([path]).startswith(f"{path}, line 2: not UTF-8")


def test_text_file_with_only_boilerplate(tmp_path):
    path = write_lines(tmp_path / "a.txt", ["Connect with us", "", "Trending", "", "Leave a Reply"])
    message = only_error([path])
    assert message == f"{path}: no article text is left after removing page boilerplate"


def test_jsonl_record_with_empty_body(tmp_path):
    path = write_lines(tmp_path / "a.jsonl", [good_lines(1)[0], json.dumps(record(2, body=" "))])
    assert only_error([path]) == f"{path}, line 2: the article text is empty"


def test_malformed_json_line(tmp_path):
    path = write_lines(tmp_path / "a.jsonl", [*good_lines(2), '{"id": "r3", "title": '])
    message = only_error([path])
    assert message.startswith(f"{path}, line 3: malformed JSON: Expecting value")


def test_json_line_that_is_not_an_object(tmp_path):
    path = write_lines(tmp_path / "a.jsonl", ['["a list"]'])
    assert only_error([path]) == f"{path}, line 1: expected a JSON object, found a list"


def test_impossible_date_line_in_a_text_file(tmp_path):
    path = write_lines(tmp_path / "a.txt", [" date 2020-02-30 The embassy refused."])
    message = only_error([path])
    assert message.startswith(f"{path}, line 1: ")
    assert "impossible date '2020-02-30'" in message


def test_impossible_date_in_the_text(tmp_path):
    path = write_lines(
        tmp_path / "a.txt", ["Uyghur poet detained", "", "Feb 30, 2020", "", "Text."]
    )
    assert "line 3: impossible date 'Feb 30, 2020'" in only_error([path])


def test_impossible_date_in_jsonl(tmp_path):
    path = write_lines(
        tmp_path / "a.jsonl", [*good_lines(1), json.dumps(record(2, date="2021-13-01"))]
    )
    message = only_error([path])
    assert message == (f"{path}, line 2: impossible date '2021-13-01' (month must be in 1..12)")


def test_date_that_is_not_iso(tmp_path):
    path = write_lines(tmp_path / "a.jsonl", [json.dumps(record(date="March 4, 2019"))])
    assert "line 1: date 'March 4, 2019' is not an ISO 8601 date" in only_error([path])


def test_missing_required_keys(tmp_path):
    path = write_lines(tmp_path / "a.jsonl", [json.dumps({"title": "x", "body": "y"})])
    message = only_error([path])
    assert message == f"{path}, line 1: missing required key(s): id, source, date, url, author"


@pytest.mark.parametrize(
    "field, value, problem",
    [
        ("title", 5, "title must be a string or null, not a number"),
        ("body", None, "body must be a string, not null"),
        ("author", ["A", "B"], "author must be a string or null, not a list"),
        ("id", {"n": 1}, "id must be a string, a number or null, not an object"),
        ("language", True, "language must be a string or null, not true/false"),
    ],
)
def test_wrong_types(tmp_path, field, value, problem):
    path = write_lines(tmp_path / "a.jsonl", [json.dumps(record(**{field: value}))])
    assert only_error([path]) == f"{path}, line 1: {problem}"


def test_invalid_url(tmp_path):
    path = write_lines(tmp_path / "a.jsonl", [json.dumps(record(url="bitterwinter report"))])
    assert "url 'bitterwinter report' is not a valid URL" in only_error([path])


def test_value_too_long_for_the_archive(tmp_path):
    path = write_lines(tmp_path / "a.jsonl", [json.dumps(record(author="A" * 501))])
    assert "author is 501 characters long; at most 500 fit" in only_error([path])


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x08", "\x1b", "\x7f"])
@pytest.mark.parametrize("field", ["body", "title", "author", "source"])
def test_control_characters_are_removed_and_the_line_named(tmp_path, field, character):
    # Invisible to readers, refused by XML (so by every Atom feed) and, for NUL,
    # by PostgreSQL: dropped on the way in, on every database alike, and said so.
    text = f"Relatives described{character} the camps"
    path = write_lines(
        tmp_path / "a.jsonl", [*good_lines(2), json.dumps(record(3, **{field: text}))]
    )
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("import_articles", str(path), stdout=stdout, stderr=stderr)
    name = f"U+{ord(character):04X}"
    assert stderr.getvalue() == (
        f"{path}, line 3: removed control character(s) {name} from the {field}.\n"
    )
    assert "3 new" in stdout.getvalue()
    stored = Article.objects.select_related("source").get(external_id="r3")
    value = {
        "body": stored.body,
        "title": stored.title,
        "author": stored.authors,
        "source": stored.source and stored.source.name,
    }[field]
    assert value.startswith("Relatives described the camps")
    assert not any(ord(c) < 32 or ord(c) == 127 for c in value)


def test_gz_file_that_is_not_gzipped(tmp_path):
    path = write_lines(tmp_path / "a.jsonl.gz", good_lines())
    assert only_error([path]) == f"{path}: not a gzip file, although its name ends in .gz"


def test_truncated_gz_file(tmp_path):
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(gzip.compress("\n".join(good_lines(200)).encode())[:-40])
    assert "the compressed file is damaged or cut short" in only_error([path])


def test_file_of_another_kind(tmp_path):
    path = write_lines(tmp_path / "a.csv", ["id,title"])
    assert only_error([path]).endswith("not an importable file: expected .txt, .jsonl or .jsonl.gz")


def test_directory_without_importable_files(tmp_path):
    (tmp_path / "notes.md").write_text("nothing here", encoding="utf-8")
    assert only_error([tmp_path]) == f"{tmp_path}: holds no .txt, .jsonl or .jsonl.gz files"
