#!/usr/bin/env python
"""Quote search latency on a real archive: the whole request of /api/quotes and /quotes/.

    .venv/bin/python bench/quote_search.py --corpus reuters-financial-2007    # build, then time
    .venv/bin/python bench/quote_search.py --corpus reuters-financial-2007 --reuse

In one run it
1. points ARCHIVE_DATA_DIR at a scratch directory (default var/bench/quotes-<corpus>),
   migrates, loads the curated entities, imports the corpus's JSON Lines file (read in
   place from ../shared/corpus, refused records skipped; the importer extracts the
   quotes) and rebuilds the search index, timing both;
2. derives its queries from the archive's own quotes (seeded, so every run asks the
   same): a common and a rare quoted word, a three-word phrase, a wildcard word, the
   most quoted speaker (alone, with a word, and by name as `speaker:"…"`), a year,
   every quote (no words), and a page deep into every quote;
3. asks each of the JSON API and the page through Django's test client in this process
   (the server's whole work for the request), after one untimed warm-up request, then
   `--repeats` times, interleaved; prints a Markdown table of hits, p50 and max ms.

To time older code on the same archive, run a copy of this script placed in an export of
that code (`git archive <commit> | tar -x -C DIR`) with `--data-dir` pointing at this
build and `--reuse`: the script imports the archive of the checkout it lives in.
"""

import argparse
import datetime
import gzip
import itertools
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
CORPORA = {
    "bbc": CORPUS / "bbc" / "bbc.jsonl.gz",
    "reuters21578": CORPUS / "reuters21578" / "reuters21578.jsonl.gz",
    **{
        f"reuters-financial-{year}": CORPUS
        / "reuters_financial_2006_2013"
        / "jsonl"
        / f"reuters-financial-{year}.jsonl.gz"
        for year in range(2006, 2014)
    },
}
ENTITIES_FIXTURE = ROOT / "fixtures" / "entities.json"
MARKER = ".bench-quotes"  # a scratch directory this script made and may empty
ANSWERS = {"api": "/api/quotes", "page": "/quotes/"}
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
    (data_dir / MARKER).write_text("made by bench/quote_search.py; deleted by its next run\n")
    for name in ("DATABASE_URL", "SEARCH_URL"):
        os.environ.pop(name, None)
    os.environ.update(
        ARCHIVE_DATA_DIR=str(data_dir),
        DEBUG="0",  # DEBUG keeps every SQL query in memory
        ALLOWED_HOSTS=HOST,
        DJANGO_SETTINGS_MODULE="archive.settings",
    )


def first_records(corpus: Path, articles: int | None, data_dir: Path) -> Path:
    """The corpus file, or a file of its first `articles` records in the scratch directory."""
    if articles is None:
        return corpus
    part = data_dir / f"first-{articles}.jsonl"
    with gzip.open(corpus, "rt", encoding="utf-8") as source:
        part.write_text("".join(itertools.islice(source, articles)), encoding="utf-8")
    return part


def build(corpus: Path, data_dir: Path) -> str:
    from django.core.management import call_command

    from archive.models import Article, Quote

    call_command("migrate", interactive=False, verbosity=0)
    if Article.objects.exists():
        return f"Reused {Article.objects.count():,} articles, {Quote.objects.count():,} quotes"
    call_command("loaddata", str(ENTITIES_FIXTURE), verbosity=0)
    started = time.perf_counter()
    call_command("import_articles", str(corpus), "--quiet", "--skip-invalid", "--defer-indexing")
    imported = time.perf_counter()
    call_command("rebuild_index", interactive=False, verbosity=0)
    indexed = time.perf_counter()
    size = subprocess.run(
        ["du", "-sh", str(data_dir / "whoosh_index")], capture_output=True, text=True
    ).stdout.split("\t")[0]
    return (
        f"Imported {Article.objects.count():,} articles with {Quote.objects.count():,} quotes "
        f"in {imported - started:.0f} s; `rebuild_index` took {indexed - imported:.0f} s "
        f"(index on disk: {size})"
    )


