#!/usr/bin/env python
"""Related articles on the BBC corpus: how often they share the article's category, and how fast.

    .venv/bin/python bench/related.py [--sample 500] [--reuse]

In one run it
1. points ARCHIVE_DATA_DIR at a scratch directory (default var/bench/related),
   migrates, loads the entity vocabulary and imports the BBC corpus (read in
   place from ../shared/corpus/bbc, records with `duplicate_of` skipped) with
   the archive's importer, which tags and indexes it;
2. for every article (or a seeded sample) calls
   `related_documents(article, limit=5)` and counts how many of the related
   articles have the article's BBC category (business, entertainment,
   politics, sport, tech), timing each call;
3. does the same with the entity signal switched off ("wording only"), so the
   part the entities play is visible;
4. prints a Markdown table.

The category is the benchmark's answer key only: it is kept in a side table
keyed by the record id (the article's external_id), never imported.
"""

import argparse
import gzip
import json
import os
import random
import shutil
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "bbc" / "bbc.jsonl.gz"
ENTITIES_FIXTURE = ROOT / "fixtures" / "entities.json"
MARKER = ".made-by-bench-related"
LIMIT = 5
TARGET_SAME_CATEGORY = 0.8

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sample", type=int, default=0, help="articles to ask about (default: all of them)"
    )
    parser.add_argument("--seed", type=int, default=1, help="for choosing the sample")
    parser.add_argument(
        "--data-dir", type=Path, help="scratch directory (default var/bench/related)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep the archive built by the previous run"
    )
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the BBC .jsonl.gz")
    args = parser.parse_args(argv)
    if args.sample < 0:
        parser.error("--sample must be 0 (all) or more")
    return args


def prepare_environment(data_dir: Path, reuse: bool) -> None:
    """Point the archive at the scratch directory; must run before django.setup()."""
    if data_dir.exists() and any(data_dir.iterdir()) and not (data_dir / MARKER).exists():
        sys.exit(f"{data_dir} is not empty and was not made by this benchmark; choose another.")
    if data_dir.exists() and not reuse:
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text("made by bench/related.py; deleted by its next run\n")
    for name in ("DATABASE_URL", "SEARCH_URL"):
        if os.environ.pop(name, None):
            print(f"(ignoring {name}: the benchmark uses its own scratch database and index)")
    os.environ["ARCHIVE_DATA_DIR"] = str(data_dir)
    os.environ["DEBUG"] = "0"  # DEBUG keeps every SQL query in memory
    os.environ["DJANGO_SETTINGS_MODULE"] = "archive.settings"


def read_corpus(corpus: Path) -> tuple[list[str], dict[str, str], int]:
    """The lines of the records that are not duplicates, their categories by id, duplicates."""
    if not corpus.exists():
        sys.exit(f"No corpus at {corpus}; see ../shared/corpus/README.md.")
    lines, categories, duplicates = [], {}, 0
    with gzip.open(corpus, "rt", encoding="utf-8") as stream:
        for line in stream:
            record = json.loads(line)
            if record.get("duplicate_of"):
                duplicates += 1
                continue
            categories[record["id"]] = record["category"]
            lines.append(line.rstrip("\n"))
    return lines, categories, duplicates


def build(data_dir: Path, lines: list[str], reuse: bool) -> None:
    from django.core.management import call_command

    from archive.ingest.importer import import_paths
    from archive.models import Article, Entity

    call_command("migrate", interactive=False, verbosity=0)
    if reuse and Article.objects.exists():
        print(f"Reusing {Article.objects.count():,} articles in {data_dir}")
        return
    if not Entity.objects.exists():
        # Before the import, so the articles are tagged as they arrive.
        call_command("loaddata", str(ENTITIES_FIXTURE), verbosity=0)
    import_dir = data_dir / "import"
    import_dir.mkdir(parents=True, exist_ok=True)
    import_file = import_dir / "bbc.jsonl.gz"
    with gzip.open(import_file, "wt", encoding="utf-8", compresslevel=1) as out:
        out.write("\n".join(lines) + "\n")
    print(f"Importing {len(lines):,} BBC articles (tagged and indexed by the importer) …")
    started = time.perf_counter()
    report = import_paths([import_file])
    shutil.rmtree(import_dir)  # the copy of the corpus goes at once
    if report.failed:
        sys.exit("Import failed: " + "; ".join(f.error or f.index_problem for f in report.failed))
    print(f"  {report.summary} in {time.perf_counter() - started:.1f} s", flush=True)


@contextmanager
def wording_only():
    with (
        mock.patch("archive.related.ENTITY_WEIGHT", 0.0),
        mock.patch("archive.related.LEAD_WEIGHT", 0.0),
    ):
        yield


def measure(articles, categories: dict[str, str]) -> dict:
    from archive.related import SIMILAR_WORDING, related_documents

    times, same, returned, by_entities = [], 0, 0, 0
    for article in articles:
        started = time.perf_counter()
        related = related_documents(article, limit=LIMIT)
        times.append((time.perf_counter() - started) * 1000)
        category = categories.get(article.external_id)
        returned += len(related)
        same += sum(categories.get(r.article.external_id) == category for r in related)
        by_entities += sum(r.reason != SIMILAR_WORDING for r in related)
    times.sort()
    return {
        "articles": len(articles),
        "per_article": returned / max(len(articles), 1),
        "same": same / max(returned, 1),
        "by_entities": by_entities / max(returned, 1),
        "p50": statistics.median(times) if times else 0.0,
        "p95": times[min(len(times) - 1, int(0.95 * len(times)))] if times else 0.0,
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    data_dir = (args.data_dir or ROOT / "var" / "bench" / "related").resolve()
    prepare_environment(data_dir, args.reuse)
    import django

    django.setup()
    from django.db.models import Count

    from archive.models import Article, Mention

    lines, categories, duplicates = read_corpus(args.corpus)
    build(data_dir, lines, args.reuse)

    articles = list(Article.objects.published().order_by("pk"))
    if args.sample and args.sample < len(articles):
        articles = random.Random(args.seed).sample(articles, args.sample)
    tagged = Mention.objects.filter(rejected=False).aggregate(
        articles=Count("article", distinct=True)
    )["articles"]
    print(
        f"{Article.objects.published().count():,} published articles "
        f"({duplicates} duplicates skipped), {tagged:,} with at least one entity; "
        f"asking about {len(articles):,}.",
        flush=True,
    )
    related_warm_up(articles[:5])
    results = {"combined": measure(articles, categories)}
    with wording_only():
        results["wording only (more-like-this)"] = measure(articles, categories)

    print()
    print(
        f"| variant | articles | related per article | same category "
        f"(target ≥ {TARGET_SAME_CATEGORY}) | with shared entities | p50 ms | p95 ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(
            f"| {name} | {r['articles']:,} | {r['per_article']:.2f} | {r['same']:.3f} "
            f"| {r['by_entities']:.3f} | {r['p50']:.1f} | {r['p95']:.1f} |"
        )
    return 0


def related_warm_up(articles) -> None:
    """Open the index's files and warm the database before timing."""
    from archive.related import related_documents

    for article in articles:
        related_documents(article, limit=LIMIT)


if __name__ == "__main__":
    sys.exit(main())
