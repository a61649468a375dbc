"""The import_crawl command: archive the HTML pages of crawls made by other tools (WARC, WACZ)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from archive.management.filing import add_filing_arguments, chosen_source
from archive.webcapture.crawls import CrawlError, CrawlReading, crawl_files, crawl_pages
from archive.webcapture.records import CaptureError, import_crawl_page


class Command(BaseCommand):
    help = (
        "Archive the pages of crawls made by other tools: WARC files (wget --warc-file, "
        "ArchiveBox's warc/ folders) and WACZ files (Browsertrix), or directories of them. "
        "Each HTML page (status 200) becomes a capture dated by the crawl (WARC-Date), with "
        "its WARC records copied unchanged into a WARC file of its own; its article is "
        "archived as `capture` does, or gets a new capture if the address was archived "
        "before. Prints one line per page, and counts what was skipped (other types, "
        "redirects, errors, revisit records). Importing a crawl again adds nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
        add_filing_arguments(parser)

    def handle(self, *args, paths, draft, source, **options):
        chosen = chosen_source(source)
        files, unreadable = [], []
        for path in paths:
            try:
                found = crawl_files(path)
            except CrawlError as exc:
                unreadable.append(str(exc))
                continue
            if not found:
                unreadable.append(f"{path}: holds no .warc, .warc.gz or .wacz files")
            files += found
        progress = self.stderr.write if options["verbosity"] >= 1 else None
        reading = CrawlReading()
        archived = already = failed = 0
        for path in files:
            pages = crawl_pages(
                path,
                max_bytes=settings.ARCHIVE_CAPTURE_MAX_BYTES,
                reading=reading,
                progress=progress,
            )
            try:
                for page in pages:
                    try:
                        result = import_crawl_page(page, draft=draft, source=chosen)
                    except CaptureError as exc:
                        failed += 1
                        self.stdout.write(f"{page.url}\tfailed: {exc}")
                        continue
                    if result is None:
                        already += 1
                        self.stdout.write(f"{page.url}\talready archived (this capture)")
                    else:
                        archived += 1
                        self.stdout.write(f"{page.url}\t{result}")
            except CrawlError as exc:
                unreadable.append(f"{exc}; the pages before were archived")
        for problem in unreadable:
            self.stderr.write(problem)
        self.stdout.write(import_summary(len(files), reading, archived, already, failed))
        if unreadable or failed:
            raise CommandError(
                f"{len(unreadable)} file(s) could not be read to the end, "
                f"{failed} page(s) could not be archived."
            )


def import_summary(files: int, reading: CrawlReading, archived, already, failed) -> str:
    line = (
        f"Read {reading.records:,} record(s) in {files} crawl file(s): {archived} page(s) "
        f"archived, {already} already archived, {failed} failed."
    )
    if reading.skipped:
        skipped = ", ".join(f"{count} {reason}" for reason, count in reading.skipped.most_common())
        line += f" Skipped: {skipped}."
    return line
