"""The archive on the local SolrCloud (`make test-solr`): Solr makes the archive's terms, and a
node going away mid-run does not stop search.

Run only when TEST_SEARCH_URL names the SolrCloud that `make solr` started; its
state file (var/solr/cluster.json, or SOLR_STATE) gives the control port through
which a test stops a node and starts it again.
"""

import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import haystack
import pytest
import requests
from django.core.management import call_command
from haystack.query import SearchQuerySet

from archive.articles import save_article
from archive.models import Article, IndexQueue
from archive.related import related_documents
from archive.search.engines import haystack_connection
from archive.search.health import SEARCH_UNAVAILABLE
from archive.search.results import SearchParams, run_search
from archive.search.text import terms

ROOT = Path(__file__).resolve().parent.parent
STATE = Path(os.environ.get("SOLR_STATE") or ROOT / "var" / "solr" / "cluster.json")
TEST_SEARCH_URL = os.environ.get("TEST_SEARCH_URL", "")

pytestmark = [
    pytest.mark.skipif(
        not (TEST_SEARCH_URL.startswith("solr") and STATE.exists()),
        reason="needs the local SolrCloud (make test-solr)",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def cluster() -> dict:
    return json.loads(STATE.read_text())


def control(cluster: dict, command: str) -> str:
    """Ask the launcher to stop or start a node; its answer ("ok ..." once done)."""
    with socket.create_connection(("127.0.0.1", cluster["control_port"]), timeout=180) as conn:
        conn.sendall(f"{command}\n".encode())
        answer = conn.makefile(encoding="utf-8").readline().strip()
    assert answer.startswith("ok"), answer
    return answer


@pytest.mark.parametrize(
    "text",
    [
        "“Ürümqi’s camps” — China's detentions of Uyghurs; don’t ‘re-education’ Straße ŁÓDŹ",
        "The detained were DETAINED; running runs ran; U.S. 1,000 foo_bar café naïve Ørsted",
        "ﬁnancial ﬂows ＦＵＬＬ ｗｉｄｔｈ Ⅻ résumé coöperate Xinjiang’s “vocational” centres",
    ],
)
def test_solr_makes_the_same_terms_of_a_text_as_the_archive(cluster, text):
    answer = requests.get(
        f"{cluster['nodes'][0]}/{cluster['collection']}/analysis/field",
        params={"analysis.fieldtype": "text_archive", "analysis.fieldvalue": text, "wt": "json"},
        timeout=30,
    ).json()
    stages = answer["analysis"]["field_types"]["text_archive"]["index"]
    assert [token["text"] for token in stages[-1]] == terms(text)


SEARCHER = textwrap.dedent(
    """
    import json, time
    from archive.search.results import SearchParams, run_search
    answers = []
    deadline = time.monotonic() + {seconds}
    while time.monotonic() < deadline:
        outcome = run_search(SearchParams(q={query!r}))
        notice = outcome.index_notice.text if outcome.index_notice else None
        answers.append([round(time.monotonic(), 2), outcome.count, notice])
        time.sleep(0.05)
    print(json.dumps(answers))
    """
)


@pytest.mark.slow  # a server process searching for 15 seconds while a node stops and starts
def test_search_answers_while_a_node_stops_and_comes_back(cluster, seed_dir, tmp_path):
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())
    query = "detention camps"
    expected = run_search(SearchParams(q=query)).count
    assert expected > 0

    # A server process of its own (its own empty database: the count is Solr's).
    env = {
        **os.environ,
        "ARCHIVE_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "archive.settings",
        "SEARCH_URL": TEST_SEARCH_URL,
    }
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    searcher = subprocess.Popen(
        [*manage, "shell", "-c", SEARCHER.format(seconds=15, query=query)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(3)
        stopped_at = time.monotonic()
        # The first node named in SEARCH_URL: the one pysolr is given.
        control(cluster, "stop 0")
        during = run_search(SearchParams(q=query))
        # An editor's save while the node is away: indexed now, or queued until it is.
        saved = save_article(
            Article(
                title="Karakax list leaked",
                slug="karakax",
                body="A leaked list from Karakax county.",
                status=Article.Status.PUBLISHED,
            )
        )
        time.sleep(4)
    finally:
        control(cluster, "start 0")
    call_command("sync_index", stdout=io.StringIO())
    out, err = searcher.communicate(timeout=120)
    assert searcher.returncode == 0, err[-3000:]
    answers = json.loads(out.strip().splitlines()[-1])

    assert during.count == expected and during.index_notice is None
    assert [a for a in answers if a[1:] != [expected, None]] == []
    assert any(at > stopped_at + 1 for at, _, _ in answers)  # it searched while the node was down
    assert IndexQueue.objects.count() == 0
    found = run_search(SearchParams(q='"Karakax list leaked"')).hits
    assert [hit.article for hit in found] == [saved]


@contextlib.contextmanager
def no_node_answering():
    """haystack pointed at two loopback ports where nothing listens, as when every node of
    the SolrCloud is down."""
    ports = []
    for _ in range(2):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
    info = haystack.connections.connections_info["default"]
    saved = dict(info)
    info.clear()
    info.update(
        haystack_connection(f"solr://127.0.0.1:{ports[0]},127.0.0.1:{ports[1]}/solr/archive", ROOT)
    )
    haystack.connections.thread_local = threading.local()
    try:
        yield
    finally:
        info.clear()
        info.update(saved)
        haystack.connections.thread_local = threading.local()


def test_while_no_node_answers_changes_wait_in_the_queue_and_search_says_so(cluster):
    with no_node_answering():
        article = save_article(
            Article(
                title="Karakax list leaked",
                slug="karakax",
                body="A leaked list from Karakax county.",
                status=Article.Status.PUBLISHED,
            )
        )  # must not raise
        assert list(IndexQueue.objects.values_list("article_id", flat=True)) == [article.pk]
        assert run_search(SearchParams(q="Karakax")).index_notice == SEARCH_UNAVAILABLE

    call_command("sync_index", stdout=io.StringIO())
    assert IndexQueue.objects.count() == 0
    assert [r.pk for r in SearchQuerySet().models(Article).filter(content="karakax")] == [
        str(article.pk)
    ]


def test_while_no_node_answers_shared_entities_still_relate_articles(cluster, seed_dir):
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())
    article = Article.objects.get(external_id__startswith="004")
    with no_node_answering():
        related = related_documents(article)
    assert related and related[0].article.external_id.startswith("001")
