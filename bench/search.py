#!/usr/bin/env python
"""Search latency: the archive's whole search path beside the raw Whoosh query and stock haystack.

    .venv/bin/python bench/search.py --articles 10000 [--queries-per-kind 50] [--reuse]

In one run it
1. points ARCHIVE_DATA_DIR at a scratch directory (default var/bench/search-<N>),
   migrates, and imports the first N importable articles of the Reuters financial
   corpus (read in place from ../shared/corpus) with the archive's importer;
2. rebuilds the search index with `rebuild_index` (the archive's Whoosh backend);
3. derives term, phrase, filtered and faceted queries from the imported articles
   (seeded, so every run asks the same questions);
4. times every query through each variant, interleaved query by query in a
   rotating order, after a warm-up pass, several times over:
     archive  run_search(SearchParams(q=…)): the whole path, parse, spelling
              variants, haystack, the 20 articles from the database, snippets, facets
     haystack the SearchQuerySet part of it alone (the archive backend's search,
              haystack's result processing, facet counts, spelling suggestion)
     raw      the query string the archive sends, parsed by Whoosh's QueryParser on the
              index's own schema, searcher.search_page(page 1, 20 hits) with the same
              source/year/entities facets (groupedby), on one reused searcher
     stock    haystack's stock WhooshSearchBackend on the same index directory (and,
              with --stock-index own/both, on an index it built itself), called with the
              query string and arguments haystack's SearchQuerySet gives it;
5. prints a Markdown table of p50/p95 latencies and hit counts (and, with
   --write-docs, puts it in docs/performance.md under "Search latency").
"""

import argparse
import cProfile
import datetime
import gc
import gzip
import io
import os
import platform
import pstats
import random
import re
import shutil
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = ROOT.parent / "shared" / "corpus" / "reuters_financial_2006_2013"
DOCS = ROOT / "docs" / "performance.md"
ENTITIES_FIXTURE = ROOT / "fixtures" / "entities.json"
MARKER = ".bench-search"  # a scratch directory this script made and may empty
CHUNK = 10_000  # records per temporary import file (one transaction each)
PER_PAGE = 20
FACETS = ("source", "year", "entities")
KINDS = ("term", "phrase", "filtered", "faceted")
VARIANT_LABELS = {
    "archive": "archive",
    "haystack": "archive: haystack part",
    "raw": "raw Whoosh",
    "stock": "stock haystack",
    "stock_own": "stock, own index",
}
TARGET_ARCHIVE_OVER_RAW = 1.3
TARGET_STOCK_OVER_ARCHIVE = 2.0

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# Set-up --------------------------------------------------------------------


def prepare_environment(data_dir: Path, reuse: bool) -> None:
    """Point the archive at the scratch directory; must run before django.setup()."""
    if data_dir.exists() and any(data_dir.iterdir()) and not (data_dir / MARKER).exists():
        sys.exit(
            f"{data_dir} is not empty and was not made by this benchmark; "
            "choose an empty or new --data-dir."
        )
    if data_dir.exists() and not reuse:
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text("made by bench/search.py; deleted by its next run\n")
    for name in ("DATABASE_URL", "SEARCH_URL"):
        if os.environ.pop(name, None):
            print(f"(ignoring {name}: the benchmark uses its own scratch database and index)")
    os.environ["ARCHIVE_DATA_DIR"] = str(data_dir)
    os.environ["DEBUG"] = "0"  # DEBUG keeps every SQL and search query in memory
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
    os.environ["DJANGO_SETTINGS_MODULE"] = "archive.settings"


def corpus_files(corpus_dir: Path) -> list[Path]:
    files = sorted((corpus_dir / "jsonl").glob("reuters-financial-*.jsonl.gz"))
    if not files:
        sys.exit(f"No corpus files in {corpus_dir / 'jsonl'}; see ../shared/corpus/README.md.")
    return files


