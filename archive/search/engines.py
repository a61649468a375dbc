"""Map the one `SEARCH_URL` setting onto haystack's connection settings.

Keeping the mapping here means no view, template or command needs to know
which engine runs underneath: moving to Elasticsearch or Solr is a change of
environment, not of code.
"""

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

WHOOSH_ENGINE = "archive.search.whoosh_backend.ArchiveWhooshEngine"
ELASTICSEARCH_ENGINE = "haystack.backends.elasticsearch7_backend.Elasticsearch7SearchEngine"
SOLR_ENGINE = "haystack.backends.solr_backend.SolrEngine"


def haystack_connection(search_url: str, base_dir: Path) -> dict:
    """Return haystack's settings for one connection described by `search_url`.

    Accepted forms:
      whoosh:///absolute/path   whoosh://relative/path (relative to base_dir)
      elasticsearch://host:9200/index_name   (https: elasticsearchs://)
      solr://host:8983/solr/core             (https: solrs://)
    """
    parts = urlsplit(search_url.strip())
    scheme = parts.scheme.lower()
    if scheme == "whoosh":
        raw_path = parts.netloc + parts.path
        if not raw_path:
            raise ImproperlyConfigured(
                "SEARCH_URL whoosh:// needs a path, e.g. whoosh:///srv/index"
            )
        path = Path(raw_path)
        if not path.is_absolute():
            path = base_dir / path
        return {"ENGINE": WHOOSH_ENGINE, "PATH": str(path), "INCLUDE_SPELLING": True}
    if scheme in ("elasticsearch", "elasticsearchs"):
        index_name = parts.path.strip("/")
        if not parts.netloc or not index_name or "/" in index_name:
            raise ImproperlyConfigured(
                "SEARCH_URL for Elasticsearch must look like elasticsearch://host:9200/index"
            )
        http = "https" if scheme.endswith("s") else "http"
        return {
            "ENGINE": ELASTICSEARCH_ENGINE,
            "URL": urlunsplit((http, parts.netloc, "/", "", "")),
            "INDEX_NAME": index_name,
            "INCLUDE_SPELLING": True,
        }
    if scheme in ("solr", "solrs"):
        if not parts.netloc or not parts.path.strip("/"):
            raise ImproperlyConfigured(
                "SEARCH_URL for Solr must look like solr://host:8983/solr/core"
            )
        http = "https" if scheme.endswith("s") else "http"
        return {
            "ENGINE": SOLR_ENGINE,
            "URL": urlunsplit((http, parts.netloc, parts.path.rstrip("/"), "", "")),
            "INCLUDE_SPELLING": True,
        }
    raise ImproperlyConfigured(
        f"SEARCH_URL scheme {scheme!r} is not supported; use whoosh://, elasticsearch:// or solr://"
    )
