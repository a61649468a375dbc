"""The archive under load: gunicorn with 3 workers on loopback answers concurrent searches and
page views while editors add, edit and unpublish articles through the admin; afterwards no
request got a 5xx, no write the editors saw succeed is missing, and the index holds exactly
the published articles.

`ServedArchive` (a temporary archive served by gunicorn, driven over HTTP) is
also used by tests/test_faults.py. LOAD_TEST_SECONDS sets how long the load
runs (default 15); the figures are printed (`pytest -s`) and recorded in
docs/reliability.md.
"""

import atexit
import contextlib
import http.client
import os
import random
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import haystack
import pytest
from haystack.query import SearchQuerySet

from archive.models import Article
from archive.search.engines import WHOOSH_ENGINE, haystack_connection

ROOT = Path(__file__).resolve().parent.parent
# The engine under test (`make test-solr`: the local SolrCloud), as tests/conftest.py reads it;
# unset, the served archive searches a Whoosh index in its own data directory.
TEST_SEARCH_URL = os.environ.get("TEST_SEARCH_URL", "").strip()
pytestmark = pytest.mark.slow
LOAD_SECONDS = float(os.environ.get("LOAD_TEST_SECONDS", "6"))
READERS = 6
EDITORS = 2

# Made-up text that names no one: tagging, quotes and the index still have work to do.
SYNTHETIC_BODY = (
    "Synthetic article {n}, written by the archive's reliability tests; it is not news.\n\n"
    "It names Xinjiang, Urumqi and Kazakhstan only so that tagging and indexing have work "
    "to do, and the word loadcheck{n} so that a search can find it."
)

SETUP = """
import os
from django.contrib.auth.models import User
from django.core.management import call_command
from archive.editors import ensure_editors_group
from archive.models import Article, normalise_body, sha256_hex

call_command("migrate", interactive=False, verbosity=0)
call_command("loaddata", "fixtures/seed_articles.json", "fixtures/entities.json", verbosity=0)
# Extra published articles, written without signals: the rebuild below indexes them.
bodies = [
    normalise_body(os.environ["SYNTHETIC_BODY"].format(n=n))
    for n in range(int(os.environ["EXTRA_ARTICLES"]))
]
Article.objects.bulk_create(
    Article(title=f"Synthetic article {n}", slug=f"synthetic-{n}", body=body,
            body_sha256=sha256_hex(body), status=Article.Status.PUBLISHED)
    for n, body in enumerate(bodies)
)
for name in os.environ["EDITORS"].split():
    user = User.objects.create_user(name, password=os.environ["EDITOR_PASSWORD"], is_staff=True)
    user.groups.add(ensure_editors_group())
call_command("rebuild_index", interactive=False, verbosity=0)
"""


def listening_socket() -> socket.socket:
    """A socket on a loopback port the system chose, already listening.

    gunicorn is handed the socket itself (`--bind fd://N`): a port number found free
    and then bound by gunicorn could be taken in between by another test's server, as
    happens when the suite runs in parallel.
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@dataclass
class Answer:
    status: int
    headers: dict
    body: str


class Session:
    """One client of the server, with its cookies (an editor's login session)."""

    def __init__(self, port: int, timeout: float = 60):
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, fields=None) -> Answer:
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            body = urlencode(fields, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for value in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(value).items():
                    self.cookies[name] = morsel.value
            return Answer(response.status, dict(response.headers), text)
        finally:
            connection.close()

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict) -> Answer:
        return self.request("POST", path, {**fields, "csrfmiddlewaretoken": self.csrf_token()})

    def csrf_token(self) -> str:
        return self.cookies["csrftoken"]

    def log_in(self, username: str, password: str) -> None:
        self.get("/admin/login/")
        answer = self.post_form(
            "/admin/login/?next=/admin/",
            {"username": username, "password": password, "next": "/admin/"},
        )
        assert answer.status == 302, f"login refused: {answer.status}"


