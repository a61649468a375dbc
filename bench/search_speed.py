#!/usr/bin/env python
"""Search page speed of this checkout beside another one, on the same archive, in one run.

    .venv/bin/python bench/search_speed.py --data-dir var/bench/search-20000 \\
        --baseline /tmp/old     # a checkout of older code: git worktree add /tmp/old <commit>

In one run it
1. derives term, phrase, filtered and filter-only searches from the archive's own
   articles (seeded, so every run asks the same): a capitalised title word in 0.1–2% of
   the articles; 2–6 words in a row from a paragraph, in curly quotes as if pasted; a
   term with a source, a year or an entity; a source, a year or an entity alone;
2. starts one gunicorn (one sync worker, as a small site runs) for this checkout and one
   for `--baseline`, both on the same data directory, which they only read;
3. asks each server's JSON API for every search once and compares the answers: the same
   count, the same hits in the same order with the same snippets, the same facets and
   nearly-same passages (any difference is printed, and the run fails);
4. after a warm-up pass, asks for every search's page (`/search/?…`, the whole request
   over loopback, a new connection each) `--repeats` times, the two servers in turn
   and the one asked first alternating, one request at a time;
5. prints a Markdown table of p50/p95 per kind for each, their ratio, and the load
   average before and after.
Without `--baseline` only this checkout is timed.
"""

import argparse
import datetime
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = ROOT / "var" / "bench" / "search-20000"

HOST = "127.0.0.1"
KINDS = ("term", "phrase", "filtered", "filter only")
CAPITALISED = re.compile(r"\b[A-Z][a-z]{3,}\b")

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import search as search_bench  # noqa: E402  (bench/search.py: its queries and percentiles)


