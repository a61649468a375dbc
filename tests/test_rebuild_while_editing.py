"""An edit saved while `rebuild_index` (or `update_index`) has read a batch of articles and
not yet written it is in the index afterwards; the rebuild does not write back what it read.

haystack's update_index (under `rebuild_index`) reads a batch of articles,
then writes it to the index. An editor's save in between is indexed by the
editor's own process at once, and the rebuild then wrote the batch as it had
read it: an unpublished or deleted article came back into the index, and an
edit was replaced by the text from before it, until the article's next save.

Real processes, in a fixed order: the test holds the index's write lock (as
another writer would), so the rebuild reads its next batch and waits; the
rebuild is stopped, the lock released, and another process unpublishes,
deletes and edits articles of that batch, indexing each change itself; then
the rebuild goes on.
"""

import fcntl
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading

import haystack
import pytest
from haystack.query import SearchQuerySet
from test_faults import WRITE_LOCK
from test_load import ROOT, ServedArchive
from whoosh.index import open_dir

from archive.models import Article
from archive.search.engines import WHOOSH_ENGINE

EXTRA_ARTICLES = 30
BATCH = 5
NEW_WORD = "Zephyrine"

# What editors do to three articles of the batch the rebuild holds.
EDIT = """
import os
from archive.models import Article

unpublish, delete, edit = (int(pk) for pk in os.environ["ARTICLES"].split())
article = Article.objects.get(pk=unpublish)
article.status = Article.Status.DRAFT
article.save()
Article.objects.get(pk=delete).delete()
article = Article.objects.get(pk=edit)
article.title = f"{os.environ['WORD']} report"
article.save()
"""


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    archive = ServedArchive(tmp_path_factory.mktemp("prepared") / "archive", EXTRA_ARTICLES)
    archive.data_dir.mkdir()
    archive.prepare()
    return archive.data_dir


@pytest.fixture
def archive(prepared, tmp_path):
    """A copy of the prepared archive (database and index), for one test to change."""
    shutil.copytree(prepared, tmp_path / "archive")
    return ServedArchive(tmp_path / "archive")


class Rebuild:
    """`manage.py rebuild_index` or `update_index` in a process of its own, its output read
    line by line."""

    def __init__(self, archive, command):
        options = ["--noinput"] if command == "rebuild_index" else []
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", command, *options, "-v", "2", "-b", str(BATCH)],
            cwd=ROOT,
            env={**archive.env, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines = queue.Queue()
        self.output = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, pattern) -> re.Match:
        while True:
            try:
                line = self.lines.get(timeout=30)
            except queue.Empty:
                said = "".join(self.output)
                raise AssertionError(f"the rebuild said nothing for 30 s:\n{said}") from None
            self.output.append(line)
            if match := re.search(pattern, line):
                return match

    def finish(self) -> str:
        self.process.wait(timeout=60)
        while not self.lines.empty():
            self.output.append(self.lines.get())
        assert self.process.returncode == 0, "".join(self.output)[-3000:]
        return "".join(self.output)


def take_write_lock(index_dir) -> int:
    """Hold the index's write lock the way Whoosh takes it; waits for a writer to finish."""
    fd = os.open(index_dir / WRITE_LOCK, os.O_WRONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def release_write_lock(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def indexed_titles(archive) -> dict[int, str]:
    """Each indexed article's title as the index holds it, asked through haystack."""
    info = haystack.connections.connections_info
    info["served"] = {"ENGINE": WHOOSH_ENGINE, "PATH": str(archive.index_dir)}
    try:
        hits = SearchQuerySet(using="served").models(Article)
        return {int(pk): title for pk, title in hits.values_list("pk", "title")[:1_000_000]}
    finally:
        del info["served"]
        getattr(haystack.connections.thread_local, "connections", {}).pop("served", None)


@pytest.mark.slow
@pytest.mark.parametrize("command", ["rebuild_index", "update_index"])
def test_edits_saved_while_a_rebuild_holds_a_batch_are_in_the_index_afterwards(archive, command):
    published = sorted(archive.published_ids())
    if command == "rebuild_index":
        rebuild = Rebuild(archive, command)
        rebuild.wait_for("All documents removed")  # the clear takes the lock too
        lock = take_write_lock(archive.index_dir)
        written = open_dir(archive.index_dir).doc_count()
    else:
        lock = take_write_lock(archive.index_dir)
        rebuild = Rebuild(archive, command)
        written = 0
    try:
        # No batch can be written now: the one after those already written is
        # read, and the rebuild waits for the lock with it.
        batch = rebuild.wait_for(rf"indexed ({written + 1}) - (\d+) of (\d+)")
        first, last, total = map(int, batch.groups())
        assert total == len(published) and last - first + 1 == BATCH
        os.kill(rebuild.process.pid, signal.SIGSTOP)
    finally:
        release_write_lock(lock)
    try:
        unpublish, delete, edit = published[first - 1 : first + 2]
        edited = archive.manage(
            "shell",
            "-c",
            EDIT,
            env_extra={"ARTICLES": f"{unpublish} {delete} {edit}", "WORD": NEW_WORD},
        )
        assert edited.returncode == 0, edited.stderr[-3000:]
        assert archive.queued() == 0  # each change was indexed by the process that made it
    finally:
        os.kill(rebuild.process.pid, signal.SIGCONT)
    rebuild.finish()

    now_published = archive.published_ids()
    assert now_published == set(published) - {unpublish, delete}
    titles = indexed_titles(archive)
    assert set(titles) == now_published  # not the unpublished one, nor the deleted one
    assert titles[edit] == f"{NEW_WORD} report"  # the edit, not the title the rebuild read
    assert archive.queued() == 0
    verified = archive.manage("verify", "--index")
    assert verified.returncode == 0, verified.stdout + verified.stderr
