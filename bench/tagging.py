#!/usr/bin/env python
"""Tagging speed: the archive's Aho-Corasick tagger beside naive matching, on the Reuters corpus.

    .venv/bin/python bench/tagging.py --articles 20000 [--aliases 10000] [--baseline-articles 200]

No database and no Django: the tagger is a pure function on paragraphs. In one run it
1. builds a vocabulary of --aliases spellings: the fixture's (fixtures/entities.json, by
   the archive's own naming convention) plus synthetic names drawn from the corpus titles
   (capitalised word pairs, then single capitalised words not starting a title; proper
   names before ordinary words, most frequent first, so every run gets the same ones;
   every fifth one case-sensitive);
2. reads the first N articles with a body from
   ../shared/corpus/reuters_financial_2006_2013/jsonl/*.jsonl.gz in place, split into
   paragraphs by the importer's own `clean_body`;
3. times the archive's tagger (`NameFinder.find`) over all N articles, and on the first
   --baseline-articles of them times it again beside two naive taggers:
     regex     one compiled, case-insensitive alternation of every spelling, longest first,
               with word boundaries
     scan      for each spelling, a substring test on the lower-cased paragraph, then a
               word-boundary regex of that spelling where the test succeeds;
4. prints a Markdown table: articles/s, the time 100,000 articles would take, mentions
   found, and how many times faster the archive's tagger is than each baseline.
"""

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.entities.matching import NameFinder, Spelling, entity_spellings  # noqa: E402
from archive.ingest.cleaning import clean_body  # noqa: E402

CORPUS_DIR = ROOT.parent / "shared" / "corpus" / "reuters_financial_2006_2013" / "jsonl"
ENTITIES_FIXTURE = ROOT / "fixtures" / "entities.json"
PROJECTED_ARTICLES = 100_000
SYNTHETIC_IDS = 1_000_000  # far above the fixture's entity ids
CAPITALISED = re.compile(r"[A-Z][a-z]+(?:-[A-Z][a-z]+)*")
PUNCTUATION = ",.:;?!'\"()"


def corpus_records():
    for path in sorted(CORPUS_DIR.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as stream:
            for line in stream:
                yield json.loads(line)


def fixture_spellings() -> list[Spelling]:
    records = json.loads(ENTITIES_FIXTURE.read_text(encoding="utf-8"))
    aliases = {}
    for record in records:
        if record["model"] == "archive.alias":
            fields = record["fields"]
            aliases.setdefault(fields["entity"], []).append(
                (fields["name"], fields["case_sensitive"])
            )
    return [
        spelling
        for record in records
        if record["model"] == "archive.entity"
        for spelling in entity_spellings(
            record["pk"], record["fields"]["name"], aliases.get(record["pk"], [])
        )
    ]


def title_names() -> list[str]:
    """Names from every title: capitalised word pairs, then single capitalised words.

    Names come first whose words are not ordinary ones (written lower case in
    titles at least as often): "Wall Street", "Boeing" before "Stocks Rise".
    The commonest come first in each group, so every run picks the same ones.
    """
    pairs, singles, lower_case = Counter(), Counter(), Counter()
    for record in corpus_records():
        words = [w.strip(PUNCTUATION) for w in (record.get("title") or "").split()]
        lower_case.update(w for w in words if w.islower())
        names = [w if CAPITALISED.fullmatch(w) else None for w in words]
        for first, second in zip(names, names[1:], strict=False):
            if first and second:
                pairs[f"{first} {second}"] += 1
        singles.update(name for name in names[1:] if name)

    def ordinary(word):
        return lower_case[word.lower()] >= singles[word]

    def rank(counts, is_name):
        return sorted(counts, key=lambda name: (not is_name(name), -counts[name], name))

    return rank(pairs, lambda pair: not all(ordinary(w) for w in pair.split())) + rank(
        singles, lambda word: not ordinary(word)
    )


def vocabulary_spellings(size: int) -> list[Spelling]:
    spellings = fixture_spellings()
    taken = {s.text.casefold() for s in spellings}
    for number, name in enumerate(title_names()):
        if len(spellings) >= size:
            break
        if name.casefold() not in taken:
            taken.add(name.casefold())
            spellings.append(Spelling(name, SYNTHETIC_IDS + number, number % 5 == 0))
    if len(spellings) < size:
        sys.exit(f"only {len(spellings):,} distinct names in the corpus titles")
    return spellings


def read_articles(count: int) -> list[list[str]]:
    articles = []
    for record in corpus_records():
        paragraphs = clean_body(record.get("body") or "")
        if paragraphs:
            articles.append(paragraphs)
            if len(articles) == count:
                return articles
    sys.exit(f"the corpus at {CORPUS_DIR} has only {len(articles):,} articles with a body")


class RegexTagger:
    """One alternation of every spelling: what one writes first."""

    def __init__(self, spellings: list[Spelling]):
        texts = sorted({s.text for s in spellings}, key=len, reverse=True)
        alternation = "|".join(re.escape(text) for text in texts)
        self.pattern = re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE)

    def count(self, paragraphs: list[str]) -> int:
        return sum(1 for p in paragraphs for _ in self.pattern.finditer(p))