class FormFields(HTMLParser):
    """What a browser would submit from the form with id `form_id` (submit buttons aside)."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or not attrs.get("name") and tag != "option":
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.fields.append((attrs["name"], attrs.get("value", "on")))
                return
            self.fields.append((attrs["name"], attrs.get("value", "")))
        elif tag == "textarea":
            self._textarea = [attrs["name"], ""]
        elif tag == "select":
            self._select = {"name": attrs["name"], "first": None, "chosen": []}
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in attrs:
                self._select["chosen"].append(value)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self.fields.append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = self._select["chosen"] or [self._select["first"] or ""]
            self.fields.extend((self._select["name"], value) for value in chosen)
            self._select = None


def form_fields(html: str, form_id: str = "article_form") -> dict:
    parser = FormFields(form_id)
    parser.feed(html)
    fields: dict[str, list[str]] = {}
    for name, value in parser.fields:
        fields.setdefault(name, []).append(value)
    return {name: values[0] if len(values) == 1 else values for name, values in fields.items()}


# Archives prepared in this test process, by their number of extra articles: a copy of the
# data directory and the editors' password.
_PREPARED: dict[int, tuple[Path, str]] = {}


class ServedArchive:
    """A temporary archive served by gunicorn on loopback: SQLite and Whoosh under `data_dir`,
    or, with TEST_SEARCH_URL (`make test-solr`), SQLite there and the SolrCloud's collection."""

    def __init__(self, data_dir: Path, extra_articles: int = 0):
        self.data_dir = data_dir
        self.extra_articles = extra_articles
        self.editors = [f"editor{n}" for n in range(EDITORS)]
        self.editor_password = secrets.token_urlsafe(16)
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "SEARCH_URL", "DEBUG", "ADMIN_URL")
        }
        self.env.update(ARCHIVE_DATA_DIR=str(data_dir), ALLOWED_HOSTS="127.0.0.1")
        if TEST_SEARCH_URL:
            self.env["SEARCH_URL"] = TEST_SEARCH_URL
        self.server = None
        self.port = None
        self.log = data_dir / "gunicorn.log"
        self.access_log = data_dir / "access.log"  # one line per request: worker pid, path

    @property
    def database(self) -> Path:
        return self.data_dir / "archive.sqlite3"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "whoosh_index"

    def manage(self, *args, timeout=180, env_extra=None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, "INDEX_DIR": str(self.index_dir), **(env_extra or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start_manage(self, *args) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def prepare(self) -> None:
        """Migrate, import the seeds (and `extra_articles`), add the editors, index: once per
        test process for each size, then copied (a copy takes a fraction of a second, the
        preparing seconds)."""
        prepared = _PREPARED.get(self.extra_articles)
        if prepared is not None:
            template, self.editor_password = prepared
            shutil.copytree(template, self.data_dir, dirs_exist_ok=True)
            if TEST_SEARCH_URL:  # the copy's index is the engine's collection, emptied since
                done = self.manage("rebuild_index", "--noinput")
                assert done.returncode == 0, done.stderr[-3000:]
            return
        self._prepare()
        template = Path(tempfile.mkdtemp(prefix="archive-prepared-"))
        atexit.register(shutil.rmtree, template, ignore_errors=True)
        shutil.copytree(self.data_dir, template, dirs_exist_ok=True)
        _PREPARED[self.extra_articles] = (template, self.editor_password)

    def _prepare(self) -> None:
        env = {
            **self.env,
            "EXTRA_ARTICLES": str(self.extra_articles),
            "SYNTHETIC_BODY": SYNTHETIC_BODY,
            "EDITORS": " ".join(self.editors),
            "EDITOR_PASSWORD": self.editor_password,
        }
        done = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", SETUP],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]

    def serve(self, workers: int = 3) -> None:
        with listening_socket() as listener:
            self.port = listener.getsockname()[1]
            self.server = self.start_gunicorn(listener, workers)
        self.wait_until_serving()
        deadline = time.monotonic() + 30
        while len(self.worker_pids()) < workers and time.monotonic() < deadline:
            time.sleep(0.1)

    def start_gunicorn(self, listener: socket.socket, workers: int) -> subprocess.Popen:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "archive.wsgi",
                "--bind",
                f"fd://{listener.fileno()}",
                "--workers",
                str(workers),
                "--timeout",
                "60",
                # gunicorn's control socket is one path per user: several test
                # servers (and a real one) would take it from each other.
                "--no-control-socket",
                "--access-logfile",
                str(self.access_log),
                "--access-logformat",
                "%(p)s %(s)s %(U)s?%(q)s",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            pass_fds=[listener.fileno()],
        )

    def wait_until_serving(self, path: str = "/", timeout: float = 60) -> float:
        """Seconds until `path` answers 200."""
        start = time.monotonic()
        while True:
            try:
                if Session(self.port, timeout=10).get(path).status == 200:
                    return time.monotonic() - start
            except OSError:
                pass
            if self.server.poll() is not None:
                raise AssertionError(f"gunicorn exited:\n{self.log_tail()}")
            if time.monotonic() - start > timeout:
                raise AssertionError(f"no answer from {path} after {timeout}s:\n{self.log_tail()}")
            time.sleep(0.05)

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.server.pid}/task/{self.server.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def data_files_open_in(self, pid: int) -> list[str]:
        """The database's and the index's files that process `pid` has open or mapped."""
        data = (str(self.database), str(self.index_dir))
        found = []
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):  # closed meanwhile
                target = os.readlink(fd)
                if target.startswith(data):
                    found.append(target)
        maps = Path(f"/proc/{pid}/maps").read_text()
        return found + [line for line in maps.splitlines() if any(d in line for d in data)]

    def answering_workers(self, path: str, since: int = 0) -> Counter:
        """How many requests for `path` each worker (pid) answered, from byte `since` of the log."""
        if not self.access_log.exists():
            return Counter()
        with self.access_log.open("rb") as log:
            log.seek(since)
            lines = log.read().decode(errors="replace").splitlines()
        pids = Counter()
        for line in lines:
            pid, _, requested = line.split(" ", 2)
            if requested.rstrip("?") == path:
                pids[int(pid.strip("<>"))] += 1
        return pids

    def stop(self) -> None:
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def rows(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.database, timeout=30) as connection:
            return connection.execute(sql, params).fetchall()

    def published_ids(self) -> set[int]:
        rows = self.rows("SELECT id FROM archive_article WHERE status = 'published'")
        return {pk for (pk,) in rows}

    def queued(self) -> int:
        return self.rows("SELECT count(*) FROM archive_indexqueue")[0][0]

    def indexed_ids(self) -> set[int]:
        """The articles in the served index, asked through haystack in this process."""
        info = haystack.connections.connections_info
        if TEST_SEARCH_URL:
            info["served"] = haystack_connection(TEST_SEARCH_URL, ROOT)
        else:
            info["served"] = {"ENGINE": WHOOSH_ENGINE, "PATH": str(self.index_dir)}
        try:
            hits = SearchQuerySet(using="served").models(Article)
            return {int(pk) for pk in hits.values_list("pk", flat=True)[:1_000_000]}
        finally:
            del info["served"]
            getattr(haystack.connections.thread_local, "connections", {}).pop("served", None)


