"""Hostile records given to `import_articles` are bad records like any other: named by file and
line, skipped with --skip-invalid, the file refused without it, and nothing written.
"""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from archive.models import Article

pytestmark = pytest.mark.django_db


def record(n, **fields):
    return {
        "id": f"r{n}",
        "source": "Radio Free Asia",
        "title": f"Detainees in Ghulja, report {n}",
        "date": "2019-05-01",
        "url": f"https://www.rfa.org/english/news/uyghur/report-{n}.html",
        "author": None,
        "body": f"Report {n}: relatives said the detainees were moved.",
        **fields,
    }


def write_jsonl(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def run(*args):
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("import_articles", "--quiet", *map(str, args), stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def refused(path):
    """The command's message for a file it refuses; nothing from it is in the archive."""
    stderr = io.StringIO()
    with pytest.raises(CommandError, match="1 of 1 files failed"):
        call_command("import_articles", str(path), stdout=io.StringIO(), stderr=stderr)
    assert Article.objects.count() == 0
    return stderr.getvalue()


def nested(depth):
    """A record whose extra key holds lists `depth` deep."""
    text = json.dumps(record(2))
    return text[:-1] + ', "extra": ' + "[" * depth + "]" * depth + "}"


# A JSON escape of one half of a surrogate pair: valid JSON syntax, but no character.
LONE_SURROGATE = json.dumps(record(2)).replace("moved.", "moved \\ud800.")


@pytest.mark.parametrize(
    "bad_line, reason",
    [
        (nested(100_000), "malformed JSON: nested too deeply to be read"),
        (LONE_SURROGATE, "the JSON escapes \\ud800, half of a surrogate pair"),
        (
            json.dumps(record(2, title="\\udfff")).replace("\\\\udfff", "\\udfff"),
            "the JSON escapes \\udfff",
        ),
    ],
    ids=["deeply-nested", "lone-surrogate-in-body", "lone-surrogate-in-title"],
)
def test_a_hostile_record_is_skipped_with_its_line_and_reason(tmp_path, bad_line, reason):
    path = write_jsonl(
        tmp_path / "rfa.jsonl", [json.dumps(record(1)), bad_line, json.dumps(record(3))]
    )

    stdout, stderr = run(path, "--skip-invalid")

    assert "Traceback" not in stderr
    (skipped,) = stderr.splitlines()
    assert skipped.startswith(f"{path}, line 2: {reason}")
    assert skipped.endswith(". Skipped.")
    assert stdout == "2 new, 0 unchanged, 0 updated, 1 skipped\n"
    assert sorted(Article.objects.values_list("external_id", flat=True)) == ["r1", "r3"]


@pytest.mark.parametrize("bad_line", [nested(100_000), LONE_SURROGATE])
def test_without_skip_invalid_a_hostile_record_refuses_its_file(tmp_path, bad_line):
    path = write_jsonl(tmp_path / "rfa.jsonl", [json.dumps(record(1)), bad_line])
    message = refused(path)
    assert f"{path}, line 2: " in message
    assert "Nothing from this file was imported." in message
