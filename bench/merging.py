#!/usr/bin/env python
"""Merging index segments: the archive's merge (a posting block at a time) beside Whoosh's own.

    .venv/bin/python bench/merging.py --data-dir var/bench/peer-100000/archive \\
        --segments 10 --articles-per-segment 2000
    .venv/bin/python bench/merging.py --smoke        # a few seconds, for the test suite

It reads the published articles of an archive (its database only, never its
index) and writes the first K x N of them (by pk) into a scratch index as K
segments of N articles, the documents prepared as the archive backend prepares
them, one commit each without merging. Then, `--rounds` times, it merges a copy
of those segments into one (`commit(optimize=True)`, in this process), Whoosh's
way (`SegmentWriter.add_reader` as Whoosh ships it: every posting read back,
pooled, sorted and written one by one) and the archive's
(archive.search.whoosh_merging: each term's lists copied a block at a time), in
alternating order, and times each (wall and CPU seconds). It checks that both
merges wrote the same segment, file by file and byte for byte, or else the
same index (every term's statistics and postings, the spelling words' counts,
stored fields, field lengths: Whoosh's pool, when it outgrows its memory,
writes a spelling word as two postings of the same total count), and prints a
Markdown table with the ratio of the medians.
"""

import argparse
import importlib.util
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = ".bench-merging"  # a scratch directory this script made and may empty

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data-dir", type=Path, help="the archive (default var/bench/peer-100000/archive)"
    )
    parser.add_argument("--scratch-dir", type=Path, help="default var/bench/merging")
    parser.add_argument("--segments", type=int, default=10, help="K segments to merge")
    parser.add_argument("--articles-per-segment", type=int, default=1000, help="N articles each")
    parser.add_argument("--rounds", type=int, default=2, help="merges each way")
    parser.add_argument(
        "--smoke", action="store_true", help="a tiny run on made-up articles in a temporary dir"
    )
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    temporary = None
    if args.smoke:
        temporary = Path(tempfile.mkdtemp(prefix="bench-merging-"))
        data_dir, scratch = temporary / "archive", temporary / "scratch"
        data_dir.mkdir()
        args.segments, args.articles_per_segment, args.rounds = 3, 10, 1
    else:
        data_dir = (args.data_dir or ROOT / "var" / "bench" / "peer-100000" / "archive").resolve()
        scratch = (args.scratch_dir or ROOT / "var" / "bench" / "merging").resolve()
        if not (data_dir / "archive.sqlite3").exists():
            sys.exit(f"No archive in {data_dir}; build one with bench/peer.py or bench/search.py.")
        if scratch == data_dir or data_dir in scratch.parents or scratch in data_dir.parents:
            sys.exit("The scratch directory must be apart from the archive.")
    prepare_scratch(scratch)
    for name in ("DATABASE_URL", "SEARCH_URL"):
        os.environ.pop(name, None)
    os.environ["ARCHIVE_DATA_DIR"] = str(data_dir)
    # The backend's own index is a scratch one: the archive's index is never opened.
    os.environ["SEARCH_URL"] = f"whoosh://{scratch / 'unused'}"
    os.environ["DEBUG"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = "archive.settings"
    import django

    django.setup()
    try:
        if args.smoke:
            load_indexing_bench().make_smoke_archive(
                data_dir, args.segments * args.articles_per_segment
            )
        return run(args, scratch)
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)


