#!/usr/bin/env python
"""The search engines alone: Whoosh 2.7.4 and SQLite FTS5 indexing the same articles' text.

    .venv/bin/python bench/engine_floor.py --articles 100000
    .venv/bin/python bench/engine_floor.py --smoke        # a second or two, for the test suite

`bench/peer.py` times the archive from JSON Lines to searchable against
Datasette (sqlite-utils and FTS5). This script measures how much of that
difference the engines themselves make, with nothing of the archive: the
first N corpus records with a body (the records peer.py uses), their title and
body indexed

1. by Whoosh alone, in one process: a schema of an id and two stemmed text
   fields (`StemmingAnalyzer`, positions kept, as FTS5 keeps them; it leaves
   out stop words, which FTS5 indexes), one writer, one commit;
2. by Whoosh alone in `--procs` processes (`MpWriter`, `multisegment=True`:
   each process writes its own segment and nothing is merged, the most
   favourable case for Whoosh; the archive's rebuild runs two);
3. by SQLite FTS5 with the porter tokenizer (what `sqlite-utils enable-fts
   --fts5 --tokenize porter` builds for Datasette): the rows inserted into a
   table, then an external-content FTS5 table over it rebuilt, in a database
   file in the scratch directory.

Each is timed wall and CPU (a Whoosh run's processes counted), in one run one
after the other, and printed as a Markdown table with the ratio to FTS5.
"""

import argparse
import platform
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import whoosh
from peer import CORPUS_DIR, write_records
from whoosh import fields, index
from whoosh.analysis import StemmingAnalyzer


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--procs", type=int, default=2, help="Whoosh writer processes")
    parser.add_argument("--limitmb", type=int, default=256, help="Whoosh's pool per process")
    parser.add_argument("--corpus-dir", type=Path, default=CORPUS_DIR)
    parser.add_argument("--smoke", action="store_true", help="30 articles, for the test suite")
    args = parser.parse_args(argv)
    if args.smoke:
        args.articles = 30
    scratch = Path(tempfile.mkdtemp(prefix="bench-engine-floor-"))
    try:
        records = write_records(args.articles, args.corpus_dir, scratch / "articles.jsonl")
        rows = [(str(i), r.get("title") or "", r["body"]) for i, r in enumerate(records)]
        print(
            f"{len(rows):,} articles, {sum(len(r[1]) + len(r[2]) for r in rows) / 1e6:.1f} M "
            f"characters; Python {platform.python_version()}, Whoosh "
            f"{whoosh.versionstring()}, SQLite {sqlite3.sqlite_version}",
            flush=True,
        )
        fts5 = timed(lambda: index_fts5(rows, scratch / "fts5.db"))
        results = [
            (
                "Whoosh, 1 process",
                timed(lambda: index_whoosh(rows, scratch / "w1", 1, args.limitmb)),
            ),
            (
                f"Whoosh, {args.procs} processes, no merge",
                timed(lambda: index_whoosh(rows, scratch / "wn", args.procs, args.limitmb)),
            ),
            ("SQLite FTS5 (porter)", fts5),
        ]
        print()
        print("| engine alone | wall s | CPU s | wall / FTS5 | CPU / FTS5 |")
        print("|---|---:|---:|---:|---:|")
        for name, (wall, cpu) in results:
            print(
                f"| {name} | {wall:,.1f} | {cpu:,.1f} | "
                f"{ratio(wall, fts5[0])} | {ratio(cpu, fts5[1])} |"
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


def ratio(value: float, base: float) -> str:
    return f"{value / base:,.1f}×" if base > 0 else "–"


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(work) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), cpu_seconds()
    work()
    return time.perf_counter() - wall, cpu_seconds() - cpu


def index_whoosh(rows, path: Path, procs: int, limitmb: int) -> None:
    path.mkdir()
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(analyzer=StemmingAnalyzer()),
        body=fields.TEXT(analyzer=StemmingAnalyzer()),
    )
    ix = index.create_in(str(path), schema)
    if procs > 1:
        writer = ix.writer(procs=procs, limitmb=limitmb, multisegment=True)
    else:
        writer = ix.writer(limitmb=limitmb)
    for key, title, body in rows:
        writer.add_document(id=key, title=title, body=body)
    writer.commit()
    with ix.searcher() as searcher:
        assert searcher.doc_count() == len(rows), (searcher.doc_count(), len(rows))
    ix.close()


def index_fts5(rows, path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE articles (id TEXT PRIMARY KEY, title TEXT, body TEXT)")
    db.executemany("INSERT INTO articles VALUES (?, ?, ?)", rows)
    db.execute(
        "CREATE VIRTUAL TABLE articles_fts USING fts5"
        "(title, body, content='articles', tokenize='porter')"
    )
    db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
    db.commit()
    (count,) = db.execute(
        "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'the'"
    ).fetchone()
    assert count > 0
    db.close()


if __name__ == "__main__":
    sys.exit(main())
