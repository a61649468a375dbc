"""What watching the originals costs every reader's page: the validators' query
(`browse.archive_changed_at`) with and without the captures and checks of the originals, on a
scratch archive holding years of daily checks, interleaved in one run.

    .venv/bin/python bench/originals.py --articles 2000 --checks-per-article 100
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--checks-per-article", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "bench" / "originals")
    args = parser.parse_args()

    args.data_dir.mkdir(parents=True, exist_ok=True)
    database = args.data_dir / "archive.sqlite3"
    database.unlink(missing_ok=True)
    os.environ["ARCHIVE_DATA_DIR"] = str(args.data_dir)
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["SEARCH_URL"] = f"whoosh://{args.data_dir / 'whoosh_index'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Subquery

    from archive import browse
    from archive.models import Article, Capture, OriginalCheck

    call_command("migrate", verbosity=0)
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    Article.objects.bulk_create(
        Article(
            title=f"Article {n}",
            slug=f"article-{n}",
            body=f"Text {n}.",
            body_sha256="0" * 64,
            original_url=f"https://news{n % 50}.example/{n}",
            status=Article.Status.PUBLISHED,
        )
        for n in range(args.articles)
    )
    ids = list(Article.objects.values_list("pk", flat=True))
    Capture.objects.bulk_create(
        Capture(
            article_id=pk,
            url="https://x.example/",
            final_url="https://x.example/",
            fetched_at=start,
            http_status=200,
            warc_path=f"captures/{pk}.warc.gz",
            warc_sha256="0" * 64,
            warc_size=1,
            text_sha256="0" * 64,
        )
        for pk in ids
    )
    for day in range(args.checks_per_article):
        OriginalCheck.objects.bulk_create(
            OriginalCheck(
                article_id=pk,
                url="https://x.example/",
                checked_at=start + datetime.timedelta(days=day, seconds=pk),
                outcome=OriginalCheck.Outcome.ONLINE,
            )
            for pk in ids
        )
    # One history row, so that the query has an article revision to find.
    Article.objects.get(pk=ids[0]).save()
    checks = OriginalCheck.objects.count()

    histories = browse.public_histories()

    def validators_sql(names):
        def newest(history):
            return history.order_by("-history_date").values("history_date")

        others = {name: Subquery(newest(histories[name])[:1]) for name in names}
        query = newest(browse.public_article_revisions()).values("history_date", **others)[:1]
        return query.query.sql_with_params()

    before = validators_sql([n for n in histories if n not in ("capture", "originalcheck")])
    now = validators_sql(list(histories))

    def run_sql(sql_params):
        with connection.cursor() as cursor:
            cursor.execute(*sql_params)
            cursor.fetchall()

    def built_and_run(leave_out=()):
        """archive_changed_at() as it is, leaving out some tables: ORM building included."""
        histories = browse.public_histories()
        sql_params = validators_sql([n for n in histories if n not in leave_out])
        run_sql(sql_params)

    variants = {
        "the query without captures and checks": lambda: run_sql(before),
        "the query with them (now)": lambda: run_sql(now),
        "built and run, without them": lambda: built_and_run(("capture", "originalcheck")),
        "built and run, with them (now)": built_and_run,
    }
    times = {name: [] for name in variants}
    for repeat in range(args.repeats):
        for name, run in sorted(variants.items(), reverse=repeat % 2 == 1):
            began = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - began)
    print(
        f"{args.articles} articles, {args.articles} captures, {checks} checks; "
        f"load {os.getloadavg()[0]:.2f}"
    )
    for name, values in times.items():
        print(f"  {name}: median {statistics.median(values) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
