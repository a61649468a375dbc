"""Counts kept per change of the archive (browse.per_archive_state) under real gunicorn workers:
each worker keeps its own copy, and a change made by another process reaches every one. The
listing of every quote is kept the same way."""

import json
import threading

import pytest
from test_load import ServedArchive, Session

pytestmark = pytest.mark.slow

PUBLISH_1999 = """
import datetime
from archive.articles import save_article
from archive.models import Article, Source
save_article(Article(
    title="Recovered 1999 report", slug="recovered-1999-report",
    source=Source.objects.get_or_create(name="Old Wire", slug="old-wire")[0],
    published_on=datetime.date(1999, 5, 1),
    body='A report from 1999 on Xinjiang. "We asked for news of them for years," Jane Roe said.',
    status=Article.Status.PUBLISHED,
))
"""


def test_counts_kept_by_every_worker_follow_a_change_made_by_another_process(tmp_path):
    archive = ServedArchive(tmp_path / "archive")
    archive.data_dir.mkdir()
    try:
        archive.prepare()
        workers = 2
        archive.serve(workers=workers)
        reader = Session(archive.port)
        pages = ["/", "/articles/?page=1", "/sources/", "/api/quotes", "/quotes/"]
        for _ in range(4 * workers):  # every worker keeps its counts
            for page in pages:
                assert reader.get(page).status == 200
        assert len(archive.answering_workers("/")) == workers
        first = reader.get("/").body
        assert "1999" not in first and "Old Wire" not in first
        quotes_before = json.loads(reader.get("/api/quotes").body)["count"]

        stop, seen, failures = threading.Event(), [], []

        def read():
            session = Session(archive.port)
            while not stop.is_set():
                answer = session.get("/")
                (seen if answer.status == 200 else failures).append(answer)

        readers = [threading.Thread(target=read) for _ in range(3)]
        for thread in readers:
            thread.start()
        published = archive.manage("shell", "-c", PUBLISH_1999)
        assert published.returncode == 0, published.stderr
        after_change = len(seen)
        checks = [reader.get("/").body for _ in range(4 * workers)]
        stop.set()
        for thread in readers:
            thread.join(timeout=60)
        assert not failures
        # Every page asked for after the change committed shows it, whichever worker answered.
        for home in checks + [answer.body for answer in seen[after_change + 3 :]]:
            assert "1999" in home and "Old Wire" in home
        assert "1999" in reader.get("/dates/").body
        # The quote listing each worker kept counts the new article's quote, whichever answers.
        for _ in range(2 * workers):
            assert json.loads(reader.get("/api/quotes").body)["count"] == quotes_before + 1
    finally:
        archive.stop()