def load_indexing_bench():
    spec = importlib.util.spec_from_file_location("bench_indexing", ROOT / "bench" / "indexing.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prepare_scratch(scratch: Path) -> None:
    if scratch.exists() and any(scratch.iterdir()) and not (scratch / MARKER).exists():
        sys.exit(f"{scratch} is not empty and was not made by this benchmark.")
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    (scratch / MARKER).write_text("made by bench/merging.py; deleted by its next run\n")


def run(args, scratch: Path) -> int:
    from haystack import connections

    from archive.models import Article

    backend = connections["default"].get_backend()
    backend.setup()  # its schema, on the scratch index named by SEARCH_URL
    index = connections["default"].get_unified_index().get_index(Article)
    total = args.segments * args.articles_per_segment
    articles = list(index.index_queryset().order_by("pk")[:total])
    if len(articles) < total:
        sys.exit(f"The archive has {len(articles)} published articles, fewer than {total}.")
    segments = scratch / "segments"
    started = time.perf_counter()
    write_segments(backend, index, articles, args.articles_per_segment, segments)
    print(
        f"{machine()}\nWrote {args.segments} segments of {args.articles_per_segment} articles "
        f"in {time.perf_counter() - started:.1f} s; merging each way {args.rounds} time(s) …",
        flush=True,
    )
    times = {"whoosh": [], "archive": []}
    merged = {}
    for round_number in range(args.rounds):
        order = ("whoosh", "archive") if round_number % 2 == 0 else ("archive", "whoosh")
        for way in order:
            target = scratch / f"{way}-{round_number}"
            shutil.copytree(segments, target)
            wall, cpu, files = merge_copy(backend, target, whoosh_way=way == "whoosh")
            times[way].append((wall, cpu))
            if way in merged:
                shutil.rmtree(target)
            else:  # the first merge each way is kept, to compare
                merged[way] = (files, target)
            print(
                f"  round {round_number + 1}, {way}: {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True
            )
    same = merged["whoosh"][0] == merged["archive"][0]
    differences = [] if same else contents_differ(merged["whoosh"][1], merged["archive"][1])
    print_table(args, times, same, differences)
    return 0 if not differences else 1


def write_segments(backend, index, articles, per_segment: int, path: Path) -> None:
    """`articles` as segments of `per_segment` documents, one commit each, never merged."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.writing import NO_MERGE

    path.mkdir()
    storage = FileStorage(str(path))
    ix = storage.create_index(backend.schema)
    for start in range(0, len(articles), per_segment):
        writer = ix.writer(limitmb=1024)
        for document in backend.documents(index, articles[start : start + per_segment]):
            writer.add_document(**document)
        writer.commit(mergetype=NO_MERGE)


def merge_copy(backend, path: Path, *, whoosh_way: bool):
    """Merge the index at `path` into one segment; (wall s, CPU s, the segment's files)."""
    from whoosh import writing
    from whoosh.filedb.filestore import FileStorage

    from archive.search import whoosh_merging

    ix = FileStorage(str(path)).open_index(schema=backend.schema)
    archive_way = writing.SegmentWriter.add_reader
    if whoosh_way:
        writing.SegmentWriter.add_reader = whoosh_merging.WHOOSH_ADD_READER
    try:
        writer = ix.writer(limitmb=1024)
        wall, cpu = time.perf_counter(), time.process_time()
        writer.commit(optimize=True)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        writing.SegmentWriter.add_reader = archive_way
    ix = FileStorage(str(path)).open_index(schema=backend.schema)
    (segment,) = ix._segments()
    compound = segment.open_compound_file(ix.storage)
    files = {
        name.replace(segment.segment_id(), "SEGMENT"): compound.open_file(name).read()
        for name in sorted(compound.list())
    }
    compound.close()
    return wall, cpu, files


def contents_differ(path_a: Path, path_b: Path, most: int = 5) -> list[str]:
    """Where two indexes differ in what a search or a merge reads: every field's terms, each
    term's statistics and postings (the spelling lists: each word's count), every document's
    stored fields and field lengths; at most `most` differences."""
    from whoosh.filedb.filestore import FileStorage

    from archive.search.whoosh_writing import SPELLING_PREFIX

    found = []
    a, b = (FileStorage(str(path)).open_index().reader() for path in (path_a, path_b))
    names = sorted(set(a.indexed_field_names()) | set(b.indexed_field_names()))
    for name in names:
        words = list(a.lexicon(name))
        if words != list(b.lexicon(name)):
            found.append(f"{name}: not the same terms")
            continue
        for word in words:
            if name.startswith(SPELLING_PREFIX):
                same = a.frequency(name, word) == b.frequency(name, word)
            else:
                same = term_statistics(a, name, word) == term_statistics(b, name, word) and list(
                    a.postings(name, word).all_items()
                ) == list(b.postings(name, word).all_items())
            if not same:
                found.append(f"{name}: {word!r}")
                break
    if list(a.iter_docs()) != list(b.iter_docs()):
        found.append("stored fields")
    for name in names:
        if any(
            a.doc_field_length(d, name) != b.doc_field_length(d, name)
            for d in range(a.doc_count_all())
        ):
            found.append(f"{name}: field lengths")
    return found[:most]


def term_statistics(reader, name, word):
    info = reader.term_info(name, word)
    return (
        info.weight(),
        info.doc_frequency(),
        info.min_length(),
        info.max_length(),
        info.max_weight(),
        info.min_id(),
        info.max_id(),
    )


def print_table(args, times, same: bool, differences: list[str]) -> None:
    print()
    print(
        f"Merging {args.segments} segments of {args.articles_per_segment} articles into one, "
        f"{args.rounds} time(s) each way, alternately; seconds"
    )
    print()
    print("| merge | wall, each run | CPU, each run | median CPU |")
    print("|---|---:|---:|---:|")
    labels = {
        "whoosh": "Whoosh's (`add_reader` as shipped)",
        "archive": "the archive's (a block at a time)",
    }
    medians = {}
    for way in ("whoosh", "archive"):
        walls = ", ".join(f"{wall:.1f}" for wall, _ in times[way])
        cpus = ", ".join(f"{cpu:.1f}" for _, cpu in times[way])
        medians[way] = statistics.median(cpu for _, cpu in times[way])
        print(f"| {labels[way]} | {walls} | {cpus} | {medians[way]:.1f} |")
    print()
    ratio = medians["whoosh"] / medians["archive"] if medians["archive"] else float("inf")
    print(f"Whoosh's merge / the archive's: {ratio:.2f}× (CPU, medians)")
    print(f"Merged segments the same, byte for byte: {'yes' if same else 'no'}")
    if not same:
        # Whoosh's pool, once it outgrows its memory, goes through sorted runs and writes a
        # spelling word counted in two of them as two postings of document 0, whose
        # weights add up to the same count; the archive's merge writes one.
        print(
            "The same terms, statistics, postings, spelling counts, stored fields and field "
            f"lengths: {'yes' if not differences else 'NO: ' + '; '.join(differences)}"
        )


def machine() -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return f"{when}; load average {load}; {os.cpu_count()} CPU(s), Python {sys.version.split()[0]}"


if __name__ == "__main__":
    sys.exit(main())
