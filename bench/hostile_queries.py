#!/usr/bin/env python
"""Hostile queries: what the cheap anonymous searches of issue 12 cost, on each search answer.

    .venv/bin/python bench/hostile_queries.py --corpus bbc            # build, then time
    .venv/bin/python bench/hostile_queries.py --corpus bbc --reuse    # time the same build again
    .venv/bin/python bench/hostile_queries.py --corpus reuters21578 --repeats 1

In one run it
1. points ARCHIVE_DATA_DIR at a scratch directory (default var/bench/hostile-<corpus>),
   migrates, loads the curated entities, imports the corpus's JSON Lines file
   (read in place from ../shared/corpus, refused records skipped) and rebuilds
   the search index;
2. asks every query below of the search page, the JSON API, the CSV export and
   the search feed through Django's test client in this process (the server's
   whole work for the request, no network), after one untimed warm-up request
   per answer, `--repeats` times, interleaved query by query;
3. prints a Markdown table: per query and answer, hits (from the JSON API),
   p50 and max milliseconds, and the first note the search gave.

Run it from another checkout (for example a `git worktree` of an older commit)
with `--data-dir` pointing at the same build to time that code on the same
archive: the script imports the archive of the checkout it lives in.
"""

import argparse
import datetime
import os
import platform
import shutil
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPORA = {
    "bbc": ROOT.parent / "shared" / "corpus" / "bbc" / "bbc.jsonl.gz",
    "reuters21578": ROOT.parent / "shared" / "corpus" / "reuters21578" / "reuters21578.jsonl.gz",
}
ENTITIES_FIXTURE = ROOT / "fixtures" / "entities.json"
MARKER = ".bench-hostile"  # a scratch directory this script made and may empty
ANSWERS = {
    "page": "/search/",
    "api": "/api/search",
    "csv": "/search/export.csv",
    "feed": "/feeds/search/",
}
TWO_LETTERS = [a + b for a in "abcdefghijklmnopqrstuvwxyz" for b in "abcdefghijklmnopqrstuvwxyz"]
COMMON_PREFIXES = (
    "co st re pr ma in de ex su tr ca pa se ha fo mo wo ch be ge".split()
)  # 20 two-letter beginnings of many English words
HOST = "127.0.0.1"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def prepare_environment(data_dir: Path, reuse: bool) -> None:
    """Point the archive at the scratch directory; must run before django.setup()."""
    if data_dir.exists() and any(data_dir.iterdir()) and not (data_dir / MARKER).exists():
        sys.exit(f"{data_dir} is not empty and was not made by this benchmark.")
    if data_dir.exists() and not reuse:
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text("made by bench/hostile_queries.py; deleted by its next run\n")
    for name in ("DATABASE_URL", "SEARCH_URL"):
        os.environ.pop(name, None)
    os.environ.update(
        ARCHIVE_DATA_DIR=str(data_dir),
        DEBUG="0",  # DEBUG keeps every SQL query in memory
        ALLOWED_HOSTS=HOST,
        DJANGO_SETTINGS_MODULE="archive.settings",
    )


def build(corpus: Path) -> None:
    from django.core.management import call_command

    from archive.models import Article

    call_command("migrate", interactive=False, verbosity=0)
    if Article.objects.exists():
        print(f"Reusing {Article.objects.count():,} articles")
        return
    call_command("loaddata", str(ENTITIES_FIXTURE), verbosity=0)
    started = time.perf_counter()
    call_command("import_articles", str(corpus), "--quiet", "--skip-invalid", "--defer-indexing")
    imported = time.perf_counter()
    call_command("rebuild_index", interactive=False, verbosity=0)
    print(
        f"Imported {Article.objects.count():,} articles in {imported - started:.0f} s, "
        f"indexed in {time.perf_counter() - imported:.0f} s"
    )


