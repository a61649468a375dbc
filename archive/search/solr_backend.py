"""haystack's Solr backend for a SolrCloud: any of its nodes answers, and more-like-this spans
every shard.

Any node of a SolrCloud answers for the whole collection: it sends the
search to a replica of each shard and merges the answers, and forwards
writes to each shard's leader. So the archive needs no more than the nodes'
addresses: `FailoverSession` sends each request to the next node in turn,
and one that does not answer is left alone for a while and the request sent
to another. A reader's request (a search, its count and spelling, the
related articles) is given SEARCH_TIME_LIMIT and a margin before the next
node is asked: a node that takes the connection and never answers costs a
reader that long, not the long wait of an index write. pysolr's own
SolrCloud client (through ZooKeeper, with kazoo) was not chosen: it picks a
replica marked active in the collection's state without looking at which
nodes are live (a node that died keeps its replicas marked active until the
others notice), retries every error, a malformed query's included, five
times, and would open a ZooKeeper session for each backend (haystack makes
one per thread).

haystack's more-like-this asks Solr's `/mlt` handler, which reads only the
shard it is sent to. Here the document's most telling words are chosen by the
whole collection's counts, then searched for on every shard
(`ArchiveSolrSearchBackend.telling_words`).
"""

import itertools
import json
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Iterator
from urllib.parse import urlencode, urlsplit

import pysolr
import requests
from django.conf import settings
from haystack.backends.solr_backend import SolrEngine, SolrSearchBackend, SolrSearchQuery
from haystack.constants import DJANGO_CT, ID
from haystack.utils import get_identifier, get_model_ct

from archive.search.text import tokens

log = logging.getLogger(__name__)

# As on Whoosh (archive.search.whoosh_backend): the related articles are drawn from the
# best hundred, and a document is described by its twenty most telling words.
MLT_MAX_RESULTS = 100
MLT_TERMS = 20
# A node that refused a connection or did not answer is asked again after this long.
NODE_RETRY_AFTER_SECONDS = 10.0
# Seconds to wait for a node to accept the connection: a node that is gone is left quickly.
CONNECT_TIMEOUT_SECONDS = 2.0
# Seconds a search may run before Solr answers with what it found (settings.SEARCH_TIME_LIMIT).
DEFAULT_TIME_LIMIT = 3.0
# Seconds beyond that limit a node has to answer a read before the next node is asked: Solr
# checks its limit between steps, and merges the shards' answers after it.
READ_TIMEOUT_MARGIN_SECONDS = 2.0
# Documents a page when every document of a kind is read (`stored_values`, verify --index).
STORED_PAGE_SIZE = 1000
# Answers that say "this node cannot serve the collection now": another node may.
_NODE_UNAVAILABLE = frozenset({502, 503, 504})

# Shared by every thread of the process (haystack makes a backend per thread).
_down_until: dict[str, float] = {}
_down_lock = threading.Lock()
_turn = itertools.count()


def search_time_limit() -> float:
    """Seconds a search may run before Solr answers with what it has found."""
    return getattr(settings, "SEARCH_TIME_LIMIT", DEFAULT_TIME_LIMIT)


def read_timeout() -> float:
    """Seconds a node has to answer a read (anything but an index write) before the next
    node is asked."""
    return search_time_limit() + READ_TIMEOUT_MARGIN_SECONDS


def is_index_write(path: str) -> bool:
    """Whether a request to `path` (below the node's address) writes to the index: Solr's
    update handler takes documents, deletions and commits."""
    return "update" in urlsplit(path).path.split("/")


