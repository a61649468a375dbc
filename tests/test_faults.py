"""The archive keeps answering when the search index is missing, emptied or locked, and comes back
after a worker or a rebuild is killed with SIGKILL, with one command to bring the index in line.

The first tests run in this process against the test's own Whoosh index; the
last ones start real processes (gunicorn, `manage.py`) on a temporary archive
and kill them (helpers in tests/test_load.py).
"""

import fcntl
import json
import os
import re
import shutil
import signal
import threading
import time
from dataclasses import dataclass, field

import pytest
from django.core.management import call_command
from test_load import ServedArchive, Session, form_fields

from archive.articles import save_article
from archive.models import Article, Entity
from archive.search.health import (
    INDEX_INCOMPLETE,
    SEARCH_UNAVAILABLE,
    SECOND_TRY_AFTER_SECONDS,
    is_engine_failure,
)

SEARCH_ANSWERS = ["/search/?q=Uyghur", "/api/search?q=Uyghur", "/search/export.csv?q=Uyghur"]
SEARCH_FEED = "/feeds/search/?q=Uyghur"


@pytest.fixture
def seeded(db, search_index):
    """The seed articles and the entity vocabulary, indexed."""
    call_command("loaddata", "fixtures/seed_articles.json", "fixtures/entities.json", verbosity=0)
    call_command("update_index", verbosity=0)
    assert search_index.model_doc_count(Article) == Article.objects.published().count() > 0
    return search_index


def reader_pages():
    """Pages that come from the database alone: they must not notice the index at all."""
    article = Article.objects.published().first()
    entity = Entity.objects.first()
    return [
        "/",
        "/articles/",
        article.get_absolute_url(),
        entity.get_absolute_url(),
        "/feeds/latest/",
        "/search/",  # the empty search form asks the index nothing
    ]


def assert_reader_pages_unaffected(client):
    for url in reader_pages():
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Search-Notice" not in response.headers, url


def assert_search_says(client, notice):
    page = client.get("/search/?q=Uyghur")
    assert page.status_code == notice.status
    assert notice.text in page.content.decode()
    assert page["Search-Notice"] == notice.text
    api = client.get("/api/search?q=Uyghur")
    assert api.status_code == notice.status
    assert api.json()["index_notice"] == notice.text
    for url in [*SEARCH_ANSWERS, SEARCH_FEED]:
        response = client.get(url)
        assert response.status_code == notice.status, url
        assert response["Search-Notice"] == notice.text, url
        if notice.unavailable:
            assert int(response["Retry-After"]) > 0
    feed = client.get(SEARCH_FEED).content.decode()
    assert notice.text in feed


@pytest.mark.django_db(transaction=True)
def test_a_complete_index_answers_without_a_notice(client, seeded):
    for url in [*SEARCH_ANSWERS, SEARCH_FEED]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Search-Notice" not in response.headers, url
    assert client.get("/api/search?q=Uyghur").json()["index_notice"] is None


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_deleted_index_directory_makes_search_unavailable_not_an_error(
    client, seeded, monkeypatch
):
    client.get("/search/?q=Uyghur")  # this process has the index open, as a server would
    shutil.rmtree(seeded.path)

    # A search fails at once, asked again once after the one pause (tried_twice): it
    # does not wait for a commit to bring back an index whose directory is gone.
    pauses = []
    monkeypatch.setattr(time, "sleep", pauses.append)
    assert client.get("/search/?q=Uyghur").status_code == SEARCH_UNAVAILABLE.status
    assert pauses == [SECOND_TRY_AFTER_SECONDS]
    monkeypatch.undo()
    assert_search_says(client, SEARCH_UNAVAILABLE)
    page = client.get("/search/?q=Uyghur").content.decode()
    assert "No published article matches" not in page  # not "nothing found": search is down
    assert 'href="/dates/"' in page  # the ways of browsing that still work
    assert_reader_pages_unaffected(client)

    call_command("rebuild_index", interactive=False, verbosity=0)
    response = client.get("/api/search?q=Uyghur")
    assert response.status_code == 200
    assert response.json()["count"] > 0
    assert response.json()["index_notice"] is None


