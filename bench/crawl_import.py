#!/usr/bin/env python
"""Importing a crawl: time and peak memory of `manage.py import_crawl` as the file grows.

    .venv/bin/python bench/crawl_import.py [--pages 40] [--megabytes 10 300] [--data-dir DIR]

For each size it writes a WARC file (gzip, record by record, with warcio) as a crawler would:
--pages HTML pages, each with its request, and between them 1 MB responses of other types
(images) up to the size asked for; then runs `manage.py import_crawl` on it in a process of
its own, against a scratch archive, and reports the wall time and that process's peak
resident memory (ru_maxrss). Reading in bounded memory means the peak does not grow with the
file: only one page's records are held at a time.
"""

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

ROOT = Path(__file__).resolve().parents[1]
PARAGRAPH = (
    "Relatives of people detained in the region gathered outside the consulate on {day}, "
    "holding photographs of family members they had not heard from in {years} years, and read "
    "out the names of {count} people, organisers of the protest number {number} said."
)


def page_html(number: int) -> bytes:
    paragraphs = "".join(
        f"<p>{PARAGRAPH.format(day=d, years=number % 7 + 2, count=d * number, number=number)}</p>"
        for d in range(1, 8)
    )
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Protest number {number} outside the consulate</title></head><body>"
        f"<nav>Home World</nav><article><h1>Protest number {number} outside the consulate</h1>"
        f"{paragraphs}</article><footer>All rights reserved.</footer></body></html>"
    ).encode()


def write_crawl(path: Path, pages: int, megabytes: int) -> None:
    filler = os.urandom(1024 * 1024)  # incompressible, like an image
    fillers = max(0, megabytes - 1)
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "bench"}))
        for number in range(max(pages, fillers)):
            if number < pages:
                _exchange(
                    writer,
                    f"https://news.example.org/{number}",
                    page_html(number),
                    "text/html; charset=utf-8",
                    number,
                )
            if number < fillers:
                _exchange(
                    writer,
                    f"https://news.example.org/img/{number}.jpg",
                    filler,
                    "image/jpeg",
                    number,
                )


def _exchange(writer, url, body, content_type, number):
    date = {"WARC-Date": f"2024-01-01T00:{number // 60 % 60:02d}:{number % 60:02d}Z"}
    http = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
    response = writer.create_warc_record(
        url, "response", payload=io.BytesIO(body), http_headers=http, warc_headers_dict=date
    )
    asked = StatusAndHeaders(f"GET /{number} HTTP/1.1", [("Host", "news.example.org")])
    asked.is_http_request = True
    request = writer.create_warc_record(
        url, "request", payload=io.BytesIO(b""), http_headers=asked, warc_headers_dict=date
    )
    writer.write_request_response_pair(request, response)


def run_import(crawl: Path, data_dir: Path) -> tuple[float, int, str]:
    env = {**os.environ, "ARCHIVE_DATA_DIR": str(data_dir), "DEBUG": "0"}
    env.pop("DATABASE_URL", None)
    env.pop("SEARCH_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--verbosity", "0"], env=env, check=True)
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(
            [*manage, "import_crawl", "--verbosity", "0", str(crawl)], env=env, stdout=output
        )
        _, status, usage = os.wait4(process.pid, 0)  # this process's own peak, no other's
        seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"import_crawl failed on {crawl}")
        output.seek(0)
        summary = output.read().splitlines()[-1]
    return seconds, usage.ru_maxrss, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--megabytes", type=int, nargs="+", default=[10, 300])
    parser.add_argument("--data-dir", type=Path, help="Scratch folder (default: a temporary one).")
    args = parser.parse_args()
    scratch = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-crawl-"))
    print(f"load average: {os.getloadavg()[0]:.2f} (1 min)")
    print("| crawl file | records | pages | import seconds | peak memory MiB | summary |")
    print("|---|---|---|---|---|---|")
    try:
        for megabytes in sorted(args.megabytes):
            folder = scratch / f"{megabytes}mb"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            crawl = folder / "crawl.warc.gz"
            write_crawl(crawl, args.pages, megabytes)
            seconds, peak_kib, summary = run_import(crawl, folder / "archive")
            size = crawl.stat().st_size / 2**20
            records = 1 + 2 * (args.pages + max(0, megabytes - 1))
            print(
                f"| {size:,.0f} MiB | {records:,} | {args.pages} | {seconds:.1f} "
                f"| {peak_kib / 1024:.0f} | {summary} |"
            )
    finally:
        if args.data_dir is None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