class FailoverSession(requests.Session):
    """A requests session that sends each request to one of `nodes`, the next one each time,
    and to the others in turn when that one cannot be reached, says it cannot serve, or,
    for a read, does not answer in `read_timeout()`.

    pysolr is given the first node's address; the session swaps the node part
    of each URL. An index write waits as long as pysolr's time-out (the
    connection's TIMEOUT: a rebuild's batch and its commit) and is not sent
    elsewhere when slow, which would only add to the load. A write sent again
    after a lost connection is harmless: documents are replaced by their id,
    and a delete by id deletes once.
    """

    def __init__(self, nodes: list[str]):
        super().__init__()
        self.nodes = [node.rstrip("/") for node in nodes]

    def request(self, method, url, *args, **kwargs):
        first = self.nodes[0]
        if not url.startswith(first):
            return super().request(method, url, *args, **kwargs)
        path = url[len(first) :]
        writes = is_index_write(path)
        timeout = kwargs.get("timeout") if writes else read_timeout()
        if isinstance(timeout, int | float):
            kwargs["timeout"] = (min(CONNECT_TIMEOUT_SECONDS, timeout), timeout)
        failure = None
        for node in self._order():
            try:
                response = super().request(method, node + path, *args, **kwargs)
            except requests.ConnectionError as error:
                # Refused, reset, or no connection in CONNECT_TIMEOUT_SECONDS: the node is
                # gone. A node slow to answer (a big commit) is not: its time-out is raised.
                log.warning("Solr node %s did not answer (%s); trying another", node, error)
                _mark_down(node)
                failure = error
                continue
            except requests.Timeout as error:
                if writes:
                    raise
                # Connected, but no answer in time: hung, or swamped. A reader waits no longer.
                log.warning("Solr node %s did not answer a read in time; trying another", node)
                _mark_down(node)
                failure = error
                continue
            if response.status_code in _NODE_UNAVAILABLE:
                log.warning("Solr node %s answered %s; trying another", node, response.status_code)
                _mark_down(node)
                failure = response
                continue
            return response
        if isinstance(failure, requests.Response):
            return failure  # pysolr reads the last node's error from it
        raise failure

    def _order(self) -> list[str]:
        """Every node, starting with the next one in turn; those recently down last."""
        start = next(_turn) % len(self.nodes)
        turn = self.nodes[start:] + self.nodes[:start]
        now = time.monotonic()
        with _down_lock:
            down = {node for node in turn if _down_until.get(node, 0) > now}
        return [node for node in turn if node not in down] + [n for n in turn if n in down]


def _mark_down(node: str) -> None:
    with _down_lock:
        _down_until[node] = time.monotonic() + NODE_RETRY_AFTER_SECONDS