def quote_queries(seed: int = 16) -> dict[str, dict]:
    from django.db.models import Count

    from archive.models import Article, Entity, Quote
    from archive.quotes.normalise import quote_words

    rng = random.Random(seed)
    quotes = Quote.objects.filter(rejected=False, article__status=Article.Status.PUBLISHED)
    sample = list(quotes.order_by("pk").values_list("text", flat=True)[:5000])
    words = Counter(w for text in sample for w in set(quote_words(text)) if w.isalpha())
    common = [w for w, _ in words.most_common(200) if len(w) >= 6][0]
    rare = rng.choice(sorted(w for w, n in words.items() if n == 2 and len(w) >= 6))
    phrase_words = []
    while len(phrase_words) < 3:
        phrase_words = [w for w in quote_words(rng.choice(sample)) if w.isalpha()]
    start = rng.randrange(len(phrase_words) - 2)
    phrase = " ".join(phrase_words[start : start + 3])
    prefix = common[:4]
    speaker = (
        Entity.objects.filter(quotes__rejected=False)
        .annotate(n=Count("quotes"))
        .order_by("-n", "name")
        .first()
    )
    year = (
        quotes.filter(article__published_on__isnull=False)
        .values_list("article__published_on", flat=True)
        .order_by("article__published_on")
        .first()
    )
    queries = {
        f"common word ({common})": {"q": common},
        f"rare word ({rare})": {"q": rare},
        f'phrase ("{phrase}")': {"q": f'"{phrase}"'},
        f"wildcard ({prefix}*)": {"q": f"{prefix}*"},
    }
    if speaker is not None:
        queries[f"speaker ({speaker.slug})"] = {"speaker": speaker.slug}
        queries[f"speaker + word ({speaker.slug}, {common})"] = {
            "speaker": speaker.slug,
            "q": common,
        }
        queries[f'speaker:"{speaker.name}" in q'] = {"q": f'speaker:"{speaker.name}"'}
    written = (
        quotes.exclude(speaker_name="")
        .values_list("speaker_name", flat=True)
        .annotate(n=Count("pk"))
        .order_by("-n", "speaker_name")
        .first()
    )
    if written:
        queries[f'speaker:"{written}" (as articles write it) in q'] = {"q": f'speaker:"{written}"'}
    if year is not None:
        queries[f"year ({year.year})"] = {"from": str(year.year), "to": str(year.year)}
    queries["every quote, page 1"] = {}
    queries["every quote, page 50"] = {"page": "50"}
    return queries


def time_queries(queries: dict[str, dict], repeats: int) -> list[dict]:
    from django.test import Client

    client = Client(HTTP_HOST=HOST)
    rows = []
    for name, params in queries.items():
        timings = {answer: [] for answer in ANSWERS}
        for url in ANSWERS.values():  # warm-up: searcher, facet tables, vocabulary
            client.get(url, params)
        for _ in range(repeats):
            for answer, url in ANSWERS.items():
                started = time.perf_counter()
                response = client.get(url, params)
                timings[answer].append(time.perf_counter() - started)
                assert response.status_code == 200, (name, answer, response.status_code)
        data = client.get(ANSWERS["api"], params).json()
        rows.append(
            {
                "query": name,
                "hits": data["count"],
                **{f"{a} p50": statistics.median(t) * 1000 for a, t in timings.items()},
                **{f"{a} max": max(t) * 1000 for a, t in timings.items()},
            }
        )
        print(f"  {name}: {data['count']:,} hits", flush=True)
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| query | hits | JSON p50 ms | JSON max ms | page p50 ms | page max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['query']} | {row['hits']:,} | {row['api p50']:,.0f} | {row['api max']:,.0f} "
            f"| {row['page p50']:,.0f} | {row['page max']:,.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="bbc")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--reuse", action="store_true", help="keep an earlier build")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--articles", type=int, help="import only the corpus's first N records")
    args = parser.parse_args()
    data_dir = (args.data_dir or ROOT / "var" / "bench" / f"quotes-{args.corpus}").resolve()
    prepare_environment(data_dir, args.reuse)

    import django

    django.setup()
    corpus = first_records(CORPORA[args.corpus], args.articles, data_dir)
    print(build(corpus, data_dir), flush=True)
    queries = quote_queries()
    print(f"Timing {len(queries)} queries, {args.repeats} times each:")
    rows = time_queries(queries, args.repeats)
    print()
    print(
        f"{datetime.date.today()}, {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}, corpus {args.corpus}, code at {ROOT}"
    )
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
