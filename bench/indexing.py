#!/usr/bin/env python
"""Index build speed: the archive's Whoosh writer beside a raw Whoosh writer and stock haystack.

    .venv/bin/python bench/indexing.py --articles 10000
    .venv/bin/python bench/indexing.py --articles 100000 --stock-articles 12000
    .venv/bin/python bench/indexing.py --smoke          # a few seconds, for the test suite

It reads the articles of a scratch archive that bench/search.py imported
(default var/bench/search-10000 or var/bench/search-100000, or --data-dir) and
writes only into its own scratch directory (default var/bench/indexing-<N>),
never into that archive's index. In one run it
1. feeds the first N published articles (by pk), chunk by chunk, to three
   writers, each building a fresh index of its own. Each chunk is fetched once
   with ArticleIndex.index_queryset() outside the timed region; the order of
   the writers rotates from one chunk to the next:
     archive  the archive backend's update(index, chunk), what rebuild_index and
              update_index call (prepares the documents, deletes their old
              entries with one searcher, writes with one process per core from
              PARALLEL_BATCH documents on);
     raw      a plain single-process Whoosh ix.writer() on an index with the
              archive backend's own schema: add_document for each document,
              one commit per chunk; the documents are the ones update() writes
              (the backend's documents(): index.full_prepare and the word
              pairs), prepared once and timed separately ("raw, with preparing"
              adds it; before 2026-12-02 evening they lacked the word pairs);
     stock    haystack's stock WhooshSearchBackend with its own schema, called
              in batches of 1,000 (HAYSTACK_BATCH_SIZE's default, what stock
              update_index does), on the first --stock-articles articles;
2. times `manage.py rebuild_index --noinput` end to end in a subprocess on
   the same database, into another scratch index;
3. times a fixed set of queries (generated as bench/search.py does) on the
   archive-built index before and after ix.optimize() (merging it into one
   segment), and how long the optimize took;
4. prints a Markdown table (and with --write-docs puts it in docs/performance.md
   under "Index build"); with --profile, where the archive writer's time goes.
"""

