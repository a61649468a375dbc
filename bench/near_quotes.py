#!/usr/bin/env python
"""Near-quote search: how often a quotation pasted with a change finds its paragraph first.

    .venv/bin/python bench/near_quotes.py                     # BBC News, 200 quotations a change
    .venv/bin/python bench/near_quotes.py --reuse --quotes 50   # keep the earlier build

In one run it
1. builds an archive of the corpus in a scratch directory (default
   var/bench/near-<corpus>), as bench/quote_search.py does: migrate, curated
   entities, import (read in place from ../shared/corpus), rebuild_index;
2. picks, seeded, `--quotes` passages of 12 consecutive words from the articles'
   paragraphs (one per paragraph, each a sentence's words), and alters each in
   one way: a word changed (for a word of another passage), a word dropped, two
   neighbouring words swapped, a British spelling made American (only passages
   that have one), three words cut and replaced by an ellipsis, or none (exact);
3. searches each as a journalist pastes it, in quotation marks, through the JSON
   API in this process (Django's test client: the server's whole work), and
   records what the search page shows first: the first nearly-same passage if
   there are any, else the first exact hit at its best paragraph;
4. prints, per change, how often that is the passage's own paragraph ("near"),
   how often the exact phrase search alone puts it first ("exact only"), and
   the requests' p50 and p95.
"""

import argparse
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.quote_search import CORPORA, build, first_records, prepare_environment  # noqa: E402

QUOTE_WORDS = 12
# British spellings news copy uses, and the American ones (matched on the lower-case word).
BRITISH = [
    (re.compile(r"^(colo|favo|labo|hono|behavio|neighbo|humo|rumo|harbo|vigo)ur"), r"\1r"),
    (
        re.compile(
            r"^(organi|recogni|reali|critici|apologi|emphasi|privati|mobili|capitali|authori"
            r"|minimi|maximi|legali|moderni|stabili|subsidi|utili|speciali|summari|characteri"
            r"|liberali|nationali|globali|computeri|categori|prioriti|standardi|finali|digiti)"
            r"s(e|es|ed|ing|ation|ations)$"
        ),
        r"\1z\2",
    ),
    (re.compile(r"^(cent|theat|met|lit|fib)re(s?)$"), r"\1er\2"),
    (re.compile(r"^(defen|offen|licen|preten)ce(s?)$"), r"\1se\2"),
    (
        re.compile(r"^(travel|cancel|model|label|level|fuel|signal|total|channel|equal)l(ed|ing)$"),
        r"\1\2",
    ),
    (re.compile(r"^programme(s?)$"), r"program\1"),
    (re.compile(r"^analys(e|ed|es|ing)$"), r"analyz\1"),
    (re.compile(r"^catalogue(s?)$"), r"catalog\1"),
]


def americanised(word: str) -> str | None:
    """The word spelled the American way, keeping its case and punctuation; None if it is
    not one of BRITISH's."""
    core = word.strip(".,;:'\"()")
    for pattern, replacement in BRITISH:
        if pattern.search(core.lower()):
            new = pattern.sub(replacement, core.lower())
            new = new.capitalize() if core[:1].isupper() else new
            return word.replace(core, new)
    return None


CHANGES = ["exact", "a word changed", "a word dropped", "two words swapped", "spelling", "cut"]


def passages(count: int, seed: int, british: bool = False) -> list[dict]:
    """`count` passages of QUOTE_WORDS words, each from another article, with its place; with
    `british`, only passages with a British spelling (for the spelling change)."""
    from archive.models import Article
    from archive.paragraphs import numbered

    rng = random.Random(seed)
    ids = list(Article.objects.published().values_list("pk", flat=True))
    found = []
    for pk in rng.sample(ids, len(ids)):
        article = Article.objects.get(pk=pk)
        starts = [
            (number, words, start)
            for number, words in ((n, p.split()) for n, p in numbered(article.paragraphs))
            for start in range(len(words) - QUOTE_WORDS + 1)
            if not british or any(americanised(w) for w in words[start : start + QUOTE_WORDS])
        ]
        if not starts:
            continue
        number, words, start = rng.choice(starts)
        found.append(
            {
                "url": f"{article.get_absolute_url()}#p-{number}",
                "words": words[start : start + QUOTE_WORDS],
            }
        )
        if len(found) == count:
            break
    return found