@pytest.mark.django_db(transaction=True)
def test_an_index_emptied_by_a_rebuild_under_way_says_results_may_be_incomplete(client, seeded):
    # rebuild_index first clears the index (haystack deletes the Whoosh files
    # and creates an empty index), then adds the articles batch by batch.
    seeded.clear()

    assert_search_says(client, INDEX_INCOMPLETE)
    assert client.get("/api/search?q=Uyghur").json()["count"] == 0
    assert_reader_pages_unaffected(client)

    call_command("update_index", verbosity=0)
    assert client.get("/api/search?q=Uyghur").json()["index_notice"] is None


@pytest.mark.django_db(transaction=True)
def test_changes_waiting_in_the_queue_are_not_called_a_rebuild(client, seeded):
    seeded.lock_timeout = 0.2
    other_process = seeded.index.writer()  # holds Whoosh's single write lock
    try:
        article = Article.objects.published().first()
        article.status = Article.Status.DRAFT
        save_article(article)  # the index cannot take it: it waits in the queue
        Article.objects.filter(pk=article.pk).update(status=Article.Status.PUBLISHED)
        save_article(
            Article(
                title="A new article while the index is locked",
                slug="new-while-locked",
                body="Waiting for the index.",
                status=Article.Status.PUBLISHED,
            )
        )
        # Searches read while a writer holds the lock; nothing is missing
        # beyond what the queue will bring.
        for url in [*SEARCH_ANSWERS, SEARCH_FEED]:
            response = client.get(url)
            assert response.status_code == 200, url
            assert "Search-Notice" not in response.headers, url
    finally:
        other_process.cancel()


@pytest.mark.django_db(transaction=True)
def test_an_index_missing_articles_without_queue_says_so_until_update_index(client, seeded):
    article = Article.objects.published().first()
    seeded.remove(article)  # lost from the index, e.g. by a crash, with nothing queued

    assert_search_says(client, INDEX_INCOMPLETE)
    call_command("update_index", verbosity=0)
    assert "Search-Notice" not in client.get("/search/?q=Uyghur").headers


def test_a_bug_in_the_archive_is_not_dressed_up_as_an_outage():
    from archive.search.health import is_engine_failure

    assert not is_engine_failure(ValueError("a mistake of ours"))
    assert not is_engine_failure(KeyError("page"))
    assert is_engine_failure(FileNotFoundError("MAIN_x.seg"))

    from haystack.exceptions import SearchBackendError

    assert is_engine_failure(SearchBackendError("engine down"))


def test_an_index_replaced_under_a_search_is_asked_again_but_a_bug_is_not():
    from archive.search.health import tried_twice

    tries = []

    def index_being_replaced():
        tries.append(1)
        if len(tries) == 1:
            raise FileNotFoundError("_MAIN_3.toc")  # removed by the rebuild's clear
        return "answer"

    assert tried_twice(index_being_replaced) == "answer" and len(tries) == 2

    def buggy():
        tries.append(1)
        raise KeyError("page")

    tries.clear()
    with pytest.raises(KeyError):
        tried_twice(buggy)
    assert len(tries) == 1


# Killing real processes ---------------------------------------------------------------------
#
# Whoosh's write lock is an flock(2) on the index's MAIN_WRITELOCK file; the
# kernel lists who holds it in /proc/locks, which is how these tests find the
# process that is writing the index at that moment, and kill exactly it.

WRITE_LOCK = "MAIN_WRITELOCK"


