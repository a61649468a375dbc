"""Shared fixtures: a real, temporary Whoosh index for every test, and the seed files."""

import threading
from pathlib import Path

import haystack
import pytest

from archive.search.engines import WHOOSH_ENGINE

ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = ROOT / "fixtures" / "seeds"


@pytest.fixture(autouse=True)
def search_index(tmp_path_factory):
    """Point haystack at an empty Whoosh index in a temporary directory.

    Yields the haystack backend, so a test can inspect what was indexed.
    """
    info = haystack.connections.connections_info["default"]
    saved = dict(info)
    info.clear()
    info.update(
        ENGINE=WHOOSH_ENGINE, PATH=str(tmp_path_factory.mktemp("whoosh")), INCLUDE_SPELLING=True
    )
    # A fresh thread-local store makes every thread (the live server's too)
    # open the new index.
    haystack.connections.thread_local = threading.local()
    yield haystack.connections["default"].get_backend()
    info.clear()
    info.update(saved)
    haystack.connections.thread_local = threading.local()


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


@pytest.fixture
def seed_paths():
    return sorted(SEED_DIR.glob("*.txt"))