import argparse
import cProfile
import datetime
import gc
import importlib.util
import io
import json
import math
import os
import pstats
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "performance.md"
MARKER = ".bench-indexing"  # a scratch directory this script made and may empty
STOCK_BATCH = 1000  # haystack's default BATCH_SIZE: what stock update_index hands the backend
TARGET_ARCHIVE_OVER_STOCK = 1.6
WRITERS = ("archive", "raw", "stock", "raw_fixed")
# Whoosh's own functions that the archive backend replaces when it is imported,
# captured before that, so raw Whoosh and stock haystack run on Whoosh as shipped.
SHIPPED = {}

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _load_search_bench():
    """bench/search.py as a module, for its query generation and machine description."""
    spec = importlib.util.spec_from_file_location("bench_search", ROOT / "bench" / "search.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Set-up --------------------------------------------------------------------


def remember_shipped_whoosh() -> None:
    """Call before django.setup(): keep Whoosh's functions as they come in the package."""
    from whoosh.codec.whoosh3 import W3PerDocReader

    SHIPPED[W3PerDocReader, "_cached_reader"] = W3PerDocReader.__dict__["_cached_reader"]


def patched_by_archive() -> list[str]:
    """The Whoosh functions the archive backend replaced (it fixes Whoosh bugs that way)."""
    return [
        f"{owner.__name__}.{name}"
        for (owner, name), shipped in SHIPPED.items()
        if owner.__dict__[name] is not shipped
    ]


@contextmanager
def whoosh_as_shipped():
    """Whoosh without the archive backend's fixes, for the writers that stand for plain Whoosh."""
    current = {key: key[0].__dict__[key[1]] for key in SHIPPED}
    for (owner, name), shipped in SHIPPED.items():
        setattr(owner, name, shipped)
    try:
        yield
    finally:
        for (owner, name), function in current.items():
            setattr(owner, name, function)


def prepare_scratch(scratch: Path) -> None:
    if scratch.exists() and any(scratch.iterdir()) and not (scratch / MARKER).exists():
        sys.exit(
            f"{scratch} is not empty and was not made by this benchmark; "
            "choose an empty or new --scratch-dir."
        )
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    (scratch / MARKER).write_text("made by bench/indexing.py; deleted by its next run\n")


def prepare_environment(data_dir: Path, scratch: Path) -> None:
    """Read the archive in data_dir; write every index under scratch. Before django.setup()."""
    for name in ("DATABASE_URL", "SEARCH_URL"):
        if os.environ.pop(name, None):
            print(f"(ignoring {name}: the benchmark uses its own database and indexes)")
    os.environ["ARCHIVE_DATA_DIR"] = str(data_dir)
    # The default connection (the one rebuild_index and run_search use) points
    # at the scratch index, so the archive's own whoosh_index is never written.
    os.environ["SEARCH_URL"] = f"whoosh://{scratch / 'archive'}"
    os.environ["DEBUG"] = "0"  # DEBUG keeps every SQL query in memory
    os.environ["DJANGO_SETTINGS_MODULE"] = "archive.settings"


def migrate_if_needed() -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        print("Applying pending migrations to the benchmark database …", flush=True)
        call_command("migrate", interactive=False, verbosity=0)


SMOKE_PLACES = ("Granary", "Harbour", "Railway", "Textile", "Orchard", "Bazaar", "Foundry")
SMOKE_WORDS = (
    "the committee reported that shipments of cotton and grain rose across the region "
    "while officials said new rules on trade would follow next year and traders "
    "expected prices to settle after the harvest season ended in the autumn"
).split()


def make_smoke_archive(data_dir: Path, articles: int = 50) -> None:
    """A tiny archive of made-up articles (no real people), imported with the archive's importer."""
    from archive.ingest.importer import import_paths

    migrate_if_needed()
    rng = random.Random(7)
    path = data_dir / "smoke.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(articles):
            first, second = rng.sample(SMOKE_PLACES, 2)
            paragraphs = [
                " ".join(rng.choice(SMOKE_WORDS) for _ in range(rng.randint(12, 30)))
                for _ in range(rng.randint(2, 5))
            ]
            record = {
                "id": f"smoke-{i}",
                "source": rng.choice(("Bench Wire", "Bench Gazette")),
                "title": f"Synthetic report {i} on {first} and {second}",
                "date": None if i % 9 == 0 else f"{2006 + i % 8}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                "url": f"https://bench.invalid/{i}",
                "author": None,
                "body": "\n\n".join(paragraphs),
            }
            out.write(json.dumps(record) + "\n")
    report = import_paths([path], index=False)
    if report.failed:
        sys.exit("Smoke import failed: " + "; ".join(str(f.error) for f in report.failed))


# Writers -------------------------------------------------------------------


class Writers:
    """The three writers, each on a fresh index directory under `scratch`."""

    def __init__(self, scratch: Path, stock_batch: int, raw_fixed: bool):
        from haystack import connections
        from haystack.backends.whoosh_backend import WhooshSearchBackend
        from whoosh import index as whoosh_index

        from archive.models import Article

        self.scratch = scratch
        self.stock_batch = stock_batch
        self.index = connections["default"].get_unified_index().get_index(Article)
        # archive: the default connection's backend, as rebuild_index uses it.
        self.archive = connections["default"].get_backend()
        self.archive.setup()
        self.paths = {"archive": Path(self.archive.path)}
        # raw: the archive backend's own schema, in a plain Whoosh index.
        self.paths["raw"] = scratch / "raw"
        self.paths["raw"].mkdir()
        self.raw_ix = whoosh_index.create_in(str(self.paths["raw"]), self.archive.schema)
        # stock: haystack's backend with its own schema, our connection's other options.
        options = dict(connections.connections_info["default"])
        options.update(
            ENGINE="haystack.backends.whoosh_backend.WhooshEngine", PATH=str(scratch / "stock")
        )
        self.paths["stock"] = scratch / "stock"
        self.stock = WhooshSearchBackend("default", **options)
        self.stock.setup()
        self.names = ["archive", "raw", "stock"]
        if raw_fixed:
            # raw_fixed: raw Whoosh with the Whoosh fixes and writer memory the archive uses.
            from archive.search import whoosh_backend

            self.limitmb = getattr(whoosh_backend, "WRITER_MEMORY_MB", 128)
            self.paths["raw_fixed"] = scratch / "raw_fixed"
            self.paths["raw_fixed"].mkdir()
            self.raw_fixed_ix = whoosh_index.create_in(
                str(self.paths["raw_fixed"]), self.archive.schema
            )
            self.names.append("raw_fixed")

    def prepare(self, articles) -> list[dict]:
        return list(self.archive.documents(self.index, articles))

    def write_archive(self, articles) -> None:
        self.archive.update(self.index, articles)

    def write_raw(self, documents) -> None:
        with whoosh_as_shipped():
            writer = self.raw_ix.writer()
            for document in documents:
                writer.add_document(**document)
            writer.commit()

    def write_raw_fixed(self, documents) -> None:
        writer = self.raw_fixed_ix.writer(limitmb=self.limitmb)
        for document in documents:
            writer.add_document(**document)
        writer.commit()

    def write_stock(self, articles) -> None:
        with whoosh_as_shipped():
            for start in range(0, len(articles), self.stock_batch):
                self.stock.update(self.index, articles[start : start + self.stock_batch])


def article_chunks(n: int, chunk: int):
    """The first n published articles by pk, chunk by chunk, as index_queryset() loads them."""
    from archive.search.indexes import ArticleIndex

    queryset = ArticleIndex().index_queryset()
    pks = list(queryset.prefetch_related(None).values_list("pk", flat=True)[:n])
    for start in range(0, len(pks), chunk):
        wanted = pks[start : start + chunk]
        articles = list(queryset.filter(pk__gte=wanted[0], pk__lte=wanted[-1]))
        assert [a.pk for a in articles] == wanted, "published articles changed during the run"
        yield articles


@dataclass
class BuildTimes:
    articles: int = 0
    chunks: int = 0
    seconds: dict = field(default_factory=lambda: dict.fromkeys(WRITERS, 0.0))
    prepare_s: float = 0.0
    stock_articles: int = 0
    # archive's time on the chunks stock also wrote, for a like-for-like ratio
    archive_on_stock_s: float = 0.0
    per_chunk: list = field(default_factory=list)


def build_side_by_side(writers: Writers, n: int, chunk: int, stock_limit: int) -> BuildTimes:
    result = BuildTimes()
    total_chunks = math.ceil(n / chunk)
    for number, articles in enumerate(article_chunks(n, chunk)):
        stock_part = articles[: max(0, stock_limit - result.stock_articles)]
        gc.collect()
        started = time.perf_counter()
        documents = writers.prepare(articles)
        result.prepare_s += time.perf_counter() - started
        names = [name for name in writers.names if name != "stock" or stock_part]
        shift = number % len(names)
        took = {}
        for name in names[shift:] + names[:shift]:
            gc.collect()
            started = time.perf_counter()
            if name == "archive":
                writers.write_archive(articles)
            elif name == "raw":
                writers.write_raw(documents)
            elif name == "raw_fixed":
                writers.write_raw_fixed(documents)
            else:
                writers.write_stock(stock_part)
            took[name] = time.perf_counter() - started
            result.seconds[name] += took[name]
        if stock_part:
            result.stock_articles += len(stock_part)
            # Stock wrote a part of this chunk: count archive's share of the chunk.
            result.archive_on_stock_s += took["archive"] * len(stock_part) / len(articles)
        result.articles += len(articles)
        result.chunks += 1
        result.per_chunk.append((len(articles), took))
        print(
            f"  chunk {number + 1}/{total_chunks} ({result.articles:,} articles): "
            + ", ".join(f"{name} {took[name]:.1f} s" for name in names),
            flush=True,
        )
    return result


# The other measurements ------------------------------------------------------


def segment_count(path: Path) -> tuple[int, int]:
    """(segments, documents) of the index at path."""
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(path))
    with ix.reader() as reader:
        return len(list(reader.leaf_readers())), reader.doc_count()