def write_import_files(n: int, corpus_dir: Path, out_dir: Path) -> tuple[list[Path], int]:
    """The first `n` records the importer accepts, copied into temporary .jsonl.gz files.

    Records it would refuse (the corpus has empty bodies) are skipped, because
    one bad line makes the importer refuse its whole file. Returns the files and
    how many records were skipped.
    """
    from archive.ingest.jsonl import article_from_line
    from archive.ingest.records import InputError

    out_dir.mkdir(parents=True, exist_ok=True)
    written, skipped, files, out = 0, 0, [], None
    try:
        for path in corpus_files(corpus_dir):
            with gzip.open(path, "rb") as stream:
                for number, raw in enumerate(stream, start=1):
                    line = raw.decode("utf-8").rstrip("\n")
                    try:
                        article_from_line(path, number, line)
                    except InputError:
                        skipped += 1
                        continue
                    if written % CHUNK == 0:
                        if out:
                            out.close()
                        files.append(out_dir / f"part-{len(files) + 1:04d}.jsonl.gz")
                        out = gzip.open(files[-1], "wt", encoding="utf-8", compresslevel=1)
                    out.write(line + "\n")
                    written += 1
                    if written >= n:
                        return files, skipped
    finally:
        if out:
            out.close()
    print(f"(the corpus has only {written:,} importable articles)")
    return files, skipped


@dataclass
class Build:
    articles: int = 0
    skipped: int = 0
    prepare_s: float | None = None
    import_s: float | None = None
    index_s: float | None = None
    stock_index_s: float | None = None
    reused: bool = False
    segments: int = 0

    def lines(self) -> list[str]:
        if self.reused:
            out = [f"- {self.articles:,} articles, import and index reused from an earlier run"]
        elif self.import_s is None:
            out = [f"- {self.articles:,} articles reused from an earlier run"]
        else:
            out = [
                f"- selecting the first {self.articles:,} importable records "
                f"({self.skipped:,} refused records skipped) into temporary files: "
                f"{self.prepare_s:.1f} s",
                f"- import (`import_paths`: store and tag; its own indexing skipped): "
                f"{self.import_s:.1f} s, "
                f"{self.articles / self.import_s:,.0f} articles/s",
            ]
        if self.index_s is not None:
            out.append(
                f"- `rebuild_index` (archive backend): {self.index_s:.1f} s, "
                f"{self.articles / self.index_s:,.0f} docs/s"
            )
        out.append(f"- the archive's index has {self.segments} segment(s)")
        if self.stock_index_s is not None:
            out.append(
                f"- stock backend's own index (`rebuild_index --using stock`): "
                f"{self.stock_index_s:.1f} s, {self.articles / self.stock_index_s:,.0f} docs/s"
            )
        return out


def build(n: int, data_dir: Path, corpus_dir: Path, reuse: bool) -> Build:
    """Import the first `n` articles into `data_dir` and rebuild its Whoosh index (or, with
    `reuse`, take the ones there), with the number of segments the index ends with."""
    result = _build(n, data_dir, corpus_dir, reuse)
    from whoosh import index as whoosh_index

    with whoosh_index.open_dir(_index_path()).reader() as reader:
        result.segments = len(list(reader.leaf_readers()))
    return result


def _build(n: int, data_dir: Path, corpus_dir: Path, reuse: bool) -> Build:
    from django.core.management import call_command

    from archive.ingest.importer import import_paths
    from archive.models import Article, IndexQueue

    call_command("migrate", interactive=False, verbosity=0)
    load_vocabulary()
    result = Build()
    have = Article.objects.count()
    if reuse and have >= n:
        result.articles = have
        if index_doc_count() >= have:
            result.reused = True
            print(f"Reusing {have:,} articles and their index in {data_dir}")
            return result
        print(f"Reusing {have:,} articles in {data_dir}; their index is incomplete")
        _rebuild_index(result)
        return result
    if have:
        sys.exit(f"{data_dir} holds only {have:,} articles; run without --reuse to start over.")

    started = time.perf_counter()
    files, result.skipped = write_import_files(n, corpus_dir, data_dir / "import")
    result.prepare_s = time.perf_counter() - started
    print(f"Importing {n:,} articles from {corpus_dir} …", flush=True)
    started = time.perf_counter()
    # rebuild_index follows, so the importer's own incremental indexing is
    # skipped (and its queue emptied) instead of doing the indexing twice.
    with mock.patch("archive.ingest.importer.flush_index_queue"):
        report = import_paths(files)
    IndexQueue.objects.all().delete()
    result.import_s = time.perf_counter() - started
    shutil.rmtree(data_dir / "import")  # the copies of the corpus go at once
    if report.failed:
        sys.exit("Import failed: " + "; ".join(f.error or f.index_problem for f in report.failed))
    result.articles = Article.objects.count()
    print(f"  {report.summary} in {result.import_s:.1f} s", flush=True)

    _rebuild_index(result)
    return result