def hostile_queries() -> dict[str, dict]:
    """The queries of issue 12, with the archive's own source and commonest title words."""
    from archive.models import Article, Source

    source = Source.objects.order_by("-articles__id").values_list("slug", flat=True).first()
    titles = Counter(
        word.lower()
        for title in Article.objects.published().values_list("title", flat=True)
        for word in title.split()
        if word.isalpha() and len(word) > 3
    )
    common = [word for word, _ in titles.most_common(300)]
    return {
        "economy (a plain word)": {"q": "economy"},
        "-economy": {"q": "-economy"},
        "NOT election": {"q": "NOT election"},
        "to=9999-12-31": {"to": "9999-12-31"},
        "from=2004": {"from": "2004"},
        f"source={source}": {"source": source},
        "entity=china": {"entity": "china"},
        "300 -words": {"q": " ".join(f"-{word}" for word in common)},
        "140 OR'd prefixes": {"q": " OR ".join(f"{p}*" for p in TWO_LETTERS[:140])},
        "20 AND'd prefixes": {"q": " ".join(f"{p}*" for p in COMMON_PREFIXES)},
    }


def time_queries(queries: dict[str, dict], answers: list[str], repeats: int) -> list[dict]:
    from django.test import Client

    client = Client(HTTP_HOST=HOST)
    rows = []
    for name, params in queries.items():
        timings = {answer: [] for answer in answers}
        statuses = {answer: set() for answer in answers}
        for answer in answers:  # warm-up: facet tables, vocabulary, searcher
            client.get(ANSWERS[answer], params)
        for _ in range(repeats):
            for answer in answers:
                started = time.perf_counter()
                response = client.get(ANSWERS[answer], params)
                if hasattr(response, "streaming_content"):
                    b"".join(response.streaming_content)
                timings[answer].append(time.perf_counter() - started)
                statuses[answer].add(response.status_code)
        data = client.get(ANSWERS["api"], params).json()
        for answer in answers:
            rows.append(
                {
                    "query": name,
                    "answer": answer,
                    "hits": data["count"],
                    "p50": statistics.median(timings[answer]) * 1000,
                    "max": max(timings[answer]) * 1000,
                    "status": ",".join(str(s) for s in sorted(statuses[answer])),
                    "note": (data["notes"] or [""])[0],
                }
            )
        print(f"  {name}: {max(max(t) for t in timings.values()):.2f} s at most", flush=True)
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| query | answer | status | hits | p50 ms | max ms | first note |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    for row in rows:
        note = row["note"] if len(row["note"]) <= 70 else row["note"][:69] + "…"
        lines.append(
            f"| {row['query']} | {row['answer']} | {row['status']} | {row['hits']:,} | "
            f"{row['p50']:,.0f} | {row['max']:,.0f} | {note.replace('|', '/')} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="bbc")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--reuse", action="store_true", help="keep an earlier build")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--answers", default=",".join(ANSWERS), help=f"any of {','.join(ANSWERS)}")
    parser.add_argument("--only", help="time only the queries whose name contains this")
    args = parser.parse_args()
    data_dir = args.data_dir or ROOT / "var" / "bench" / f"hostile-{args.corpus}"
    prepare_environment(data_dir.resolve(), args.reuse)

    import django

    django.setup()
    from django.conf import settings

    build(CORPORA[args.corpus])
    queries = hostile_queries()
    if args.only:
        queries = {k: v for k, v in queries.items() if args.only in k}
    answers = [a for a in args.answers.split(",") if a in ANSWERS]
    print(f"Timing {len(queries)} queries on {', '.join(answers)}, {args.repeats} times:")
    rows = time_queries(queries, answers, args.repeats)
    limit = getattr(settings, "SEARCH_TIME_LIMIT", None)
    print()
    print(
        f"{datetime.date.today()}, {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"corpus {args.corpus}, code at {ROOT.name}, SEARCH_TIME_LIMIT={limit}, "
        f"repeats {args.repeats}"
    )
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
