"""Shared fixtures: a real, temporary Whoosh index for every test, and the seed files; and,
when the suite runs in parallel (pytest-xdist), a data directory of its own for each worker.

With TEST_SEARCH_URL set (`make test-solr`: the local SolrCloud of `make solr`), every test
searches that engine instead, its collection emptied before each test."""

import os
import shutil
import tempfile
import threading
from pathlib import Path

import haystack
import pytest
from django.conf import settings

from archive.search.engines import WHOOSH_ENGINE, haystack_connection
from archive.search.text import tokens

ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = ROOT / "fixtures" / "seeds"
# Where the browser tests save their screenshots: the data directory the run was started
# with, even in a worker whose own ARCHIVE_DATA_DIR is elsewhere.
SCREENSHOTS_ENV = "ARCHIVE_TEST_SCREENSHOTS"
# The engine under test, as SEARCH_URL names one; unset: a new Whoosh index for each test.
TEST_SEARCH_URL = os.environ.get("TEST_SEARCH_URL", "").strip()


def pytest_configure(config):
    """Passwords hashed fast in the test process, as Django's testing guide suggests.

    The default hasher spends half a second of CPU on every password set or checked, on
    purpose; the suite sets and checks hundreds. The archive's own settings, with the
    default hasher, still serve the tests that log in to gunicorn (tests/test_load.py);
    passwords hashed by it can still be checked here.
    """
    fast = "django.contrib.auth.hashers.MD5PasswordHasher"
    settings.PASSWORD_HASHERS = [fast, *settings.PASSWORD_HASHERS]


def pytest_collection_modifyitems(config, items):
    """Against another engine, the tests of our Whoosh extension's own machinery are skipped."""
    if TEST_SEARCH_URL and not TEST_SEARCH_URL.startswith("whoosh:"):
        skip = pytest.mark.skip(reason="tests the Whoosh extension; TEST_SEARCH_URL is another")
        for item in items:
            if "whoosh" in item.keywords:
                item.add_marker(skip)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config, specs):
    """Give each worker process its own empty ARCHIVE_DATA_DIR, set before it loads settings.

    Settings make the data directory's secret key, static root and default index, and
    every `manage.py` or gunicorn process a test starts without its own directory
    inherits it: two workers must not share one. The directories go when the run ends.
    """
    workers = Path(tempfile.mkdtemp(prefix="archive-test-workers-"))
    config.add_cleanup(lambda: shutil.rmtree(workers, ignore_errors=True))
    for spec in specs:
        spec.env["ARCHIVE_DATA_DIR"] = str(workers / spec.id)
        spec.env[SCREENSHOTS_ENV] = str(settings.DATA_DIR / "screenshots")


@pytest.fixture(autouse=True)
def search_index(tmp_path_factory):
    """Point haystack at an empty Whoosh index in a temporary directory.

    Yields the haystack backend, so a test can inspect what was indexed.
    """
    info = haystack.connections.connections_info["default"]
    saved = dict(info)
    info.clear()
    if TEST_SEARCH_URL:
        info.update(haystack_connection(TEST_SEARCH_URL, ROOT))
    else:
        info.update(
            ENGINE=WHOOSH_ENGINE,
            PATH=str(tmp_path_factory.mktemp("whoosh")),
            INCLUDE_SPELLING=True,
        )
    # A fresh thread-local store makes every thread (the live server's too)
    # open the new index.
    haystack.connections.thread_local = threading.local()
    if TEST_SEARCH_URL:
        haystack.connections["default"].get_backend().clear()
    yield haystack.connections["default"].get_backend()
    info.clear()
    info.update(saved)
    haystack.connections.thread_local = threading.local()


@pytest.fixture
def engine_env() -> dict[str, str]:
    """The environment a process the test starts needs to search the engine under test
    (nothing for Whoosh: it finds its index in the data directory it is given)."""
    return {"SEARCH_URL": TEST_SEARCH_URL} if TEST_SEARCH_URL else {}


@pytest.fixture(scope="session")
def screenshots():
    """The folder for the browser tests' screenshots, for a reviewer to look at: one for the
    whole run (each test names its own files), also when workers run the tests in parallel."""
    directory = Path(os.environ.get(SCREENSHOTS_ENV) or settings.DATA_DIR / "screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def editor(client, db):
    """A member of the Editors group, logged in on `client`."""
    from django.contrib.auth.models import Group, User

    from archive.editors import EDITORS_GROUP

    user = User.objects.create_user("ed", password="a long enough passphrase", is_staff=True)
    user.groups.add(Group.objects.get(name=EDITORS_GROUP))
    client.force_login(user)
    return user


@pytest.fixture
def seed_dir():
    return SEED_DIR


@pytest.fixture(scope="session")
def seed_words() -> list[str]:
    """The seed articles' words, folded, in order (for indexes of windows of them)."""
    text = " ".join(path.read_text() for path in sorted(SEED_DIR.glob("*.txt")))
    return [token.word for token in tokens(text)]


@pytest.fixture
def seed_paths():
    return sorted(SEED_DIR.glob("*.txt"))
