"""Hostile records given to `import_articles` are bad records like any other: named by file and
line, skipped with --skip-invalid, the file refused without it, and nothing written.
"""

import io
import json

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from archive.models import Article, IndexQueue, Mention

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


# The size limit per article ---------------------------------------------------------------


def stored_state():
    """Everything an import could change about the archive's articles."""
    return (
        list(Article.objects.order_by("pk").values()),
        Article.history.count(),
        Mention.objects.count(),
        IndexQueue.objects.count(),
    )


@pytest.fixture
def archived(tmp_path):
    """An article already in the archive, imported with its URL."""
    path = write_jsonl(tmp_path / "first.jsonl", [json.dumps(record(1))])
    call_command("import_articles", "--quiet", str(path), stdout=io.StringIO())
    return Article.objects.get()


def oversized(n, **fields):
    """A record whose text is one character over the limit (real words, paragraphs)."""
    limit = settings.ARCHIVE_MAX_ARTICLE_CHARS
    paragraph = "Relatives in Ghulja said the detainees were moved to a camp near Kashgar. "
    text = (paragraph * (limit // len(paragraph) + 1))[: limit + 1]
    return json.dumps(record(n, body=text, **fields))


def test_the_default_limit_leaves_generous_room_above_the_longest_real_article():
    # The longest body in ../shared/corpus has 58,218 characters.
    assert settings.ARCHIVE_MAX_ARTICLE_CHARS == 500_000


def test_an_oversized_record_is_skipped_and_never_replaces_the_article_with_its_url(
    tmp_path, archived
):
    before = stored_state()
    path = write_jsonl(
        tmp_path / "rfa.jsonl",
        [oversized(1, title="Replaced by a huge record"), json.dumps(record(2))],
    )

    stdout, stderr = run(path, "--skip-invalid")

    limit = settings.ARCHIVE_MAX_ARTICLE_CHARS
    assert stderr == (
        f"{path}, line 1: the article text is {limit + 1:,} characters long; at most {limit:,} "
        "are allowed (ARCHIVE_MAX_ARTICLE_CHARS): split it into parts. Skipped.\n"
    )
    assert stdout == "1 new, 0 unchanged, 0 updated, 1 skipped\n"
    articles, history, mentions, _ = before
    assert list(Article.objects.filter(pk=archived.pk).values()) == articles
    assert Article.history.filter(id=archived.pk).count() == history
    assert Mention.objects.filter(article=archived).count() == mentions


def test_without_skip_invalid_an_oversized_record_refuses_its_file(tmp_path, archived):
    before = stored_state()
    path = write_jsonl(tmp_path / "rfa.jsonl", [json.dumps(record(2)), oversized(1)])
    stderr = io.StringIO()
    with pytest.raises(CommandError, match="1 of 1 files failed"):
        call_command("import_articles", str(path), stdout=io.StringIO(), stderr=stderr)
    assert f"{path}, line 2: the article text is " in stderr.getvalue()
    assert "Nothing from this file was imported." in stderr.getvalue()
    assert stored_state() == before


def test_an_oversized_seed_text_file_is_refused(tmp_path, settings):
    settings.ARCHIVE_MAX_ARTICLE_CHARS = 1_000
    path = tmp_path / "long.txt"
    path.write_text("A long report\n\n2020-06-17\n\n" + "Words of the report. " * 60)
    message = refused(path)
    assert f"{path}: the article text is " in message
    assert "at most 1,000 are allowed" in message


def test_an_article_at_the_limit_is_imported(tmp_path, settings):
    settings.ARCHIVE_MAX_ARTICLE_CHARS = 1_000
    body = ("Relatives said the detainees were moved. " * 30)[:1_000]
    path = write_jsonl(tmp_path / "rfa.jsonl", [json.dumps(record(1, body=body))])
    stdout, stderr = run(path)
    assert stdout == "1 new, 0 unchanged, 0 updated\n"
    assert Article.objects.get().body == body.strip()
