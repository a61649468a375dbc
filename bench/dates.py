#!/usr/bin/env python
"""Time of the date pages (/dates/, a year, a month, date unknown) and the home page on a
large archive.

    .venv/bin/python bench/dates.py [--articles 100000] [--repeat 7]

Builds a throwaway archive in a temporary data directory from the Reuters
financial corpus (../shared/corpus/reuters_financial_2006_2013, read in place):
the first `--articles` records, October 2006 onwards, with their titles, dates
and first paragraphs, published, and one in twenty with its date left out so
that "date unknown" has articles too (written with bulk_create: the date pages
read nothing but dates and summaries). Then asks for each page `--repeat` times
with Django's test client in this process and prints a Markdown table: the
median and slowest time in milliseconds and the number of database queries.
"""

import argparse
import datetime
import gzip
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "reuters_financial_2006_2013" / "jsonl"
PAGES = (
    "/",  # the home page counts the dates too
    "/dates/",
    "/dates/2008/",
    "/dates/2008/06/",
    "/dates/2008/06/?page=3",
    "/dates/unknown/",
    "/dates/unknown/?page=50",
)


def records(limit: int) -> Iterator[dict]:
    """The corpus's records in order of its yearly files, at most `limit` of them."""
    count = 0
    for path in sorted(CORPUS.glob("reuters-financial-*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                if count == limit:
                    return
                count += 1
                yield json.loads(line)


def build(articles: int) -> int:
    from django.core.management import call_command

    from archive.models import Article

    call_command("migrate", verbosity=0)
    batch, written = [], 0
    for n, record in enumerate(records(articles)):
        lead = (record["body"] or "").strip().split("\n")[0] or record["title"]
        stated = datetime.datetime.fromisoformat(record["date"]).date()
        batch.append(
            Article(
                title=record["title"][:500],
                slug=f"report-{n}",
                body=lead,
                status=Article.Status.PUBLISHED,
                published_on=None if n % 20 == 0 else stated,
            )
        )
        if len(batch) == 5000:
            written += len(Article.objects.bulk_create(batch))
            batch = []
    written += len(Article.objects.bulk_create(batch))
    return written


def measure(repeat: int) -> list[tuple[str, float, float, int]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    rows = []
    for page in PAGES:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page).status_code == 200, page
        query_count = len(queries)  # before the next request resets Django's log
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            client.get(page)
            timings.append((time.perf_counter() - started) * 1000)
        rows.append((page, statistics.median(timings), max(timings), query_count))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="bench-dates-"))
    try:
        os.environ.update(
            ARCHIVE_DATA_DIR=str(data_dir),
            DEBUG="0",
            DJANGO_SETTINGS_MODULE="archive.settings",
            ALLOWED_HOSTS="testserver",
        )
        for name in ("DATABASE_URL", "SEARCH_URL"):
            os.environ.pop(name, None)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        if not any(CORPUS.glob("reuters-financial-*.jsonl.gz")):
            sys.exit(f"The Reuters financial corpus is not at {CORPUS}.")
        started = time.perf_counter()
        written = build(args.articles)
        print(f"{written} articles written in {time.perf_counter() - started:.0f} s")
        print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, SQLite\n")
        print("| page | median ms | max ms | queries |")
        print("|---|---:|---:|---:|")
        for page, median, slowest, queries in measure(args.repeat):
            print(f"| `{page}` | {median:.1f} | {slowest:.1f} | {queries} |")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
