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
SOLR_ENGINE = "archive.search.solr_backend.ArchiveSolrEngine"


def haystack_connection(search_url: str, base_dir: Path) -> dict:
    """Return haystack's settings for one connection described by `search_url`.

    Accepted forms:
      whoosh:///absolute/path   whoosh://relative/path (relative to base_dir)
      elasticsearch://host:9200/index_name   (https: elasticsearchs://)
      solr://host:8983/solr/collection       (https: solrs://)
      solr://host1:8983,host2:8983/solr/collection   (the nodes of a SolrCloud: any one
                                                      that answers serves the search)
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
        hosts = [host.strip() for host in parts.netloc.split(",") if host.strip()]
        context, _, collection = parts.path.strip("/").rpartition("/")
        if not hosts or not collection:
            raise ImproperlyConfigured(
                "SEARCH_URL for Solr must look like solr://host:8983/solr/collection "
                "or solr://host1:8983,host2:8983/solr/collection"
            )
        http = "https" if scheme.endswith("s") else "http"
        nodes = [
            urlunsplit((http, host, f"/{context}" if context else "", "", "")) for host in hosts
        ]
        return {
            "ENGINE": SOLR_ENGINE,
            "URL": f"{nodes[0]}/{collection}",
            "NODES": nodes,
            "COLLECTION": collection,
            "INCLUDE_SPELLING": True,
            # Seconds an index write waits for an answer: a rebuild's batch of a thousand
            # articles and its commit. A read waits SEARCH_TIME_LIMIT and a margin
            # (archive.search.solr_backend.read_timeout), then asks another node.
            "TIMEOUT": 120,
            # Failures raise, so that the index queue keeps what Solr did not take and a
            # search answers with its notice (archive.search.health), as on Whoosh.
            "SILENTLY_FAIL": False,
        }
    raise ImproperlyConfigured(
        f"SEARCH_URL scheme {scheme!r} is not supported; use whoosh://, elasticsearch:// or solr://"
    )
