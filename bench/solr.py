#!/usr/bin/env python
"""The same archive on Whoosh and on the local SolrCloud: index build time, search latency
side by side, and the Solr JVM's memory.

    .venv/bin/python bench/solr.py --articles 10000 [--queries-per-kind 30] [--reuse]

Needs `make solr` running (its state file, var/solr/cluster.json or SOLR_STATE,
names the nodes). In one run it
1. builds (or with --reuse, reuses) bench/search.py's scratch archive of the first
   N articles of the Reuters financial corpus, with its Whoosh index;
2. rebuilds the SolrCloud collection from that database with `rebuild_index`
   (the archive's Solr backend, every node named), timed;
3. derives bench/search.py's term, phrase, filtered and faceted queries;
4. times `run_search(SearchParams(q=…))`, the whole search path, on each engine,
   interleaved query by query in a rotating order after a warm-up pass;
5. prints p50/p95 per kind and engine, the hit counts' agreement, and the Solr
   JVM's resident memory and index size on disk.
"""

import argparse
import gc
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import search as search_bench  # noqa: E402  (bench/search.py)

ROOT = search_bench.ROOT
STATE = Path(os.environ.get("SOLR_STATE") or ROOT / "var" / "solr" / "cluster.json").resolve()
ENGINES = ("whoosh", "solr")


def solr_state() -> dict:
    if not STATE.exists():
        sys.exit(f"No {STATE}: start the SolrCloud with `make solr` first.")
    return json.loads(STATE.read_text())


def engines(search_url: str) -> dict:
    """A haystack engine object for each engine, to swap in as the default connection."""
    import haystack

    from archive.search.engines import haystack_connection

    whoosh = haystack.connections["default"]
    info = haystack.connections.connections_info
    info["solr"] = haystack_connection(search_url, ROOT)
    solr = haystack.connections["solr"]
    return {"whoosh": whoosh, "solr": solr}


def use(engine) -> None:
    import haystack

    haystack.connections.thread_local.connections["default"] = engine


def rebuild_solr(engine) -> tuple[float, int]:
    from django.core.management import call_command
    from haystack.query import SearchQuerySet

    from archive.models import Article

    use(engine)
    started = time.perf_counter()
    call_command("rebuild_index", interactive=False, verbosity=0)
    took = time.perf_counter() - started
    return took, SearchQuerySet().models(Article).count()


def measure(engine_objects, queries, args):
    from archive.search.results import run_search

    times, hits, answers = defaultdict(list), defaultdict(list), defaultdict(dict)
    for _ in range(args.warmup):
        for query in queries:
            for name in ENGINES:
                use(engine_objects[name])
                run_search(query.params())
    rotation = 0
    for repeat in range(args.repeats):
        gc.collect()
        for query in queries:
            order = ENGINES[rotation % 2 :] + ENGINES[: rotation % 2]
            rotation += 1
            for name in order:
                use(engine_objects[name])
                started = time.perf_counter()
                outcome = run_search(query.params())
                times[query.kind, name].append((time.perf_counter() - started) * 1000)
                if repeat == 0:
                    hits[query.kind, name].append(outcome.count)
                    answers[query.label()][name] = (outcome.count, outcome.notes)
    return times, hits, answers


def disagreements(answers) -> list[str]:
    """A line for each query the two engines found a different number of articles for, with
    what each said of its answer (a time limit reached, a query trimmed)."""
    lines = []
    for label, by_engine in answers.items():
        counts = {name: by_engine[name][0] for name in ENGINES}
        if len(set(counts.values())) > 1:
            said = "; ".join(f"{name}: {' '.join(by_engine[name][1])}" for name in ENGINES)
            lines.append(f"- counts differ for {label}: {counts} ({said})")
    return lines


def measure_related(engine_objects, articles, args):
    """The related-documents list of each article worked out (more-like-this, then shared
    entities) and stored, as sync_index does it, timed on each engine, interleaved; and how
    many of the related articles both agree on."""
    from archive.models import RelatedList
    from archive.related import related_documents

    def worked_out(article):
        """The list worked out as sync_index does it (a stored one would only be read)."""
        RelatedList.objects.filter(article=article).delete()
        started = time.perf_counter()
        related = related_documents(article)
        return related, (time.perf_counter() - started) * 1000

    times, agreed, shown = defaultdict(list), 0, 0
    for _ in range(args.warmup):
        for article in articles:
            for name in ENGINES:
                use(engine_objects[name])
                worked_out(article)
    for repeat in range(args.repeats):
        for i, article in enumerate(articles):
            found = {}
            for name in ENGINES[i % 2 :] + ENGINES[: i % 2]:
                use(engine_objects[name])
                related, took = worked_out(article)
                found[name] = {r.article.pk for r in related}
                times[name].append(took)
            if repeat == 0:
                agreed += len(found["whoosh"] & found["solr"])
                shown += len(found["whoosh"])
    return times, agreed, shown


