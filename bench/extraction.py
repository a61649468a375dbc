#!/usr/bin/env python
"""Text extraction from captured pages: how much of each page's article the archive keeps.

    .venv/bin/python bench/extraction.py [--extractors-path DIR] [--per-page] [--data-dir DIR]

The pages are the 61 real news pages of ../shared/corpus/article-extraction-dev (read in
place), each with a hand-made article body. They are served from a web server on 127.0.0.1
and captured with the archive's own capture path (`capture_address`: fetch, WARC, extraction,
the one article save path) into a scratch archive (ARCHIVE_CAPTURE_ALLOW_PRIVATE=1, a
temporary ARCHIVE_DATA_DIR unless --data-dir); the article body the archive stored is scored
against the hand-made one by the benchmark's rule (the corpus README): word 4-grams, true and
false positives and false negatives per page normalised to sum to one, precision and recall
averaged over the pages, F1 from those two averages.

Beside it, on the same HTML, other extractors are scored the same way: trafilatura with its
default settings, trafilatura with the settings the archive uses (extract_article), jusText
(installed with trafilatura), and, when importable, readability-lxml and goose3. Those two
are not dependencies of the project: install them into a throwaway directory and name it with
--extractors-path (appended to sys.path, so the project's own packages come first):

    .venv/bin/pip install --target /tmp/bench-extractors readability-lxml==0.9 goose3==3.1.22

The pages are split into two fixed halves by their key (the corpus's SHA-256 of the address:
even or odd): extraction rules may be tuned on the "tuning" half only, and the "held-out" half
says how they do on pages they were not tuned on. The table gives both, and all 61.
"""

import argparse
import gzip
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "article-extraction-dev"
PUBLISHED = [  # the benchmark's published figures on its 181 pages (the corpus README)
    ("trafilatura 2.0", 0.958, 0.938, 0.978),
    ("newspaper4k", 0.949, None, None),
    ("readability-lxml", 0.922, None, None),
    ("goose3", 0.896, None, None),
]
WORD = re.compile(r"\w+")


# The benchmark's score -----------------------------------------------------------------


def shingles(text: str, n: int = 4) -> Counter:
    """The text's word n-grams, counted (a text shorter than n words is one n-gram)."""
    words = WORD.findall(text or "")
    return Counter(tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1)) if words)


@dataclass
class PageScore:
    tp: float
    fp: float
    fn: float

    @property
    def precision(self) -> float | None:
        if self.fp == self.fn == 0:
            return 1.0
        return None if self.tp + self.fp == 0 else self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        if self.fp == self.fn == 0:
            return 1.0
        return None if self.tp + self.fn == 0 else self.tp / (self.tp + self.fn)


def page_score(truth: str, extracted: str) -> PageScore:
    """True and false positives and false negatives of 4-grams, normalised to sum to one,
    so that a long page weighs no more than a short one."""
    expected, found = shingles(truth), shingles(extracted)
    tp = sum((expected & found).values())
    fp = sum((found - expected).values())
    fn = sum((expected - found).values())
    total = tp + fp + fn
    return PageScore(tp / total, fp / total, fn / total) if total else PageScore(0, 0, 0)


@dataclass
class Score:
    precision: float
    recall: float
    pages: int

    @property
    def f1(self) -> float:
        both = self.precision + self.recall
        return 2 * self.precision * self.recall / both if both else 0.0


def overall(scores: list[PageScore]) -> Score:
    """Precision and recall averaged over the pages that have one (an empty extraction has
    no precision; a page with nothing to find has no recall)."""
    precisions = [s.precision for s in scores if s.precision is not None]
    recalls = [s.recall for s in scores if s.recall is not None]
    return Score(
        statistics.mean(precisions) if precisions else 0.0,
        statistics.mean(recalls) if recalls else 0.0,
        len(scores),
    )


# The pages -------------------------------------------------------------------------------


@dataclass
class Page:
    key: str
    html: bytes
    truth: str

    @property
    def half(self) -> str:
        return "tuning" if int(self.key, 16) % 2 == 0 else "held-out"