class ScanTagger:
    """Every spelling tested against every paragraph: what one writes second."""

    def __init__(self, spellings: list[Spelling]):
        self.spellings = [
            (s.text.lower(), re.compile(rf"(?<!\w){re.escape(s.text)}(?!\w)", re.IGNORECASE))
            for s in spellings
        ]

    def count(self, paragraphs: list[str]) -> int:
        found = 0
        for paragraph in paragraphs:
            lowered = paragraph.lower()
            for text, pattern in self.spellings:
                if text in lowered:
                    found += sum(1 for _ in pattern.finditer(paragraph))
        return found


def timed(count_mentions, articles: list[list[str]], at_least: float = 0.0) -> tuple[float, int]:
    """Seconds for one pass over `articles` (the mean of as many as fill `at_least`), mentions."""
    passes, started = 0, time.perf_counter()
    while True:
        mentions = sum(count_mentions(paragraphs) for paragraphs in articles)
        passes += 1
        elapsed = time.perf_counter() - started
        if elapsed >= at_least:
            return elapsed / passes, mentions


def duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:,.1f} s"
    if seconds < 7_200:
        return f"{seconds / 60:,.1f} min"
    return f"{seconds / 3_600:,.1f} h"


def row(label: str, articles: int, seconds: float, mentions: int) -> str:
    rate = articles / seconds
    return (
        f"| {label} | {articles:,} | {seconds:,.2f} | {rate:,.0f} | "
        f"{duration(PROJECTED_ARTICLES / rate)} | {mentions:,} |"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--aliases", type=int, default=10_000)
    parser.add_argument("--baseline-articles", type=int, default=200)
    args = parser.parse_args(argv)
    if not any(CORPUS_DIR.glob("*.jsonl.gz")):
        sys.exit(f"no corpus at {CORPUS_DIR}")

    spellings = vocabulary_spellings(args.aliases)
    articles = read_articles(args.articles)
    sample = articles[: args.baseline_articles]

    started = time.perf_counter()
    vocabulary = NameFinder(spellings)
    built = time.perf_counter() - started
    started = time.perf_counter()
    regex = RegexTagger(spellings)
    compiled = time.perf_counter() - started
    scan = ScanTagger(spellings)

    def archive_count(paragraphs):
        return len(vocabulary.find(paragraphs))

    results = [
        ("archive tagger (Aho-Corasick)", len(articles), *timed(archive_count, articles)),
        ("archive tagger, baseline sample", len(sample), *timed(archive_count, sample, 1.0)),
        ("regex alternation", len(sample), *timed(regex.count, sample)),
        ("per-spelling scan", len(sample), *timed(scan.count, sample)),
    ]

    paragraphs = sum(len(a) for a in articles)
    characters = sum(len(p) for a in articles for p in a)
    print(
        f"Vocabulary: {len(spellings):,} spellings ({vocabulary.size:,} automaton keys with "
        f"plurals), built in {built:.2f} s; the regex compiled in {compiled:.2f} s.\n"
        f"Articles: {len(articles):,} ({paragraphs:,} paragraphs, {characters:,} characters); "
        f"baselines on the first {len(sample):,}.\n"
    )
    print(
        f"| tagger | articles | seconds | articles/s | {PROJECTED_ARTICLES:,} articles | mentions |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for result in results:
        print(row(*result))
    sample_rate = len(sample) / results[1][2]
    print()
    for label, count, seconds, _ in results[2:]:
        print(f"The archive tagger is {sample_rate / (count / seconds):,.0f}× faster than {label}.")


if __name__ == "__main__":
    main()