def directory_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in path.iterdir() if p.is_file()) / 2**20


@dataclass
class RebuildRun:
    seconds: float
    documents: int
    segments: int


def time_rebuild_command(data_dir: Path, scratch: Path) -> RebuildRun:
    """`manage.py rebuild_index --noinput` end to end (start-up, clear, queries, writing)."""
    path = scratch / "rebuild"
    env = dict(os.environ)
    env.update(ARCHIVE_DATA_DIR=str(data_dir), SEARCH_URL=f"whoosh://{path}", DEBUG="0")
    command = [sys.executable, "manage.py", "rebuild_index", "--noinput", "--verbosity", "0"]
    print("Timing `manage.py rebuild_index --noinput` …", flush=True)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"rebuild_index failed:\n{done.stdout}{done.stderr}")
    segments, documents = segment_count(path)
    print(f"  {documents:,} documents in {seconds:.1f} s", flush=True)
    return RebuildRun(seconds, documents, segments)


@dataclass
class QueryTimes:
    label: str
    segments: int
    first_pass_s: float
    page_ms: list
    engine_ms: list


def time_queries(search_bench, prepared, backends, labels, repeats: int) -> list[QueryTimes]:
    """The queries on several indexes of the same articles, interleaved.

    Each query runs on every index in turn, in an order that alternates from
    query to query, so that load from other processes falls on all alike: a
    first (cold) pass, then `repeats` timed passes. page: run_search(),
    everything the search page does, pointed at each index by swapping the
    default connection's backend; engine: only that backend's search() with
    the arguments haystack gives it.
    """
    from haystack import connections

    from archive.search.results import run_search

    engine = connections["default"]
    original = engine.get_backend()
    times = []
    for backend, label in zip(backends, labels, strict=True):
        segments = len(list(backend.searcher().reader().leaf_readers()))
        times.append(QueryTimes(label, segments, 0.0, [], []))
    try:
        for repeat in range(repeats + 1):
            gc.collect()
            for i, p in enumerate(prepared):
                order = list(range(len(backends)))
                if (i + repeat) % 2:
                    order.reverse()
                for b in order:
                    engine._backend = backends[b]
                    started = time.perf_counter()
                    run_search(p.query.params())
                    took = time.perf_counter() - started
                    if repeat == 0:
                        times[b].first_pass_s += took
                        continue
                    times[b].page_ms.append(took * 1000)
                    kwargs = search_bench._fresh_kwargs(p.search_kwargs)
                    started = time.perf_counter()
                    backends[b].search(p.query_string, **kwargs)
                    times[b].engine_ms.append((time.perf_counter() - started) * 1000)
    finally:
        engine._backend = original
    return times