@pytest.fixture
def served_archive(tmp_path):
    archive = ServedArchive(tmp_path / "archive")
    archive.data_dir.mkdir()
    yield archive
    archive.stop()


@dataclass
class Tally:
    """What the clients saw, shared by their threads."""

    statuses: Counter = field(default_factory=Counter)
    failures: list = field(default_factory=list)  # (what, detail) of 5xx and dropped connections
    reads: int = 0
    writes: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def saw(self, what: str, answer: Answer | None, error: Exception | None = None):
        with self.lock:
            if error is not None:
                self.failures.append((what, repr(error)))
                return
            self.statuses[answer.status] += 1
            if answer.status >= 500:
                self.failures.append((what, answer.status))


READER_PATHS = [
    "/search/?q=Uyghur",
    "/search/?q=%22China+Cables%22",
    "/search/?q=camp*&sort=newest",
    "/search/?q=Xinjiang+-Turkey&from=2019",
    "/search/?q=extradition+OR+deported",
    "/api/search?q=Urumqi",
    "/api/search?q=loadcheck1",
    "/search/export.csv?q=Kazakhstan",
    "/feeds/search/?q=Uighur",
    "/",
    "/articles/",
    "/entities/",
    "/dates/",
    "/feeds/latest/",
]


def read_pages(archive, tally, stop, article_paths):
    session = Session(archive.port)
    rng = random.Random()
    while not stop.is_set():
        path = rng.choice(READER_PATHS + article_paths)
        try:
            answer = session.get(path)
        except OSError as error:
            tally.saw(path, None, error)
            continue
        tally.saw(path, answer)
        with tally.lock:
            tally.reads += 1


ADMIN = "/admin/archive/article/"


def opened(session, path, tally) -> str:
    """An admin page as the editor's browser gets it (its status counted like any other)."""
    answer = session.get(path)
    tally.saw(path, answer)
    return answer.body


