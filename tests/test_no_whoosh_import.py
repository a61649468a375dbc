"""With another search engine chosen, no module of the archive outside the Whoosh extension loads
Whoosh: a site on Elasticsearch or Solr does not need it installed."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Run in a fresh interpreter, so nothing imported by other tests counts.
PROBE = """
import importlib, json, pkgutil, sys
import django
django.setup()
import archive
from django.core.management import get_commands, load_command_class
from django.urls import get_resolver

WHOOSH_EXTENSION = {
    "archive.search.whoosh_backend",
    "archive.search.whoosh_analysis",
    "archive.search.whoosh_merging",
    "archive.search.whoosh_phrase",
    "archive.search.whoosh_postings",
    "archive.search.whoosh_scoring",
    "archive.search.whoosh_storage",
    "archive.search.whoosh_writing",
}

def whoosh_modules():
    return {name for name in sys.modules if name.split(".")[0] == "whoosh"}

culprits = {}
def load(what, action):
    before = whoosh_modules()
    action()
    if whoosh_modules() - before:
        culprits[what] = sorted(whoosh_modules() - before)[:3]

# The URLconf with every view and feed it names, then every module of the project.
load("URLconf", lambda: get_resolver().url_patterns)
modules = [m.name for m in pkgutil.walk_packages(archive.__path__, "archive.")]
for name in modules:
    if name not in WHOOSH_EXTENSION:
        load(name, lambda: importlib.import_module(name))
commands = [
    (name, app) for name, app in sorted(get_commands().items())
    if app in ("archive", "haystack") and name != "build_solr_schema"  # that needs requests
]
for name, app in commands:
    load(f"command {name}", lambda: load_command_class(app, name))
after_all = sorted(whoosh_modules())
# The check itself can see an import of Whoosh.
importlib.import_module("archive.search.whoosh_backend")
print(json.dumps({
    "modules": len(modules),
    "commands": [name for name, _ in commands],
    "culprits": culprits,
    "whoosh_loaded": after_all,
    "control": "whoosh" in sys.modules,
}))
"""


@pytest.mark.parametrize(
    "search_url", ["elasticsearch://127.0.0.1:9200/archive", "solr://127.0.0.1:8983/solr/archive"]
)
def test_urlconf_views_feeds_commands_and_search_code_leave_whoosh_unloaded(search_url, tmp_path):
    env = {
        **os.environ,
        "SEARCH_URL": search_url,
        "ARCHIVE_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "archive.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout.splitlines()[-1])
    assert found["culprits"] == {}
    assert found["whoosh_loaded"] == []
    # What was covered: views, feeds and search modules, and the commands editors run.
    assert found["modules"] > 30
    assert {"import_articles", "rebuild_index", "update_index", "sync_index"} <= set(
        found["commands"]
    )
    assert found["control"] is True