def make_prepared(search_bench, queries: int, seed: int) -> list:
    """`queries` queries made as bench/search.py makes them, the kinds taking turns."""
    per_kind = math.ceil(queries / len(search_bench.KINDS))
    generated = search_bench.make_queries(per_kind, seed)
    by_kind = [[q for q in generated if q.kind == kind] for kind in search_bench.KINDS]
    interleaved = [q for group in zip(*by_kind, strict=False) for q in group][:queries]
    return [search_bench.prepare(q) for q in interleaved]


def open_backend(path: Path):
    """The archive backend on the index at path."""
    from haystack import connections

    from archive.search.whoosh_backend import ArchiveWhooshSearchBackend

    options = dict(connections.connections_info["default"], PATH=str(path))
    backend = ArchiveWhooshSearchBackend("default", **options)
    backend.setup()
    return backend


def optimise_and_compare(search_bench, backend, scratch: Path, queries, repeats, seed):
    """Query latency on the archive-built index and on an optimized copy of it, interleaved."""
    from whoosh import index as whoosh_index

    optimized = scratch / "optimized"
    shutil.copytree(backend.path, optimized)
    print("Optimizing a copy of the archive's index (merging it into one segment) …", flush=True)
    started = time.perf_counter()
    whoosh_index.open_dir(str(optimized)).optimize()
    optimise_s = time.perf_counter() - started
    prepared = make_prepared(search_bench, queries, seed)
    print(f"  {optimise_s:.1f} s; timing {len(prepared)} queries on both …", flush=True)
    before, after = time_queries(
        search_bench,
        prepared,
        [backend, open_backend(optimized)],
        ["as built", "after optimize"],
        repeats,
    )
    return before, after, optimise_s, len(prepared)


