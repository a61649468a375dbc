"""A tiny run of bench/tagging.py, so the tagging benchmark keeps working as the code changes."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow
CORPUS = ROOT.parent / "shared" / "corpus" / "reuters_financial_2006_2013" / "jsonl"


def test_tagging_benchmark_runs_and_prints_its_table():
    if not any(CORPUS.glob("reuters-financial-*.jsonl.gz")):
        pytest.skip(f"the Reuters financial corpus is not at {CORPUS}")
    command = [
        sys.executable,
        "bench/tagging.py",
        "--articles",
        "300",
        "--aliases",
        "2000",
        "--baseline-articles",
        "10",
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Vocabulary: 2,000 spellings" in done.stdout
    header = "| tagger | articles | seconds | articles/s | 100,000 articles | mentions |"
    assert header in done.stdout
    for tagger in ("archive tagger (Aho-Corasick)", "regex alternation", "per-spelling scan"):
        assert f"| {tagger} | " in done.stdout
    assert "faster than regex alternation" in done.stdout
