#!/usr/bin/env python
"""Time of the date pages (/dates/, a year, a month, date unknown) on a large archive.

    .venv/bin/python bench/dates.py [--articles 100000] [--repeat 7]

Builds a throwaway archive in a temporary data directory: `--articles`
published articles whose dates are spread evenly over 1990-2025, one in twenty
undated (the date pages read nothing but the dates and the summaries, so the
text is a line per article, written with bulk_create). Then asks for each page
`--repeat` times with Django's test client in this process and prints a
Markdown table: the median and slowest time in milliseconds and the number of
database queries of each page.
"""

import argparse
import datetime
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST_DAY = datetime.date(1990, 1, 1)
DAYS = (datetime.date(2025, 12, 31) - FIRST_DAY).days + 1
PAGES = (
    "/dates/",
    "/dates/2008/",
    "/dates/2008/06/",
    "/dates/2008/06/?page=3",
    "/dates/unknown/",
    "/dates/unknown/?page=50",
)


def build(articles: int) -> None:
    from django.core.management import call_command

    from archive.models import Article

    call_command("migrate", verbosity=0)
    batch = []
    for n in range(articles):
        dated = n % 20 != 0
        batch.append(
            Article(
                title=f"Report {n}",
                slug=f"report-{n}",
                body=f"The text of report {n}.",
                status=Article.Status.PUBLISHED,
                published_on=FIRST_DAY + datetime.timedelta(days=n * 7919 % DAYS)
                if dated
                else None,
            )
        )
        if len(batch) == 5000:
            Article.objects.bulk_create(batch)
            batch = []
    Article.objects.bulk_create(batch)


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
        started = time.perf_counter()
        build(args.articles)
        print(f"{args.articles} articles written in {time.perf_counter() - started:.0f} s")
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