def corpus_pages(corpus: Path) -> list[Page]:
    truth = json.loads((corpus / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        Page(
            key,
            gzip.decompress((corpus / "html" / f"{key}.html.gz").read_bytes()),
            entry.get("articleBody", ""),
        )
        for key, entry in sorted(truth.items())
    ]


def serve(pages: list[Page]) -> tuple[ThreadingHTTPServer, str]:
    """A web server on 127.0.0.1 answering /<key> with the page's HTML, as its site did."""
    by_path = {f"/{page.key}": page.html for page in pages}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 (http.server's name)
            body = by_path.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


# The extractors ----------------------------------------------------------------------------


def archive_capture(pages: list[Page], base: str) -> dict[str, str]:
    """Each page captured by the archive's capture path; the body it stored ("" if it failed)."""
    from archive.models import Article
    from archive.webcapture.records import CaptureError, capture_address

    bodies = {}
    for page in pages:
        try:
            result = capture_address(f"{base}/{page.key}")
        except CaptureError as exc:
            print(f"  capture of {page.key[:8]} failed: {exc}", file=sys.stderr)
            bodies[page.key] = ""
            continue
        bodies[page.key] = Article.objects.get(pk=result.article.pk).body
    return bodies


def trafilatura_defaults(html: bytes) -> str:
    import trafilatura

    return trafilatura.extract(html) or ""


def archive_settings(html: bytes) -> str:
    from archive.webcapture.extract import ExtractionError, extract_article

    try:
        return extract_article(html, "").text
    except ExtractionError:
        return ""


def justext_paragraphs(html: bytes) -> str:
    import justext

    paragraphs = justext.justext(html, justext.get_stoplist("English"))
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)


def readability_lxml(html: bytes) -> str:
    from lxml import html as lxml_html
    from readability import Document

    summary = Document(html).summary(html_partial=True)
    return lxml_html.fromstring(summary).text_content() if summary.strip() else ""


def goose3(html: bytes) -> str:
    from goose3 import Goose

    with Goose({"enable_image_fetching": False}) as goose:
        return goose.extract(raw_html=html.decode("utf-8", "replace")).cleaned_text or ""


OTHERS = [
    ("trafilatura 2.3.1, default settings", trafilatura_defaults, "trafilatura"),
    ("trafilatura 2.3.1, the archive's settings (extract_article)", archive_settings, None),
    ("jusText 3.0.2 (English stop words)", justext_paragraphs, "justext"),
    ("readability-lxml", readability_lxml, "readability"),
    ("goose3", goose3, "goose3"),
]


def importable(module: str | None) -> bool:
    if module is None:
        return True
    try:
        __import__(module)
    except ImportError:
        return False
    return True


# The report --------------------------------------------------------------------------------


def table(rows: list[tuple[str, dict[str, PageScore], float]], pages: list[Page]) -> str:
    halves = {
        "all": pages,
        "tuning": [p for p in pages if p.half == "tuning"],
        "held-out": [p for p in pages if p.half == "held-out"],
    }
    lines = [
        f"| extractor | all {len(pages)}: P / R / **F1** | tuning half ({len(halves['tuning'])}): "
        f"F1 | held-out half ({len(halves['held-out'])}): F1 | empty | s/page |",
        "|---|---|---|---|---|---|",
    ]
    for name, scores, seconds in rows:
        figures = {
            half: overall([scores[p.key] for p in chosen]) for half, chosen in halves.items()
        }
        every = figures["all"]
        empty = sum(1 for s in scores.values() if s.tp + s.fp == 0)
        lines.append(
            f"| {name} | {every.precision:.3f} / {every.recall:.3f} / **{every.f1:.3f}** "
            f"| {figures['tuning'].f1:.3f} | {figures['held-out'].f1:.3f} | {empty} "
            f"| {seconds / len(pages):.3f} |"
        )
    return "\n".join(lines)


def per_page(scores: dict[str, PageScore], pages: list[Page], urls: dict[str, str]) -> str:
    lines = ["| page | half | site | P | R |", "|---|---|---|---|---|"]
    for page in pages:
        score = scores[page.key]
        site = re.sub(r"^https?://(www\.)?", "", urls[page.key]).split("/")[0]
        p = "–" if score.precision is None else f"{score.precision:.3f}"
        r = "–" if score.recall is None else f"{score.recall:.3f}"
        lines.append(f"| {page.key[:8]} | {page.half} | {site} | {p} | {r} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--data-dir", type=Path, help="Scratch archive (default: a temporary one).")
    parser.add_argument(
        "--extractors-path",
        type=Path,
        help="A directory of other extractors (pip install --target), appended to sys.path.",
    )
    parser.add_argument("--per-page", action="store_true", help="Also print each page's score.")
    parser.add_argument("--limit", type=int, help="Only the first N pages (a smoke run).")
    args = parser.parse_args()
    if not (args.corpus / "ground-truth.json").is_file():
        sys.exit(f"No corpus at {args.corpus}; see ../shared/corpus/README.md.")
    if args.extractors_path:
        sys.path.append(str(args.extractors_path))

    scratch = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-extraction-"))
    scratch.mkdir(parents=True, exist_ok=True)
    for name in ("DATABASE_URL", "SEARCH_URL"):
        os.environ.pop(name, None)
    os.environ.update(
        ARCHIVE_DATA_DIR=str(scratch),
        ARCHIVE_CAPTURE_ALLOW_PRIVATE="1",
        DEBUG="0",
        DJANGO_SETTINGS_MODULE="archive.settings",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)

    pages = corpus_pages(args.corpus)[: args.limit]
    truth_json = json.loads((args.corpus / "ground-truth.json").read_text(encoding="utf-8"))
    urls = {key: entry.get("url", "") for key, entry in truth_json.items()}
    server, base = serve(pages)
    rows = []
    try:
        started = time.perf_counter()
        bodies = archive_capture(pages, base)
        seconds = time.perf_counter() - started
        captured = {p.key: page_score(p.truth, bodies[p.key]) for p in pages}
        rows.append(
            ("**the archive's capture** (`capture`: stored article body)", captured, seconds)
        )
        for name, extractor, module in OTHERS:
            if not importable(module):
                print(f"({name}: not installed, left out)", file=sys.stderr)
                continue
            started = time.perf_counter()
            texts = {p.key: extractor(p.html) for p in pages}
            seconds = time.perf_counter() - started
            rows.append((name, {p.key: page_score(p.truth, texts[p.key]) for p in pages}, seconds))
    finally:
        server.shutdown()
        server.server_close()
        if args.data_dir is None:
            shutil.rmtree(scratch, ignore_errors=True)
    print(table(rows, pages))
    print()
    print(
        "Published on the benchmark's 181 pages (F1 / P / R): "
        + "; ".join(
            f"{name} {f1:.3f}" + (f" / {p:.3f} / {r:.3f}" if p else "")
            for name, f1, p, r in PUBLISHED
        )
    )
    if args.per_page:
        print()
        print(per_page(captured, pages, urls))


if __name__ == "__main__":
    main()
