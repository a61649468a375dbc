"""The archive on the local SolrCloud (`make test-solr`): Solr makes the archive's terms, and a
node going away mid-run does not stop search.

Run only when TEST_SEARCH_URL names the SolrCloud that `make solr` started; its
state file (var/solr/cluster.json, or SOLR_STATE) gives the control port through
which a test stops a node and starts it again.
"""

import contextlib
import io
import itertools
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import haystack
import pysolr
import pytest
import requests
from django.core.management import call_command
from haystack.query import SearchQuerySet
from haystack.utils import get_model_ct

from archive.articles import save_article
from archive.integrity import indexed_versions
from archive.models import Article, IndexQueue, Quote
from archive.related import related_documents
from archive.search import solr_backend
from archive.search.engines import haystack_connection
from archive.search.health import SEARCH_UNAVAILABLE
from archive.search.results import SearchParams, run_search
from archive.search.text import WORD, terms

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
        "新疆维吾尔自治区党委书记陈全国 said「严打」; ニュース・カタカナ 豈",
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


# Words the two English Snowball stemmers stem differently, as (the archive's, Solr's) terms:
# PyStemmer 3.1 (Snowball 3) and Lucene 9.12 (an older Snowball). All of the seeds' words that
# differ, and "evening", found by the 100,000-article benchmark: on Solr "even" also finds
# "evening", "added" finds "ads" (docs/scaling.md, "100,000 articles"). A change of either
# stemmer makes this test fail, so the list and the documentation are kept true.
KNOWN_STEMMER_DIFFERENCES = {
    "added": ("add", "ad"),
    "evening": ("evening", "even"),
    "evenings": ("evening", "even"),
    "interfering": ("interfer", "interf"),
    "international": ("internat", "intern"),
    "organization": ("organiz", "organ"),
    "organizations": ("organiz", "organ"),
    "organized": ("organiz", "organ"),
    "university": ("universiti", "univers"),
}


def test_solr_stems_the_seeds_words_as_the_archive_does_but_for_the_known_differences(
    cluster, seed_paths
):
    words = sorted(
        {word for path in seed_paths for word in WORD.findall(path.read_text().lower())}
        | set(KNOWN_STEMMER_DIFFERENCES)
    )
    answer = requests.post(
        f"{cluster['nodes'][0]}/{cluster['collection']}/analysis/field",
        data={"analysis.fieldtype": "text_archive", "analysis.fieldvalue": "\n".join(words)},
        params={"wt": "json"},
        timeout=60,
    ).json()
    solr_terms = [t["text"] for t in answer["analysis"]["field_types"]["text_archive"]["index"][-1]]
    ours = [terms(word) for word in words]
    assert len(solr_terms) == sum(len(t) for t in ours)
    solr_of, differ = iter(solr_terms), {}
    for word, made in zip(words, ours, strict=True):
        solr_made = [next(solr_of) for _ in made]
        if solr_made != made:
            differ[word] = (" ".join(made), " ".join(solr_made))
    assert len(words) > 900  # the seeds' vocabulary
    assert differ == KNOWN_STEMMER_DIFFERENCES


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
def searching_through(search_url: str):
    """haystack pointed at `search_url` for the duration."""
    info = haystack.connections.connections_info["default"]
    saved = dict(info)
    info.clear()
    info.update(haystack_connection(search_url, ROOT))
    haystack.connections.thread_local = threading.local()
    try:
        yield
    finally:
        info.clear()
        info.update(saved)
        haystack.connections.thread_local = threading.local()


@contextlib.contextmanager
def no_node_answering():
    """haystack pointed at two loopback ports where nothing listens, as when every node of
    the SolrCloud is down."""
    ports = []
    for _ in range(2):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
    with searching_through(f"solr://127.0.0.1:{ports[0]},127.0.0.1:{ports[1]}/solr/archive"):
        yield


@contextlib.contextmanager
def hung_node(gives_up_after: float):
    """A loopback port that takes connections and never answers, as a Solr node that hangs
    (stopped, swapping, stuck in a collection pause); after `gives_up_after` seconds it
    closes, resetting them, so that a client waiting for it does not wait for ever."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)  # the kernel completes each connection; nothing reads or answers
    closer = threading.Timer(gives_up_after, listener.close)
    closer.start()
    try:
        yield listener
    finally:
        closer.cancel()
        listener.close()


def was_asked(listener: socket.socket) -> bool:
    """Whether a client connected to the hung node."""
    listener.setblocking(False)
    try:
        conn, _ = listener.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


def asked_first(monkeypatch) -> None:
    """The next request goes to the first node named, as if no node had failed yet."""
    monkeypatch.setattr(solr_backend, "_turn", itertools.count())
    monkeypatch.setattr(solr_backend, "_down_until", {})


@pytest.mark.slow  # a search and a more-like-this each wait the read time-out (3 s) once
def test_a_node_that_takes_the_connection_and_never_answers_delays_a_reader_seconds(
    cluster, seed_dir, settings, monkeypatch
):
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())
    query = "detention camps"
    expected = run_search(SearchParams(q=query)).count
    article = Article.objects.get(external_id__startswith="004")
    like_it = [hit.pk for hit in SearchQuerySet().models(Article).more_like_this(article)]
    assert expected > 0 and like_it

    settings.SEARCH_TIME_LIMIT = 1.0
    answers_within = solr_backend.read_timeout() + 2.5  # the other node answers in well under
    nodes = [urlsplit(node).netloc for node in haystack_connection(TEST_SEARCH_URL, ROOT)["NODES"]]
    # Gives up (resets the connections) long after: a client still waiting then fails the test.
    with hung_node(gives_up_after=answers_within + 10) as hung:
        hosts = ",".join([f"127.0.0.1:{hung.getsockname()[1]}", *nodes])
        with searching_through(f"solr://{hosts}/solr/archive"):
            asked_first(monkeypatch)
            started = time.monotonic()
            outcome = run_search(SearchParams(q=query))
            assert time.monotonic() - started < answers_within
            assert was_asked(hung)
            assert (outcome.count, outcome.index_notice) == (expected, None)

            asked_first(monkeypatch)
            started = time.monotonic()
            found = [hit.pk for hit in SearchQuerySet().models(Article).more_like_this(article)]
            assert time.monotonic() - started < answers_within
            assert was_asked(hung)
            assert found == like_it


def test_verify_reads_the_index_a_page_at_a_time(cluster, seed_dir, monkeypatch):
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())
    asked = []
    search = pysolr.Solr.search

    def counted_search(self, q, *args, **kwargs):
        asked.append(kwargs)
        return search(self, q, *args, **kwargs)

    for model, fields in [(Article, ("pk", "version")), (Quote, ("pk", "version", "article"))]:
        hits = SearchQuerySet().models(model).filter(django_ct=get_model_ct(model))
        in_one_request = list(hits.values_list(*fields)[: hits.count()])
        assert len(in_one_request) > 2
        one = {
            int(row[0]): (row[1], int(row[-1] if model is Quote else row[0]))
            for row in in_one_request
        }

        asked.clear()
        monkeypatch.setattr(pysolr.Solr, "search", counted_search)
        monkeypatch.setattr(solr_backend, "STORED_PAGE_SIZE", 2)
        paged = indexed_versions(model)
        monkeypatch.undo()

        assert paged == one
        pages = [kwargs for kwargs in asked if "cursorMark" in kwargs]
        assert len(pages) == len(one) // 2 + 1  # the last one short, or empty
        assert max(kwargs["rows"] for kwargs in asked) == 2


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
