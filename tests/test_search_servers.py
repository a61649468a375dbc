"""`verify --index` hears from every process that has the index open, and names one that searches
a stale state of it.

The processes are real (`manage.py shell`), searching the test's index; this
process changes the index and runs `verify`.
"""

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from archive.articles import save_article
from archive.models import Article, IndexQueue
from archive.search.indexing import index_articles
from archive.search.servers import COMMIT_SLACK_SECONDS

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent

# Opens the index as a server does, then, at each line read, searches again
# (the archive's own way) or, with STALE set, records a search of the commit
# it already had open, as a server did before searchers were tied to commits.
SERVER = """
import os, sys, time
from haystack import connections
from archive.search.servers import status_for

backend = connections["default"].get_backend()
backend.searcher()
print("opened", flush=True)
for line in sys.stdin:
    if os.environ.get("STALE"):
        status_for(backend.path).searched(backend._local.commit, time.time())
    else:
        backend.searcher()
    print("searched", flush=True)
"""


class Server:
    def __init__(self, index_path: str, stale: bool = False):
        env = {**os.environ, "SEARCH_URL": f"whoosh://{index_path}", "STALE": "1" if stale else ""}
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-v0", "-c", SERVER],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.pid = self.process.pid
        assert self.process.stdout.readline().strip() == "opened"

    def search(self):
        self.process.stdin.write("search\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "searched"

    def stop(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


def verify() -> tuple[str, str, CommandError | None]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify", "--index", stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), error
    return out.getvalue(), err.getvalue(), None


def test_verify_tells_current_idle_and_stale_server_processes_apart(search_index):
    call_command("loaddata", "fixtures/seed_articles.json", verbosity=0)
    index_articles(Article.objects.values_list("pk", flat=True))
    IndexQueue.objects.all().delete()
    servers = [Server(search_index.path), Server(search_index.path, stale=True)]
    fresh, stale = servers
    try:
        out, err, error = verify()
        assert error is None, err
        assert "latest commit, generation 1 (segments MAIN_" in out
        assert f": {fresh.pid}, {stale.pid}." in out or f": {stale.pid}, {fresh.pid}." in out

        article = Article.objects.first()
        article.title += " (corrected)"
        save_article(article)  # the index changes; neither server has searched since
        out, err, error = verify()
        assert error is None, err
        assert "searching the index's latest commit, generation 2" in out
        assert "Idle since the index changed (they switch at their next search)" in out

        time.sleep(COMMIT_SLACK_SECONDS + 0.2)
        for server in servers:
            server.search()
        out, err, error = verify()
        assert str(error) == "1 problem(s) found."
        assert "latest commit, generation 2 (segments MAIN_" in err and f": {fresh.pid}." in err
        assert f"STALE process {stale.pid}, last search " in err
        assert "generation 1" in err and "searched after the index changed" in err
    finally:
        for server in servers:
            server.stop()
    # A process that exits takes its record with it.
    assert not list((Path(search_index.path) / "servers").glob(f"{fresh.pid}.json"))
    out, _, _ = verify()
    assert "No running process has searched the index." in out
