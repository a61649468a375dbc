#!/usr/bin/env python
"""The archive beside Datasette on the same articles: search latency, memory, load-to-searchable.

    .venv/bin/python bench/peer.py --articles 20000 [--rounds 3] [--reuse]
    .venv/bin/python bench/peer.py --articles 20000 --reuse --compare-checkout ../old
    .venv/bin/python bench/peer.py --smoke --no-datasette      # seconds, 30 articles

In one run it
1. writes the first N records of the Reuters financial corpus (read in place
   from ../shared/corpus) that have a body into one JSON Lines file, the input
   of both tools;
2. makes each searchable from that file, timed, as its documentation says:
     archive    `manage.py import_articles --skip-invalid --defer-indexing FILE`,
                then `manage.py rebuild_index --noinput` (README, "Importing
                articles"), into a fresh data directory (migrated, with the
                vocabulary loaded, beforehand, untimed);
     Datasette  `sqlite-utils insert DB articles FILE --nl --pk id`, then
                `sqlite-utils enable-fts DB articles title body --fts5
                --tokenize porter --create-triggers`;
   Datasette and sqlite-utils are installed, at the versions pinned below, into
   their own virtualenv (`--tools-dir`), never into the project's;
3. derives the queries from the same records with a fixed seed, so both tools
   get the same words: a term (a capitalised title word in 0.1–2% of the
   records), a phrase (3–5 words in a row from a paragraph, in double quotes;
   Datasette's `_searchmode=raw` keeps them a phrase), a filtered search (a
   term with the source, or with a year) and a filter alone (the source, or a
   year);
4. serves the archive with gunicorn (one sync worker, started from the
   checkout, so its gunicorn.conf.py applies) and Datasette (`datasette serve`,
   its SQL and facet time limits raised to the archive's 3 s search budget) on
   127.0.0.1, and asks each for the same search pages, HTML, 20 results, with
   facets (the archive's search page always counts sources, years and
   entities; Datasette's gets `_facet=source&_facet_date=date`): one untimed
   pass, then `--rounds` timed rounds in a seeded order, each query asked of
   every server in turn, one request at a time, a new connection each;
5. reads every server's memory (RSS and its anonymous part, from /proc) after
   the run, and prints a Markdown table: p50/p95 per kind, memory, and the time
   from JSON Lines to searchable, with ratios archive / Datasette.

`--compare-checkout DIR` serves the same archive data a second time from
another checkout of the code (e.g. `git worktree add ../old <commit>`),
interleaved with the others, so a change is measured side by side.

Each answer's hit count is read once, untimed, from the JSON form of the same
search (`/api/search`, Datasette's `.json`), and printed per kind.
"""

