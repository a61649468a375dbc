"""Whether the search index can answer now, and the notice a search carries when it cannot.

Only search depends on the index: articles, lists, entity pages and feeds other
than the search feed come from the database and are unaffected. A search whose
engine fails (the index directory missing or replaced under it by a rebuild,
an engine that is down) is answered with SEARCH_UNAVAILABLE and status 503
instead of an error page; a search answered by an index that holds fewer
articles than are published (a rebuild under way, an index lost and recreated
empty) carries INDEX_INCOMPLETE.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from haystack import connections
from haystack.query import SearchQuerySet

from archive.models import Article, IndexQueue, Quote
from archive.search.servers import ServersReport

# The libraries whose exceptions mean "the engine could not answer". Named, not
# imported: a site on Elasticsearch does not load Whoosh, nor one on Whoosh pysolr.
ENGINE_PACKAGES = frozenset({"haystack", "whoosh", "elasticsearch", "pysolr"})
T = TypeVar("T")
# Whoosh rebuilds and Elasticsearch restarts take minutes.
RETRY_AFTER_SECONDS = 120
# rebuild_index deletes the Whoosh files and creates an empty index a moment later.
SECOND_TRY_AFTER_SECONDS = 0.2


@dataclass(frozen=True)
class IndexNotice:
    text: str
    status: int  # of the page, feed or export that shows it

    @property
    def unavailable(self) -> bool:
        return self.status == 503


INDEX_INCOMPLETE = IndexNotice("The search index is being rebuilt; results may be incomplete.", 200)
SEARCH_UNAVAILABLE = IndexNotice(
    "Search is unavailable right now; please try again in a few minutes.", 503
)


def is_engine_failure(error: BaseException) -> bool:
    """Whether `error` came from the search engine (its library, or its files on disk).

    Anything else is a bug of ours and must not be dressed up as an outage.
    """
    if isinstance(error, OSError):
        return True
    return any(cls.__module__.partition(".")[0] in ENGINE_PACKAGES for cls in type(error).__mro__)


def tried_twice(ask_the_index: Callable[[], T]) -> T:
    """`ask_the_index()`, asked again after a pause if the engine failed the first time.

    A search that comes while a rebuild replaces the index's files succeeds
    the second time, with the notice that results may be incomplete. A second
    failure is raised.
    """
    try:
        return ask_the_index()
    except Exception as error:
        if not is_engine_failure(error):
            raise
    time.sleep(SECOND_TRY_AFTER_SECONDS)
    return ask_the_index()


def indexed_article_count(using: str = "default", model=Article) -> int:
    """How many articles (or other `model` documents) the index holds, the cheapest way the
    engine offers.

    The archive's Whoosh backend reads it from the posting list of the
    articles' content type (the index holds quotes too); a search for
    everything would score every document (minutes at 100,000 articles).
    Elasticsearch and Solr count a match-all query from their own statistics.
    """
    backend = connections[using].get_backend()
    model_doc_count = getattr(backend, "model_doc_count", None)
    if callable(model_doc_count):
        return model_doc_count(model)
    return SearchQuerySet(using=using).models(model).count()


def servers_report(using: str = "default") -> ServersReport | None:
    """Which state of the index each running server process searches; None if the engine
    does not say (Elasticsearch and Solr keep no searcher in our processes)."""
    report = getattr(connections[using].get_backend(), "servers_report", None)
    return report() if callable(report) else None


def pairs_report(using: str = "default"):
    """Which parts of the index lack the word pairs phrases are matched by; None if the
    engine has none (Solr and Elasticsearch match phrases their own way)."""
    report = getattr(connections[using].get_backend(), "pairs_report", None)
    return report() if callable(report) else None


def index_completeness_notice(using: str = "default") -> IndexNotice | None:
    """INDEX_INCOMPLETE when more published articles are missing from the index than are queued.

    Articles waiting in the index queue (the index was busy a moment ago) are
    not a rebuild: they are indexed by the next save or `sync_index`.
    """
    published = Article.objects.published().count()
    if not published:
        return None
    queued = IndexQueue.objects.count()
    if indexed_article_count(using) + queued < published:
        return INDEX_INCOMPLETE
    return None


def quote_index_notice(using: str = "default") -> IndexNotice | None:
    """INDEX_INCOMPLETE while the articles are, or while the index holds no quote at all
    though there are some (an index built before quotes were indexed: `rebuild_index`).

    Counting the quotes that should be indexed joins every quote to its article
    (a second or more at a million quotes), so a partly indexed set of quotes
    is left to `verify --index`.
    """
    notice = index_completeness_notice(using)
    if notice is None and not indexed_article_count(using, Quote):
        if Quote.objects.filter(rejected=False, article__status=Article.Status.PUBLISHED).exists():
            return INDEX_INCOMPLETE
    return notice


def with_index_notice(response, notice: IndexNotice | None):
    """Give `response` the status of the notice it shows, and the notice as a header.

    The header (`Search-Notice`) is for clients of the JSON, CSV and Atom
    answers; a 503 says when to come back (`Retry-After`).
    """
    if notice is None:
        return response
    response.status_code = notice.status
    response["Search-Notice"] = notice.text
    if notice.unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