def profile_archive_writer(scratch: Path, n: int, chunk: int, top: int = 15) -> str:
    """cProfile of the archive backend's update() over the first n articles, into a fresh index.

    Only this process is profiled: from PARALLEL_BATCH documents on, the
    analysing and writing of postings happen in Whoosh's sub-processes, and
    appear here as the time the main process waits for them.
    """
    from haystack import connections

    from archive.models import Article
    from archive.search.whoosh_backend import ArchiveWhooshSearchBackend

    options = dict(connections.connections_info["default"], PATH=str(scratch / "profile"))
    backend = ArchiveWhooshSearchBackend("default", **options)
    backend.setup()
    index = connections["default"].get_unified_index().get_index(Article)
    profiler = cProfile.Profile()
    written = 0
    started = time.perf_counter()
    for articles in article_chunks(n, chunk):
        profiler.runcall(backend.update, index, articles)
        written += len(articles)
    seconds = time.perf_counter() - started
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    out.write(f"archive writer, {written:,} articles in chunks of {chunk:,} ({seconds:.1f} s)\n")
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    site_packages = str(Path(sys.modules["whoosh"].__file__).parents[1])
    return out.getvalue().replace(site_packages + "/", "").replace(str(ROOT) + "/", "")


# Report ----------------------------------------------------------------------


def rate(docs: int, seconds: float) -> str:
    return f"{docs / seconds:,.0f}" if seconds else "–"


def percentile(values, pct):
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[pct - 1]


def build_table(times: BuildTimes, chunk: int, indexes: dict, rebuild: RebuildRun | None) -> str:
    n = times.articles
    rows = [
        (
            "archive: backend `update()` (full_prepare included)",
            n,
            times.seconds["archive"],
            "archive",
        ),
        ("raw Whoosh, single process, one commit per chunk", n, times.seconds["raw"], "raw"),
        (
            "raw Whoosh, with preparing the documents (timed apart)",
            n,
            times.seconds["raw"] + times.prepare_s,
            "raw",
        ),
        (
            f"stock haystack (`update()` per {STOCK_BATCH:,}, full_prepare included)",
            times.stock_articles,
            times.seconds["stock"],
            "stock",
        ),
    ]
    if "raw_fixed" in indexes:
        rows.insert(
            3,
            (
                "raw Whoosh with the archive's Whoosh fixes and writer memory, with preparing",
                n,
                times.seconds["raw_fixed"] + times.prepare_s,
                "raw_fixed",
            ),
        )
    if times.stock_articles < n:
        rows.append(
            (
                f"archive on the same first {times.stock_articles:,} articles",
                times.stock_articles,
                times.archive_on_stock_s,
                None,
            )
        )
    head = "| writer | articles | seconds | docs/s | segments | index MiB |"
    lines = [head, "|---|---:|---:|---:|---:|---:|"]
    for label, docs, seconds, index_name in rows:
        segments, size = ("", "")
        if index_name:
            segments = str(indexes[index_name][0])
            size = f"{indexes[index_name][2]:,.0f}"
        lines.append(
            f"| {label} | {docs:,} | {seconds:.1f} | {rate(docs, seconds)} | {segments} | {size} |"
        )
    if rebuild:
        lines.append(
            f"| `manage.py rebuild_index --noinput` (subprocess, end to end) | "
            f"{rebuild.documents:,} | {rebuild.seconds:.1f} | "
            f"{rate(rebuild.documents, rebuild.seconds)} | {rebuild.segments} | |"
        )
    return "\n".join(lines)


def ratios(times: BuildTimes) -> str:
    n = times.articles
    archive_rate = n / times.seconds["archive"]
    raw_rate = n / times.seconds["raw"]
    raw_prep_rate = n / (times.seconds["raw"] + times.prepare_s)
    parts = []
    if times.stock_articles:
        stock_rate = times.stock_articles / times.seconds["stock"]
        same = times.stock_articles / times.archive_on_stock_s
        speedup = same / stock_rate
        met = "met" if speedup >= TARGET_ARCHIVE_OVER_STOCK else "NOT met"
        scope = (
            "on the same articles"
            if times.stock_articles == n
            else f"on the first {times.stock_articles:,} articles, which stock also wrote"
        )
        parts.append(
            f"archive / stock haystack: {speedup:.2f}× the docs/s {scope} "
            f"(target ≥ {TARGET_ARCHIVE_OVER_STOCK}×: {met})"
        )
        if times.stock_articles < n:
            parts.append(
                f"archive over all {n:,} / stock over its {times.stock_articles:,}: "
                f"{archive_rate / stock_rate:.2f}×"
            )
    if times.seconds["raw_fixed"]:
        fixed_rate = n / (times.seconds["raw_fixed"] + times.prepare_s)
        parts.append(
            f"archive / raw Whoosh with the archive's fixes: {archive_rate / fixed_rate:.2f}× "
            "(both counting document preparation)"
        )
    parts.append(
        f"archive / raw Whoosh: {archive_rate / raw_rate:.2f}× "
        f"({archive_rate / raw_prep_rate:.2f}× counting raw's document preparation)"
    )
    return "; ".join(parts) + "."


