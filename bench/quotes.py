#!/usr/bin/env python
"""Quote extraction: precision and recall on the hand-labelled sample, and speed on BBC News.

    .venv/bin/python bench/quotes.py [--bbc 2225]

No database: the extractor is a pure function of an article's paragraphs and
the names the tagger finds in them (archive.quotes.extraction).

1. The hand-labelled sample is the one the tests check
   (tests/test_quotes_extraction.py): every quotation in the five seed
   articles as imported (fixtures/seed_articles.json, tagged with
   fixtures/entities.json), and the tricky sentences. For each it counts
   **spans**: a found quote is right when its words are exactly the labelled
   words (same paragraph); precision = right / found, recall = right /
   labelled; **speakers**, on the spans found: an attribution is right when it
   names the labelled speaker (the entity's name, or the name as written
   when no entity exists); precision = right / attributions made, recall =
   right / labelled attributions; and **guesses**: quotes the label leaves
   unattributed that the extractor attributed anyway (the rule is never to).
2. On the first --bbc articles of ../shared/corpus/bbc/bbc.jsonl.gz (read in
   place, no labels): articles per second, quotes found, and the share
   attributed.
"""

import argparse
import gzip
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")

import django  # noqa: E402

django.setup()

from test_quotes_extraction import PEOPLE, SEED_QUOTES, TRICKY, find_in_case  # noqa: E402

from archive.entities.matching import NameFinder, entity_spellings  # noqa: E402
from archive.paragraphs import numbered  # noqa: E402
from archive.quotes.extraction import find_quotes, names_from_vocabulary  # noqa: E402

BBC = ROOT.parent / "shared" / "corpus" / "bbc" / "bbc.jsonl.gz"


def fixture_vocabulary() -> tuple[NameFinder, dict[int, str], dict[int, str]]:
    records = json.loads((ROOT / "fixtures" / "entities.json").read_text(encoding="utf-8"))
    entities = {r["pk"]: r["fields"] for r in records if r["model"] == "archive.entity"}
    aliases: dict[int, list] = {}
    for record in records:
        if record["model"] == "archive.alias":
            fields = record["fields"]
            aliases.setdefault(fields["entity"], []).append(
                (fields["name"], fields["case_sensitive"])
            )
    spellings = [
        spelling
        for pk, fields in entities.items()
        for spelling in entity_spellings(pk, fields["name"], aliases.get(pk, []))
    ]
    kinds = {pk: fields["kind"] for pk, fields in entities.items()}
    names = {pk: fields["name"] for pk, fields in entities.items()}
    return NameFinder(spellings), kinds, names


def seed_bodies() -> dict[str, str]:
    records = json.loads((ROOT / "fixtures" / "seed_articles.json").read_text(encoding="utf-8"))
    return {
        r["fields"]["slug"]: r["fields"]["body"] for r in records if r["model"] == "archive.article"
    }


def label(quote, entity_names: dict[int, str]) -> str:
    return entity_names[quote.speaker_id] if quote.speaker_id is not None else quote.speaker_name


class Score:
    def __init__(self):
        self.found = self.labelled = self.spans_right = 0
        self.attributed = self.labelled_speakers = self.speakers_right = self.guesses = 0
        self.misses: list[str] = []

    def add(self, found: dict[tuple, str], labelled: dict[tuple, str], where: str):
        """`found` and `labelled` map (document, paragraph, words) to a speaker ("" for none)."""
        self.found += len(found)
        self.labelled += len(labelled)
        self.labelled_speakers += sum(1 for speaker in labelled.values() if speaker)
        for key, speaker in found.items():
            if speaker:
                self.attributed += 1
            if key not in labelled:
                self.misses.append(f"{where}: found, not labelled: {key[2][:60]!r}")
                continue
            self.spans_right += 1
            expected = labelled[key]
            if speaker and speaker == expected:
                self.speakers_right += 1
            elif speaker and not expected:
                self.guesses += 1
                self.misses.append(f"{where}: guessed {speaker!r} for {key[2][:50]!r}")
            elif speaker != expected:
                self.misses.append(
                    f"{where}: speaker {speaker!r}, labelled {expected!r}: {key[2][:50]!r}"
                )
        for key in labelled.keys() - found.keys():
            self.misses.append(f"{where}: labelled, not found: {key[2][:60]!r}")

    def row(self, name: str) -> str:
        def ratio(a, b):
            return f"{a / b:.2f} ({a}/{b})" if b else "n/a"

        return (
            f"| {name} | {self.labelled} | {ratio(self.spans_right, self.found)} | "
            f"{ratio(self.spans_right, self.labelled)} | "
            f"{ratio(self.speakers_right, self.attributed)} | "
            f"{ratio(self.speakers_right, self.labelled_speakers)} | {self.guesses} |"
        )


