"""Choosing the search engine is one setting, and only our Whoosh extension imports Whoosh."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from archive.search.engines import (
    ELASTICSEARCH_ENGINE,
    SOLR_ENGINE,
    WHOOSH_ENGINE,
    haystack_connection,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("whoosh:///srv/archive/index", {"ENGINE": WHOOSH_ENGINE, "PATH": "/srv/archive/index"}),
        ("whoosh://var/index", {"ENGINE": WHOOSH_ENGINE, "PATH": "/base/var/index"}),
        (
            "elasticsearch://search.internal:9200/archive",
            {
                "ENGINE": ELASTICSEARCH_ENGINE,
                "URL": "http://search.internal:9200/",
                "INDEX_NAME": "archive",
            },
        ),
        (
            "elasticsearchs://search.internal:9200/archive",
            {"URL": "https://search.internal:9200/"},
        ),
        (
            "solr://127.0.0.1:8983/solr/archive",
            {"ENGINE": SOLR_ENGINE, "URL": "http://127.0.0.1:8983/solr/archive"},
        ),
        (
            "solr://solr1.internal:8983,solr2.internal:8983/solr/archive",
            {
                "ENGINE": SOLR_ENGINE,
                "URL": "http://solr1.internal:8983/solr/archive",
                "NODES": ["http://solr1.internal:8983/solr", "http://solr2.internal:8983/solr"],
                "COLLECTION": "archive",
            },
        ),
    ],
)
def test_search_url_maps_to_haystack_connection(url, expected):
    connection = haystack_connection(url, Path("/base"))
    assert expected.items() <= connection.items()
    assert connection["INCLUDE_SPELLING"] is True


@pytest.mark.parametrize(
    "url",
    [
        "whoosh://",
        "elasticsearch://host:9200",
        "elasticsearch:///index",
        "solr://host",
        "ftp://x/y",
        "nonsense",
    ],
)
def test_bad_search_urls_are_refused_with_a_clear_message(url):
    with pytest.raises(ImproperlyConfigured, match="SEARCH_URL"):
        haystack_connection(url, Path("/base"))


@pytest.mark.parametrize(
    "search_url", ["elasticsearch://127.0.0.1:9200/archive", "solr://127.0.0.1:8983/solr/archive"]
)
def test_views_and_search_code_do_not_import_whoosh_on_other_engines(search_url, tmp_path):
    code = (
        "import django, sys; django.setup();"
        "import archive.urls, archive.views, archive.search.results, archive.search.indexing,"
        " archive.admin, archive.articles, archive.search.indexes;"
        "from django.core.management import get_commands; get_commands();"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'whoosh'))"
    )
    env = {
        **os.environ,
        "SEARCH_URL": search_url,
        "ARCHIVE_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "archive.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