def _rebuild_index(result: Build) -> None:
    from django.core.management import call_command

    print("Rebuilding the index …", flush=True)
    started = time.perf_counter()
    call_command("rebuild_index", interactive=False, verbosity=0)
    result.index_s = time.perf_counter() - started
    print(f"  {index_doc_count():,} documents in {result.index_s:.1f} s", flush=True)


def load_vocabulary() -> None:
    """The curated entities and aliases `make demo` loads, so spelling variants are looked up."""
    from django.core.management import call_command

    from archive.models import Entity

    if not Entity.objects.exists():
        call_command("loaddata", str(ENTITIES_FIXTURE), verbosity=0)


def index_doc_count() -> int:
    from haystack import connections

    backend = connections["default"].get_backend()
    backend.setup()
    return backend.index.refresh().doc_count()


def add_stock_connection(data_dir: Path) -> str:
    """A second haystack connection: the stock Whoosh engine with its own index directory."""
    from haystack import connections

    info = dict(connections.connections_info["default"])
    info.update(
        ENGINE="haystack.backends.whoosh_backend.WhooshEngine",
        PATH=str(data_dir / "whoosh_index_stock"),
    )
    connections.connections_info["stock"] = info
    return "stock"


def build_stock_index(result: Build, data_dir: Path) -> None:
    from django.core.management import call_command
    from haystack import connections

    alias = add_stock_connection(data_dir)
    backend = connections[alias].get_backend()
    backend.setup()
    if result.reused and backend.index.refresh().doc_count() >= result.articles:
        return
    print("Building the stock backend's own index …", flush=True)
    started = time.perf_counter()
    call_command("rebuild_index", interactive=False, verbosity=0, using=[alias])
    result.stock_index_s = time.perf_counter() - started
    print(f"  done in {result.stock_index_s:.1f} s", flush=True)


# Queries -------------------------------------------------------------------


@dataclass
class Query:
    kind: str
    q: str
    sources: list[str] = field(default_factory=list)
    year: int | None = None

    def params(self):
        from archive.search.results import SearchParams

        params = SearchParams(q=self.q, sources=list(self.sources))
        if self.year:
            params.date_from = datetime.date(self.year, 1, 1)
            params.date_to = datetime.date(self.year, 12, 31)
        return params

    def label(self) -> str:
        extra = f" source={self.sources[0]}" if self.sources else ""
        extra += f" {self.year}" if self.year else ""
        return f"{self.kind}: {self.q}{extra}"


CAPITALISED = re.compile(r"\b[A-Z][a-z]{3,}\b")
LOWER = re.compile(r"\b[a-z]{4,}\b")
PHRASE_BREAKERS = re.compile(r"[\"“”()\[\]]")


