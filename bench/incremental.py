#!/usr/bin/env python
"""Incremental indexing: how long one editor's save takes to reach the search index.

    .venv/bin/python bench/incremental.py [--source var/bench/search-100000] [--saves 60]

In one run it
1. copies a benchmark data directory (database and Whoosh index, as
   bench/search.py leaves them) to a scratch directory, so the original stays
   untouched (`--reuse` keeps an earlier copy);
2. edits random published articles one at a time, as the admin's save does
   (`archive.articles.save_article()`: in one transaction the row and its
   history, entity tags, quotes, the index queue; after the commit the index
   update), and times
     save     the whole save, commit and index update included
     index    the index update alone (`index_articles([pk])`, what runs after
              the commit)
     raw      a raw Whoosh `update_document` of the same document on a copy
              of the same index (a fresh writer and commit each time, Whoosh's
              default merge policy; a copy, so its merges do not slow the others)
   interleaved save by save in a rotating order;
3. checks that every edit is found by a search right after its save;
4. prints p50/p95/max per variant and the segment count before and after.
"""

import argparse
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = ".bench-incremental"  # a scratch directory this script made and may empty
RAW_INDEX = "whoosh_index_raw"  # the copy raw Whoosh writes to


def copy_data_dir(source: Path, target: Path, reuse: bool) -> None:
    if reuse and (target / MARKER).exists():
        return
    if target.exists():
        if not (target / MARKER).exists():
            sys.exit(f"{target} exists and was not made by this script; refusing to empty it")
        shutil.rmtree(target)
    target.mkdir(parents=True)
    (target / MARKER).touch()
    # SQLite's backup API copies a consistent database even with a WAL beside it.
    with (
        sqlite3.connect(source / "archive.sqlite3") as src,
        sqlite3.connect(target / "archive.sqlite3") as dst,
    ):
        src.backup(dst)
    shutil.copytree(source / "whoosh_index", target / "whoosh_index")
    shutil.copytree(source / "whoosh_index", target / RAW_INDEX)
    if (source / "secret_key").exists():
        shutil.copy(source / "secret_key", target / "secret_key")


def make_smoke_data_dir(target: Path) -> None:
    """The seed articles and entities in a fresh data directory, indexed."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("loaddata", "fixtures/seed_articles.json", "fixtures/entities.json", verbosity=0)
    call_command("rebuild_index", interactive=False, verbosity=0)
    shutil.copytree(target / "whoosh_index", target / RAW_INDEX)


def segment_count(ix) -> int:
    with ix.reader() as reader:
        return len(list(reader.leaf_readers()))


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def run(saves: int, seed: int) -> dict:
    from haystack import connections
    from haystack.query import SearchQuerySet
    from whoosh import index as whoosh_index

    from archive.articles import save_article
    from archive.models import Article
    from archive.search.indexing import index_articles

    backend = connections["default"].get_backend()
    unified = connections["default"].get_unified_index()
    article_index = unified.get_index(Article)
    ids = list(Article.objects.published().values_list("pk", flat=True))
    rng = random.Random(seed)
    chosen = [rng.choice(ids) for _ in range(saves)]
    segments_before = segment_count(whoosh_index.open_dir(backend.path))
    ix = whoosh_index.open_dir(Path(backend.path).parent / RAW_INDEX)

    def save(pk, marker):
        article = Article.objects.get(pk=pk)
        paragraphs = [p for p in article.paragraphs if not p.startswith("Edited in benchmark")]
        article.body = "\n\n".join([*paragraphs, f"Edited in benchmark {marker}."])
        save_article(article)

    def index_only(pk, marker):
        index_articles([pk])

    def raw(pk, marker):
        article = article_index.index_queryset().get(pk=pk)
        document = article_index.full_prepare(article)
        document.pop("boost", None)
        fields = {key: backend._from_python(value) for key, value in document.items()}
        writer = ix.writer(timeout=10)
        writer.update_document(**fields)
        writer.commit()

    variants = {"save": save, "index": index_only, "raw": raw}
    timings = {name: [] for name in variants}
    missing = 0
    for number, pk in enumerate(chosen):
        marker = f"zq{number}x{seed}"
        order = list(variants)
        order = order[number % len(order) :] + order[: number % len(order)]
        for name in order:
            started = time.perf_counter()
            variants[name](pk, marker)
            timings[name].append(time.perf_counter() - started)
        if not SearchQuerySet().models(Article).filter(content=marker).count():
            missing += 1
    return {
        "timings": timings,
        "missing": missing,
        "articles": len(ids),
        "segments": (segments_before, segment_count(whoosh_index.open_dir(backend.path))),
    }


def report(result: dict, command: str) -> str:
    import django
    import whoosh

    lines = [
        f"`{command}` — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        f"Machine: {os.cpu_count()} CPU(s), Python {platform.python_version()}, "
        f"Django {django.get_version()}, Whoosh {whoosh.versionstring()}.",
        "",
        f"- {result['articles']:,} published articles; {len(result['timings']['save'])} saves",
        f"- edits not found by a search right after their save: {result['missing']}",
        f"- index segments before / after: {result['segments'][0]} / {result['segments'][1]}",
        "",
        "| variant | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|",
    ]
    labels = {
        "save": "admin save, commit and index update",
        "index": "index update alone (archive backend)",
        "raw": "raw Whoosh update_document + commit",
    }
    for name, values in result["timings"].items():
        ms = [v * 1000 for v in values]
        lines.append(
            f"| {labels[name]} | {statistics.median(ms):.0f} | "
            f"{percentile(ms, 0.95):.0f} | {max(ms):.0f} |"
        )
    p50 = {n: statistics.median(v) for n, v in result["timings"].items()}
    lines += ["", f"index update / raw Whoosh at p50: {p50['index'] / p50['raw']:.2f}×"]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=ROOT / "var/bench/search-100000")
    parser.add_argument("--data-dir", type=Path, help="scratch copy (default var/bench/incr-N)")
    parser.add_argument("--saves", type=int, default=60)
    parser.add_argument("--seed", type=int, default=2014)
    parser.add_argument("--reuse", action="store_true", help="keep an earlier scratch copy")
    parser.add_argument("--smoke", action="store_true", help="tiny run on the seed articles")
    args = parser.parse_args(argv)

    if args.smoke:
        data_dir = Path(tempfile.mkdtemp(prefix="bench-incremental-"))
    else:
        source = args.source.resolve()
        data_dir = (args.data_dir or ROOT / "var/bench" / f"incremental-{source.name}").resolve()
        copy_data_dir(source, data_dir, args.reuse)
    os.environ["ARCHIVE_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("SEARCH_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    import django

    django.setup()
    try:
        if args.smoke:
            make_smoke_data_dir(data_dir)
        else:
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
        result = run(3 if args.smoke else args.saves, args.seed)
        print(report(result, "python bench/incremental.py " + " ".join(argv or sys.argv[1:])))
        return 1 if result["missing"] else 0
    finally:
        if args.smoke:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