def table(times, hits) -> str:
    head = ["kind", "Whoosh p50 / p95 ms", "SolrCloud p50 / p95 ms", "Solr / Whoosh p95"]
    head += ["mean hits Whoosh / Solr", "queries with equal counts"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for kind in (*search_bench.KINDS, "all"):
        kinds = search_bench.KINDS if kind == "all" else (kind,)

        def pick(name, source, kinds=kinds):
            return [v for k in kinds for v in source[k, name]]

        if not pick("whoosh", times):
            continue
        p = {
            n: (
                search_bench.percentile(pick(n, times), 50),
                search_bench.percentile(pick(n, times), 95),
            )
            for n in ENGINES
        }
        equal = sum(a == b for a, b in zip(pick("whoosh", hits), pick("solr", hits), strict=True))
        row = [f"**{kind}**" if kind == "all" else kind]
        row += [f"{p[n][0]:.1f} / {p[n][1]:.1f}" for n in ENGINES]
        row.append(f"{p['solr'][1] / p['whoosh'][1]:.2f}×")
        row.append(" / ".join(f"{statistics.mean(pick(n, hits)):,.0f}" for n in ENGINES))
        row.append(f"{equal} of {len(pick('whoosh', hits))}")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def solr_memory(pid: int) -> str:
    status = Path(f"/proc/{pid}/status").read_text()
    rss = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
    return f"{int(rss) / 1024:,.0f} MB resident"


def index_size() -> str:
    total = sum(
        path.stat().st_size
        for path in (STATE.parent / "cluster").rglob("*")
        if path.is_file() and "/data/index" in str(path)
    )
    return f"{total / 2**20:,.0f} MB"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--data-dir", type=Path, help="scratch dir (default var/bench/search-N)")
    parser.add_argument("--queries-per-kind", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--seed", type=int, default=2014)
    parser.add_argument("--reuse", action="store_true", help="reuse bench/search.py's build")
    parser.add_argument(
        "--related", type=int, default=0, help="also time the related documents of N articles"
    )
    parser.add_argument("--corpus", type=Path, default=search_bench.CORPUS_DIR)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    state = solr_state()
    n = args.articles
    data_dir = (args.data_dir or ROOT / "var" / "bench" / f"search-{n}").resolve()
    search_bench.prepare_environment(data_dir, args.reuse)

    import django

    django.setup()

    built = search_bench.build(n, data_dir, args.corpus, args.reuse)
    print("\n".join(built.lines()))
    engine_objects = engines(state["search_url"])
    print(f"Rebuilding the SolrCloud collection ({state['search_url']}) …", flush=True)
    took, count = rebuild_solr(engine_objects["solr"])
    print(f"- `rebuild_index` into SolrCloud: {took:.1f} s, {count:,} articles indexed")
    print(f"- Solr JVM after indexing: {solr_memory(state['pid'])}; index on disk {index_size()}")
    use(engine_objects["whoosh"])
    queries = search_bench.make_queries(args.queries_per_kind, args.seed)
    times, hits, answers = measure(engine_objects, queries, args)
    print(table(times, hits))
    print("\n".join(disagreements(answers)))
    if args.related:
        from archive.models import Article

        pks = list(Article.objects.published().order_by("pk").values_list("pk", flat=True))
        step = max(1, len(pks) // args.related)
        articles = list(Article.objects.filter(pk__in=pks[::step][: args.related]))
        related, agreed, shown = measure_related(engine_objects, articles, args)
        for name in ENGINES:
            p50 = search_bench.percentile(related[name], 50)
            p95 = search_bench.percentile(related[name], 95)
            print(
                f"- related documents of {len(articles)} articles, {name}: {p50:.1f} / {p95:.1f} ms"
            )
        print(f"- related articles found by both engines: {agreed} of Whoosh's {shown}")
    print(f"- Solr JVM after searching: {solr_memory(state['pid'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
