"""A tiny run of bench/quotes.py, so the extraction figures in docs/quotes.md can be reproduced."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def test_quotes_benchmark_prints_its_table_with_no_misses():
    command = [sys.executable, "bench/quotes.py", "--bbc", "50"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| sample | labelled quotes | span precision | span recall |" in done.stdout
    assert "| **both** | " in done.stdout
    assert "guessed" not in done.stdout  # no quote the labels leave unattributed was attributed