def score_seeds() -> Score:
    vocabulary, kinds, entity_names = fixture_vocabulary()
    score = Score()
    for slug, body in sorted(seed_bodies().items()):
        paragraphs = body.split("\n\n")
        quotes = find_quotes(paragraphs, names_from_vocabulary(paragraphs, vocabulary, kinds))
        found = {(slug, q.paragraph, q.text): label(q, entity_names) for q in quotes}
        labelled = {
            (s, paragraph, words): speaker
            for s, paragraph, words, speaker in SEED_QUOTES
            if s == slug
        }
        score.add(found, labelled, slug[:30])
    return score


def score_tricky() -> Score:
    score = Score()
    for case in TRICKY:
        quotes = find_in_case(case)
        found = {(case.name, q.paragraph, q.text): label(q, PEOPLE) for q in quotes}
        labelled = {}
        for words, speaker in case.expected:
            paragraph = next(n for n, p in numbered(case.paragraphs) if words in p)
            labelled[(case.name, paragraph, words)] = speaker
        score.add(found, labelled, case.name)
    return score


def bbc_speed(limit: int) -> str:
    if not BBC.exists():
        return f"(BBC corpus not found at {BBC}: skipped)"
    vocabulary, kinds, _ = fixture_vocabulary()
    articles = []
    with gzip.open(BBC, "rt", encoding="utf-8") as stream:
        for line in stream:
            record = json.loads(line)
            if record.get("body"):
                articles.append([p for p in record["body"].split("\n\n") if p.strip()])
            if len(articles) >= limit:
                break
    started = time.perf_counter()
    quotes = attributed = 0
    for paragraphs in articles:
        found = find_quotes(paragraphs, names_from_vocabulary(paragraphs, vocabulary, kinds))
        quotes += len(found)
        attributed += sum(1 for q in found if q.speaker_name)
    elapsed = time.perf_counter() - started
    return (
        f"BBC News, first {len(articles):,} articles: {len(articles) / elapsed:,.0f} articles/s "
        f"(tagging names included), {quotes:,} quotes found ({quotes / len(articles):.1f} per "
        f"article), {attributed / max(quotes, 1):.0%} attributed to a named speaker."
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bbc", type=int, default=2225, help="BBC articles to time (0: none)")
    parser.add_argument("--misses", action="store_true", help="list every disagreement")
    args = parser.parse_args()
    seeds, tricky = score_seeds(), score_tricky()
    both = Score()
    for part in (seeds, tricky):
        for name in vars(both):
            value = getattr(part, name)
            setattr(both, name, getattr(both, name) + value)
    print(
        "| sample | labelled quotes | span precision | span recall | speaker precision | "
        "speaker recall | guesses |"
    )
    print("|---|---|---|---|---|---|---|")
    print(seeds.row("five seed articles"))
    print(tricky.row(f"{len(TRICKY)} tricky cases"))
    print(both.row("**both**"))
    if args.misses or both.misses:
        print()
        for miss in both.misses:
            print(f"- {miss}")
    if args.bbc:
        print()
        print(bbc_speed(args.bbc))


if __name__ == "__main__":
    main()
