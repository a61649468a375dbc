#!/usr/bin/env python
"""The largest article the archive accepts: what importing it costs, and how fast its pages answer.

    .venv/bin/python bench/large_article.py [--chars N] [--text seeds|bbc] [--repeat 5]

In one run it
1. points ARCHIVE_DATA_DIR at a scratch directory (default var/bench/large-article),
   migrates, loads the entity vocabulary and imports the seed articles, so the
   big article has neighbours and related articles;
2. writes one JSON Lines record whose body is `--chars` characters long
   (default: ARCHIVE_MAX_ARTICLE_CHARS, the largest allowed), made of real
   text repeated paragraph by paragraph: the seed articles' paragraphs
   (`seeds`, dense with the vocabulary's names: the most mentions and quotes)
   or BBC News bodies read in place from ../shared/corpus/bbc (`bbc`);
3. imports it with `import_articles` in this process, timing it and reading
   the growth of the peak resident memory; counts paragraphs, mentions and quotes;
4. asks for the article's public page with Django's test client (`--repeat`
   times; plain, and with `?hl=` highlighting a word of every paragraph) and
   for a search that finds it (page and JSON, snippets from its paragraphs),
   counting database queries and bytes, and times each part of the page on
   its own (entities, mentions by paragraph, highlighting, related, quotes,
   template);
5. asks for the article's admin change page and its lists of tags and quotations once,
   as a superuser (not with --no-admin);
6. saves the article as an editor's save does (`archive.articles.save_article`),
   its last paragraph removed and put back in turn, timing the transaction (the
   database's write lock is held that long: re-tagging and quotes run inside
   it) and the whole save with the index update after the commit;
7. prints a Markdown table.

One process, one core; the figures vary with the machine's load. The scratch
directory is deleted at the next run (it holds a marker file), kept with --keep.
"""

import argparse
import gzip
import io
import json
import os
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BBC = ROOT.parent / "shared" / "corpus" / "bbc" / "bbc.jsonl.gz"
MARKER = ".made-by-bench-large-article"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chars", type=int, help="body length (default: the limit)")
    parser.add_argument("--text", choices=("seeds", "bbc"), default="seeds")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "bench" / "large-article")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    parser.add_argument("--no-admin", action="store_true", help="skip the admin change page")
    return parser.parse_args(argv)


