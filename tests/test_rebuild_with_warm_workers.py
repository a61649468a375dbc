"""After `rebuild_index`, every warm gunicorn worker searches the rebuilt index and writes to it
correctly, also when editors save during the rebuild.

Whoosh numbers an index's commits from 0 again after a rebuild. A worker that
kept its searcher from before the rebuild once took it as current as soon as
the new index's commit number reached the old one: it found nothing of what
was saved since, and deleted documents by the old searcher's numbers, so
unpublishing one article removed another from the index. This test does what
led there, with real processes: gunicorn with warm workers, a real
`manage.py rebuild_index`, saves until the commit number is back where it
was, searches until every worker has answered, an unpublish in the admin.
The workers are forked from a master that preloads the application
(gunicorn.conf.py): it must share no database connection or index file with them.
"""

import json
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest
from test_load import ServedArchive, Session, form_fields

pytestmark = pytest.mark.slow
WORKERS = 2
ADMIN = "/admin/archive/article/"
FIRST, LAST = 1, 5  # seed articles, indexed in this order by a rebuild
EXTRA_ARTICLES = 30  # so that a rebuild in batches of 5 commits several times

# Saves one article until the index's commit number reaches TARGET, the last
# save adding WORD to its title; prints the commit number reached.
SAVE_UNTIL = """
import os, re
from archive.articles import save_article
from archive.models import Article

def generation():
    names = os.listdir(os.environ["INDEX_DIR"])
    return max(int(m[1]) for name in names if (m := re.fullmatch(r"_MAIN_(\\d+)\\.toc", name)))

article = Article.objects.get(pk=int(os.environ["ARTICLE"]))
title, target, saves = article.title, int(os.environ["TARGET"]), 0
while generation() < target - 1:
    saves += 1
    article.title = f"{title} (save {saves})"
    save_article(article)
article.title = f"{title} {os.environ['WORD']}".strip()
save_article(article)
print(generation())
"""


def generation(archive) -> int:
    """The number of the index's latest commit, as Whoosh names its table of contents."""
    names = os.listdir(archive.index_dir)
    return max(int(m[1]) for name in names if (m := re.fullmatch(r"_MAIN_(\d+)\.toc", name)))


def segment_files(archive) -> set[str]:
    return {path.name for path in archive.index_dir.glob("*.seg")}