class ArchiveSolrSearchBackend(SolrSearchBackend):
    """haystack's Solr backend, talking to every node of a SolrCloud, with more-like-this
    across shards and the index queue's writes in one commit."""

    def __init__(self, connection_alias, **connection_options):
        super().__init__(connection_alias, **connection_options)
        nodes = connection_options.get("NODES") or []
        collection = connection_options.get("COLLECTION")
        if nodes and collection:
            self.conn = pysolr.Solr(
                f"{nodes[0].rstrip('/')}/{collection}",
                timeout=self.timeout,
                session=FailoverSession(nodes),
                **connection_options.get("KWARGS", {}),
            )

    def build_search_kwargs(self, query_string, **kwargs):
        """haystack's parameters, with Solr's time limit; spelling is checked only for the
        words the search names (`set_spelling_query`), never for the query's own syntax."""
        search_kwargs = super().build_search_kwargs(query_string, **kwargs)
        if "spellcheck.q" not in search_kwargs:
            for key in [key for key in search_kwargs if key.startswith("spellcheck")]:
                del search_kwargs[key]
        search_kwargs["timeAllowed"] = int(search_time_limit() * 1000)
        return search_kwargs

    def _process_results(self, raw_results, *args, **kwargs):
        """haystack's results, saying whether Solr ran out of time and answered with part."""
        results = super()._process_results(raw_results, *args, **kwargs)
        header = getattr(raw_results, "raw_response", None) or {}
        results["incomplete"] = bool(header.get("responseHeader", {}).get("partialResults"))
        return results

    def write(self, updates, removals=()) -> None:
        """Index (index, objects) pairs and remove documents by identifier, then commit once."""
        for index, objects in updates:
            if objects:
                self.update(index, objects, commit=False)
        if removals:
            self.conn.delete(id=list(removals), commit=False)
        self.conn.commit()

    def stored_values(self, model, fields: list[str]) -> Iterator[dict]:
        """The stored `fields` of every `model` document in the collection, read
        STORED_PAGE_SIZE at a time.

        Paged with Solr's cursor (cursorMark, in the order of the unique key):
        each page costs the same wherever it is in the collection, where a page
        asked for by its start makes every shard sort every document before it,
        and one page of everything would be one answer as large as the index.
        """
        cursor = "*"
        while True:
            page = self.conn.search(
                "*:*",
                fq=f'{DJANGO_CT}:"{get_model_ct(model)}"',
                fl=",".join(fields),
                sort=f"{ID} asc",
                rows=STORED_PAGE_SIZE,
                cursorMark=cursor,
            )
            yield from page.docs
            if len(page.docs) < STORED_PAGE_SIZE or page.nextCursorMark in (None, cursor):
                return
            cursor = page.nextCursorMark

    def more_like_this(
        self,
        model_instance,
        additional_query_string=None,
        start_offset=0,
        end_offset=None,
        models=None,
        limit_to_registered_models=None,
        result_class=None,
        **kwargs,
    ):
        """Documents like this one, by its most telling words, from every shard.

        Of the models asked for (`.models()`), else of the instance's own: an
        article's quotes share its words and would crowd out other articles.
        haystack's run_mlt never passes the slice it was asked for, so without
        an end the best MLT_MAX_RESULTS are asked for.
        """
        from haystack import connections

        if end_offset is None:
            end_offset = start_offset + MLT_MAX_RESULTS
        model = type(model_instance)._meta.concrete_model
        unified = connections[self.connection_alias].get_unified_index()
        field = unified.document_field
        index = unified.get_index(model)
        # The indexed text alone (the whole document would cost queries for its tags).
        prepare_text = getattr(index, f"prepare_{field}", index.fields[field].prepare)
        text = prepare_text(model_instance)
        models = models or [model]
        kinds = " OR ".join(sorted(get_model_ct(m) for m in models))
        filters = [f"{DJANGO_CT}:({kinds})", f'-{ID}:"{get_identifier(model_instance)}"']
        if additional_query_string and additional_query_string != "*:*":
            filters.append(additional_query_string)
        try:
            words = self.telling_words(text, field)
            if not words:
                return {"results": [], "hits": 0}
            raw_results = self.conn.search(
                f"{field}:({' OR '.join(words)})",
                fl="* score",
                fq=filters,
                start=start_offset,
                rows=end_offset - start_offset,
            )
        except (OSError, pysolr.SolrError):
            if not self.silently_fail:
                raise
            self.log.exception("More-like-this failed for %s", get_identifier(model_instance))
            return {"results": [], "hits": 0}
        return self._process_results(raw_results, result_class=result_class)

    def telling_words(self, text: str, field: str) -> list[str]:
        """The MLT_TERMS words of `text` that tell most about it, each with its weight as a
        boost (`word^weight`): frequent in it, rare in the whole collection.

        Weighed as Whoosh's more-like-this weighs them on the archive's Whoosh
        index (its Bo1 model: a word's count in the text against its count in
        the collection per document). Solr's own more-like-this (`/mlt`,
        `{!mlt}`) counts on each shard alone, so that a word seems unique on one
        shard and absent from another, and which documents are found depends on
        where they were placed. These counts are the whole collection's (Solr's
        terms component, summed over the shards). The words are made by the
        analysis Solr uses (archive.search.text; the configset is made from it),
        so each is sent as written and becomes the term counted.
        """
        found = tokens(text)
        in_text = Counter(token.term for token in found)
        written = {}
        for token in found:
            written.setdefault(token.term, token.word)
        answer = self.conn._send_request(
            "post",
            "terms",
            body=urlencode(
                {
                    "terms.fl": field,
                    "terms.list": ",".join(sorted(in_text)),
                    "terms.ttf": "true",
                    "terms.limit": -1,
                    "distrib": "true",
                    "shards.qt": "/terms",
                    "wt": "json",
                    "json.nl": "map",
                }
            ),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        counts = json.loads(answer).get("terms", {}).get(field, {})
        documents = self.conn.search("*:*", rows=0).hits
        if not documents:
            return []
        weights = []
        for term, count in in_text.items():
            in_collection = counts.get(term, {}).get("ttf", 0)
            if in_collection:  # not yet indexed: nothing else has it either
                per_document = in_collection / documents
                weight = count * math.log2((1 + per_document) / per_document)
                weights.append((weight + math.log2(1 + per_document), term))
        best = sorted(weights, key=lambda pair: (-pair[0], pair[1]))[:MLT_TERMS]
        return [f"{written[term]}^{weight:.3f}" for weight, term in best]


class ArchiveSolrSearchQuery(SolrSearchQuery):
    """haystack's Solr query, keeping whether Solr answered in time (`incomplete`), which
    the results page tells the reader (archive.search.results)."""

    incomplete = False
    notes = ()

    def run(self, spelling_query=None, **kwargs):
        search_kwargs = {**self.build_params(spelling_query), **kwargs}
        results = self.backend.search(self.build_query(), **search_kwargs)
        self._results = results.get("results", [])
        self._hit_count = results.get("hits", 0)
        self._facet_counts = self.post_process_facets(results)
        self._stats = results.get("stats", {})
        self._spelling_suggestion = results.get("spelling_suggestion", None)
        self.incomplete = results.get("incomplete", False)


class ArchiveSolrEngine(SolrEngine):
    backend = ArchiveSolrSearchBackend
    query = ArchiveSolrSearchQuery