def query_rows(times: list[QueryTimes]) -> str:
    lines = [
        "| index | segments | first pass s | search page p50 / p95 ms | engine p50 / p95 ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for q in times:
        lines.append(
            f"| {q.label} | {q.segments} | {q.first_pass_s:.2f} | "
            f"{percentile(q.page_ms, 50):.1f} / {percentile(q.page_ms, 95):.1f} | "
            f"{percentile(q.engine_ms, 50):.1f} / {percentile(q.engine_ms, 95):.1f} |"
        )
    return "\n".join(lines)


def query_table(before: QueryTimes, after: QueryTimes, optimise_s: float, queries: int) -> str:
    return (
        query_rows([before, after])
        + f"\n\n`ix.optimize()` took {optimise_s:.1f} s ({queries} queries)."
    )


def code_state() -> str:
    def git(*args):
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.rstrip("\n") if done.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    dirty = git("status", "--porcelain", "--", "archive/search")
    if dirty:
        changed = ", ".join(line[3:] for line in dirty.splitlines())
        return f"commit {head} with uncommitted changes to {changed}"
    return f"commit {head}"


def shipped_note() -> str:
    patched = patched_by_archive()
    if not patched:
        return ""
    names = ", ".join(f"`{name}`" for name in patched)
    return (
        f" The archive backend replaces {names} to fix Whoosh; raw Whoosh and stock haystack "
        "write with Whoosh as shipped (the fix undone while they write)."
    )


def section(n, command, machine, chunk, times, body) -> str:
    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    stock_note = (
        ""
        if times.stock_articles == times.articles
        else f" (stock haystack on the first {times.stock_articles:,} only)"
    )
    return "\n".join(
        [
            f"### {n:,} articles",
            "",
            f"`{command}` — {when}",
            "",
            f"Machine: {machine}. Code: {code_state()}.{shipped_note()}",
            "",
            f"- {times.articles:,} articles in {times.chunks} chunks of {chunk:,}{stock_note}, "
            "writers in a rotating order per chunk; preparing the documents for raw Whoosh "
            f"(full_prepare, timed apart): {times.prepare_s:.1f} s",
            "",
            body,
            "",
        ]
    )


DOCS_INTRO = """\
## Index build

Measured by `bench/indexing.py` (see bench/README.md) on the articles that
`bench/search.py` imported (the first N importable Reuters articles). The
same article objects, fetched chunk by chunk with `ArticleIndex.index_queryset()`
outside the timed region, go to three writers, each into a fresh index, in a
rotating order per chunk:

- **archive**: the archive backend's `update(index, chunk)`, what
  `rebuild_index` and `update_index` call: `full_prepare` for each article,
  one shared searcher to delete the chunk's old entries, and from 2,000
  documents on Whoosh's multiprocessing writer (one process per core, one
  segment each);
- **raw Whoosh**: one plain `ix.writer()` per chunk on an index with the
  archive backend's schema, `add_document` for each document, one commit; the
  documents come from the same `full_prepare`, timed apart;
- **stock haystack**: haystack's `WhooshSearchBackend` (its own schema) called
  with 1,000 articles at a time, as stock `update_index` does; it calls
  Whoosh's `update_document` for each article.

`rebuild_index` is also timed end to end in a subprocess, and the queries of
`bench/search.py` (term, phrase, filtered, faceted) are timed on the
archive-built index before and after `ix.optimize()`.

Target: archive ≥ 1.6× the docs/s of the stock rebuild.
"""


def write_docs(n: int, text: str) -> None:
    """Put the section for `n` articles under "## Index build", keeping everything else."""
    content = DOCS.read_text()
    if "\n## Index build\n" not in "\n" + content:
        # After "Search latency", whose last item already discusses index building.
        anchor = content.find("\n## ", content.find("## Search latency") + 1)
        if anchor < 0:
            content = content.rstrip("\n") + "\n\n" + DOCS_INTRO
        else:
            content = content[: anchor + 1] + DOCS_INTRO + "\n" + content[anchor + 1 :]
    start = content.index("## Index build")
    next_section = content.find("\n## ", start + 1)
    end = len(content) if next_section < 0 else next_section + 1
    pieces = re.split(r"(?m)^(?=### )", content[start:end])
    heading = f"### {n:,} articles"
    intro = pieces[0]
    subsections = [p for p in pieces[1:] if not p.startswith(heading + "\n")]
    subsections.append(text.rstrip("\n") + "\n\n")

    def order(piece):
        match = re.match(r"### ([\d,]+) articles", piece)
        return (0, int(match.group(1).replace(",", ""))) if match else (1, 0)

    subsections.sort(key=order)
    part = intro.rstrip("\n") + "\n\n" + "".join(subsections)
    DOCS.write_text(content[:start] + part.rstrip("\n") + "\n" + content[end:])
    print(f"Wrote the {n:,}-article results to {DOCS.relative_to(ROOT)}")


# Main ------------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000, help="the first N published")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="the archive to read (default var/bench/search-10000 for N ≤ 10,000, "
        "else var/bench/search-100000)",
    )
    parser.add_argument(
        "--scratch-dir", type=Path, help="where the indexes go (default var/bench/indexing-N)"
    )
    parser.add_argument("--chunk", type=int, help="articles per update (default: the backend's)")
    parser.add_argument(
        "--stock-articles", type=int, help="stock haystack writes only the first M (default N)"
    )
    parser.add_argument("--stock-batch", type=int, default=STOCK_BATCH, help=argparse.SUPPRESS)
    parser.add_argument("--queries", type=int, default=50, help="queries timed around optimize")
    parser.add_argument("--query-repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2014)
    parser.add_argument(
        "--raw-fixed",
        action="store_true",
        help="a fourth writer: raw Whoosh with the archive backend's Whoosh fixes and memory",
    )
    parser.add_argument(
        "--optimize-copy-of",
        type=Path,
        metavar="INDEX_DIR",
        help="no builds: time the queries before and after optimize on a copy of this index",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        nargs=2,
        metavar="INDEX_DIR",
        help="no builds: time the queries on copies of two indexes, interleaved",
    )
    parser.add_argument(
        "--no-rebuild-command", action="store_true", help="skip the end-to-end rebuild_index"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also cProfile the archive writer (a fourth build)"
    )
    parser.add_argument("--profile-articles", type=int, help="articles for --profile (default N)")
    parser.add_argument(
        "--smoke", action="store_true", help="a tiny run on made-up articles in a temporary dir"
    )
    parser.add_argument(
        "--write-docs", action="store_true", help="put the results in docs/performance.md"
    )
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    temporary = None
    if args.smoke:
        temporary = Path(tempfile.mkdtemp(prefix="bench-indexing-"))
        args.articles = 50
        args.chunk = args.chunk or 20
        args.queries = min(args.queries, 8)
        args.query_repeats = 1
        args.stock_batch = 15
        data_dir = temporary / "archive"
        data_dir.mkdir()
        scratch = temporary / "indexes"
    else:
        default = "search-10000" if args.articles <= 10_000 else "search-100000"
        data_dir = (args.data_dir or ROOT / "var" / "bench" / default).resolve()
        scratch = args.scratch_dir or ROOT / "var" / "bench" / f"indexing-{args.articles}"
        scratch = scratch.resolve()
        if not (data_dir / "archive.sqlite3").exists():
            sys.exit(f"No archive in {data_dir}; import one with bench/search.py first.")
    if (
        scratch == data_dir
        or scratch in data_dir.parents
        or data_dir / "whoosh_index"
        in (
            scratch,
            *scratch.parents,
        )
    ):
        sys.exit("The scratch directory must be apart from the archive and its own index.")
    prepare_scratch(scratch)
    prepare_environment(data_dir, scratch)

    remember_shipped_whoosh()
    import django

    django.setup()
    from django.conf import settings

    assert Path(settings.HAYSTACK_CONNECTIONS["default"]["PATH"]) == scratch / "archive"
    try:
        if args.smoke:
            make_smoke_archive(data_dir, args.articles)
        else:
            migrate_if_needed()
        return run(args, data_dir, scratch, argv)
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)