def make_queries(per_kind: int, seed: int) -> list[Query]:
    """Term, phrase, filtered and faceted queries drawn from the imported articles."""
    from whoosh import index as whoosh_index

    from archive.models import Article, Source
    from archive.search.text import WORD, fold, stem

    rng = random.Random(seed)
    pks = list(Article.objects.published().order_by("pk").values_list("pk", flat=True))
    sample = rng.sample(pks, min(len(pks), max(2_000, per_kind * 20)))
    rows = list(
        Article.objects.filter(pk__in=sample)
        .order_by("pk")
        .values_list("title", "body", "published_on", "source__slug")
    )
    n = len(pks)
    reader = whoosh_index.open_dir(_index_path()).reader()

    def df(word):
        return reader.doc_frequency("text", stem(fold(word)))

    # Medium-frequency names from titles (companies, places, people), and common
    # title words for the faceted queries, each with the year of one article using it.
    names, common = {}, {}
    for title, _body, day, _source in rows:
        for word in CAPITALISED.findall(title)[0:]:
            if title.startswith(word):
                continue
            names.setdefault(word, day.year if day else None)
        for word in LOWER.findall(title):
            common.setdefault(word, day.year if day else None)
    low, high = max(2, n // 1_000), max(10, n // 50)
    medium = sorted(w for w in names if low <= df(w) <= high)
    frequent = sorted(w for w in common if n // 20 <= df(w) <= n // 3)
    if len(medium) < per_kind:  # a tiny archive: take what there is
        medium = sorted(w for w in names if df(w) >= 2)
    if len(frequent) < per_kind:
        frequent = sorted(common, key=lambda w: (-df(w), w))[: per_kind * 2]
    reader.close()

    queries = [Query("term", w) for w in _pick(rng, medium, per_kind)]
    queries += [Query("phrase", phrase_query(rng, rows, WORD)) for _ in range(per_kind)]
    source_slugs = sorted(Source.objects.values_list("slug", flat=True))
    for i, word in enumerate(_pick(rng, medium, per_kind)):
        if i % 2 == 0 and source_slugs:
            queries.append(Query("filtered", word, sources=[rng.choice(source_slugs)]))
        else:
            queries.append(Query("filtered", word, year=names[word]))
    queries += [Query("faceted", w) for w in _pick(rng, frequent, per_kind)]
    return queries


def _pick(rng, words, k):
    """k words, without repeats while there are enough."""
    if len(words) >= k:
        return rng.sample(words, k)
    return [rng.choice(words) for _ in range(k)]


def phrase_query(rng, rows, word_re, shortest: int = 3) -> str:
    """`shortest` to 6 words in a row from an article's paragraph, in curly quotes as if
    pasted (rows: (title, body, …))."""
    while True:
        _title, body, *_ = rng.choice(rows)
        paragraph = rng.choice(body.split("\n\n"))
        words = list(word_re.finditer(paragraph))
        length = rng.randint(shortest, 6)
        if len(words) < length:
            continue
        start = rng.randrange(len(words) - length + 1)
        text = paragraph[words[start].start() : words[start + length - 1].end()]
        if not PHRASE_BREAKERS.search(text):
            return f"“{text}”"


def _index_path() -> str:
    from django.conf import settings

    return settings.HAYSTACK_CONNECTIONS["default"]["PATH"]


# Variants --------------------------------------------------------------------


@dataclass
class Prepared:
    """A query as the archive hands it to haystack, ready for each variant."""

    query: Query
    params: object
    parsed: object
    sources: list
    entities: list
    query_string: str
    search_kwargs: dict


def prepare(query: Query) -> Prepared:
    from archive.entities.vocabulary import current_vocabulary
    from archive.search.query import parse_query
    from archive.search.results import _resolve_filters, build_search
    from archive.search.variants import expand

    params = query.params()
    parsed = parse_query(params.q)
    variants = current_vocabulary().variants
    expand(parsed, variants)
    sources, entities = _resolve_filters(parsed, params, variants, [])
    sqs = build_search(parsed, params, sources, entities)
    kwargs = sqs.query.build_params()
    kwargs.update(start_offset=0, end_offset=PER_PAGE)
    return Prepared(query, params, parsed, sources, entities, sqs.query.build_query(), kwargs)


def _fresh_kwargs(kwargs: dict) -> dict:
    # The stock backend adds its model filter to narrow_queries in place.
    return {k: (set(v) if isinstance(v, set) else v) for k, v in kwargs.items()}


class Variants:
    def __init__(self, stock_index: str):
        from haystack import connections
        from haystack.backends.whoosh_backend import WhooshSearchBackend
        from whoosh import index as whoosh_index
        from whoosh.qparser import FuzzyTermPlugin, QueryParser
        from whoosh.sorting import Count, FieldFacet

        self._FieldFacet, self._Count = FieldFacet, Count
        # raw: the index as it is on disk, its own stored schema, one searcher.
        self.ix = whoosh_index.open_dir(_index_path())
        self.raw_searcher = self.ix.searcher()
        self.raw_parser = QueryParser("text", schema=self.ix.schema)
        self.raw_parser.add_plugins([FuzzyTermPlugin()])  # as haystack's parser has
        # stock: haystack's own backend with our connection's options.
        options = dict(connections.connections_info["default"])
        options["ENGINE"] = "haystack.backends.whoosh_backend.WhooshEngine"
        self.names = ["archive", "haystack", "raw"]
        self.stock = {}
        if stock_index in ("same", "both"):
            self.stock["stock"] = WhooshSearchBackend("default", **options)
            self.names.append("stock")
        if stock_index in ("own", "both"):
            own = dict(connections.connections_info["stock"])
            self.stock["stock_own"] = WhooshSearchBackend("default", **own)
            self.names.append("stock_own")

    def close(self):
        self.raw_searcher.close()

    def run(self, name: str, prepared: Prepared) -> int:
        """Run one variant once; returns its hit count."""
        if name == "archive":
            from archive.search.results import run_search

            return run_search(prepared.query.params()).count
        if name == "haystack":
            return self._haystack(prepared)
        if name == "raw":
            return self._raw(prepared)
        return self._stock(self.stock[name], prepared)

    def _haystack(self, p: Prepared) -> int:
        from archive.search.results import build_search

        sqs = build_search(p.parsed, p.params, p.sources, p.entities)
        list(sqs[0:PER_PAGE])
        sqs.facet_counts()
        sqs.spelling_suggestion()
        return sqs.count()

    def _raw(self, p: Prepared) -> int:
        facets = p.search_kwargs.get("facets") or ()
        groupedby = {
            name: self._FieldFacet(name, allow_overlap=True, maptype=self._Count) for name in facets
        }
        parsed = self.raw_parser.parse(p.query_string)
        page = self.raw_searcher.search_page(
            parsed, 1, pagelen=PER_PAGE, groupedby=groupedby or None
        )
        [hit["django_id"] for hit in page]
        for name in groupedby:
            page.results.groups(name)
        return page.total

    def _stock(self, backend, p: Prepared) -> int:
        return backend.search(p.query_string, **_fresh_kwargs(p.search_kwargs))["hits"]


# Measuring -------------------------------------------------------------------


def measure(variants: Variants, prepared: list[Prepared], args):
    """Per kind and variant: the timings (ms) and the hit count of each query.

    Every query is run through every variant in turn, the order rotating from
    one query to the next. Stock haystack is much slower than the others, so it
    runs in the first --stock-repeats passes only, and warms up on a few queries.
    """
    times = defaultdict(list)
    hits = defaultdict(list)
    names = variants.names
    for _ in range(args.warmup):
        for i, p in enumerate(prepared):
            for name in names:
                if not name.startswith("stock") or i % args.queries_per_kind < 2:
                    variants.run(name, p)
    rotation = 0
    for repeat in range(args.repeats):
        gc.collect()
        timed = [n for n in names if not n.startswith("stock") or repeat < args.stock_repeats]
        for p in prepared:
            order = timed[rotation % len(timed) :] + timed[: rotation % len(timed)]
            rotation += 1
            for name in order:
                started = time.perf_counter()
                found = variants.run(name, p)
                times[p.query.kind, name].append((time.perf_counter() - started) * 1000)
                if repeat == 0:
                    hits[p.query.kind, name].append(found)
    return times, hits


def percentile(values, pct):
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[pct - 1]


def table(times, hits, names) -> str:
    stock_names = [n for n in names if n.startswith("stock")]
    head = ["kind"] + [f"{VARIANT_LABELS[n]} p50 / p95 ms" for n in names]
    head += ["archive / raw p95"] + [f"{VARIANT_LABELS[n]} / archive p95" for n in stock_names]
    head += ["mean hits " + " / ".join(VARIANT_LABELS[n] for n in names)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for kind in KINDS + ("all",):
        kinds = KINDS if kind == "all" else (kind,)

        def pick(name, source, kinds=kinds):
            return [v for k in kinds for v in source[k, name]]

        if not pick("archive", times):
            continue
        p95 = {n: percentile(pick(n, times), 95) for n in names}
        row = [f"**{kind}**" if kind == "all" else kind]
        row += [f"{percentile(pick(n, times), 50):.1f} / {p95[n]:.1f}" for n in names]
        row.append(f"{p95['archive'] / p95['raw']:.2f}×")
        row += [f"{p95[n] / p95['archive']:.2f}×" for n in stock_names]
        row.append(" / ".join(f"{statistics.mean(pick(n, hits)):,.0f}" for n in names))
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def verdict(times, names) -> str:
    every = {n: [v for k in KINDS for v in times[k, n]] for n in names}
    p95 = {n: percentile(v, 95) for n, v in every.items()}
    over_raw = p95["archive"] / p95["raw"]
    p50_over_raw = percentile(every["archive"], 50) / percentile(every["raw"], 50)
    parts = [
        f"archive p95 is {over_raw:.2f}× raw Whoosh (target ≤ {TARGET_ARCHIVE_OVER_RAW}×: "
        f"{'met' if over_raw <= TARGET_ARCHIVE_OVER_RAW else 'NOT met'}; at p50 it is "
        f"{p50_over_raw:.2f}×)"
    ]
    for name in (n for n in names if n.startswith("stock")):
        speedup = p95[name] / p95["archive"]
        parts.append(
            f"{VARIANT_LABELS[name]} p95 is {speedup:.2f}× the archive's (target ≥ "
            f"{TARGET_STOCK_OVER_ARCHIVE}×: "
            f"{'met' if speedup >= TARGET_STOCK_OVER_ARCHIVE else 'NOT met'})"
        )
    return "; ".join(parts) + "."


def hit_agreement(hits, names) -> str:
    """How often each variant's hit count equals the archive's, per kind."""
    out = []
    for name in names[1:]:
        per_kind = []
        for kind in KINDS:
            ours, theirs = hits[kind, "archive"], hits[kind, name]
            if ours:
                same = sum(a == b for a, b in zip(ours, theirs, strict=True))
                per_kind.append(f"{kind} {same}/{len(ours)}")
        out.append(f"{VARIANT_LABELS[name]}: " + ", ".join(per_kind))
    return "Queries with the same hit count as the archive: " + "; ".join(out) + "."


# Profiling -------------------------------------------------------------------


def profile(prepared: list[Prepared], rounds: int = 3) -> str:
    """Where run_search spends its time over the whole query set (pyinstrument if installed)."""
    from archive.search.results import run_search

    def work():
        for _ in range(rounds):
            for p in prepared:
                run_search(p.query.params())

    try:
        from pyinstrument import Profiler
    except ImportError:
        profiler = cProfile.Profile()
        profiler.runcall(work)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        return out.getvalue()
    profiler = Profiler(interval=0.0005)
    profiler.start()
    work()
    profiler.stop()
    return profiler.output_text(unicode=True, color=False, show_all=False)


# Report ----------------------------------------------------------------------


def machine() -> str:
    import django
    import haystack
    import whoosh

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{cores} CPU(s) ({cpu}){ram}; Python {platform.python_version()}, "
        f"Django {django.get_version()}, django-haystack {haystack.__version__}, "
        f"Whoosh {whoosh.versionstring()}, SQLite {_sqlite_version()}"
    )


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def section(n, command, build_result, body, args) -> str:
    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return "\n".join(
        [
            f"### {n:,} articles",
            "",
            f"`{command}` — {when}",
            "",
            f"Machine: {machine()}.",
            "",
            *build_result.lines(),
            f"- {args.queries_per_kind} queries per kind, {args.warmup} warm-up pass(es), "
            f"each query timed {args.repeats}× per variant ({args.stock_repeats}× for stock "
            "haystack), variants interleaved query by query in a rotating order; "
            "p50/p95 are over all timings of the kind.",
            "",
            body,
            "",
        ]
    )


DOCS_INTRO = """\
## Search latency

Measured by `bench/search.py` (see bench/README.md): the first N importable
articles of the Reuters financial corpus (2006–2013, read in place from
`../shared/corpus`) imported with the archive's importer into a scratch
database (with the curated entity vocabulary of `fixtures/entities.json`, as
`make demo` loads it), indexed with `rebuild_index`, then term (a capitalised
title word in 0.1–2% of articles), phrase (3–6 words from a paragraph, pasted in
curly quotes), filtered (a term plus a source, or plus a from/to year) and
faceted (a title word in 5–33% of articles, so facets count many hits) queries,
derived from those articles with a fixed seed. Every variant computes the
source/year/entities facets for every kind, because the archive always does.
Each variant does this work per query:

- **archive**: `run_search(SearchParams(q=…))`, the whole path behind the
  search page: parsing, spelling variants, haystack, the page of 20 hits with
  source/year/entities facet counts and a spelling check, the 20 articles from
  the database, their snippets, facet labels from the database.
- **archive: haystack part**: only the `SearchQuerySet` of that path (the
  archive backend's `search()` and haystack's result handling).
- **raw Whoosh**: the query string the archive sends, parsed by Whoosh's
  `QueryParser` on the index's schema, `search_page(page 1, 20)` with the same
  three `FieldFacet`s (`allow_overlap=True`, as the archive backend asks) on
  one reused searcher, reading the 20 hits' stored fields and the facet groups.
- **stock haystack**: haystack's `WhooshSearchBackend` opened on the same
  index directory, called as `SearchQuerySet` calls it (same query string,
  `models=[Article]`, the three facets, spelling on as in our connection): it
  opens a searcher per query, narrows by model with a second unlimited search,
  runs Whoosh's spelling corrector on every query word, and parses with its
  own (stemming, stop-word) analyzer, so its hit counts can differ: the table
  gives each variant's mean hits and how many queries found exactly the
  archive's count. "stock, own index" (`--stock-index own|both`) is stock
  haystack on an index built with its own schema, so its analyzer agrees
  with its index.

Targets: archive p95 ≤ 1.3× raw Whoosh, and ≥ 2× faster than stock haystack.
"""


def write_docs(n: int, text: str) -> None:
    """Put the section for `n` articles into docs/performance.md, keeping everything else."""
    content = DOCS.read_text() if DOCS.exists() else "# Performance\n"
    if "\n## Search latency\n" not in "\n" + content:
        content = content.rstrip("\n") + "\n\n" + DOCS_INTRO
    start = content.index("## Search latency")
    next_section = content.find("\n## ", start + 1)
    end = len(content) if next_section < 0 else next_section + 1
    latency = content[start:end]
    heading = f"### {n:,} articles"
    pieces = re.split(r"(?m)^(?=### )", latency)
    intro, subsections = pieces[0], [p for p in pieces[1:] if not p.startswith(heading + "\n")]
    subsections.append(text.rstrip("\n") + "\n\n")

    def order(piece):
        match = re.match(r"### ([\d,]+) articles", piece)
        return (0, int(match.group(1).replace(",", ""))) if match else (1, 0)

    subsections.sort(key=order)
    latency = intro.rstrip("\n") + "\n\n" + "".join(subsections)
    DOCS.parent.mkdir(exist_ok=True)
    DOCS.write_text(content[:start] + latency.rstrip("\n") + "\n" + content[end:])
    print(f"Wrote the {n:,}-article results to {DOCS.relative_to(ROOT)}")


# Main ------------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000, help="N articles to load")
    parser.add_argument("--data-dir", type=Path, help="scratch dir (default var/bench/search-N)")
    parser.add_argument("--queries-per-kind", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5, help="timed passes over all queries")
    parser.add_argument("--warmup", type=int, default=1, help="untimed passes first")
    parser.add_argument(
        "--stock-repeats", type=int, default=1, help="timed passes of stock haystack (slow)"
    )
    parser.add_argument("--seed", type=int, default=2014)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the scratch DB and index if they hold ≥ N"
    )
    parser.add_argument(
        "--stock-index",
        choices=("same", "own", "both", "none"),
        default="same",
        help="stock haystack on the archive's index, on an index it builds itself, both, or none",
    )
    parser.add_argument("--corpus", type=Path, default=CORPUS_DIR, help=argparse.SUPPRESS)
    parser.add_argument(
        "--write-docs", action="store_true", help="put the results in docs/performance.md"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also profile run_search over the query set"
    )
    parser.add_argument(
        "--show-queries", action="store_true", help="print each query and its hit counts"
    )
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    n = args.articles
    data_dir = (args.data_dir or ROOT / "var" / "bench" / f"search-{n}").resolve()
    prepare_environment(data_dir, args.reuse)

    import django

    django.setup()

    build_result = build(n, data_dir, args.corpus, args.reuse)
    if args.stock_index in ("own", "both"):
        build_stock_index(build_result, data_dir)
    queries = make_queries(args.queries_per_kind, args.seed)
    prepared = [prepare(q) for q in queries]
    variants = Variants(args.stock_index)
    args.stock_repeats = max(1, min(args.stock_repeats, args.repeats))
    print(
        f"Timing {len(prepared)} queries × {len(variants.names)} variants, "
        f"{args.repeats} time(s) ({args.stock_repeats} for stock haystack), "
        f"after {args.warmup} warm-up pass(es) …",
        flush=True,
    )
    times, hits = measure(variants, prepared, args)
    if args.show_queries:
        position = defaultdict(int)
        for p in prepared:
            i = position[p.query.kind]
            position[p.query.kind] += 1
            counts = " ".join(f"{name}={hits[p.query.kind, name][i]}" for name in variants.names)
            print(f"  {p.query.label()}  →  {p.query_string}  [{counts}]")
    body = "\n\n".join(
        [
            table(times, hits, variants.names),
            verdict(times, variants.names),
            hit_agreement(hits, variants.names),
        ]
    )
    command = "python bench/search.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = section(n, command.strip(), build_result, body, args)
    print()
    print(text)
    if args.write_docs:
        write_docs(n, text)
    if args.profile:
        print(profile(prepared))
    variants.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