import argparse
import datetime
import gzip
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = ROOT.parent / "shared" / "corpus" / "reuters_financial_2006_2013"
ENTITIES_FIXTURE = ROOT / "fixtures" / "entities.json"
DEFAULT_TOOLS_DIR = ROOT / "var" / "bench" / "peer-tools"
MARKER = ".bench-peer"  # a scratch directory this script made and may empty
# The peer's versions, installed into --tools-dir; a change of pin makes a new virtualenv.
DATASETTE = "datasette==0.65.5"
SQLITE_UTILS = "sqlite-utils==4.2.1"
KINDS = ("term", "phrase", "filtered", "filter only")
PER_PAGE = 20
HOST = "127.0.0.1"
# The archive's search gives up after SEARCH_TIME_LIMIT (3 s) with what it found; Datasette's
# own limits (1 s for SQL, 200 ms for a facet) would make it skip work the archive does.
DATASETTE_SETTINGS = {"sql_time_limit_ms": "3000", "facet_time_limit_ms": "3000"}
WORD = re.compile(r"[A-Za-z]+")
ALPHA = re.compile(r"^[A-Za-z]+$")
TITLE_NAME = re.compile(r"\b[A-Z][a-z]{3,}\b")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--data-dir", type=Path, help="default var/bench/peer-<N>")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the records, the archive and the Datasette database built by an earlier run",
    )
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the queries")
    parser.add_argument(
        "--slowest", type=int, default=5, help="list this many slowest queries of each kind"
    )
    parser.add_argument("--queries-per-kind", type=int, default=30)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--tools-dir", type=Path, default=DEFAULT_TOOLS_DIR)
    parser.add_argument(
        "--no-datasette", action="store_true", help="time the archive alone (no virtualenv)"
    )
    parser.add_argument(
        "--compare-checkout",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="also serve the same archive from this checkout of the code (repeatable)",
    )
    parser.add_argument("--corpus-dir", type=Path, default=CORPUS_DIR)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="30 articles, 2 queries per kind, 1 round, in a temporary directory",
    )
    args = parser.parse_args(argv)
    scratch = None
    if args.smoke:
        scratch = Path(tempfile.mkdtemp(prefix="bench-peer-"))
        args.articles, args.queries_per_kind, args.rounds = 30, 2, 1
        args.data_dir, args.reuse = scratch / "peer", False
    args.data_dir = (args.data_dir or ROOT / "var" / "bench" / f"peer-{args.articles}").resolve()
    try:
        return run(args)
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def run(args) -> int:
    prepare_scratch(args.data_dir, args.reuse)
    print(f"{when()}; load average {load_average()}; {machine()}", flush=True)
    records = write_records(args.articles, args.corpus_dir, args.data_dir / "articles.jsonl")
    builds = {"archive": build_archive(args.data_dir, args.reuse)}
    if not args.no_datasette:
        tools = ensure_tools(args.tools_dir)
        builds["Datasette"] = build_datasette(args.data_dir, tools, args.reuse)
    queries = make_queries(records, args.queries_per_kind, args.seed)
    del records

    servers = [ArchiveServer("archive", ROOT, args.data_dir / "archive")]
    for checkout in args.compare_checkout:
        label = f"archive @ {describe(checkout)}"
        servers.append(ArchiveServer(label, checkout.resolve(), servers[0].data))
    if not args.no_datasette:
        servers.append(DatasetteServer("Datasette", tools, args.data_dir / "datasette.db"))
    try:
        for server in servers:
            server.start()
        hits = count_hits(servers, queries)
        per_query = time_queries(servers, queries, args.rounds, args.seed)
        memory = {server.label: server.memory() for server in servers}
        for server in servers:
            if isinstance(server, ArchiveServer):
                memory[server.label + " master"] = server.memory([server.process.pid])
    finally:
        for server in servers:
            server.stop()
    print()
    print(
        f"{len(queries)} queries ({args.queries_per_kind} per kind), {args.rounds} timed "
        f"round(s) after one untimed; {when()}; load average {load_average()}"
    )
    print()
    print_table(servers, by_kind(queries, per_query), memory, builds)
    print()
    print_hits(servers, queries, hits)
    print()
    print_slowest(servers, queries, per_query, args.slowest)
    return 0


# Set-up ----------------------------------------------------------------------


def prepare_scratch(data_dir: Path, reuse: bool) -> None:
    if data_dir.exists() and any(data_dir.iterdir()) and not (data_dir / MARKER).exists():
        sys.exit(f"{data_dir} is not empty and was not made by this benchmark; choose another.")
    if data_dir.exists() and not reuse:
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text("made by bench/peer.py; emptied when run without --reuse\n")


