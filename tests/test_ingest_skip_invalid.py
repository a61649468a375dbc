"""`import_articles --skip-invalid`: a corpus with a few bad records imports, saying which."""

import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from haystack.query import SearchQuerySet

from archive.ingest import importer
from archive.ingest.importer import import_paths
from archive.models import Article, IndexQueue

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def record(n, **fields):
    return {
        "id": f"r{n}",
        "source": "Reuters",
        "title": f"Exporters in Kashgar, report {n}",
        "date": "2008-05-01T09:30:00-04:00",
        "url": f"https://www.reuters.com/article/2008/05/01/report-{n}",
        "author": None,
        "body": f"Report {n}: exporters in Kashgar said orders fell.",
        **fields,
    }


def write_jsonl(path, lines):
    data = "".join(line + "\n" for line in lines).encode()
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def corpus_year(path):
    """Five records as the Reuters year files have them: two with empty bodies among good ones."""
    return write_jsonl(
        path,
        [
            json.dumps(record(1)),
            json.dumps(record(2, body="")),
            json.dumps(record(3)),
            json.dumps(record(4, body="  \n ")),
            json.dumps(record(5)),
        ],
    )


def run(*args):
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("import_articles", *map(str, args), stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_empty_bodies_are_skipped_and_the_rest_imported(tmp_path):
    path = corpus_year(tmp_path / "reuters-2008.jsonl.gz")
    report = import_paths([path], skip_invalid=True)
    assert report.failed == []
    assert report.skipped == [
        f"{path}, line 2: the article text is empty",
        f"{path}, line 4: the article text is empty",
    ]
    assert report.summary == "3 new, 0 unchanged, 0 updated, 2 skipped"
    assert sorted(Article.objects.values_list("external_id", flat=True)) == ["r1", "r3", "r5"]


def test_without_the_option_the_file_is_still_refused_whole(tmp_path):
    path = corpus_year(tmp_path / "reuters-2008.jsonl")
    report = import_paths([path])
    (failed,) = report.failed
    assert failed.error == f"{path}, line 2: the article text is empty"
    assert report.summary == "0 new, 0 unchanged, 0 updated"
    assert Article.objects.count() == 0


def test_every_kind_of_bad_record_is_skipped_with_its_reason(tmp_path, monkeypatch):
    # Batches of two, so skipped lines fall between stored batches.
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    path = tmp_path / "mixed.jsonl"
    lines = [
        json.dumps(record(1)).encode(),
        b'{"id": "r2", "title": ',
        json.dumps(record(3, date="2008-02-30")).encode(),
        json.dumps(record(4, body="Caf\u00e9 owners"), ensure_ascii=False).encode("latin-1"),
        json.dumps({"title": "no other keys"}).encode(),
        json.dumps(record(6)).encode(),
        json.dumps(record(7, url="not a url")).encode(),
        json.dumps(record(8)).encode(),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = import_paths([path], skip_invalid=True)
    reasons = [problem.removeprefix(f"{path}, ") for problem in report.skipped]
    assert [reason.split(":")[0] for reason in reasons] == [
        "line 2",
        "line 3",
        "line 4",
        "line 5",
        "line 7",
    ]
    assert "malformed JSON" in reasons[0]
    assert "impossible date '2008-02-30'" in reasons[1]
    assert "not UTF-8" in reasons[2]
    assert "missing required key(s)" in reasons[3]
    assert "is not a valid URL" in reasons[4]
    assert report.summary == "3 new, 0 unchanged, 0 updated, 5 skipped"
    assert sorted(Article.objects.values_list("external_id", flat=True)) == ["r1", "r6", "r8"]


def test_importing_again_skips_the_same_records_and_adds_nothing(tmp_path):
    path = corpus_year(tmp_path / "reuters-2008.jsonl")
    import_paths([path], skip_invalid=True)
    again = import_paths([path], skip_invalid=True)
    assert again.summary == "0 new, 3 unchanged, 0 updated, 2 skipped"
    assert Article.objects.count() == 3


def test_a_damaged_file_is_still_refused_whole(tmp_path):
    path = tmp_path / "cut.jsonl.gz"
    good = "\n".join(json.dumps(record(n)) for n in range(1, 300)).encode()
    path.write_bytes(gzip.compress(good)[:-40])
    report = import_paths([path], skip_invalid=True)
    (failed,) = report.failed
    assert "the compressed file is damaged or cut short" in failed.error
    assert Article.objects.count() == 0


def test_command_names_each_skipped_record_and_counts_them(tmp_path):
    year = corpus_year(tmp_path / "reuters-2008.jsonl.gz")
    stdout, stderr = run(year, "--skip-invalid", "--quiet")
    assert stderr.splitlines() == [
        f"{year}, line 2: the article text is empty. Skipped.",
        f"{year}, line 4: the article text is empty. Skipped.",
    ]
    assert stdout == "3 new, 0 unchanged, 0 updated, 2 skipped\n"


def test_command_without_the_option_fails_as_before(tmp_path):
    year = corpus_year(tmp_path / "reuters-2008.jsonl")
    stderr = io.StringIO()
    with pytest.raises(CommandError, match="1 of 1 files failed"):
        call_command("import_articles", str(year), stdout=io.StringIO(), stderr=stderr)
    assert "line 2: the article text is empty. Nothing from this file was imported." in (
        stderr.getvalue()
    )


@pytest.mark.slow
def test_exit_status_is_zero_from_the_command_line(tmp_path):
    year = corpus_year(tmp_path / "reuters-2008.jsonl.gz")
    # The command runs on its own scratch archive, whatever database the suite runs on.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SEARCH_URL")}
    env["ARCHIVE_DATA_DIR"] = str(tmp_path / "data")
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    result = subprocess.run(
        [*manage, "import_articles", "--skip-invalid", str(year)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{year}, line 4: the article text is empty. Skipped." in result.stderr
    assert result.stdout.splitlines()[-1] == "3 new, 0 unchanged, 0 updated, 2 skipped"


def test_deferred_indexing_leaves_the_articles_queued_until_sync_index(
    tmp_path, django_capture_on_commit_callbacks
):
    year = corpus_year(tmp_path / "reuters-2008.jsonl")
    with django_capture_on_commit_callbacks(execute=True):
        stdout, _ = run(year, "--skip-invalid", "--defer-indexing", "--quiet")
    assert "queued for the search index: run `manage.py sync_index`" in stdout
    assert Article.objects.count() == 3
    assert IndexQueue.objects.count() == 3
    assert SearchQuerySet().filter(content="Kashgar").count() == 0

    call_command("sync_index", stdout=io.StringIO())
    assert IndexQueue.objects.count() == 0
    assert SearchQuerySet().filter(content="Kashgar").count() == 3
