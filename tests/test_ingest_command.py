"""`manage.py import_articles` reports each file and a summary, and fails without a traceback."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from archive.ingest import importer

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("import_articles", *map(str, args), stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_prints_each_file_and_the_summary(seed_dir, seed_paths):
    stdout, stderr = run(seed_dir)
    lines = stdout.splitlines()
    assert lines[:5] == [f"{path}: 1 new, 0 unchanged, 0 updated" for path in seed_paths]
    assert lines[-1] == "5 new, 0 unchanged, 0 updated"
    assert stderr == ""
    assert run(seed_dir)[0].splitlines()[-1] == "0 new, 5 unchanged, 0 updated"


def test_a_failed_file_is_named_and_the_command_fails(seed_paths, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n', encoding="utf-8")
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 of 2 files failed"):
        call_command("import_articles", str(seed_paths[0]), str(bad), stdout=stdout, stderr=stderr)
    assert stderr.getvalue() == (
        f"{bad}, line 1: missing required key(s): source, title, date, url, author, body. "
        "Nothing from this file was imported.\n"
    )
    assert stdout.getvalue().splitlines()[-1] == "1 new, 0 unchanged, 0 updated"


def test_progress_of_reading_and_indexing_is_shown_unless_quiet(
    tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(importer, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(importer, "INDEX_BATCH_SIZE", 3)
    path = tmp_path / "a.jsonl"
    records = [
        {
            "id": n,
            "source": None,
            "title": None,
            "date": None,
            "url": None,
            "author": None,
            "body": f"Text number {n}.",
        }
        for n in range(5)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    stderr = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):  # indexing waits for the commit
        call_command("import_articles", str(path), stdout=io.StringIO(), stderr=stderr)
    assert stderr.getvalue().splitlines() == [
        "2 records…",
        "4 records…",
        "3 of 5 articles indexed…",
        "5 of 5 articles indexed…",
    ]

    stdout, stderr = run(path, "--quiet")
    assert stderr == ""
    assert stdout == "0 new, 5 unchanged, 0 updated\n"


@pytest.mark.slow
def test_exit_status_and_no_traceback_from_the_command_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"Caf\xe9 owners detained\n\nText.")
    # Its own SQLite archive and index, whatever database the suite runs on.
    env = {**os.environ, "ARCHIVE_DATA_DIR": str(tmp_path / "data")}
    env.pop("DATABASE_URL", None)
    env.pop("SEARCH_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    result = subprocess.run(
        [*manage, "import_articles", str(bad)], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{bad}, line 1: not UTF-8: byte 0xe9 cannot be decoded" in result.stderr
    assert result.stdout == "0 new, 0 unchanged, 0 updated\n"