def compare_indexes(args, search_bench, scratch: Path) -> int:
    """No builds: the queries on copies of two indexes of the same articles, interleaved."""
    backends, labels = [], []
    for number, source in enumerate(args.compare):
        source = source.resolve()
        target = scratch / ("archive" if number == 0 else f"index-{number}")
        print(f"Copying {source} …", flush=True)
        shutil.copytree(source, target)
        backends.append(open_backend(target))
        labels.append(f"{source} ({backends[-1].index.doc_count():,} docs)")
    prepared = make_prepared(search_bench, args.queries, args.seed)
    times = time_queries(search_bench, prepared, backends, labels, args.query_repeats)
    print()
    print(f"{len(prepared)} queries, interleaved; first pass cold, then {args.query_repeats}:")
    print()
    print(query_rows(times))
    return 0


def optimize_copy(args, search_bench, scratch: Path) -> int:
    """No builds: the queries before and after optimize, on a copy of an index built earlier."""
    source = args.optimize_copy_of.resolve()
    print(f"Copying {source} …", flush=True)
    shutil.copytree(source, scratch / "archive")
    backend = open_backend(scratch / "archive")
    before, after, optimise_s, queries = optimise_and_compare(
        search_bench, backend, scratch, args.queries, args.query_repeats, args.seed
    )
    print()
    print(f"Queries on a copy of {source} ({backend.index.doc_count():,} documents):")
    print()
    print(query_table(before, after, optimise_s, queries))
    if args.profile:
        chunk = args.chunk or backend.batch_size
        print(profile_archive_writer(scratch, args.profile_articles or args.articles, chunk))
    return 0