def prepare_environment(data_dir: Path) -> None:
    """Point the archive at a fresh scratch directory; must run before django.setup()."""
    if data_dir.exists() and any(data_dir.iterdir()) and not (data_dir / MARKER).exists():
        sys.exit(f"{data_dir} is not empty and was not made by this benchmark; choose another.")
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    (data_dir / MARKER).write_text("made by bench/large_article.py; deleted by its next run\n")
    for name in ("DATABASE_URL", "SEARCH_URL"):
        os.environ.pop(name, None)
    os.environ["ARCHIVE_DATA_DIR"] = str(data_dir)
    os.environ["DEBUG"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = "archive.settings"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")


def paragraphs_of(text: str) -> list[str]:
    if text == "bbc":
        if not BBC.exists():
            sys.exit(f"No corpus at {BBC}; see ../shared/corpus/README.md.")
        with gzip.open(BBC, "rt", encoding="utf-8") as stream:
            bodies = [json.loads(line)["body"] for line in stream]
        return [p.strip() for body in bodies for p in body.split("\n\n") if p.strip()]
    from archive.models import Article

    return [p for article in Article.objects.order_by("pk") for p in article.paragraphs]


def body_of(paragraphs: list[str], chars: int) -> str:
    """Whole paragraphs, repeated in order, up to `chars` characters."""
    parts, length, index = [], 0, 0
    while True:
        paragraph = paragraphs[index % len(paragraphs)]
        added = len(paragraph) + (2 if parts else 0)
        if length + added > chars:
            break
        parts.append(paragraph)
        length += added
        index += 1
    return "\n\n".join(parts)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(function, *args, repeat=1):
    """(median seconds, result of the last call)."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function(*args)
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main(argv=None):
    args = parse_args(argv)
    prepare_environment(args.data_dir)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from archive import browse
    from archive.quotes.tracing import article_quotes
    from archive.related import related_documents
    from archive.search.results import highlight_groups
    from archive.search.snippets import mark_paragraph

    chars = args.chars or settings.ARCHIVE_MAX_ARTICLE_CHARS
    call_command("migrate", verbosity=0)
    call_command("loaddata", str(ROOT / "fixtures" / "entities.json"), verbosity=0)
    call_command("import_articles", str(ROOT / "fixtures" / "seeds"), stdout=io.StringIO())

    body = body_of(paragraphs_of(args.text), chars)
    record = {
        "id": "large-1",
        "source": "Benchmark",
        "title": "The largest article the archive accepts",
        "date": "2021-02-10",
        "url": "https://example.org/large-article",
        "author": None,
        "body": body,
    }
    path = args.data_dir / "large.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")

    memory_before = peak_mb()
    out, err = io.StringIO(), io.StringIO()
    import_seconds, _ = timed(
        lambda: call_command("import_articles", str(path), stdout=out, stderr=err)
    )
    memory_growth = peak_mb() - memory_before
    if "1 new" not in out.getvalue():
        sys.exit(f"The import did not take the article: {out.getvalue()} {err.getvalue()}")

    article = browse.readable_articles().get(external_id="large-1")
    url = article.get_absolute_url()
    mentions = article.mentions.count()
    quotes = article.quotes.count()
    word = "Uyghur" if args.text == "seeds" else "said"

    client = Client()
    rows = []
    pages = (
        ("page", url),
        (f"page ?hl={word}", f"{url}?hl={word}"),
        (f"search ?q={word} (snippets)", f"/search/?q={word}"),
        (f"/api/search?q={word}", f"/api/search?q={word}"),
    )
    for label, page in pages:
        client.get(page)  # warm: the searcher opened, templates compiled
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page)
        assert response.status_code == 200, response.status_code
        count = len(queries)  # now: each request empties the connection's log
        seconds, response = timed(client.get, page, repeat=args.repeat)
        rows.append((label, seconds, f"{count} queries, {len(response.content):,} bytes"))

    groups = highlight_groups(word)
    parts = {
        "readable_articles().get": lambda: browse.readable_articles().get(pk=article.pk),
        "mentions_by_paragraph": lambda: browse.mentions_by_paragraph(article),
        "entities_in": lambda: browse.entities_in(article),
        f"mark_paragraph ×{len(article.paragraphs):,} (hl={word})": lambda: [
            mark_paragraph(text, groups) for text in article.paragraphs
        ],
        "related_documents": lambda: related_documents(article),
        "article_quotes": lambda: article_quotes(article),
        "source_neighbours": lambda: browse.source_neighbours(article),
    }
    for label, part in parts.items():
        seconds, _ = timed(part, repeat=args.repeat)
        rows.append((label, seconds, ""))

    if not args.no_admin:
        last = (mentions - 1) // 100  # the admin lists a hundred tags a page, from 0
        admin = User.objects.create_superuser("bench", password="a long enough passphrase")
        client.force_login(admin)
        change = f"/{settings.ADMIN_URL}archive/article/{article.pk}/change/"
        seconds, response = timed(client.get, change)
        rows.append(("admin change page", seconds, f"{len(response.content):,} bytes"))
        lists = {
            "admin: its tags, first page": f"mention/?article__id__exact={article.pk}",
            "admin: its tags, last page": f"mention/?article__id__exact={article.pk}&p={last}",
            "admin: its quotations": f"quote/?article__id__exact={article.pk}",
        }
        for label, path in lists.items():
            seconds, response = timed(client.get, f"/{settings.ADMIN_URL}archive/{path}")
            assert response.status_code == 200, (label, response.status_code)
            rows.append((label, seconds, f"{len(response.content):,} bytes"))

    rows += editor_saves(article, args.repeat)

    print(
        f"\nOne article of {len(body):,} characters ({args.text}, limit "
        f"{settings.ARCHIVE_MAX_ARTICLE_CHARS:,}): {len(article.paragraphs):,} paragraphs, "
        f"{mentions:,} mentions, {quotes:,} quotes.\n"
        f"Import: {import_seconds:.1f} s, peak memory +{memory_growth:,.0f} MB.\n"
    )
    print(f"| what (median of {args.repeat}) | seconds | notes |\n|---|---|---|")
    for label, seconds, note in rows:
        print(f"| {label} | {seconds:.3f} | {note} |")
    if not args.keep:
        shutil.rmtree(args.data_dir)


def editor_saves(article, repeat: int) -> list[tuple[str, float, str]]:
    """Time `repeat` saves of the article, its last paragraph dropped and restored in turn."""
    from django.db import transaction

    from archive.articles import save_article

    full = article.body
    shorter = full.rsplit("\n\n", 1)[0]
    in_transaction, whole, committed = [], [], []
    for n in range(repeat * 2):
        article.body = shorter if n % 2 == 0 else full
        started = time.perf_counter()
        with transaction.atomic():
            # The first callback registered runs first, right after the commit.
            transaction.on_commit(lambda: committed.append(time.perf_counter()))
            save_article(article)
        whole.append(time.perf_counter() - started)
        in_transaction.append(committed.pop() - started)
    note = "re-tag, quotes, queue; the write lock is held meanwhile"
    return [
        ("editor's save: its transaction", statistics.median(in_transaction), note),
        ("editor's save, index updated", statistics.median(whole), "after the commit: the flush"),
    ]


if __name__ == "__main__":
    main()