def write_records(n: int, corpus_dir: Path, path: Path) -> list[dict]:
    """The first `n` corpus records with a body (the importer refuses empty ones), as one file."""
    records = []
    for source in sorted((corpus_dir / "jsonl").glob("reuters-financial-*.jsonl.gz")):
        with gzip.open(source, "rt", encoding="utf-8") as stream:
            for line in stream:
                record = json.loads(line)
                if record.get("body", "").strip():
                    records.append(record)
                    if len(records) >= n:
                        break
        if len(records) >= n:
            break
    if not records:
        sys.exit(f"No corpus records in {corpus_dir / 'jsonl'}; see ../shared/corpus/README.md.")
    if len(records) < n:
        print(f"(the corpus has only {len(records):,} records with a body)")
    if not path.exists() or sum(1 for _ in path.open(encoding="utf-8")) != len(records):
        with path.open("w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return records


def archive_environment(data: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SEARCH_URL")}
    env.update(
        ARCHIVE_DATA_DIR=str(data),
        DEBUG="0",  # DEBUG keeps every SQL query in memory
        DJANGO_SETTINGS_MODULE="archive.settings",
        ALLOWED_HOSTS=HOST,
    )
    return env


def timed(command: list[str], cwd: Path, env: dict | None = None) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return seconds


@dataclass
class Build:
    steps: dict[str, float] = field(default_factory=dict)  # timed step: seconds
    reused: bool = False

    @property
    def total(self) -> float:
        return sum(self.steps.values())

    def describe(self) -> str:
        parts = " + ".join(f"{name} {seconds_text(s)}" for name, s in self.steps.items())
        again = ", built by an earlier run" if self.reused else ""
        return f"{seconds_text(self.total)} ({parts}{again})"


def seconds_text(seconds: float) -> str:
    return f"{seconds:,.0f} s" if seconds >= 10 else f"{seconds:.1f} s"


def load_build(data_dir: Path, name: str, reuse: bool) -> Build | None:
    path = data_dir / f"build-{name}.json"
    if reuse and path.exists():
        return Build(json.loads(path.read_text()), reused=True)
    return None


def save_build(data_dir: Path, name: str, build: Build) -> None:
    (data_dir / f"build-{name}.json").write_text(json.dumps(build.steps))


def build_archive(data_dir: Path, reuse: bool) -> Build:
    reused = load_build(data_dir, "archive", reuse)
    if reused:
        print(f"Reusing the archive in {data_dir / 'archive'}", flush=True)
        return reused
    data = data_dir / "archive"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir()
    env = archive_environment(data)
    manage = [sys.executable, "manage.py"]
    print("Archive: an empty archive (migrate, vocabulary; untimed) …", flush=True)
    timed([*manage, "migrate", "--noinput", "-v0"], ROOT, env)
    timed([*manage, "loaddata", str(ENTITIES_FIXTURE), "-v0"], ROOT, env)
    build = Build()
    jsonl = str(data_dir / "articles.jsonl")
    print("Archive: import_articles …", flush=True)
    build.steps["import"] = timed(
        [*manage, "import_articles", "--skip-invalid", "--defer-indexing", "--quiet", jsonl],
        ROOT,
        env,
    )
    print(f"  {build.steps['import']:.1f} s; rebuild_index …", flush=True)
    build.steps["rebuild"] = timed([*manage, "rebuild_index", "--noinput"], ROOT, env)
    print(f"  {build.steps['rebuild']:.1f} s", flush=True)
    save_build(data_dir, "archive", build)
    return build


def ensure_tools(tools_dir: Path) -> Path:
    """A virtualenv with the pinned Datasette and sqlite-utils; made once, reused after."""
    pins = f"{DATASETTE}\n{SQLITE_UTILS}\n"
    stamp = tools_dir / "bench-peer-pins.txt"
    if stamp.exists() and stamp.read_text() == pins:
        return tools_dir / "bin"
    print(f"Installing {DATASETTE} and {SQLITE_UTILS} into {tools_dir} …", flush=True)
    shutil.rmtree(tools_dir, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(tools_dir)], check=True)
    pip = [str(tools_dir / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, DATASETTE, SQLITE_UTILS], check=True)
    stamp.write_text(pins)
    return tools_dir / "bin"


def build_datasette(data_dir: Path, tools: Path, reuse: bool) -> Build:
    database = data_dir / "datasette.db"
    reused = load_build(data_dir, "datasette", reuse)
    if reused and database.exists():
        print(f"Reusing {database}", flush=True)
        return reused
    database.unlink(missing_ok=True)
    build = Build()
    jsonl = str(data_dir / "articles.jsonl")
    sqlite_utils = str(tools / "sqlite-utils")
    print("Datasette: sqlite-utils insert, enable-fts …", flush=True)
    build.steps["insert"] = timed(
        [sqlite_utils, "insert", str(database), "articles", jsonl, "--nl", "--pk", "id"], data_dir
    )
    build.steps["enable-fts"] = timed(
        [
            sqlite_utils,
            "enable-fts",
            str(database),
            "articles",
            "title",
            "body",
            "--fts5",
            "--tokenize",
            "porter",
            "--create-triggers",
        ],
        data_dir,
    )
    print(f"  {build.describe()}", flush=True)
    save_build(data_dir, "datasette", build)
    return build


# Queries ---------------------------------------------------------------------


@dataclass
class Query:
    kind: str
    words: str = ""  # as a reader types them; "" for a filter alone
    phrase: bool = False
    source: str | None = None
    year: int | None = None

    def label(self) -> str:
        text = f'"{self.words}"' if self.phrase else self.words
        extra = [f"source={self.source}"] if self.source else []
        extra += [str(self.year)] if self.year else []
        return " ".join([text, *extra]).strip()

    def archive_path(self, api: bool = False) -> str:
        from django.utils.text import slugify

        params = {}
        if self.words:
            params["q"] = f'"{self.words}"' if self.phrase else self.words
        if self.source:
            params["source"] = slugify(self.source)
        if self.year:
            params["from"] = params["to"] = str(self.year)
        return ("/api/search?" if api else "/search/?") + urlencode(params)

    def datasette_path(self, api: bool = False) -> str:
        params = [("_size", str(PER_PAGE)), ("_facet", "source"), ("_facet_date", "date")]
        if self.words:
            params.append(("_search", f'"{self.words}"' if self.phrase else self.words))
        if self.phrase:
            params.append(("_searchmode", "raw"))
        if self.source:
            params.append(("source", self.source))
        if self.year:
            params += [("date__gte", f"{self.year}-01-01"), ("date__lt", f"{self.year + 1}-01-01")]
        return ("/datasette/articles.json?" if api else "/datasette/articles?") + urlencode(params)


def make_queries(records: list[dict], per_kind: int, seed: int) -> list[Query]:
    """The same questions for every tool, drawn from the records themselves (not from an index)."""
    rng = random.Random(seed)
    n = len(records)
    frequency: dict[str, int] = {}
    for record in records:
        for word in {w.lower() for w in WORD.findall(record["title"] + " " + record["body"])}:
            frequency[word] = frequency.get(word, 0) + 1
    names: dict[str, int] = {}  # a capitalised title word: the year of an article it titles
    for record in records:
        for word in TITLE_NAME.findall(record["title"])[1:]:
            names.setdefault(word, int(record["date"][:4]))
    low, high = max(2, n // 1_000), max(3, n // 50)
    medium = sorted(w for w in names if low <= frequency.get(w.lower(), 0) <= high)
    if len(medium) < per_kind:  # a tiny corpus: whatever occurs twice
        medium = sorted(w for w in names if frequency.get(w.lower(), 0) >= 2) or sorted(names)
    sources = sorted({r["source"] for r in records if r.get("source")})
    years = sorted({int(r["date"][:4]) for r in records if r.get("date")})

    queries = [Query("term", w) for w in pick(rng, medium, per_kind)]
    queries += [Query("phrase", phrase(rng, records), phrase=True) for _ in range(per_kind)]
    for i, word in enumerate(pick(rng, medium, per_kind)):
        if i % 2 == 0 and sources:
            queries.append(Query("filtered", word, source=rng.choice(sources)))
        else:
            queries.append(Query("filtered", word, year=names[word]))
    for i in range(per_kind):
        if i % 2 == 0 and sources:
            queries.append(Query("filter only", source=rng.choice(sources)))
        else:
            queries.append(Query("filter only", year=rng.choice(years)))
    return queries


def pick(rng, words, k):
    return rng.sample(words, k) if len(words) >= k else [rng.choice(words) for _ in range(k)]


def phrase(rng, records) -> str:
    """3–5 words in a row from a paragraph, letters only, so both tools read the same words."""
    while True:
        paragraph = rng.choice(rng.choice(records)["body"].split("\n\n"))
        tokens = paragraph.split()
        length = rng.randint(3, 5)
        if len(tokens) < length:
            continue
        start = rng.randrange(len(tokens) - length + 1)
        words = tokens[start : start + length]
        if all(ALPHA.match(w) for w in words):
            return " ".join(words)


# Servers ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Server:
    label = ""
    process: subprocess.Popen | None = None

    def start(self) -> None:
        self.port = free_port()
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            self.command(), cwd=self.cwd, env=self.env, stdout=self.log, stderr=self.log
        )
        self.wait_until_serving()

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def wait_until_serving(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"{self.label} stopped ({self.process.returncode}):\n{self.log_tail()}")
            try:
                get(self.url(self.ready_path))
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        sys.exit(f"{self.label} did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def memory_pids(self) -> list[int]:
        return [self.process.pid]

    def memory(self, pids=None) -> dict[str, int]:
        """kB summed over the serving pids: resident (VmRSS), its anonymous part (not backed by
        a file: what a copy of the index takes), peak resident (VmHWM), and the proportional
        share (Pss: pages shared with other processes, such as a preloading master, divided)."""
        total = {"VmRSS": 0, "RssAnon": 0, "VmHWM": 0, "Pss": 0}
        for pid in pids or self.memory_pids():
            for name in ("status", "smaps_rollup"):
                for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
                    key, _, value = line.partition(":")
                    if key in total:
                        total[key] += int(value.split()[0])
        return total


class ArchiveServer(Server):
    """gunicorn with one sync worker, started from `checkout` (its code, its gunicorn.conf.py)."""

    ready_path = "/"

    def __init__(self, label: str, checkout: Path, data: Path):
        self.label, self.cwd, self.data = label, checkout, data
        self.env = archive_environment(data)

    def command(self) -> list[str]:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        return [
            str(gunicorn),
            "archive.wsgi",
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            "1",
            "--timeout",
            "120",
            "--no-control-socket",
        ]

    def path(self, query: Query, api: bool = False) -> str:
        return query.archive_path(api)

    def hits(self, body: bytes) -> int:
        return json.loads(body)["count"]

    def memory_pids(self) -> list[int]:
        """The worker(s): the master only forks and watches them."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(child) for child in children]


class DatasetteServer(Server):
    ready_path = "/-/versions.json"

    def __init__(self, label: str, tools: Path, database: Path):
        self.label, self.tools, self.database = label, tools, database
        self.cwd, self.env = database.parent, dict(os.environ)

    def command(self) -> list[str]:
        command = [str(self.tools / "datasette"), "serve", str(self.database)]
        command += ["--host", HOST, "--port", str(self.port)]
        for name, value in DATASETTE_SETTINGS.items():
            command += ["--setting", name, value]
        return command

    def path(self, query: Query, api: bool = False) -> str:
        return query.datasette_path(api)

    def hits(self, body: bytes) -> int:
        return json.loads(body)["filtered_table_rows_count"]


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as response:
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")
        return body


# Measuring -------------------------------------------------------------------


def count_hits(servers, queries) -> dict[tuple[str, int], int]:
    """Each server's hit count for each query, from the JSON form of the same search."""
    hits = {}
    for i, query in enumerate(queries):
        for server in servers:
            hits[server.label, i] = server.hits(get(server.url(server.path(query, api=True))))
    return hits


def time_queries(servers, queries, rounds: int, seed: int) -> dict[tuple[str, int], list[float]]:
    """Milliseconds per (server, query): one untimed pass, then `rounds` in a shuffled order,
    each query asked of every server in turn, the first server rotating."""
    rng = random.Random(seed)
    timings: dict[tuple[str, int], list[float]] = {}
    order = list(range(len(queries)))
    for round_number in range(rounds + 1):
        rng.shuffle(order)
        for position, i in enumerate(order):
            query = queries[i]
            turn = (round_number + position) % len(servers)
            for server in servers[turn:] + servers[:turn]:
                url = server.url(server.path(query))
                started = time.perf_counter()
                get(url)
                elapsed = (time.perf_counter() - started) * 1000
                if round_number:  # the first pass warms caches, untimed
                    timings.setdefault((server.label, i), []).append(elapsed)
        if round_number:
            print(f"  round {round_number} of {rounds} done", flush=True)
    return timings


def by_kind(queries, per_query) -> dict[tuple[str, str], list[float]]:
    """Milliseconds per (server, kind of query)."""
    timings: dict[tuple[str, str], list[float]] = {}
    for (label, i), values in per_query.items():
        timings.setdefault((label, queries[i].kind), []).extend(values)
    return timings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def print_table(servers, timings, memory, builds) -> None:
    peer = next((s for s in servers if isinstance(s, DatasetteServer)), None)
    archives = [s for s in servers if isinstance(s, ArchiveServer)]
    header = ["", *(s.label for s in servers)]
    if peer:
        header += [f"{a.label} / {peer.label}" for a in archives]
    print("| " + " | ".join(header) + " |")
    print("|---|" + "---:|" * (len(header) - 1))

    def ratio(a, b):
        return f"{a / b:.1f}×" if b else "–"

    for kind in KINDS:
        cells, stats = [], {}
        for server in servers:
            values = timings.get((server.label, kind), [])
            if not values:
                cells.append("–")
                continue
            stats[server.label] = (statistics.median(values), percentile(values, 0.95))
            cells.append(f"{stats[server.label][0]:,.0f} / {stats[server.label][1]:,.0f} ms")
        if peer and peer.label in stats:
            p50, p95 = stats[peer.label]
            for a in archives:
                mine = stats.get(a.label)
                cells.append(f"{ratio(mine[0], p50)} / {ratio(mine[1], p95)}" if mine else "–")
        print(f"| {kind} search p50 / p95 | " + " | ".join(cells) + " |")

    def mb(kb):
        return f"{kb / 1024:,.0f} MB"

    cells = [
        f"{mb(memory[s.label]['VmRSS'])} (anonymous {mb(memory[s.label]['RssAnon'])})"
        for s in servers
    ]
    if peer:
        peer_rss = memory[peer.label]["VmRSS"]
        cells += [ratio(memory[a.label]["VmRSS"], peer_rss) for a in archives]
    print("| server memory after the run: RSS (anonymous part) | " + " | ".join(cells) + " |")
    cells = [builds["archive"].describe() if isinstance(s, ArchiveServer) else "" for s in servers]
    if peer:
        cells[servers.index(peer)] = builds["Datasette"].describe()
        cells += [ratio(builds["archive"].total, builds["Datasette"].total) for _ in archives]
    print("| from JSON Lines to searchable | " + " | ".join(cells) + " |")
    print()
    print(
        "Memory: the archive's gunicorn worker, Datasette's one process. Peak RSS: "
        + ", ".join(f"{s.label} {mb(memory[s.label]['VmHWM'])}" for s in servers)
        + ". Proportional set size (shared pages divided among their processes): "
        + ", ".join(f"{s.label} {mb(memory[s.label]['Pss'])}" for s in servers)
        + ". "
        + " ".join(
            f"{s.label}'s gunicorn master: RSS {mb(memory[s.label + ' master']['VmRSS'])}."
            for s in archives
        )
    )


def print_hits(servers, queries, hits) -> None:
    print("Mean hits per query (queries with no hit):")
    for kind in KINDS:
        indexes = [i for i, q in enumerate(queries) if q.kind == kind]
        parts = []
        for server in servers:
            counts = [hits[server.label, i] for i in indexes]
            zero = sum(1 for c in counts if c == 0)
            parts.append(f"{server.label} {statistics.mean(counts):,.0f} ({zero})")
        example = queries[indexes[0]].label()
        print(f"- {kind} (e.g. `{example}`): " + ", ".join(parts))


def print_slowest(servers, queries, per_query, count: int) -> None:
    """The queries of each kind slowest on the first server, with every server's median."""
    if count <= 0:
        return
    first = servers[0].label
    print(f"The {count} slowest queries of each kind on {first}, median ms:")
    print()
    print("| query | " + " | ".join(s.label for s in servers) + " |")
    print("|---|" + "---:|" * len(servers))
    for kind in KINDS:
        indexes = [i for i, q in enumerate(queries) if q.kind == kind]
        indexes.sort(key=lambda i: statistics.median(per_query[first, i]), reverse=True)
        for i in indexes[:count]:
            cells = [f"{statistics.median(per_query[s.label, i]):,.0f}" for s in servers]
            print(f"| {kind}: `{queries[i].label()}` | " + " | ".join(cells) + " |")


# Reporting -------------------------------------------------------------------


def describe(checkout: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return done.stdout.strip() or checkout.name


def when() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> str:
    return f"{os.cpu_count()} CPU(s), Python {platform.python_version()}"


if __name__ == "__main__":
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    sys.exit(main())