def edit_articles(archive, tally, stop, username, expected):
    """An editor adding, editing, unpublishing and republishing their own articles.

    `expected` gets, for every article, the last state the server confirmed.
    """
    session = Session(archive.port)
    session.log_in(username, archive.editor_password)
    rng = random.Random(username)
    made = 0
    while not stop.is_set():
        mine = list(expected)
        action = "add" if len(mine) < 3 or rng.random() < 0.4 else rng.choice(["edit", "status"])
        try:
            if action == "add":
                made += 1
                slug = f"{username}-{made}"
                fields = form_fields(opened(session, ADMIN + "add/", tally))
                fields.update(
                    title=f"Load article {slug}",
                    slug=slug,
                    status="published",
                    body=SYNTHETIC_BODY.format(n=slug),
                    _continue="Save and continue editing",
                )
                answer = session.post_form(ADMIN + "add/", fields)
                tally.saw("admin add", answer)
                if answer.status == 302:
                    pk = int(re.search(r"/(\d+)/change/", answer.headers["Location"]).group(1))
                    expected[pk] = {"status": "published", "revision": 0}
            elif action == "edit":
                pk = rng.choice(mine)
                revision = expected[pk]["revision"] + 1
                fields = form_fields(opened(session, f"{ADMIN}{pk}/change/", tally))
                fields["body"] = f"{fields['body'].split(chr(10) + chr(10) + 'Revision')[0]}"
                fields["body"] += f"\n\nRevision {revision}."
                fields["_save"] = "Save"
                answer = session.post_form(f"{ADMIN}{pk}/change/", fields)
                tally.saw("admin edit", answer)
                if answer.status == 302:
                    expected[pk] = {**expected[pk], "revision": revision}
            else:
                pk = rng.choice(mine)
                wanted = "draft" if expected[pk]["status"] == "published" else "published"
                verb = "unpublish" if wanted == "draft" else "publish"
                opened(session, ADMIN, tally)
                answer = session.post_form(
                    ADMIN, {"action": verb, "_selected_action": [pk], "index": "0"}
                )
                tally.saw(f"admin {verb}", answer)
                if answer.status == 302:
                    expected[pk] = {**expected[pk], "status": wanted}
        except OSError as error:
            tally.saw(f"admin {action}", None, error)
            continue
        if answer.status == 302:
            with tally.lock:
                tally.writes[action] += 1
        else:
            with tally.lock:
                tally.failures.append((f"admin {action} refused", answer.status))


def test_three_workers_under_concurrent_reading_and_editing_lose_nothing(served_archive):
    archive = served_archive
    archive.prepare()
    archive.serve(workers=3)
    article_paths = [
        f"/articles/{slug}/"
        for (slug,) in archive.rows("SELECT slug FROM archive_article WHERE status='published'")
    ]

    tally, stop = Tally(), threading.Event()
    expected = {name: {} for name in archive.editors}
    threads = [
        threading.Thread(target=read_pages, args=(archive, tally, stop, article_paths))
        for _ in range(READERS)
    ] + [
        threading.Thread(target=edit_articles, args=(archive, tally, stop, name, expected[name]))
        for name in archive.editors
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(LOAD_SECONDS)
    stop.set()
    for thread in threads:
        thread.join(timeout=90)
    elapsed = time.monotonic() - started
    archive.stop()

    queued_at_end = archive.queued()
    writes = sum(tally.writes.values())
    print(
        f"\nload: {elapsed:.1f} s, {READERS} readers + {EDITORS} editors on 3 workers: "
        f"{tally.reads} reads ({tally.reads / elapsed:.1f}/s), {writes} admin writes "
        f"{dict(tally.writes)}, statuses {dict(tally.statuses)}, failures {len(tally.failures)}, "
        f"queued at the end {queued_at_end}"
    )
    assert not tally.failures, f"{tally.failures[:10]}\n{archive.log_tail()}"
    assert tally.reads > 50 and writes > 5, "too little load to mean anything"

    # Every write an editor saw succeed is in the database.
    rows = {
        pk: (status, body)
        for pk, status, body in archive.rows("SELECT id, status, body FROM archive_article")
    }
    for states in expected.values():
        for pk, state in states.items():
            status, body = rows[pk]
            assert status == state["status"], pk
            if state["revision"]:
                assert body.endswith(f"Revision {state['revision']}."), pk

    # After the queue is flushed, the index holds exactly the published articles.
    flushed = archive.manage("sync_index")
    assert flushed.returncode == 0, flushed.stderr
    assert archive.queued() == 0
    assert archive.indexed_ids() == archive.published_ids()
    verified = archive.manage("verify", "--index")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    if TEST_SEARCH_URL:  # the workers searched and wrote the engine under test, not a Whoosh index
        assert not archive.index_dir.exists()