def environment(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SEARCH_URL")}
    env.update(
        ARCHIVE_DATA_DIR=str(data_dir),
        DEBUG="0",
        DJANGO_SETTINGS_MODULE="archive.settings",
        ALLOWED_HOSTS=HOST,
    )
    return env


# Searches ----------------------------------------------------------------------


@dataclass
class Search:
    kind: str
    params: dict

    @property
    def path(self) -> str:
        return "/search/?" + urlencode(self.params)

    @property
    def api_path(self) -> str:
        return "/api/search?" + urlencode(self.params)


def make_searches(per_kind: int, seed: int) -> list[Search]:
    from django.db.models import Count, Q
    from haystack import connections

    from archive.models import Article, Entity, Source
    from archive.search.text import WORD, fold, stem

    rng = random.Random(seed)
    pks = list(Article.objects.published().order_by("pk").values_list("pk", flat=True))
    rows = list(
        Article.objects.filter(pk__in=rng.sample(pks, min(len(pks), 2_000)))
        .order_by("pk")
        .values_list("title", "body", "published_on")
    )
    reader = connections["default"].get_backend().searcher().reader()
    names = {}
    for title, _body, day in rows:
        for word in CAPITALISED.findall(title):
            if not title.startswith(word):
                names.setdefault(word, day.year if day else None)
    low, high = max(2, len(pks) // 1_000), max(10, len(pks) // 50)
    frequency = {w: reader.doc_frequency("text", stem(fold(w))) for w in names}
    medium = sorted(w for w in names if low <= frequency[w] <= high)
    if len(medium) < per_kind:  # a tiny archive: any name found twice
        medium = sorted(w for w in names if frequency[w] >= 2) or sorted(names)
    sources = sorted(
        Source.objects.annotate(n=Count("articles")).filter(n__gt=0).values_list("slug", flat=True)
    )
    entities = sorted(
        Entity.objects.annotate(n=Count("mentions", filter=Q(mentions__rejected=False)))
        .filter(n__gte=5)
        .values_list("slug", flat=True)
    )
    years = sorted({day.year for _t, _b, day in rows if day})

    def narrowing(i):
        choice = i % 3
        if choice == 0 and sources:
            return {"source": rng.choice(sources)}
        if choice == 1 and entities:
            return {"entity": rng.choice(entities)}
        year = rng.choice(years)
        return {"from": f"{year}-01-01", "to": f"{year}-12-31"}

    searches = [Search("term", {"q": w}) for w in _pick(rng, medium, per_kind)]
    searches += [
        Search("phrase", {"q": search_bench.phrase_query(rng, rows, WORD, shortest=2)})
        for _ in range(per_kind)
    ]
    searches += [
        Search("filtered", {"q": w, **narrowing(i)})
        for i, w in enumerate(_pick(rng, medium, per_kind))
    ]
    searches += [Search("filter only", narrowing(i)) for i in range(per_kind)]
    return searches


def _pick(rng, words, k):
    """k words, without repeats while there are enough."""
    return rng.sample(words, k) if len(words) >= k else [rng.choice(words) for _ in range(k)]


# Servers -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn with one sync worker, serving the checkout in `code` on `data_dir`."""

    def __init__(self, name: str, code: Path, data_dir: Path, log):
        self.name, self.code = name, code
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [str(gunicorn), "archive.wsgi", "--bind", f"{HOST}:{self.port}"]
        command += ["--workers", "1", "--timeout", "120", "--pythonpath", str(code)]
        self.process = subprocess.Popen(
            command, cwd=code, env=environment(data_dir), stdout=log, stderr=log
        )

    def wait(self, timeout=120.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"{self.name}: gunicorn stopped with status {self.process.returncode}")
            try:
                self.get("/search/?q=bank")
                return
            except OSError:
                time.sleep(0.3)
        sys.exit(f"{self.name}: gunicorn did not answer within {timeout:.0f} s")

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.base + path, timeout=120) as response:
            if response.status != 200:
                raise OSError(f"{path}: {response.status}")
            return response.read()

    def timed(self, path: str) -> float:
        started = time.perf_counter()
        self.get(path)
        return (time.perf_counter() - started) * 1000

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def archive_module_of(code: Path, data_dir: Path) -> str:
    """Which `archive` package a server started in `code` imports (a check that the two
    servers run different code)."""
    probe = "import archive, os; print(os.path.dirname(archive.__file__))"
    return subprocess.run(
        [sys.executable, "-c", probe],
        cwd=code,
        env=environment(data_dir),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


# Comparing and timing ------------------------------------------------------------


def compare_answers(servers: list[Server], searches: list[Search]) -> list[str]:
    """The searches whose JSON answers differ between the servers (none, when the same)."""
    differences = []
    for search in searches:
        answers = []
        for server in servers:  # links are absolute: the same once the port is left out
            text = server.get(search.api_path).decode().replace(server.base, "http://server")
            answers.append(json.loads(text))
        if any(answer != answers[0] for answer in answers[1:]):
            differences.append(search.path)
    return differences


def measure(servers: list[Server], searches: list[Search], repeats: int) -> dict:
    """Per (kind, server name): the milliseconds of every request."""
    for search in searches:  # warm-up: open the index, fill the caches a server keeps
        for server in servers:
            server.get(search.path)
    times = defaultdict(list)
    turn = 0
    for _ in range(repeats):
        for search in searches:
            order = servers if turn % 2 == 0 else servers[::-1]
            turn += 1
            for server in order:
                times[search.kind, server.name].append(server.timed(search.path))
    return times


def table(times, names) -> str:
    head = ["kind", "searches × repeats"] + [f"{n} p50 / p95 ms" for n in names]
    if len(names) == 2:
        head.append(f"{names[0]} / {names[1]} p50 / p95")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for kind in KINDS:
        if not times[kind, names[0]]:
            continue
        row = [kind, str(len(times[kind, names[0]]))]
        stats = {
            n: (
                search_bench.percentile(times[kind, n], 50),
                search_bench.percentile(times[kind, n], 95),
            )
            for n in names
        }
        row += [f"{stats[n][0]:,.0f} / {stats[n][1]:,.0f}" for n in names]
        if len(names) == 2:
            (a50, a95), (b50, b95) = stats[names[0]], stats[names[1]]
            row.append(f"{a50 / b50:.2f}× / {a95 / b95:.2f}×")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# Main --------------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--baseline", type=Path, help="a checkout of the code to compare with")
    parser.add_argument("--queries-per-kind", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--show-searches", action="store_true")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    data_dir = args.data_dir.resolve()
    if not any(data_dir.glob("*.sqlite3")):
        sys.exit(f"{data_dir} holds no archive; build one with bench/search.py --articles N.")
    # This process reads the benchmark's own SQLite archive, never a DATABASE_URL or SEARCH_URL
    # that the caller's environment names (make test-postgres sets one).
    served = environment(data_dir)
    for name in set(os.environ) - set(served):
        del os.environ[name]
    os.environ.update(served)
    import django

    django.setup()
    searches = make_searches(args.queries_per_kind, args.seed)
    if args.show_searches:
        for search in searches:
            print(f"  {search.kind}: {search.path}")

    checkouts = [("this", ROOT)]
    if args.baseline:
        checkouts.append(("baseline", args.baseline.resolve()))
    modules = {name: archive_module_of(code, data_dir) for name, code in checkouts}
    if len(set(modules.values())) != len(modules):
        sys.exit(f"Both servers would import the same archive package: {modules}")
    log = tempfile.TemporaryFile()
    servers = [Server(name, code, data_dir, log) for name, code in checkouts]
    try:
        for server in servers:
            server.wait()
        differences = compare_answers(servers, searches) if len(servers) > 1 else []
        load_before = load_average()
        started = time.perf_counter()
        times = measure(servers, searches, args.repeats)
        elapsed = time.perf_counter() - started
        load_after = load_average()
    finally:
        for server in servers:
            server.stop()
    names = [server.name for server in servers]
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = "python bench/search_speed.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print()
    print(f"`{command.strip()}` — {when}")
    print()
    for name, code in checkouts:
        print(f"- {name}: {code} (git {_commit(code)})")
    print(f"- load average before / after the timed passes: {load_before} / {load_after}")
    print(f"- {len(searches)} searches, {args.repeats} timed passes in {elapsed:.0f} s")
    if len(servers) > 1:
        same = len(searches) - len(differences)
        print(f"- the same JSON answer from both: {same} of {len(searches)} searches")
    print()
    print(table(times, names))
    for path in differences:
        print(f"DIFFERENT ANSWERS: {path}")
    return 1 if differences else 0


def _commit(code: Path) -> str:
    result = subprocess.run(
        ["git", "-C", str(code), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "-C", str(code), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return result.stdout.strip() + (" with uncommitted changes" if dirty else "")


if __name__ == "__main__":
    sys.exit(main())