def run(args, data_dir: Path, scratch: Path, argv) -> int:
    from archive.models import Article

    search_bench = _load_search_bench()
    n = args.articles
    available = Article.objects.published().count()
    if available < n:
        print(f"(the archive in {data_dir} has only {available:,} published articles)")
        n = available
    if args.optimize_copy_of:
        return optimize_copy(args, search_bench, scratch)
    if args.compare:
        return compare_indexes(args, search_bench, scratch)
    writers = Writers(scratch, args.stock_batch, args.raw_fixed)
    chunk = args.chunk or writers.archive.batch_size
    stock_limit = n if args.stock_articles is None else min(n, args.stock_articles)
    print(
        f"Indexing {n:,} articles from {data_dir} in chunks of {chunk:,} "
        f"(stock haystack: the first {stock_limit:,}) …",
        flush=True,
    )
    times = build_side_by_side(writers, n, chunk, stock_limit)
    indexes = {}
    for name in writers.names:
        segments, documents = segment_count(writers.paths[name])
        indexes[name] = (segments, documents, directory_mib(writers.paths[name]))
    expected = {"archive": n, "raw": n, "raw_fixed": n, "stock": times.stock_articles}
    for name, (_segments, documents, _size) in indexes.items():
        if documents != expected[name]:
            sys.exit(f"The {name} index holds {documents:,} documents, not {expected[name]:,}.")

    # Printed at once: the side-by-side figures survive if a later step is stopped.
    print(build_table(times, chunk, indexes, None), ratios(times), sep="\n\n", flush=True)
    rebuild = None if args.no_rebuild_command else time_rebuild_command(data_dir, scratch)
    before, after, optimise_s, queries = optimise_and_compare(
        search_bench, writers.archive, scratch, args.queries, args.query_repeats, args.seed
    )
    body = "\n\n".join(
        [
            build_table(times, chunk, indexes, rebuild),
            ratios(times),
            "Query latency on the archive-built index and on an optimized copy, each query "
            "on both in turn (first pass: every query once, cold; "
            f"then {args.query_repeats} timed passes):",
            query_table(before, after, optimise_s, queries),
        ]
    )
    command = "python bench/indexing.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = section(n, command.strip(), search_bench.machine(), chunk, times, body)
    print()
    print(text)
    if args.write_docs and not args.smoke:
        write_docs(n, text)
    if args.profile:
        print(profile_archive_writer(scratch, args.profile_articles or n, chunk))
    return 0


if __name__ == "__main__":
    sys.exit(main())
