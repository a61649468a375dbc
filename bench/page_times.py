#!/usr/bin/env python
"""A few pages of an existing archive timed in one process, side by side with other checkouts.

    .venv/bin/python bench/page_times.py --data-dir var/bench/search-100000 \\
        --compare-checkout /tmp/old /quotes/?q=said "/search/?q=bank"

Each path is asked through Django's test client (the server's whole work for the
request, without HTTP) of the archive in `--data-dir`, once untimed and then `--repeats`
times; the best time is printed. With `--compare-checkout DIR` (e.g. `git worktree add
--detach /tmp/old <commit>`), the same is done by the code in DIR, in its own process,
and the checkouts take turns `--rounds` times, so both are measured on the machine as it
is at that moment. The data directory is only read (a page that writes, such as an
article's first related list, writes to it).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="pages to time, such as /quotes/?q=said")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--compare-checkout", type=Path, action="append", default=[])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--in-checkout", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_checkout:
        print(json.dumps(time_pages(args.in_checkout, args.data_dir, args.paths, args.repeats)))
        return 0
    checkouts = [ROOT, *(c.resolve() for c in args.compare_checkout)]
    best: dict[tuple[Path, str], float] = {}
    for _ in range(args.rounds):
        for checkout in checkouts:
            command = [sys.executable, __file__, *args.paths, "--in-checkout", str(checkout)]
            command += ["--data-dir", str(args.data_dir.resolve()), "--repeats", str(args.repeats)]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            for path, ms in json.loads(done.stdout.splitlines()[-1]).items():
                best[checkout, path] = min(ms, best.get((checkout, path), ms))
    names = [describe(c) for c in checkouts]
    print(f"best of {args.repeats} × {args.rounds} rounds, ms, in {args.data_dir}")
    print()
    print("| page | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for path in args.paths:
        cells = [f"{best[c, path]:,.0f}" for c in checkouts]
        print(f"| `{path}` | " + " | ".join(cells) + " |")
    return 0


def time_pages(checkout: Path, data_dir: Path, paths: list[str], repeats: int) -> dict:
    """In this process: the best time of each page, by the code in `checkout`."""
    sys.path.insert(0, str(checkout))
    os.chdir(checkout)
    for name in ("DATABASE_URL", "SEARCH_URL"):
        os.environ.pop(name, None)
    os.environ.update(
        ARCHIVE_DATA_DIR=str(data_dir),
        DEBUG="0",
        DJANGO_SETTINGS_MODULE="archive.settings",
        ALLOWED_HOSTS="testserver",
    )
    import django

    django.setup()
    from django.test import Client

    client = Client()
    times = {}
    for path in paths:
        response = client.get(path)
        if response.status_code != 200:
            sys.exit(f"{path}: {response.status_code}")
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
        times[path] = min(timings)
    return times


def describe(checkout: Path) -> str:
    commit = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(checkout), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    changed = " (changed)" if dirty else ""
    return f"this ({commit}{changed})" if checkout == ROOT else f"{commit}{changed}"


if __name__ == "__main__":
    sys.exit(main())
