#!/usr/bin/env python
"""Page latency over HTTP: gunicorn serving an archive, loaded from a second process on loopback.

    .venv/bin/python bench/pages.py [--data-dir var/bench/search-100000] [--duration 20]
                                    [--concurrency 2] [--workers 2]
    .venv/bin/python bench/pages.py --smoke      # seconds, on the seed articles

In one run it
1. picks the pages to ask for from the archive's database (seeded, so every run
   asks for the same ones): the home page, the first and a deep page of the
   article list, random articles, the sources, entities with mentions, and a
   fixed list of searches;
2. counts the database queries of each page kind with Django's test client
   and CaptureQueriesContext (in this process, no server involved);
3. starts gunicorn (`--workers`, sync workers) on a free port of 127.0.0.1
   against the data directory, and waits until it answers;
4. for each page kind in turn, runs `--concurrency` client threads in a
   separate load process for `--duration` seconds, each thread asking for the
   kind's pages round-robin over a new HTTP connection per request (urllib);
5. prints a Markdown table: requests, errors, req/s, p50/p95/max ms per kind,
   and the query counts.

The data directory is only read (apart from `migrate`, which it must have had
already; run `ARCHIVE_DATA_DIR=DIR manage.py migrate` on an old one). `--smoke`
builds a temporary archive from the seed fixtures and deletes it afterwards.
"""

import argparse
import datetime
import io
import multiprocessing
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = ROOT / "var" / "bench" / "search-100000"
KINDS = (
    "home",
    "list first",
    "list deep",
    "article",
    "source",
    "source deep",
    "entity",
    "dates",
    "quotes",
    "search",
)
# Asked in every run: words, a phrase, a filter, an exclusion, a wildcard, a sort.
SEARCHES = [
    {"q": "bank"},
    {"q": "oil prices"},
    {"q": '"interest rates"'},
    {"q": "China exports"},
    {"q": "merger -bank"},
    {"q": "Uyghur"},
    {"q": "Kazakhstan"},
    {"q": "inflat*"},
    {"q": "Turkey", "sort": "newest"},
    {"q": "camps detention"},
]
ARTICLES_SAMPLED = 200
ENTITIES_SAMPLED = 20
QUERY_COUNT_SAMPLE = 5  # pages per kind whose database queries are counted
WARM_UP_PAGES = 2
HOST = "127.0.0.1"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def server_environment(data_dir: Path, search_url: str | None = None) -> dict:
    """The data directory's database; its Whoosh index, or the engine `search_url` names."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SEARCH_URL")}
    env.update(
        ARCHIVE_DATA_DIR=str(data_dir),
        DEBUG="0",  # DEBUG keeps every SQL query in memory
        DJANGO_SETTINGS_MODULE="archive.settings",
        ALLOWED_HOSTS=HOST,
    )
    if search_url:
        env["SEARCH_URL"] = search_url
    return env


# The archive side (this process) -------------------------------------------


def setup_django(data_dir: Path, search_url: str | None = None) -> None:
    served = server_environment(data_dir, search_url)
    for name in set(os.environ) - set(served):
        del os.environ[name]
    os.environ.update(served)
    import django

    django.setup()


def build_smoke_archive(data_dir: Path) -> None:
    """The seed articles and vocabulary, tagged and indexed, in an empty data directory."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("loaddata", str(ROOT / "fixtures" / "entities.json"), verbosity=0)
    call_command("import_articles", str(ROOT / "fixtures" / "seeds"), stdout=io.StringIO())
    call_command("collectstatic", interactive=False, verbosity=0)


