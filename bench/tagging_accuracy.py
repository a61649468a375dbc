#!/usr/bin/env python
"""Tagging accuracy: precision and recall of mentions on the hand-labelled sample, old and new.

    .venv/bin/python bench/tagging_accuracy.py [--old-code DIR]

The sample (tests/data/tagging-sample.json) holds the five seed articles and
92 articles of the BBC and Reuters corpora (../shared/corpus, read in place as
the importer reads them), and in them every occurrence of a curated entity's
spelling that the tagger before issue 13 found, each labelled by hand with the
entity it names or none (docs/entities.md says how). The rules were worked out
on its development set (the seeds and 69 articles); 23 more articles, labelled
after, are the held-out set, measured only; the last table gives each set. The vocabulary is
fixtures/entities.json, as `setup_demo` loads it; no database is used.

It prints a Markdown table: for each entity, and for all, how many mentions
the sample holds, how many each tagger tags, how many of those are right,
precision (right / tagged) and recall (right / labelled). "New" is this
checkout's tagger, with no editor's tag to confirm a partial spelling. "Old"
is what the sample recorded from the tagger before issue 13; with
--old-code DIR it is computed again from the checkout at DIR (a worktree of
an older commit), which must give the same figures.
"""

import argparse
import gzip
import inspect
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "tagging-sample.json"
CORPUS = ROOT.parent / "shared" / "corpus"

Span = tuple[str, int, int, int]  # article source, paragraph (¶1 first), start, end


def read_sample(path: Path = SAMPLE) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["articles"]


def labelled(articles: list[dict], column: str = "label") -> dict[Span, str]:
    """The sample's mentions that `column` gives an entity, by place."""
    return {
        (article["source"], m["paragraph"], m["start"], m["end"]): m[column]
        for article in articles
        for m in article["mentions"]
        if m[column] is not None
    }


def in_set(spans: dict[Span, str], articles: list[dict], name: str) -> dict[Span, str]:
    """The spans of the articles of one set of the sample ("development" or "held-out")."""
    sources = {article["source"] for article in articles if article["set"] == name}
    return {span: entity for span, entity in spans.items() if span[0] in sources}


def article_paragraphs(source: str, root: Path = ROOT) -> list[str]:
    """An article's paragraphs as the archive stores them after import."""
    from archive.ingest.jsonl import article_from_line
    from archive.ingest.seeds import parse_seed_text
    from archive.models import PARAGRAPH_SEPARATOR

    if "#" not in source:
        path = root / source
        return parse_seed_text(path, path.read_text(encoding="utf-8")).body.split(
            PARAGRAPH_SEPARATOR
        )
    name, record_id = source.split("#")
    path = CORPUS / name
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        for number, line in enumerate(stream, 1):
            if f'"{record_id}"' in line and json.loads(line)["id"] == record_id:
                return article_from_line(path, number, line).body.split(PARAGRAPH_SEPARATOR)
    raise LookupError(f"{record_id} is not in {path}")


def corpus_paragraphs(sources: list[str], root: Path = ROOT) -> dict[str, list[str]]:
    """Every article's paragraphs, each corpus file read once."""
    from archive.ingest.jsonl import article_from_line
    from archive.models import PARAGRAPH_SEPARATOR

    found = {s: article_paragraphs(s, root) for s in sources if "#" not in s}
    wanted: dict[str, set[str]] = {}
    for source in sources:
        if "#" in source:
            name, record_id = source.split("#")
            wanted.setdefault(name, set()).add(record_id)
    for name, ids in wanted.items():
        path = CORPUS / name
        with gzip.open(path, "rt", encoding="utf-8") as stream:
            for number, line in enumerate(stream, 1):
                record_id = str(json.loads(line)["id"])
                if record_id in ids:
                    body = article_from_line(path, number, line).body
                    found[f"{name}#{record_id}"] = body.split(PARAGRAPH_SEPARATOR)
    missing = set(sources) - set(found)
    if missing:
        raise LookupError(f"not found in {CORPUS}: {sorted(missing)}")
    return found


def fixture_vocabulary(root: Path = ROOT):
    """The fixture's entities as the checkout at `root` spells them, and their names by id.

    Works with the tagger before issue 13, whose spellings had no kind and
    whose aliases no scope, and with this one.
    """
    from archive.entities.matching import NameFinder, entity_spellings

    records = json.loads((root / "fixtures" / "entities.json").read_text(encoding="utf-8"))
    knows_kinds = "kind" in inspect.signature(entity_spellings).parameters
    scopes = {"full": False, "partial": True}
    aliases: dict[int, list] = {}
    for record in records:
        if record["model"] == "archive.alias":
            fields = record["fields"]
            alias = (fields["name"], fields["case_sensitive"])
            if knows_kinds:
                alias += (scopes.get(fields.get("scope", "")),)
            aliases.setdefault(fields["entity"], []).append(alias)
    spellings, names = [], {}
    for record in records:
        if record["model"] != "archive.entity":
            continue
        pk, fields = record["pk"], record["fields"]
        names[pk] = fields["name"]
        extra = {"kind": fields["kind"]} if knows_kinds else {}
        spellings += entity_spellings(pk, fields["name"], aliases.get(pk, []), **extra)
    return NameFinder(spellings), names


