"""Server processes writing while another searches: no error reaches anyone, nothing is lost.

Runs real processes against a SQLite file and a Whoosh index in a temporary
data directory (or the engine under test, TEST_SEARCH_URL), as several gunicorn
workers would.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

WRITER = textwrap.dedent(
    """
    from archive.articles import save_article
    from archive.models import Article
    name = {name!r}
    for n in range({count}):
        article = save_article(Article(
            title=f"{{name}} report {{n}}", slug=f"{{name}}-{{n}}",
            body=f"Relatives of detainees {{name}}{{n}} spoke to reporters.",
            status=Article.Status.PUBLISHED,
        ))
        if n % 3 == 0:  # unpublish every third one again
            article.status = Article.Status.DRAFT
            save_article(article, update_fields=["status"])
        if n % 5 == 0:  # and edit some
            article.body += " They asked for news."
            save_article(article)
    """
)

SEARCHER = textwrap.dedent(
    """
    import json, time
    from archive.search.results import SearchParams, run_search
    searches, errors = 0, []
    deadline = time.monotonic() + {seconds}
    while time.monotonic() < deadline:
        try:
            run_search(SearchParams(q="detainees relatives"))
            searches += 1
        except Exception as exc:
            errors.append(repr(exc))
    print(json.dumps({{"searches": searches, "errors": errors}}))
    """
)

CHECK = textwrap.dedent(
    """
    import json
    from haystack.query import SearchQuerySet
    from archive.models import Article, IndexQueue
    indexed = sorted(int(r.pk) for r in SearchQuerySet().models(Article).all()[:10000])
    published = sorted(Article.objects.published().values_list("pk", flat=True))
    edited = SearchQuerySet().models(Article).filter(content="asked news").count()
    print(json.dumps({"indexed": indexed, "published": published,
                      "queued": IndexQueue.objects.count(), "edited_found": edited,
                      "edited_expected": Article.objects.published()
                          .filter(body__contains="They asked for news").count()}))
    """
)


def manage(env, *args, **kwargs):
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def finish(process, timeout=120):
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    return out


def test_concurrent_writers_lose_nothing_and_searchers_see_no_error(tmp_path, engine_env):
    env = {
        **os.environ,
        "ARCHIVE_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "archive.settings",
    }
    env.pop("DATABASE_URL", None)
    env.pop("SEARCH_URL", None)
    env.update(engine_env)
    finish(manage(env, "migrate", "--noinput", "-v0"))

    searcher = manage(env, "shell", "-c", SEARCHER.format(seconds=8))
    writers = [
        manage(env, "shell", "-c", WRITER.format(name=name, count=15)) for name in ("alpha", "beta")
    ]
    for writer in writers:
        finish(writer)
    searched = json.loads(finish(searcher).strip().splitlines()[-1])
    state = json.loads(finish(manage(env, "shell", "-c", CHECK)).strip().splitlines()[-1])

    assert searched["errors"] == []
    assert searched["searches"] > 0
    assert state["queued"] == 0
    assert len(state["published"]) == 20  # 2 writers x 15, minus every third unpublished
    assert state["indexed"] == state["published"]
    assert state["edited_found"] == state["edited_expected"] > 0
    if not engine_env:
        # Whoosh: each of the 46 saves wrote a segment; once SMALL_SEGMENTS_BEFORE_MERGE had
        # piled up, a save merged them (archive.search.whoosh_merging) while the other
        # process wrote and the searcher read, and the merged index holds what is above.
        from whoosh.index import open_dir

        from archive.search.whoosh_backend import SMALL_SEGMENTS_BEFORE_MERGE

        segments = open_dir(str(tmp_path / "whoosh_index"))._segments()
        assert len(segments) < SMALL_SEGMENTS_BEFORE_MERGE
        assert max(segment.doc_count_all() for segment in segments) > 1