def write_lock_holders(index_dir) -> set[int]:
    """Processes holding the index's write lock now (an empty set: the lock is free)."""
    try:
        inode = os.stat(index_dir / WRITE_LOCK).st_ino
    except FileNotFoundError:
        return set()
    holders = set()
    with open("/proc/locks") as locks:
        for line in locks:
            parts = line.split()
            if parts[1] == "FLOCK" and parts[5].rsplit(":", 1)[-1] == str(inode):
                holders.add(int(parts[4]))
    return holders


def kill_while_writing(index_dir, candidates, timeout=60, sig=signal.SIGKILL) -> int:
    """Send `sig` to the first of `candidates()` seen holding the index's write lock; its pid."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        writing = write_lock_holders(index_dir) & set(candidates())
        if writing:
            pid = writing.pop()
            os.kill(pid, sig)
            return pid
        time.sleep(0.002)
    raise AssertionError("no process was seen writing the index")


def wait_until_emptied(archive, rebuild, timeout=60) -> None:
    """Return once `rebuild` has emptied the served index, before it has filled it again.

    The rebuild empties the index holding the write lock. Killed at its first sight of
    the lock, it could leave the old, whole index in place: not a rebuild killed midway.
    Stopped there, it could hold the old table of contents half deleted, and searches
    answer 503 until it goes on or is killed (a narrower fault than the tests' own).
    """
    published = len(archive.published_ids())
    deadline = time.monotonic() + timeout
    while True:
        try:
            if len(archive.indexed_ids()) < published:
                return
        except Exception as error:  # the rebuild deleting files under this search
            if not is_engine_failure(error):
                raise
        assert rebuild.poll() is None, "the rebuild ended before it was seen emptying the index"
        assert time.monotonic() < deadline, "the rebuild did not empty the index"
        time.sleep(0.01)


def lock_can_be_taken(index_dir) -> bool:
    """Whether a new writer would get the lock at once (tried the way Whoosh takes it)."""
    fd = os.open(index_dir / WRITE_LOCK, os.O_WRONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


@dataclass
class Reader:
    """A reader searching and reading the served archive in a loop, while something breaks."""

    archive: ServedArchive
    paths: list
    answers: list = field(default_factory=list)  # (time, path, status, notice or error)
    stop: threading.Event = field(default_factory=threading.Event)
    UNAVAILABLE = (503, SEARCH_UNAVAILABLE.text)

    def run(self):
        session = Session(self.archive.port, timeout=60)
        while not self.stop.is_set():
            for path in self.paths:
                try:
                    answer = session.get(path)
                    notice = answer.headers.get("Search-Notice")
                    self.answers.append((time.monotonic(), path, answer.status, notice))
                except OSError as error:
                    self.answers.append((time.monotonic(), path, None, repr(error)))

    def __enter__(self):
        self.thread = threading.Thread(target=self.run)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=120)

    def failures(self):
        """Dropped requests and server errors; a 503 that says search is unavailable is neither."""
        return [
            a
            for a in self.answers
            if a[2] is None or (a[2] >= 500 and (a[2], a[3]) != self.UNAVAILABLE)
        ]

    def unavailable(self) -> int:
        return sum(1 for a in self.answers if (a[2], a[3]) == self.UNAVAILABLE)

    def first_answer_after(self, moment, status=200):
        return next(t for t, _, s, _ in self.answers if t > moment and s == status) - moment


READING = ["/api/search?q=loadcheck7", "/search/?q=Xinjiang", "/articles/", "/"]


def unpublished(archive) -> int:
    return archive.rows("SELECT count(*) FROM archive_article WHERE status = 'draft'")[0][0]


@pytest.fixture
def big_archive(tmp_path):
    """A served archive with enough articles that writing the index takes a while."""
    archive = ServedArchive(tmp_path / "archive", extra_articles=1500)
    archive.data_dir.mkdir()
    archive.prepare()
    archive.serve(workers=3)
    yield archive
    archive.stop()


@pytest.mark.slow
def test_a_worker_killed_while_writing_the_index_loses_nothing_and_sync_index_catches_up(
    big_archive,
):
    archive = big_archive
    editor = Session(archive.port, timeout=120)
    editor.log_in(archive.editors[0], archive.editor_password)
    ids = [pk for (pk,) in archive.rows("SELECT id FROM archive_article ORDER BY id")][-300:]
    editor.get("/admin/archive/article/")
    editor.post_form(
        "/admin/archive/article/", {"action": "unpublish", "_selected_action": ids, "index": "0"}
    )
    assert unpublished(archive) == 300
    assert archive.indexed_ids() == archive.published_ids()
    # One request that publishes the 300 again: one transaction, then one index write that adds
    # the articles and their quotes in one commit. Adding 300 articles holds the index's lock
    # for a second or so, long enough to be seen; removing them holds it for a few ms.
    dropped = []

    def publish_all():
        editor.get("/admin/archive/article/")
        try:
            editor.post_form(
                "/admin/archive/article/",
                {"action": "publish", "_selected_action": ids, "index": "0"},
            )
        except OSError as error:
            dropped.append(error)  # the worker serving it was killed: expected

    with Reader(archive, READING) as reader:
        action = threading.Thread(target=publish_all)
        action.start()
        killed = kill_while_writing(archive.index_dir, archive.worker_pids)
        killed_at = time.monotonic()
        action.join(timeout=120)
        back = archive.wait_until_serving("/api/search?q=loadcheck7")
        while killed in archive.worker_pids() or len(archive.worker_pids()) < 3:
            time.sleep(0.05)
        replaced = time.monotonic() - killed_at
        time.sleep(1)

    assert dropped, "the request of the killed worker should have been cut"
    assert reader.failures() == [], archive.log_tail()
    assert lock_can_be_taken(archive.index_dir)  # the lock died with the worker

    done = 300 - unpublished(archive)
    queued = archive.queued()
    started = time.monotonic()
    synced = archive.manage("sync_index", "--related-seconds", "0")  # the index's part alone
    sync_seconds = time.monotonic() - started
    assert synced.returncode == 0, synced.stderr
    assert queued >= 1  # killed holding the lock: its article was still queued
    verified = archive.manage("verify", "--index")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert archive.indexed_ids() == archive.published_ids()
    print(
        f"\nworker {killed} killed while writing the index, after {done} of 300 "
        f"published; {len(reader.answers)} reader requests, none failed; search answered "
        f"{back:.2f} s after the kill, worker replaced after {replaced:.2f} s; "
        f"{queued} change(s) queued; sync_index took {sync_seconds:.2f} s"
    )


@pytest.mark.slow
def test_a_rebuild_killed_midway_leaves_search_answering_and_one_command_restores_the_index(
    big_archive,
):
    archive = big_archive
    with Reader(archive, READING) as reader:
        time.sleep(0.5)
        rebuild = archive.start_manage("rebuild_index", "--noinput")
        wait_until_emptied(archive, rebuild)
        killed = kill_while_writing(archive.index_dir, lambda: [rebuild.pid])
        killed_at = time.monotonic()
        rebuild.wait()
        time.sleep(1.5)
        during = archive.manage("verify", "--index")

        # The lock file is left behind, but no process holds its lock: it is not stale.
        assert (archive.index_dir / WRITE_LOCK).exists()
        assert write_lock_holders(archive.index_dir) == set()
        assert lock_can_be_taken(archive.index_dir)

        started = time.monotonic()
        restored = archive.manage("rebuild_index", "--noinput")
        restore_seconds = time.monotonic() - started
        assert restored.returncode == 0, restored.stderr
        in_line_at = time.monotonic()
        time.sleep(1)

    assert rebuild.returncode == -signal.SIGKILL
    assert reader.failures() == [], archive.log_tail()
    searches_after_kill = [
        (status, notice)
        for t, path, status, notice in reader.answers
        if path.startswith("/api/search") and killed_at < t < in_line_at - restore_seconds
    ]
    assert searches_after_kill, "no search was made while the index was incomplete"
    # Killed while writing the articles, article searches say the index is incomplete; killed
    # once all the articles were written (the commit done, its lock not yet released, or the
    # quotes under way), they are complete.
    articles_in_line = re.search(
        r"holds (\d+) article\(s\); \1 published\. They are the same", during.stdout
    )
    expected = (200, None) if articles_in_line else (200, INDEX_INCOMPLETE.text)
    assert all(s == expected for s in searches_after_kill), during.stdout + during.stderr
    if not articles_in_line:
        assert during.returncode != 0  # verify --index saw the damage
    verified = archive.manage("verify", "--index")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert archive.indexed_ids() == archive.published_ids()
    final = Session(archive.port).get("/api/search?q=loadcheck7")
    assert final.status == 200 and "Search-Notice" not in final.headers
    notices = sum(1 for a in reader.answers if a[3] == INDEX_INCOMPLETE.text)
    print(
        f"\nrebuild {killed} killed while writing; {len(reader.answers)} reader requests, none "
        f"failed, {notices} answered with the rebuild notice, {reader.unavailable()} with "
        f"'unavailable' (503); rebuild_index brought "
        f"{len(archive.published_ids())} articles back in {restore_seconds:.2f} s "
        f"(kill to index in line {in_line_at - killed_at:.2f} s)"
    )


@pytest.fixture
def big_archive_short_lock_wait(tmp_path):
    """The big archive, its writes waiting 2 s (not 10) for another process's index lock."""
    archive = ServedArchive(tmp_path / "archive", extra_articles=1500)
    archive.env["SEARCH_LOCK_TIMEOUT"] = "2"
    archive.data_dir.mkdir()
    archive.prepare()
    archive.serve(workers=3)
    yield archive
    archive.stop()


@pytest.mark.slow
def test_a_hung_writer_holds_the_lock_until_killed_and_edits_meanwhile_wait_in_the_queue(
    big_archive_short_lock_wait,
):
    archive = big_archive_short_lock_wait
    rebuild = archive.start_manage("rebuild_index", "--noinput")
    wait_until_emptied(archive, rebuild)
    hung = kill_while_writing(archive.index_dir, lambda: [rebuild.pid], sig=signal.SIGSTOP)
    try:
        # A live process holds the lock: that lock is real, and it is the holder that is seen.
        assert write_lock_holders(archive.index_dir) == {hung}
        assert not lock_can_be_taken(archive.index_dir)

        editor = Session(archive.port, timeout=120)
        editor.log_in(archive.editors[0], archive.editor_password)
        (pk,) = archive.rows("SELECT id FROM archive_article WHERE slug = 'synthetic-7'")[0]
        change = f"/admin/archive/article/{pk}/change/"
        fields = form_fields(editor.get(change).body)
        fields.update(body=fields["body"] + "\n\nRevision hungcheck.", _save="Save")
        started = time.monotonic()
        saved = editor.post_form(change, fields)
        save_seconds = time.monotonic() - started
        assert saved.status == 302  # saved: the index waits, the editor's work does not
        assert archive.queued() >= 1
        search = Session(archive.port).get("/api/search?q=Xinjiang")
        assert search.status == 200
    finally:
        os.kill(hung, signal.SIGKILL)
        rebuild.wait()
    assert lock_can_be_taken(archive.index_dir)

    restored = archive.manage("rebuild_index", "--noinput")
    assert restored.returncode == 0, restored.stderr
    assert archive.queued() == 0
    assert archive.indexed_ids() == archive.published_ids()
    found = json.loads(Session(archive.port).get("/api/search?q=hungcheck").body)
    assert found["count"] == 1 and found["index_notice"] is None
    waits = archive.log_tail(400).count("changes stay queued")
    print(
        f"\nrebuild {hung} stopped holding the lock: an admin save took {save_seconds:.1f} s "
        f"({waits} wait(s) for the index lock timed out) and was queued; applied by the next "
        f"rebuild_index"
    )