def tagged_spans(articles: list[dict], root: Path = ROOT) -> dict[Span, str]:
    """What the checkout at `root` tags in the sample's articles, by place."""
    finder, names = fixture_vocabulary(root)
    paragraphs = corpus_paragraphs([article["source"] for article in articles], root)
    tagged = {}
    for source, text in paragraphs.items():
        found = finder.tags(text).tags if hasattr(finder, "tags") else finder.find(text)
        for one in found:
            tagged[(source, one.paragraph, one.start, one.end)] = names[one.entity_id]
    return tagged


@dataclass
class Score:
    labelled: Counter = field(default_factory=Counter)
    tagged: Counter = field(default_factory=Counter)
    right: Counter = field(default_factory=Counter)

    def precision(self, entity: str | None = None) -> float | None:
        tagged = self.tagged.total() if entity is None else self.tagged[entity]
        right = self.right.total() if entity is None else self.right[entity]
        return right / tagged if tagged else None

    def recall(self, entity: str | None = None) -> float | None:
        labelled = self.labelled.total() if entity is None else self.labelled[entity]
        right = self.right.total() if entity is None else self.right[entity]
        return right / labelled if labelled else None


def score(truth: dict[Span, str], tagged: dict[Span, str]) -> Score:
    """Precision and recall counts: a tag is right when the label at its place is its entity.

    A tag at a place the sample does not hold counts as wrong.
    """
    result = Score()
    result.labelled.update(truth.values())
    result.tagged.update(tagged.values())
    result.right.update(e for span, e in tagged.items() if truth.get(span) == e)
    return result


def run_in(code: Path) -> dict[Span, str]:
    """`tagged_spans` computed by the checkout at `code`, in a process of its own."""
    done = subprocess.run(
        [sys.executable, __file__, "--spans-of", str(code)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(code)},
    )
    return {tuple(span): entity for span, entity in json.loads(done.stdout)}


def figure(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def table(truth: dict[Span, str], old: Score, new: Score) -> str:
    entities = sorted(set(truth.values()) | set(old.tagged) | set(new.tagged))
    lines = [
        "| entity | labelled | old tagged | old right | old precision | old recall "
        "| new tagged | new right | new precision | new recall |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for entity in [*entities, None]:
        row = [
            "**all**" if entity is None else entity,
            new.labelled.total() if entity is None else new.labelled[entity],
        ]
        for result in (old, new):
            row += [
                result.tagged.total() if entity is None else result.tagged[entity],
                result.right.total() if entity is None else result.right[entity],
                figure(result.precision(entity)),
                figure(result.recall(entity)),
            ]
        lines.append("| " + " | ".join(str(cell) for cell in row) + " |")
    return "\n".join(lines)


def setup_django(code: Path) -> None:
    sys.path.insert(0, str(code))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
    import django

    django.setup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old-code", type=Path, help="a checkout of the tagger before issue 13")
    parser.add_argument("--spans-of", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    articles = read_sample()
    if options.spans_of:
        setup_django(options.spans_of)
        spans = tagged_spans(articles, options.spans_of)
        json.dump([[list(span), entity] for span, entity in spans.items()], sys.stdout)
        return
    setup_django(ROOT)
    truth = labelled(articles)
    tagged = tagged_spans(articles)
    new = score(truth, tagged)
    recorded = labelled(articles, "old")
    if options.old_code:
        computed = run_in(options.old_code.resolve())
        if computed != recorded:
            sys.exit(f"{options.old_code} does not tag the sample as recorded: not the old code?")
    old = score(truth, recorded)
    count = sum(len(article["mentions"]) for article in articles)
    print(
        f"Sample: {len(articles)} articles, {count} occurrences of curated spellings, "
        f"{len(truth)} of them mentions of the entity they spell.\n"
    )
    print(table(truth, old, new))
    print("\nBy set (the rules were worked out on the development set):\n")
    print(sets_table(articles, truth, recorded, tagged))


def sets_table(articles, truth, old_tags, new_tags) -> str:
    lines = [
        "| set | articles | occurrences | labelled | old precision | old recall "
        "| new precision | new recall |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in ("development", "held-out"):
        chosen = [article for article in articles if article["set"] == name]
        truth_of = in_set(truth, articles, name)
        old = score(truth_of, in_set(old_tags, articles, name))
        new = score(truth_of, in_set(new_tags, articles, name))
        count = sum(len(article["mentions"]) for article in chosen)
        lines.append(
            f"| {name} | {len(chosen)} | {count} | {len(truth_of)} | {figure(old.precision())} "
            f"| {figure(old.recall())} | {figure(new.precision())} | {figure(new.recall())} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