def save_until(archive, pk: int, target: int, word: str = "") -> int:
    done = archive.manage(
        "shell",
        "-c",
        SAVE_UNTIL,
        env_extra={"ARTICLE": str(pk), "TARGET": str(target), "WORD": word},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return int(done.stdout.split()[-1])


def search_on_every_worker(archive, word: str, rounds: int = 3) -> list[dict]:
    """The JSON answers to a search for `word`, asked until every worker answered it `rounds` times.

    Requests go out several at a time, so that each worker accepts some.
    """
    path = f"/api/search?q={quote(word)}"
    since = archive.access_log.stat().st_size
    workers = set(archive.worker_pids())
    answers = []
    with ThreadPoolExecutor(WORKERS * 3) as pool:
        for _ in range(30):
            for answer in pool.map(lambda _: Session(archive.port).get(path), range(WORKERS * 3)):
                assert answer.status == 200, (answer.status, answer.body[:500])
                answers.append(json.loads(answer.body))
            time.sleep(0.05)  # gunicorn logs a request just after answering it
            answered = archive.answering_workers(path, since)
            if set(answered) == workers and min(answered.values()) >= rounds:
                return answers
    raise AssertionError(f"not every worker answered {path}: {answered}, workers {workers}")


def titles(answer: dict) -> list[str]:
    return sorted(result["title"] for result in answer["results"])


def title_of(archive, pk: int) -> str:
    return archive.rows("SELECT title FROM archive_article WHERE id = ?", pk)[0][0]


def save_title_in_admin(session, pk: int, title: str) -> None:
    fields = form_fields(session.get(f"{ADMIN}{pk}/change/").body)
    fields.update(title=title, _save="Save")
    answer = session.post_form(f"{ADMIN}{pk}/change/", fields)
    assert answer.status == 302, answer.body[-2000:]


def unpublish_in_admin(session, pk: int) -> None:
    session.get(ADMIN)
    answer = session.post_form(
        ADMIN, {"action": "unpublish", "_selected_action": [pk], "index": "0"}
    )
    assert answer.status == 302, answer.body[-2000:]


@pytest.fixture
def archive(tmp_path):
    archive = ServedArchive(tmp_path / "archive", extra_articles=EXTRA_ARTICLES)
    archive.data_dir.mkdir()
    archive.prepare()
    archive.serve(workers=WORKERS)
    yield archive
    archive.stop()


def shared_dirty_mb(pid: int) -> float:
    """Memory process `pid` has written (or inherited written) and shares with another process."""
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    return int(re.search(r"^Shared_Dirty:\s+(\d+) kB", rollup, re.M)[1]) / 1024


def test_warm_workers_search_and_unpublish_in_the_rebuilt_index(archive):
    # The old index grows a few commits; every worker opens it by searching.
    before = save_until(archive, LAST, generation(archive) + 3)
    search_on_every_worker(archive, "Uyghur")
    # gunicorn.conf.py: the workers were forked from a master that loaded the application,
    # and share its pages (a worker loading its own shares only gunicorn's, about 4 MB);
    # the master opened neither the database nor the index, so it shares neither.
    for pid in archive.worker_pids():
        assert shared_dirty_mb(pid) > 15, f"worker {pid}: {shared_dirty_mb(pid):.1f} MB"
    assert archive.data_files_open_in(archive.server.pid) == []

    rebuilt = archive.manage("rebuild_index", "--noinput")
    assert rebuilt.returncode == 0, rebuilt.stderr[-3000:]
    assert generation(archive) < before  # Whoosh numbers the rebuilt index's commits afresh
    assert save_until(archive, FIRST, before, word="Zephyrine") == before

    # A fresh process finds the new title word; so must every worker.
    expected = [title_of(archive, FIRST)]
    for answer in search_on_every_worker(archive, "Zephyrine"):
        assert (answer["count"], titles(answer)) == (1, expected)

    # Unpublishing one article removes that one from the index, and no other.
    editor = Session(archive.port)
    editor.log_in(archive.editors[0], archive.editor_password)
    unpublished_title = title_of(archive, LAST)
    unpublish_in_admin(editor, LAST)
    for answer in search_on_every_worker(archive, "Zephyrine"):
        assert (answer["count"], titles(answer)) == (1, expected)
    for answer in search_on_every_worker(archive, f'"{unpublished_title}"'):
        assert (answer["count"], titles(answer)) == (0, [])
    assert archive.indexed_ids() == archive.published_ids()

    verified = archive.manage("verify", "--index")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # It names every worker as searching the index's latest commit.
    searching = re.search(r"latest commit, .*: ([\d, ]+)\.", verified.stdout)
    assert searching, verified.stdout
    assert set(archive.worker_pids()) <= {int(pid) for pid in searching[1].split(", ")}


def test_saves_during_a_rebuild_are_searchable_on_every_worker(archive):
    search_on_every_worker(archive, "Uyghur")
    editor = Session(archive.port)
    editor.log_in(archive.editors[0], archive.editor_password)
    words = {pk: [] for pk in (2, 3, 4)}
    rebuild = archive.start_manage("rebuild_index", "--noinput", "--batch-size", "5")
    # Editors save while the rebuild runs, and on until the rebuilt index's
    # commit number has passed every number the old one reached.
    old_segments = segment_files(archive)
    highest_before, saves, deadline = generation(archive), 0, time.monotonic() + 60
    while rebuild.poll() is None or generation(archive) <= highest_before + 1:
        assert time.monotonic() < deadline, "the rebuild or the saves took too long"
        if old_segments & segment_files(archive):  # not cleared yet
            highest_before = max(highest_before, generation(archive))
        pk = 2 + saves % 3
        word = f"Duringrebuild{saves}"
        save_title_in_admin(
            editor, pk, f"{title_of(archive, pk).split(' Duringrebuild')[0]} {word}"
        )
        words[pk].append(word)
        saves += 1
    assert rebuild.wait() == 0, rebuild.stderr.read()[-3000:]

    for pk, saved in words.items():
        expected = [title_of(archive, pk)]
        for answer in search_on_every_worker(archive, saved[-1]):
            assert (answer["count"], titles(answer)) == (1, expected)
        if len(saved) > 1:  # the title it had before is gone
            for answer in search_on_every_worker(archive, saved[-2], rounds=1):
                assert answer["count"] == 0, saved[-2]
    assert archive.queued() == 0
    assert archive.indexed_ids() == archive.published_ids()
    verified = archive.manage("verify", "--index")
    assert verified.returncode == 0, verified.stdout + verified.stderr