def pages_to_ask(seed: int) -> dict[str, list[str]]:
    """For each page kind, the paths the load asks for, chosen from the database."""
    from django.db.models import Count, Q
    from django.urls import reverse

    from archive import browse
    from archive.models import Article, Entity, Source

    rng = random.Random(seed)
    published = Article.objects.published()
    count = published.count()
    if not count:
        sys.exit("The archive has no published articles; import some first.")
    last_page = max(1, -(-count // browse.ARTICLES_PER_PAGE))
    article_list = reverse("article-list")
    ids = list(published.values_list("pk", flat=True))
    chosen = rng.sample(ids, min(ARTICLES_SAMPLED, len(ids)))
    slugs = Article.objects.filter(pk__in=chosen).values_list("slug", flat=True)
    sources = Source.objects.annotate(
        n=Count("articles", filter=Q(articles__status=Article.Status.PUBLISHED))
    ).filter(n__gt=0)
    entities = list(
        Entity.objects.annotate(n=Count("mentions", filter=Q(mentions__rejected=False)))
        .filter(n__gt=0)
        .order_by("slug")
        .values_list("slug", flat=True)
    )
    entities = rng.sample(entities, min(ENTITIES_SAMPLED, len(entities)))
    search = reverse("search")
    biggest = sources.order_by("-n", "slug").first()
    source_pages = -(-biggest.n // browse.ARTICLES_PER_PAGE) if biggest else 0
    years = sorted({d.year for d in published.dates("published_on", "year")})
    quotes = reverse("quote-search")
    speakers = list(
        Entity.objects.filter(quotes__isnull=False)
        .annotate(n=Count("quotes"))
        .order_by("-n", "slug")
        .values_list("slug", flat=True)[:3]
    )
    pages = {
        "home": [reverse("home")],
        "list first": [article_list],
        # Near the end of the list: the deepest OFFSET a reader can reach.
        "list deep": [f"{article_list}?page={max(1, last_page - n)}" for n in range(3)],
        "article": [reverse("article-detail", args=[slug]) for slug in sorted(slugs)],
        "source": [reverse("source-detail", args=[s.slug]) for s in sources.order_by("slug")]
        + ([reverse("source-unknown")] if published.filter(source=None).exists() else []),
        # The last pages of the source with the most articles.
        "source deep": [
            f"{reverse('source-detail', args=[biggest.slug])}?page={max(1, source_pages - n)}"
            for n in range(3)
        ]
        if biggest
        else [],
        "entity": [reverse("entity-detail", args=[slug]) for slug in entities],
        "dates": [reverse("date-index")]
        + [reverse("date-year", args=[f"{year:04d}"]) for year in years[-3:]],
        "quotes": [quotes, f"{quotes}?{urlencode({'q': 'said'})}"]
        + [f"{quotes}?{urlencode({'speaker': slug})}" for slug in speakers],
        "search": [f"{search}?{urlencode(params)}" for params in SEARCHES],
    }
    return {kind: paths for kind, paths in pages.items() if paths}


def query_counts(pages: dict[str, list[str]]) -> dict[str, tuple[int, int]]:
    """For each kind, the fewest and most database queries over a few of its pages."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=HOST)
    counts = {}
    for kind, paths in pages.items():
        seen = []
        for path in paths[:QUERY_COUNT_SAMPLE]:
            client.get(path)  # once to warm caches the server would also have warm
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            if response.status_code != 200:
                sys.exit(f"{path} answered {response.status_code} in the test client")
            seen.append(len(queries))
        counts[kind] = (min(seen), max(seen))
    return counts


def store_related(article_paths: list[str]) -> None:
    """Work out the stored related-document lists of these articles, as `sync_index` would."""
    from django.urls import resolve

    from archive.models import Article
    from archive.related import lists_due, refresh_related_lists

    slugs = [resolve(path).kwargs["slug"] for path in article_paths]
    articles = Article.objects.published().filter(slug__in=slugs)
    due = len(lists_due(articles))
    started = time.perf_counter()
    stored = refresh_related_lists(articles.values_list("pk", flat=True))
    elapsed = time.perf_counter() - started
    each = f", {elapsed / stored * 1000:,.0f} ms each" if stored else ""
    print(
        f"related lists of the {len(slugs)} sampled articles: {due} missing or stale, "
        f"{stored} worked out and stored in {elapsed:.1f} s{each}"
    )


# The server ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_gunicorn(
    data_dir: Path, port: int, workers: int, log, search_url: str | None = None
) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn),
        "archive.wsgi",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "120",
    ]
    return subprocess.Popen(
        command, cwd=ROOT, env=server_environment(data_dir, search_url), stdout=log, stderr=log
    )


def wait_until_serving(server: subprocess.Popen, base: str, path: str, timeout=90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped with status {server.returncode}; see its log above")
        try:
            with urllib.request.urlopen(base + path, timeout=30) as response:
                response.read()
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    sys.exit(f"gunicorn did not answer {base}{path} within {timeout:.0f} s")


# The load (a second process) ------------------------------------------------


def load(base: str, paths: list[str], duration: float, concurrency: int) -> dict:
    """Ask for `paths` round-robin from `concurrency` threads for `duration` seconds."""
    timings, errors = [], []
    lock = threading.Lock()
    started = time.perf_counter()
    stop = started + duration

    def client(offset: int):
        mine, failed, n = [], [], offset
        while time.perf_counter() < stop:
            path = paths[n % len(paths)]
            n += 1
            began = time.perf_counter()
            try:
                with urllib.request.urlopen(base + path, timeout=120) as response:
                    response.read()
                    ok = response.status == 200
            except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
                ok, path = False, f"{path}: {exc}"
            if ok:
                mine.append(time.perf_counter() - began)
            else:
                failed.append(path)
        with lock:
            timings.extend(mine)
            errors.extend(failed)

    threads = [
        threading.Thread(target=client, args=(i * 7,), daemon=True) for i in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"timings": timings, "errors": errors, "elapsed": time.perf_counter() - started}


def warm_up(base: str, paths: list[str]) -> None:
    """Ask for a few pages untimed, so the workers have opened the index; failures count later."""
    for path in paths:
        try:
            with urllib.request.urlopen(base + path, timeout=120) as response:
                response.read()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass


def load_in_process(base, paths, duration, concurrency) -> dict:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(load, (base, paths, duration, concurrency))


# Report ---------------------------------------------------------------------


@dataclass
class KindResult:
    kind: str
    pages: int
    requests: int
    errors: list[str]
    elapsed: float
    timings: list[float]
    queries: tuple[int, int]

    def row(self) -> str:
        ms = sorted(t * 1000 for t in self.timings) or [float("nan")]
        p50 = statistics.median(ms)
        p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
        low, high = self.queries
        queries = str(low) if low == high else f"{low}–{high}"
        return (
            f"| {self.kind} | {self.pages} | {self.requests:,} | {len(self.errors)} | "
            f"{self.requests / self.elapsed:,.1f} | {p50:,.1f} | {p95:,.1f} | {ms[-1]:,.1f} | "
            f"{queries} |"
        )


def machine() -> str:
    import django

    return (
        f"{os.cpu_count()} CPU(s), Python {platform.python_version()}, Django {django.__version__}"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per page kind")
    parser.add_argument("--concurrency", type=int, default=2, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument(
        "--kinds",
        default=",".join(KINDS),
        help=f"comma-separated page kinds to measure (default: all of {', '.join(KINDS)})",
    )
    parser.add_argument(
        "--store-related",
        action="store_true",
        help=(
            "work out and store the related documents of the sampled articles first "
            "(archive.related; writes to the data directory), timing it"
        ),
    )
    parser.add_argument(
        "--search-url",
        help=(
            "serve search from this engine (SEARCH_URL, e.g. the SolrCloud that bench/solr.py "
            "rebuilt from the same database) instead of the data directory's Whoosh index"
        ),
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a run of a few seconds on a temporary archive of the seed articles",
    )
    args = parser.parse_args(argv)
    args.kinds = [kind.strip() for kind in args.kinds.split(",") if kind.strip()]
    unknown = set(args.kinds) - set(KINDS)
    if unknown:
        parser.error(f"unknown page kind(s): {', '.join(sorted(unknown))}")
    scratch = None
    if args.smoke:
        scratch = Path(tempfile.mkdtemp(prefix="bench-pages-"))
        args.data_dir, args.duration = scratch / "data", min(args.duration, 1.0)
        args.data_dir.mkdir()
    elif not (args.data_dir / "archive.sqlite3").exists():
        sys.exit(f"No archive in {args.data_dir}: build one with bench/search.py first.")
    try:
        return run(args)
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def run(args) -> int:
    data_dir = args.data_dir.resolve()
    setup_django(data_dir, args.search_url)
    if args.smoke:
        build_smoke_archive(data_dir)
    from archive.models import Article

    articles = Article.objects.published().count()
    pages = {kind: paths for kind, paths in pages_to_ask(args.seed).items() if kind in args.kinds}
    if args.store_related and "article" in pages:
        store_related(pages["article"])
    counts = query_counts(pages)
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"{articles:,} published articles in {data_dir} — {when}")
    print(f"search: {args.search_url or 'the Whoosh index in the data directory'}")
    print(
        f"gunicorn {args.workers} sync workers on {HOST}; load: {args.concurrency} threads in "
        f"a second process, {args.duration:g} s per page kind; {machine()}"
    )
    port = free_port()
    base = f"http://{HOST}:{port}"
    log = tempfile.TemporaryFile()
    server = start_gunicorn(data_dir, port, args.workers, log, args.search_url)
    results = []
    try:
        wait_until_serving(server, base, "/")
        for kind in KINDS:
            if kind not in pages:
                continue
            warm_up(base, pages[kind][:WARM_UP_PAGES] * args.workers)
            got = load_in_process(base, pages[kind], args.duration, args.concurrency)
            results.append(
                KindResult(
                    kind,
                    len(pages[kind]),
                    len(got["timings"]),
                    got["errors"],
                    got["elapsed"],
                    got["timings"],
                    counts[kind],
                )
            )
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.seek(0)
        server_log = log.read().decode(errors="replace")
        if any(r.errors for r in results) or server.returncode not in (0, -15):
            print(server_log[-4000:])
    print()
    print(
        "| page kind | pages | requests | errors | req/s | p50 ms | p95 ms | max ms | DB queries |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for result in results:
        print(result.row())
    for result in results:
        for error in result.errors[:3]:
            print(f"error ({result.kind}): {error}")
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
