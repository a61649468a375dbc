"""Tiny runs of the benchmarks (bench/search.py, bench/quote_search.py, …), so they keep working
as the code changes."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow
CORPUS = ROOT.parent / "shared" / "corpus" / "reuters_financial_2006_2013" / "jsonl"


def run_bench(script, *args, timeout):
    """Run a benchmark script as a user would; it must succeed."""
    command = [sys.executable, script, *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_search_benchmark_runs_and_prints_its_table(tmp_path):
    if not any(CORPUS.glob("reuters-financial-*.jsonl.gz")):
        pytest.skip(f"the Reuters financial corpus is not at {CORPUS}")
    done = run_bench(
        "bench/search.py",
        "--articles",
        "80",
        "--queries-per-kind",
        "3",
        "--repeats",
        "1",
        "--data-dir",
        str(tmp_path / "bench"),
        timeout=120,
    )
    assert "80 new, 0 unchanged, 0 updated" in done.stdout
    assert "| kind | archive p50 / p95 ms |" in done.stdout
    for kind in ("term", "phrase", "filtered", "faceted", "**all**"):
        assert f"| {kind} | " in done.stdout
    assert "archive p95 is" in done.stdout
    # bench/search_speed.py times the search pages of a served archive built this way.
    speed = run_bench(
        "bench/search_speed.py",
        "--data-dir",
        str(tmp_path / "bench"),
        "--queries-per-kind",
        "2",
        "--repeats",
        "1",
        timeout=120,
    )
    assert "| kind | searches × repeats | this p50 / p95 ms |" in speed.stdout
    for kind in ("term", "phrase", "filtered", "filter only"):
        assert f"| {kind} | 2 | " in speed.stdout
    # bench/page_times.py times pages of the same archive in one process.
    pages = run_bench(
        "bench/page_times.py",
        "--data-dir",
        str(tmp_path / "bench"),
        "--repeats",
        "1",
        "--rounds",
        "1",
        "/quotes/?q=said",
        "/search/?q=bank",
        timeout=120,
    )
    rows = [line for line in pages.stdout.splitlines() if line.startswith("| `/")]
    assert [row.split(" | ")[0] for row in rows] == ["| `/quotes/?q=said`", "| `/search/?q=bank`"]
    assert all(row.split(" | ")[1].rstrip(" |").replace(",", "").isdigit() for row in rows)


def test_pages_benchmark_serves_every_page_kind_over_http():
    done = run_bench("bench/pages.py", "--smoke", "--duration", "0.2", timeout=180)
    assert "| page kind | pages | requests | errors |" in done.stdout
    rows = {line.split(" | ")[0][2:]: line for line in done.stdout.splitlines() if "|" in line}
    for kind in ("home", "list first", "list deep", "article", "source", "entity", "search"):
        assert f"| {kind} | " in done.stdout
        errors = rows[kind].split(" | ")[3]
        assert errors == "0", rows[kind]


def test_indexing_benchmark_smoke_run_prints_its_tables():
    # --smoke makes its own tiny archive of made-up articles: no corpus needed.
    done = run_bench("bench/indexing.py", "--smoke", timeout=180)
    assert "| writer | articles | seconds | docs/s | segments | index MiB |" in done.stdout
    for writer in ("| archive: backend `update()`", "| raw Whoosh, single process", "| stock"):
        assert writer in done.stdout
    assert "`manage.py rebuild_index --noinput`" in done.stdout
    assert "archive / stock haystack:" in done.stdout
    assert "| after optimize | 1 |" in done.stdout


def test_merging_benchmark_merges_both_ways_into_the_same_segment():
    # --smoke makes its own tiny archive of made-up articles: no corpus needed.
    done = run_bench("bench/merging.py", "--smoke", timeout=180)
    assert "| merge | wall, each run | CPU, each run | median CPU |" in done.stdout
    assert "| Whoosh's (`add_reader` as shipped) |" in done.stdout
    assert "| the archive's (a block at a time) |" in done.stdout
    assert "Merged segments the same, byte for byte: yes" in done.stdout


def test_incremental_benchmark_finds_every_edit_right_after_its_save():
    done = run_bench("bench/incremental.py", "--smoke", timeout=180)
    assert "edits not found by a search right after their save: 0" in done.stdout
    for variant in ("admin save, commit and index update", "raw Whoosh update_document"):
        assert f"| {variant}" in done.stdout


def test_large_article_benchmark_times_every_part_of_the_page(tmp_path):
    done = run_bench(
        "bench/large_article.py",
        "--chars",
        "5000",
        "--repeat",
        "1",
        "--data-dir",
        str(tmp_path / "large"),
        timeout=180,
    )
    assert "One article of 4," in done.stdout
    for part in (
        "| page |",
        "| related_documents |",
        "| article_quotes |",
        "| admin change page |",
        "| editor's save: its transaction |",
    ):
        assert part in done.stdout


def test_dates_benchmark_times_every_date_page():
    if not any(CORPUS.glob("reuters-financial-*.jsonl.gz")):
        pytest.skip(f"the Reuters financial corpus is not at {CORPUS}")
    done = run_bench("bench/dates.py", "--articles", "300", "--repeat", "1", timeout=120)
    assert "300 articles written" in done.stdout
    for page in ("/dates/", "/dates/2008/06/", "/dates/unknown/"):
        assert f"| `{page}` | " in done.stdout


def test_quote_search_benchmark_times_every_query_kind(tmp_path):
    if not (CORPUS / "reuters-financial-2006.jsonl.gz").exists():
        pytest.skip(f"the Reuters financial corpus is not at {CORPUS}")
    done = run_bench(
        "bench/quote_search.py",
        "--corpus",
        "reuters-financial-2006",
        "--articles",
        "40",
        "--repeats",
        "1",
        "--data-dir",
        str(tmp_path / "bench"),
        timeout=180,
    )
    assert "| query | hits | JSON p50 ms |" in done.stdout
    for kind in ("common word", "phrase", "wildcard", "every quote, page 1"):
        assert f"| {kind} (" in done.stdout or f"| {kind} |" in done.stdout


def test_near_quotes_benchmark_measures_every_change(tmp_path):
    bbc = ROOT.parent / "shared" / "corpus" / "bbc" / "bbc.jsonl.gz"
    if not bbc.exists():
        pytest.skip(f"the BBC corpus is not at {bbc}")
    done = run_bench(
        "bench/near_quotes.py",
        "--articles",
        "30",
        "--quotes",
        "3",
        "--data-dir",
        str(tmp_path / "near"),
        timeout=180,
    )
    for change in ("exact", "a word changed", "a word dropped", "two words swapped", "cut"):
        assert f"| {change} | " in done.stdout


EXTRACTION_CORPUS = ROOT.parent / "shared" / "corpus" / "article-extraction-dev"


@pytest.mark.skipif(
    not (EXTRACTION_CORPUS / "ground-truth.json").is_file(),
    reason="the article-extraction corpus is not on this machine",
)
def test_extraction_benchmark_captures_pages_and_scores_the_stored_body():
    done = run_bench("bench/extraction.py", "--limit", "1", "--per-page", timeout=180)
    rows = [line for line in done.stdout.splitlines() if line.startswith("| **the archive's")]
    assert len(rows) == 1 and "| 0 |" in rows[0], done.stdout  # no page came out empty
    assert "| trafilatura 2.3.1, default settings |" in done.stdout
    assert "| 042bb7b5 | tuning | wsj.com |" in done.stdout


def test_the_extraction_score_follows_the_benchmark_rule():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from extraction import overall, page_score
    finally:
        sys.path.remove(str(ROOT / "bench"))
    truth = "one two three four five six"  # 3 four-grams
    perfect = page_score(truth, truth)
    assert (perfect.precision, perfect.recall) == (1.0, 1.0)
    # Two of the three 4-grams found, among five: counts normalised to sum to one.
    part = page_score(truth, "one two three four five nine ten eleven")
    assert (part.tp, part.fp, part.fn) == pytest.approx((2 / 6, 3 / 6, 1 / 6))
    assert part.precision == pytest.approx(2 / 5) and part.recall == pytest.approx(2 / 3)
    empty = page_score(truth, "")
    assert empty.precision is None and empty.recall == 0.0  # no precision for nothing found
    score = overall([perfect, empty])
    assert (score.precision, score.recall) == (1.0, 0.5)
    assert score.f1 == pytest.approx(2 / 3)


def test_crawl_import_benchmark_imports_its_crawl_and_reports_memory(tmp_path):
    done = run_bench(
        "bench/crawl_import.py",
        "--pages",
        "2",
        "--megabytes",
        "2",
        "--data-dir",
        str(tmp_path),
        timeout=180,
    )
    assert "| crawl file | records | pages | import seconds | peak memory MiB |" in done.stdout
    assert "2 page(s) archived, 0 already archived, 0 failed. Skipped: 1 not HTML." in done.stdout


def test_peer_benchmark_times_every_query_kind_on_the_served_archive():
    if not any(CORPUS.glob("reuters-financial-*.jsonl.gz")):
        pytest.skip(f"the Reuters financial corpus is not at {CORPUS}")
    # Without Datasette: its virtualenv is made by the first real run, not by the suite.
    done = run_bench("bench/peer.py", "--smoke", "--no-datasette", timeout=180)
    for kind in ("term", "phrase", "filtered", "filter only"):
        assert f"| {kind} search p50 / p95 | " in done.stdout
        assert f"- {kind} (e.g. " in done.stdout
        assert f"| {kind}: `" in done.stdout  # its slowest queries, each with its median
    assert "| server memory after the run: RSS (anonymous part) | " in done.stdout
    assert "| from JSON Lines to searchable | " in done.stdout and "(import " in done.stdout


def test_engine_floor_benchmark_indexes_the_same_articles_with_both_engines():
    if not any(CORPUS.glob("reuters-financial-*.jsonl.gz")):
        pytest.skip(f"the Reuters financial corpus is not at {CORPUS}")
    done = run_bench("bench/engine_floor.py", "--smoke", timeout=120)
    assert done.stdout.startswith("30 articles, ")
    lines = done.stdout.splitlines()
    rows = [line for line in lines if line.startswith("| ") and "---" not in line]
    names = [row.split(" | ")[0].removeprefix("| ") for row in rows[1:]]
    assert names == ["Whoosh, 1 process", "Whoosh, 2 processes, no merge", "SQLite FTS5 (porter)"]
    assert rows[-1].endswith("| 1.0× | 1.0× |")