def altered(words: list[str], change: str, rng: random.Random, vocabulary: list[str]):
    """The words with one change, or None when the change does not apply to them."""
    words = list(words)
    middle = rng.randrange(1, len(words) - 1)
    if change == "exact":
        return words
    if change == "a word changed":
        words[middle] = rng.choice([w for w in vocabulary if w.lower() != words[middle].lower()])
    elif change == "a word dropped":
        del words[middle]
    elif change == "two words swapped":
        words[middle], words[middle + 1] = words[middle + 1], words[middle]
    elif change == "spelling":
        british = [i for i, w in enumerate(words) if americanised(w)]
        if not british:
            return None
        i = rng.choice(british)
        words[i] = americanised(words[i])
    elif change == "cut":
        start = rng.randrange(2, len(words) - 5)
        words[start : start + 3] = ["…"]
    return words


def first_shown(data: dict) -> str | None:
    """The address the search page shows first: a nearly-same passage, else an exact hit."""
    if data.get("near"):
        return data["near"][0]["url"]
    if data["results"]:
        hit = data["results"][0]
        return hit["snippets"][0]["url"] if hit["snippets"] else hit["url"]
    return None


def exact_first(data: dict) -> str | None:
    if not data["results"]:
        return None
    hit = data["results"][0]
    return hit["snippets"][0]["url"] if hit["snippets"] else hit["url"]


def same_paragraph(url: str | None, expected: str) -> bool:
    """Whether `url` is the expected article at the expected paragraph (query string aside)."""
    if url is None:
        return False
    path, _, anchor = url.partition("#")
    return path.split("?")[0].endswith(expected.split("#")[0]) and anchor == expected.split("#")[1]


def run(passages_: list[dict], british: list[dict], seed: int) -> list[dict]:
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    rng = random.Random(seed)
    vocabulary = sorted({w.strip(".,;:'\"") for p in passages_ for w in p["words"] if w.isalpha()})
    rows = []
    client.get("/api/search", {"q": '"warm up the search"'})
    for change in CHANGES:
        near = exact = tried = 0
        timings = []
        for passage in british if change == "spelling" else passages_:
            words = altered(passage["words"], change, rng, vocabulary)
            if words is None:
                continue
            tried += 1
            started = time.perf_counter()
            response = client.get("/api/search", {"q": '"' + " ".join(words) + '"'})
            timings.append((time.perf_counter() - started) * 1000)
            data = json.loads(response.content)
            near += same_paragraph(first_shown(data), passage["url"])
            exact += same_paragraph(exact_first(data), passage["url"])
        timings.sort()
        rows.append(
            {
                "change": change,
                "tried": tried,
                "near": near / tried if tried else 0.0,
                "exact": exact / tried if tried else 0.0,
                "p50": statistics.median(timings) if timings else 0.0,
                "p95": timings[int(0.95 * (len(timings) - 1))] if timings else 0.0,
            }
        )
        print(f"  {change}: {tried} quotations", flush=True)
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| change | quotations | right paragraph first (near-quote search) "
        "| right paragraph first (exact phrase only) | p50 ms | p95 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['change']} | {row['tried']} | {row['near']:.2f} | {row['exact']:.2f} "
            f"| {row['p50']:.0f} | {row['p95']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="bbc")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--reuse", action="store_true", help="keep an earlier build")
    parser.add_argument("--quotes", type=int, default=200, help="passages per change")
    parser.add_argument("--articles", type=int, help="import only the corpus's first N records")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    data_dir = (args.data_dir or ROOT / "var" / "bench" / f"near-{args.corpus}").resolve()
    prepare_environment(data_dir, args.reuse)

    import django

    django.setup()
    corpus = first_records(CORPORA[args.corpus], args.articles, data_dir)
    print(build(corpus, data_dir), flush=True)
    chosen = passages(args.quotes, args.seed)
    british = passages(args.quotes, args.seed + 1, british=True)
    print(
        f"{len(chosen)} passages of {QUOTE_WORDS} words (and {len(british)} with a British "
        "spelling); searching each, changed six ways:"
    )
    rows = run(chosen, british, args.seed)
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
